"""The index of a folder of articles named on the command line (`eval --source`,
`train`): built once beside the main index, or in a schema of its own, then reused."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.options import settings_embedder
from bot.settings import Settings


def corpus_settings(settings: Settings, source: Path) -> Settings:
    """The settings that read the index of `source`: a folder beside the main index, or
    with a database, a schema of its own there (`corpus_…`)."""
    if not settings.database_url:
        return settings.with_overrides(index_dir=corpus_index(settings, source))
    from bot.progress import build_progress
    from index.build import build_index
    from index.chunk import ChunkSettings
    from index.corpora import corpus_index_dir
    from index.store import open_store

    schema = "corpus_" + corpus_index_dir(source, Path()).name.replace("-", "_").lower()[:50]
    embedder = settings_embedder(settings)
    store = open_store(settings.index_dir, settings.database_url, schema)
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    with build_progress() as progress:
        report = build_index(source, store, embedder, chunking, progress=progress)
    state = "reused" if report.up_to_date else "built"
    click.echo(
        f"index of {source} {state} at {store.location} ({report.articles} articles)", err=True
    )
    return settings.with_overrides(database_schema=schema)


def corpus_index(settings: Settings, source: Path) -> Path:
    """The index of `source` beside the main one, built or brought up to date."""
    from bot.progress import build_progress
    from index.chunk import ChunkSettings
    from index.corpora import ensure_corpus_index

    embedder = settings_embedder(settings)
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    with build_progress() as progress:
        folder, report = ensure_corpus_index(
            source, settings.index_dir.parent, embedder, chunking, progress
        )
    state = "reused" if report.up_to_date else "built"
    click.echo(f"index of {source} {state} at {folder} ({report.articles} articles)", err=True)
    return folder
