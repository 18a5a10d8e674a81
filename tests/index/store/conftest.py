"""The stores the store tests run on: every test taking `make_store` runs on the FAISS
folder and on a real PostgreSQL (tests/pg_server.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.store.base import IndexStore
from index.store.faiss_store import FaissStore
from index.store.postgres import PostgresStore

StoreMaker = Callable[[], IndexStore]


@pytest.fixture(params=["faiss", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreMaker:
    """A maker of new, empty stores of one kind."""
    made = iter(range(100))
    if request.param == "faiss":
        return lambda: FaissStore(tmp_path / f"index-{next(made)}")
    url: str = request.getfixturevalue("database_url")
    stores: list[PostgresStore] = []

    def postgres() -> IndexStore:
        stores.append(PostgresStore(url, schema=f"s{next(made)}"))
        return stores[-1]

    request.addfinalizer(lambda: [s.close() for s in stores])
    return postgres
