"""`newsbot eval --conversations FILE`: follow-ups, first turns and topic switches scored."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.evaluate import QAFileError, holds_fact
from bot.models import Answer


@dataclass(frozen=True)
class ConversationTurn:
    question: str
    expected: tuple[str, ...]
    tags: tuple[str, ...]
    sources: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


@dataclass(frozen=True)
class TurnResult:
    conversation: str
    turn: ConversationTurn
    understood: str
    answer: Answer
    alone: Answer  # the same question asked outside any conversation

    @property
    def correct(self) -> bool:
        return _right(self.answer, self.turn)

    @property
    def correct_alone(self) -> bool:
        return _right(self.alone, self.turn)

    @property
    def clean(self) -> bool:
        """Nothing of the earlier turns changed the answer (for topic switches)."""
        return (self.answer.abstained, self.answer.text) == (self.alone.abstained, self.alone.text)


def _right(answer: Answer, turn: ConversationTurn) -> bool:
    if not turn.answerable:
        return answer.abstained
    return not answer.abstained and holds_fact(answer.text, turn.expected)


def load_conversations(path: Path) -> list[tuple[str, list[ConversationTurn]]]:
    """Each line `{"id", "turns": [{"question", "expected", "sources", "tags"}, …]}`."""
    out: list[tuple[str, list[ConversationTurn]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            turns = [
                ConversationTurn(
                    str(t["question"]),
                    tuple(str(e) for e in t.get("expected", [])),
                    tuple(str(x) for x in t.get("tags", [])),
                    tuple(str(x) for x in t.get("sources", [])),
                )
                for t in record["turns"]
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise QAFileError(f"{path}:{number}: not a conversation ({exc})") from exc
        out.append((str(record.get("id", number)), turns))
    return out


def run_conversations(
    engine: Engine, conversations: Sequence[tuple[str, list[ConversationTurn]]]
) -> list[TurnResult]:
    results = []
    for name, turns in conversations:
        conversation = engine.conversations().get(name)
        for turn in turns:
            answer = engine.answer(turn.question, conversation=conversation)
            alone = engine.answer(turn.question)
            understood = answer.understood or turn.question
            results.append(TurnResult(name, turn, understood, answer, alone))
    return results


def _share(results: Sequence[TurnResult], tag: str, attribute: str) -> tuple[float | None, int]:
    chosen = [r for r in results if tag in r.turn.tags]
    if not chosen:
        return None, 0
    return sum(bool(getattr(r, attribute)) for r in chosen) / len(chosen), len(chosen)


def conversation_figures(results: Sequence[TurnResult]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for key, tag, attribute in (
        ("follow_ups_right", "follow-up", "correct"),
        ("follow_ups_right_alone", "follow-up", "correct_alone"),
        ("first_turns_right", "first", "correct"),
        ("first_turns_right_alone", "first", "correct_alone"),
        ("topic_switches_clean", "topic-switch", "clean"),
        ("topic_switches_right", "topic-switch", "correct"),
        ("after_refusal_right", "after-refusal", "correct"),
        ("english_turns_right", "english", "correct"),
    ):
        share, count = _share(results, tag, attribute)
        figures[key] = None if share is None else round(share, 4)
        figures[f"{key}_n"] = count
    return figures


def render_conversations(results: Sequence[TurnResult], failures: int = 30) -> str:
    figures = conversation_figures(results)
    lines = [
        f"{key:28} {value if value is not None else '-'}  (n={figures[key + '_n']})"
        for key, value in figures.items()
        if not key.endswith("_n")
    ]
    wrong = [r for r in results if not r.correct or ("topic-switch" in r.turn.tags and not r.clean)]
    if wrong:
        lines.append("")
        lines.append("turns wrong:")
        for r in wrong[:failures]:
            shown = r.answer.text.replace("\n", " ")[:120]
            lines.append(f"  {r.conversation} {r.turn.question!r} → {r.understood!r}: {shown}")
    return "\n".join(lines)


def check_conversation_floors(
    results: Sequence[TurnResult],
    min_follow_ups: float | None,
    min_first: float | None,
    min_clean: float | None,
) -> list[str]:
    figures = conversation_figures(results)
    missed = []
    for key, floor in (
        ("follow_ups_right", min_follow_ups),
        ("first_turns_right", min_first),
        ("topic_switches_clean", min_clean),
    ):
        value = figures[key]
        if floor is not None and (value is None or value < floor):
            missed.append(f"{key} {value} < {floor}")
    return missed


def load_ideal(path: Path, conversations_file: str) -> dict[tuple[str, int], str]:
    """Standalone rewrites written by hand for the follow-ups of `conversations_file`
    (lines `{"file", "id", "turn", "standalone"}`; `turn` counts from 0)."""
    out: dict[tuple[str, int], str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if record["file"] == conversations_file:
                out[(str(record["id"]), int(record["turn"]))] = str(record["standalone"])
        except (ValueError, KeyError, TypeError) as exc:
            raise QAFileError(f"{path}:{number}: not an ideal rewrite ({exc})") from exc
    return out


def ideal_figures(
    engine: Engine,
    conversations: Sequence[tuple[str, list[ConversationTurn]]],
    ideal: dict[tuple[str, int], str],
) -> dict[str, Any]:
    """Follow-ups right when their hand-written standalone question is asked alone: what a
    perfect rewrite would get from the answer step."""
    scored = [
        _right(engine.answer(ideal[(name, i)]), turn)
        for name, turns in conversations
        for i, turn in enumerate(turns)
        if "follow-up" in turn.tags and (name, i) in ideal
    ]
    share = round(sum(scored) / len(scored), 4) if scored else None
    return {"follow_ups_right_ideal": share, "follow_ups_right_ideal_n": len(scored)}
