"""What only the PostgreSQL store has: connections that fail, a schema version, an
advisory lock, transactions that a killed indexer leaves rolled back."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector

from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.errors import DatabaseError, IndexBusyError, IndexMissingError
from index.store.faiss import LoadedIndex
from index.store.faiss_store import update_of
from index.store.postgres import PostgresStore
from index.store.postgres_schema import SCHEMA_VERSION, create_vector_indexes
from index.store.postgres_write import tsvector_literal
from tests.index.store.test_stores import write_sources
from tests.pg_server import PgServer

ROOT = Path(__file__).resolve().parents[3]


def test_tsvector_literal_keeps_each_term_frequency() -> None:
    assert tsvector_literal(["cor", "nord", "cor", ""]) == "'cor':1,2 'nord':1"
    assert tsvector_literal(["x"] * 300).count(",") == 255  # a tsvector keeps 256 positions


def test_an_unreachable_server_is_one_line() -> None:
    store = PostgresStore("postgresql://newsbot:secret@127.0.0.1:1/news")
    with pytest.raises(DatabaseError, match=r"^cannot reach PostgreSQL at postgresql://") as e:
        store.check()
    assert "secret" not in str(e.value) and "\n" not in str(e.value)


def test_a_wrong_password_is_refused(pg_server: PgServer) -> None:
    store = PostgresStore(pg_server.url(password="wrong"))
    with pytest.raises(DatabaseError, match="refused the credentials") as e:
        store.check()
    assert "wrong" not in str(e.value)


def test_an_empty_database_has_no_index(database_url: str) -> None:
    with pytest.raises(IndexMissingError, match="run `newsbot index`"):
        PostgresStore(database_url).check()


def test_a_database_without_pgvector_is_refused_and_left_untouched(
    pg_server: PgServer, database_url: str
) -> None:
    # pgvector is not a trusted extension: a role that is no superuser cannot create it,
    # which is what a server without pgvector installed looks like to newsbot.
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("CREATE ROLE plain LOGIN PASSWORD 'plain'")
        conn.execute(f"ALTER DATABASE {name} OWNER TO plain")
    url = f"postgresql://plain:plain@127.0.0.1:{pg_server.port}/{name}"
    with pytest.raises(DatabaseError, match="pgvector"), PostgresStore(url).lock():
        pass
    with psycopg.connect(url) as conn:
        schemas = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'newsbot'").fetchall()
    assert schemas == []
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} OWNER TO postgres")
        conn.execute("DROP ROLE plain")


def test_a_newer_schema_is_refused_and_nothing_written(
    seed_index: LoadedIndex, embedder: VectorEmbeddings, database_url: str
) -> None:
    store = PostgresStore(database_url)
    with store.lock():
        build = store.write(update_of(seed_index))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO newsbot.schema_version (version) VALUES (%s)", (99,))
    newer = PostgresStore(database_url)
    with pytest.raises(
        DatabaseError, match=f"version 99, this newsbot knows up to {SCHEMA_VERSION}"
    ):
        newer.check()
    with pytest.raises(DatabaseError, match="upgrade newsbot"), newer.lock():
        pass
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT build_id FROM newsbot.state").fetchone()
    assert row == (build,)
    store.close()


TWO_ARTICLES = {"a.txt": "Le port de Brest accueille des voiliers.",
                "b.txt": "La mairie de Lyon inaugure un tramway."}  # fmt: skip


def _two_articles_built(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> tuple[dict[str, str], Path, PostgresStore]:
    """Two one-sentence articles, indexed into a fresh store."""
    sources = write_sources(tmp_path / "src", TWO_ARTICLES)
    store = PostgresStore(database_url)
    build_index(sources, store, embedder, ChunkSettings())
    return dict(TWO_ARTICLES), sources, store


def test_a_version_1_index_is_migrated_and_counts_its_words_once(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    # Version 1 kept no word counts: the first build after the migration counts every
    # chunk, and keeps the counts for the next one. (Nor champion lists: versions 3 and 4.)
    articles, sources, store = _two_articles_built(database_url, embedder, tmp_path)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE newsbot.word_counts, newsbot.champions")
        conn.execute(
            "ALTER TABLE newsbot.state DROP COLUMN champion_df, DROP COLUMN champion_depth, "
            "DROP COLUMN champion_avgdl"
        )
        conn.execute("UPDATE newsbot.schema_version SET version = 1")
    with pytest.raises(DatabaseError, match="version 1; run `newsbot index` once"):
        PostgresStore(database_url).check()
    with store.lock():
        previous = store.previous(embedder.name, embedder.dimension)
    assert previous is not None and previous.word_counts is None
    assert len(previous.chunks) == 2 and len(previous.sentences) == 2
    changed = {**articles, "b.txt": "La mairie de Lyon suspend le tramway."}

    report = build_index(write_sources(sources, changed), store, embedder, ChunkSettings())

    assert (report.changed, report.embedded) == (1, 1)
    store.check()  # migrated
    kept = store.previous(embedder.name, embedder.dimension)
    assert kept is not None and kept.word_counts is not None
    assert kept.word_counts == {"port": 1, "brest": 1, "accueille": 1, "voiliers": 1,
                                "mairie": 1, "lyon": 1, "suspend": 1, "tramway": 1}  # fmt: skip
    store.close()


def test_a_second_indexer_is_told_to_wait(database_url: str) -> None:
    first, second = PostgresStore(database_url), PostgresStore(database_url)
    busy = pytest.raises(IndexBusyError, match="another `newsbot index`")
    with first.lock(), busy, second.lock():
        pass
    with second.lock():  # released when the first build ended
        pass


KILLED_WRITER = """
import os, signal, sys
from index.store.faiss import load_index
from index.store.postgres import PostgresStore
from index.store.postgres_write import apply_update
from index.store.faiss_store import update_of

