"""`/ask since:` read as a date range before anything is answered."""

from __future__ import annotations

from datetime import date

from bot.dates import DateRange
from bot.discord.cog import since_range


def test_since_is_read_as_a_date_range() -> None:
    assert since_range(None) is None and since_range("  ") is None
    assert since_range("2024-06-18") == DateRange(since=date(2024, 6, 18))
    assert since_range("le 18 juin") is False
