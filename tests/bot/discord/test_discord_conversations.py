"""Follow-ups in Discord: a thread and a DM through the real discord.py client and the
loopback stand-in; each conversation is its own, and `/ask new:true` starts afresh."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from conftest import cited_answer, running_bot
from discord_standin import DiscordStandin, Recorded, message_body

from bot.conversation import Conversation, Conversations, Turn
from bot.discord.texts import load_discord_prompts
from bot.models import Answer
from bot.settings import Settings

pytestmark = pytest.mark.discord

FR = load_discord_prompts().fr


class ConversationalAnswers:
    """The boundary fake: the real rewrite, then a scripted cited answer."""

    def __init__(self) -> None:
        self.understood: list[str] = []

    def __call__(self, question: str, conversation: Conversation | None = None) -> Answer:
        understood = conversation.understand(question) if conversation else question
        self.understood.append(understood)
        reply = replace(cited_answer(understood), question=question, understood=understood)
        if conversation is not None:
            quotes = tuple(c.snippet for c in reply.citations)
            conversation.add(Turn(question, understood, quotes))
        return reply


def store() -> Conversations:
    return Conversations(max_turns=6, max_conversations=10, idle_seconds=600)


def footer(record: Recorded) -> str:
    return str(message_body(record)["embeds"][0].get("footer", {}).get("text", ""))


async def next_message(standin: DiscordStandin, start: int) -> Recorded:
    return await standin.wait_for_request(
        lambda r: r.method == "POST" and r.path.endswith("/messages") and r.status == 200,
        start=start,
    )


async def test_a_follow_up_in_the_answer_thread_continues_the_conversation(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    settings = bot_settings.with_overrides(discord_reply_in_thread=True)
    answers = ConversationalAnswers()
    bot = standin.bot_user["id"]
    async with running_bot(standin, settings, answers, conversations=store()):
        start = len(standin.requests)
        await standin.send_message(f"<@{bot}> Qui est Iouri Ouchakov ?")
        first = await next_message(standin, start)
        thread_id = next(c for c, v in standin.channels.items() if v["type"] == 11)
        await asyncio.sleep(0.2)  # the THREAD_CREATE event reaches the client
        start = len(standin.requests)
        await standin.send_message(f"<@{bot}> Qu'a-t-il annoncé ?", channel_id=thread_id)
        follow_up = await next_message(standin, start)
        # Someone else, in the channel: their own conversation, nothing leaks in.
        start = len(standin.requests)
        await standin.send_message(f"<@{bot}> Qu'a-t-il annoncé ?", user_id="2000")
        await next_message(standin, start)
    assert answers.understood == [
        "Qui est Iouri Ouchakov ?",
        "Qu'est-ce qu'Iouri Ouchakov a annoncé ?",
        "Qu'a-t-il annoncé ?",
    ]
    assert follow_up.path == f"/channels/{thread_id}/messages"
    assert "compris" not in footer(first)
    understood = FR.understood.format(question="Qu'est-ce qu'Iouri Ouchakov a annoncé ?")
    assert footer(follow_up).endswith(understood)


async def test_a_follow_up_in_a_direct_message_and_ask_new_starts_afresh(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    settings = bot_settings.with_overrides(discord_answer_dms=True)
    answers = ConversationalAnswers()
    async with running_bot(standin, settings, answers, conversations=store()):
        await standin.wait_for_op(lambda op: op.op == 2)
        for text in ("Qui est Jens Stoltenberg ?", "Quels pays a-t-il cités ?"):
            start = len(standin.requests)
            await standin.send_message(text, channel_id=standin.dm_channel_id)
            reply = await next_message(standin, start)
        # /ask in the channel: its own conversation; then new:true forgets it.
        for question, new in (
            ("Qui est Choe Son-hui ?", False),
            ("Quand est-elle allée à Moscou ?", True),
        ):
            options = [{"name": "question", "type": 3, "value": question}]
            options.append({"name": "new", "type": 5, "value": new})
            await standin.followup_for(await standin.send_command("ask", options))
    assert answers.understood == [
        "Qui est Jens Stoltenberg ?",
        "Quels pays Jens Stoltenberg a-t-il cités ?",
        "Qui est Choe Son-hui ?",
        "Quand est-elle allée à Moscou ?",
    ]
    assert reply.path == f"/channels/{standin.dm_channel_id}/messages"
    assert "Jens Stoltenberg a-t-il cités" in footer(reply)
