"""The real bot (discord.py client + our adapter) against the loopback Discord stand-in.

Only `answer()` is scripted (it returns real `Answer` records); the adapter, rendering,
rate limiting, discord.py's REST and gateway code and the sockets are all real. Each test
asserts on what the bot actually sent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ROOT,
    TOKEN,
    ScriptedAnswers,
    cited_answer,
    running_bot,
    seed_citation,
)
from discord_standin import (
    EMBED_TOTAL_LIMIT,
    EPHEMERAL,
    DiscordStandin,
    Fault,
    Recorded,
    custom_ids,
    embed_size,
    message_body,
)

from bot.discord.bot import run_discord_bot, serve_discord_bot
from bot.discord.render import citation_markers
from bot.discord.texts import load_discord_prompts
from bot.feedback import read_feedback
from bot.models import Answer, Citation
from bot.settings import Settings
from index.errors import IndexMissingError, InvalidQuestionError

pytestmark = pytest.mark.discord

NO_PINGS: dict[str, list[str]] = {"parse": []}
FR = load_discord_prompts().fr


def only_embed(record: Recorded) -> dict[str, Any]:
    body = message_body(record)
    assert len(body["embeds"]) == 1, body
    return dict(body["embeds"][0])


def card_numbers(embed: dict[str, Any]) -> set[int]:
    return {int(m.group(1)) for f in embed["fields"] if (m := re.match(r"\[(\d+)\]", f["name"]))}


def visible_strings(value: Any) -> list[str]:
    """Every string in a payload that Discord would show to users."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "custom_id" for s in visible_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in visible_strings(v)]
    return []


def channel_messages(standin: DiscordStandin, start: int = 0) -> list[Recorded]:
    return [
        r
        for r in standin.requests[start:]
        if r.method == "POST" and r.path.endswith("/messages") and r.status == 200
    ]


async def next_channel_message(standin: DiscordStandin, start: int) -> Recorded:
    return await standin.wait_for_request(
        lambda r: r.method == "POST" and r.path.endswith("/messages") and r.status == 200,
        start=start,
    )


def assert_nothing_rejected_or_pinged(standin: DiscordStandin) -> None:
    assert standin.rejected == []
    for record in standin.sent_by_bot():
        body = message_body(record)
        if body.get("content") or body.get("embeds"):  # a deferral carries no text
            assert body.get("allowed_mentions") == NO_PINGS, (record.path, body)


# --- questions ------------------------------------------------------------------------


