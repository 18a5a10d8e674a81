"""The frozen records that flow between the index stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceDocument:
    """One article as read from disk, before cleaning."""

    text: str
    origin: str  # the file it came from, relative to the source folder
    title: str | None = None
    url: str | None = None
    date: str | None = None
    source: str | None = None  # publisher name, when the data gives one
    line: int | None = None  # line number inside a .jsonl file


@dataclass(frozen=True)
class Article:
    """A cleaned article with a stable content-hash id."""

    id: str
    title: str
    text: str
    source: str  # URL when known, else the file path (with `#Lnn` for jsonl lines)
    origin: str
    url: str | None = None
    date: str | None = None
    publisher: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A file (or jsonl line) that could not be indexed, and why."""

    origin: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned window of an article: `text == article.text[start:end]`."""

    id: int
    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """One search result with both retrievers' evidence, for ranking and abstention."""

    chunk: Chunk
    article: Article
    rank: int  # 1-based rank after fusion and de-duplication
    score: float  # fused score
    dense_score: float | None
    dense_rank: int | None
    lexical_score: float | None
    lexical_rank: int | None
    duplicates: tuple[Chunk, ...] = field(default=())  # same text in other articles


@dataclass(frozen=True)
class RemoteDocument:
    """The article(s) read from one URL, with a digest of everything indexed from them."""

    origin: str  # the URL
    digest: str
    documents: tuple[SourceDocument, ...]


@dataclass(frozen=True)
class RemoteRead:
    documents: tuple[RemoteDocument, ...] = ()
    failures: tuple[Skipped, ...] = ()  # one per URL that failed (its cached copy may stand in)
