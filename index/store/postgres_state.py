"""Reading the PostgreSQL store's build record and corpus words (its state row, the
articles' sources and ids; the words' vectors), for readers, the writer and the next build."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from index.store.base import StoreState, Vector
from index.words import WordVectors


def read_state(
    conn: psycopg.Connection[Any], schema: str, *, lock: bool = False
) -> StoreState | None:
    query = sql.SQL(
        "SELECT build_id, embedder, dimension, chunk_size, chunk_overlap, article_count, "
        "chunk_count, files, skipped FROM {}.state" + (" FOR UPDATE" if lock else "")
    ).format(sql.Identifier(schema))
    try:
        row = conn.execute(query).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    if row is None:
        return None
    files = row[7] if isinstance(row[7], dict) else json.loads(row[7])
    skipped = row[8] if isinstance(row[8], dict) else json.loads(row[8])
    articles = {
        source: article_id
        for source, article_id in conn.execute(
            sql.SQL("SELECT source, id FROM {}.articles ORDER BY position").format(
                sql.Identifier(schema)
            )
        )
    }
    return StoreState(
        build_id=row[0],
        embedder=row[1],
        dimension=int(row[2]),
        chunk_size=int(row[3]),
        chunk_overlap=int(row[4]),
        article_count=int(row[5]),
        chunk_count=int(row[6]),
        articles=articles,
        files=files,
        skipped=skipped,
    )


def as_array(vector: Any) -> Vector:
    """A pgvector value (pgvector.Vector) as a float32 array."""
    return np.asarray(vector.to_numpy(), dtype=np.float32)


def read_words(conn: psycopg.Connection[Any], schema: str, dimension: int) -> WordVectors:
    rows = (
        conn.cursor(binary=True)
        .execute(sql.SQL("SELECT word, embedding FROM {}.words").format(sql.Identifier(schema)))
        .fetchall()
    )
    rows.sort(key=lambda r: r[0])  # Python's order, as the FAISS store's sorted words
    matrix = np.zeros((len(rows), dimension), dtype=np.float32)
    for i, (_, vector) in enumerate(rows):
        matrix[i] = as_array(vector)
    return WordVectors(tuple(r[0] for r in rows), matrix)
