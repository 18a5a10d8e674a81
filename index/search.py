"""Hybrid search: FAISS (dense), French BM25 (lexical) and sentence vectors, fused by RRF."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.embed import VectorEmbeddings
from index.lexical import LexicalIndex, analyze, document_terms
from index.models import Article, Chunk, Hit
from index.store.faiss import LoadedIndex, Span, build_dense_index
from index.words import WordVectors, content_words

# English question words read as corpus words, at most (one embedding each).
MAX_BRIDGED_WORDS = 30


@dataclass(frozen=True)
class SearchSettings:
    """Fusion knobs; the defaults were chosen with `newsbot eval` on the gold set."""

    candidates: int = 50  # taken from each retriever before fusion
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    sentence_weight: float = 1.5  # best single sentence of a chunk against the question
    duplicate_jaccard: float = 0.8  # term-set overlap above which two chunks are one text


@dataclass
class _Candidate:
    row: int
    dense_score: float | None = None
    dense_rank: int | None = None
    lexical_score: float | None = None
    lexical_rank: int | None = None
    fused: float = 0.0


class HybridSearcher:
    """Searches one loaded index; cheap to create, safe to share between threads."""

    def __init__(
        self,
        *,
        articles: dict[str, Article],
        chunks: list[Chunk],
        dense: Any,
        lexical: LexicalIndex,
        embedder: VectorEmbeddings,
        sentences: list[Span] | None = None,
        sentence_index: Any = None,
        sentence_vectors: NDArray[np.float32] | None = None,
        words: WordVectors | None = None,
        settings: SearchSettings | None = None,
    ) -> None:
        self.articles = articles
        self.chunks = chunks
        self.embedder = embedder
        self.lexical = lexical
        self._dense = dense
        self.sentences = sentences or []
        if sentence_index is None:
            vectors = (
                sentence_vectors
                if sentence_vectors is not None
                else np.zeros((0, embedder.dimension), dtype=np.float32)
            )
            sentence_index = build_dense_index(vectors, quantized=True)
        self.sentence_index = sentence_index
        self._sentence_chunk = _chunk_of_sentences(chunks, self.sentences)
        self.sentence_rows = {span: row for row, span in enumerate(self.sentences)}
        self.words = words or WordVectors((), np.zeros((0, embedder.dimension), np.float32))
        self._nearest: dict[str, tuple[str, float] | None] = {}
        self.settings = settings or SearchSettings()

    @classmethod
    def from_index(
        cls, index: LoadedIndex, embedder: VectorEmbeddings, settings: SearchSettings | None = None
    ) -> HybridSearcher:
        return cls(
            articles=index.articles,
            chunks=index.chunks,
            dense=index.dense,
            lexical=index.lexical,
            embedder=embedder,
            sentences=index.sentences,
            sentence_index=index.sentence_index,
            words=index.words,
            settings=settings,
        )

    def embed(self, query: str) -> NDArray[np.float32]:
        return self.embedder.embed_question(query)

    def dense_search(self, vector: NDArray[np.float32], n: int) -> list[tuple[int, float]]:
        if self._dense.ntotal == 0:
            return []
        scores, rows = self._dense.search(vector[None, :], min(n, self._dense.ntotal))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def bridge(self, question: str, min_similarity: float) -> list[str]:
        """The corpus words an English question's words stand for ("treaty" -> "traité"):
        each content word's nearest corpus word, when at least `min_similarity` close.
        Words the articles already use ("Pyongyang") need no bridge."""
        vocabulary = self.lexical.vocabulary()
        words = [
            word
            for word in dict.fromkeys(content_words(question))
            if (terms := analyze(word)) and terms[0] not in vocabulary
        ][:MAX_BRIDGED_WORDS]  # each new word costs an embedding
        nearest = self._nearest_words(words)
        return [
            n[0] for n in (nearest[w] for w in words) if n is not None and n[1] >= min_similarity
        ]

    def _nearest_words(self, words: list[str]) -> dict[str, tuple[str, float] | None]:
        # The same words come back question after question ("Putin", "North", "Korea"):
        # remembered, within a bound; the others are embedded in one batch.
        known: dict[str, tuple[str, float] | None] = {}
        todo: list[str] = []
        for word in words:
            try:  # not `in` then `[]`: another thread may clear the cache in between
                known[word] = self._nearest[word]
            except KeyError:
                todo.append(word)
        if todo:
            if len(self._nearest) + len(todo) > 10_000:
                self._nearest.clear()
            for word, vector in zip(todo, self.embedder.embed_questions(todo), strict=True):
                known[word] = self._nearest[word] = self.words.nearest(vector)
        return known

    def sentence_search(self, vector: NDArray[np.float32], n: int) -> list[tuple[int, float]]:
        """Chunks ranked by their best sentence's similarity to the question."""
        if not len(self.sentences):
            return []
        n = min(n * 3, self.sentence_index.ntotal)
        scores, rows = self.sentence_index.search(vector[None, :], n)
        ranked: dict[int, float] = {}
        for row, score in zip(rows[0], scores[0], strict=True):
            if row >= 0:
                ranked.setdefault(self._sentence_chunk[int(row)], float(score))
        return list(ranked.items())

    def sentence_similarity(self, row: int, vector: NDArray[np.float32]) -> float:
        """Cosine of one stored sentence with a question vector."""
        return float(np.dot(self.sentence_index.reconstruct(row), vector))

    def lexical_search(self, query: str, n: int) -> list[tuple[int, float]]:
        return [(m.row, m.score) for m in self.lexical.search(query, n)]

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        mode: str = "hybrid",
        vector: NDArray[np.float32] | None = None,
    ) -> list[Hit]:
        """The `k` best distinct chunks for `query`; `mode` is hybrid, dense or lexical."""
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"unknown search mode {mode!r}: use hybrid, dense or lexical")
        s = self.settings
        found: dict[int, _Candidate] = {}
        if mode in ("hybrid", "dense"):
            vector = self.embed(query) if vector is None else vector
            for rank, (row, score) in enumerate(self.dense_search(vector, s.candidates), 1):
                c = found.setdefault(row, _Candidate(row))
                c.dense_score, c.dense_rank = score, rank
                c.fused += s.dense_weight / (s.rrf_k + rank)
            for rank, (row, _) in enumerate(self.sentence_search(vector, s.candidates), 1):
                found.setdefault(row, _Candidate(row)).fused += s.sentence_weight / (s.rrf_k + rank)
        if mode in ("hybrid", "lexical"):
            for rank, (row, score) in enumerate(self.lexical_search(query, s.candidates), 1):
                c = found.setdefault(row, _Candidate(row))
                c.lexical_score, c.lexical_rank = score, rank
                c.fused += s.lexical_weight / (s.rrf_k + rank)
        ordered = sorted(found.values(), key=lambda c: (-c.fused, c.row))
        return self._collapse(ordered, k)

    def _collapse(self, ordered: list[_Candidate], k: int) -> list[Hit]:
        """Fold near-identical chunks (wire copies) into the best-ranked one."""
        kept: list[tuple[_Candidate, frozenset[str], list[Chunk]]] = []
        # Copies rank next to each other, so a window a few times k finds them.
        for cand in ordered[: max(4 * k, 20)]:
            chunk = self.chunks[cand.row]
            terms = document_terms(chunk.text)
            for _, kept_terms, dups in kept:
                if _jaccard(terms, kept_terms) >= self.settings.duplicate_jaccard:
                    dups.append(chunk)
                    break
            else:
                if len(kept) < k:
                    kept.append((cand, terms, []))
        return [
            Hit(
                chunk=self.chunks[c.row],
                article=self.articles[self.chunks[c.row].article_id],
                rank=rank,
                score=c.fused,
                dense_score=c.dense_score,
                dense_rank=c.dense_rank,
                lexical_score=c.lexical_score,
                lexical_rank=c.lexical_rank,
                duplicates=tuple(d for d in dups if d.article_id != self.chunks[c.row].article_id),
            )
            for rank, (c, _, dups) in enumerate(kept, 1)
        ]


def _chunk_of_sentences(chunks: list[Chunk], sentences: list[Span]) -> list[int]:
    """For each sentence, the first chunk that contains its start."""
    starts: dict[str, tuple[list[int], list[int]]] = {}
    for chunk in chunks:
        positions, rows = starts.setdefault(chunk.article_id, ([], []))
        positions.append(chunk.start)
        rows.append(chunk.id)
    owners: list[int] = []
    for article_id, start, _ in sentences:
        positions, rows = starts[article_id]
        owners.append(rows[max(0, bisect_right(positions, start) - 1)])
    return owners


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
