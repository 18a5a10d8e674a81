"""The conversation eval's figures and floors, on a scripted engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest

from bot.conversation import Conversation, Conversations, Turn
from bot.evaluate import QAFileError
from bot.evaluate_conversations import (
    check_conversation_floors,
    conversation_figures,
    ideal_figures,
    load_conversations,
    load_ideal,
    run_conversations,
)
from bot.models import Answer


class ScriptedEngine:
    """Answers "Vietnam" to any question that names Poutine, refuses the rest."""

    def conversations(self) -> Conversations:
        return Conversations(max_turns=4, max_conversations=4, idle_seconds=60)

    def answer(
        self, question: str, k: int | None = None, *, conversation: Conversation | None = None
    ) -> Answer:
        understood = conversation.understand(question) if conversation else question
        named = "Poutine" in understood
        text = "Poutine se rendra au Vietnam." if named else "Je n'ai pas trouvé."
        if conversation is not None:
            conversation.add(Turn(question, understood, (text,) if named else (), not named))
        return Answer(question, text, not named, "extractive", "fr", understood=understood)


def write(tmp_path: Path, *conversations: list[dict[str, Any]]) -> Path:
    path = tmp_path / "conversations.jsonl"
    lines = [json.dumps({"id": f"c{n}", "turns": t}) for n, t in enumerate(conversations)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_follow_ups_first_turns_and_topic_switches_are_scored(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {"question": "Où va Poutine ?", "expected": ["Vietnam"], "tags": ["first"]},
            {"question": "Et où va-t-il ensuite ?", "expected": ["Vietnam"], "tags": ["follow-up"]},
            {
                "question": "Qui a gagné le Tour de France ?",
                "expected": [],
                "tags": ["topic-switch"],
            },
        ],
    )
    results = run_conversations(cast(Any, ScriptedEngine()), load_conversations(path))
    figures = conversation_figures(results)
    assert figures["first_turns_right"] == figures["first_turns_right_alone"] == 1.0
    assert figures["follow_ups_right"] == 1.0 and figures["follow_ups_right_alone"] == 0.0
    assert figures["topic_switches_clean"] == 1.0 and figures["topic_switches_clean_n"] == 1
    assert check_conversation_floors(results, 0.9, 0.9, 0.9) == []
    assert check_conversation_floors(results, None, None, None) == []


def test_a_missed_floor_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {"question": "Qui est Kim ?", "expected": ["Kim"], "tags": ["first"]},
            {"question": "Qu'a-t-il dit ?", "expected": ["dit"], "tags": ["follow-up"]},
        ],
    )
    results = run_conversations(cast(Any, ScriptedEngine()), load_conversations(path))
    assert check_conversation_floors(results, 0.5, None, 0.9) == [
        "follow_ups_right 0.0 < 0.5",
        "topic_switches_clean None < 0.9",
    ]


def test_a_broken_line_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(QAFileError, match=r"bad\.jsonl:1"):
        load_conversations(path)


def test_the_shipped_file_has_what_the_issue_asks_for() -> None:
    path = Path(__file__).resolve().parents[2] / "tests" / "data" / "conversations.jsonl"
    conversations = load_conversations(path)
    tags = [t for _, turns in conversations for turn in turns for t in turn.tags]
    assert len(conversations) >= 20 and tags.count("follow-up") >= 30
    assert {"topic-switch", "english", "chain", "after-refusal"} <= set(tags)


def test_ideal_rewrites_are_asked_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {"question": "Qui est Kim ?", "expected": [], "tags": ["first"]},
            {"question": "Où va-t-il ?", "expected": ["Vietnam"], "tags": ["follow-up"]},
            {"question": "Et lui ?", "expected": ["Vietnam"], "tags": ["follow-up"]},
        ],
    )
    ideal = tmp_path / "ideal.jsonl"
    rows = [
        {"file": "conversations.jsonl", "id": "c0", "turn": 1, "standalone": "Où va Poutine ?"},
        {"file": "conversations.jsonl", "id": "c0", "turn": 2, "standalone": "Et Kim ?"},
        {"file": "other.jsonl", "id": "c0", "turn": 2, "standalone": "Où va Poutine ?"},
    ]
    ideal.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    mapping = load_ideal(ideal, path.name)
    assert mapping == {("c0", 1): "Où va Poutine ?", ("c0", 2): "Et Kim ?"}
    figures = ideal_figures(cast(Any, ScriptedEngine()), load_conversations(path), mapping)
    assert figures == {"follow_ups_right_ideal": 0.5, "follow_ups_right_ideal_n": 2}
    ideal.write_text('{"file": "conversations.jsonl"}\n', encoding="utf-8")
    with pytest.raises(QAFileError, match=r"ideal\.jsonl:1"):
        load_ideal(ideal, path.name)


def test_the_ideal_rewrites_name_real_follow_ups() -> None:
    data = Path(__file__).resolve().parents[2] / "tests" / "data"
    for name in ("conversations-blind2.jsonl", "conversations-blind3.jsonl",
                 "conversations-blind4.jsonl"):  # fmt: skip
        conversations = dict(load_conversations(data / name))
        ideal = load_ideal(data / "conversations-ideal.jsonl", name)
        follow_ups = {
            (c, i) for c, turns in conversations.items()
            for i, t in enumerate(turns) if "follow-up" in t.tags
        }  # fmt: skip
        assert set(ideal) == follow_ups, name
