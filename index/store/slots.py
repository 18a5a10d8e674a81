"""Incremental HNSW indexes: keep the previous graph, add the new rows, tombstone the old.

An HNSW graph cannot drop a vector, and rebuilding one of 100k vectors takes minutes on
two cores, so a build that changes 1 % of the rows reuses the previous graph: each FAISS
*slot* holds one vector for good, and `rows[slot]` says which row of this build it is,
or -1 for a tombstone (the row left). Searches skip tombstones with an ID selector. When
tombstones pass `COMPACT_FRACTION` of the slots, the next build starts a fresh graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
        wanted = self.slots[start : start + count]
        return np.asarray(self.index.reconstruct_batch(wanted), dtype=np.float32)


def updated_index(
    previous: Any,
    previous_keys: Sequence[Span],
    keys: Sequence[Span],
    vectors: NDArray[np.float32],
    build: Callable[[NDArray[np.float32]], Any],
) -> Any:
    """An index of `vectors` (row i is the text `keys[i]`): `previous` (whose row j was
    `previous_keys[j]`) with the rows that left tombstoned and the new ones added, when
    it is an HNSW graph and stays clean enough; else `build(vectors)`.

    `previous` is changed in place: the caller hands over an index it no longer serves.
    """
    base, old_rows = _unwrapped(previous)
    if base is None or not hasattr(base, "hnsw") or len(keys) == 0:
        return build(vectors)
    slots_of_key: dict[Span, list[int]] = {}
    for slot in np.flatnonzero(old_rows >= 0)[::-1]:
        slots_of_key.setdefault(previous_keys[old_rows[slot]], []).append(int(slot))
    rows = np.full(base.ntotal, -1, dtype=np.int64)
    added: list[int] = []
    for row, key in enumerate(keys):
        slots = slots_of_key.get(key)
        if slots:
            rows[slots.pop()] = row
        else:
            added.append(row)
    dead = int(np.count_nonzero(rows < 0))
    if dead > COMPACT_FRACTION * (base.ntotal + len(added)):
        return build(vectors)
    if added:
        base.add(np.ascontiguousarray(vectors[added], dtype=np.float32))
        rows = np.concatenate([rows, np.asarray(added, dtype=np.int64)])
    if not dead and np.array_equal(rows, np.arange(len(rows))):
        return base
    return SlottedIndex(base, rows)


def _unwrapped(index: Any) -> tuple[Any, NDArray[np.int64]]:
    if index is None:
        return None, np.zeros(0, dtype=np.int64)
    if isinstance(index, SlottedIndex):
        return index.index, index.rows
    return index, np.arange(index.ntotal, dtype=np.int64)
