"""The follow-up rewrite on plain strings, and the bounded memory of conversations."""

from __future__ import annotations

import pytest

from bot.conversation import (
    Conversation,
    Conversations,
    Turn,
    checked_condensed,
    condense_messages,
    refers_back,
    rewrite_followup,
)
from bot.settings import Settings, SettingsError


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


@pytest.mark.parametrize(
    "question",
    [
        "Qui a gagné le Tour de France ?",
        "Quel temps fera-t-il à Pyongyang mardi ?",  # an impersonal "il"
        "En quelle année la Corée du Nord a-t-elle reconnu Donetsk ?",  # its own subject
        "Combien coûte un billet d'avion pour Pyongyang ?",
        "Who won the 2024 Champions League?",
    ],
)
def test_a_question_naming_its_own_subject_is_a_new_topic(question: str) -> None:
    earlier = turns(("Qui est Jens Stoltenberg ?", ("Jens Stoltenberg a dénoncé cette alliance.",)))
    assert not refers_back(question, "en" if question.startswith("Who") else "fr")
    assert rewrite_followup(question, earlier) == question


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


def test_a_conversation_keeps_only_its_last_turns() -> None:
    conversation = Conversation(max_turns=2)
    for n in range(5):
        conversation.add(Turn(f"q{n}", f"q{n}"))
    assert [t.question for t in conversation.turns] == ["q3", "q4"]


def test_conversations_expire_when_idle_and_the_least_recently_used_goes() -> None:
    now = [0.0]
    store = Conversations(max_turns=3, max_conversations=2, idle_seconds=60, clock=lambda: now[0])
    store.get("a").add(Turn("Qui est X ?", "Qui est X ?"))
    store.get("b")
    store.get("a")  # a is now the most recently used
    store.get("c")  # full: b goes
    assert len(store) == 2 and store.get("a").turns
    now[0] = 61.0
    assert not store.get("a").turns  # idle too long: afresh
    assert len(store) == 1


def test_memory_stays_bounded_under_many_conversations() -> None:
    store = Conversations(max_turns=2, max_conversations=100, idle_seconds=600)
    for n in range(10_000):
        for _ in range(5):
            store.get(n).add(Turn("q", "q"))
    assert len(store) == 100
    assert all(len(store.get(n).turns) == 2 for n in range(9_950, 10_000))


def test_forget_and_move() -> None:
    store = Conversations(max_turns=2, max_conversations=10, idle_seconds=600)
    store.get("channel").add(Turn("q", "q"))
    store.move("channel", "thread")
    assert store.get("thread").turns and not store.get("channel").turns
    store.forget("thread")
    assert not store.get("thread").turns


def test_settings_bound_conversations_from_the_environment() -> None:
    settings = Settings.from_env(
        {"NEWSBOT_CONVERSATION_TURNS": "3", "NEWSBOT_CONVERSATION_IDLE_SECONDS": "5"}
    )
    store = Conversations.from_settings(settings)
    assert (store.max_turns, store.idle_seconds, store.max_conversations) == (3, 5.0, 1000)
    with pytest.raises(SettingsError, match="NEWSBOT_CONVERSATION_MAX"):
        Settings.from_env({"NEWSBOT_CONVERSATION_MAX": "0"})


def test_the_condensing_prompt_and_its_check() -> None:
    system, user = condense_messages(
        "Qu'a-t-il déclaré ?", turns(("Qui est Ouchakov ?", ("Ouchakov est conseiller.",))), "fr"
    )
    assert "autonome" in system
    assert "Q: Qui est Ouchakov ?" in user and "R: Ouchakov est conseiller." in user
    assert user.endswith("Qu'a-t-il déclaré ?")
    assert checked_condensed(" « Qu'a déclaré Ouchakov ? » ", "Qu'a-t-il déclaré ?") == (
        "Qu'a déclaré Ouchakov ?"
    )
    for bad in ("Ouchakov a déclaré des choses.", "Q1 ?\nQ2 ?", "", "A ? B ?"):
        assert checked_condensed(bad, "Qu'a-t-il déclaré ?") is None
