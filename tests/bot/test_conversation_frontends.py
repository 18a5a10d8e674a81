"""Conversations end to end on the seed index: `ask --conversation`, the REPL, the engine."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from cli_process import run_newsbot

from bot.conversation import Turn
from bot.engine import Engine
from bot.settings import Settings
from index.embed import VectorEmbeddings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def newsbot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_newsbot(*args, stdin=stdin, env={"NO_COLOR": "1"})


def test_ask_conversation_reads_turns_and_an_empty_line_starts_afresh(
    seed_index_dir: Path,
) -> None:
    lines = "Qui est Jens Stoltenberg ?\nQuels pays a-t-il cités ?\n\nQuels pays a-t-il cités ?\n"
    index = ("--index-dir", str(seed_index_dir))
    run = newsbot("ask", "--json", "--conversation", *index, stdin=lines)
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert [a["question"] for a in answers] == [
        "Qui est Jens Stoltenberg ?",
        "Quels pays a-t-il cités ?",
        "Quels pays a-t-il cités ?",
    ]
    assert [a["understood"] for a in answers] == [
        "Qui est Jens Stoltenberg ?",
        "Quels pays Jens Stoltenberg a-t-il cités ?",
        "Quels pays a-t-il cités ?",  # a new conversation: nothing to lean on
    ]
    assert "Iran" in answers[1]["answer"] and "Chine" in answers[1]["answer"]
    # Without --conversation every line stands alone, as before.
    alone = newsbot("ask", "--json", *index, stdin=lines)
    assert [json.loads(line)["understood"] for line in alone.stdout.splitlines()] == [
        "Qui est Jens Stoltenberg ?",
        "Quels pays a-t-il cités ?",
        "Quels pays a-t-il cités ?",
    ]


def test_the_repl_is_one_conversation_and_new_starts_another(seed_index_dir: Path) -> None:
    script = (
        "Qui est Jens Stoltenberg ?\nQuels pays a-t-il cités ?\n:new\nQuels pays a-t-il cités ?\n"
    )
    run = newsbot("repl", "--index-dir", str(seed_index_dir), stdin=script)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("(compris : Quels pays Jens Stoltenberg a-t-il cités ?)") == 1
    assert "Nouvelle conversation." in run.stdout
    before, after = run.stdout.split("Nouvelle conversation.")
    assert "Iran" in before and "compris" not in after


def test_the_language_model_condenses_and_a_bad_reply_falls_back(
    seed_index_dir: Path, embedder: VectorEmbeddings
) -> None:
    replies: list[str] = []

    def invoke(messages: list[Any]) -> Any:
        return SimpleNamespace(text=replies.pop(0))

    llm = cast(Any, SimpleNamespace(chat=SimpleNamespace(invoke=invoke)))
    engine = Engine(Settings(index_dir=seed_index_dir), embedder, llm=llm)
    earlier = [Turn("Qui est Jens Stoltenberg ?", "Qui est Jens Stoltenberg ?")]
    replies.append("Quels pays Stoltenberg a-t-il nommés ?")
    assert engine.understand("Quels pays a-t-il cités ?", earlier) == (
        "Quels pays Stoltenberg a-t-il nommés ?"
    )
    replies.append("Stoltenberg a cité l'Iran et la Chine.")  # an answer, not a question
    assert engine.understand("Quels pays a-t-il cités ?", earlier) == (
        "Quels pays Jens Stoltenberg a-t-il cités ?"
    )


def test_the_engine_keeps_the_reading_its_answer_is_surest_of(
    seed_index_dir: Path, embedder: VectorEmbeddings
) -> None:
    from bot.conversation import Conversation, rewrite_readings

    engine = Engine(Settings(index_dir=seed_index_dir), embedder)
    conversation = Conversation(max_turns=6)
    engine.answer("Qu'a écrit Poutine dans sa tribune avant la visite ?", conversation=conversation)
    turns = list(conversation.turns)
    readings = rewrite_readings("Elle a été publiée où ?", turns)
    assert len(readings) > 1
    answer = engine.answer("Elle a été publiée où ?", conversation=conversation)
    kept = {r: engine.answer(r) for r in readings}
    assert answer.understood in readings
    surest = max(kept.values(), key=lambda a: (not a.abstained, a.confidence or 0.0))
    assert not answer.abstained and (answer.confidence or 0.0) >= (surest.confidence or 0.0) - 0.1
    assert conversation.turns[-1].understood == answer.understood
