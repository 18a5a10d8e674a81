"""Reading the PostgreSQL store: the three retrievers in SQL, one snapshot per question.

Dense: HNSW over chunk and sentence vectors (inner product of unit vectors), with
`hnsw.ef_search` set per query. Lexical: bounded BM25 in SQL (postgres_lexical.py).
`snapshot()` holds one REPEATABLE READ
transaction for a question, so that everything it reads comes from one committed state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from index.errors import IndexMissingError
from index.lexical import analyze
from index.models import Article, Chunk
from index.store.base import Ranked, Retrieved, Span, StoreState, Vector
from index.store.postgres_lexical import (
    FLOORS_SQL,
    K1,
    LEXICAL_CANDIDATES,
    LEXICAL_SQL,
    B,
    LexicalPlan,
    PgLexicon,
    lexical_plan,
)
from index.store.postgres_schema import redacted
from index.store.postgres_state import as_array, read_state, read_words
from index.words import WordVectors

log = logging.getLogger(__name__)

# Candidates HNSW considers (hnsw.ef_search), raised per query to the rows it asks for
# (3n sentences): pgvector returns at most ef_search rows. Measured in docs/scaling.md.
EF_SEARCH = 200
# The open snapshot of this thread or task, with the reader that opened it: another
# reader (another schema, or a reader opened during an ingest) keeps its own view.
_SNAPSHOT: ContextVar[tuple[object, psycopg.Connection[Any]] | None] = ContextVar(
    "newsbot_pg_snapshot"
)

_ARTICLE = "SELECT id, title, text, source, origin, url, date, publisher FROM {}.articles"


@contextmanager
def _transaction(conn: psycopg.Connection[Any], wanted: bool) -> Iterator[None]:
    """The open transaction (a question's snapshot), else a new one when `wanted` (for
    SET LOCAL)."""
    if not wanted or conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        yield
    else:
        with conn.transaction():
            yield


class PgArticles(Mapping[str, Article]):
    """Articles read by id when first asked for (ids are content hashes: never stale)."""

    def __init__(self, reader: PostgresReader) -> None:
        self._reader = reader
        self._cache: dict[str, Article] = {}

    def __getitem__(self, article_id: str) -> Article:
        article = self._cache.get(article_id)
        if article is None:
            query = sql.SQL(_ARTICLE + " WHERE id = %s").format(self._reader.name)
            with self._reader.connection() as conn:
                row = conn.execute(query, (article_id,)).fetchone()
            if row is None:
                raise KeyError(article_id)
            if len(self._cache) > 10_000:
                self._cache.clear()
            article = self._cache[article_id] = Article(*row)
        return article

    def _all(self) -> list[Article]:
        query = sql.SQL(_ARTICLE + " ORDER BY position").format(self._reader.name)
        with self._reader.connection() as conn:
            return [Article(*row) for row in conn.execute(query)]

    def __iter__(self) -> Iterator[str]:
        return iter([a.id for a in self._all()])

    def __len__(self) -> int:
        return self._reader.state.article_count

    def values(self) -> Any:
        return self._all()


class PostgresReader:
    """One build of the PostgreSQL store: term statistics and corpus words held in
    memory (read once), everything else read per question."""

    def __init__(
        self, pool: ConnectionPool, schema: str, state: StoreState, lexicon: PgLexicon,
        words: WordVectors, *, ef_search: int = EF_SEARCH,
        lexical_budget: int = LEXICAL_CANDIDATES,
    ) -> None:  # fmt: skip
        self.pool = pool
        self.ef_search = ef_search
        self.lexical_budget = lexical_budget
        self.schema = schema
        self.name = sql.Identifier(schema)
        self.state = state
        self._lexicon = lexicon
        self._words = words

    @classmethod
    def load(cls, pool: ConnectionPool, schema: str, url: str, **knobs: int) -> PostgresReader:
        with pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            state = read_state(conn, schema)
            if state is None:
                raise IndexMissingError(
                    f"no index in the database at {redacted(url)} — run `newsbot index` "
                    "with the same NEWSBOT_DATABASE_URL (or --database-url)"
                )
            query = sql.SQL("SELECT term, df FROM {}.lexicon").format(sql.Identifier(schema))
            frequencies: dict[str, int] = {str(t): int(df) for t, df in conn.execute(query)}
            query = sql.SQL("SELECT champion_df, champion_depth FROM {}.state").format(
                sql.Identifier(schema)
            )
            listed_df, depth = conn.execute(query).fetchone() or (None, None)
            words = read_words(conn, schema, state.dimension)
        lexicon = PgLexicon(state.chunk_count, frequencies, listed_df, int(depth or 0))
        return cls(pool, schema, state, lexicon, words, **knobs)

    @property
    def build_id(self) -> str:
        return self.state.build_id

    @cached_property
    def articles(self) -> Mapping[str, Article]:
        return PgArticles(self)

    @property
    def words(self) -> WordVectors:
        return self._words

    @property
    def lexicon(self) -> PgLexicon:
        return self._lexicon

    @property
    def dimension(self) -> int:
        return self.state.dimension

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The question's snapshot when one is open, else a pooled connection."""
        held = _SNAPSHOT.get(None)
        if held is not None and held[0] is self:
            yield held[1]
        else:
            with self.pool.connection() as conn:
                yield conn

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Everything read inside comes from one committed state of the database."""
        held = _SNAPSHOT.get(None)
        if held is not None and held[0] is self:
            yield
            return
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # PostgreSQL takes a repeatable-read snapshot at the first query, not at
            # BEGIN: take it now, so that the state is the one of entering this block.
            conn.execute("SELECT 1")
            token = _SNAPSHOT.set((self, conn))
            try:
                yield
            finally:
                _SNAPSHOT.reset(token)

    def retrieve(self, vector: Vector | None, query: str | None, n: int) -> Retrieved:
        """The three lists in one statement: one round trip, and one snapshot even
        outside `snapshot()`."""
        parts: list[sql.Composable] = []
        params: dict[str, Any] = {"n": n, "n3": 3 * n}
        if vector is not None and n > 0:
            params["v"] = np.asarray(vector, dtype=np.float32)
            parts += [self._nearest("d", "chunks", "id", "n"), self._nearest("s", "sentences",
                      "chunk_id", "n3")]  # fmt: skip
        terms = self._query_terms(query) if query is not None and n > 0 else []
        plan: LexicalPlan | None = None
        if terms:
            lexicon = self._lexicon
            plan = lexical_plan(terms, lexicon.frequencies, lexicon.size, self.lexical_budget,
                                lexicon.listed_df)  # fmt: skip
            parts += self._lexical(plan, terms, params)
        lists: dict[str, Ranked] = {"d": [], "s": [], "l": [], "f": []}
        if parts:
            statement = sql.SQL(" UNION ALL ").join(sql.SQL("({})").format(p) for p in parts)
            with self.connection() as conn, _transaction(conn, vector is not None):
                if vector is not None:
                    # For this question only; HNSW returns at most ef_search rows.
                    ef = sql.Literal(max(self.ef_search, 3 * n))
                    conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(ef))
                # Each part comes out in its own ORDER BY's order (Append keeps it).
                for kind, chunk_id, score in conn.execute(statement, params):
                    lists[kind].append((int(chunk_id), float(score)))
        ranked: dict[int, float] = {}
        for chunk_id, score in lists["s"]:
            ranked.setdefault(chunk_id, score)
        lexical = [r for r in lists["l"] if r[1] > 0]
        exact = True
        if plan is not None:
            floors = {plan.listed[int(i) - 1]: floor for i, floor in lists["f"]}
            exact = plan.exact([s for _, s in lexical], n, floors)
            if not exact:
                log.debug("lexical list bounded (seeds %s, lists %s of %s)", plan.seeds,
                          plan.listed, terms)  # fmt: skip
        return Retrieved(lists["d"], list(ranked.items()), lexical, exact)

    def _lexical(
        self, plan: LexicalPlan, terms: list[str], params: dict[str, Any]
    ) -> list[sql.Composable]:
        """The lexical list's statement (and the floors of the lists it reads)."""
        params.update(terms=terms, distinct=list(dict.fromkeys(terms)), k1=K1, b=B,
                      cap=self.lexical_budget, query=" | ".join(f"'{t}'" for t in plan.seeds),
                      listed=plan.listed, depth=self._lexicon.depth)  # fmt: skip
        cap = sql.SQL("ORDER BY id DESC LIMIT %(cap)s" if plan.capped else "")
        lexical = sql.SQL(LEXICAL_SQL.replace("{where}", plan.where()))
        statement = lexical.format(s=self.name, cap=cap)  # type: ignore[arg-type]
        parts: list[sql.Composable] = [sql.SQL("SELECT 'l', * FROM ({}) AS l").format(statement)]
        if plan.listed:
            floors = sql.SQL(FLOORS_SQL).format(s=self.name)  # type: ignore[arg-type]
            parts.append(sql.SQL("SELECT 'f', * FROM ({}) AS f").format(floors))
        return parts

    def _nearest(self, kind: str, table: str, key: str, limit: str) -> sql.Composable:
        return sql.SQL(
            "SELECT {kind}, {key}, -(embedding <#> %(v)s) FROM {s}.{t} "
            "ORDER BY embedding <#> %(v)s LIMIT {limit}"
        ).format(
            kind=sql.Literal(kind),
            key=sql.Identifier(key),
            s=self.name,
            t=sql.Identifier(table),
            limit=sql.Placeholder(limit),
        )

    def _query_terms(self, text: str) -> list[str]:
        """As LexicalIndex.scores: repeated terms count each time, unknown ones drop."""
        vocabulary = self._lexicon.frequencies
        return [t for t in analyze(text, query=True) if t in vocabulary]

    def chunks(self, ids: Iterable[int]) -> dict[int, Chunk]:
        wanted = list(ids)
        if not wanted:
            return {}
        query = sql.SQL(
            "SELECT id, article_id, start_, end_, text FROM {}.chunks WHERE id = ANY(%s)"
        ).format(self.name)
        with self.connection() as conn:
            return {int(r[0]): Chunk(int(r[0]), *r[1:]) for r in conn.execute(query, (wanted,))}

    def sentence_vectors(self, spans: Sequence[Span]) -> dict[Span, Vector]:
        if not spans:
            return {}
        query = sql.SQL(
            "SELECT s.article_id, s.start_, s.end_, s.embedding FROM {}.sentences s "
            "JOIN unnest(%s::text[], %s::integer[], %s::integer[]) AS w(a, st, en) "
            "ON s.article_id = w.a AND s.start_ = w.st AND s.end_ = w.en"
        ).format(self.name)
        columns = ([a for a, _, _ in spans], [s for _, s, _ in spans], [e for _, _, e in spans])
        with self.connection() as conn:
            return {
                (r[0], int(r[1]), int(r[2])): as_array(r[3])
                for r in conn.cursor(binary=True).execute(query, columns)
            }

    def all_chunks(self) -> list[Chunk]:
        query = sql.SQL(
            "SELECT c.id, c.article_id, c.start_, c.end_, c.text FROM {s}.chunks c "
            "JOIN {s}.articles a ON a.id = c.article_id ORDER BY a.position, c.start_"
        ).format(s=self.name)
        with self.connection() as conn:
            return [Chunk(int(r[0]), *r[1:]) for r in conn.execute(query)]
