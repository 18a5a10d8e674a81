"""`newsbot eval`'s text output (the table, the failures) and the --min-* floors."""

from __future__ import annotations

from typing import Any

from bot.evaluate.run import EvalReport

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
            f"  expected: {expected}\n  got: {shorten(f.answer)}"
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


def shorten(text: str, width: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
