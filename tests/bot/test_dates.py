"""Dates as people read them, and the relative dates inside quotes."""

from __future__ import annotations

from datetime import date

import pytest

from bot.dates import DateRange, byline, explain_relative_dates, format_iso, published_prefix

# 18 June 2024 was a Tuesday.
TUESDAY = "2024-06-18"


def test_dates_are_written_in_the_answers_language() -> None:
    assert format_iso(TUESDAY, "fr") == "18 juin 2024"
    assert format_iso("2024-05-01", "fr") == "1er mai 2024"
    assert format_iso(TUESDAY, "en") == "18 June 2024"
    assert format_iso(None, "fr") is None and format_iso("juin", "fr") is None


def test_byline() -> None:
    assert byline("Le Monde", TUESDAY, "fr") == "Le Monde · 18 juin 2024"
    assert byline(None, TUESDAY, "fr") == "18 juin 2024"
    assert byline("AFP", None, "fr") == "AFP"
    assert byline(None, None, "fr") is None


@pytest.mark.parametrize(
    ("text", "iso", "expected"),
    [
        ("Poutine est arrivé mardi à Pyongyang.", TUESDAY, ["mardi = 18 juin 2024"]),
        ("Il partira jeudi.", TUESDAY, ["jeudi = 20 juin 2024"]),
        ("Il était à Moscou samedi.", TUESDAY, ["samedi = 15 juin 2024"]),
        ("Ils se sont vus lundi dernier.", "2024-06-17", ["lundi dernier = 10 juin 2024"]),
        ("Rendez-vous mardi prochain.", TUESDAY, ["mardi prochain = 25 juin 2024"]),
        (
            "Hier, il a signé ; demain, il part.",
            TUESDAY,
            ["Hier = 17 juin 2024", "demain = 19 juin 2024"],
        ),
        ("Aujourd'hui, la visite commence.", TUESDAY, ["Aujourd'hui = 18 juin 2024"]),
        (
            "Il l'avait invité en septembre dernier.",
            TUESDAY,
            ["septembre dernier = septembre 2023"],
        ),
        (
            "Le sommet aura lieu en septembre prochain.",
            TUESDAY,
            ["septembre prochain = septembre 2024"],
        ),
        (
            "Comme la semaine dernière, le ton est ferme.",
            TUESDAY,
            ["la semaine dernière = semaine du 10 juin 2024"],
        ),
        (
            "La semaine prochaine, il ira à Hanoï.",
            TUESDAY,
            ["La semaine prochaine = semaine du 24 juin 2024"],
        ),
        ("Mardi, il est arrivé ; mardi, il a parlé.", TUESDAY, ["Mardi = 18 juin 2024"]),
        ("Il est arrivé en juin.", TUESDAY, []),  # a bare month is no relative date
        ("Il est arrivé mardi.", None, []),  # no article date: nothing to explain
    ],
)
def test_french_relative_dates(text: str, iso: str | None, expected: list[str]) -> None:
    assert explain_relative_dates(text, iso, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Putin arrived on Tuesday.", ["Tuesday = 18 June 2024"]),
        (
            "He left yesterday and returns tomorrow.",
            ["yesterday = 17 June 2024", "tomorrow = 19 June 2024"],
        ),
        ("They met last September.", ["last September = September 2023"]),
        ("Talks resume next week.", ["next week = week of 24 June 2024"]),
        ("Today the visit starts.", ["Today = 18 June 2024"]),
    ],
)
def test_english_relative_dates(text: str, expected: list[str]) -> None:
    assert explain_relative_dates(text, TUESDAY, "en") == expected


def test_words_inside_other_words_are_not_dates() -> None:
    assert explain_relative_dates("Le mardi-gras et les hiérarchies.", TUESDAY, "fr") == []


def test_date_ranges_keep_only_dated_articles_inside() -> None:
    june = DateRange(date(2024, 6, 18), date(2024, 6, 19))
    assert june.contains("2024-06-18") and june.contains("2024-06-19T10:00:00")
    assert not june.contains("2024-06-20") and not june.contains(None)
    assert DateRange(since=date(2024, 6, 1)).contains("2030-01-01")


def test_published_prefix() -> None:
    assert published_prefix(TUESDAY, "fr") == "Au 18 juin 2024 :"
    assert published_prefix(TUESDAY, "en") == "On 18 June 2024:"
