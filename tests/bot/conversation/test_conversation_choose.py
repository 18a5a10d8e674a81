"""bot/conversation/choose.py: the reading whose answer the model is surest of."""

from __future__ import annotations

from bot.conversation.choose import READING_MARGIN, choose_reading
from bot.models import Answer


def answer(confidence: float, abstained: bool = False) -> Answer:
    return Answer("q", "t", abstained, "extractive", "fr", confidence=confidence)


def test_the_preferred_reading_stays_unless_another_is_clearly_surer() -> None:
    assert choose_reading([answer(0.6), answer(0.6 + READING_MARGIN / 2)]) == 0
    assert choose_reading([answer(0.4), answer(0.4 + 2 * READING_MARGIN)]) == 1


def test_an_answered_reading_beats_a_refused_one() -> None:
    assert choose_reading([answer(0.3, abstained=True), answer(0.2)]) == 1
    assert choose_reading([answer(0.2), answer(0.9, abstained=True)]) == 0


def test_one_reading_is_kept() -> None:
    assert choose_reading([answer(0.1, abstained=True)]) == 0
