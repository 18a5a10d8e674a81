"""Incremental HNSW indexes: keep the previous graph, add the new rows, tombstone the old.

An HNSW graph cannot drop a vector, and rebuilding one of 100k vectors takes minutes on
two cores, so a build that changes 1 % of the rows reuses the previous graph: each FAISS
*slot* holds one vector for good, and `rows[slot]` says which row of this build it is,
or -1 for a tombstone (the row left). Searches skip tombstones with an ID selector. When
tombstones pass `COMPACT_FRACTION` of the slots, the next build starts a fresh graph.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray

Span = tuple[str, int, int]
# Above this share of dead slots, searches waste too much of their beam on tombstones
# and the file holds too many dead vectors: the next build rebuilds the graph.
COMPACT_FRACTION = 0.2


class SlottedIndex:
    """A FAISS index whose slots map to rows (many are equal, some dead): it answers
    `search`, `reconstruct`, `reconstruct_n`, `ntotal` and `d` in rows, like the plain
    FAISS index it stands for."""

    def __init__(self, index: Any, rows: NDArray[np.int64]) -> None:
        if rows.shape != (index.ntotal,):
            raise ValueError(f"{rows.shape[0]} slot rows for an index of {index.ntotal} vectors")
        live = np.flatnonzero(rows >= 0)
        order = np.argsort(rows[live], kind="stable")
        slots = live[order]
        if not np.array_equal(rows[slots], np.arange(len(slots))):
            raise ValueError("slot rows are not a permutation of 0..n-1")
        self.index = index
        self.rows = rows
        self.slots = slots.astype(np.int64)
        self.dead = np.flatnonzero(rows < 0).astype(np.int64)
        self._params: Any = None
        if len(self.dead):
            self._selector = faiss.IDSelectorBatch(len(self.dead), faiss.swig_ptr(self.dead))
            self._keep = faiss.IDSelectorNot(self._selector)
            # The faiss stubs lag the library: neither class takes keywords there.
            library: Any = faiss
            if hasattr(index, "hnsw"):
                self._params = library.SearchParametersHNSW(
                    sel=self._keep, efSearch=index.hnsw.efSearch
                )
            else:
                self._params = library.SearchParameters(sel=self._keep)

    @property
    def ntotal(self) -> int:
        return len(self.slots)

    @property
    def d(self) -> int:
        return int(self.index.d)

    def search(self, queries: NDArray[np.float32], k: int) -> tuple[NDArray[Any], NDArray[Any]]:
        scores, slots = self.index.search(queries, k, params=self._params)
        rows = np.where(slots >= 0, self.rows[np.maximum(slots, 0)], -1)
        return scores, rows

    def reconstruct(self, row: int) -> NDArray[np.float32]:
        return np.asarray(self.index.reconstruct(int(self.slots[row])), dtype=np.float32)

    def reconstruct_n(self, start: int, count: int) -> NDArray[np.float32]:
        return self.reconstruct_batch(np.arange(start, min(start + count, self.ntotal)))

    def reconstruct_batch(self, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        wanted = self.slots[rows]
        if len(wanted) == 0:
            return np.zeros((0, self.d), dtype=np.float32)
        return np.asarray(self.index.reconstruct_batch(wanted), dtype=np.float32)


@dataclass(frozen=True)
class Rows:
    """A build's rows for one index: row i is the text `keys[i]`, its vector `vectors[i]`,
    except where `kept[i]`: that vector is the previous build's (left zero in `vectors`)."""

    keys: Sequence[Span]
    vectors: NDArray[np.float32]
    kept: NDArray[np.bool_] | None = None


def updated_index(
    previous: Any,
    previous_keys: Sequence[Span],
    rows: Rows,
    build: Callable[[NDArray[np.float32]], Any],
) -> Any:
    """An index of `rows`: `previous` (whose row j was `previous_keys[j]`) with the rows
    that left tombstoned and the new ones added, when it is an HNSW graph and stays clean
    enough; else `build` over every vector, the kept ones read back from `previous`.

    `previous` is changed in place: the caller hands over an index it no longer serves.
    """
    keys = rows.keys
    base, old_rows = _unwrapped(previous)
    if base is None or not hasattr(base, "hnsw") or len(keys) == 0:
        return build(_complete(rows, previous, previous_keys))
    matched = _matched_by_hash(old_rows, previous_keys, keys)
    slot_rows, added = matched or _matched_by_key(old_rows, previous_keys, keys)
    dead = int(np.count_nonzero(slot_rows < 0))
    if dead > COMPACT_FRACTION * (base.ntotal + len(added)):
        return build(_complete(rows, previous, previous_keys))
    if len(added):
        if rows.kept is not None and rows.kept[added].any():
            raise ValueError("a kept row has no vector in the previous index")
        base.add(np.ascontiguousarray(rows.vectors[added], dtype=np.float32))
        slot_rows = np.concatenate([slot_rows, np.asarray(added, dtype=np.int64)])
    if not dead and np.array_equal(slot_rows, np.arange(len(slot_rows))):
        return base
    return SlottedIndex(base, slot_rows)


