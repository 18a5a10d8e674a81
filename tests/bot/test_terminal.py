"""Terminal rendering: each quote once, sources wrapped at word boundaries, NO_COLOR."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from bot.models import Answer, Citation, Passage
from bot.terminal import render_answer_text, render_sources, use_color

QUOTE = (
    "Poutine sera accompagné de hauts responsables russes, dont le ministre des Affaires "
    "étrangères Sergueï Lavrov et le ministre de la Défense Andreï Belooussov."
)
CITATION = Citation(
    n=1,
    article_id="a",
    source="seeds/002.txt",
    title="La visite récente de Vladimir Poutine en Corée du Nord a attiré l'attention",
    snippet=QUOTE,
    start=0,
    end=len(QUOTE),
    url="https://example.org/une-adresse-tres-longue-qui-ne-doit-pas-etre-coupee",
)
ANSWER = Answer(
    question="Qui accompagne Poutine ?",
    text=f"D'après les articles : « {QUOTE} » [1]",
    abstained=False,
    mode="extractive",
    language="fr",
    citations=(CITATION,),
    passages=(Passage(1, "a", CITATION.title, CITATION.source, "Le passage entier."),),
)
REFUSAL = Answer(
    question="Quel temps fait-il ?",
    text="Je n'ai pas trouvé cette information dans les articles indexés.",
    abstained=True,
    mode="extractive",
    language="fr",
    related=(CITATION,),
)


def test_each_quote_is_printed_once_and_sources_give_title_source_and_link() -> None:
    text = render_answer_text(ANSWER, color=False)
    assert text.count("Sergueï Lavrov") == 1
    # With a link, the file name adds nothing: it is shown only when there is nothing better.
    assert f"[1] {CITATION.title} — {CITATION.url}" in text


def test_a_source_line_shows_outlet_and_date_and_the_file_name_only_as_a_last_resort() -> None:
    dated = replace(CITATION, outlet="Le Monde", date="2024-06-18")
    text = render_answer_text(replace(ANSWER, citations=(dated,)), color=False)
    assert f"[1] {CITATION.title} — Le Monde · 18 juin 2024 — {CITATION.url}" in text
    english = render_answer_text(
        replace(ANSWER, language="en", citations=(replace(dated, url=None),)), color=False
    )
    assert f"[1] {CITATION.title} — Le Monde · 18 June 2024" in english
    bare = render_answer_text(
        replace(ANSWER, citations=(replace(CITATION, url=None),)), color=False
    )
    assert f"[1] {CITATION.title} — seeds/002.txt" in bare


@pytest.mark.parametrize("width", [40, 60, 80])
def test_lines_wrap_at_word_boundaries_to_the_width(width: int) -> None:
    text = render_answer_text(ANSWER, color=False, width=width)
    words = set(f"{ANSWER.text} {CITATION.title} {CITATION.source} {CITATION.url}".split())
    for line in text.splitlines():
        assert len(line) <= width or line.strip() == CITATION.url  # a link is never cut
        assert all(word in words or word in {"[1]", "—"} for word in line.split())


def test_piped_output_is_not_wrapped() -> None:
    assert render_answer_text(ANSWER, color=False).splitlines()[0] == ANSWER.text


def test_no_color_turns_colours_off_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Terminal())
    assert not use_color(io.StringIO())


def test_sources_after_a_refusal_show_the_related_passages_labelled_so() -> None:
    shown = render_sources(REFUSAL, "fr")
    assert "passages peut-être liés (ce ne sont pas des réponses)" in shown
    assert "Sergueï Lavrov" in shown
    assert "Pas encore de réponse" not in shown
    assert "possibly related passages (not answers)" in render_sources(REFUSAL, "en")


def test_sources_after_an_answer_show_its_passages_and_otherwise_say_nothing_was_cited() -> None:
    assert "Le passage entier." in render_sources(ANSWER, "fr")
    bare = Answer("q", "Je n'ai pas trouvé.", True, "extractive", "fr")
    assert "aucun passage" in render_sources(bare, "fr")


def test_sources_and_related_passages_show_outlet_and_date_too() -> None:
    dated = replace(CITATION, outlet="Le Monde", date="2024-06-18")
    passage = Passage(
        1,
        "a",
        CITATION.title,
        CITATION.source,
        "Le passage.",
        None,
        date="2024-06-18",
        outlet="Le Monde",
    )
    shown_sources = render_sources(replace(ANSWER, passages=(passage,)), "fr")
    assert shown_sources.startswith(f"[1] {CITATION.title} — Le Monde · 18 juin 2024\n")
    refusal = render_answer_text(replace(REFUSAL, related=(dated,)), color=False)
    assert f"- {CITATION.title} — Le Monde · 18 juin 2024 — {CITATION.url}: «" in refusal
