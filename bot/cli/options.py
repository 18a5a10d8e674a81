"""What every subcommand shares: settings from the environment and the command line,
the `--index-dir`/`--database-url` and date options, and checks made before loading."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.preflight import join_words, require_index
from bot.settings import Settings

if TYPE_CHECKING:
    from index.embed import VectorEmbeddings

F = TypeVar("F", bound=Callable[..., Any])
TOP_K_HELP = "(default: $NEWSBOT_TOP_K, else 5)"
DATABASE_URL_KEY = "newsbot.database_url"  # where --database-url waits for _settings


def command_settings(index_dir: Path | None, **overrides: Any) -> Settings:
    context = click.get_current_context(silent=True)
    database_url = context.meta.get(DATABASE_URL_KEY) if context is not None else None
    return Settings.from_env().with_overrides(
        index_dir=index_dir, database_url=database_url, **overrides
    )


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def date_range_options(func: F) -> F:
    """`--since DATE` and `--until DATE`: only articles published in that range."""
    func = click.option(
        "--until",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Only articles published on or before this date (YYYY-MM-DD) (default: no limit).",
    )(func)
    return click.option(
        "--since",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Only articles published on or after this date (YYYY-MM-DD); undated ones "
        "are then left out (default: no limit).",
    )(func)


def date_range(since: Any, until: Any) -> Any:
    if since is None and until is None:
        return None
    from bot.dates import DateRange

    return DateRange(
        since.date() if since is not None else None, until.date() if until is not None else None
    )


def _remember_database_url(context: click.Context, _: Any, value: str | None) -> None:
    if value is not None:
        context.meta[DATABASE_URL_KEY] = value


def index_dir_option(func: F) -> F:
    """`--index-dir` and `--database-url` on every subcommand; they override
    NEWSBOT_INDEX_DIR and NEWSBOT_DATABASE_URL."""
    func = click.option(
        "--database-url",
        default=None,
        metavar="URL",
        expose_value=False,
        callback=_remember_database_url,
        help="Use the PostgreSQL store at postgresql://USER:PASSWORD@HOST:PORT/DB instead "
        "of the index folder (default: $NEWSBOT_DATABASE_URL, else the folder).",
    )(func)
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index folder (default: $NEWSBOT_INDEX_DIR, else data/index).",
    )(func)


def checked_question(words: tuple[str, ...]) -> str | None:
    """The question typed on the command line, refused now if it is empty or too long."""
    from bot.question import clean_question

    question = join_words(words)
    if question is not None:
        clean_question(question)
    return question


def require_index_of(settings: Settings, *, given: bool) -> None:
    """One line and exit 1, before any model loads, when the store to read is missing."""
    require_index(
        settings.index_dir,
        given=given,
        database_url=settings.database_url,
        schema=settings.database_schema,
    )


def settings_embedder(settings: Settings) -> VectorEmbeddings:
    """The embedding model the settings name, with their prefixes (loaded now)."""
    from index.embed import load_embedder

    return load_embedder(
        settings.embedding_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )
