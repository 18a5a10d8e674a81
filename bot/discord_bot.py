"""The Discord front end: slash commands, mentions and buttons, all calling `answer()`.

A thin adapter: deciding what to say lives in `discord_render` (pure), who may ask now in
`ratelimit`, durable feedback in `feedback`. This module only moves data between those and
discord.py, and keeps one slow or failing question from affecting any other.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, cast, get_args

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.console import error_line
from bot.conversation import Conversations
from bot.dates import DateRange, parse_iso
from bot.discord_render import (
    DEFAULT_PROMPTS_FILE,
    DiscordPrompts,
    DiscordPromptsError,
    DiscordTexts,
    load_discord_prompts,
    mentions_bot,
    question_from_mention,
    render_answer_embed,
    render_notice,
    render_sources_messages,
    render_user_error,
    render_wait_notice,
    thread_name,
)
from bot.feedback import FeedbackKind, FeedbackLog, FeedbackSaltError, make_feedback_record
from bot.models import Answer
from bot.ratelimit import Admission, QuestionGate
from bot.settings import Settings
from index.errors import IndexCorruptError, IndexMissingError, NewsbotError

log = logging.getLogger(__name__)

# Called as answer(question), with `dates=` for `/ask since:` and `conversation=` when
# the bot holds conversations.
AnswerFn = Callable[..., Answer]


def since_range(since: str | None) -> DateRange | Literal[False] | None:
    """`/ask since:` as a date range; None when not given, False when unreadable."""
    if since is None or not since.strip():
        return None
    day = parse_iso(since.strip())
    return False if day is None else DateRange(since=day)


Interaction = discord.Interaction["NewsBot"]

NO_MENTIONS = discord.AllowedMentions.none()
RECENT_ANSWERS = 2000  # answers kept in memory for buttons and /sources
_ACTIONS = ("up", "down", "bad_source", "sources")
_BUTTON_TEMPLATE = r"newsbot:(?P<action>up|down|bad_source|sources):(?P<key>[0-9a-f]{16})"


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


class RecentAnswers:
    """The last answers sent, by button key, so buttons and /sources can find them."""

    def __init__(self, limit: int = RECENT_ANSWERS) -> None:
        self._limit = limit
        self._by_key: OrderedDict[str, Answer] = OrderedDict()
        self._latest_by_user: OrderedDict[int, str] = OrderedDict()

    def add(self, answer: Answer, user_id: int) -> str:
        key = secrets.token_hex(8)
        self._by_key[key] = answer
        self._latest_by_user[user_id] = key
        self._latest_by_user.move_to_end(user_id)
        while len(self._by_key) > self._limit:
            self._by_key.popitem(last=False)
        while len(self._latest_by_user) > self._limit:
            self._latest_by_user.popitem(last=False)
        return key

    def get(self, key: str) -> Answer | None:
        return self._by_key.get(key)

    def latest_for(self, user_id: int) -> Answer | None:
        key = self._latest_by_user.get(user_id)
        return None if key is None else self._by_key.get(key)


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=_BUTTON_TEMPLATE
):
    """A feedback or sources button; its custom id names the action and the answer.

    Dynamic items are dispatched by custom id, so buttons keep working for as long as the
    answer is in `RecentAnswers`, with no per-message view kept in memory.
    """

    def __init__(
        self,
        action: str,
        key: str,
        *,
        label: str | None = None,
        emoji: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=style, custom_id=f"newsbot:{action}:{key}"
            )
        )
        self.action = action
        self.key = key

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> AnswerButton:
        return cls(str(match["action"]), str(match["key"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if isinstance(client, NewsBot):
            await client.handle_button(interaction, self.action, self.key)


def answer_view(answer: Answer, key: str, texts: DiscordTexts) -> discord.ui.View:
    """The buttons under an answer: 👍, 👎, "mauvaise source" and "Sources" when useful."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton("up", key, label=texts.button_up, emoji="👍"))
    view.add_item(AnswerButton("down", key, label=texts.button_down, emoji="👎"))
    if answer.citations or answer.related:
        view.add_item(AnswerButton("bad_source", key, label=texts.button_bad_source))
    if answer.passages:
        view.add_item(
            AnswerButton(
                "sources", key, label=texts.button_sources, style=discord.ButtonStyle.primary
            )
        )
    return view


