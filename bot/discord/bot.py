"""The Discord front end: startup, intents and the entry points, all calling `answer()`.

A thin adapter: deciding what to say lives in `render` (pure), who may ask now in
`ratelimit`, durable feedback in `feedback`. `NewsBot` joins the questions (`cog`) and
the buttons (`views`) and moves data between those and discord.py.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.console import error_line
from bot.conversation import Conversations
from bot.discord.base import NO_MENTIONS, AnswerFn, RecentAnswers
from bot.discord.cog import QuestionsCog
from bot.discord.texts import (
    DEFAULT_PROMPTS_FILE,
    DiscordPrompts,
    DiscordPromptsError,
    load_discord_prompts,
)
from bot.discord.views import AnswerButton
from bot.feedback import FeedbackLog
from bot.ratelimit import QuestionGate
from bot.settings import Settings

log = logging.getLogger(__name__)


@contextmanager
def use_discord_api(api_base: str) -> Iterator[None]:
    """Send discord.py's REST calls to `api_base` (e.g. a test stand-in or a REST proxy).

    The gateway URL then comes from that server's `GET /gateway/bot` (see `setup_hook`).
    Both are process-wide in discord.py, so they are restored on exit.
    """
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = api_base.rstrip("/")
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


def intents_for(settings: Settings) -> discord.Intents:
    """Only the intents the enabled triggers need; never a privileged one."""
    intents = discord.Intents.none()
    intents.guilds = True  # threads and channel parents resolve from the guild cache
    intents.guild_messages = settings.discord_mentions
    intents.dm_messages = settings.discord_answer_dms
    # No message_content: Discord includes the content of messages that mention the bot
    # and of DMs without it, and those are the only messages the bot reads.
    return intents


class NewsBot(QuestionsCog):
    """Answers `/ask`, mentions (and DMs if enabled) with `answer()`; records feedback."""

    def __init__(
        self,
        *,
        answer: AnswerFn,
        settings: Settings,
        prompts: DiscordPrompts,
        feedback: FeedbackLog,
        gate: QuestionGate | None = None,
        wall_clock: Callable[[], float] = time.time,
        conversations: Conversations | None = None,
        **client_options: Any,
    ) -> None:
        # We never join voice; silence discord.py's "voice will NOT be supported" warnings.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents_for(settings), allowed_mentions=NO_MENTIONS, **client_options
        )
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self._answer = answer
        self._settings = settings
        self._prompts = prompts
        self._feedback = feedback
        self._gate = gate or QuestionGate(
            cooldown_seconds=settings.discord_cooldown_seconds,
            max_concurrent=settings.discord_max_concurrent,
        )
        self._wall_clock = wall_clock
        self._answers = RecentAnswers()
        # Follow-ups: one conversation per thread, per DM, per user in a channel; None
        # answers every question alone.
        self._conversations = conversations
        self._announced = False
        # Answers get their own threads, one per admitted question, so slow answers never
        # starve the shared pool that feedback writes (and discord.py) rely on.
        self._answer_pool = ThreadPoolExecutor(
            max_workers=settings.discord_max_concurrent, thread_name_prefix="newsbot-answer"
        )
        self._register_commands()

    # --- startup ----------------------------------------------------------------------

    async def setup_hook(self) -> None:
        await self._use_gateway_from_api()
        self.add_dynamic_items(AnswerButton)
        guild_id = self._settings.discord_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("slash commands synced to guild %s: %d", guild_id, len(synced))
        else:
            synced = await self.tree.sync()
            log.info("slash commands synced globally: %d (may take up to an hour)", len(synced))

    async def close(self) -> None:
        await super().close()
        # Questions still being answered cannot be replied to any more; do not wait for them.
        self._answer_pool.shutdown(wait=False, cancel_futures=True)

    async def _use_gateway_from_api(self) -> None:
        # discord.Client always dials DEFAULT_GATEWAY; Discord asks clients to use the URL
        # from /gateway/bot instead, which is also how a stand-in or proxy takes over.
        try:
            _, url, _ = await self.http.get_bot_gateway()
        except discord.GatewayNotFound:
            log.warning("GET /gateway/bot failed; using %s", DiscordWebSocket.DEFAULT_GATEWAY)
            return
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

    async def on_ready(self) -> None:
        # on_ready fires again after every reconnect; say it once.
        if self._announced:
            return
        self._announced = True
        log.info(
            "connected to Discord as %s (id %s) in %d server(s)",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
        )


# --- entry point ----------------------------------------------------------------------


async def serve_discord_bot(
    settings: Settings,
    answer: AnswerFn,
    *,
    prompts: DiscordPrompts,
    api_base: str | None = None,
    stop: asyncio.Event | None = None,
    handle_signals: bool = True,
    **client_options: Any,
) -> int:
    """Run the bot until `stop` is set (or SIGINT/SIGTERM); returns an exit code.

    Startup failures (bad token, missing intents, Discord unreachable) print one line to
    stderr and return 1; the token is never part of that line.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
            except (NotImplementedError, RuntimeError):
                pass  # not the main thread, or Windows: the caller stops us instead
    try:
        with use_discord_api(api_base) if api_base else nullcontext():
            bot = NewsBot(
                answer=answer,
                settings=settings,
                prompts=prompts,
                feedback=FeedbackLog(settings.feedback_file),
                **client_options,
            )
            async with bot:
                running = asyncio.create_task(bot.start(settings.discord_token))
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping.done():
                    log.info("stopping the Discord bot")
                    await bot.close()
                stopping.cancel()
                await running
    except Exception as exc:
        reason = _startup_failure(exc)
        if reason is None:
            raise
        _print_error(reason, settings.discord_token)
        return 1
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    return 0


