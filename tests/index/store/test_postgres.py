"""What only the PostgreSQL store has: connections that fail, a schema version, an
advisory lock, transactions that a killed indexer leaves rolled back."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from index.embed import VectorEmbeddings
from index.errors import DatabaseError, IndexBusyError, IndexMissingError
from index.store.faiss import LoadedIndex
from index.store.postgres import PostgresStore
from index.store.postgres_schema import SCHEMA_VERSION
from index.store.postgres_write import tsvector_literal
from tests.index.store.test_stores import update_from
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
        build = store.write(update_from(seed_index))
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
from tests.index.store.test_stores import update_from

update = update_from(load_index(__import__("pathlib").Path(sys.argv[2])))
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
    full = update_from(seed_index)
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
        assert store.write(update_from(seed_index)) != build
    store.close()
