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

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from index.errors import DatabaseError, IndexBusyError, IndexCorruptError
from index.lexical import analyze
from index.models import Article, Chunk
from index.store.base import BuildUpdate, PreviousBuild, StoreState, chunk_of_sentences
from index.store.postgres_reader import (
    EF_SEARCH,
    PostgresReader,
    as_array,
    read_state,
    read_words,
)
from index.store.postgres_schema import (
    check_version,
    connect,
    connection_error,
    create_vector_indexes,
    drop_vector_indexes,
    migrate,
    redacted,
    set_dimension,
    stored_version,
)

DEFAULT_SCHEMA = "newsbot"
# One key for every indexer of a database (pg_advisory_lock's bigint space).
_LOCK_KEY = 0x6E657773626F74  # "newsbot"
MAX_POSITIONS = 256  # a tsvector keeps at most this many positions of one lexeme


class PostgresStore:
    """A newsbot index in a PostgreSQL database with pgvector (NEWSBOT_DATABASE_URL)."""

    def __init__(self, url: str, *, schema: str = DEFAULT_SCHEMA, pool_size: int = 8) -> None:
        self.url = url
        self.schema = schema
        self.pool_size = pool_size
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
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            state = read_state(conn, self.schema)
            if state is None or (state.embedder, state.dimension) != (embedder, dimension):
                return None
            s = sql.Identifier(self.schema)
            articles = {
                row[0]: Article(*row)
                for row in conn.execute(
                    sql.SQL(
                        "SELECT id, title, text, source, origin, url, date, publisher "
                        "FROM {}.articles ORDER BY position"
                    ).format(s)
                )
            }
            vectors: dict[tuple[str, int, int], Any] = {}
            for table in ("chunks", "sentences"):
                query = sql.SQL("SELECT article_id, start_, end_, embedding FROM {}.{}").format(
                    s, sql.Identifier(table)
                )
                for article_id, start, end, vector in conn.cursor(binary=True).execute(query):
                    vectors[(article_id, start, end)] = as_array(vector)
            return PreviousBuild(state, articles, vectors, read_words(conn, self.schema, dimension))

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
                _apply(conn, self.schema, update, build_id)
        except psycopg.OperationalError as exc:
            raise connection_error(self.url, exc) from exc
        except psycopg.Error as exc:
            raise DatabaseError(
                f"writing the index to {self.location} failed ({exc.sqlstate}: "
                f"{' '.join(str(exc).split())[:200]}); the previous index is unchanged"
            ) from exc
        return build_id

    def open_reader(self, embedder: str, dimension: int) -> PostgresReader:
        reader = PostgresReader.load(self.pool(), self.schema, self.url)
        if (reader.state.embedder, reader.state.dimension) != (embedder, dimension):
            raise IndexCorruptError(
                f"the index in {self.location} was built with {reader.state.embedder} "
                f"({reader.state.dimension}d) but the configured embedder is {embedder} "
                f"({dimension}d); run `newsbot index --rebuild`"
            )
        return reader


