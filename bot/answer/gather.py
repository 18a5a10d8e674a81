"""One question read, searched and turned into candidate features: shared by serving and
training, so the two cannot drift."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bot.answer.candidates import Candidate, collect_candidates
from bot.answer.features import candidate_features
from bot.answer.question import Question
from bot.dates import DateRange
from index.models import Hit
from index.search import HybridSearcher

# An English question's word is also read as the corpus word it is this close to
# ("treaty" -> "traité", index/words.py).
BRIDGE_SIMILARITY = 0.88
# With a date range, this many times k passages are searched before keeping those in it.
DATED_SEARCH_FACTOR = 5


@dataclass(frozen=True)
class Gathered:
    question: Question
    hits: list[Hit]
    candidates: list[Candidate]
    features: NDArray[np.float32]


def search_in_range(
    searcher: HybridSearcher,
    text: str,
    k: int,
    dates: DateRange | None,
    *,
    vector: NDArray[np.float32] | None = None,
    mode: str = "hybrid",
) -> list[Hit]:
    """The top `k` hits, only from articles published in `dates` when it is given: a
    wider search filtered by article date, ranked 1.. again like any search."""
    if dates is None:
        return searcher.search(text, k, vector=vector, mode=mode)
    wide = searcher.search(text, min(k * DATED_SEARCH_FACTOR, 100), vector=vector, mode=mode)
    kept = [hit for hit in wide if dates.contains(hit.article.date)][:k]
    return [replace(hit, rank=rank) for rank, hit in enumerate(kept, start=1)]


def gather(
    text: str, language: str, searcher: HybridSearcher, k: int, dates: DateRange | None = None
) -> Gathered:
    """Search for `text` (a cleaned question) and featurise every sentence found."""
    searched = text
    if language == "en":
        # The articles may be French: "treaty" is also looked for as "traité".
        searched = " ".join([text, *searcher.bridge(text, BRIDGE_SIMILARITY)])
    vector = searcher.embed(searched)
    hits = search_in_range(searcher, searched, k, dates, vector=vector)
    question = Question.read(searched, language, searcher.lexical)
    candidates = collect_candidates(hits, searcher, vector)
    return Gathered(question, hits, candidates, candidate_features(question, candidates))
