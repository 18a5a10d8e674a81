"""bot/conversation/state.py: the bounded memory of conversations."""

from __future__ import annotations

import pytest

from bot.conversation import Conversation, Conversations, Turn
from bot.settings import Settings, SettingsError


def test_a_conversation_keeps_only_its_last_turns() -> None:
    conversation = Conversation(max_turns=2)
    for n in range(5):
        conversation.add(Turn(f"q{n}", f"q{n}"))
    assert [t.question for t in conversation.turns] == ["q3", "q4"]


def test_conversations_expire_when_idle_and_the_least_recently_used_goes() -> None:
    now = [0.0]
    store = Conversations(max_turns=3, max_conversations=2, idle_seconds=60, clock=lambda: now[0])
    store.get("a").add(Turn("Qui est X ?", "Qui est X ?"))
    store.get("b")
    store.get("a")  # a is now the most recently used
    store.get("c")  # full: b goes
    assert len(store) == 2 and store.get("a").turns
    now[0] = 61.0
    assert not store.get("a").turns  # idle too long: afresh
    assert len(store) == 1


def test_memory_stays_bounded_under_many_conversations() -> None:
    store = Conversations(max_turns=2, max_conversations=100, idle_seconds=600)
    for n in range(10_000):
        for _ in range(5):
            store.get(n).add(Turn("q", "q"))
    assert len(store) == 100
    assert all(len(store.get(n).turns) == 2 for n in range(9_950, 10_000))


def test_forget_and_move() -> None:
    store = Conversations(max_turns=2, max_conversations=10, idle_seconds=600)
    store.get("channel").add(Turn("q", "q"))
    store.move("channel", "thread")
    assert store.get("thread").turns and not store.get("channel").turns
    store.forget("thread")
    assert not store.get("thread").turns


def test_settings_bound_conversations_from_the_environment() -> None:
    settings = Settings.from_env(
        {"NEWSBOT_CONVERSATION_TURNS": "3", "NEWSBOT_CONVERSATION_IDLE_SECONDS": "5"}
    )
    store = Conversations.from_settings(settings)
    assert (store.max_turns, store.idle_seconds, store.max_conversations) == (3, 5.0, 1000)
    with pytest.raises(SettingsError, match="NEWSBOT_CONVERSATION_MAX"):
        Settings.from_env({"NEWSBOT_CONVERSATION_MAX": "0"})
