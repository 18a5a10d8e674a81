"""`newsbot eval`: score retrieval, answers, citations, abstention and latency on a gold set.

Also replays the 👎 / "mauvaise source" feedback log against the current engine. The
modules: gold.py (the question file, matching), run.py (asking, metrics, calibration),
report.py (the table, failures, floors), replay.py (the feedback log); their public names
are imported here.
"""

from bot.evaluate.gold import (
    GoldQuestion,
    QAFileError,
    first_hit_rank,
    good_citations,
    holds_fact,
    load_questions,
)
from bot.evaluate.replay import (
    NEGATIVE_KINDS,
    FeedbackFileError,
    FeedbackReplay,
    NegativeFeedback,
    read_negative_feedback,
    render_replay,
    replay_feedback,
)
from bot.evaluate.report import check_floors, render_failures, render_table
from bot.evaluate.run import (
    HIT_RANKS,
    EvalReport,
    Failure,
    Metrics,
    QuestionResult,
    build_report,
    calibrate,
    compute_metrics,
    percentile,
    run_evaluation,
)

__all__ = [
    "HIT_RANKS",
    "NEGATIVE_KINDS",
    "EvalReport",
    "Failure",
    "FeedbackFileError",
    "FeedbackReplay",
    "GoldQuestion",
    "Metrics",
    "NegativeFeedback",
    "QAFileError",
    "QuestionResult",
    "build_report",
    "calibrate",
    "check_floors",
    "compute_metrics",
    "first_hit_rank",
    "good_citations",
    "holds_fact",
    "load_questions",
    "percentile",
    "read_negative_feedback",
    "render_failures",
    "render_replay",
    "render_table",
    "replay_feedback",
    "run_evaluation",
]
