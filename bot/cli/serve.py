"""`newsbot discord`: run the Discord bot."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.options import command_settings, index_dir_option
from bot.console import print_error, print_warning, show_info_from
from index.errors import NewsbotError


@click.command("discord")
@index_dir_option
def discord_command(index_dir: Path | None) -> None:
    """Run the Discord bot (DISCORD_TOKEN from the environment or .env)."""
    settings = command_settings(index_dir)
    if not settings.discord_token.strip():  # before loading anything
        print_error("DISCORD_TOKEN is not set (environment or .env); see the README.")
        sys.exit(2)
    from bot.discord.bot import run_discord_bot
    from bot.engine import Engine

    show_info_from("newsbot")
    show_info_from("bot.discord")
    engine = Engine.load(settings)
    try:
        engine.searcher()
    except NewsbotError as exc:
        # Start anyway: users get a clear message and `newsbot index` fixes it live.
        print_warning(f"{exc}; the bot answers with this message until then")
    from bot.conversation import Conversations

    conversations = Conversations.from_settings(settings)
    sys.exit(run_discord_bot(settings, engine.answer, conversations=conversations))
