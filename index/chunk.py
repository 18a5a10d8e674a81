"""Split cleaned articles into sentence-aligned, overlapping chunks with exact spans."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from index.models import Article, Chunk

# Abbreviations after which a period does not end a sentence (French and English news).
# "etc." and "ex." are left out: they often do end one, and when they do not, the next
# word is lowercase, which `_is_boundary` already treats as a continuation.
_ABBREVIATIONS = frozenset(
    "m mm mme mmes mlle dr pr st ste me mgr gén col cdt lt sgt av bd cf "
    "mr mrs ms prof jr sr vs".split()
)
# Abbreviations that are also common words ("le vol.", "l'art."): not a sentence end only
# when a number follows ("art. 49", "vol. 2", "p. 12").
_BEFORE_NUMBER = frozenset("art vol no p pp env".split())
# A sentence ends at . ! ? … (plus closing quotes/brackets) before whitespace, or at a
# line break; whether a period really ends one is decided in `_is_boundary`.
_END = re.compile(r"[.!?…]+(?:[\u00a0\u202f ]?[\"»”’)\]])*(?=\s)|\n+")
_WORD_BEFORE = re.compile(r"(\w+)\W*$")


@dataclass(frozen=True)
class ChunkSettings:
    """How articles are cut: a target size in characters and sentences of overlap."""

    size: int = 900
    overlap: int = 1

    def __post_init__(self) -> None:
        if self.size < 50:
            raise ValueError("chunk size must be at least 50 characters")
        if self.overlap < 0:
            raise ValueError("chunk overlap cannot be negative")


def _is_boundary(text: str, end: int, punct: str) -> bool:
    if punct.startswith("\n"):
        return True
    nxt = text[end:].lstrip()[:1]
    # A lowercase word next means the sentence goes on: an abbreviation after ".", an
    # incise after "?" or "!" (« Pourquoi ? » demande-t-il), a trailing-off "…".
    if nxt.islower():
        return False
    if punct[0] in "!?…":
        return True
    word = _WORD_BEFORE.search(text, max(0, end - len(punct) - 20), end - len(punct) + 1)
    token = word.group(1) if word else ""
    if token.lower() in _ABBREVIATIONS or (token.lower() in _BEFORE_NUMBER and nxt.isdigit()):
        return False
    # A single capital before the period is an initial ("J. Biden"), not a sentence end.
    return not (len(token) == 1 and token.isupper())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text[start:end]`, trimmed of whitespace."""
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _END.finditer(text, start, stop):
        if not _is_boundary(text, match.end(), match.group()):
            continue
        spans.extend(_trimmed(text, cursor, match.end()))
        cursor = match.end()
    spans.extend(_trimmed(text, cursor, stop))
    return spans


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield (start, end)


def chunk_article(article: Article, settings: ChunkSettings, first_id: int = 0) -> list[Chunk]:
    """Group whole sentences into chunks of about `settings.size` characters."""
    sentences = split_sentences(article.text)
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i
        # Always take at least one sentence, however long, so no text is dropped.
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= settings.size:
            j += 1
        start, end = sentences[i][0], sentences[j][1]
        chunks.append(
            Chunk(
                id=first_id + len(chunks),
                article_id=article.id,
                start=start,
                end=end,
                text=article.text[start:end],
            )
        )
        if j + 1 >= len(sentences):
            break
        i = max(i + 1, j + 1 - settings.overlap)
    return chunks


def chunk_articles(articles: Iterable[Article], settings: ChunkSettings) -> list[Chunk]:
    """Chunk every article; chunk ids are positions in the returned list."""
    chunks: list[Chunk] = []
    for article in articles:
        chunks.extend(chunk_article(article, settings, first_id=len(chunks)))
    return chunks
