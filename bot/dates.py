"""Dates shown to people: "18 juin 2024", and what a quote's "mardi" or "hier" meant.

Pure functions over the language facts in bot/data/dates.toml; no model, no I/O beyond
reading that file once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class DateRange:
    """`--since` / `--until`: both ends included; an article without a date is outside."""

    since: date | None = None
    until: date | None = None

    def contains(self, iso: str | None) -> bool:
        day = parse_iso(iso)
        if day is None:
            return False
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )


def parse_iso(iso: str | None) -> date | None:
    if not iso:
        return None
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


@cache
def _facts() -> dict[str, Any]:
    text = resources.files("bot.data").joinpath("dates.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _lang(language: str) -> dict[str, Any]:
    facts = _facts()
    return dict(facts["en" if language == "en" else "fr"])


def format_day(day: date, language: str) -> str:
    """'18 juin 2024', '1er mai 2024', '18 June 2024'."""
    facts = _lang(language)
    number = facts["first_day"] if day.day == 1 else str(day.day)
    return str(facts["day_format"]).format(
        day=number, month=facts["months"][day.month - 1], year=day.year
    )


def format_iso(iso: str | None, language: str) -> str | None:
    day = parse_iso(iso)
    return format_day(day, language) if day is not None else None


def byline(outlet: str | None, iso_date: str | None, language: str) -> str | None:
    """'Outlet · 18 juin 2024' (or either alone); None when neither is known."""
    shown = format_iso(iso_date, language)
    parts = [p for p in (outlet and outlet.strip(), shown) if p]
    return " · ".join(parts) if parts else None


def published_prefix(iso: str, language: str) -> str:
    """'Au 18 juin 2024 :' before a quote when the quotes' dates differ."""
    shown = format_iso(iso, language) or iso
    return str(_lang(language)["published"]).format(date=shown)


def _shift_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


@cache
def _patterns(language: str) -> list[tuple[re.Pattern[str], str, Any]]:
    """(pattern, kind, value) for every relative expression, the longest first."""
    facts = _lang(language)
    rows: list[tuple[str, str, Any]] = []
    qualifiers = "|".join(map(re.escape, [*facts["past"], *facts["next"]]))
    for i, name in enumerate(facts["weekdays"]):
        word = re.escape(name)
        if language == "en":
            rows.append((rf"(?:{qualifiers})\s+{word}", "weekday", i))
        else:
            rows.append((rf"{word}\s+(?:{qualifiers})", "weekday", i))
        rows.append((word, "weekday", i))
    for i, name in enumerate(facts["months"]):
        word = re.escape(name)
        if language == "en":
            rows.append((rf"(?:{qualifiers})\s+{word}", "month_name", i + 1))
        else:
            rows.append((rf"{word}\s+(?:{qualifiers})", "month_name", i + 1))
    for kind in ("days", "weeks", "months", "years"):
        for phrase, offset in facts.get(f"relative_{kind}", {}).items():
            rows.append((re.escape(phrase).replace(r"\ ", r"\s+"), kind, offset))
    rows.sort(key=lambda row: -len(row[0]))
    return [
        (re.compile(rf"(?<![\w-]){p}(?![\w-])", re.IGNORECASE), kind, value)
        for p, kind, value in rows
    ]


def _direction(phrase: str, language: str) -> int:
    facts = _lang(language)
    words = phrase.lower().split()
    if any(w in words for w in facts["past"]):
        return -1
    if any(w in words for w in facts["next"]):
        return 1
    return 0


def _resolve(phrase: str, kind: str, value: Any, day: date, language: str) -> str | None:
    facts = _lang(language)
    if kind == "days":
        return format_day(day + timedelta(days=int(value)), language)
    if kind == "weeks":
        monday = day - timedelta(days=day.weekday()) + timedelta(weeks=int(value))
        return str(facts["week_format"]).format(date=format_day(monday, language))
    if kind == "months":
        year, month = _shift_months(day, int(value))
        return str(facts["month_format"]).format(month=facts["months"][month - 1], year=year)
    if kind == "years":
        return str(day.year + int(value))
    direction = _direction(phrase, language)
    if kind == "weekday":
        back = (day.weekday() - int(value)) % 7
        if direction < 0:
            offset = -(back or 7)
        elif direction > 0:
            offset = (7 - back) % 7 or 7
        else:
            # A bare weekday in news copy is the nearest one: this week's, past or coming.
            offset = -back if back <= 3 else 7 - back
        return format_day(day + timedelta(days=offset), language)
    if kind == "month_name":
        month = int(value)
        if direction < 0:
            year = day.year if month < day.month else day.year - 1
        elif direction > 0:
            year = day.year if month > day.month else day.year + 1
        else:
            return None
        return str(facts["month_format"]).format(month=facts["months"][month - 1], year=year)
    return None


def explain_relative_dates(text: str, iso: str | None, language: str) -> list[str]:
    """'mardi = 18 juin 2024' for each relative date in `text`, read against the
    article's date `iso`; none when that date is unknown. Each phrase once, in order."""
    day = parse_iso(iso)
    if day is None:
        return []
    found: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind, value in _patterns(language):
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            resolved = _resolve(match.group(0), kind, value, day, language)
            if resolved is None:
                continue
            taken.append((start, end))
            phrase = " ".join(match.group(0).split())
            found.append((start, phrase, resolved))
    seen: set[str] = set()
    explained: list[str] = []
    for _, phrase, resolved in sorted(found):
        key = phrase.lower()
        if key not in seen:
            seen.add(key)
            explained.append(f"{phrase} = {resolved}")
    return explained
