"""An article's own "[3]" never reads as a citation marker, in any front end."""

from __future__ import annotations

import re

from bot.discord.render import citation_markers
from bot.discord.render_answer import render_answer_embed
from bot.discord.texts import load_discord_prompts
from bot.literal_markers import answer_display_text, escape_literal_markers
from bot.models import Answer, Citation, Passage
from bot.terminal import render_answer_text, render_sources

SNIPPET = "Le rapport de l'ONU [3] cite des livraisons d'armes [4, 5]."
CITATION = Citation(1, "a1", "seeds/a.txt", "Rapport", SNIPPET, 0, len(SNIPPET))
ANSWER = Answer(
    question="Que dit le rapport ?",
    text=f"« {SNIPPET} » [1]",
    abstained=False,
    mode="extractive",
    language="fr",
    citations=(CITATION,),
    passages=(Passage(1, "a1", "Rapport", "seeds/a.txt", SNIPPET),),
)
_BARE = re.compile(r"(?<!\\)\[(\d+(?:, \d+)*)\]")


def test_only_the_answers_own_markers_stay_bare() -> None:
    shown = answer_display_text(ANSWER)
    assert _BARE.findall(shown) == ["1"]
    assert "\\[3]" in shown and "\\[4, 5]" in shown
    assert citation_markers(shown) == {1}


def test_terminal_and_repl_show_the_article_brackets_escaped() -> None:
    text = render_answer_text(ANSWER, color=False)
    assert _BARE.findall(text) == ["1", "1"]  # the marker and the card's number
    sources = render_sources(ANSWER, "fr")
    assert "\\[3]" in sources and _BARE.findall(sources) == ["1"]  # the passage header


def test_discord_shows_the_article_brackets_escaped() -> None:
    embed = render_answer_embed(ANSWER, load_discord_prompts().fr)
    # Discord shows "\\\\[" as a visible backslash before the bracket.
    assert "\\\\[3]" in embed["description"] and "\\\\[3]" in embed["fields"][0]["value"]
    assert len(embed["fields"]) == 1


def test_escaping_twice_changes_nothing() -> None:
    once = escape_literal_markers(SNIPPET)
    assert escape_literal_markers(once) == once
