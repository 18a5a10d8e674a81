"""An article's own bracketed numbers ("[3]" in a quote), shown so that no reader takes
them for one of the answer's citation markers: `\\[3]`, in every front end."""

from __future__ import annotations

import re

from bot.models import Answer

_ARTICLE_BRACKETS = re.compile(r"(?<!\\)\[(\s*\d+(?:\s*[,;\-–]\s*\d+)*\s*)\]")


def escape_literal_markers(article_text: str) -> str:
    """Article text with every "[3]" written "\\[3]" (the backslash stays visible)."""
    return _ARTICLE_BRACKETS.sub(r"\\[\1]", article_text)


def answer_display_text(answer: Answer) -> str:
    """The answer's text with the brackets inside its quoted snippets escaped; the
    citation markers the answer itself adds are left as they are."""
    text = answer.text
    spans: list[tuple[int, int]] = []
    for citation in (*answer.citations, *answer.related):
        snippet = citation.snippet
        if not snippet or not _ARTICLE_BRACKETS.search(snippet):
            continue
        start = text.find(snippet)
        while start != -1:
            spans.append((start, start + len(snippet)))
            start = text.find(snippet, start + len(snippet))
    if not spans:
        return text
    pieces: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:  # overlapping copies: the part already escaped stays
            start = last
        pieces.append(text[last:start])
        pieces.append(escape_literal_markers(text[start:end]))
        last = max(last, end)
    pieces.append(text[last:])
    return "".join(pieces)
