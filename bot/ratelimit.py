"""Who may ask a question now: a per-user cooldown and a bound on questions answered at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "cooldown", "busy"]

# When every slot is taken we cannot know when one frees up; this is the retry hint we give.
BUSY_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Admission:
    """The gate's answer: `retry_after` (seconds) is 0 when admitted."""

    verdict: Verdict
    retry_after: float = 0.0

    @property
    def admitted(self) -> bool:
        return self.verdict == "ok"


class QuestionGate:
    """Admits a question when its user is out of cooldown and a slot is free.

    Pure bookkeeping with an injected clock, so tests drive time by hand. Every admitted
    question must be followed by exactly one `release()`.
    """

    def __init__(
        self,
        *,
        cooldown_seconds: float,
        max_concurrent: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._cooldown = max(0.0, cooldown_seconds)
        self._max_concurrent = max_concurrent
        self._clock = clock
        self._last_admitted: dict[int, float] = {}
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def admit(self, user_id: int) -> Admission:
        """Admit (and charge the cooldown) or say why not and when to retry."""
        now = self._clock()
        last = self._last_admitted.get(user_id)
        if last is not None and now - last < self._cooldown:
            return Admission("cooldown", retry_after=self._cooldown - (now - last))
        if self._in_flight >= self._max_concurrent:
            # Not charged to the user's cooldown: being turned away for load is not their fault.
            return Admission("busy", retry_after=BUSY_RETRY_SECONDS)
        self._in_flight += 1
        self._last_admitted[user_id] = now
        self._forget_expired(now)
        return Admission("ok")

    def release(self) -> None:
        """Free the slot taken by an admitted question."""
        if self._in_flight == 0:
            raise RuntimeError("release() without a matching admitted question")
        self._in_flight -= 1

    def _forget_expired(self, now: float) -> None:
        # Keeps memory bounded by the number of users active within one cooldown.
        if len(self._last_admitted) < 1024:
            return
        expired = [u for u, t in self._last_admitted.items() if now - t >= self._cooldown]
        for user_id in expired:
            del self._last_admitted[user_id]
