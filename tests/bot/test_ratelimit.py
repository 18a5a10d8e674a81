"""The question gate: per-user cooldown and a bound on questions answered at once."""

from __future__ import annotations

import pytest

from bot.ratelimit import BUSY_RETRY_SECONDS, Admission, QuestionGate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_is_per_user_and_says_when_to_retry() -> None:
    clock = Clock()
    gate = QuestionGate(cooldown_seconds=10, max_concurrent=5, clock=clock)
    assert gate.admit(1) == Admission("ok")
    gate.release()
    clock.now += 4
    assert gate.admit(1) == Admission("cooldown", retry_after=6.0)
    assert gate.admit(2).admitted  # other users are not affected
    clock.now += 6
    assert gate.admit(1).admitted


def test_busy_when_every_slot_is_taken_without_charging_the_cooldown() -> None:
    clock = Clock()
    gate = QuestionGate(cooldown_seconds=10, max_concurrent=2, clock=clock)
    assert gate.admit(1).admitted
    assert gate.admit(2).admitted
    assert gate.admit(3) == Admission("busy", retry_after=BUSY_RETRY_SECONDS)
    assert gate.in_flight == 2
    gate.release()
    assert gate.admit(3).admitted  # turned away for load, so no cooldown was charged


def test_zero_cooldown_only_bounds_concurrency() -> None:
    gate = QuestionGate(cooldown_seconds=0, max_concurrent=1, clock=Clock())
    assert gate.admit(1).admitted
    assert gate.admit(1).verdict == "busy"
    gate.release()
    assert gate.admit(1).admitted


def test_release_without_admission_is_a_bug() -> None:
    gate = QuestionGate(cooldown_seconds=0, max_concurrent=1)
    with pytest.raises(RuntimeError):
        gate.release()
    with pytest.raises(ValueError):
        QuestionGate(cooldown_seconds=0, max_concurrent=0)


def test_memory_is_bounded_by_recently_active_users() -> None:
    clock = Clock()
    gate = QuestionGate(cooldown_seconds=1, max_concurrent=1, clock=clock)
    for user in range(5000):
        assert gate.admit(user).admitted
        gate.release()
        clock.now += 0.01
    assert len(gate._last_admitted) <= 1124
