"""One interface, two stores: what `newsbot index` writes and what search reads.

`newsbot index` computes the whole new state (`BuildUpdate`) and hands it to a store's
`write`, which applies it in one step readers never see half of: the FAISS store writes
a new build folder and swaps `CURRENT`, the PostgreSQL store adds, replaces and deletes
rows in one transaction. Search and the answer core read a build through `IndexReader`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from index.models import Article, Chunk
from index.words import WordVectors

Span = tuple[str, int, int]  # (article id, start, end) of a chunk or a sentence
Vector = NDArray[np.float32]
Ranked = list[tuple[int, float]]  # (chunk id, score), best first


@dataclass(frozen=True)
class StoreState:
    """What the live build holds and how it was made: enough to tell whether a run of
    `newsbot index` has anything to do."""

    build_id: str
    embedder: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    article_count: int
    chunk_count: int
    articles: dict[str, str]  # article key (source) -> content hash
    files: dict[str, str]  # source file or URL -> sha256 of what was read
    skipped: dict[str, str]  # source (file or file#Lnn) -> why it was not indexed


Held = NDArray[np.bool_]


class StoredSpans(Protocol):
    """Which spans the live build holds a vector for: the next build neither embeds them
    again nor reads their vectors back, the store keeps them in place (`BuildUpdate.kept`)."""

    def held(self, chunks: Sequence[Span], sentences: Sequence[Span]) -> tuple[Held, Held]:
        """For each chunk and each sentence, whether the store has its vector."""
        ...


def _held(spans: Sequence[Span], known: frozenset[Span]) -> Held:
    return np.fromiter((s in known for s in spans), dtype=np.bool_, count=len(spans))


@dataclass(frozen=True)
class StoredRows:
    """Stored spans as the previous build's own chunk and sentence spans (the FAISS store,
    whose indexes keep a vector per slot)."""

    chunks: frozenset[Span]
    sentences: frozenset[Span]

    def held(self, chunks: Sequence[Span], sentences: Sequence[Span]) -> tuple[Held, Held]:
        return _held(chunks, self.chunks), _held(sentences, self.sentences)


@dataclass(frozen=True)
class StoredArticles:
    """Stored spans by article: a store that keeps every row of an article it already
    holds (same id, so the same text and spans) has the vector of each of its spans."""

    ids: frozenset[str]

    def held(self, chunks: Sequence[Span], sentences: Sequence[Span]) -> tuple[Held, Held]:
        ids = self.ids
        return tuple(  # type: ignore[return-value]
            np.fromiter((s[0] in ids for s in part), dtype=np.bool_, count=len(part))
            for part in (chunks, sentences)
        )


@dataclass(frozen=True)
class PreviousBuild:
    """The live build as the next one reuses it: its articles, and which spans it holds
    vectors for, so that unchanged text is not embedded again."""

    state: StoreState
    articles: dict[str, Article]
    stored: StoredSpans
    words: WordVectors
    # What a store may also hand on, so that unchanged articles are not split and counted
    # again: the spans of its chunks and sentences (empty when it does not say) and how
    # many chunks use each content word (index/words.py; None when not kept).
    chunks: Sequence[Span] = ()
    sentences: Sequence[Span] = ()
    word_counts: Mapping[str, int] | None = None


@dataclass(frozen=True)
class BuildUpdate:
    """The complete new state of the index; chunk i has row i of `vectors`."""

    articles: list[Article]
    chunks: list[Chunk]
    vectors: NDArray[np.float32]
    sentences: list[Span]
    sentence_vectors: NDArray[np.float32]
    words: WordVectors
    embedder: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    files: dict[str, str]
    skipped: dict[str, str]
    rebuild: bool = False  # everything re-embedded: a store rewrites every row
    word_counts: Mapping[str, int] | None = None  # chunks using each content word
    # Rows whose vector the store already holds (`PreviousBuild.stored`): left zero in
    # `vectors` / `sentence_vectors`, the store keeps its own. None: every row is given.
    kept: NDArray[np.bool_] | None = None
    sentences_kept: NDArray[np.bool_] | None = None


class LexicalStats(Protocol):
    """Corpus term statistics the answer features read (index/lexical.py's LexicalIndex)."""

    @property
    def size(self) -> int: ...

    def idf(self, term: str) -> float: ...

    def vocabulary(self) -> Mapping[str, int]: ...


@dataclass(frozen=True)
class Retrieved:
    """The three ranked lists one question fuses, read from one state of the store."""

    dense: Ranked  # chunks by the cosine of their vector with the question's
    sentences: Ranked  # chunks by the cosine of their best sentence
    lexical: Ranked  # chunks by BM25 (positive scores only)
    lexical_exact: bool = True  # False: a bounded search may have missed some of its top


class IndexReader(Protocol):
    """One build, as search (index/search.py) and the answer core read it."""

    @property
    def build_id(self) -> str: ...

    @property
    def articles(self) -> Mapping[str, Article]: ...

    @property
    def words(self) -> WordVectors: ...

    @property
    def lexicon(self) -> LexicalStats: ...

    @property
    def dimension(self) -> int: ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Held for one question: everything read inside comes from one state."""
        ...

    def retrieve(self, vector: Vector | None, query: str | None, n: int) -> Retrieved:
        """Top `n` chunks by each retriever: dense and sentences when `vector` is given,
        lexical when `query` is (the sentence list may name up to 3n sentences' chunks)."""
        ...

    def chunks(self, ids: Iterable[int]) -> dict[int, Chunk]:
        """The chunks with these ids (ids of a build never change meaning)."""
        ...

    def sentence_vectors(self, spans: Sequence[Span]) -> dict[Span, Vector]:
        """The stored vectors of these sentences; a span that is no sentence is left out."""
        ...

    def all_chunks(self) -> list[Chunk]:
        """Every chunk, in id order (tests and the benchmark's quality scorer)."""
        ...


class IndexStore(Protocol):
    """Where builds live: a FAISS folder or a PostgreSQL database."""

    @property
    def location(self) -> str:
        """Where it is, for messages (a folder, or a database URL without its password)."""
        ...

    def current_build_id(self) -> str | None:
        """The live build's id, None before the first build. Cheap: asked per question."""
        ...

    def state(self) -> StoreState | None:
        """The live build's state, None when absent or damaged (a full build follows)."""
        ...

    def previous(self, embedder: str, dimension: int) -> PreviousBuild | None:
        """The live build for reuse, None when absent, damaged or made by another embedder."""
        ...

    def lock(self) -> AbstractContextManager[Any]:
        """Held for a whole build, so that two indexers never interleave."""
        ...

    def write(self, update: BuildUpdate) -> str:
        """Make `update` the live build atomically and return its build id."""
        ...

    def open_reader(self, embedder: str, dimension: int) -> IndexReader:
        """The live build, ready to search; checked against the configured embedder."""
        ...


def chunk_of_sentences(chunks: list[Chunk], sentences: list[Span]) -> list[int]:
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
