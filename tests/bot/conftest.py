"""Shared pieces for the Discord tests: the stand-in, a running bot, real Answer records."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from discord_standin import DiscordStandin

from bot.discord.bot import serve_discord_bot
from bot.discord.texts import DiscordPrompts, load_discord_prompts
from bot.models import Answer, Citation, Passage
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTI3.test-token.standin"
SEED = (ROOT / "seeds" / "000_42a09c5fa2a475f0.txt").read_text(encoding="utf-8")
SEED_URL = "https://www.example-news.fr/monde/poutine-coree-du-nord"


def seed_citation(n: int, sentence_index: int, *, url: str | None = SEED_URL) -> Citation:
    """A real citation: a whole sentence of a seed article, with its offsets."""
    sentences = [s for s in SEED.split(". ") if s]
    start = SEED.index(sentences[sentence_index])
    end = start + len(sentences[sentence_index]) + 1
    return Citation(
        n=n,
        article_id="42a09c5fa2a475f0",
        source=url or "seeds/000_42a09c5fa2a475f0.txt",
        title="Poutine se rendra en Corée du Nord",
        snippet=SEED[start:end],
        start=start,
        end=end,
        url=url,
    )


def cited_answer(question: str, *, language: str = "fr") -> Answer:
    """A two-source extractive answer built from the seed article."""
    first, second = seed_citation(1, 0), seed_citation(2, 2)
    return Answer(
        question=question,
        text=f"{first.snippet} [1] {second.snippet} [2]",
        abstained=False,
        mode="extractive",
        language=language,
        citations=(first, second),
        passages=tuple(
            Passage(
                n=c.n,
                article_id=c.article_id,
                title=c.title,
                source=c.source,
                text=SEED[max(0, c.start - 200) : c.end + 200],
                url=c.url,
            )
            for c in (first, second)
        ),
    )


@dataclass
class ScriptedAnswers:
    """The boundary fake: `answer(question)` returning real `Answer` records.

    `reply` builds the answer (or raises); `gates` lets a test hold a question until it
    sets the event, to prove slow questions do not block others.
    """

    reply: Callable[[str], Answer] = cited_answer
    delay: float = 0.0
    gates: dict[str, threading.Event] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)

    def __call__(self, question: str) -> Answer:
        self.asked.append(question)
        self.threads.append(threading.current_thread().name)
        gate = self.gates.get(question)
        if gate is not None and not gate.wait(timeout=10):
            raise TimeoutError("test gate never opened")
        if self.delay:
            threading.Event().wait(self.delay)
        return self.reply(question)


@dataclass
class RunningBot:
    settings: Settings
    task: asyncio.Task[int]
    stop: asyncio.Event


@pytest.fixture
def prompts() -> DiscordPrompts:
    return load_discord_prompts()


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandin]:
    async with DiscordStandin(token=TOKEN) as server:
        yield server


@pytest.fixture
def bot_settings(tmp_path: Path, standin: DiscordStandin) -> Settings:
    return Settings(
        discord_token=TOKEN,
        discord_guild_id=int(standin.guild_id),
        discord_cooldown_seconds=0.0,
        discord_max_concurrent=4,
        feedback_file=tmp_path / "feedback.jsonl",
    )


@asynccontextmanager
async def running_bot(
    standin: DiscordStandin,
    settings: Settings,
    answer: Callable[[str], Answer],
    **client_options: Any,
) -> AsyncIterator[RunningBot]:
    """The real entry coroutine, connected to the stand-in, stopped (and checked) on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_discord_bot(
            settings,
            answer,
            prompts=load_discord_prompts(),
            api_base=standin.api_base,
            stop=stop,
            handle_signals=False,
            **client_options,
        )
    )
    try:
        await asyncio.wait_for(_ready_or_failed(standin, task), 10)
        yield RunningBot(settings, task, stop)
    finally:
        stop.set()
        code = await asyncio.wait_for(task, 10)
    assert code == 0


async def _ready_or_failed(standin: DiscordStandin, task: asyncio.Task[int]) -> None:
    ready = asyncio.create_task(standin.wait_ready())
    done, _ = await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        raise AssertionError(f"bot stopped during startup with exit code {task.result()}")
    ready.result()
