"""An incremental build updates the previous HNSW graphs and answers like a full rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.search import HybridSearcher
from index.store import faiss as store
from index.store import slots
from index.store.faiss import load_index

pytestmark = pytest.mark.slow  # the real embedder

QUERIES = [
    "Qui accompagne Poutine ?",
    "Quand Poutine va-t-il en Corée du Nord ?",
    "accord de partenariat stratégique",
    "What did Putin sign?",
]


def answers(index_dir: Path, embedder: VectorEmbeddings) -> list[list[tuple[str, int, float]]]:
    searcher = HybridSearcher.from_index(load_index(index_dir), embedder)
    return [
        [(h.article.id, h.chunk.start, round(h.score, 6)) for h in searcher.search(q, 5)]
        for q in QUERIES
    ]


def test_an_incremental_build_answers_like_a_full_rebuild(
    seed_dir: Path, tmp_path: Path, embedder: VectorEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 1)  # graphs even for five articles
    monkeypatch.setattr(slots, "COMPACT_FRACTION", 0.9)  # keep the graph whatever changes
    sources = tmp_path / "sources"
    shutil.copytree(seed_dir, sources)
    held_back = sources / "004_e9cc385765b94f2b.txt"
    text = held_back.read_text(encoding="utf-8")
    held_back.unlink()
    incremental = tmp_path / "incremental"
    build_index(sources, incremental, embedder, ChunkSettings())

    # One article added, one changed, one removed.
    held_back.write_text(text, encoding="utf-8")
    changed = sources / "003_461a80f96c7b2d8d.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n")
    (sources / "001_9094e598d010c395.txt").unlink()
    report = build_index(sources, incremental, embedder, ChunkSettings())
    live = incremental / "builds" / str(report.build_id)
    # Both graphs were updated in place: the rows that left are tombstones.
    assert (live / "dense.rows.npy").is_file() and (live / "sentences.rows.npy").is_file()

    full = tmp_path / "full"
    build_index(sources, full, embedder, ChunkSettings(), rebuild=True)
    assert not (full / "builds" / str(current_id(full)) / "dense.rows.npy").exists()
    assert answers(incremental, embedder) == answers(full, embedder)


def current_id(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
