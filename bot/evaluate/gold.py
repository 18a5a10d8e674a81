"""The gold file (one JSON question per line) and what counts as holding its answer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.models import Answer
from index.errors import NewsbotError
from index.lexical import fold_accents
from index.models import Chunk, Hit


class QAFileError(NewsbotError):
    """The question file is missing or a line of it is not a valid gold question."""


@dataclass(frozen=True)
class GoldQuestion:
    """One line of a gold file; `expected == ()` means the articles do not answer it."""

    question: str
    expected: tuple[str, ...]
    sources: tuple[str, ...]  # seed file names (`Article.origin`) that state the answer
    tags: tuple[str, ...]
    line: int

    @property
    def answerable(self) -> bool:
        return bool(self.expected)

    @property
    def all_tags(self) -> tuple[str, ...]:
        """The file's tags plus "answerable" or "unanswerable"."""
        kind = "answerable" if self.answerable else "unanswerable"
        return self.tags if kind in self.tags else (*self.tags, kind)


# --- the gold file ---------------------------------------------------------------------


def load_questions(path: Path) -> list[GoldQuestion]:
    """Read a gold JSONL file; raises QAFileError naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QAFileError(f"no question file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QAFileError(f"cannot read {path}: {exc}") from None
    questions = [_parse_question(raw, path, n) for n, raw in enumerate(lines, 1) if raw.strip()]
    if not questions:
        raise QAFileError(f"{path} holds no questions — one JSON object per line")
    return questions


def _parse_question(raw: str, path: Path, line: int) -> GoldQuestion:
    where = f"{path}:{line}"
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise QAFileError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise QAFileError(f"{where}: expected a JSON object")
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise QAFileError(f"{where}: 'question' must be a non-empty string")
    expected = _strings(record, "expected", where)
    sources = _strings(record, "sources", where, required=False)
    tags = _strings(record, "tags", where, required=False)
    if any(not s.strip() for s in expected):
        raise QAFileError(f"{where}: 'expected' holds an empty string")
    return GoldQuestion(question.strip(), expected, sources, tags, line)


def _strings(
    record: dict[str, Any], key: str, where: str, *, required: bool = True
) -> tuple[str, ...]:
    value = record.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QAFileError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


# --- matching --------------------------------------------------------------------------


def holds_fact(text: str, expected: Iterable[str]) -> bool:
    """Any expected string occurs in `text`, ignoring case and accents."""
    folded = fold_accents(text)
    return any(fold_accents(e) in folded for e in expected)


def _chunk_holds(chunk: Chunk, origin: str, q: GoldQuestion) -> bool:
    # An expected string such as "Séoul" also occurs in unrelated articles, so a passage
    # counts only when it comes from a listed source (see tests/data/README.md).
    from_source = not q.sources or origin in q.sources
    return from_source and holds_fact(chunk.text, q.expected)


def first_hit_rank(hits: Sequence[Hit], q: GoldQuestion, origins: dict[str, str]) -> int | None:
    """The rank of the first hit whose chunk (or a duplicate of it) holds the answer."""
    for hit in sorted(hits, key=lambda h: h.rank):
        if _chunk_holds(hit.chunk, hit.article.origin, q) or any(
            _chunk_holds(d, origins.get(d.article_id, ""), q) for d in hit.duplicates
        ):
            return hit.rank
    return None


def good_citations(answer: Answer, q: GoldQuestion, origins: dict[str, str]) -> int:
    """Citations whose snippet, or the passage it was quoted from, holds the answer."""
    passages = {p.n: p.text for p in answer.passages}
    count = 0
    for c in answer.citations:
        from_source = not q.sources or origins.get(c.article_id) in q.sources
        text_holds = holds_fact(c.snippet, q.expected) or holds_fact(
            passages.get(c.n, ""), q.expected
        )
        count += from_source and text_holds
    return count
