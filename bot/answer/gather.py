"""One question read, searched and turned into candidate features: shared by serving and
training, so the two cannot drift."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bot.answer.candidates import Candidate, collect_candidates
from bot.answer.features import candidate_features
from bot.answer.question import Question
from index.models import Hit
from index.search import HybridSearcher

# An English question's word is also read as the corpus word it is this close to
# ("treaty" -> "traité", index/words.py).
BRIDGE_SIMILARITY = 0.88


@dataclass(frozen=True)
class Gathered:
    question: Question
    hits: list[Hit]
    candidates: list[Candidate]
    features: NDArray[np.float32]


def gather(text: str, language: str, searcher: HybridSearcher, k: int) -> Gathered:
    """Search for `text` (a cleaned question) and featurise every sentence found."""
    searched = text
    if language == "en":
        # The articles may be French: "treaty" is also looked for as "traité".
        searched = " ".join([text, *searcher.bridge(text, BRIDGE_SIMILARITY)])
    vector = searcher.embed(searched)
    hits = searcher.search(searched, k, vector=vector)
    question = Question.read(searched, language, searcher.lexical)
    candidates = collect_candidates(hits, searcher, vector)
    return Gathered(question, hits, candidates, candidate_features(question, candidates))
