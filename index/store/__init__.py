"""Where built indexes live: one interface, two stores (FAISS folders, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import DatabaseError

if TYPE_CHECKING:
    from index.store.base import IndexStore


def open_store(index_dir: Path, database_url: str = "", schema: str = "newsbot") -> IndexStore:
    """The PostgreSQL store when a database URL is given, else the FAISS folder."""
    if database_url:
        try:
            from index.store.postgres import PostgresStore
        except ImportError as exc:
            raise DatabaseError(
                "the PostgreSQL store needs the postgres extra: pip install -e '.[postgres]' "
                f"({exc.name} is missing)"
            ) from exc
        return PostgresStore(database_url, schema=schema)
    from index.store.faiss_store import FaissStore

    return FaissStore(index_dir)
