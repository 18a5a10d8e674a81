"""Features of each candidate sentence: one function, used in training and in serving.

Every feature is general (similarities, term overlap, what kind of answer a sentence
holds, where its passage ranked); none is written for one construction or one article.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from bot.answer.candidates import Candidate
from bot.answer.question import KINDS, Question, answer_types, folded_words
from index.lexical import analyze

_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b")
_NAME = re.compile(r"(?<=[\w,;:’'()] )[A-ZÀ-Ý][\w-]+")
# Stems at least this long match another that starts with them ("remerc" / "remerci").
_PREFIX_MATCH = 5
# Index terms of a typical news or encyclopaedia sentence, for BM25's length norm.
_TYPICAL_SENTENCE = 14

CANDIDATE_FEATURES = (
    "dense", "dense_gap_best", "dense_gap_mean", "dense_rank", "dense_before", "dense_after",
    "before_gap_best", "coverage", "coverage_context", "coverage_window", "coverage_gap_best",
    "coverage_rank", "coverage_before", "coverage_after", "matched_share", "bigrams", "bm25",
    "bm25_gap_best", "novelty", "length", "hit_rank", "chunk_dense", "lexical_rank", "copies",
    "position", "has_digit", "has_year", "when_cue", "count_cue", "why_cue", "new_name",
    "new_number", "names_covered", *(f"kind_{k}" for k in (*KINDS, "none")), "when_x_date",
    "count_x_number", "who_x_name", "where_x_name", "why_x_cue", "english", "unknown_names",
    "unknown_terms", "uncovered_idf",
)  # fmt: skip


def candidate_features(question: Question, candidates: list[Candidate]) -> NDArray[np.float32]:
    """One row per candidate, columns as CANDIDATE_FEATURES."""
    if not candidates:
        return np.zeros((0, len(CANDIDATE_FEATURES)), dtype=np.float32)
    q_terms = frozenset(question.terms)
    q_words = folded_words(question.text)
    total = sum(question.weights) or 1.0
    dense = np.array([c.dense for c in candidates])
    coverage = np.array([_coverage(c.terms, question) / total for c in candidates])
    bm25 = np.array([_bm25(c.text, question) for c in candidates])
    q_pairs = _pairs(question.terms_in_order)
    dense_rank = _ranks(dense)
    coverage_rank = _ranks(coverage)
    kind = {f"kind_{k}": float(question.kind == k) for k in KINDS}
    kind["kind_none"] = float(question.kind is None)
    rows = []
    for i, c in enumerate(candidates):
        others = np.delete(dense, i)
        top = np.sort(others)[::-1][:10]
        cues = _cues(c.text)
        digits = bool(_DIGIT.search(c.text))
        new_number = _new_number(c.text, q_words)
        new_name = _new_name(c.text, q_terms)
        has_date = cues["when"] or bool(_YEAR.search(c.text))
        context = c.terms | c.before
        row = {
            "dense": c.dense,
            "dense_gap_best": c.dense - dense.max(),
            "dense_gap_mean": c.dense - (top.mean() if len(top) else c.dense),
            "dense_rank": 1.0 / dense_rank[i],
            "dense_before": c.dense_before,
            "dense_after": c.dense_after,
            "before_gap_best": c.dense_before - dense.max() if c.dense_before else -0.2,
            "coverage": coverage[i],
            "coverage_context": _coverage(context, question) / total,
            "coverage_window": _coverage(context | c.after, question) / total,
            "coverage_gap_best": coverage[i] - coverage.max(),
            "coverage_rank": 1.0 / coverage_rank[i],
            "coverage_before": _coverage(c.before, question) / total,
            "coverage_after": _coverage(c.after, question) / total,
            "matched_share": sum(_has_term(c.terms, t) for t in question.terms)
            / max(len(question.terms), 1),
            "bigrams": len(q_pairs & _pairs(_ordered(c.text))) / max(len(q_pairs), 1),
            "bm25": bm25[i] / 10,
            "bm25_gap_best": (bm25[i] - bm25.max()) / 10,
            "novelty": len(c.terms - q_terms) / max(len(c.terms), 1),
            "length": math.log1p(len(c.terms)) / 4,
            "hit_rank": 1.0 / c.hit_rank,
            "chunk_dense": c.chunk_dense,
            "lexical_rank": 1.0 / c.lexical_rank if c.lexical_rank else 0.0,
            "copies": min(_copies(c, candidates), 3) / 3,
            "position": c.position,
            "has_digit": float(digits),
            "has_year": float(bool(_YEAR.search(c.text))),
            "when_cue": float(cues["when"]),
            "count_cue": float(cues["count"]),
            "why_cue": float(cues["why"]),
            "new_name": float(new_name),
            "new_number": float(new_number),
            "names_covered": _names_covered(context, question),
            **kind,
            "when_x_date": float(question.kind == "when" and has_date),
            "count_x_number": float(question.kind == "count" and (new_number or cues["count"])),
            "who_x_name": float(question.kind == "who" and new_name),
            "where_x_name": float(question.kind == "where" and new_name),
            "why_x_cue": float(question.kind == "why" and cues["why"]),
            "english": float(question.language == "en"),
            "unknown_names": question.unknown_names,
            "unknown_terms": question.unknown_terms,
            "uncovered_idf": _uncovered_idf(context, question),
        }
        rows.append([row[name] for name in CANDIDATE_FEATURES])
    return np.asarray(rows, dtype=np.float32)


@lru_cache(maxsize=20_000)
def _ordered(text: str) -> tuple[str, ...]:
    return tuple(analyze(text))


def _pairs(terms: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(pairwise(terms))


def _bm25(text: str, question: Question, k1: float = 1.2, b: float = 0.75) -> float:
    """BM25 of the sentence alone, lengths measured against a typical sentence."""
    terms = _ordered(text)
    length = len(terms) / _TYPICAL_SENTENCE
    score = 0.0
    for term, weight in zip(question.terms, question.weights, strict=True):
        tf = terms.count(term)
        if tf:
            score += weight * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length))
    return score


def _ranks(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """1 for the largest value, 2 for the next…"""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def _coverage(terms: frozenset[str], question: Question) -> float:
    return sum(
        w for t, w in zip(question.terms, question.weights, strict=True) if _has_term(terms, t)
    )


@lru_cache(maxsize=200_000)
def _has_term(terms: frozenset[str], term: str) -> bool:
    """`term` or a stem of the same word: Snowball gives "remerc" for "remercie" but
    "remerci" for "remercier", so stems of five letters or more match by prefix."""
    if term in terms:
        return True
    if len(term) < _PREFIX_MATCH:
        return False
    return any(
        len(other) >= _PREFIX_MATCH and (other.startswith(term) or term.startswith(other))
        for other in terms
    )


@lru_cache(maxsize=20_000)
def _cues(text: str) -> dict[str, bool]:
    words = folded_words(text)
    return {
        kind: any(f" {phrase} " in words for phrase in phrases)
        for kind, phrases in answer_types()["answer_cues"].items()
    }


def _new_number(text: str, question_words: str) -> bool:
    """The sentence gives a number the question does not."""
    return any(f" {n} " not in question_words for n in re.findall(r"\d+", text))


def _new_name(text: str, question_terms: frozenset[str]) -> bool:
    """The sentence names someone or somewhere the question does not."""
    return any(
        (stem := next(iter(analyze(m.group())), "")) and stem not in question_terms
        for m in _NAME.finditer(text)
    )


def _uncovered_idf(terms: frozenset[str], question: Question) -> float:
    """How rare the rarest question term missing from the sentence is (1 = never used)."""
    missing = [
        w for t, w in zip(question.terms, question.weights, strict=True) if not _has_term(terms, t)
    ]
    return max(missing, default=0.0) / max(question.max_idf, 1e-6)


def _names_covered(terms: frozenset[str], question: Question) -> float:
    if not question.names:
        return 1.0
    return sum(_has_term(terms, n) for n in question.names) / len(question.names)


def _copies(candidate: Candidate, candidates: list[Candidate]) -> int:
    """How many other articles state the same sentence (wire copies, quotes)."""
    return sum(
        1
        for other in candidates
        if other.article.id != candidate.article.id
        and _jaccard(candidate.terms, other.terms) >= 0.5
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
