"""`newsbot eval --feedback`: the 👎 / "mauvaise source" log replayed against the engine."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.evaluate.report import shorten
from index.errors import NewsbotError

log = logging.getLogger("newsbot.eval")

NEGATIVE_KINDS = ("down", "bad_source")


class FeedbackFileError(NewsbotError):
    """The feedback log to replay does not exist."""


@dataclass(frozen=True)
class FeedbackReplay:
    """A negatively rated answer beside what the engine answers now."""

    question: str
    kinds: tuple[str, ...]  # the negative clicks it got ("down", "bad_source")
    time: str
    old_answer: str
    new_answer: str
    new_abstained: bool

    @property
    def changed(self) -> bool:
        return " ".join(self.old_answer.split()) != " ".join(self.new_answer.split())


@dataclass(frozen=True)
class NegativeFeedback:
    """The negative entries of a feedback log (one per answer) and how many lines were bad."""

    entries: tuple[dict[str, Any], ...]
    skipped: int


# --- feedback replay -------------------------------------------------------------------


def read_negative_feedback(path: Path) -> NegativeFeedback:
    """The 👎 / "mauvaise source" entries of a feedback log, one per answer, oldest first.

    Broken lines (a torn write, hand edits) are skipped and counted, not fatal.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        raise FeedbackFileError(f"no feedback log at {path}") from None
    by_answer: dict[str, dict[str, Any]] = {}
    skipped = 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            skipped += 1
            continue
        if not _valid_feedback(record):
            skipped += 1
            continue
        if record["kind"] not in NEGATIVE_KINDS:
            continue
        key = str(record.get("answer_id") or f"{record['question']}\0{record['answer']}")
        entry = by_answer.setdefault(key, {**record, "kinds": []})
        if record["kind"] not in entry["kinds"]:
            entry["kinds"].append(record["kind"])
    return NegativeFeedback(tuple(by_answer.values()), skipped)


def _valid_feedback(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("kind"), str)
        and isinstance(record.get("question"), str)
        and bool(record["question"].strip())
        and isinstance(record.get("answer"), str)
    )


def replay_feedback(engine: Engine, path: Path) -> list[FeedbackReplay]:
    """Ask each negatively rated question again; the old answer beside the new one."""
    feedback = read_negative_feedback(path)
    if feedback.skipped:
        log.warning("skipped %d broken line(s) in %s", feedback.skipped, path)
    replays = []
    for entry in feedback.entries:
        try:
            new = engine.answer(entry["question"])
            new_text, new_abstained = new.text, new.abstained
        except NewsbotError as exc:  # e.g. a question the cleaner now rejects
            new_text, new_abstained = f"(error: {exc})", True
        replays.append(
            FeedbackReplay(
                question=entry["question"],
                kinds=tuple(entry["kinds"]),
                time=str(entry.get("time", "")),
                old_answer=entry["answer"],
                new_answer=new_text,
                new_abstained=new_abstained,
            )
        )
    return replays


def render_replay(replays: Sequence[FeedbackReplay], skipped: int = 0) -> str:
    """Old and new answers, one block per negatively rated question."""
    if not replays:
        lines = ["no negative feedback to replay"]
    else:
        changed = sum(r.changed for r in replays)
        lines = [f"{len(replays)} negatively rated answer(s), {changed} now answered differently"]
    for r in replays:
        status = "changed" if r.changed else "unchanged"
        lines += [
            "",
            f"[{', '.join(r.kinds)}] {r.time} ({status}): {r.question}",
            f"  before: {shorten(r.old_answer)}",
            f"  now:    {shorten(r.new_answer)}",
        ]
    if skipped:
        lines.append(f"\n({skipped} broken line(s) skipped)")
    return "\n".join(lines)
