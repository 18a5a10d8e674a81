"""Question cleaning and the language of the framing words."""

from __future__ import annotations

import pytest

from bot.question import clean_question, detect_language
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
