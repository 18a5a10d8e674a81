"""Run each scenario in its own process, so its peak RSS is its own, and time queries."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LatencyStats:
    """Per-query wall time of `count` timed queries (after warm-up), in milliseconds."""

    p50_ms: float
    p95_ms: float
    mean_ms: float
    count: int


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), without numpy."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def time_queries(
    search: Callable[[str], object], queries: Sequence[str], warmup: int = 3
) -> dict[str, Any]:
    """Latency of `search` over `queries`; the first `warmup` calls are not counted."""
    for query in queries[:warmup]:
        search(query)
    times: list[float] = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - start) * 1000)
    stats = LatencyStats(
        p50_ms=percentile(times, 50),
        p95_ms=percentile(times, 95),
        mean_ms=statistics.fmean(times),
        count=len(times),
    )
    return asdict(stats)


@dataclass(frozen=True)
class ScenarioRun:
    """What one scenario process reported, plus what the parent saw of it."""

    name: str
    result: dict[str, Any]
    peak_rss_mib: float  # ru_maxrss of the child, from wait4
    wall_s: float
    load_before: float  # 1-minute load average: other work on the machine skews timings
    load_after: float
    error: str | None = None


def run_scenario(
    name: str, scenario: str, params: dict[str, Any], work_dir: Path, timeout_s: float
) -> ScenarioRun:
    """Run `benchmarks.child SCENARIO` in a fresh interpreter and collect its JSON result."""
    result_path = work_dir / "results" / f"{name}.json"
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.child", scenario, json.dumps(params), str(result_path)]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    print(f"[bench] {name}: {scenario} {params}", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    error: str | None = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout_s:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            error = f"timed out after {timeout_s:.0f} s"
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
    wall = time.perf_counter() - started
    if error is None and proc.returncode != 0:
        error = f"exit code {proc.returncode}"
    result: dict[str, Any] = {}
    if result_path.exists():
        result = json.loads(result_path.read_text(encoding="utf-8"))
    elif error is None:
        error = "no result written"
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    print(f"[bench] {name}: {wall:.1f} s, peak RSS {peak:.0f} MiB, {error or 'ok'}",
          file=sys.stderr, flush=True)  # fmt: skip
    return ScenarioRun(
        name=name,
        result=result,
        peak_rss_mib=peak,
        wall_s=wall,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        error=error,
    )
