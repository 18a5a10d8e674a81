"""The answer core: candidates → features → ranker → abstain → compose."""

from bot.answer.core import AnswerOptions, answer_question

__all__ = ["AnswerOptions", "answer_question"]
