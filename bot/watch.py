"""`newsbot index --watch`: Ctrl-C or SIGTERM asks for a stop, honoured between runs."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class StopSignals:
    """The first SIGINT/SIGTERM lets the current run finish and ends the wait; a second
    SIGINT interrupts at once (KeyboardInterrupt, exit 130)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self._stop.set()

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds`; True when a stop was asked (before or during the wait)."""
        return self._stop.wait(seconds)
