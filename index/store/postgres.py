"""The PostgreSQL store: articles, chunks, sentences and their vectors (pgvector), corpus
words, and a French full-text index, all updated in one transaction per build.

Writers: `newsbot index` holds an advisory lock for the whole build (two indexers never
interleave) and applies the new state in one transaction: articles no longer there are
deleted (their chunks and sentences with them), new ones inserted, the term statistics
and the state row updated. A killed indexer's transaction is rolled back by the server,
so the previous state keeps serving. Readers (index/store/postgres_reader.py) read one
snapshot per question.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from index.errors import DatabaseError, IndexBusyError, IndexCorruptError
from index.store.base import BuildUpdate, PreviousBuild, StoreState
from index.store.postgres_champions import CHAMPION_DEPTH, CHAMPION_DF, ensure_champions
from index.store.postgres_lexical import LEXICAL_CANDIDATES
from index.store.postgres_previous import read_previous
from index.store.postgres_reader import EF_SEARCH, PostgresReader
from index.store.postgres_schema import (
    check_version,
    connect,
    connection_error,
    migrate,
    redacted,
    stored_version,
)
from index.store.postgres_state import read_state
from index.store.postgres_write import apply_update

DEFAULT_SCHEMA = "newsbot"
# One key for every indexer of a database (pg_advisory_lock's bigint space).
_LOCK_KEY = 0x6E657773626F74  # "newsbot"


class PostgresStore:
    """A newsbot index in a PostgreSQL database with pgvector (NEWSBOT_DATABASE_URL)."""

    def __init__(
        self,
        url: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        pool_size: int = 8,
        ef_search: int = EF_SEARCH,
        lexical_budget: int = LEXICAL_CANDIDATES,
        champions: tuple[int, int] = (CHAMPION_DF, CHAMPION_DEPTH),
    ) -> None:
        self.url = url
        self.champions = champions  # the lists' threshold and depth (postgres_champions.py)
        self.schema = schema
        self.pool_size = pool_size
        self.ef_search = ef_search
        self.lexical_budget = lexical_budget
        self._pool: ConnectionPool | None = None
        self._writer: psycopg.Connection[Any] | None = None

    @property
    def location(self) -> str:
        return f"{redacted(self.url)} (schema {self.schema})"

    def check(self, *, reading: bool = True) -> None:
        """Connect once and check the schema (for readers, that an index is there): the
        one-line errors, before any model loads."""
        with connect(self.url, autocommit=True) as conn:
            check_version(stored_version(conn, self.schema), self.url, reading=reading)

    def pool(self) -> ConnectionPool:
        if self._pool is None:
            self.check()
            pool = ConnectionPool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                kwargs={"autocommit": True, "connect_timeout": 5},
                configure=configure_reader,
                open=False,
            )
            try:
                pool.open(wait=True, timeout=15)
            except psycopg.Error as exc:
                pool.close()
                raise connection_error(self.url, exc) from exc
            self._pool = pool
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def current_build_id(self) -> str | None:
        with self.pool().connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT build_id FROM {}.state").format(sql.Identifier(self.schema))
            ).fetchone()
        return str(row[0]) if row else None

    def state(self) -> StoreState | None:
        with self._connection() as conn:
            return read_state(conn, self.schema)

    def previous(self, embedder: str, dimension: int) -> PreviousBuild | None:
        """The live build for reuse, without its vectors (postgres_previous.py)."""
        with self._connection() as conn:
            return read_previous(conn, self.schema, embedder, dimension)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        if self._writer is not None:
            yield self._writer
        else:
            with self.pool().connection() as conn:
                yield conn

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Migrate the schema, then hold the indexers' advisory lock until the build ends
        (the server releases it if the process dies)."""
        conn = connect(self.url, autocommit=True)
        try:
            with conn.transaction():
                migrate(conn, self.schema, self.url)
            from pgvector.psycopg import register_vector

            register_vector(conn)
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone()
            if not row or not row[0]:
                raise IndexBusyError(
                    f"another `newsbot index` is writing {self.location}; wait for it to finish"
                )
            self._writer = conn
            try:
                with conn.transaction():
                    ensure_champions(conn, self.schema, *self.champions)
                yield
            finally:
                self._writer = None
                conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
        finally:
            conn.close()

    def write(self, update: BuildUpdate) -> str:
        conn = self._writer
        if conn is None:
            raise RuntimeError("PostgresStore.write runs inside lock()")
        build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        try:
            with conn.transaction():
                apply_update(conn, self.schema, update, build_id, self.champions)
        except psycopg.OperationalError as exc:
            raise connection_error(self.url, exc) from exc
        except psycopg.Error as exc:
            raise DatabaseError(
                f"writing the index to {self.location} failed ({exc.sqlstate}: "
                f"{' '.join(str(exc).split())[:200]}); the previous index is unchanged"
            ) from exc
        return build_id

    def open_reader(self, embedder: str, dimension: int) -> PostgresReader:
        reader = PostgresReader.load(
            self.pool(), self.schema, self.url, ef_search=self.ef_search,
            lexical_budget=self.lexical_budget,
        )  # fmt: skip
        if (reader.state.embedder, reader.state.dimension) != (embedder, dimension):
            raise IndexCorruptError(
                f"the index in {self.location} was built with {reader.state.embedder} "
                f"({reader.state.dimension}d) but the configured embedder is {embedder} "
                f"({dimension}d); run `newsbot index --rebuild`"
            )
        return reader


def configure_reader(conn: psycopg.Connection[Any]) -> None:
    """Each pooled connection: pgvector's types (ef_search is set per query)."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
