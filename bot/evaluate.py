"""`newsbot eval`: score retrieval, answers, citations, abstention and latency on a gold set.

Also replays the 👎 / "mauvaise source" feedback log against the current engine.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.models import Answer
from index.errors import NewsbotError
from index.lexical import fold_accents
from index.models import Chunk, Hit

log = logging.getLogger("newsbot.eval")

HIT_RANKS = (1, 3, 5)
NEGATIVE_KINDS = ("down", "bad_source")


class QAFileError(NewsbotError):
    """The question file is missing or a line of it is not a valid gold question."""


class FeedbackFileError(NewsbotError):
    """The feedback log to replay does not exist."""


@dataclass(frozen=True)
class GoldQuestion:
    """One line of a gold file; `expected == ()` means the articles do not answer it."""

    question: str
    expected: tuple[str, ...]
    sources: tuple[str, ...]  # seed file names (`Article.origin`) that state the answer
    tags: tuple[str, ...]
    line: int

    @property
    def answerable(self) -> bool:
        return bool(self.expected)

    @property
    def all_tags(self) -> tuple[str, ...]:
        """The file's tags plus "answerable" or "unanswerable"."""
        kind = "answerable" if self.answerable else "unanswerable"
        return self.tags if kind in self.tags else (*self.tags, kind)


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


@dataclass(frozen=True)
class FeedbackReplay:
    """A negatively rated answer beside what the engine answers now."""

    question: str
    kinds: tuple[str, ...]  # the negative clicks it got ("down", "bad_source")
    time: str
    old_answer: str
    new_answer: str
    new_abstained: bool

    @property
    def changed(self) -> bool:
        return " ".join(self.old_answer.split()) != " ".join(self.new_answer.split())


@dataclass(frozen=True)
class NegativeFeedback:
    """The negative entries of a feedback log (one per answer) and how many lines were bad."""

    entries: tuple[dict[str, Any], ...]
    skipped: int


# --- the gold file ---------------------------------------------------------------------


