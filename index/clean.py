"""Strip scraped boilerplate from article text and turn `SourceDocument`s into `Article`s.

Cleaning only removes whole boilerplate lines and normalises whitespace: the words and
the typography (’ « » …) are kept exactly, since answers quote the cleaned text verbatim.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from index.dates import iso_date
from index.models import Article, SourceDocument
from index.urls import url_problem

log = logging.getLogger("newsbot.index")

_RULES_FILE = "data/boilerplate.toml"
# Invisible characters scrapers leave inside words; removing them changes no visible text.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_SPACE_RUN = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# A sentence ends after two word characters, so "M. Poutine" or "U.S." do not end one.
_SENTENCE_END = re.compile(r"(?<=\w\w)[.!?…](?=\s|$)")
_TITLE_LINE_MAX = 120
_TITLE_SENTENCE_MAX = 80


class RuleKind(StrEnum):
    """What a boilerplate rule does to the line it matches."""

    DROP_LINE = "drop_line"
    CUT_TO_END = "cut_to_end"  # drop the line and everything after it


@dataclass(frozen=True)
class BoilerplateRule:
    """A named pattern matched against a whole trimmed line, case-insensitively."""

    name: str
    kind: RuleKind
    pattern: re.Pattern[str]


@cache
def boilerplate_rules() -> tuple[BoilerplateRule, ...]:
    """The rules in `index/data/boilerplate.toml`, compiled once on first use."""
    raw = resources.files("index").joinpath(_RULES_FILE).read_text(encoding="utf-8")
    entries = tomllib.loads(raw).get("rule", [])
    try:
        return tuple(
            BoilerplateRule(
                name=str(entry["name"]),
                kind=RuleKind(entry["kind"]),
                pattern=re.compile(entry["pattern"], re.IGNORECASE),
            )
            for entry in entries
        )
    except (KeyError, ValueError, re.error) as exc:
        raise ValueError(f"bad rule in index/{_RULES_FILE}: {exc}") from exc


def matching_rule(line: str) -> BoilerplateRule | None:
    """The first rule that matches the whole (trimmed) line, if any."""
    stripped = line.strip()
    return next((rule for rule in boilerplate_rules() if rule.pattern.fullmatch(stripped)), None)


def clean_text(text: str) -> str:
    """Article text without boilerplate lines, in NFC, with tidy whitespace.

    Runs of spaces become one space, lines are trimmed, and paragraph breaks are kept as
    "\\n" or "\\n\\n" (never more). Non-breaking spaces are French typography and are kept.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    kept: list[str] = []
    for raw_line in text.splitlines():
        line = _SPACE_RUN.sub(" ", raw_line).strip()
        rule = matching_rule(line) if line else None
        if rule is None:
            kept.append(line)
        elif rule.kind is RuleKind.CUT_TO_END:
            break
    return _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()


def derive_title(doc: SourceDocument, cleaned: str) -> str:
    """The data's title; else an opening title-like line; else the first sentence, cut.

    A title line found in the text stays in the text: it is what the publisher printed,
    and answers may quote it.
    """
    if doc.title and doc.title.strip():
        return " ".join(unicodedata.normalize("NFC", doc.title).split())
    first_line, _, rest = cleaned.partition("\n")
    if rest.strip() and _looks_like_title(first_line):
        return first_line
    return _first_sentence_title(first_line)


def content_id(cleaned: str) -> str:
    """A stable id for an article: the first 16 hex digits of its text's SHA-256."""
    return hashlib.sha256(cleaned.encode("utf-8")).hexdigest()[:16]


def make_article(doc: SourceDocument) -> Article | None:
    """The cleaned article, or None when nothing but boilerplate was left."""
    cleaned = clean_text(doc.text)
    if not cleaned:
        return None
    origin_source = doc.origin if doc.line is None else f"{doc.origin}#L{doc.line}"
    url = doc.url
    problem = url_problem(url) if url else None
    if problem:
        # The article is kept; only its link goes, so no front end has to parse it.
        log.warning("%s: URL dropped, %s", origin_source, problem)
        url = None
    return Article(
        id=content_id(cleaned),
        title=derive_title(doc, cleaned),
        text=cleaned,
        source=url or origin_source,
        origin=doc.origin,
        url=url,
        date=iso_date(doc.date),
        publisher=doc.source,
    )


def _looks_like_title(line: str) -> bool:
    # A sentence ends with a period; a line ending with ":" or "," introduces what follows.
    return 0 < len(line) < _TITLE_LINE_MAX and not line.endswith((".", ":", ",", ";"))


def _first_sentence_title(paragraph: str) -> str:
    end = _SENTENCE_END.search(paragraph)
    sentence = paragraph[: end.end()] if end else paragraph
    if len(sentence) <= _TITLE_SENTENCE_MAX:
        return sentence.removesuffix(".")
    # One character more, so a word ending exactly at the limit is kept whole.
    cut = sentence[: _TITLE_SENTENCE_MAX + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:_TITLE_SENTENCE_MAX]
    return cut.rstrip(" ,;:—–-") + "…"