def configure_reader(conn: psycopg.Connection[Any]) -> None:
    """Each pooled connection: pgvector's types, and how many candidates HNSW weighs."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    conn.execute(sql.SQL("SET hnsw.ef_search = {}").format(sql.Literal(EF_SEARCH)))


def tsvector_literal(terms: list[str]) -> str:
    """The terms as a tsvector: each lexeme once, with as many positions as it occurs
    (that is all BM25 needs of it: its frequency)."""
    counts = Counter(t for t in terms if t)
    return " ".join(
        f"'{term}':" + ",".join(str(p) for p in range(1, min(n, MAX_POSITIONS) + 1))
        for term, n in counts.items()
    )


def _apply(conn: psycopg.Connection[Any], schema: str, update: BuildUpdate, build_id: str) -> None:
    """Turn the stored state into `update`: delete, insert and update rows."""
    s = sql.Identifier(schema)
    old = read_state(conn, schema, lock=True)
    same_vectors = old is not None and (old.embedder, old.dimension) == (
        update.embedder,
        update.dimension,
    )
    same_chunks = old is not None and (old.chunk_size, old.chunk_overlap) == (
        update.chunk_size,
        update.chunk_overlap,
    )
    if not same_vectors or not same_chunks or update.rebuild:
        for table in ("articles", "lexicon", "words"):
            conn.execute(sql.SQL("DELETE FROM {}.{}").format(s, sql.Identifier(table)))
    if old is None or old.dimension != update.dimension:
        set_dimension(conn, schema, update.dimension)
    existing = {
        row[0]: tuple(row[1:])
        for row in conn.execute(
            sql.SQL(
                "SELECT id, title, source, origin, url, date, publisher FROM {}.articles"
            ).format(s)
        )
    }
    wanted = {a.id for a in update.articles}
    removed = [i for i in existing if i not in wanted]
    added = [(p, a) for p, a in enumerate(update.articles) if a.id not in existing]
    # Into empty tables, HNSW indexes are built once after the copy, not row by row.
    empty = not existing
    conn.execute(
        "CREATE TEMP TABLE stage_terms (term text NOT NULL, delta integer NOT NULL) ON COMMIT DROP"
    )
    if removed:
        conn.execute(
            sql.SQL(
                "INSERT INTO stage_terms SELECT u.lexeme, -count(*) FROM {}.chunks c, "
                "unnest(c.lexemes) u WHERE c.article_id = ANY(%s) GROUP BY u.lexeme"
            ).format(s),
            (removed,),
        )
        conn.execute(sql.SQL("DELETE FROM {}.articles WHERE id = ANY(%s)").format(s), (removed,))
    for position, article in enumerate(update.articles):
        meta = (article.title, article.source, article.origin, article.url, article.date,
                article.publisher)  # fmt: skip
        if article.id in existing and existing[article.id] != meta:
            conn.execute(
                sql.SQL(
                    "UPDATE {}.articles SET title = %s, source = %s, origin = %s, url = %s, "
                    "date = %s, publisher = %s, position = %s WHERE id = %s"
                ).format(s),
                (*meta, position, article.id),
            )
    if empty:
        drop_vector_indexes(conn, schema)
    _insert(conn, schema, update, added)
    _apply_terms(conn, schema)
    _replace_words(conn, schema, update)
    if empty:
        create_vector_indexes(conn, schema)
    conn.execute(
        sql.SQL(
            "INSERT INTO {s}.state (build_id, embedder, dimension, chunk_size, chunk_overlap, "
            "article_count, chunk_count, total_length, files, skipped) "
            "SELECT %s, %s, %s, %s, %s, %s, count(*), coalesce(sum(length), 0), %s, %s "
            "FROM {s}.chunks ON CONFLICT (singleton) DO UPDATE SET "
            "build_id = EXCLUDED.build_id, created_at = now(), embedder = EXCLUDED.embedder, "
            "dimension = EXCLUDED.dimension, chunk_size = EXCLUDED.chunk_size, "
            "chunk_overlap = EXCLUDED.chunk_overlap, article_count = EXCLUDED.article_count, "
            "chunk_count = EXCLUDED.chunk_count, total_length = EXCLUDED.total_length, "
            "files = EXCLUDED.files, skipped = EXCLUDED.skipped"
        ).format(s=s),
        (
            build_id,
            update.embedder,
            update.dimension,
            update.chunk_size,
            update.chunk_overlap,
            len(update.articles),
            json.dumps(update.files, ensure_ascii=False),
            json.dumps(update.skipped, ensure_ascii=False),
        ),
    )


def _insert(
    conn: psycopg.Connection[Any],
    schema: str,
    update: BuildUpdate,
    added: list[tuple[int, Article]],
) -> None:
    """Copy in the new articles with their chunks, sentences and vectors."""
    if not added:
        return
    s = sql.Identifier(schema)
    ids = {a.id for _, a in added}
    rows = [row for row, c in enumerate(update.chunks) if c.article_id in ids]
    sequence = conn.execute(
        "SELECT pg_get_serial_sequence(%s, 'id')", (f"{s.as_string(conn)}.chunks",)
    ).fetchone()
    new_ids = [
        int(r[0])
        for r in conn.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            (sequence[0] if sequence else "", len(rows)),
        )
    ]
    chunks = [
        Chunk(i, update.chunks[r].article_id, update.chunks[r].start, update.chunks[r].end,
              update.chunks[r].text)
        for i, r in zip(new_ids, rows, strict=True)
    ]  # fmt: skip
    with conn.cursor().copy(
        sql.SQL(
            "COPY {}.articles (id, position, title, text, source, origin, url, date, publisher) "
            "FROM STDIN"
        ).format(s)
    ) as copy:
        for position, a in added:
            copy.write_row(
                (a.id, position, a.title, a.text, a.source, a.origin, a.url, a.date, a.publisher)
            )
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE stage_chunks (id bigint, article_id text, start_ integer, "
            "end_ integer, text text, lexemes text, length integer, embedding vector({})) "
            "ON COMMIT DROP"
        ).format(sql.SQL(str(int(update.dimension))))
    )
    terms: Counter[str] = Counter()
    with conn.cursor().copy("COPY stage_chunks FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["bigint", "text", "integer", "integer", "text", "text", "integer",
                        "vector"])  # fmt: skip
        for chunk, row in zip(chunks, rows, strict=True):
            analysed = analyze(chunk.text)
            terms.update(set(analysed))
            copy.write_row(
                (chunk.id, chunk.article_id, chunk.start, chunk.end, chunk.text,
                 tsvector_literal(analysed), len(analysed) or 1, update.vectors[row])
            )  # fmt: skip
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.chunks (id, article_id, start_, end_, text, lexemes, length, "
            "embedding) SELECT id, article_id, start_, end_, text, lexemes::tsvector, length, "
            "embedding FROM stage_chunks"
        ).format(s)
    )
    with conn.cursor().copy("COPY stage_terms FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["text", "integer"])
        for term, count in terms.items():
            if term:
                copy.write_row((term, count))
    sentence_rows = [i for i, span in enumerate(update.sentences) if span[0] in ids]
    spans = [update.sentences[i] for i in sentence_rows]
    owners = chunk_of_sentences(chunks, spans)
    with conn.cursor().copy(
        sql.SQL(
            "COPY {}.sentences (article_id, start_, end_, chunk_id, embedding) "
            "FROM STDIN (FORMAT BINARY)"
        ).format(s)
    ) as copy:
        copy.set_types(["text", "integer", "integer", "bigint", "vector"])
        for i, (article_id, start, end), owner in zip(sentence_rows, spans, owners, strict=True):
            copy.write_row((article_id, start, end, owner, update.sentence_vectors[i]))


def _apply_terms(conn: psycopg.Connection[Any], schema: str) -> None:
    """Document frequencies: removed chunks' terms counted down, new chunks' up."""
    s = sql.Identifier(schema)
    conn.execute(
        sql.SQL(
            "INSERT INTO {s}.lexicon (term, df) SELECT term, sum(delta) FROM stage_terms "
            "GROUP BY term ON CONFLICT (term) DO UPDATE SET df = {s}.lexicon.df + EXCLUDED.df"
        ).format(s=s)
    )
    conn.execute(sql.SQL("DELETE FROM {}.lexicon WHERE df <= 0").format(s))


def _replace_words(conn: psycopg.Connection[Any], schema: str, update: BuildUpdate) -> None:
    """Corpus words: the ones gone deleted, the new ones inserted (rounded to half
    precision, as the FAISS store keeps them)."""
    s = sql.Identifier(schema)
    stored = {row[0] for row in conn.execute(sql.SQL("SELECT word FROM {}.words").format(s))}
    wanted = set(update.words.words)
    gone = [w for w in stored if w not in wanted]
    if gone:
        conn.execute(sql.SQL("DELETE FROM {}.words WHERE word = ANY(%s)").format(s), (gone,))
    with conn.cursor().copy(
        sql.SQL("COPY {}.words (word, embedding) FROM STDIN (FORMAT BINARY)").format(s)
    ) as copy:
        copy.set_types(["text", "vector"])
        for word, vector in zip(update.words.words, update.words.vectors, strict=True):
            if word not in stored:
                copy.write_row((word, vector.astype(np.float16).astype(np.float32)))
