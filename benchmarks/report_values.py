"""Reading one run's results and formatting its figures: shared by the report's sections."""

from __future__ import annotations

from typing import Any

Runs = dict[str, dict[str, Any]]
SCALE_NAMES = {"2k": "~2k", 100_000: "100k", 1_000_000: "1M"}
GIB = 1024.0


def value_at(runs: Runs, name: str, *keys: str) -> Any:
    """runs[name]["result"][k1][k2]..., or None when any part is missing."""
    value: Any = runs.get(name, {}).get("result")
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def peak_rss(runs: Runs, name: str) -> float | None:
    run = runs.get(name)
    return None if run is None or run.get("error") else float(run["peak_rss_mib"])


def num(value: float | None, digits: int = 1, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def ratio(ours: float | None, stock: float | None, lower_is_better: bool = True) -> str:
    """ours ÷ stock, with which side wins in words."""
    if ours is None or stock is None or ours <= 0 or stock <= 0:
        return "n/a"
    r = ours / stock
    better = r < 1 if lower_is_better else r > 1
    factor = max(r, 1 / r)
    word = ("faster" if better else "slower") if lower_is_better else ("more" if better else "less")
    return f"{r:.2f}× ({factor:.1f}× {word})"


def mem_ratio(ours: float | None, stock: float | None) -> str:
    if ours is None or stock is None:
        return "n/a"
    r = ours / stock
    return f"{r:.2f}× ({max(r, 1 / r):.1f}× {'less' if r < 1 else 'more'})"


def limit_row(
    label: str, value: float | None, bound: float, unit: str, why: str, note: str = ""
) -> tuple[str, str, str]:
    """A target row: the value, and met, or missed by how much (and `why`); `note`
    follows either."""
    tail = f"; {note}" if note else ""
    if value is None:
        return (label, "n/a", "not measured" + tail)
    if value <= bound:
        return (label, f"{value:,.1f} {unit}", "**met**" + tail)
    over = value - bound
    status = f"**missed** by {over:,.1f} {unit} (+{over / bound:.0%})" + (f"; {why}" if why else "")
    return (label, f"{value:,.1f} {unit}", status + tail)
