"""bot/conversation/names.py and topic.py: names, places and what a turn was about."""

from __future__ import annotations

from bot.conversation.facts import language_facts
from bot.conversation.names import names_in
from bot.conversation.topic import topic_of
from bot.conversation.turn import Turn

FR = language_facts("fr")


def test_a_heading_before_a_name_gives_way_to_the_name() -> None:
    quote = "Invitation de Kim Jong-un Le dirigeant nord-coréen Kim Jong-un a invité Poutine."
    assert names_in(quote, FR)[0] == "Kim Jong-un"
    assert "Le" not in " ".join(names_in(quote, FR))


def test_the_place_is_the_one_the_answer_added() -> None:
    turn = Turn(
        "Et il va où ensuite ?",
        "Où Poutine va-t-il après la Corée du Nord ?",
        ("Après sa visite en Corée du Nord, Poutine se rendra au Vietnam les 19 et 20 juin.",),
    )
    assert topic_of(turn, FR).place == "au Vietnam"


def test_two_names_make_a_group() -> None:
    turn = Turn("q", "Qu'ont signé Poutine et Kim à Pyongyang ?")
    assert topic_of(turn, FR).group == "Poutine et Kim"


def test_noun_phrases_keep_their_gender_and_elide() -> None:
    from bot.conversation.topic import noun_phrases

    found = noun_phrases("Et cet accord est-il dirigé contre la visite de Poutine ?", FR)
    assert found == [("l'accord", False), ("la visite de Poutine", True)]


EN = language_facts("en")


def test_an_english_possessive_ends_the_name() -> None:
    assert names_in("What is John Kirby's job?", EN) == ["John Kirby"]


def test_an_auxiliary_or_possessive_opening_the_question_is_no_name() -> None:
    assert names_in("Did any other country do the same?", EN) == []
    assert names_in("Son nom ?", FR) == []


def test_the_quotes_of_an_english_question_are_read_as_french() -> None:
    # The heading "Invitation de Kim Jong-un" is one phrase in French, not a name "Invitation".
    turn = Turn(
        "Who invited Putin to North Korea?",
        "Who invited Putin to North Korea?",
        ("Invitation de Kim Jong-un Le dirigeant nord-coréen Kim Jong-un a invité Poutine.",),
    )
    assert topic_of(turn, EN).subject == "Kim Jong-un"
