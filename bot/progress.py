"""The progress of `newsbot index`: one bar for the whole build, one named stage at a time.

On a terminal, a tqdm bar whose label is the stage and whose rate and ETA are counted
from the stage's start; log records are written above it, never into it. Elsewhere, one
log line per stage, and every tenth of the way for long ones, with the time left at the
stage's rate so far.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

log = logging.getLogger("newsbot.index")


class BuildProgress:
    """Called as `progress(stage, done, total)` by `build_index` (and the CLI for its
    own stages); `done` only grows within a stage."""

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream or sys.stderr
        self._clock = clock
        self._started = clock()
        self._terminal = self._stream.isatty()
        self._bar: Any = None
        self._stage = ""
        self._logged = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self._start(stage, total)
        if self._bar is not None:
            self._bar.update(max(done - self._bar.n, 0))
            return
        tenth = done * 10 // max(total, 1)
        # Short stages (five files, one write) log their start only: no wall of 1/5, 2/5…
        if tenth > self._logged and done and total >= 100:
            self._logged = tenth
            if done < total:
                left = (self._clock() - self._started) * (total - done) / done
                log.info("%s: %d/%d, about %s left", stage, done, total, format_eta(left))
            else:
                log.info("%s: %d/%d", stage, done, total)

    def _start(self, stage: str, total: int) -> None:
        self._stage = stage
        self._logged = -1
        self._started = self._clock()
        if not self._terminal:
            log.info("%s…", stage)
            return
        unit = " " + stage.split()[-1]  # "embedding words" counts words: "17.9 words/s"
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=stage, unit=unit, file=self._stream, leave=False)
            return
        self._bar.set_description_str(stage, refresh=False)
        self._bar.unit = unit
        self._bar.reset(total=total)  # the rate and ETA start again with the stage (redraws)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def format_eta(seconds: float) -> str:
    """A duration as a person reads it: "8 s", "3 min 20 s", "1 h 05 min"."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@contextlib.contextmanager
def build_progress() -> Iterator[BuildProgress]:
    """A `BuildProgress` with every log record redirected above its bar."""
    from tqdm.contrib.logging import logging_redirect_tqdm

    progress = BuildProgress()
    try:
        with logging_redirect_tqdm(loggers=[logging.getLogger()]):
            yield progress
    finally:
        progress.close()