def _startup_failure(exc: BaseException) -> str | None:
    """The one line an operator needs for an expected startup failure, else None."""
    if isinstance(exc, discord.LoginFailure):
        return "Discord rejected the token: check DISCORD_TOKEN (Bot tab of the application)."
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return (
            "Discord refused the requested intents: enable them in the Developer Portal "
            "(Bot tab, Privileged Gateway Intents)."
        )
    if isinstance(exc, discord.ConnectionClosed):
        if exc.code == 4004:
            return "Discord rejected the token on the gateway: check DISCORD_TOKEN."
        return f"the Discord gateway closed the connection (code {exc.code}): {exc.reason}"
    if isinstance(exc, discord.Forbidden):
        return (
            "Discord refused to register the slash commands: invite the bot with the "
            f"applications.commands scope ({exc.status} {exc.text})."
        )
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered HTTP {exc.status} during startup: {exc.text}"
    if isinstance(exc, discord.GatewayNotFound | aiohttp.ClientError | OSError):
        return f"cannot reach Discord: {exc}"
    return None


def _print_error(reason: str, token: str) -> None:
    line = " ".join(reason.split())
    if token:
        line = line.replace(token, "[token]")
    print(error_line(line), file=sys.stderr, flush=True)


def run_discord_bot(
    settings: Settings,
    answer: AnswerFn,
    *,
    api_base: str | None = None,
    prompts_file: Path = DEFAULT_PROMPTS_FILE,
    conversations: Conversations | None = None,
) -> int:
    """Run the Discord bot until SIGINT/SIGTERM and return the process exit code."""
    if not settings.discord_token.strip():
        _print_error("DISCORD_TOKEN is not set (environment or .env); see the README.", "")
        return 2
    try:
        prompts = load_discord_prompts(prompts_file)
    except DiscordPromptsError as exc:
        _print_error(str(exc), settings.discord_token)
        return 2
    return asyncio.run(
        serve_discord_bot(
            settings, answer, prompts=prompts, api_base=api_base, conversations=conversations
        )
    )
