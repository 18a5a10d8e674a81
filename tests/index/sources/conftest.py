"""The stand-in news site on 127.0.0.1, started and stopped around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from news_site import Site


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site().start()
    try:
        yield server
    finally:
        server.stop()
