"""The `newsbot` command group, its subcommands, and the console entry point."""

from __future__ import annotations

import sys

import click

from bot.cli.ask import ask_command, repl_command
from bot.cli.evaluate import eval_command
from bot.cli.indexing import index_command
from bot.cli.search import search_command
from bot.cli.serve import discord_command
from bot.cli.train import train_command
from bot.console import print_error, setup_logging
from bot.settings import PROJECT_ROOT, SettingsError
from index.errors import NewsbotError


@click.group(
    commands=[
        index_command,
        search_command,
        ask_command,
        repl_command,
        discord_command,
        eval_command,
        train_command,
    ]
)
@click.option("-v", "--verbose", is_flag=True, help="Log progress and decisions (to stderr).")
def cli(verbose: bool) -> None:
    """Answer questions over news articles, every claim cited.

    Settings come from NEWSBOT_* variables, or from the first .env file found in the
    current folder or above it (see .env.example).
    """
    setup_logging(verbose)


def _load_dotenv() -> None:
    """The first .env from the current folder upward, else the project's own."""
    from dotenv import find_dotenv, load_dotenv

    found = find_dotenv(usecwd=True)
    load_dotenv(found or PROJECT_ROOT / ".env")


def _usage_error(exc: click.UsageError) -> str:
    command = exc.ctx.command_path if exc.ctx is not None else "newsbot"
    text = exc.format_message().rstrip(".")
    if isinstance(exc, click.NoSuchOption) and command.endswith((" ask", " search")):
        text += (
            f". A question that starts with '-' goes after `--`: "
            f'{command} -- "{exc.option_name} …"'
        )
    return f"{text} (see `{command} --help`)"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: reads .env, runs the command, turns known errors into one line."""
    _load_dotenv()
    try:
        cli.main(args=argv, prog_name="newsbot", standalone_mode=False)
    except click.exceptions.Abort:
        print_error("aborted")
        sys.exit(130)
    except click.UsageError as exc:
        print_error(_usage_error(exc))
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        print_error(exc.format_message())
        sys.exit(exc.exit_code)
    except (NewsbotError, SettingsError) as exc:
        print_error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
