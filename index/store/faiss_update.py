"""How a FAISS build is made from the previous one: its HNSW graphs updated in place
(index/store/slots.py) and its BM25 term counts reused, instead of rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from index.lexical import LexicalIndex
from index.models import Chunk
from index.store.base import BuildUpdate, Span
from index.store.faiss import LoadedIndex, build_dense_index
from index.store.slots import Rows, updated_index
from index.store.spans import ChunkTable


def updated_indexes(
    previous: LoadedIndex | None,
    update: BuildUpdate,
    spans: tuple[list[Span], list[Span]] | None = None,
) -> tuple[Any, Any]:
    """The chunk and sentence indexes: the previous build's HNSW graphs updated in place
    (index/store/slots.py) when there is one, else fresh ones. `spans` are the previous
    build's chunk and sentence spans when the caller has them as lists already."""
    if previous is None:
        if _any(update.kept) or _any(update.sentences_kept):
            raise ValueError("an update keeps vectors of a build this store did not load")
        return (
            build_dense_index(update.vectors),
            build_dense_index(update.sentence_vectors, quantized=True),
        )
    old_chunks, old_sentences = spans or (chunk_spans(previous.chunks), list(previous.sentences))
    keys = [(c.article_id, c.start, c.end) for c in update.chunks]
    dense = updated_index(
        previous.dense, old_chunks, Rows(keys, update.vectors, update.kept), build_dense_index
    )
    sentence_index = updated_index(
        previous.sentence_index,
        old_sentences,
        Rows(update.sentences, update.sentence_vectors, update.sentences_kept),
        lambda v: build_dense_index(v, quantized=True),
    )
    return dense, sentence_index


def _any(kept: np.ndarray | None) -> bool:
    return kept is not None and bool(kept.any())


def updated_lexical(
    previous: LoadedIndex | None, chunks: Sequence[Chunk], old_chunks: list[Span] | None = None
) -> LexicalIndex:
    """BM25 over `chunks`: the previous build's term counts reused for the chunks it had
    (only new chunks are analysed), else built from every text; the same scores either way."""
    texts = [c.text for c in chunks]
    if previous is None:
        return LexicalIndex.build(texts)
    old = old_chunks if old_chunks is not None else chunk_spans(previous.chunks)
    rows = {span: row for row, span in enumerate(old)}
    reused = [rows.get((c.article_id, c.start, c.end), -1) for c in chunks]
    return previous.lexical.updated(reused, texts)


def chunk_spans(chunks: Sequence[Chunk]) -> list[Span]:
    """`(article id, start, end)` of each chunk, without slicing a loaded build's texts."""
    if isinstance(chunks, ChunkTable):
        return list(chunks.spans)
    return [(c.article_id, c.start, c.end) for c in chunks]
