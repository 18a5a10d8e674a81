"""The bounded memory of conversations: turns per conversation, idle expiry, least recently used."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from bot.conversation.rewrite import rewrite_followup
from bot.conversation.turn import Turn

if TYPE_CHECKING:
    from bot.settings import Settings


class Conversation:
    """The last `max_turns` turns of one conversation."""

    def __init__(self, max_turns: int) -> None:
        self.turns: deque[Turn] = deque(maxlen=max_turns)

    def understand(self, question: str) -> str:
        """`question` as a standalone question given this conversation's turns."""
        return rewrite_followup(question, list(self.turns))

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)


class Conversations:
    """At most `max_conversations` conversations, each dropped after `idle_seconds` unused;
    the least recently used goes first when full. Thread-safe."""

    def __init__(
        self,
        *,
        max_turns: int,
        max_conversations: int,
        idle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._held: OrderedDict[Hashable, tuple[float, Conversation]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Conversations:
        """The store bounded by NEWSBOT_CONVERSATION_TURNS, _MAX and _IDLE_SECONDS."""
        return cls(
            max_turns=settings.conversation_turns,
            max_conversations=settings.conversation_max,
            idle_seconds=settings.conversation_idle_seconds,
        )

    def __len__(self) -> int:
        return len(self._held)

    def get(self, key: Hashable) -> Conversation:
        """The conversation under `key`: the held one if still fresh, else a new one."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            held = self._held.pop(key, None)
            conversation = held[1] if held else Conversation(self.max_turns)
            self._held[key] = (now, conversation)
            while len(self._held) > self.max_conversations:
                self._held.popitem(last=False)
            return conversation

    def forget(self, key: Hashable) -> None:
        """Start `key` afresh (`:new`, `/ask new:true`)."""
        with self._lock:
            self._held.pop(key, None)

    def move(self, source: Hashable, target: Hashable) -> None:
        """Hold `source`'s conversation under `target` (a mention answered in a new thread)."""
        with self._lock:
            held = self._held.pop(source, None)
            if held is not None:
                self._held[target] = held

    def _expire(self, now: float) -> None:
        for key in [k for k, (used, _) in self._held.items() if now - used > self.idle_seconds]:
            del self._held[key]