update = update_of(load_index(__import__("pathlib").Path(sys.argv[2])))
store = PostgresStore(sys.argv[1])
with store.lock():
    with store._writer.transaction():
        apply_update(store._writer, store.schema, update, "killed-build")
        print("applied", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # as a kill -9 before the commit
"""


def test_an_indexer_killed_before_its_commit_leaves_the_previous_state(
    seed_index: LoadedIndex, seed_index_dir: Path, embedder: VectorEmbeddings, database_url: str
) -> None:
    store = PostgresStore(database_url)
    full = update_of(seed_index)
    ids = {a.id for a in full.articles[:2]}
    chunks = [c for c in full.chunks if c.article_id in ids]
    rows = [i for i, span in enumerate(full.sentences) if span[0] in ids]
    few = replace(
        full,
        articles=full.articles[:2],
        chunks=chunks,
        vectors=full.vectors[[c.id for c in chunks]],
        sentences=[full.sentences[i] for i in rows],
        sentence_vectors=full.sentence_vectors[rows],
    )
    with store.lock():
        build = store.write(few)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), database_url, str(seed_index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -9 and "applied" in result.stdout, result.stderr
    assert store.current_build_id() == build
    reader = store.open_reader(embedder.name, embedder.dimension)
    assert len(reader.articles) == 2 and len(reader.all_chunks()) == len(few.chunks)
    with store.lock():  # the advisory lock died with the process
        assert store.write(update_of(seed_index)) != build
    store.close()


def test_ef_search_is_raised_per_query_to_the_rows_asked_for(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path, seed_index: LoadedIndex
) -> None:
    store = PostgresStore(database_url, ef_search=1)
    with store.lock():
        store.write(update_of(seed_index))
    reader = store.open_reader(embedder.name, embedder.dimension)
    vector = embedder.embed_question("Qui accompagne Poutine ?")
    with reader.snapshot(), reader.connection() as conn:
        # A table this small would be read in full; make the HNSW indexes answer.
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN SELECT id FROM newsbot.chunks ORDER BY embedding <#> %s LIMIT 5",
            (vector,),
        ).fetchall()
        assert "chunks_embedding" in " ".join(r[0] for r in plan)
        retrieved = reader.retrieve(vector, None, 5)
        shown = conn.execute("SHOW hnsw.ef_search").fetchone()
    assert len(retrieved.dense) == 5  # with ef_search 1, HNSW would return 1 row
    assert len(retrieved.sentences) >= 5
    assert shown == ("15",)  # 3n, for the 15 sentences asked for, in this transaction
    with store.pool().connection() as conn:
        assert conn.execute("SHOW hnsw.ef_search").fetchone() == ("40",)  # not the session's
    store.close()


def test_previous_reads_no_vector_and_unchanged_rows_keep_theirs(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    articles, sources, store = _two_articles_built(database_url, embedder, tmp_path)
    query = (
        "SELECT a.source, c.embedding FROM newsbot.chunks c "
        "JOIN newsbot.articles a ON a.id = c.article_id"
    )
    with psycopg.connect(database_url) as conn:
        register_vector(conn)
        before = {r[0]: r[1].to_numpy() for r in conn.execute(query)}
    previous = store.previous(embedder.name, embedder.dimension)
    assert previous is not None  # no vector read: it says which spans it holds
    kept = next(iter(previous.articles.values()))
    chunks, sentences = previous.stored.held([(kept.id, 0, 5), ("not-stored", 0, 5)], [])
    assert chunks.tolist() == [True, False] and len(sentences) == 0
    changed = {**articles, "b.txt": "La mairie de Lyon suspend le tramway."}
    report = build_index(write_sources(sources, changed), store, embedder, ChunkSettings())
    assert report.embedded == 1  # only the new text
    with psycopg.connect(database_url) as conn:
        register_vector(conn)
        after = {r[0]: r[1].to_numpy() for r in conn.execute(query)}
    assert np.array_equal(after["a.txt"], before["a.txt"]) and np.any(after["a.txt"])
    assert np.allclose(after["b.txt"], embedder.embed_passages([changed["b.txt"]])[0], atol=1e-5)
    store.close()


def test_a_bulk_load_leaves_the_planner_statistics(
    seed_index: LoadedIndex, database_url: str
) -> None:
    store = PostgresStore(database_url)
    with store.lock():
        store.write(update_of(seed_index))
    with psycopg.connect(database_url) as conn:
        analysed = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'newsbot'"
            )
        }
    assert {"chunks", "sentences", "lexicon", "articles"} <= analysed
    store.close()


@pytest.mark.parametrize(("server", "expected"), [(None, "256MB"), ("1GB", "1GB")])
def test_an_hnsw_build_gets_at_least_256mb_and_keeps_a_larger_setting(
    database_url: str, server: str | None, expected: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        if server is not None:
            conn.execute(f"SET maintenance_work_mem = '{server}'")
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE SCHEMA s")
        for table in ("chunks", "sentences"):
            conn.execute(f"CREATE TABLE s.{table} (embedding vector(3))")
        with conn.transaction():
            create_vector_indexes(conn, "s")
            shown = conn.execute("SHOW maintenance_work_mem").fetchone()
    assert shown == (expected,)