class NewsBot(discord.Client):
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

    def _register_commands(self) -> None:
        described = self._prompts.commands

        @app_commands.command(name="ask", description=described.ask)
        @app_commands.describe(
            question=described.ask_question,
            private=described.ask_private,
            since=described.ask_since,
            new=described.ask_new,
        )
        async def ask(
            interaction: Interaction,
            question: str,
            private: bool = False,
            since: str | None = None,
            new: bool = False,
        ) -> None:
            await self.handle_ask(interaction, question, private=private, since=since, new=new)

        @app_commands.command(name="sources", description=described.sources)
        async def sources(interaction: Interaction) -> None:
            await self.handle_sources_command(interaction)

        self.tree.add_command(ask)
        self.tree.add_command(sources)

    # --- questions --------------------------------------------------------------------

    async def handle_ask(
        self,
        interaction: Interaction,
        question: str,
        *,
        private: bool,
        since: str | None = None,
        new: bool = False,
    ) -> None:
        """`/ask`: acknowledge at once, answer off the event loop, reply by follow-up."""
        texts = self._prompts.for_locale(str(interaction.locale))
        if not self._channel_allowed(interaction.channel_id, interaction.channel):
            await _respond(interaction, texts.not_here)
            return
        dates = since_range(since)
        if dates is False:
            await _respond(interaction, texts.bad_since)
            return
        admission = self._gate.admit(interaction.user.id)
        if not admission.admitted:
            await _respond(interaction, self._wait_notice(texts, admission))
            return
        try:
            # Discord drops interactions not acknowledged within 3 s; answering may take longer.
            await interaction.response.defer(thinking=True, ephemeral=private)
            talk = conversation_key(
                interaction.channel_id, interaction.channel, interaction.user.id, dm=False
            )
            if new and self._conversations is not None:
                self._conversations.forget(talk)
            reply = await self._answer_safely(question, texts, talk, dates or None)
        except discord.HTTPException as exc:
            log.warning("could not acknowledge /ask in time: %s", exc)
            return
        finally:
            self._gate.release()
        try:
            if isinstance(reply, str):
                await interaction.followup.send(
                    reply, ephemeral=private, allowed_mentions=NO_MENTIONS
                )
                return
            reply_texts = self._prompts.for_language(reply.language)
            key = self._answers.add(reply, interaction.user.id)
            # Rendering a heavy answer takes CPU: keep it off the event loop (heartbeats).
            payload = await asyncio.to_thread(render_answer_embed, reply, reply_texts)
            await interaction.followup.send(
                embed=discord.Embed.from_dict(payload),
                view=answer_view(reply, key, reply_texts),
                ephemeral=private,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.error("could not send the answer to /ask: %s", exc)
            await self._tell_answer_failed(interaction, texts)

    async def _tell_answer_failed(self, interaction: Interaction, texts: DiscordTexts) -> None:
        """One more try, on another endpoint, so the user is not left on "thinking…"."""
        notice = render_notice(texts.error)
        try:
            await interaction.edit_original_response(
                content=notice, embed=None, view=None, allowed_mentions=NO_MENTIONS
            )
            log.info("told the user their answer could not be sent")
            return
        except discord.HTTPException as exc:
            log.error("could not replace the 'thinking' message either: %s", exc)
        try:
            await interaction.followup.send(notice, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.error("could not tell the user their answer failed: %s", exc)

    async def on_message(self, message: discord.Message) -> None:
        """A message mentioning the bot (or a DM, if enabled) is a question."""
        me = self.user
        if me is None or message.author.bot:
            return
        is_dm = message.guild is None
        if is_dm:
            if not self._settings.discord_answer_dms:
                return
        elif not self._settings.discord_mentions or not mentions_bot(message.content, me.id):
            return
        try:
            await self._answer_message(message, me.id, is_dm=is_dm)
        except discord.HTTPException as exc:
            log.error("could not reply to a mention: %s", exc)
        except Exception:
            log.exception("answering a mention failed")
            with suppress(discord.HTTPException):
                await self._reply(message, render_notice(self._prompts.for_language(None).error))

    async def _answer_message(self, message: discord.Message, bot_id: int, *, is_dm: bool) -> None:
        texts = self._prompts.for_language(None)
        if not is_dm and not self._channel_allowed(message.channel.id, message.channel):
            await self._reply(message, render_notice(texts.not_here))
            return
        question = question_from_mention(message.content, bot_id)
        if not question:
            await self._reply(message, render_notice(texts.empty_mention))
            return
        admission = self._gate.admit(message.author.id)
        if not admission.admitted:
            await self._reply(message, self._wait_notice(texts, admission))
            return
        talk = conversation_key(message.channel.id, message.channel, message.author.id, dm=is_dm)
        try:
            await _show_typing(message.channel)
            reply = await self._answer_safely(question, texts, talk)
        finally:
            self._gate.release()
        if isinstance(reply, str):
            await self._reply(message, reply)
            return
        reply_texts = self._prompts.for_language(reply.language)
        key = self._answers.add(reply, message.author.id)
        payload = await asyncio.to_thread(render_answer_embed, reply, reply_texts)
        embed = discord.Embed.from_dict(payload)
        view = answer_view(reply, key, reply_texts)
        thread = await self._thread_for(message, question) if not is_dm else None
        if thread is not None and self._conversations is not None:
            # Follow-ups asked in the new thread continue this conversation.
            self._conversations.move(talk, ("thread", thread.id))
        if thread is not None:
            await thread.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        else:
            await self._reply(message, None, embed=embed, view=view)

    async def _thread_for(self, message: discord.Message, question: str) -> discord.Thread | None:
        if not self._settings.discord_reply_in_thread or not isinstance(
            message.channel, discord.TextChannel
        ):
            return None
        try:
            return await message.create_thread(name=thread_name(question))
        except discord.HTTPException as exc:
            # Missing "Create Public Threads" permission: answer in the channel instead.
            log.warning("could not open a thread for an answer, replying inline: %s", exc)
            return None

    async def _reply(
        self,
        message: discord.Message,
        content: str | None,
        *,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if embed is not None:
            kwargs["embed"] = embed
        if view is not None:
            kwargs["view"] = view
        await message.channel.send(
            content, reference=message.to_reference(fail_if_not_exists=False), **kwargs
        )

    async def _answer_safely(
        self,
        question: str,
        texts: DiscordTexts,
        key: Hashable = None,
        dates: DateRange | None = None,
    ) -> Answer | str:
        """The answer, or the one-line notice to show instead; never raises."""
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            extra: dict[str, object] = {} if dates is None else {"dates": dates}
            if self._conversations is not None and key is not None:
                extra["conversation"] = self._conversations.get(key)
            work: Callable[[], Answer] = partial(self._answer, question, **extra)
            answer = await loop.run_in_executor(self._answer_pool, work)
            # Never the user's text at INFO: what was done, not what was asked.
            log.info(
                "question answered (%s, %s, %d citation(s), %.0f ms)",
                "refused" if answer.abstained else "answer",
                answer.language,
                len(answer.citations),
                (time.perf_counter() - started) * 1000,
            )
            return answer
        except (IndexMissingError, IndexCorruptError) as exc:
            log.error("index unavailable, questions get an error message: %s", exc)
            return render_user_error(texts, str(exc))
        except NewsbotError as exc:
            log.info("question refused (%s): %s", type(exc).__name__, exc)
            return render_user_error(texts, str(exc))
        except Exception:
            log.exception("answer() failed; the user was told something went wrong")
            return render_notice(texts.error)

    def _wait_notice(self, texts: DiscordTexts, admission: Admission) -> str:
        template = texts.cooldown if admission.verdict == "cooldown" else texts.busy
        return render_wait_notice(
            template,
            retry_after=admission.retry_after,
            now=self._wall_clock(),
            cooldown_seconds=self._settings.discord_cooldown_seconds,
        )

    def _channel_allowed(self, channel_id: int | None, channel: object) -> bool:
        allowed = self._settings.discord_channels
        if not allowed:
            return True
        # A thread counts as its parent channel, so listing a channel covers its threads.
        parent_id = getattr(channel, "parent_id", None)
        return channel_id in allowed or parent_id in allowed

    # --- buttons and /sources ---------------------------------------------------------

    async def handle_button(self, interaction: Interaction, action: str, key: str) -> None:
        """A click on 👍 / 👎 / "mauvaise source" (logged) or "Sources" (shown privately)."""
        answer = self._answers.get(key)
        texts = (
            self._prompts.for_language(answer.language)
            if answer is not None
            else self._prompts.for_locale(str(interaction.locale))
        )
        try:
            if answer is None:
                await _respond(interaction, texts.feedback_expired)
            elif action == "sources":
                await self._send_sources(interaction, answer, texts)
            elif action in get_args(FeedbackKind):
                await asyncio.to_thread(
                    self._record_feedback, cast(FeedbackKind, action), answer, key, interaction
                )
                await _respond(interaction, texts.feedback_thanks)
        except OSError:
            log.exception("could not write feedback to %s", self._feedback.path)
            await _respond(interaction, texts.error)
        except discord.HTTPException as exc:
            log.error("could not answer a button click: %s", exc)

    def _record_feedback(
        self, kind: FeedbackKind, answer: Answer, key: str, interaction: Interaction
    ) -> None:
        try:
            user_hash = self._feedback.user_hash(interaction.user.id)
        except FeedbackSaltError as exc:
            # Keep the click (without a pseudonym) rather than lose it; the operator fixes it.
            log.error("%s; clicks are recorded without a user pseudonym", exc)
            user_hash = ""
        record = make_feedback_record(
            kind=kind, answer=answer, answer_id=key, user_hash=user_hash, now=datetime.now(UTC)
        )
        self._feedback.append(record)

    async def handle_sources_command(self, interaction: Interaction) -> None:
        """`/sources`: the full passages behind the caller's latest answer."""
        answer = self._answers.latest_for(interaction.user.id)
        if answer is None:
            texts = self._prompts.for_locale(str(interaction.locale))
            await _respond(interaction, texts.no_recent_answer)
            return
        await self._send_sources(interaction, answer, self._prompts.for_language(answer.language))

    async def _send_sources(
        self, interaction: Interaction, answer: Answer, texts: DiscordTexts
    ) -> None:
        messages = await asyncio.to_thread(render_sources_messages, answer, texts)
        if not messages:
            await _respond(interaction, texts.no_passages)
            return
        first, *rest = messages
        await interaction.response.send_message(
            embeds=[discord.Embed.from_dict(e) for e in first],
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        for embeds in rest:
            await interaction.followup.send(
                embeds=[discord.Embed.from_dict(e) for e in embeds],
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    async def _on_command_error(
        self, interaction: Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("slash command failed", exc_info=error)
        texts = self._prompts.for_locale(str(interaction.locale))
        with suppress(discord.HTTPException):
            await _respond(interaction, texts.error)


async def _respond(interaction: Interaction, text: str) -> None:
    """A private notice: the interaction's response if still open, else a follow-up."""
    content = render_notice(text)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def _show_typing(channel: discord.abc.Messageable) -> None:
    # Only a courtesy while answering; lacking the permission must not block the answer.
    with suppress(discord.HTTPException):
        await channel.typing()


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


def conversation_key(
    channel_id: int | None, channel: object, user_id: int, *, dm: bool
) -> Hashable:
    """Whose conversation a question continues: the thread's, the DM's, or the user's in a
    channel."""
    if dm or isinstance(channel, discord.DMChannel):
        return ("dm", user_id)
    if isinstance(channel, discord.Thread):
        return ("thread", channel.id)
    return ("channel", channel_id, user_id)


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