async def test_slash_question_is_deferred_at_once_then_answered_with_sources(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    answers = ScriptedAnswers(delay=0.5)
    async with running_bot(standin, bot_settings, answers):
        # Commands were synced to the configured guild, with their options.
        put = [r for r in standin.requests if r.method == "PUT"]
        assert [r.path for r in put] == [
            f"/applications/{standin.application_id}/guilds/{standin.guild_id}/commands"
        ]
        ask = standin.commands["ask"]
        assert [(o["name"], o["type"], o.get("required", False)) for o in ask["options"]] == [
            ("question", 3, True),
            ("private", 5, False),
            ("since", 3, False),
            ("new", 5, False),
        ]
        assert "sources" in standin.commands

        sent = await standin.send_slash("Qui va en Corée du Nord ?")
        callback = await standin.callback_for(sent)
        followup = await standin.followup_for(sent)

    defer_delay = callback.at - sent.dispatched_at
    assert callback.body == {"type": 5}  # deferred with "thinking", public
    assert defer_delay < 1.0, defer_delay  # Discord allows 3 s; typically a few ms here
    assert followup.at - callback.at >= 0.45  # the answer came after the slow answer()
    assert answers.asked == ["Qui va en Corée du Nord ?"]
    assert answers.threads[0] != threading.main_thread().name

    embed = only_embed(followup)
    assert embed["title"] == "Qui va en Corée du Nord ?"
    assert citation_markers(embed["description"]) == {1, 2} == card_numbers(embed)
    assert "example-news.fr](https://www.example-news.fr/" in embed["fields"][0]["value"]
    assert [cid.split(":")[1] for cid in custom_ids(message_body(followup))] == [
        "up",
        "down",
        "bad_source",
        "sources",
    ]
    assert not message_body(followup).get("flags", 0) & EPHEMERAL
    assert_nothing_rejected_or_pinged(standin)


async def test_private_question_is_answered_ephemerally(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    async with running_bot(standin, bot_settings, ScriptedAnswers()):
        sent = await standin.send_slash("Qui signe ?", private=True)
        callback = await standin.callback_for(sent)
        followup = await standin.followup_for(sent)
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert message_body(followup)["flags"] & EPHEMERAL
    assert_nothing_rejected_or_pinged(standin)


async def test_only_the_intents_needed_and_no_message_content(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    async with running_bot(standin, bot_settings, ScriptedAnswers()):
        identify = await standin.wait_for_op(lambda op: op.op == 2)
        await standin.wait_for_op(lambda op: op.op == 1)  # heartbeats flow
    guilds, guild_messages, message_content = 1 << 0, 1 << 9, 1 << 15
    assert identify.d["intents"] == guilds | guild_messages
    assert not identify.d["intents"] & message_content


async def test_buttons_record_feedback_and_show_sources(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    async with running_bot(standin, bot_settings, ScriptedAnswers()):
        sent = await standin.send_slash("Qui va en Corée du Nord ?", user_id="4242")
        followup = await standin.followup_for(sent)
        message = followup.created
        assert message is not None
        up, down, bad_source, sources = custom_ids(message)

        replies = []
        for custom_id in (up, down, bad_source):
            click = await standin.click(message, custom_id, user_id="4242")
            replies.append(await standin.callback_for(click))

        click = await standin.click(message, sources, user_id="777")
        shown = await standin.callback_for(click)
        command = await standin.send_command("sources", [], user_id="4242")
        by_command = await standin.callback_for(command)

        # A button on an answer the bot no longer holds (e.g. sent before a restart).
        stale_id = "newsbot:up:" + "0" * 16
        stale_button = {
            "type": 2,
            "style": 2,
            "label": "Utile",
            "custom_id": stale_id,
        }
        stale = {**message, "components": [{"type": 1, "components": [stale_button]}]}
        expired = await standin.click(stale, stale_id, user_id="4242")
        expired_reply = await standin.callback_for(expired)

    for reply in replies:
        assert reply.body["type"] == 4
        assert reply.body["data"]["content"] == FR.feedback_thanks
        assert reply.body["data"]["flags"] == EPHEMERAL

    records = read_feedback(bot_settings.feedback_file)
    assert [r["kind"] for r in records] == ["up", "down", "bad_source"]
    assert {r["question"] for r in records} == {"Qui va en Corée du Nord ?"}
    assert len({r["user"] for r in records}) == 1
    assert "4242" not in bot_settings.feedback_file.read_text(encoding="utf-8")
    assert [c["n"] for c in records[0]["citations"]] == [1, 2]

    for reply in (shown, by_command):
        data = reply.body["data"]
        assert data["flags"] == EPHEMERAL
        assert [e["title"] for e in data["embeds"]] == [
            "[1] Poutine se rendra en Corée du Nord",
            "[2] Poutine se rendra en Corée du Nord",
        ]
        assert seed_citation(1, 0).snippet in data["embeds"][0]["description"]
    assert expired_reply.body["data"]["content"] == FR.feedback_expired
    assert_nothing_rejected_or_pinged(standin)


async def test_mention_is_answered_in_a_reply_without_the_mention(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    answers = ScriptedAnswers()
    bot_id = standin.bot_user["id"]
    async with running_bot(standin, bot_settings, answers):
        start = len(standin.requests)
        question = await standin.send_message(f"<@{bot_id}>  Que signe la Russie ?")
        reply = await next_channel_message(standin, start)

        # Ignored: other bots, messages not addressed to us. Answered: an empty mention.
        await standin.send_message(f"<@{bot_id}> Et toi ?", bot_author=True)
        await standin.send_message("Que signe la Russie ?")
        start = len(standin.requests)
        await standin.send_message(f"<@!{bot_id}>")
        hint = await next_channel_message(standin, start)

    assert answers.asked == ["Que signe la Russie ?"]
    body = message_body(reply)
    assert str(body["message_reference"]["message_id"]) == question["id"]
    assert body["message_reference"]["fail_if_not_exists"] is False
    embed = only_embed(reply)
    assert citation_markers(embed["description"]) == card_numbers(embed) == {1, 2}
    assert [cid.split(":")[1] for cid in custom_ids(body)] == [
        "up",
        "down",
        "bad_source",
        "sources",
    ]
    typing = [r for r in standin.requests if r.path.endswith("/typing")]
    assert len(typing) == 1 and typing[0].at <= reply.at
    assert message_body(hint)["content"] == FR.empty_mention
    assert len(channel_messages(standin)) == 2
    assert_nothing_rejected_or_pinged(standin)


async def test_mention_answered_in_a_new_thread_when_configured(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    settings = bot_settings.with_overrides(discord_reply_in_thread=True)
    async with running_bot(standin, settings, ScriptedAnswers()):
        start = len(standin.requests)
        question = await standin.send_message(f"<@{standin.bot_user['id']}> Qui signe ?")
        reply = await next_channel_message(standin, start)
    thread_request = next(r for r in standin.requests if r.path.endswith("/threads"))
    assert (
        thread_request.path == f"/channels/{standin.channel_id}/messages/{question['id']}/threads"
    )
    assert thread_request.body["name"] == "Qui signe ?"
    assert thread_request.created is None  # a channel, not a message
    thread_id = next(c for c, v in standin.channels.items() if v["type"] == 11)
    assert reply.path == f"/channels/{thread_id}/messages"
    assert card_numbers(only_embed(reply)) == {1, 2}
    assert_nothing_rejected_or_pinged(standin)


async def test_direct_messages_are_answered_when_enabled(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    settings = bot_settings.with_overrides(discord_answer_dms=True)
    answers = ScriptedAnswers()
    async with running_bot(standin, settings, answers):
        identify = await standin.wait_for_op(lambda op: op.op == 2)
        start = len(standin.requests)
        await standin.send_message("Qui signe l'accord ?", channel_id=standin.dm_channel_id)
        reply = await next_channel_message(standin, start)
    direct_messages = 1 << 12
    assert identify.d["intents"] & direct_messages
    assert answers.asked == ["Qui signe l'accord ?"]  # no mention needed in a DM
    assert reply.path == f"/channels/{standin.dm_channel_id}/messages"
    assert card_numbers(only_embed(reply)) == {1, 2}
    assert_nothing_rejected_or_pinged(standin)


async def test_restricted_to_listed_channels(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    settings = bot_settings.with_overrides(discord_channels=(int(standin.channel_id),))
    answers = ScriptedAnswers()
    async with running_bot(standin, settings, answers):
        elsewhere = await standin.send_slash("Qui ?", channel_id=standin.other_channel_id)
        refused = await standin.callback_for(elsewhere)
        start = len(standin.requests)
        await standin.send_message(
            f"<@{standin.bot_user['id']}> Qui ?", channel_id=standin.other_channel_id
        )
        refused_mention = await next_channel_message(standin, start)
        here = await standin.send_slash("Qui signe ?")
        await standin.followup_for(here)
    assert refused.body["data"] == {
        "content": FR.not_here,
        "flags": EPHEMERAL,
        "allowed_mentions": NO_PINGS,
        "tts": False,
    }
    assert message_body(refused_mention)["content"] == FR.not_here
    assert answers.asked == ["Qui signe ?"]


# --- what gets rendered ---------------------------------------------------------------


async def test_abstention_is_a_clear_message_with_related_passages(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    def abstain(question: str) -> Answer:
        related = (seed_citation(1, 4),) if "proche" in question else ()
        return Answer(
            question=question,
            text="Je ne trouve pas de réponse sûre dans les articles.",
            abstained=True,
            mode="extractive",
            language="fr",
            related=related,
        )

    async with running_bot(standin, bot_settings, ScriptedAnswers(reply=abstain)):
        bare = await standin.followup_for(await standin.send_slash("Quel temps fait-il ?"))
        near = await standin.followup_for(await standin.send_slash("Un sujet proche ?"))

    bare_embed = only_embed(bare)
    assert bare_embed["description"] == "Je ne trouve pas de réponse sûre dans les articles."
    assert bare_embed["fields"] == []
    assert [cid.split(":")[1] for cid in custom_ids(message_body(bare))] == ["up", "down"]
    near_embed = only_embed(near)
    assert near_embed["description"].endswith(FR.related_intro)
    assert [f["name"] for f in near_embed["fields"]] == [
        f"{FR.related_prefix} Poutine se rendra en Corée du Nord"
    ]
    assert card_numbers(near_embed) == set()
    assert_nothing_rejected_or_pinged(standin)


async def test_oversized_answer_fits_discord_limits_and_keeps_its_cards(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    sentences = [
        s.strip() + "."
        for s in (ROOT / "seeds")
        .joinpath("001_9094e598d010c395.txt")
        .read_text(encoding="utf-8")
        .split(". ")
        if len(s) > 40
    ]

    def oversized(question: str) -> Answer:
        citations = tuple(
            Citation(
                n=n,
                article_id="9094e598d010c395",
                source="seeds/001_9094e598d010c395.txt",
                title=f"Extrait {n}",
                snippet=" ".join(sentences * 3),
                start=0,
                end=1,
            )
            for n in range(1, 9)
        )
        text = " ".join(f"{s[:-1]} [{i % 8 + 1}]." for i, s in enumerate(sentences * 6))
        return Answer(question, text, False, "extractive", "fr", citations=citations)

    async with running_bot(standin, bot_settings, ScriptedAnswers(reply=oversized)):
        followup = await standin.followup_for(await standin.send_slash("Tout savoir ?"))

    embed = only_embed(followup)
    assert len(oversized("x").text) > 2 * EMBED_TOTAL_LIMIT
    assert embed_size(embed) <= EMBED_TOTAL_LIMIT
    assert embed["description"].endswith(FR.answer_trimmed)
    assert citation_markers(embed["description"]) <= card_numbers(embed)
    for field in embed["fields"]:
        quote = field["value"].split("\n")[0]
        assert quote.endswith((". »", FR.quote_trimmed + " »"))
    assert_nothing_rejected_or_pinged(standin)


async def test_everyone_in_a_snippet_or_question_pings_nobody(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    hostile = (
        "Le maire a écrit @everyone et <@&123456789012345678> : **urgent** [ici](https://x.y)."
    )

    def with_hostile_snippet(question: str) -> Answer:
        cite = Citation(
            n=1,
            article_id="x",
            source="https://x.y/a",
            title="@here Titre",
            snippet=hostile,
            start=0,
            end=len(hostile),
            url="https://x.y/a",
        )
        return Answer(
            question, "Il a écrit @everyone [1].", False, "extractive", "fr", citations=(cite,)
        )

    async with running_bot(standin, bot_settings, ScriptedAnswers(reply=with_hostile_snippet)):
        await standin.followup_for(await standin.send_slash("@everyone @here qui ?"))
        start = len(standin.requests)
        await standin.send_message(f"<@{standin.bot_user['id']}> @everyone qui ?")
        await next_channel_message(standin, start)

    sent = standin.sent_by_bot()
    assert len(sent) == 3  # defer, follow-up, mention reply
    for record in sent:
        for text in visible_strings(message_body(record)):
            assert "@everyone" not in text and "@here" not in text
            # Mentions and masked links survive only backslash-escaped, i.e. as plain text.
            assert not re.search(r"(?<!\\)<@", text) and "](https://x.y)" not in text
    assert_nothing_rejected_or_pinged(standin)


# --- Discord's rules and failures -----------------------------------------------------


async def test_follow_up_rate_limited_with_429_is_retried_after_the_wait(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    standin.rate_limit_next("POST", r"/webhooks/\d+/[^/]+", retry_after=0.6)
    async with running_bot(standin, bot_settings, ScriptedAnswers()):
        sent = await standin.send_slash("Qui signe ?")
        followup = await standin.followup_for(sent)
    attempts = [r for r in standin.requests if r.path.startswith("/webhooks/")]
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.6
    assert card_numbers(only_embed(followup)) == {1, 2}


async def test_gateway_disconnect_resumes_and_answers_the_next_questions(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    answers = ScriptedAnswers()
    async with running_bot(standin, bot_settings, answers):
        await standin.followup_for(await standin.send_slash("Avant ?"))
        ops_before = len(standin.gateway_ops)
        await standin.drop_gateway(code=4000)
        # Sent while the bot is away: Discord replays it after RESUME.
        missed = await standin.send_slash("Pendant ?")
        resume = await standin.wait_for_op(lambda op: op.op == 6, start=ops_before)
        await standin.followup_for(missed)
        after = await standin.send_slash("Après ?")
        await standin.followup_for(after)

    assert resume.path == "/resume"  # resume_gateway_url from READY
    assert resume.d["seq"] >= 3
    assert [op.op for op in standin.gateway_ops].count(2) == 1  # never re-identified
    assert answers.asked == ["Avant ?", "Pendant ?", "Après ?"]


async def test_index_problems_and_bugs_get_a_message_and_a_log_line(
    standin: DiscordStandin, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def fragile(question: str) -> Answer:
        if question == "index ?":
            raise IndexMissingError("no index at data/index: run `newsbot index`")
        if question == "vide ?":
            raise InvalidQuestionError("the question is empty")
        if question == "bug ?":
            raise ZeroDivisionError("division by zero")
        return cited_answer(question)

    caplog.set_level(logging.INFO, logger="bot.discord")
    async with running_bot(standin, bot_settings, ScriptedAnswers(reply=fragile)):
        missing = await standin.followup_for(await standin.send_slash("index ?"))
        invalid = await standin.followup_for(await standin.send_slash("vide ?"))
        bug = await standin.followup_for(await standin.send_slash("bug ?"))
        fine = await standin.followup_for(await standin.send_slash("ensuite ?"))

    assert message_body(missing)["content"] == ("⚠️ no index at data/index: run \\`newsbot index\\`")
    assert message_body(invalid)["content"] == "⚠️ the question is empty"
    assert message_body(bug)["content"] == FR.error
    assert card_numbers(only_embed(fine)) == {1, 2}
    logged = {(r.levelname, r.getMessage().split(":")[0]) for r in caplog.records}
    assert ("ERROR", "index unavailable, questions get an error message") in logged
    bug_record = next(r for r in caplog.records if r.exc_info)
    assert bug_record.exc_info is not None and bug_record.exc_info[0] is ZeroDivisionError
    assert_nothing_rejected_or_pinged(standin)


async def test_cooldown_gets_a_polite_message_saying_when_to_retry(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    settings = bot_settings.with_overrides(discord_cooldown_seconds=30.0)
    answers = ScriptedAnswers()
    async with running_bot(standin, settings, answers):
        await standin.followup_for(await standin.send_slash("Première ?", user_id="1"))
        again = await standin.send_slash("Deuxième ?", user_id="1")
        refused = await standin.callback_for(again)
        start = len(standin.requests)
        await standin.send_message(f"<@{standin.bot_user['id']}> Troisième ?", user_id="1")
        refused_mention = await next_channel_message(standin, start)
        other = await standin.followup_for(await standin.send_slash("Autre ?", user_id="2"))

    assert answers.asked == ["Première ?", "Autre ?"]
    data = refused.body["data"]
    assert data["flags"] == EPHEMERAL
    assert refused.at - again.dispatched_at < 1.0
    for text in (data["content"], message_body(refused_mention)["content"]):
        assert "30 secondes" in text
        retry_at = int(re.search(r"<t:(\d+):R>", text).group(1))  # type: ignore[union-attr]
        assert 0 < retry_at - __import__("time").time() <= 31
    assert card_numbers(only_embed(other)) == {1, 2}
    assert_nothing_rejected_or_pinged(standin)


async def test_concurrency_bound_turns_extra_questions_away_politely(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    settings = bot_settings.with_overrides(discord_max_concurrent=1)
    hold = threading.Event()
    answers = ScriptedAnswers(gates={"Lente ?": hold})
    async with running_bot(standin, settings, answers):
        slow = await standin.send_slash("Lente ?", user_id="1")
        await standin.callback_for(slow)
        extra = await standin.send_slash("En plus ?", user_id="2")
        busy = await standin.callback_for(extra)
        hold.set()
        await standin.followup_for(slow)
        later = await standin.followup_for(await standin.send_slash("Plus tard ?", user_id="2"))
    assert busy.body["data"]["flags"] == EPHEMERAL
    assert busy.body["data"]["content"].startswith("Je réponds déjà à beaucoup de questions")
    assert answers.asked == ["Lente ?", "Plus tard ?"]
    assert card_numbers(only_embed(later)) == {1, 2}


async def test_a_slow_question_never_blocks_the_others(
    standin: DiscordStandin, bot_settings: Settings
) -> None:
    hold = threading.Event()
    answers = ScriptedAnswers(gates={"Lente ?": hold})
    async with running_bot(standin, bot_settings, answers):
        slow = await standin.send_slash("Lente ?", user_id="1")
        fast = await standin.send_slash("Rapide ?", user_id="2")
        fast_callback = await standin.callback_for(fast)
        fast_answer = await standin.followup_for(fast)
        slow_callback = await standin.callback_for(slow)
        hold.set()
        slow_answer = await standin.followup_for(slow)
    assert slow_callback.at - slow.dispatched_at < 1.0
    assert fast_callback.at - fast.dispatched_at < 1.0
    assert fast_answer.at < slow_answer.at


# --- operations -----------------------------------------------------------------------

BOT_PROCESS = """
import sys
from bot.discord.bot import run_discord_bot
from bot.models import Answer
from bot.settings import Settings

def answer(question):
    return Answer(question, "Rien.", True, "extractive", "fr")

sys.exit(run_discord_bot(Settings.from_env(), answer, api_base=sys.argv[1]))
"""


async def start_bot_process(
    standin: DiscordStandin, token: str, tmp_path: Path
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "DISCORD_"))}
    env.update(
        DISCORD_TOKEN=token,
        NEWSBOT_DISCORD_GUILD_ID=standin.guild_id,
        NEWSBOT_FEEDBACK_FILE=str(tmp_path / "feedback.jsonl"),
        PYTHONPATH=str(ROOT),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        BOT_PROCESS,
        standin.api_base,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finished(process: asyncio.subprocess.Process) -> tuple[int, str]:
    try:
        _, err = await asyncio.wait_for(process.communicate(), 20)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_invalid_token_exits_with_one_line_and_no_traceback(
    standin: DiscordStandin, tmp_path: Path
) -> None:
    wrong = "WRONG-" + secrets.token_hex(12)
    code, err = await finished(await start_bot_process(standin, wrong, tmp_path))
    assert code == 1
    assert err.splitlines() == [
        "newsbot: error: Discord rejected the token: "
        "check DISCORD_TOKEN (Bot tab of the application)."
    ]
    assert wrong not in err
    assert [(r.path, r.status) for r in standin.requests] == [("/users/@me", 401)]


def test_missing_token_exits_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_discord_bot(Settings(discord_token=" "), cited_answer) == 2
    assert capsys.readouterr().err == (
        "newsbot: error: DISCORD_TOKEN is not set (environment or .env); see the README.\n"
    )


async def test_missing_intents_exit_with_one_line(standin: DiscordStandin, tmp_path: Path) -> None:
    standin.refuse_identify_with = 4014
    code, err = await finished(await start_bot_process(standin, TOKEN, tmp_path))
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "refused the requested intents" in err
    assert TOKEN not in err


async def test_missing_commands_scope_exits_with_one_line(
    standin: DiscordStandin, bot_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    standin.faults.append(
        Fault("PUT", r"/applications/\d+/guilds/\d+/commands", 403, {"code": 50001}, {})
    )
    code = await asyncio.wait_for(
        serve_discord_bot(
            bot_settings,
            cited_answer,
            prompts=load_discord_prompts(),
            api_base=standin.api_base,
            handle_signals=False,
        ),
        10,
    )
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "applications.commands scope" in err


async def test_sigterm_shuts_the_bot_down_gracefully(
    standin: DiscordStandin, tmp_path: Path
) -> None:
    process = await start_bot_process(standin, TOKEN, tmp_path)
    try:
        await standin.wait_ready(timeout=15)
        sent = await standin.send_slash("Encore là ?")
        await standin.followup_for(sent, timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
    code, err = await finished(process)
    assert code == 0
    assert "Traceback" not in err


async def test_the_token_never_appears_in_logs_or_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    sentinel = "SENTINEL." + secrets.token_urlsafe(24)
    caplog.set_level(logging.DEBUG)  # everything, discord.py's debug logs included

    def sometimes_broken(question: str) -> Answer:
        if question == "bug ?":
            raise RuntimeError("boom")
        return cited_answer(question)

    async with DiscordStandin(token=sentinel, heartbeat_interval=0.2) as standin:
        settings = Settings(
            discord_token=sentinel,
            discord_guild_id=int(standin.guild_id),
            discord_cooldown_seconds=0.0,
            feedback_file=tmp_path / "feedback.jsonl",
        )
        standin.rate_limit_next("POST", r"/webhooks/\d+/[^/]+", retry_after=0.1)
        async with running_bot(standin, settings, ScriptedAnswers(reply=sometimes_broken)):
            await standin.followup_for(await standin.send_slash("Qui ?"))
            await standin.followup_for(await standin.send_slash("bug ?"))
            start = len(standin.requests)
            await standin.send_message(f"<@{standin.bot_user['id']}> Qui ?")
            await next_channel_message(standin, start)
            ops = len(standin.gateway_ops)
            await standin.drop_gateway()
            await standin.wait_for_op(lambda op: op.op == 6, start=ops)  # RESUME carries it
            await standin.followup_for(await standin.send_slash("Après ?"))
        assert all(r.authorization == f"Bot {sentinel}" for r in standin.requests[:4])

    # And the same sentinel as a token Discord rejects.
    async with DiscordStandin(token="another-token") as standin:
        code = await serve_discord_bot(
            Settings(discord_token=sentinel, feedback_file=tmp_path / "f.jsonl"),
            cited_answer,
            prompts=load_discord_prompts(),
            api_base=standin.api_base,
            handle_signals=False,
        )
        assert code == 1

    output = capsys.readouterr()
    formatter = logging.Formatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert len(caplog.records) > 50
    assert "RESUME" in logged and "Discord rejected the token" in output.err
    assert sentinel not in logged
    assert sentinel not in output.out + output.err


# --- with the real engine (last: it builds real indexes) ------------------------------

FESTIVAL_JULY = """Le festival de jazz de Lyon aura lieu en juillet.

La municipalité de Lyon a annoncé mardi que le festival de jazz se tiendra du 4 au 8 juillet \
sur les quais du Rhône. Les organisateurs attendent plus de vingt mille spectateurs. \
La programmation complète sera dévoilée au printemps.
"""
FESTIVAL_SEPTEMBER = """Le festival de jazz de Lyon reporté en septembre.

La municipalité de Lyon a annoncé jeudi que le festival de jazz est reporté du 12 au \
16 septembre en raison de travaux sur les quais du Rhône. Les billets déjà achetés restent \
valables. Les organisateurs maintiennent l'ensemble de la programmation.
"""


@pytest.mark.slow
async def test_index_swapped_while_the_bot_runs_is_used_without_restart(
    standin: DiscordStandin,
    bot_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.engine import Engine
    from index.build import build_index
    from index.chunk import ChunkSettings

    first, second = tmp_path / "july", tmp_path / "september"
    for folder, text in ((first, FESTIVAL_JULY), (second, FESTIVAL_SEPTEMBER)):
        folder.mkdir()
        (folder / "festival.txt").write_text(text, encoding="utf-8")
    settings = bot_settings.with_overrides(index_dir=tmp_path / "index")
    engine = await asyncio.to_thread(Engine.load, settings)
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    await asyncio.to_thread(build_index, first, settings.index_dir, engine.embedder, chunking)

    # Hold one question in flight across the swap: right after the real engine has picked
    # the searcher for it, wait until the new index is live. Nothing else is changed.
    took_searcher, swapped = threading.Event(), threading.Event()
    holding = threading.local()
    real_searcher = engine.searcher

    def searcher_then_hold() -> Any:
        searcher = real_searcher()
        if getattr(holding, "active", False):
            took_searcher.set()
            assert swapped.wait(30)
        return searcher

    monkeypatch.setattr(engine, "searcher", searcher_then_hold)

    def answer(question: str) -> Answer:
        holding.active = question.endswith("(en cours)")
        return engine.answer(question)

    question = "Quand a lieu le festival de jazz de Lyon ?"
    caplog.set_level(logging.INFO)
    async with running_bot(standin, settings, answer):
        before = await standin.followup_for(await standin.send_slash(question), timeout=60)
        in_flight = await standin.send_slash(question + " (en cours)", user_id="2")
        assert await asyncio.to_thread(took_searcher.wait, 30)
        # What `newsbot index` does, while the bot keeps running.
        await asyncio.to_thread(build_index, second, settings.index_dir, engine.embedder, chunking)
        swapped.set()
        during = await standin.followup_for(in_flight, timeout=60)
        after = await standin.followup_for(await standin.send_slash(question), timeout=60)

    def answer_text(record: Recorded) -> str:
        embed = only_embed(record)
        assert card_numbers(embed), embed  # a cited answer, not an abstention or an error
        return str(embed["description"]) + " ".join(f["value"] for f in embed["fields"])

    assert "juillet" in answer_text(before)
    assert "juillet" in answer_text(during)  # in flight during the swap: finished on the old one
    assert "septembre" in answer_text(after) and "juillet" not in answer_text(after)
    assert any("index swapped" in r.getMessage() for r in caplog.records)
    assert_nothing_rejected_or_pinged(standin)


async def test_follow_up_failing_with_500s_still_tells_the_user(
    standin: DiscordStandin, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # discord.py tries a 5xx follow-up five times (about 25 s) before giving up.
    standin.faults.append(Fault("POST", r"/webhooks/\d+/[^/]+", 500, {"message": "boom"}, {}, 5))
    async with running_bot(standin, bot_settings, ScriptedAnswers()):
        sent = await standin.send_slash("Qui signe ?")
        edit = await standin.wait_for_request(
            lambda r: r.method == "PATCH" and r.path.endswith("/messages/@original"), timeout=60
        )
    assert edit.status == 200
    assert edit.body["content"] == FR.error
    assert sent.token in edit.path
    assert "could not send the answer to /ask" in caplog.text
    assert_nothing_rejected_or_pinged(standin)


async def test_a_click_is_recorded_and_answered_even_with_a_bad_salt_file(
    standin: DiscordStandin, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    salt = bot_settings.feedback_file.with_name(bot_settings.feedback_file.name + ".salt")
    salt.write_text("not hex at all", encoding="utf-8")
    async with running_bot(standin, bot_settings, ScriptedAnswers()):
        sent = await standin.send_slash("Qui va en Corée du Nord ?", user_id="4242")
        message = (await standin.followup_for(sent)).created
        assert message is not None
        up = custom_ids(message)[0]
        reply = await standin.callback_for(await standin.click(message, up, user_id="4242"))

    assert reply.body["data"]["content"] == FR.feedback_thanks
    [record] = read_feedback(bot_settings.feedback_file)
    assert record["kind"] == "up" and record["user"] == ""
    assert "64 hex digits" in caplog.text
    assert salt.read_text(encoding="utf-8") == "not hex at all"
