"""How-many questions: what they count, and whether a sentence gives that number."""

from __future__ import annotations

import pytest

from bot.quantity import QuantityAsk, asked_quantity, states_quantity


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Combien de soldats nord-coréens sont en Ukraine ?", "noun"),
        ("Combien d'obus la Corée du Nord a-t-elle livrés ?", "noun"),
        ("How many soldiers are there?", "noun"),
        ("Combien coûtent les munitions ?", "money"),
        ("Quel est le montant de l'aide ?", "money"),
        ("How much did the deal cost?", "money"),
        ("Combien de temps dure la visite ?", "time"),
        ("Combien de jours dure la visite ?", "time"),
        ("How long did Putin stay?", "time"),
        ("How many hours did they talk?", "time"),
        ("C'est la combientième visite ?", "ordinal"),
        ("Combien mesure la tour ?", "number"),
        ("How many zorblats are there?", "number"),  # an English noun not in the lexicon
    ],
)
def test_what_the_question_counts(question: str, kind: str) -> None:
    assert asked_quantity(question).kind == kind


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("Ça fait combien d'années que Poutine n'y était pas allé ?", "depuis 24 ans"),
        ("Ça fait combien d'années ?", "il y a vingt-cinq ans"),
        ("Combien d'années ?", "au cours des 10 dernières années"),
        ("Combien de jours dure la visite ?", "une visite d'État de deux jours"),
        ("Combien de temps dure la visite ?", "une visite d'État de deux jours"),
        ("How long after taking office?", "deux mois après son arrivée"),
        ("Combien d'obus ont été livrés ?", "des millions d'obus ont été livrés"),
        ("How many shells were delivered?", "des millions d'obus ont été livrés"),
        ("Combien coûtent les munitions ?", "un contrat de 3 milliards de dollars"),
        ("Quel est le prix ?", "il coûte 30 €"),
        ("C'est la combientième visite ?", "ce sera la deuxième visite"),
        ("Combien de fois est-il venu ?", "pour la deuxième fois"),
        ("Combien de fois est-il venu ?", "il est venu trois fois"),
        ("Combien mesure la tour ?", "elle mesure 300 mètres"),
        ("Quel montant ?", "des armes pour 40 milliards d'euros"),
        ("Combien de temps ?", "pendant une semaine"),
        ("Combien de temps ?", "une visite de 48h"),
        ("Combien de soldats ?", "vingt-et-un soldats"),
        ("Combien de sous-marins ?", "trois sous-marins"),
        ("Combien de millions d'obus ?", "des millions d'obus"),
        ("Combien de nouveaux missiles ?", "dix missiles"),
    ],
)
def test_sentences_that_give_the_number(question: str, sentence: str) -> None:
    assert states_quantity(sentence, asked_quantity(question))


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        # A number, but not of what is asked.
        ("Combien de soldats sont en Ukraine ?", "En 2023, des munitions ont été livrées."),
        ("Combien de satellites ont été lancés ?", "un programme de satellites depuis 2012"),
        ("Combien de personnes ont assisté au défilé ?", "le 18 juin, un défilé"),
        ("Combien coûtent les munitions ?", "des millions d'obus livrés"),
        ("Combien coûtent les munitions ?", "des livres de munitions, en 2023"),
        ("How many hours did they talk?", "une visite de deux jours"),
        ("Combien de jours dure la visite ?", "depuis 24 ans"),
        ("C'est la combientième visite ?", "une visite de deux jours"),
        # No number at all; "un"/"une" count only before a time unit.
        ("Combien de satellites ?", "un vaste programme de satellites"),
        ("Combien d'accords ont été signés ?", "la possibilité de conclure un accord"),
        ("Combien mesure la tour ?", "elle est très haute"),
    ],
)
def test_sentences_that_do_not(question: str, sentence: str) -> None:
    assert not states_quantity(sentence, asked_quantity(question))


def test_an_adjective_may_stand_between_but_not_a_clause() -> None:
    ask = QuantityAsk("noun", frozenset({"soldat"}))
    assert states_quantity("3 000 nouveaux soldats", ask)
    assert not states_quantity("3 000 tonnes de riz pour les soldats", ask)


@pytest.mark.parametrize(
    ("sentence", "ranks"),
    [
        ("Cette visite sera la deuxième depuis son accession au pouvoir.", True),
        ("C'est la première visite officielle de Poutine.", True),
        ("Il vient pour la 3e fois.", True),
        ("Sa 2ème visite.", True),
        # "First in 24 years" says nothing of how many visits came before.
        ("Poutine y va, marquant sa première visite dans le pays depuis 24 ans.", False),
        ("C'est le premier sommet depuis des décennies.", False),
        ("La première fois depuis plus de vingt ans.", False),
        ("Aucun chiffre ici.", False),
    ],
)
def test_an_ordinal_answer_ranks_something(sentence: str, ranks: bool) -> None:
    assert states_quantity(sentence, QuantityAsk("ordinal")) is ranks
