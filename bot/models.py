"""The records an answer is made of; every front end renders these and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["extractive", "llm"]


@dataclass(frozen=True)
class Citation:
    """A numbered source: `snippet == article.text[start:end]`, checked when built."""

    n: int
    article_id: str
    source: str
    title: str
    snippet: str
    start: int
    end: int
    url: str | None = None
    date: str | None = None  # the article's publication date, ISO 8601, when known
    outlet: str | None = None  # the publisher's name, when known


@dataclass(frozen=True)
class Passage:
    """A full retrieved passage behind a citation, for `:sources` and `/sources`."""

    n: int
    article_id: str
    title: str
    source: str
    text: str
    url: str | None = None
    date: str | None = None
    outlet: str | None = None


@dataclass(frozen=True)
class Answer:
    """What `answer(question)` returns to every front end."""

    question: str
    text: str
    abstained: bool
    mode: Mode
    language: str  # "fr" or "en": the language of the framing words
    citations: tuple[Citation, ...] = field(default=())
    passages: tuple[Passage, ...] = field(default=())
    # When abstaining: the closest passages, labelled "possibly related" by renderers.
    related: tuple[Citation, ...] = field(default=())
    note: str | None = None  # e.g. why the language-model answer was replaced
    # The extractive score compared with the abstention threshold (None in LLM mode).
    confidence: float | None = None
    # In a conversation: the standalone question that was searched (None when alone).
    understood: str | None = None
