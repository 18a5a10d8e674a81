"""`newsbot repl`: line editing and history on a terminal, plain lines when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from bot.console import print_error
from bot.engine import Engine
from bot.models import Answer
from bot.prompts import message
from bot.terminal import render_answer_text, render_sources, terminal_width, use_color
from index.errors import NewsbotError


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


def render_understood(answer: Answer, *, color: bool) -> str:
    """The question searched, dimmed, when a follow-up was read as another; else ""."""
    understood = answer.understood
    if not understood or understood == answer.question:
        return ""
    label = message("repl", "understood", answer.language, question=understood)
    return click.style(label, dim=True) if color else label


def run_repl(
    engine: Engine,
    *,
    k: int | None = None,
    history_file: Path,
    language: str = "fr",
    lines: Iterator[str] | None = None,
    echo: Callable[[str], None] = click.echo,
) -> bool:
    """Read questions until :quit or end of input; answer each with the shared engine.

    The REPL's own messages are in `language`; answers follow each question's. Returns
    whether any question failed (an error, not a refusal).
    """
    interactive = lines is None and sys.stdin.isatty()
    color, width = use_color(sys.stdout), terminal_width(sys.stdout)
    if lines is None:
        lines = _terminal_lines(history_file) if interactive else _piped_lines()
    if interactive:
        echo(message("repl", "welcome", language))
    last: Answer | None = None
    failed = False
    # The session is one conversation; `:new` starts another.
    conversations = engine.conversations()
    session = 0
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith(":"):
            command = line.split()[0].lower()
            if command in (":quit", ":q", ":exit"):
                break
            if command == ":help":
                echo(message("repl", "help", language))
            elif command == ":new":
                conversations.forget(session)
                session += 1
                echo(message("repl", "new", language))
            elif command == ":sources":
                no_answer = message("repl", "no_sources", language)
                echo(render_sources(last, language, width) if last else no_answer)
            else:
                echo(message("repl", "unknown", language, command=command))
            continue
        try:
            last = engine.answer(line, k, conversation=conversations.get(session))
        except NewsbotError as exc:
            failed = True
            print_error(str(exc))
            continue
        understood = render_understood(last, color=color)
        if understood:
            echo(understood)
        echo(render_answer_text(last, color=color, width=width) + "\n")
    if interactive:
        echo(message("repl", "bye", language))
    return failed
