"""`newsbot repl`: line editing and history on a terminal, plain lines when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from bot.engine import Engine
from bot.literal_markers import escape_literal_markers
from bot.models import Answer
from bot.prompts import message
from index.errors import InvalidQuestionError, NewsbotError


def _terminal_lines(history_file: Path) -> Iterator[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history_file.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(history=FileHistory(str(history_file)))
    while True:
        try:
            yield session.prompt("? ")
        except KeyboardInterrupt:
            continue  # Ctrl-C clears the line, like a shell
        except EOFError:
            return


def _piped_lines() -> Iterator[str]:
    from bot.question import decode_input_line

    for number, raw in enumerate(sys.stdin.buffer, start=1):
        line, replaced = decode_input_line(raw)
        if replaced:
            click.echo(f"warning: line {number}: bytes that are not UTF-8 replaced by �", err=True)
        yield line


def render_sources(answer: Answer) -> str:
    if not answer.passages:
        return message("repl", "no_sources", answer.language)
    return "\n\n".join(
        f"[{p.n}] {p.title} — {p.source}\n{escape_literal_markers(p.text)}" for p in answer.passages
    )


def run_repl(
    engine: Engine,
    *,
    k: int | None = None,
    history_file: Path,
    lines: Iterator[str] | None = None,
    echo: Callable[[str], None] = click.echo,
) -> None:
    """Read questions until :quit or end of input; answer each with the shared engine."""
    from bot.cli import render_answer_text

    interactive = lines is None and sys.stdin.isatty()
    color = sys.stdout.isatty()
    if lines is None:
        lines = _terminal_lines(history_file) if interactive else _piped_lines()
    if interactive:
        echo(message("repl", "welcome", "fr"))
    last: Answer | None = None
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith(":"):
            command = line.split()[0].lower()
            if command in (":quit", ":q", ":exit"):
                break
            if command == ":help":
                echo(message("repl", "help", "fr"))
            elif command == ":sources":
                echo(render_sources(last) if last else message("repl", "no_sources", "fr"))
            else:
                echo(message("repl", "unknown", "fr", command=command))
            continue
        try:
            last = engine.answer(line, k)
        except InvalidQuestionError as exc:
            echo(f"error: {exc}")
            continue
        except NewsbotError as exc:
            echo(f"error: {exc}")
            continue
        echo(render_answer_text(last, color) + "\n")
    if interactive:
        echo(message("repl", "bye", "fr"))
