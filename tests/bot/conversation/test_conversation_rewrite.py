"""bot/conversation/rewrite.py: follow-ups rewritten on plain strings."""

from __future__ import annotations

import pytest

from bot.conversation import Turn, rewrite_followup, rewrite_readings


def turns(*pairs: tuple[str, tuple[str, ...]]) -> list[Turn]:
    return [Turn(q, q, quotes) for q, quotes in pairs]


VIETNAM = "Après sa visite en Corée du Nord, Poutine se rendra au Vietnam les 19 et 20 juin."


@pytest.mark.parametrize(
    ("earlier", "follow_up", "understood"),
    [
        # Inverted subject pronoun: complex inversion, or "qu'est-ce que" after "que".
        (
            "Qui est Jens Stoltenberg ?",
            "Quels pays a-t-il cités ?",
            "Quels pays Jens Stoltenberg a-t-il cités ?",
        ),
        (
            "Qui est Iouri Ouchakov ?",
            "Qu'a-t-il déclaré ?",
            "Qu'est-ce qu'Iouri Ouchakov a déclaré ?",
        ),
        (
            "Qui est Choe Son-hui ?",
            "Quand est-elle allée à Moscou ?",
            "Quand Choe Son-hui est-elle allée à Moscou ?",
        ),
        # A role, not a name: "il" is the role.
        (
            "Qui est le porte-parole du Kremlin ?",
            "Comment a-t-il décrit la Corée du Nord ?",
            "Comment le porte-parole du Kremlin a-t-il décrit la Corée du Nord ?",
        ),
        # The opener goes, the subject of the earlier question comes in.
        (
            "Quand Poutine arrive-t-il à Pyongyang ?",
            "Et où va-t-il ensuite ?",
            "Où Poutine va-t-il ensuite ?",
        ),
        # A stressed pronoun.
        (
            "Qui est Iouri Ouchakov ?",
            "Selon lui, l'accord vise-t-il un pays ?",
            "Selon Iouri Ouchakov, l'accord vise-t-il un pays ?",
        ),
        # English.
        (
            "Who is John Kirby?",
            "What did he say about the treaty?",
            "What did John Kirby say about the treaty?",
        ),
        # Ellipsis: the question word, then what the earlier question was about.
        (
            "Les frontières de la Corée du Nord ont-elles été fermées ?",
            "Pourquoi ?",
            "Pourquoi les frontières de la Corée du Nord ont été fermées ?",
        ),
    ],
)
def test_follow_ups_become_standalone(earlier: str, follow_up: str, understood: str) -> None:
    assert rewrite_followup(follow_up, turns((earlier, ()))) == understood


def test_y_is_the_place_the_answer_named() -> None:
    earlier = turns(("Où Poutine va-t-il ensuite ?", (VIETNAM,)))
    assert (
        rewrite_followup("Quand y sera-t-il ?", earlier) == "Quand Poutine sera-t-il au Vietnam ?"
    )


def test_a_who_question_lends_its_answer_to_the_next_pronoun() -> None:
    quote = "C'est ce qu'a fait savoir le Kremlin, qui a parlé d'une visite d'Etat amicale."
    earlier = turns(("Qui a annoncé la visite ?", (quote,)))
    assert rewrite_followup("Comment l'a-t-il qualifiée ?", earlier).startswith(
        "Comment le Kremlin l'a-t-il qualifiée"
    )


def test_an_object_pronoun_carries_the_earlier_topic() -> None:
    earlier = turns(("Quelles sont les dates de la visite de Poutine en Corée du Nord ?", ()))
    assert rewrite_followup("Et qui l'a confirmé ?", earlier) == (
        "Qui l'a confirmé — les dates de la visite de Poutine en Corée du Nord ?"
    )


def test_a_pronoun_of_the_other_gender_is_not_the_earlier_subject() -> None:
    earlier = turns(("Quand la Russie a-t-elle utilisé son veto ?", ()))
    understood = rewrite_followup("Qu'a-t-il bloqué ?", earlier)
    assert "Russie a-t-il" not in understood and understood.startswith("Qu'a-t-il bloqué —")


def test_a_follow_up_after_an_off_topic_refusal_leans_on_the_turn_before() -> None:
    earlier = [
        Turn("Qui est Dmitri Peskov ?", "Qui est Dmitri Peskov ?"),
        Turn("Qui a gagné le Tour de France ?", "Qui a gagné le Tour de France ?", abstained=True),
    ]
    assert rewrite_followup("Comment a-t-il décrit la Corée ?", earlier) == (
        "Comment Dmitri Peskov a-t-il décrit la Corée ?"
    )


def test_no_history_no_rewrite() -> None:
    assert rewrite_followup("Qu'a-t-il déclaré ?", []) == "Qu'a-t-il déclaré ?"


def test_a_plural_pronoun_is_the_two_names_the_question_joined() -> None:
    earlier = turns(("Combien de temps a duré le tête-à-tête entre Poutine et Kim ?", ()))
    assert rewrite_followup("Et qu'ont-ils signé ?", earlier).startswith(
        "Qu'est-ce que Poutine et Kim ont signé"
    )


