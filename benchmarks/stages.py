"""Where an incremental build's time goes: the build's own functions wrapped with timers.

`stage_timer()` replaces, for the duration of a `with`, the module-level functions that
`index.build.build_index` and the stores call, by name, with timed copies. A name
that this version of the code does not have is skipped, so the same scenario times the
code before and after a change. Stages nest (the store's write includes BM25), so the
figures are inclusive and do not add up to the total.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

# (module, attribute, stage name); methods are "Class.method".
STAGES = (
    ("index.build", "_hash_sources", "hash source files"),
    ("index.build", "hash_sources", "hash source files"),
    ("index.build", "_unchanged", "up-to-date check (manifest, checksums)"),
    ("index.build", "_previous", "load the previous build"),
    ("index.build", "_read_articles", "read changed articles"),
    ("index.build", "articles_of_sources", "read changed articles"),
    ("index.build", "chunk_articles", "chunking"),
    ("index.build", "article_spans", "chunks and sentences (reused or split)"),
    ("index.build", "_embed_spans", "vectors (reused or embedded)"),
    ("index.build", "embed_spans", "vectors (reused or embedded)"),
    ("index.build", "corpus_words", "corpus words (full count)"),
    ("index.build", "_corpus_word_counts", "corpus words (incremental or full)"),
    ("index.build", "_embed_words", "word vectors"),
    ("index.build", "embed_words", "word vectors"),
    ("index.store.faiss_store", "FaissStore.write", "store write (all below)"),
    ("index.store.faiss_store", "updated_indexes", "  HNSW update"),
    ("index.store.faiss_store", "updated_lexical", "  BM25"),
    ("index.store.faiss_store", "LexicalIndex.build", "  BM25 from every text"),
    ("index.store.faiss_store", "write_build", "  write files, checksums, swap"),
    ("index.store.postgres", "PostgresStore.previous", "load the previous build (PostgreSQL)"),
    ("index.store.postgres", "PostgresStore.write", "store write (all below)"),
    ("index.store.postgres_write", "_insert", "  insert rows (COPY, HNSW inserts)"),
    ("index.store.postgres_write", "_insert_sentences", "    sentence rows (HNSW inserts)"),
    ("index.store.postgres_write", "_apply_terms", "  lexicon"),
    ("index.store.postgres_write", "_replace_words", "  corpus words"),
    ("index.store.postgres_write", "update_champions", "  champion lists"),
)


def _timed(fn: Callable[..., Any], stage: str, times: dict[str, float]) -> Callable[..., Any]:
    @wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            times[stage] = times.get(stage, 0.0) + time.perf_counter() - started

    return timed


@contextlib.contextmanager
def stage_timer() -> Iterator[dict[str, float]]:
    """Seconds per stage of the builds run inside the `with`, filled as they run."""
    times: dict[str, float] = {}
    undo: list[tuple[Any, str, Any]] = []
    for module_name, attribute, stage in STAGES:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or name not in vars(owner):
            continue
        original = vars(owner)[name]
        if isinstance(original, classmethod):
            wrapped: Any = classmethod(_timed(original.__func__, stage, times))
        else:
            wrapped = _timed(original, stage, times)
        setattr(owner, name, wrapped)
        undo.append((owner, name, original))
    try:
        yield times
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)
