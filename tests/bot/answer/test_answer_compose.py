"""Compose with dates: newest first among equals, publication dates, relative dates."""

from __future__ import annotations

from bot.answer.candidates import Candidate
from bot.answer.compose import choose_quotes, newest_first_among_ties, quoted_answer
from index.models import Article, Chunk


def candidate(text: str, date: str | None, article_id: str, outlet: str | None = None) -> Candidate:
    article = Article(
        id=article_id,
        title=f"T {article_id}",
        text=text,
        source=f"{article_id}.txt",
        origin=f"{article_id}.txt",
        url=None,
        date=date,
        publisher=outlet,
    )
    chunk = Chunk(0, article_id, 0, len(text), text)
    terms = frozenset(text.lower().strip(".").split())
    return Candidate(
        article,
        chunk,
        0,
        len(text),
        1,
        0.9,
        1,
        0.9,
        terms,
        frozenset(),
        frozenset(),
        0.0,
        0.0,
        0.0,
    )


COPY = "Poutine est arrivé mardi à Pyongyang pour une visite officielle."


def test_equally_good_copies_put_the_newest_article_first() -> None:
    old = candidate(COPY, "2024-06-18", "old")
    new = candidate(COPY, "2024-06-19", "new")
    undated = candidate(COPY, None, "undated")
    ranked = [(undated, 0.3), (old, 0.3), (new, 0.3), (candidate("Autre.", None, "x"), 0.1)]
    assert [c.article.id for c, _ in newest_first_among_ties(ranked)] == [
        "new",
        "old",
        "undated",
        "x",
    ]
    (group,) = choose_quotes(ranked, second_share=0.9, max_sentences=2)
    assert [c.article.id for c in group] == ["new", "old", "undated"]


def test_better_answers_stay_first_whatever_their_date() -> None:
    old = candidate(COPY, "2020-01-01", "old")
    new = candidate("Kim a accueilli Poutine.", "2024-06-19", "new")
    assert [c.article.id for c, _ in newest_first_among_ties([(old, 0.6), (new, 0.4)])] == [
        "old",
        "new",
    ]


def test_relative_dates_are_explained_once_outside_the_quote() -> None:
    quote = candidate(COPY, "2024-06-18", "a", outlet="AFP")
    answer = quoted_answer("Quand ?", "fr", [[quote]], 0.9)
    assert answer.text.endswith(f"« {COPY} » [1] (mardi = 18 juin 2024)")
    assert (answer.citations[0].date, answer.citations[0].outlet) == ("2024-06-18", "AFP")
    assert answer.passages[0].date == "2024-06-18"


def test_quotes_from_different_days_say_when_each_was_published() -> None:
    first = candidate("Le sommet s'est ouvert à Pyongyang.", "2024-06-18", "a")
    second = candidate("L'accord a été signé à Pyongyang.", "2024-06-20", "b")
    answer = quoted_answer("Quoi ?", "fr", [[first], [second]], 0.9)
    assert "Au 18 juin 2024 : « Le sommet" in answer.text
    assert "Au 20 juin 2024 : « L'accord" in answer.text


def test_no_dates_no_change() -> None:
    answer = quoted_answer("Quoi ?", "fr", [[candidate(COPY, None, "a")]], 0.9)
    assert answer.text == f"D'après les articles : « {COPY} » [1]"
    assert answer.citations[0].date is None and answer.citations[0].outlet is None