def test_a_noun_phrase_before_the_comma_is_what_the_pronoun_stands_for() -> None:
    earlier = turns(("Qui est Iouri Ouchakov ?", ("Iouri Ouchakov est conseiller.",)))
    understood = rewrite_followup("Et cet accord, il est dirigé contre quelqu'un ?", earlier)
    assert understood.startswith("Cet accord est dirigé contre quelqu'un")
    assert "Ouchakov est dirigé" not in understood


def test_an_ellipsis_with_a_verb_of_its_own_carries_the_topic() -> None:
    earlier = turns(("Qu'a fait la Russie au Conseil de sécurité en mars ?", ("Un veto.",)))
    understood = rewrite_followup("Pour bloquer quoi exactement ?", earlier)
    assert understood.startswith("Pour bloquer quoi exactement —") and "Russie" in understood


def test_an_english_follow_up_without_function_words_stays_english() -> None:
    earlier = turns(("Who is Dmitri Peskov?", ("Dmitri Peskov, porte-parole du Kremlin.",)))
    assert rewrite_followup("What's his job?", earlier) == "What's Dmitri Peskov's job?"


def test_a_carried_topic_gives_a_second_reading_without_it() -> None:
    earlier = turns(("Quelles sont les dates de la visite de Poutine en Corée du Nord ?", ()))
    readings = rewrite_readings("Qui l'a annoncé ?", earlier)
    assert readings[0].startswith("Qui l'a annoncé — ") and readings[1] == "Qui l'a annoncé ?"
    assert rewrite_readings("Qui a gagné le Tour de France ?", earlier) == (
        "Qui a gagné le Tour de France ?",
    )


def test_a_pronoun_may_stand_for_a_noun_phrase_of_its_gender() -> None:
    earlier = turns(("Qu'a écrit Poutine dans sa tribune avant la visite ?", ()))
    readings = rewrite_readings("Elle a été publiée où ?", earlier)
    assert "la tribune a été publiée où ?" in readings
    masculine = rewrite_readings("Il a été publié où ?", earlier)
    assert not any(r.startswith("la ") for r in masculine)


def test_a_plural_pronoun_has_no_singular_reading() -> None:
    earlier = turns(
        ("Combien de temps a duré le tête-à-tête entre Poutine et Kim à Pyongyang ?", ())
    )
    readings = rewrite_readings("Et qu'ont-ils signé ?", earlier)
    assert all("Poutine et Kim" in r for r in readings)


def test_a_chain_keeps_the_subject_of_the_turn_before() -> None:
    earlier = [
        Turn("Qu'a écrit Poutine dans sa tribune ?", "Qu'a écrit Poutine dans sa tribune ?"),
        Turn("Elle a été publiée où ?", "la tribune a été publiée où ?", follow_up=True),
    ]
    assert "Poutine" in rewrite_followup("Comment décrit-il l'ennemi ?", earlier)


def test_an_interjection_before_the_opener_goes() -> None:
    earlier = turns(("Why is Putin going to Vietnam?", ()))
    assert rewrite_followup("OK. And how long will he stay?", earlier) == (
        "How long will Putin stay?"
    )


def test_the_il_and_y_of_il_y_a_stand_for_nothing() -> None:
    earlier = turns(("Quand Macron est-il allé à Berlin ?", ()))
    readings = rewrite_readings("Et il y a eu combien de visites depuis ?", earlier)
    assert all("il y a eu" in r and "Macron y" not in r for r in readings)
    assert not any(r.startswith("Macron") for r in readings)


def test_a_back_reference_carries_the_earlier_topic() -> None:
    earlier = turns(("Combien de fois le pape est-il venu au Brésil ?", ()))
    first = rewrite_readings("la dernière fois c'était quand ?", earlier)[0]
    assert "pape" in first and "Brésil" in first
    assert "Brésil" in rewrite_followup("and what happened back then?", earlier)


def test_a_name_right_before_a_pronoun_is_its_subject() -> None:
    earlier = turns(("Qu'ont signé Scholz et Macron ?", ()))
    first = rewrite_readings("et Scholz il en pense quoi ?", earlier)[0]
    assert first.startswith("Scholz en pense quoi")


def test_the_first_pronoun_takes_the_subject_and_the_next_keeps_the_topic() -> None:
    earlier = turns(("Where did Merkel publish her memoir?", ()))
    readings = rewrite_readings("what did she say about Putin in it?", earlier)
    assert readings[0].startswith("what did Merkel say about Putin in it")
    assert "memoir" in readings[0]  # "it" still points back: the topic carries


def test_a_french_possessive_carries_the_earlier_topic() -> None:
    earlier = "Quel responsable russe est allé à Pyongyang ?"
    understood = rewrite_followup("Son nom ?", turns((earlier, ())))
    assert understood.startswith("Son nom — ") and "allé à Pyongyang" in understood


def test_an_english_possessive_becomes_the_subject_s() -> None:
    earlier = "Who is John Kirby?"
    assert rewrite_followup("What is his job?", turns((earlier, ()))) == "What is John Kirby's job?"
