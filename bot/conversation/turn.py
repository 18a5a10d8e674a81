"""One turn of a conversation: the unit the rewrite reads and the memory holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    """One question of a conversation, as understood, and the sentences its answer quoted."""

    question: str
    understood: str
    quotes: tuple[str, ...] = ()
    abstained: bool = False
    follow_up: bool = False
