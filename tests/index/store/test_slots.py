"""Incremental HNSW graphs: tombstones never come back, rows map to the right vectors."""

from __future__ import annotations

import numpy as np
import pytest

from index.store import faiss as store
from index.store.slots import COMPACT_FRACTION, Rows, SlottedIndex, updated_index

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
    updated = updated_index(previous, old_keys, Rows(new_keys, new_vectors), graph)
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
    updated = updated_index(graph(vectors), old_keys, Rows(old_keys[5:], vectors[5:]), graph)
    # Each removed vector, asked for itself, finds a living row instead.
    _, rows = updated.search(vectors[:5], 10)
    assert (rows >= 0).all() and (rows < 95).all()
    scores, _ = updated.search(vectors[:5], 1)
    assert (scores < 0.999).all()


def test_too_many_tombstones_mean_a_fresh_graph() -> None:
    old_keys, vectors = keys(range(100)), unit_vectors(100, 3)
    gone = int(COMPACT_FRACTION * 100) + 5
    previous = graph(vectors)
    updated = updated_index(previous, old_keys, Rows(old_keys[gone:], vectors[gone:]), graph)
    assert not isinstance(updated, SlottedIndex) and updated is not previous
    assert updated.ntotal == 100 - gone  # type: ignore[attr-defined]


def test_updates_chain_from_an_index_that_already_has_tombstones() -> None:
    vectors = unit_vectors(120, 4)
    first = updated_index(graph(vectors[:100]), keys(range(100)),
                          Rows(keys(range(3, 100)), vectors[3:100]), graph)  # fmt: skip
    second = updated_index(first, keys(range(3, 100)), Rows(keys(range(6, 110)), vectors[6:110]),
                           graph)  # fmt: skip
    assert isinstance(second, SlottedIndex) and len(second.dead) == 6
    np.testing.assert_array_equal(second.reconstruct_n(0, second.ntotal), vectors[6:110])


def test_a_flat_index_is_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 10_000)
    vectors = unit_vectors(50, 5)
    previous = graph(vectors)
    updated = updated_index(previous, keys(range(50)), Rows(keys(range(1, 50)), vectors[1:]), graph)
    assert updated is not previous and updated.ntotal == 49  # type: ignore[attr-defined]


def test_slot_rows_must_be_a_permutation() -> None:
    index = graph(unit_vectors(4, 6))
    with pytest.raises(ValueError, match="permutation"):
        SlottedIndex(index, np.array([0, 0, 1, -1], dtype=np.int64))


def kept_rows(keys_: list[Key], vectors: np.ndarray, old: set[Key]) -> Rows:
    """`vectors` with the rows of keys the previous index had zeroed, as a build hands them."""
    kept = np.array([k in old for k in keys_])
    given = vectors.copy()
    given[kept] = 0.0
    return Rows(keys_, given, kept)


@pytest.mark.parametrize("gone", [10, int(COMPACT_FRACTION * 100) + 5])
def test_kept_rows_come_from_the_previous_graph(gone: int) -> None:
    # A small change keeps the graph; a large one rebuilds it from the vectors read back.
    old_keys, vectors = keys(range(100)), unit_vectors(110, 7)
    new_keys = old_keys[gone:] + keys(range(10), "b")
    new_vectors = np.vstack([vectors[gone:100], vectors[100:]])
    rows = kept_rows(new_keys, new_vectors, set(old_keys))

    updated = updated_index(graph(vectors[:100]), old_keys, rows, graph)

    assert isinstance(updated, SlottedIndex) == (gone == 10)
    np.testing.assert_array_equal(updated.reconstruct_n(0, len(new_keys)), new_vectors)


def test_kept_rows_of_a_flat_index_are_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 10_000)
    old_keys, vectors = keys(range(50)), unit_vectors(53, 8)
    new_keys = old_keys[2:] + keys(range(3), "b")
    new_vectors = np.vstack([vectors[2:50], vectors[50:]])

    updated = updated_index(
        graph(vectors[:50]), old_keys, kept_rows(new_keys, new_vectors, set(old_keys)), graph
    )

    np.testing.assert_array_equal(updated.reconstruct_n(0, 51), new_vectors)  # type: ignore[attr-defined]


def test_a_kept_row_the_previous_index_lacks_is_refused() -> None:
    old_keys, vectors = keys(range(100)), unit_vectors(101, 9)
    new_keys = old_keys + keys(range(1), "b")
    kept = np.ones(101, dtype=bool)  # wrongly says the new row is kept
    with pytest.raises(ValueError, match="kept row"):
        updated_index(graph(vectors[:100]), old_keys, Rows(new_keys, vectors, kept), graph)


def test_rows_matched_by_hash_are_those_matched_by_key() -> None:
    from index.store.slots import _matched_by_hash, _matched_by_key

    rng = np.random.default_rng(10)
    previous_keys = keys(range(300))
    old_rows = np.arange(320, dtype=np.int64) % 300
    old_rows[rng.choice(320, 40, replace=False)] = -1  # tombstones
    old_rows[300:] = -1  # ...so that every live row has one slot
    new_keys = [k for k in previous_keys if rng.random() < 0.9] + keys(range(20), "b")
    by_hash = _matched_by_hash(old_rows, previous_keys, new_keys)

    assert by_hash is not None
    by_key = _matched_by_key(old_rows, previous_keys, new_keys)
    for ours, theirs in zip(by_hash, by_key, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    # A key held by two live slots: matched by key, lowest slot first.
    twice = np.array([0, 1, 0], dtype=np.int64)
    assert _matched_by_hash(twice, keys(range(2)), keys(range(2))) is None
    slot_rows, added = _matched_by_key(twice, keys(range(2)), keys(range(2)))
    assert slot_rows.tolist() == [0, 1, -1] and added.tolist() == []
