"""Entry point of one scenario process: `python -m benchmarks.child NAME PARAMS_JSON OUT`."""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import quality, scenarios_ours, scenarios_postgres, scenarios_stock

SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "ours.small_build": scenarios_ours.small_build,
    "ours.synthetic_build": scenarios_ours.synthetic_build,
    "ours.reindex": scenarios_ours.reindex,
    "ours.serve": scenarios_ours.serve,
    "postgres.synthetic_build": scenarios_postgres.synthetic_build,
    "postgres.serve": scenarios_postgres.serve,
    "postgres.reindex": scenarios_postgres.reindex,
    "stock.small_build": scenarios_stock.small_build,
    "stock.synthetic_build": scenarios_stock.synthetic_build,
    "stock.serve": scenarios_stock.serve,
    "quality": quality.gold_hit_rates,
}


def main(argv: list[str]) -> int:
    name, params, out = argv[0], json.loads(argv[1]), Path(argv[2])
    # Library deprecation notices (HuggingFaceEmbeddings, pydantic) are not results.
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    start = time.perf_counter()
    result = SCENARIOS[name](**params)
    result["scenario_s"] = time.perf_counter() - start
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
