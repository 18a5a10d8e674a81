"""`answer_question`: search, rank every sentence found, then quote or refuse.

Extractive by default; with a language model configured, its answer is used only when
every citation marker it writes points at a passage it was given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.answer.abstain import passes_checks, ranking_features
from bot.answer.candidates import Candidate
from bot.answer.compose import choose_quotes, quoted_answer, refusal
from bot.answer.gather import gather
from bot.answer.ranker import AnswerModel
from bot.dates import DateRange
from bot.models import Answer
from bot.prompts import message
from bot.question import clean_question, detect_language
from index.search import HybridSearcher

if TYPE_CHECKING:
    from bot.llm import LanguageModel

log = logging.getLogger("newsbot.bot")


@dataclass(frozen=True)
class AnswerOptions:
    """How much an answer quotes and shows (the learned parts hold the rest)."""

    max_sentences: int = 2
    related: int = 2  # sentences shown as possibly related beside a refusal
    # ... only at this dense similarity or above: off-topic questions get none
    # (docs/calibration.md).
    related_similarity: float = 0.825


def answer_question(
    question: str,
    searcher: HybridSearcher,
    model: AnswerModel,
    *,
    k: int = 5,
    options: AnswerOptions | None = None,
    llm: LanguageModel | None = None,
    dates: DateRange | None = None,
) -> Answer:
    """Answer `question` from the index; never invents a citation."""
    o = options or AnswerOptions()
    cleaned = clean_question(question)
    language = detect_language(cleaned)
    found = gather(cleaned, language, searcher, k, dates)
    if not found.candidates or not found.question.terms:
        # Nothing found, or nothing to look for ("Selon ,", "Qui ?"): a quote would be a guess.
        close = [c for c in found.candidates if c.dense >= o.related_similarity]
        return refusal(cleaned, language, close[: o.related], None)
    logits = model.ranker.logits(found.features)
    order = np.argsort(-logits, kind="stable")
    shares = np.exp(logits - logits.max())
    shares /= shares.sum()
    ranked: list[tuple[Candidate, float]] = [(found.candidates[i], float(shares[i])) for i in order]
    probability = model.abstainer.probability(ranking_features(logits, found.features))
    related = [c for c, _ in ranked if c.dense >= o.related_similarity][: o.related]
    note = None
    if llm is not None:
        from bot.answer.llm_answer import llm_answer
        from bot.llm import LanguageModelError, UnsupportedAnswer

        try:
            return llm_answer(cleaned, found.hits, [c for c, _ in ranked], language, llm)
        except UnsupportedAnswer as exc:
            if exc.abstained:
                return refusal(cleaned, language, related, probability)
            log.warning("language model answer rejected: %s", exc)
            note = message("answer", "llm_replaced", language, reason=str(exc))
        except LanguageModelError as exc:
            log.warning("language model answer rejected: %s", exc)
            note = message("answer", "llm_replaced", language, reason=str(exc))
    if probability < model.abstainer.threshold or not passes_checks(logits, found.features):
        return refusal(cleaned, language, related, probability, note)
    groups = choose_quotes(ranked, model.second_share, o.max_sentences)
    return quoted_answer(cleaned, language, groups, probability, note)
