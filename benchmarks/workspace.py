"""Where a benchmark run keeps its corpora, indexes and the arrays scenarios hand on."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import psutil

from benchmarks.vectors import Matrix

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / "benchmarks" / ".work"  # git-ignored
SEED_DIR = ROOT / "seeds"
GOLD_FILE = ROOT / "tests" / "data" / "gold.jsonl"


def fresh_dir(path: Path) -> Path:
    """An empty folder at `path` (whatever was there is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def rss_mib() -> float:
    """Resident memory of this process right now."""
    return float(psutil.Process(os.getpid()).memory_info().rss) / 2**20


def save_base(work: Path, texts: list[str], vectors: Matrix, embedder: str) -> None:
    """The 2k-corpus chunk texts and their real vectors, seeds of the 100k/1M runs."""
    (work / "base_chunks.json").write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
    np.save(work / f"base_{embedder}.npy", vectors, allow_pickle=False)


def save_base_vectors(work: Path, vectors: Matrix, embedder: str) -> None:
    np.save(work / f"base_{embedder}.npy", vectors, allow_pickle=False)


def load_base_texts(work: Path) -> list[str]:
    texts: list[str] = json.loads((work / "base_chunks.json").read_text("utf-8"))
    return texts


def load_base_vectors(work: Path, embedder: str) -> Matrix:
    return np.asarray(np.load(work / f"base_{embedder}.npy", allow_pickle=False), np.float32)


def dir_size_mib(path: Path) -> float:
    """Bytes on disk under `path`, in MiB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20
