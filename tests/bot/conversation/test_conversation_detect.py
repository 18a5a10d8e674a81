"""bot/conversation/detect.py: what makes a question a follow-up, and what a new topic."""

from __future__ import annotations

import pytest

from bot.conversation import Turn, follow_up_cues, refers_back, rewrite_followup


def turns(*pairs: tuple[str, tuple[str, ...]]) -> list[Turn]:
    return [Turn(q, q, quotes) for q, quotes in pairs]


VIETNAM = "Après sa visite en Corée du Nord, Poutine se rendra au Vietnam les 19 et 20 juin."


@pytest.mark.parametrize(
    "question",
    [
        "Qui a gagné le Tour de France ?",
        "Quel temps fera-t-il à Pyongyang mardi ?",  # an impersonal "il"
        "En quelle année la Corée du Nord a-t-elle reconnu Donetsk ?",  # its own subject
        "Combien coûte un billet d'avion pour Pyongyang ?",
        "Who won the 2024 Champions League?",
        "Que se passe-t-il en Tunisie en ce moment ?",  # impersonal
        "Quel temps fait-il à Séoul ce week-end ?",
        "Comment la Russie présente-t-elle son intervention en Ukraine ?",  # its own "son"
    ],
)
def test_a_question_naming_its_own_subject_is_a_new_topic(question: str) -> None:
    earlier = turns(("Qui est Jens Stoltenberg ?", ("Jens Stoltenberg a dénoncé cette alliance.",)))
    assert not refers_back(question, "en" if question.startswith("Who") else "fr")
    assert rewrite_followup(question, earlier) == question


@pytest.mark.parametrize(
    ("question", "cue"),
    [
        ("Et où va-t-il ensuite ?", "opener"),
        ("Qu'a-t-il déclaré ?", "subject"),
        ("Selon lui, l'accord est-il dirigé contre un pays ?", "pronoun"),
        ("Qui l'a annoncé ?", "clitic"),
        ("Pourquoi ?", "short"),
        ("Pour bloquer quoi exactement ?", "short"),
        ("OK. And how long will he stay in Vietnam?", "opener"),
    ],
)
def test_each_cue_is_told(question: str, cue: str) -> None:
    language = "en" if "And" in question else "fr"
    assert cue in follow_up_cues(question, language)
