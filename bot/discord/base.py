"""What every part of the Discord bot shares: the client's state, recent answers, notices.

`NewsBot` (bot.py: startup) extends `QuestionsCog` (cog.py: slash commands, mentions),
which extends `FeedbackButtons` (views.py: buttons, /sources), which extends `BotBase`
(here); `NewsBot.__init__` sets every attribute declared here.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.conversation import Conversations
from bot.discord.render import render_notice
from bot.discord.texts import DiscordPrompts
from bot.feedback import FeedbackLog
from bot.models import Answer
from bot.ratelimit import QuestionGate
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

# Called as answer(question), with `dates=` for `/ask since:` and `conversation=` when
# the bot holds conversations.
AnswerFn = Callable[..., Answer]

Interaction = discord.Interaction["NewsBot"]

NO_MENTIONS = discord.AllowedMentions.none()
RECENT_ANSWERS = 2000  # answers kept in memory for buttons and /sources


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


class BotBase(discord.Client):
    """The state `NewsBot.__init__` sets, for the parts of the bot defined elsewhere."""

    tree: app_commands.CommandTree[NewsBot]
    _answer: AnswerFn
    _settings: Settings
    _prompts: DiscordPrompts
    _feedback: FeedbackLog
    _gate: QuestionGate
    _wall_clock: Callable[[], float]
    _answers: RecentAnswers
    _conversations: Conversations | None
    _answer_pool: ThreadPoolExecutor


async def respond(interaction: Interaction, text: str) -> None:
    """A private notice: the interaction's response if still open, else a follow-up."""
    content = render_notice(text)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
