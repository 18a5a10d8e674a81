"""Candidates: every sentence of the retrieved passages (and their wire copies)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from index.chunk import split_sentences
from index.lexical import document_terms
from index.models import Article, Chunk, Hit
from index.search import HybridSearcher
from index.store.base import Span


@dataclass(frozen=True)
class Candidate:
    """One sentence that might answer, with what retrieval knew of its passage."""

    article: Article
    chunk: Chunk
    start: int
    end: int
    hit_rank: int  # rank of its passage after fusion, 1-based
    chunk_dense: float  # cosine of its passage with the question (0 if dense missed it)
    lexical_rank: int | None  # rank of its passage in BM25, if BM25 found it
    dense: float  # cosine of the sentence with the question
    terms: frozenset[str]
    before: frozenset[str]  # terms of the sentence before it in the article
    after: frozenset[str]  # terms of the sentence after it
    dense_before: float  # cosine of the sentence before it with the question (0 if none)
    dense_after: float
    position: float  # where it stands in its article, 0 (first) to 1 (last)

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]


def collect_candidates(
    hits: list[Hit], searcher: HybridSearcher, vector: NDArray[np.float32]
) -> list[Candidate]:
    """The sentences of `hits`, each once, in retrieval order; headings left out."""
    seen: set[tuple[str, int]] = set()
    found: list[tuple[Hit, Chunk, Article, int, int, int]] = []
    wanted: list[Span] = []
    for hit in hits:
        for chunk in (hit.chunk, *hit.duplicates):
            article = searcher.articles[chunk.article_id]
            starts, spans = article_sentences(article.text)
            for start, end in split_sentences(article.text, chunk.start, chunk.end):
                if (article.id, start) in seen or is_heading(article.text[start:end]):
                    continue
                seen.add((article.id, start))
                i = bisect_right(starts, start) - 1
                found.append((hit, chunk, article, start, end, i))
                wanted.append((article.id, start, end))
                wanted.extend(
                    (article.id, *spans[j]) for j in (i - 1, i + 1) if 0 <= j < len(spans)
                )
    # One read of every sentence vector needed (a round trip, with PostgreSQL).
    similarity = searcher.sentence_similarities(list(dict.fromkeys(wanted)), vector)
    out: list[Candidate] = []
    for hit, chunk, article, start, end, i in found:
        spans = article_sentences(article.text)[1]
        out.append(
            Candidate(
                article=article,
                chunk=chunk,
                start=start,
                end=end,
                hit_rank=hit.rank,
                chunk_dense=hit.dense_score or 0.0,
                lexical_rank=hit.lexical_rank,
                dense=similarity.get((article.id, start, end), 0.0),
                terms=document_terms(article.text[start:end]),
                before=_terms_of(article.text, spans, i - 1),
                after=_terms_of(article.text, spans, i + 1),
                dense_before=_neighbour(similarity, article.id, spans, i - 1),
                dense_after=_neighbour(similarity, article.id, spans, i + 1),
                position=i / max(len(spans) - 1, 1),
            )
        )
    return out


def _neighbour(
    similarity: dict[Span, float], article_id: str, spans: list[tuple[int, int]], i: int
) -> float:
    return similarity.get((article_id, *spans[i]), 0.0) if 0 <= i < len(spans) else 0.0


def _terms_of(text: str, spans: list[tuple[int, int]], i: int) -> frozenset[str]:
    if 0 <= i < len(spans):
        return document_terms(text[spans[i][0] : spans[i][1]])
    return frozenset()


@lru_cache(maxsize=256)
def article_sentences(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Sentence starts and spans of a whole article, cached across questions."""
    spans = split_sentences(text)
    return [a for a, _ in spans], spans


def is_heading(text: str) -> bool:
    """Section titles and bylines state no fact: short and without final punctuation."""
    return len(text.split()) < 10 and not text.rstrip('»”"’) ').endswith((".", "!", "?"))
