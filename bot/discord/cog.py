"""Questions: the slash commands (`/ask`, `/sources`) and mentions (and DMs if enabled).

Each question is admitted by the gate, answered off the event loop and sent as one embed;
one slow or failing question never affects any other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from contextlib import suppress
from functools import partial
from typing import Any, Literal

import discord
from discord import app_commands

from bot.dates import DateRange, parse_iso
from bot.discord.base import NO_MENTIONS, Interaction, respond
from bot.discord.render import (
    mentions_bot,
    question_from_mention,
    render_notice,
    render_user_error,
    render_wait_notice,
    thread_name,
)
from bot.discord.render_answer import render_answer_embed
from bot.discord.texts import DiscordTexts
from bot.discord.views import FeedbackButtons, answer_view
from bot.models import Answer
from bot.ratelimit import Admission
from index.errors import IndexCorruptError, IndexMissingError, NewsbotError

log = logging.getLogger(__name__)


def since_range(since: str | None) -> DateRange | Literal[False] | None:
    """`/ask since:` as a date range; None when not given, False when unreadable."""
    if since is None or not since.strip():
        return None
    day = parse_iso(since.strip())
    return False if day is None else DateRange(since=day)


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


class QuestionsCog(FeedbackButtons):
    """`/ask`, `/sources` registered on the command tree, and mentions answered (on top of
    the buttons, which `/sources` shares)."""

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
            await respond(interaction, texts.not_here)
            return
        dates = since_range(since)
        if dates is False:
            await respond(interaction, texts.bad_since)
            return
        admission = self._gate.admit(interaction.user.id)
        if not admission.admitted:
            await respond(interaction, self._wait_notice(texts, admission))
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

    async def _on_command_error(
        self, interaction: Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("slash command failed", exc_info=error)
        texts = self._prompts.for_locale(str(interaction.locale))
        with suppress(discord.HTTPException):
            await respond(interaction, texts.error)


async def _show_typing(channel: discord.abc.Messageable) -> None:
    # Only a courtesy while answering; lacking the permission must not block the answer.
    with suppress(discord.HTTPException):
        await channel.typing()