def load_questions(path: Path) -> list[GoldQuestion]:
    """Read a gold JSONL file; raises QAFileError naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QAFileError(f"no question file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QAFileError(f"cannot read {path}: {exc}") from None
    questions = [_parse_question(raw, path, n) for n, raw in enumerate(lines, 1) if raw.strip()]
    if not questions:
        raise QAFileError(f"{path} holds no questions — one JSON object per line")
    return questions


def _parse_question(raw: str, path: Path, line: int) -> GoldQuestion:
    where = f"{path}:{line}"
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise QAFileError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise QAFileError(f"{where}: expected a JSON object")
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise QAFileError(f"{where}: 'question' must be a non-empty string")
    expected = _strings(record, "expected", where)
    sources = _strings(record, "sources", where, required=False)
    tags = _strings(record, "tags", where, required=False)
    if any(not s.strip() for s in expected):
        raise QAFileError(f"{where}: 'expected' holds an empty string")
    return GoldQuestion(question.strip(), expected, sources, tags, line)


def _strings(
    record: dict[str, Any], key: str, where: str, *, required: bool = True
) -> tuple[str, ...]:
    value = record.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QAFileError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


# --- matching --------------------------------------------------------------------------


def holds_fact(text: str, expected: Iterable[str]) -> bool:
    """Any expected string occurs in `text`, ignoring case and accents."""
    folded = fold_accents(text)
    return any(fold_accents(e) in folded for e in expected)


def _chunk_holds(chunk: Chunk, origin: str, q: GoldQuestion) -> bool:
    # An expected string such as "Séoul" also occurs in unrelated articles, so a passage
    # counts only when it comes from a listed source (see tests/data/README.md).
    from_source = not q.sources or origin in q.sources
    return from_source and holds_fact(chunk.text, q.expected)


def first_hit_rank(hits: Sequence[Hit], q: GoldQuestion, origins: dict[str, str]) -> int | None:
    """The rank of the first hit whose chunk (or a duplicate of it) holds the answer."""
    for hit in sorted(hits, key=lambda h: h.rank):
        if _chunk_holds(hit.chunk, hit.article.origin, q) or any(
            _chunk_holds(d, origins.get(d.article_id, ""), q) for d in hit.duplicates
        ):
            return hit.rank
    return None


def good_citations(answer: Answer, q: GoldQuestion, origins: dict[str, str]) -> int:
    """Citations whose snippet, or the passage it was quoted from, holds the answer."""
    passages = {p.n: p.text for p in answer.passages}
    count = 0
    for c in answer.citations:
        from_source = not q.sources or origins.get(c.article_id) in q.sources
        text_holds = holds_fact(c.snippet, q.expected) or holds_fact(
            passages.get(c.n, ""), q.expected
        )
        count += from_source and text_holds
    return count


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
        [r.correct for r in results],
        [r.question.answerable for r in results],
    )


# --- output ----------------------------------------------------------------------------

_COLUMNS = (
    ("hit@1", 6),
    ("hit@3", 6),
    ("hit@5", 6),
    ("mrr", 6),
    ("accuracy", 8),
    ("citation_precision", 9),
    ("abstain_unanswerable", 8),
    ("abstain_answerable", 8),
    ("p50_ms", 7),
    ("p95_ms", 7),
    ("count", 5),
)
_HEADERS = {
    "citation_precision": "cite-prec",
    "abstain_unanswerable": "abst-unk",
    "abstain_answerable": "abst-ans",
}


def render_table(report: EvalReport) -> str:
    """A plain aligned table: the overall row, then one row per tag."""
    rows = [("overall", report.overall), *report.by_tag.items()]
    name_width = max(len(name) for name, _ in rows)
    header = "  ".join([" " * name_width, *(_HEADERS.get(k, k).rjust(w) for k, w in _COLUMNS)])
    lines = [header.rstrip()]
    for name, metrics in rows:
        values = metrics.to_json()
        cells = [_cell(values[k], k).rjust(w) for k, w in _COLUMNS]
        lines.append("  ".join([name.ljust(name_width), *cells]))
    return "\n".join(lines)


def render_failures(report: EvalReport, limit: int = 20) -> str:
    """One block per failed question (the first `limit`)."""
    blocks = []
    for f in report.failures[:limit]:
        expected = " | ".join(f.expected) or "(abstain)"
        blocks.append(
            f"[{f.reason}] line {f.line}: {f.question}\n"
            f"  expected: {expected}\n  got: {_shorten(f.answer)}"
        )
    if len(report.failures) > limit:
        blocks.append(f"... and {len(report.failures) - limit} more")
    return "\n".join(blocks)


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "-"
    if key == "count":
        return str(value)
    if key.endswith("_ms"):
        return f"{value:.0f}"
    return f"{value:.3f}"


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


def check_floors(
    report: EvalReport,
    min_hit5: float | None,
    min_accuracy: float | None,
    min_refused: float | None = None,
) -> list[str]:
    """A message per overall score below its floor; empty when every floor holds."""
    failed = []
    for name, floor, value, kind in (
        ("hit@5", min_hit5, report.overall.hit_at.get(5), "answerable"),
        ("accuracy", min_accuracy, report.overall.accuracy, "answerable"),
        ("unanswerable refused", min_refused, report.overall.abstain_unanswerable, "unanswerable"),
    ):
        if floor is None:
            continue
        if value is None:
            failed.append(f"{name} cannot be checked: no {kind} question")
        elif value < floor:
            failed.append(f"{name} {value:.3f} is below the floor {floor:.3f}")
    return failed


# --- feedback replay -------------------------------------------------------------------


def read_negative_feedback(path: Path) -> NegativeFeedback:
    """The 👎 / "mauvaise source" entries of a feedback log, one per answer, oldest first.

    Broken lines (a torn write, hand edits) are skipped and counted, not fatal.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        raise FeedbackFileError(f"no feedback log at {path}") from None
    by_answer: dict[str, dict[str, Any]] = {}
    skipped = 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            skipped += 1
            continue
        if not _valid_feedback(record):
            skipped += 1
            continue
        if record["kind"] not in NEGATIVE_KINDS:
            continue
        key = str(record.get("answer_id") or f"{record['question']}\0{record['answer']}")
        entry = by_answer.setdefault(key, {**record, "kinds": []})
        if record["kind"] not in entry["kinds"]:
            entry["kinds"].append(record["kind"])
    return NegativeFeedback(tuple(by_answer.values()), skipped)


def _valid_feedback(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("kind"), str)
        and isinstance(record.get("question"), str)
        and bool(record["question"].strip())
        and isinstance(record.get("answer"), str)
    )


def replay_feedback(engine: Engine, path: Path) -> list[FeedbackReplay]:
    """Ask each negatively rated question again; the old answer beside the new one."""
    feedback = read_negative_feedback(path)
    if feedback.skipped:
        log.warning("skipped %d broken line(s) in %s", feedback.skipped, path)
    replays = []
    for entry in feedback.entries:
        try:
            new = engine.answer(entry["question"])
            new_text, new_abstained = new.text, new.abstained
        except NewsbotError as exc:  # e.g. a question the cleaner now rejects
            new_text, new_abstained = f"(error: {exc})", True
        replays.append(
            FeedbackReplay(
                question=entry["question"],
                kinds=tuple(entry["kinds"]),
                time=str(entry.get("time", "")),
                old_answer=entry["answer"],
                new_answer=new_text,
                new_abstained=new_abstained,
            )
        )
    return replays


def render_replay(replays: Sequence[FeedbackReplay], skipped: int = 0) -> str:
    """Old and new answers, one block per negatively rated question."""
    if not replays:
        lines = ["no negative feedback to replay"]
    else:
        changed = sum(r.changed for r in replays)
        lines = [f"{len(replays)} negatively rated answer(s), {changed} now answered differently"]
    for r in replays:
        status = "changed" if r.changed else "unchanged"
        lines += [
            "",
            f"[{', '.join(r.kinds)}] {r.time} ({status}): {r.question}",
            f"  before: {_shorten(r.old_answer)}",
            f"  now:    {_shorten(r.new_answer)}",
        ]
    if skipped:
        lines.append(f"\n({skipped} broken line(s) skipped)")
    return "\n".join(lines)


def _shorten(text: str, width: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
