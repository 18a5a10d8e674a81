"""Question cleaning and the language of the framing words."""

from __future__ import annotations

import pytest

from bot.question import clean_question, decode_input_line, detect_language, detect_language_or
from index.errors import InvalidQuestionError


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Qui accompagne Poutine ?", "fr"),
        ("Who travels with Putin?", "en"),
        ("How many agreements did Putin sign in North Korea?", "en"),
        # Other languages are framed in French (the default), whatever names they share
        # with English ("Putin", "Korea").
        ("Wann hat Putin Nordkorea besucht?", "fr"),
        ("Wer begleitet Putin nach Nordkorea?", "fr"),
        ("¿Quién acompaña a Putin en Corea del Norte?", "fr"),
        ("Chi accompagna Putin in Corea del Nord?", "fr"),
    ],
)
def test_framing_language(question: str, language: str) -> None:
    assert detect_language(question) == language


def test_errors_follow_the_question_language() -> None:
    with pytest.raises(InvalidQuestionError, match="too long"):
        clean_question("What did Putin sign? " + "x" * 2000)
    with pytest.raises(InvalidQuestionError, match="trop longue"):
        clean_question("Qu'a signé Poutine ? " + "x" * 2000)
    with pytest.raises(InvalidQuestionError, match="trop longue"):
        clean_question("Was hat Putin unterschrieben? " + "x" * 2000)


def test_lone_surrogates_become_replacement_characters() -> None:
    cleaned = clean_question("Qui \udcff accompagne \ud800 Poutine ?")
    assert cleaned == "Qui \ufffd accompagne \ufffd Poutine ?"
    cleaned.encode("utf-8")  # what the embedder does: must not raise


def test_input_lines_are_decoded_with_replacement() -> None:
    assert decode_input_line("Déjà ?\n".encode()) == ("Déjà ?", False)
    assert decode_input_line(b"Qui \xff ?\r\n") == ("Qui \ufffd ?", True)


def test_a_question_without_function_words_takes_the_given_language() -> None:
    assert detect_language_or("What's his job?", "en") == "en"
    assert detect_language_or("What's his job?", "fr") == "fr"
    assert detect_language_or("Quelle est sa fonction ?", "en") == "fr"
