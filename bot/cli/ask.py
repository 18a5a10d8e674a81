"""`newsbot ask` (one question, or each line of standard input) and `newsbot repl`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
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
from bot.console import print_error, print_warning
from bot.models import Answer
from index.errors import InvalidQuestionError


def answer_json(answer: Answer) -> dict[str, Any]:
    """The stable `--json` shape (fields may be added, never renamed)."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "language": answer.language,
        "note": answer.note,
        "citations": [
            {
                "n": c.n,
                "article_id": c.article_id,
                "source": c.source,
                "title": c.title,
                "snippet": c.snippet,
                "start": c.start,
                "end": c.end,
                "url": c.url,
                "date": c.date,
                "outlet": c.outlet,
            }
            for c in answer.citations
        ],
        "related": [asdict(c) for c in answer.related],
        "confidence": answer.confidence,
        "understood": answer.understood or answer.question,
    }


def _stdin_questions(keep_empty: bool = False) -> Iterator[tuple[str, bool]]:
    """Each line of standard input, undecodable bytes replaced (and whether they were);
    empty lines too when `keep_empty` (they end a conversation)."""
    from bot.question import decode_input_line

    for number, raw in enumerate(sys.stdin.buffer, start=1):
        line, replaced = decode_input_line(raw)
        if replaced:
            print_warning(f"line {number}: bytes that are not UTF-8 replaced by �")
        if line.strip() or keep_empty:
            yield line, replaced


@click.command("ask")
@index_dir_option
@click.argument("question", nargs=-1)
@click.option(
    "-k", "k", type=click.IntRange(1, 50), default=None, help=f"Passages to read {TOP_K_HELP}."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer, per line.")
@date_range_options
@click.option(
    "--conversation",
    is_flag=True,
    help="Read standard input as one conversation: follow-ups lean on earlier lines; "
    "an empty line starts a new conversation (default: every line alone).",
)
def ask_command(
    index_dir: Path | None,
    question: tuple[str, ...],
    k: int | None,
    as_json: bool,
    since: Any,
    until: Any,
    conversation: bool,
) -> None:
    """Answer QUESTION, or each line of standard input.

    The words of an unquoted question are joined into one; a question that starts
    with '-' goes after `--`: newsbot ask -- "-5 % ?". Exits 1 when any question
    failed (an error, not a refusal).
    """
    text = checked_question(question)
    settings = command_settings(index_dir)
    require_index_of(settings, given=index_dir is not None)
    from bot.engine import Engine
    from bot.prompts import message
    from bot.terminal import render_answer_text, terminal_width, use_color

    if text is None and sys.stdin.isatty():
        click.echo(message("repl", "stdin_hint", settings.language), err=True)
    engine = Engine.load(settings)
    color, width = use_color(sys.stdout), terminal_width(sys.stdout)
    failed = False
    dates = date_range(since, until)
    from bot.question import has_undecodable
    from bot.repl import render_understood

    asked = [(text, has_undecodable(text))] if text is not None else _stdin_questions(conversation)
    store = engine.conversations()
    turns = store.get(0) if conversation else None
    started = 0
    for q, undecodable in asked:
        failed = failed or undecodable
        if not q.strip():  # only with --conversation: an empty line starts afresh
            store.forget(started)
            started += 1
            turns = store.get(started)
            continue
        try:
            answer = engine.answer(q, k, conversation=turns, dates=dates)
        except InvalidQuestionError as exc:
            failed = True
            if as_json:
                click.echo(json.dumps({"question": q, "error": str(exc)}, ensure_ascii=False))
            else:
                print_error(str(exc))
            continue
        if as_json:
            click.echo(json.dumps(answer_json(answer), ensure_ascii=False))
        else:
            shown = render_understood(answer, color=color)
            if shown:
                click.echo(shown)
            click.echo(render_answer_text(answer, color=color, width=width) + "\n")
    if failed:
        sys.exit(1)


@click.command("repl")
@index_dir_option
@click.option(
    "-k", "k", type=click.IntRange(1, 50), default=None, help=f"Passages to read {TOP_K_HELP}."
)
def repl_command(index_dir: Path | None, k: int | None) -> None:
    """Ask questions interactively (:sources, :help, :quit).

    Messages follow $NEWSBOT_LANGUAGE (fr or en, default fr); history is kept in
    $NEWSBOT_REPL_HISTORY, else the user data folder. Exits 1 when a question failed.
    """
    settings = command_settings(index_dir)
    require_index_of(settings, given=index_dir is not None)
    from bot.engine import Engine
    from bot.repl import run_repl

    failed = run_repl(
        Engine.load(settings),
        k=k,
        history_file=settings.history_file(),
        language=settings.language,
    )
    if failed:
        sys.exit(1)