Matched = tuple[NDArray[np.int64], NDArray[np.int64]]  # slot -> row (-1: dead), new rows


def _matched_by_key(
    old_rows: NDArray[np.int64], previous_keys: Sequence[Span], keys: Sequence[Span]
) -> Matched:
    """Each live slot's row in the new build, by key (the lowest slot of a key first), and
    the new rows that no slot holds."""
    slots_of_key: dict[Span, list[int]] = {}
    live = np.flatnonzero(old_rows >= 0)[::-1]  # popped from the end: lowest slot first
    for slot, old_row in zip(live.tolist(), old_rows[live].tolist(), strict=True):
        slots_of_key.setdefault(previous_keys[old_row], []).append(slot)
    slot_rows = np.full(len(old_rows), -1, dtype=np.int64)
    added: list[int] = []
    for row, key in enumerate(keys):
        slots = slots_of_key.get(key)
        if slots:
            slot_rows[slots.pop()] = row
        else:
            added.append(row)
    return slot_rows, np.asarray(added, dtype=np.int64)


def _matched_by_hash(
    old_rows: NDArray[np.int64], previous_keys: Sequence[Span], keys: Sequence[Span]
) -> Matched | None:
    """What `_matched_by_key` gives, by sorting the keys' hashes in numpy (a dict of 480k
    sentence spans took seconds); None when two keys share a hash (a repeated key or a
    collision), which the caller then matches by key."""
    live = np.flatnonzero(old_rows >= 0)
    old_hash = np.fromiter(map(hash, previous_keys), np.int64, len(previous_keys))
    live_hash = old_hash[old_rows[live]]
    new_hash = np.fromiter(map(hash, keys), np.int64, len(keys))
    order = np.argsort(live_hash, kind="stable")
    ordered = live_hash[order]
    new_sorted = np.sort(new_hash)
    if np.any(ordered[1:] == ordered[:-1]) or np.any(new_sorted[1:] == new_sorted[:-1]):
        return None
    slot_rows = np.full(len(old_rows), -1, dtype=np.int64)
    if not len(ordered):
        return slot_rows, np.arange(len(keys), dtype=np.int64)
    position = np.minimum(np.searchsorted(ordered, new_hash), len(ordered) - 1)
    found = ordered[position] == new_hash
    rows = np.flatnonzero(found)
    slots = live[order[position[rows]]]
    # Equal hashes of different keys would pair wrong rows: every pair is compared.
    pairs = zip(
        map(keys.__getitem__, rows.tolist()),
        map(previous_keys.__getitem__, old_rows[slots].tolist()),
        strict=True,
    )
    if not all(itertools.starmap(operator.eq, pairs)):
        return None
    slot_rows[slots] = rows
    return slot_rows, np.flatnonzero(~found).astype(np.int64)


def _complete(rows: Rows, previous: Any, previous_keys: Sequence[Span]) -> NDArray[np.float32]:
    """Every vector of `rows`: the kept ones read back from `previous`, whose row j holds
    the vector of `previous_keys[j]`."""
    if rows.kept is None or not rows.kept.any():
        return rows.vectors
    if previous is None:
        raise ValueError("rows kept from an index that is not given")
    row_of = {key: row for row, key in enumerate(previous_keys)}
    wanted = np.flatnonzero(rows.kept)
    old = np.fromiter(
        (row_of[rows.keys[r]] for r in wanted.tolist()), dtype=np.int64, count=len(wanted)
    )
    vectors = np.array(rows.vectors, dtype=np.float32)
    vectors[wanted] = reconstruct_rows(previous, old)
    return vectors


def reconstruct_rows(index: Any, rows: NDArray[np.int64]) -> NDArray[np.float32]:
    """The vectors of these rows of `index` (a SlottedIndex or a plain FAISS index)."""
    if isinstance(index, SlottedIndex):
        return index.reconstruct_batch(rows)
    if len(rows) == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return np.asarray(index.reconstruct_batch(rows), dtype=np.float32)


def _unwrapped(index: Any) -> tuple[Any, NDArray[np.int64]]:
    if index is None:
        return None, np.zeros(0, dtype=np.int64)
    if isinstance(index, SlottedIndex):
        return index.index, index.rows
    return index, np.arange(index.ntotal, dtype=np.int64)
