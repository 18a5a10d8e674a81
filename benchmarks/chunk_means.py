"""Chunk vectors made from their sentences' vectors instead of a second pass of the model.

Measured for issue 16, not used by `newsbot index`: a chunk is a run of whole sentences
(index/chunk.py) and e5 pools by averaging token states, so the length-weighted mean of
a chunk's sentence vectors, normalised, could stand in for the chunk's own embedding and
halve the model's work. On the seeds its cosine with the embedded chunk is 0.955 (median;
0.945 at worst), but hybrid hit@5 on the gold set fell from 0.951 to 0.926 (dense-only
rose from 0.926 to 0.951): outside the 0.01 the issue allows, so chunks are still
embedded. `python -m benchmarks.profile_build --chunks mean` times a build that uses it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.models import Chunk

Span = tuple[str, int, int]


def chunk_vectors_from_sentences(
    chunks: Sequence[Chunk], sentences: Sequence[Span], sentence_vectors: NDArray[Any]
) -> NDArray[np.float32]:
    """One unit vector per chunk: the mean of the vectors of the sentences inside it,
    weighted by their length in characters."""
    dimension = sentence_vectors.shape[1]
    by_article: dict[str, tuple[list[int], list[int]]] = {}
    for row, (article_id, start, _) in enumerate(sentences):
        starts, rows = by_article.setdefault(article_id, ([], []))
        starts.append(start)
        rows.append(row)
    vectors = np.zeros((len(chunks), dimension), dtype=np.float32)
    for position, chunk in enumerate(chunks):
        starts, rows = by_article.get(chunk.article_id, ([], []))
        first = bisect_left(starts, chunk.start)
        inside = []
        for index in range(first, len(starts)):
            row = rows[index]
            if sentences[row][2] > chunk.end:
                break
            inside.append(row)
        if not inside:
            raise ValueError(f"chunk {chunk.id} holds no indexed sentence")
        weights = np.asarray([sentences[r][2] - sentences[r][1] for r in inside], np.float32)
        mean = weights @ np.asarray(sentence_vectors[inside], dtype=np.float32)
        vectors[position] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return vectors
