"""Writing the PostgreSQL store: one build applied as one transaction (index/store/postgres.py
holds the lock and the transaction; this is what happens inside it)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from index.lexical import analyze
from index.models import Article, Chunk
from index.store.base import BuildUpdate, chunk_of_sentences
from index.store.postgres_champions import CHAMPION_DEPTH, CHAMPION_DF, update_champions
from index.store.postgres_schema import create_vector_indexes, drop_vector_indexes, set_dimension
from index.store.postgres_state import read_state

MAX_POSITIONS = 256  # a tsvector keeps at most this many positions of one lexeme


def tsvector_literal(terms: list[str]) -> str:
    """The terms as a tsvector: each lexeme once, with as many positions as it occurs
    (that is all BM25 needs of it: its frequency)."""
    counts = Counter(t for t in terms if t)
    return " ".join(
        f"'{term}':" + ",".join(str(p) for p in range(1, min(n, MAX_POSITIONS) + 1))
        for term, n in counts.items()
    )


def apply_update(
    conn: psycopg.Connection[Any],
    schema: str,
    update: BuildUpdate,
    build_id: str,
    champions: tuple[int, int] = (CHAMPION_DF, CHAMPION_DEPTH),
) -> None:
    """Turn the stored state into `update`: delete, insert and update rows;
    `champions`: the lists' threshold and depth (postgres_champions.py)."""
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
        for table in ("articles", "lexicon", "words", "word_counts"):
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
    _replace_word_counts(conn, schema, update)
    if empty:
        create_vector_indexes(conn, schema)
    bulk = empty or len(added) > len(existing) // 10
    if bulk:
        # The planner's statistics: without them, after a bulk load it guesses, and
        # reads every chunk instead of the GIN index's few (autovacuum comes later).
        for table in ("articles", "chunks", "sentences", "lexicon", "state"):
            conn.execute(sql.SQL("ANALYZE {}.{}").format(s, sql.Identifier(table)))
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
    threshold, depth = champions
    update_champions(conn, schema, fresh=empty, added=bool(added), threshold=threshold,
                     depth=depth)  # fmt: skip
    if bulk:
        conn.execute(sql.SQL("ANALYZE {}.champions").format(s))


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
    _insert_sentences(conn, schema, update, ids, chunks)


def _insert_sentences(
    conn: psycopg.Connection[Any],
    schema: str,
    update: BuildUpdate,
    ids: set[str],
    chunks: list[Chunk],
) -> None:
    """Copy in the sentences of the articles `ids`, whose new `chunks` hold them."""
    s = sql.Identifier(schema)
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


def _replace_word_counts(conn: psycopg.Connection[Any], schema: str, update: BuildUpdate) -> None:
    """How many chunks use each content word, for the next build: only the words whose
    count changed are written; none kept when the build does not say (the next build
    then counts every chunk)."""
    s = sql.Identifier(schema)
    if update.word_counts is None:
        conn.execute(sql.SQL("DELETE FROM {}.word_counts").format(s))
        return
    counts = update.word_counts
    query = sql.SQL("SELECT word, chunks FROM {}.word_counts").format(s)
    stored = {str(word): int(n) for word, n in conn.execute(query)}
    gone = [w for w in stored if w not in counts]
    if gone:
        conn.execute(sql.SQL("DELETE FROM {}.word_counts WHERE word = ANY(%s)").format(s), (gone,))
    changed = [(w, n) for w, n in counts.items() if stored.get(w) != n]
    if not changed:
        return
    conn.execute(
        "CREATE TEMP TABLE stage_counts (word text NOT NULL, chunks integer NOT NULL) "
        "ON COMMIT DROP"
    )
    with conn.cursor().copy("COPY stage_counts FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["text", "integer"])
        for row in changed:
            copy.write_row(row)
    conn.execute(
        sql.SQL(
            "INSERT INTO {s}.word_counts (word, chunks) SELECT word, chunks FROM stage_counts "
            "ON CONFLICT (word) DO UPDATE SET chunks = EXCLUDED.chunks"
        ).format(s=s)
    )
