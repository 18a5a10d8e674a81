"""What `newsbot discord` says at the default level: connected, synced, each question."""

from __future__ import annotations

import asyncio
import logging

import pytest
from click.testing import CliRunner
from conftest import TOKEN, ScriptedAnswers, running_bot
from discord_standin import DiscordStandin

import bot.discord.bot
import bot.engine
from bot.cli import cli
from bot.settings import Settings

pytestmark = pytest.mark.discord
QUESTION = "Qui accompagne Poutine dans son voyage secret ?"


async def test_startup_and_each_answer_are_logged_without_user_text_or_token(
    standin: DiscordStandin, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.discord")

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name.startswith("bot.discord.")]

    async with running_bot(standin, bot_settings, ScriptedAnswers()):
        await standin.followup_for(await standin.send_slash(QUESTION))
        for _ in range(100):  # discord.py fires on_ready once the guilds have arrived
            if any(m.startswith("connected") for m in messages()):
                break
            await asyncio.sleep(0.1)
    connected = [m for m in messages() if m.startswith("connected to Discord as")]
    assert len(connected) == 1 and "in 1 server(s)" in connected[0]
    assert any(m.startswith("slash commands synced") for m in messages())
    assert any(m.startswith("question answered (") for m in messages())
    assert not any(QUESTION in m or TOKEN in m for m in messages())


def test_the_cli_shows_the_bot_info_lines_at_the_default_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Idle:
        def searcher(self) -> None:
            return None

        def answer(self, question: str) -> None:
            raise AssertionError

    def fake_run(settings: Settings, answer: object, **options: object) -> int:
        logging.getLogger("bot.discord.bot").info("connected to Discord as newsbot#1")
        return 0

    monkeypatch.setattr(bot.engine.Engine, "load", classmethod(lambda cls, s: Idle()))
    monkeypatch.setattr(bot.discord.bot, "run_discord_bot", fake_run)
    result = CliRunner().invoke(cli, ["discord"], env={"DISCORD_TOKEN": TOKEN})
    assert result.exit_code == 0
    assert "newsbot: connected to Discord as newsbot#1" in result.stderr


def test_the_bot_starts_without_an_index_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from index.errors import IndexMissingError

    class NoIndex:
        def searcher(self) -> None:
            raise IndexMissingError("no index at data/index — run `newsbot index`")

        answer = None

    monkeypatch.setattr(bot.engine.Engine, "load", classmethod(lambda cls, s: NoIndex()))
    monkeypatch.setattr(bot.discord.bot, "run_discord_bot", lambda settings, answer, **options: 0)
    result = CliRunner().invoke(cli, ["discord"], env={"DISCORD_TOKEN": TOKEN})
    assert result.exit_code == 0
    assert result.stderr.startswith("newsbot: warning: no index at data/index")
