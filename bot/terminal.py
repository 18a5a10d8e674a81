"""Answers as terminal text: each quote once, sources below, wrapped at word boundaries."""

from __future__ import annotations

import os
import shutil
import textwrap
from typing import TextIO

import click

from bot.dates import byline
from bot.literal_markers import answer_display_text
from bot.literal_markers import escape_literal_markers as shown
from bot.models import Answer, Citation
from bot.prompts import message


def use_color(stream: TextIO) -> bool:
    """Colours on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def terminal_width(stream: TextIO) -> int | None:
    """The width to wrap at on a terminal; None (no wrapping) when output is piped."""
    return shutil.get_terminal_size().columns if stream.isatty() else None


def _wrap(text: str, width: int | None, indent: str = "") -> list[str]:
    if width is None:
        return [indent + line for line in text.splitlines()]
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(
            textwrap.wrap(
                paragraph,
                width=max(width, 20),
                initial_indent=indent,
                subsequent_indent=indent + "  ",
                break_long_words=False,  # links and long names stay whole
                break_on_hyphens=False,
            )
            or [""]
        )
    return lines


def _where(
    source: str, url: str | None, outlet: str | None, date: str | None, language: str
) -> str:
    """'Outlet · 18 juin 2024 — URL'; the file name only when nothing better is known."""
    by = byline(outlet, date, language)
    if url:
        return " — ".join([*([by] if by else []), url])
    return by or source


def _source_line(c: Citation, language: str) -> str:
    """'[1] Title — Outlet · 18 juin 2024 — URL'."""
    return f"[{c.n}] {c.title} — {_where(c.source, c.url, c.outlet, c.date, language)}"


def render_answer_text(answer: Answer, *, color: bool, width: int | None = None) -> str:
    """The answer (its quotes are in it), its note, then one line per source. An
    article's own "[3]" is shown escaped, so it cannot pass for a citation marker."""
    lines = _wrap(answer_display_text(answer), width)
    if answer.note:
        note = _wrap(answer.note, width)
        lines.extend(click.style(n, fg="yellow") if color else n for n in note)
    for c in answer.citations:
        head = _wrap(_source_line(c, answer.language), width)
        lines.extend(click.style(h, bold=True) if color else h for h in head)
    if answer.related:
        lines.append(message("answer", "related_intro", answer.language))
        for c in answer.related:
            where = _where(c.source, c.url, c.outlet, c.date, answer.language)
            lines.extend(_wrap(f"- {c.title} — {where}: « {shown(c.snippet)} »", width, "  "))
    return "\n".join(lines)


def render_sources(answer: Answer, language: str, width: int | None = None) -> str:
    """`:sources`: the passages behind the last answer, or after a refusal the related
    passages, labelled as not being an answer."""
    if answer.passages:
        blocks = [
            "\n".join(
                _wrap(
                    f"[{p.n}] {p.title} — {_where(p.source, p.url, p.outlet, p.date, language)}",
                    width,
                )
                + _wrap(shown(p.text), width)
            )
            for p in answer.passages
        ]
        return "\n\n".join(blocks)
    if answer.related:
        lines = [message("repl", "related_sources", language)]
        for c in answer.related:
            where = _where(c.source, c.url, c.outlet, c.date, language)
            lines.extend(_wrap(f"- {c.title} — {where}: « {shown(c.snippet)} »", width, "  "))
        return "\n".join(lines)
    return message("repl", "nothing_cited", language)
