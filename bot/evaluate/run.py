"""Ask every gold question of a warm engine and score the results (`newsbot eval`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.engine import Engine
from bot.evaluate.gold import GoldQuestion, QAFileError, first_hit_rank, good_citations, holds_fact

HIT_RANKS = (1, 3, 5)


@dataclass(frozen=True)
class QuestionResult:
    """What happened to one gold question."""

    question: GoldQuestion
    answer: str
    abstained: bool
    confidence: float | None  # the probability that the answer holds (None: nothing found)
    first_hit_rank: int | None  # rank of the first retrieved passage holding the answer
    citations: int
    good_citations: int  # citations whose snippet or passage holds the answer
    latency_ms: float
    language: str = "fr"  # of the answer; English questions have their own threshold

    @property
    def correct(self) -> bool:
        if not self.question.answerable:
            return self.abstained
        return not self.abstained and holds_fact(self.answer, self.question.expected)

    @property
    def failure(self) -> str | None:
        """Why this counts as a failure, or None."""
        if self.correct:
            return None
        if not self.question.answerable:
            return "not abstained"
        return "wrongly abstained" if self.abstained else "wrong answer"


@dataclass(frozen=True)
class Failure:
    """A question the bot got wrong, for display."""

    question: str
    reason: str  # "wrong answer", "wrongly abstained" or "not abstained"
    answer: str
    expected: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Metrics:
    """Scores over a set of questions; None where the set has no question to score."""

    count: int
    hit_at: dict[int, float | None]  # keyed by HIT_RANKS, over answerable questions
    mrr: float | None
    accuracy: float | None  # answerable questions answered with an expected string
    citation_precision: float | None  # pooled over every citation of answered questions
    abstain_unanswerable: float | None  # unanswerable questions refused (higher is better)
    abstain_answerable: float | None  # answerable questions refused (lower is better)
    p50_ms: float | None
    p95_ms: float | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {f"hit@{r}": _round(self.hit_at.get(r)) for r in HIT_RANKS}
        out |= {
            "mrr": _round(self.mrr),
            "accuracy": _round(self.accuracy),
            "citation_precision": _round(self.citation_precision),
            "abstain_unanswerable": _round(self.abstain_unanswerable),
            "abstain_answerable": _round(self.abstain_answerable),
            "p50_ms": _round(self.p50_ms, 1),
            "p95_ms": _round(self.p95_ms, 1),
            "count": self.count,
        }
        return out


@dataclass(frozen=True)
class EvalReport:
    """Overall and per-tag metrics, the failures, and every question's result."""

    overall: Metrics
    by_tag: dict[str, Metrics]
    failures: tuple[Failure, ...]
    results: tuple[QuestionResult, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return self.overall.to_json() | {
            "by_tag": {tag: m.to_json() for tag, m in self.by_tag.items()},
            "questions": [_result_json(r) for r in self.results],
        }


# --- running ---------------------------------------------------------------------------


def run_evaluation(
    engine: Engine, questions: list[GoldQuestion], k: int = 5, mode: str = "hybrid"
) -> EvalReport:
    """Ask every question, timing answers on a warm engine, and score the results.

    `mode` (hybrid, dense or lexical) picks the retriever scored by hit@k and MRR;
    answers always use the hybrid search users get.
    """
    if not questions:
        raise QAFileError("no questions to evaluate")
    engine.answer(questions[0].question)  # warm-up: loads the index, fills caches
    origins = {a.id: a.origin for a in engine.searcher().articles.values()}
    results = []
    for q in questions:
        hits = engine.search(q.question, k, mode=mode)
        started = time.perf_counter()
        answer = engine.answer(q.question)
        latency_ms = (time.perf_counter() - started) * 1000
        results.append(
            QuestionResult(
                question=q,
                answer=answer.text,
                abstained=answer.abstained,
                confidence=answer.confidence,
                first_hit_rank=first_hit_rank(hits, q, origins) if q.answerable else None,
                citations=len(answer.citations),
                good_citations=good_citations(answer, q, origins) if q.answerable else 0,
                latency_ms=latency_ms,
                language=answer.language,
            )
        )
    return build_report(results)


def build_report(results: Sequence[QuestionResult]) -> EvalReport:
    """Overall and per-tag metrics (tags sorted by name) and the failures, from results."""
    tags = sorted({t for r in results for t in r.question.all_tags})
    return EvalReport(
        overall=compute_metrics(results),
        by_tag={t: compute_metrics([r for r in results if t in r.question.all_tags]) for t in tags},
        failures=tuple(
            Failure(r.question.question, r.failure, r.answer, r.question.expected, r.question.line)
            for r in results
            if r.failure is not None
        ),
        results=tuple(results),
    )


def compute_metrics(results: Sequence[QuestionResult]) -> Metrics:
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    answered = [r for r in answerable if not r.abstained]
    ranks = [r.first_hit_rank for r in answerable]
    cited = sum(r.citations for r in answered)
    latencies = sorted(r.latency_ms for r in results)
    return Metrics(
        count=len(results),
        hit_at={n: _hit_share(answerable, n) for n in HIT_RANKS},
        mrr=sum(1 / r for r in ranks if r) / len(ranks) if ranks else None,
        accuracy=_share(answerable, lambda r: r.correct),
        citation_precision=sum(r.good_citations for r in answered) / cited if cited else None,
        abstain_unanswerable=_share(unanswerable, lambda r: r.abstained),
        abstain_answerable=_share(answerable, lambda r: r.abstained),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
    )


def _share(
    results: Sequence[QuestionResult], test: Callable[[QuestionResult], bool]
) -> float | None:
    return sum(1 for r in results if test(r)) / len(results) if results else None


def _hit_share(answerable: Sequence[QuestionResult], n: int) -> float | None:
    return _share(answerable, lambda r: r.first_hit_rank is not None and r.first_hit_rank <= n)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def calibrate(engine: Engine, questions: list[GoldQuestion], k: int = 5) -> float:
    """The abstention threshold that suits this corpus and question file.

    Runs the questions with abstention switched off, then picks the cut with the most
    right answers plus refused unanswerable questions among those refusing at most a
    tenth of the answerable ones (the rule the shipped threshold was chosen by; see
    docs/calibration.md).
    """
    from bot.answer.learn import choose_threshold

    model = engine.model
    open_model = replace(model, abstainer=replace(model.abstainer, threshold=0.0))
    open_engine = Engine(engine.settings, engine.embedder, model=open_model)
    report = run_evaluation(open_engine, questions, k=k)
    results = report.results
    return choose_threshold(
        [r.confidence or 0.0 for r in results],
        # A right answer: a refused unanswerable question is "correct" too, but it is
        # counted by the refusal side of the rule, never as an answer.
        [r.correct and r.question.answerable for r in results],
        [r.question.answerable for r in results],
    )


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _result_json(r: QuestionResult) -> dict[str, Any]:
    return {
        "line": r.question.line,
        "question": r.question.question,
        "answerable": r.question.answerable,
        "abstained": r.abstained,
        "correct": r.correct,
        "confidence": _round(r.confidence),
        "language": r.language,
        "first_hit_rank": r.first_hit_rank,
        "citations": r.citations,
        "good_citations": r.good_citations,
        "latency_ms": _round(r.latency_ms, 1),
    }
