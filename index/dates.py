"""Publication dates as ISO 8601 (`2024-06-18`), whatever form the source gave them in."""

from __future__ import annotations

import email.utils
import re
import time
from datetime import date, datetime

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: str | None) -> str | None:
    """The calendar date of `value` (ISO 8601, RFC 822 as in RSS, or `2024/06/18`), as
    `YYYY-MM-DD`; None when it reads as no date."""
    if not value or not value.strip():
        return None
    text = value.strip()
    match = _ISO_START.match(text.replace("/", "-"))
    if match:
        try:
            return date.fromisoformat(match.group(0)).isoformat()
        except ValueError:
            return None
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def struct_date(value: time.struct_time | None) -> str | None:
    """feedparser's parsed `published_parsed`/`updated_parsed` as `YYYY-MM-DD`."""
    if value is None:
        return None
    try:
        return datetime(*value[:3]).date().isoformat()
    except (TypeError, ValueError):
        return None
