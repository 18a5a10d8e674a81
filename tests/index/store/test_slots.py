"""Incremental HNSW graphs: tombstones never come back, rows map to the right vectors."""

from __future__ import annotations

import numpy as np
import pytest

from index.store import faiss as store
from index.store.slots import COMPACT_FRACTION, SlottedIndex, updated_index

Key = tuple[str, int, int]


def unit_vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, 16)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def keys(names: range, article: str = "a") -> list[Key]:
    return [(article, n, n + 1) for n in names]


@pytest.fixture(autouse=True)
def _every_index_is_a_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 1)


def graph(vectors: np.ndarray) -> object:
    return store.build_dense_index(vectors)


def test_a_small_change_keeps_the_graph_and_answers_like_a_rebuild() -> None:
    old_keys, old_vectors = keys(range(200)), unit_vectors(200, 0)
    previous = graph(old_vectors)
    # Rows 0-9 leave, 10 new ones arrive at the end, the rest shift down by ten rows.
    new_keys = old_keys[10:] + keys(range(10), "b")
    new_vectors = np.vstack([old_vectors[10:], unit_vectors(10, 1)])
    updated = updated_index(previous, old_keys, new_keys, new_vectors, graph)
    assert isinstance(updated, SlottedIndex) and updated.index is previous
    assert (updated.ntotal, len(updated.dead)) == (200, 10)
    rebuilt = graph(new_vectors)
    for row in range(0, 200, 7):
        np.testing.assert_array_equal(updated.reconstruct(row), new_vectors[row])
        _, found = updated.search(new_vectors[row][None, :], 5)
        _, expected = rebuilt.search(new_vectors[row][None, :], 5)  # type: ignore[attr-defined]
        assert found[0][0] == expected[0][0] == row
    np.testing.assert_array_equal(updated.reconstruct_n(0, 200), new_vectors)


def test_tombstones_are_never_returned() -> None:
    old_keys, vectors = keys(range(100)), unit_vectors(100, 2)
    updated = updated_index(graph(vectors), old_keys, old_keys[5:], vectors[5:], graph)
    # Each removed vector, asked for itself, finds a living row instead.
    _, rows = updated.search(vectors[:5], 10)
    assert (rows >= 0).all() and (rows < 95).all()
    scores, _ = updated.search(vectors[:5], 1)
    assert (scores < 0.999).all()


def test_too_many_tombstones_mean_a_fresh_graph() -> None:
    old_keys, vectors = keys(range(100)), unit_vectors(100, 3)
    gone = int(COMPACT_FRACTION * 100) + 5
    previous = graph(vectors)
    updated = updated_index(previous, old_keys, old_keys[gone:], vectors[gone:], graph)
    assert not isinstance(updated, SlottedIndex) and updated is not previous
    assert updated.ntotal == 100 - gone  # type: ignore[attr-defined]


def test_updates_chain_from_an_index_that_already_has_tombstones() -> None:
    vectors = unit_vectors(120, 4)
    first = updated_index(graph(vectors[:100]), keys(range(100)), keys(range(3, 100)),
                          vectors[3:100], graph)  # fmt: skip
    second = updated_index(first, keys(range(3, 100)), keys(range(6, 110)), vectors[6:110], graph)
    assert isinstance(second, SlottedIndex) and len(second.dead) == 6
    np.testing.assert_array_equal(second.reconstruct_n(0, second.ntotal), vectors[6:110])


def test_a_flat_index_is_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 10_000)
    vectors = unit_vectors(50, 5)
    previous = graph(vectors)
    updated = updated_index(previous, keys(range(50)), keys(range(1, 50)), vectors[1:], graph)
    assert updated is not previous and updated.ntotal == 49  # type: ignore[attr-defined]


def test_slot_rows_must_be_a_permutation() -> None:
    index = graph(unit_vectors(4, 6))
    with pytest.raises(ValueError, match="permutation"):
        SlottedIndex(index, np.array([0, 0, 1, -1], dtype=np.int64))
