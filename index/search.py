"""Hybrid search: dense chunk vectors, French BM25 (lexical) and sentence vectors, fused by
RRF, over any store (index/store/base.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index.embed import VectorEmbeddings
from index.lexical import analyze, document_terms
from index.models import Article, Chunk, Hit
from index.store.base import IndexReader, LexicalStats, Span
from index.store.faiss import LoadedIndex
from index.store.faiss_store import FaissReader
from index.words import content_words

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
    """Searches one build of a store; cheap to create, safe to share between threads."""

    def __init__(
        self,
        reader: IndexReader,
        embedder: VectorEmbeddings,
        settings: SearchSettings | None = None,
    ) -> None:
        self.reader = reader
        self.embedder = embedder
        self.articles: Mapping[str, Article] = reader.articles
        self.lexical: LexicalStats = reader.lexicon
        self.words = reader.words
        self._nearest: dict[str, tuple[str, float] | None] = {}
        self.settings = settings or SearchSettings()

    @classmethod
    def from_index(
        cls, index: LoadedIndex, embedder: VectorEmbeddings, settings: SearchSettings | None = None
    ) -> HybridSearcher:
        return cls(FaissReader(index), embedder, settings)

    @property
    def build_id(self) -> str:
        return self.reader.build_id

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk of the build (tests and benchmarks; PostgreSQL reads them all)."""
        return self.reader.all_chunks()

    def embed(self, query: str) -> NDArray[np.float32]:
        return self.embedder.embed_question(query)

    def dense_search(self, vector: NDArray[np.float32], n: int) -> list[tuple[int, float]]:
        return self.reader.retrieve(vector, None, n).dense

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
        return self.reader.retrieve(vector, None, n).sentences

    def sentence_similarities(
        self, spans: Sequence[Span], vector: NDArray[np.float32]
    ) -> dict[Span, float]:
        """Cosine of each stored sentence among `spans` with a question vector."""
        found = self.reader.sentence_vectors(spans)
        return {span: float(np.dot(v, vector)) for span, v in found.items()}

    def lexical_search(self, query: str, n: int) -> list[tuple[int, float]]:
        return self.reader.retrieve(None, query, n).lexical

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
        dense = mode in ("hybrid", "dense")
        if dense and vector is None:
            vector = self.embed(query)
        retrieved = self.reader.retrieve(
            vector if dense else None,
            query if mode in ("hybrid", "lexical") else None,
            s.candidates,
        )
        for rank, (row, score) in enumerate(retrieved.dense, 1):
            c = found.setdefault(row, _Candidate(row))
            c.dense_score, c.dense_rank = score, rank
            c.fused += s.dense_weight / (s.rrf_k + rank)
        for rank, (row, _) in enumerate(retrieved.sentences, 1):
            found.setdefault(row, _Candidate(row)).fused += s.sentence_weight / (s.rrf_k + rank)
        for rank, (row, score) in enumerate(retrieved.lexical, 1):
            c = found.setdefault(row, _Candidate(row))
            c.lexical_score, c.lexical_rank = score, rank
            c.fused += s.lexical_weight / (s.rrf_k + rank)
        ordered = sorted(found.values(), key=lambda c: (-c.fused, c.row))
        return self._collapse(ordered, k)

    def _collapse(self, ordered: list[_Candidate], k: int) -> list[Hit]:
        """Fold near-identical chunks (wire copies) into the best-ranked one."""
        kept: list[tuple[_Candidate, frozenset[str], list[Chunk]]] = []
        # Copies rank next to each other, so a window a few times k finds them.
        window = ordered[: max(4 * k, 20)]
        chunks = self.reader.chunks(c.row for c in window)
        for cand in window:
            chunk = chunks.get(cand.row)
            if chunk is None:  # removed by an update since it was found
                continue
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
                chunk=chunks[c.row],
                article=self.articles[chunks[c.row].article_id],
                rank=rank,
                score=c.fused,
                dense_score=c.dense_score,
                dense_rank=c.dense_rank,
                lexical_score=c.lexical_score,
                lexical_rank=c.lexical_rank,
                duplicates=tuple(d for d in dups if d.article_id != chunks[c.row].article_id),
            )
            for rank, (c, _, dups) in enumerate(kept, 1)
        ]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
