"""Term counts per chunk, and bm25s's BM25 scores computed from them in numpy.

Analysing text (elisions, folding, stemming) is what makes a BM25 build slow: about 37 s
for 100k chunks. The scores themselves depend on every chunk's length and every term's
document frequency, so a 1 % change moves all of them, but they are cheap to recompute
from counts. A build therefore keeps each chunk's term counts (`TermCounts`), the next
build analyses only its new chunks, and `bm25_arrays` turns the counts into the score
matrix bm25s would have built, float for float (tests/index/test_lexical_counts.py
checks it against bm25s itself).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Int32 = NDArray[np.int32]


@dataclass(frozen=True)
class TermCounts:
    """Sparse (chunk, term, count) entries: chunk `rows[i]` holds `vocabulary[terms[i]]`
    `counts[i]` times. `size` chunks in all; a term no entry uses is allowed."""

    vocabulary: tuple[str, ...]
    rows: Int32
    terms: Int32
    counts: Int32
    size: int

    @classmethod
    def of_tokens(cls, documents: Iterable[Sequence[str]]) -> TermCounts:
        """The counts of analysed documents, row i = the i-th document."""
        ids: dict[str, int] = {}
        rows: list[int] = []
        terms: list[int] = []
        counts: list[int] = []
        size = 0
        for row, tokens in enumerate(documents):
            size = row + 1
            for term, count in Counter(tokens).items():
                rows.append(row)
                terms.append(ids.setdefault(term, len(ids)))
                counts.append(count)
        return cls(
            vocabulary=tuple(ids),
            rows=np.asarray(rows, dtype=np.int32),
            terms=np.asarray(terms, dtype=np.int32),
            counts=np.asarray(counts, dtype=np.int32),
            size=size,
        )

    def reordered(
        self, previous_rows: Sequence[int] | NDArray[np.int64], fresh: TermCounts
    ) -> TermCounts:
        """Counts of a new list of chunks: chunk i is row `previous_rows[i]` of these counts,
        or, where that is -1, the next row of `fresh` (the chunks analysed anew, in order)."""
        source = np.asarray(previous_rows, dtype=np.int64)
        new_of_old = np.full(self.size, -1, dtype=np.int64)
        kept = np.flatnonzero(source >= 0)
        new_of_old[source[kept]] = kept
        added = np.flatnonzero(source < 0)
        if len(added) != fresh.size:
            raise ValueError(f"{len(added)} chunks to analyse but counts of {fresh.size} given")
        keep = new_of_old[self.rows] >= 0
        ids = {term: i for i, term in enumerate(self.vocabulary)}
        vocabulary = list(self.vocabulary)
        fresh_ids = np.empty(len(fresh.vocabulary), dtype=np.int32)
        for i, term in enumerate(fresh.vocabulary):
            found = ids.get(term)
            if found is None:
                found = ids[term] = len(vocabulary)
                vocabulary.append(term)
            fresh_ids[i] = found
        return TermCounts(
            vocabulary=tuple(vocabulary),
            rows=np.concatenate([new_of_old[self.rows[keep]], added[fresh.rows]]).astype(np.int32),
            terms=np.concatenate([self.terms[keep], fresh_ids[fresh.terms]]).astype(np.int32),
            counts=np.concatenate([self.counts[keep], fresh.counts]).astype(np.int32),
            size=len(source),
        )


@dataclass(frozen=True)
class ScoreMatrix:
    """bm25s's eager index: column j (term `vocabulary[j]`) holds the BM25 score of chunk
    `indices[k]` at `data[k]` for k in indptr[j]:indptr[j+1], rows ascending; `counts[k]`
    is that chunk's count of the term, kept for the next build."""

    vocabulary: tuple[str, ...]  # sorted, every term used by at least one chunk
    data: NDArray[np.float32]
    indices: Int32
    indptr: NDArray[np.int64]
    counts: Int32
    size: int

    def term_counts(self) -> TermCounts:
        columns = np.repeat(np.arange(len(self.vocabulary), dtype=np.int32), np.diff(self.indptr))
        return TermCounts(self.vocabulary, self.indices, columns, self.counts, self.size)


def bm25_arrays(counts: TermCounts, k1: float, b: float) -> ScoreMatrix:
    """The score matrix bm25s's `BM25(k1, b, method="lucene").index(tokens)` computes,
    with the same float32 values: the same formula, evaluated in the same precision
    (idf with math.log in double, rounded to float32; the term-frequency part in double;
    their product rounded to float32)."""
    df_all = np.bincount(counts.terms, minlength=len(counts.vocabulary))
    used = np.flatnonzero(df_all > 0)
    order = sorted(used.tolist(), key=counts.vocabulary.__getitem__)
    column_of = np.full(len(counts.vocabulary), -1, dtype=np.int64)
    column_of[order] = np.arange(len(order))
    vocabulary = tuple(counts.vocabulary[i] for i in order)
    columns = column_of[counts.terms]
    rows = counts.rows.astype(np.int64)
    lengths = np.bincount(rows, weights=counts.counts, minlength=counts.size).astype(np.int64)
    # bm25s: np.array([len(doc) for doc in corpus]).mean(), over the same integers.
    average = lengths.mean() if counts.size else np.float64(0)
    n = counts.size
    df = df_all[order]
    idf = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], np.float32)
    tf = counts.counts.astype(np.float32).astype(np.float64)
    length = lengths[rows]
    tfc = tf / (k1 * ((1 - b) + b * length / average) + tf)
    scores = (idf[columns].astype(np.float64) * tfc).astype(np.float32)
    sorter = np.argsort((columns << 32) | rows)
    indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(np.bincount(columns, minlength=len(vocabulary)), out=indptr[1:])
    return ScoreMatrix(
        vocabulary=vocabulary,
        data=scores[sorter],
        indices=rows[sorter].astype(np.int32),
        indptr=indptr,
        counts=counts.counts[sorter],
        size=n,
    )
