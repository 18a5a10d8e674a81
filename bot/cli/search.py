"""`newsbot search`: the passages found for a query, with each retriever's score."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.options import (
    TOP_K_HELP,
    checked_question,
    command_settings,
    date_range,
    date_range_options,
    index_dir_option,
    require_index_of,
)


@click.command("search")
@index_dir_option
@click.argument("query", nargs=-1, required=True)
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help=f"Hits {TOP_K_HELP}.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit, per line.")
@date_range_options
def search_command(
    index_dir: Path | None,
    query: tuple[str, ...],
    k: int | None,
    as_json: bool,
    since: Any,
    until: Any,
) -> None:
    """Show the passages found for QUERY, with each retriever's score."""
    text = checked_question(query) or ""
    settings = command_settings(index_dir)
    require_index_of(settings, given=index_dir is not None)
    from bot.engine import Engine
    from bot.question import clean_question

    engine = Engine.load(settings)
    for hit in engine.search(clean_question(text), k, dates=date_range(since, until)):
        row = {
            "rank": hit.rank,
            "score": round(hit.score, 5),
            "dense_score": hit.dense_score,
            "dense_rank": hit.dense_rank,
            "lexical_score": hit.lexical_score,
            "lexical_rank": hit.lexical_rank,
            "article_id": hit.article.id,
            "title": hit.article.title,
            "source": hit.article.source,
            "url": hit.article.url,
            "date": hit.article.date,
            "outlet": hit.article.publisher,
            "start": hit.chunk.start,
            "end": hit.chunk.end,
            "text": hit.chunk.text,
            "also_in": sorted({d.article_id for d in hit.duplicates}),
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        click.echo(_render_hit(hit, row))


def _render_hit(hit: Any, row: dict[str, Any]) -> str:
    from bot.terminal import use_color

    dense = "-" if hit.dense_score is None else f"{hit.dense_score:.3f} (#{hit.dense_rank})"
    lexical = "-" if hit.lexical_score is None else f"{hit.lexical_score:.2f} (#{hit.lexical_rank})"
    head = f"[{row['rank']}] {row['title']}"
    return "\n".join(
        [
            click.style(head, bold=True) if use_color(sys.stdout) else head,
            f"    source: {row['source']}   dense: {dense}   bm25: {lexical}",
            "    " + str(row["text"]).replace("\n", " ") + "\n",
        ]
    )
