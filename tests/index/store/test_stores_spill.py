"""A build too large for memory keeps its vectors in a file: on both stores, the same
index as a build in memory, and no file left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.build_vectors
from index.build import build_index
from index.build_vectors import spilled_zeros
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.store.faiss_store import FaissStore
from tests.index.store.conftest import StoreMaker
from tests.index.store.test_stores import ARTICLES, searcher_of, spans, write_sources


def test_a_large_build_keeps_its_vectors_in_a_file_and_leaves_none(
    make_store: StoreMaker,
    embedder: VectorEmbeddings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past SPILL_BYTES the vectors wait in an unlinked file beside the index (a folder
    # store) or its hash table (PostgreSQL), not in memory; the index is the same.
    sources = write_sources(tmp_path / "src", ARTICLES)
    question = "tramway de Lyon"
    in_memory = make_store()
    build_index(sources, in_memory, embedder, ChunkSettings())
    expected = searcher_of(in_memory, embedder).search(question, 3)
    spilled: list[Path] = []

    def spill(rows: int, dimension: int, folder: Path) -> np.ndarray:
        spilled.append(folder)
        matrix = spilled_zeros(rows, dimension, folder)
        assert not list(folder.glob("vectors-*"))  # unlinked once open
        return matrix

    monkeypatch.setattr(index.build_vectors, "SPILL_BYTES", 0)
    monkeypatch.setattr(index.build_vectors, "spilled_zeros", spill)
    store, table = make_store(), tmp_path / "hashes" / "file-hashes.json"
    build_index(sources, store, embedder, ChunkSettings(), hash_table=table)

    where = store.location if isinstance(store, FaissStore) else str(table.parent)
    assert [str(folder) for folder in spilled] == [where]
    found = searcher_of(store, embedder).search(question, 3)
    assert spans(found) == spans(expected)
    assert [h.score for h in found] == pytest.approx([h.score for h in expected], abs=1e-4)
