"""`newsbot index`: build or update the index from its sources, once or on a timer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from bot.cli.options import command_settings, index_dir_option, plural, settings_embedder
from bot.console import print_error, print_warning, show_info_from
from bot.preflight import require_database, require_source
from bot.settings import Settings
from index.errors import NewsbotError


@click.command("index")
@index_dir_option
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="FOLDER|FILE|URL",
    help="Repeatable: a folder or file of .txt/.md/.html/.jsonl/.pdf articles, the URL of "
    "an RSS/Atom feed or a web page, or a .feeds/OPML list of feeds "
    "(default: $NEWSBOT_SOURCE_DIR, else seeds/).",
)
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only changes.")
@click.option("--watch", is_flag=True, help="Keep re-indexing; Ctrl-C or SIGTERM stops it.")
@click.option(
    "--every",
    default="15m",
    show_default=True,
    metavar="DURATION",
    help="With --watch: the wait between runs (90, 30s, 15m, 2h).",
)
def index_command(
    index_dir: Path | None, sources: tuple[str, ...], rebuild: bool, watch: bool, every: str
) -> None:
    """Build or update the index from its sources.

    Sources are folders, files, feed or page URLs, and .feeds or OPML lists of feeds.
    """
    started = time.perf_counter()
    settings = command_settings(index_dir)
    interval = _duration(every)
    require_database(settings.database_url, settings.database_schema)
    from index.sources.remote import plan_sources

    if not sources:
        require_source(settings.source_dir, given=False)
    local, remote = plan_sources(sources or (str(settings.source_dir),))
    from bot.progress import build_progress

    show_info_from("newsbot")  # builds report their stages, verbose or not
    with build_progress() as progress:
        progress("loading the embedding model", 0, 1)
        embedder = settings_embedder(settings)
    if not watch:
        _index_once(settings, local, remote, embedder, rebuild=rebuild, started=started)
        return
    from bot.watch import StopSignals

    with StopSignals() as stop:
        while True:
            try:
                _index_once(settings, local, remote, embedder, rebuild=rebuild, started=started)
            except NewsbotError as exc:  # a bad run is reported; the next one may do better
                print_error(str(exc))
            rebuild = False
            if stop.wait(interval):
                break
            started = time.perf_counter()
    click.echo("newsbot index --watch stopped", err=True)


def _duration(text: str) -> float:
    """Seconds of "90", "30s", "15m" or "2h"."""
    units = {"s": 1, "m": 60, "h": 3600}
    raw = text.strip().lower()
    scale = units.get(raw[-1:], 1)
    number = raw[:-1] if raw[-1:] in units else raw
    try:
        seconds = float(number) * scale
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration (90, 30s, 15m, 2h)") from None
    if seconds <= 0:
        raise click.BadParameter(f"{text!r} must be positive")
    return seconds


def _index_once(
    settings: Settings,
    local: list[Path],
    remote: list[Any],
    embedder: Any,
    *,
    rebuild: bool,
    started: float,
) -> None:
    """One incremental run: fetch what is remote, build, name every skip, sum up."""
    from bot.progress import build_progress
    from index.build import build_index
    from index.chunk import ChunkSettings
    from index.file_hashes import hash_table_path
    from index.models import RemoteRead
    from index.source_files import SourceLimits

    fetched = RemoteRead()
    if remote:
        from index.sources.remote import read_remote
        from index.sources.web import Fetcher, FetchPolicy, PageCache

        policy = FetchPolicy(
            timeout=settings.fetch_timeout,
            retries=settings.fetch_retries,
            backoff=settings.fetch_backoff,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            per_host=settings.fetch_per_host,
        )
        cache = PageCache(settings.index_dir.parent / f"{settings.index_dir.name}-http-cache")
        with Fetcher(policy, cache) as fetcher:
            fetched = read_remote(remote, fetcher)
    from index.store import open_store

    store = open_store(settings.index_dir, settings.database_url, settings.database_schema)
    with build_progress() as progress:
        report = build_index(
            local,
            store,
            embedder,
            ChunkSettings(settings.chunk_size, settings.chunk_overlap),
            rebuild=rebuild,
            progress=progress,
            limits=SourceLimits(
                settings.max_file_bytes, settings.max_line_chars, settings.max_word_chars
            ),
            remote=fetched,
            hash_table=hash_table_path(settings.index_dir),
        )
    for skipped in report.skipped:  # every run names them, not only the first
        print_warning(f"skipped {skipped.origin}: {skipped.reason}")
    state = "up to date" if report.up_to_date else "built"
    click.echo(
        f"index {state} at {store.location}: {report.added} added, {report.changed} changed, "
        f"{report.removed} removed, {len(report.skipped)} skipped; "
        f"{plural(report.articles, 'article')}, {plural(report.chunks, 'chunk')} "
        f"({report.embedded} embedded"
        + (f", {plural(report.words_embedded, 'new word')}" if report.words_embedded else "")
        # The whole command, model load included: what the user waited.
        + f") in {time.perf_counter() - started:.1f} s"
    )
