"""Reading a question: its kind from the first question word, its names, the corpus's."""

from __future__ import annotations

import pytest

from bot.answer.question import Question, corpus_stem, proper_names, question_kind
from index.lexical import LexicalIndex


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Qui accompagne Poutine ?", "who"),
        ("Quand Kim a-t-il invité Poutine ?", "when"),
        ("Pourquoi le panel qui contrôlait les sanctions a-t-il cessé ?", "why"),
        ("Combien de documents ont été signés ?", "count"),
        ("Où se trouve Pyongyang ?", "where"),
        ("Comment s'appelle le ministre ?", "who"),
        ("Comment Séoul a-t-il réagi ?", "how"),
        ("Quel est le nom du conseiller ?", "who"),
        ("Qu'a signé Poutine ?", "what"),
        ("What did Putin sign?", "what"),
        ("How many documents were signed?", "count"),
        ("Poutine et Kim", None),
    ],
)
def test_the_first_question_word_sets_the_kind(question: str, kind: str | None) -> None:
    assert question_kind(question) == kind


def test_names_skip_words_opening_the_question_or_a_clause() -> None:
    assert proper_names("Bonjour ! Quelle a été la réaction du Japon ?") == ("japon",)
    assert proper_names("Qui accompagne Vladimir Poutine ?") == ("vladim", "poutin")
    assert proper_names("Kim Jong-un a-t-il parlé ?") == ("jong",)


def test_corpus_stems_forgive_typos_and_find_longer_words() -> None:
    lexical = LexicalIndex.build(["Ouchakov a parlé à Pyongyang du Vietnam."])
    assert corpus_stem(lexical, "ouchakov") == "ouchakov"
    assert corpus_stem(lexical, "ouchakof") == "ouchakov"  # one typo
    assert corpus_stem(lexical, "viet") == "vietnam"  # a longer word it begins
    assert corpus_stem(lexical, "japon") is None


def test_a_question_counts_the_names_the_corpus_never_uses() -> None:
    lexical = LexicalIndex.build(["Poutine est arrivé à Pyongyang.", "Kim l'a accueilli."])
    asked = Question.read("Qu'a dit Poutine au Japon ?", "fr", lexical)
    assert asked.kind == "what"
    assert asked.unknown_names == 0.5
    assert "poutin" in asked.terms and "japon" in asked.terms
