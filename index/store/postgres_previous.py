"""The PostgreSQL store's live build, as the next build reuses it (`PostgresStore.previous`).

No stored vector is read: an article already stored (same content hash) keeps its rows,
which `write` leaves in place (postgres_write.apply_update copies in only the articles it
does not hold). What is read, in one snapshot: the articles, the corpus words, and what
spares the build work over unchanged articles — the spans of every chunk and sentence
(so they are not split again) and how many chunks use each content word (so the corpus
is not counted again; none before the first build that kept them).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from index.models import Article
from index.store.base import PreviousBuild, Span, StoredArticles
from index.store.postgres_state import read_state, read_words


def read_previous(
    conn: psycopg.Connection[Any], schema: str, embedder: str, dimension: int
) -> PreviousBuild | None:
    """The live build for reuse, None when absent or made by another embedder."""
    s = sql.Identifier(schema)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        state = read_state(conn, schema)
        if state is None or (state.embedder, state.dimension) != (embedder, dimension):
            return None
        articles = {
            row[0]: Article(*row)
            for row in conn.execute(
                sql.SQL(
                    "SELECT id, title, text, source, origin, url, date, publisher "
                    "FROM {}.articles ORDER BY position"
                ).format(s)
            )
        }
        words = read_words(conn, schema, dimension)
        # Each article's spans together and in text order, as a build lists them.
        chunks = _spans(conn, sql.SQL("SELECT article_id, start_, end_ FROM {}.chunks "
                                      "ORDER BY article_id, start_").format(s))  # fmt: skip
        sentences = _spans(conn, sql.SQL("SELECT article_id, start_, end_ FROM {}.sentences "
                                         "ORDER BY article_id, start_").format(s))  # fmt: skip
        counted = conn.execute(sql.SQL("SELECT word, chunks FROM {}.word_counts").format(s))
        counts = {str(word): int(n) for word, n in counted}
    return PreviousBuild(
        state,
        articles,
        StoredArticles(frozenset(articles)),
        words,
        chunks=chunks,
        sentences=sentences,
        # Empty: a build before the table was kept (or of no content word): count anew.
        word_counts=counts or None,
    )


def _spans(conn: psycopg.Connection[Any], query: sql.Composed) -> list[Span]:
    rows: list[Span] = conn.cursor(binary=True).execute(query).fetchall()
    return rows
