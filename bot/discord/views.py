"""Buttons under an answer (👍, 👎, "mauvaise source", "Sources"), feedback and /sources."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, cast, get_args

import discord

from bot.discord.base import NO_MENTIONS, BotBase, Interaction, respond
from bot.discord.render_sources import render_sources_messages
from bot.discord.texts import DiscordTexts
from bot.feedback import FeedbackKind, FeedbackSaltError, make_feedback_record
from bot.models import Answer

log = logging.getLogger(__name__)

_BUTTON_TEMPLATE = r"newsbot:(?P<action>up|down|bad_source|sources):(?P<key>[0-9a-f]{16})"


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
        if isinstance(client, FeedbackButtons):
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


class FeedbackButtons(BotBase):
    """Clicks on the buttons of `answer_view` and the `/sources` command."""

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
                await respond(interaction, texts.feedback_expired)
            elif action == "sources":
                await self._send_sources(interaction, answer, texts)
            elif action in get_args(FeedbackKind):
                await asyncio.to_thread(
                    self._record_feedback, cast(FeedbackKind, action), answer, key, interaction
                )
                await respond(interaction, texts.feedback_thanks)
        except OSError:
            log.exception("could not write feedback to %s", self._feedback.path)
            await respond(interaction, texts.error)
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
            await respond(interaction, texts.no_recent_answer)
            return
        await self._send_sources(interaction, answer, self._prompts.for_language(answer.language))

    async def _send_sources(
        self, interaction: Interaction, answer: Answer, texts: DiscordTexts
    ) -> None:
        messages = await asyncio.to_thread(render_sources_messages, answer, texts)
        if not messages:
            await respond(interaction, texts.no_passages)
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
