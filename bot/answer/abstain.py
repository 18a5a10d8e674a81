"""Whether to answer: what the ranking looks like, as the abstainer's input."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from bot.answer.features import CANDIDATE_FEATURES

ABSTAIN_FEATURES = (
    "top_logit", "margin", "top_share", "top_dense", "top_coverage", "top_names_covered",
    "top_type_match", "max_dense", "max_coverage", "unknown_names", "english", "candidates",
    "unknown_terms", "top_uncovered_idf",
)  # fmt: skip
_COLUMN = {name: i for i, name in enumerate(CANDIDATE_FEATURES)}
_TYPE_MATCH = [
    _COLUMN[c] for c in ("when_x_date", "count_x_number", "who_x_name", "where_x_name", "why_x_cue")
]


def ranking_features(
    logits: NDArray[np.float64], features: NDArray[np.float32]
) -> NDArray[np.float64]:
    """ABSTAIN_FEATURES of one question's ranked candidates (at least one)."""
    order = np.argsort(-logits, kind="stable")
    top = features[order[0]]
    second = logits[order[1]] if len(order) > 1 else logits[order[0]] - 3.0
    shares = np.exp(logits - logits.max())
    return np.array(
        [
            logits[order[0]],
            logits[order[0]] - second,
            shares[order[0]] / shares.sum(),
            top[_COLUMN["dense"]],
            top[_COLUMN["coverage"]],
            top[_COLUMN["names_covered"]],
            top[_TYPE_MATCH].sum(),
            features[:, _COLUMN["dense"]].max(),
            features[:, _COLUMN["coverage"]].max(),
            top[_COLUMN["unknown_names"]],
            top[_COLUMN["english"]],
            math.log1p(len(logits)),
            top[_COLUMN["unknown_terms"]],
            top[_COLUMN["uncovered_idf"]],
        ]
    )


def passes_checks(logits: NDArray[np.float64], features: NDArray[np.float32]) -> bool:
    """The two rules kept, because on the calib data each refused more unanswerable
    questions at no cost in right answers (docs/calibration.md): the best sentence gives
    the kind of answer asked (a date for "quand", a number for "combien"), and the corpus
    uses every name the question asks about ("la réaction du Japon" over articles that
    never name Japan is refused)."""
    top = features[int(np.argmax(logits))]
    if top[_COLUMN["unknown_names"]] > 0:
        return False
    if top[_COLUMN["kind_when"]] and not top[_COLUMN["when_x_date"]]:
        return False
    return not (top[_COLUMN["kind_count"]] and not top[_COLUMN["count_x_number"]])
