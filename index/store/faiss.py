"""The on-disk index: native FAISS, bm25s arrays and JSON, swapped in atomically.

Layout of `index_dir`:
    CURRENT              the live build's id, replaced atomically (os.replace)
    builds/<id>/         one complete build: manifest.json, articles.jsonl,
                         chunks.jsonl, dense.faiss, lexical/, sentences.jsonl and
                         sentences.faiss (one vector per sentence, for answer selection),
                         words.json and words.npy (corpus words and their vectors, to read
                         an English question's words as the articles' French ones);
                         dense.rows.npy / sentences.rows.npy when an HNSW graph was
                         updated in place: each FAISS slot's row, -1 for a tombstone;
                         word_counts.json and lexical/counts.npy, what the next build
                         reuses instead of counting words and terms in every chunk
    .lock                held while a build writes, so two builds never interleave
Nothing here is ever unpickled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.errors import IndexBusyError, IndexCorruptError
from index.lexical import LexicalIndex
from index.models import Article, Chunk
from index.store.base import Span
from index.store.faiss_files import (
    read_articles,
    read_chunks,
    read_faiss_index,
    read_sentences,
    read_words,
    write_faiss_index,
    write_json_lines,
    write_span_lines,
)
from index.store.faiss_manifest import (
    BUILD_ID_PATTERN,
    FORMAT_VERSION,
    POINTER,
    WORD_COUNTS,
    Manifest,
    check_files,
    current_build_id,
    file_sha256,
    one_line,
    read_manifest,
    read_word_counts,
    rebuild_hint,
)
from index.words import WordVectors

__all__ = [
    "FORMAT_VERSION",
    "HNSW_THRESHOLD",
    "POINTER",
    "LoadedIndex",
    "Manifest",
    "build_dense_index",
    "build_lock",
    "check_files",
    "current_build_id",
    "load_index",
    "read_manifest",
    "read_word_counts",
    "write_build",
]

# Above this many chunks an HNSW graph answers in milliseconds where a flat scan would not.
HNSW_THRESHOLD = 50_000


@dataclass(frozen=True)
class LoadedIndex:
    """A build loaded in memory, ready to search."""

    manifest: Manifest
    articles: dict[str, Article]
    chunks: Sequence[Chunk]  # a ChunkTable once loaded (index/store/spans.py)
    dense: Any  # faiss.Index
    lexical: LexicalIndex
    sentences: Sequence[Span]  # (article id, start, end) of every sentence, in article order
    sentence_index: Any  # faiss.Index, row i = sentences[i]
    words: WordVectors

    @property
    def build_id(self) -> str:
        return self.manifest.build_id

    @property
    def sentence_vectors(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Every sentence vector, rebuilt from its FAISS index (for incremental builds)."""
        return _all_vectors(self.sentence_index, self.manifest.dimension)

    def vectors(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Every chunk vector, rebuilt from the FAISS index (for incremental builds)."""
        return _all_vectors(self.dense, self.manifest.dimension)


def _all_vectors(index: Any, dimension: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    if index.ntotal == 0:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


def build_dense_index(
    vectors: np.ndarray[Any, np.dtype[np.float32]], *, quantized: bool = False
) -> Any:
    """Inner product on unit vectors (= cosine): exact below HNSW_THRESHOLD vectors, an
    HNSW graph above it; `quantized` stores 8-bit components (4x less memory), which is
    what the many sentence vectors of a large corpus need."""
    dim = vectors.shape[1]
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index: Any
    if vectors.shape[0] >= HNSW_THRESHOLD:
        if quantized:
            index = faiss.IndexHNSWSQ(
                dim,
                faiss.ScalarQuantizer.QT_8bit,  # type: ignore[arg-type]  # stub is wrong
                32,
                faiss.METRIC_INNER_PRODUCT,
            )
            index.train(data)
        else:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.hnsw.efSearch = 96
    else:
        index = faiss.IndexFlatIP(dim)
    if vectors.shape[0]:
        index.add(data)
    return index


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on `index_dir` for the whole build."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusyError(
                f"another `newsbot index` is writing {index_dir}; wait for it to finish"
            ) from exc
        # Holding the lock, no other build is writing: any .tmp-* folder is a killed one's.
        _remove_leftovers(index_dir)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_build(
    index_dir: Path,
    *,
    articles: list[Article],
    chunks: Sequence[Chunk],
    dense: Any,
    lexical: LexicalIndex,
    sentences: Sequence[Span],
    sentence_vectors: np.ndarray[Any, np.dtype[np.float32]],
    embedder: str,
    dimension: int,
    chunk_size: int,
    chunk_overlap: int,
    files: dict[str, str],
    skipped: dict[str, str],
    words: WordVectors,
    sentence_index: Any = None,
    word_counts: Mapping[str, int] | None = None,
) -> Manifest:
    """Write a complete build beside the live one, then point CURRENT at it atomically.

    A process killed at any point before the final `os.replace` leaves the previous
    build serving; the half-written folder is removed by the next build.
    `sentence_index`, when given, is the sentence vectors' index already updated from
    the previous build's (index/store/slots.py); else one is built from the vectors.
    """
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    # vars(): an Article holds only strings and None, so dataclasses.asdict's deep copy
    # (a third of the write at 100k chunks) gives nothing more.
    write_json_lines(tmp / "articles.jsonl", (vars(a) for a in articles))
    write_span_lines(tmp / "chunks.jsonl", ((c.article_id, c.start, c.end) for c in chunks))
    write_faiss_index(dense, tmp / "dense.faiss")
    lexical.save(tmp / "lexical")
    write_span_lines(tmp / "sentences.jsonl", sentences)
    if sentence_index is None:
        sentence_index = build_dense_index(sentence_vectors, quantized=True)
    write_faiss_index(sentence_index, tmp / "sentences.faiss")
    (tmp / "words.json").write_text(json.dumps(list(words.words), ensure_ascii=False), "utf-8")
    # Half precision: a word's nearest neighbour does not need more, and it halves the file.
    np.save(tmp / "words.npy", words.vectors.astype(np.float16), allow_pickle=False)
    if word_counts is not None:
        (tmp / WORD_COUNTS).write_text(json.dumps(word_counts, ensure_ascii=False), "utf-8")
    files_written = [p for p in sorted(tmp.rglob("*")) if p.is_file()]
    sizes = {str(p.relative_to(tmp)): p.stat().st_size for p in files_written}
    digests = {str(p.relative_to(tmp)): file_sha256(p) for p in files_written}
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        build_id=build_id,
        created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        embedder=embedder,
        dimension=dimension,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        article_count=len(articles),
        chunk_count=len(chunks),
        articles={a.source: a.id for a in articles},
        files=files,
        file_sizes=sizes,
        file_hashes=digests,
        skipped=skipped,
    )
    (tmp / "manifest.json").write_text(
        # Its fields are flat (str, int, dict of str): vars() gives what asdict's deep copy
        # of 64k dict entries gave, a second sooner at 100k chunks.
        json.dumps(vars(manifest), ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    final = builds / build_id
    os.rename(tmp, final)
    _fsync_dir(builds)
    pointer_tmp = index_dir / f".{POINTER}.{build_id}"
    with open(pointer_tmp, "w", encoding="utf-8") as handle:
        handle.write(build_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        previous = current_build_id(index_dir)
    except IndexCorruptError:
        previous = None
    os.replace(pointer_tmp, index_dir / POINTER)
    _fsync_dir(index_dir)
    _prune(index_dir, keep={build_id, previous or ""})
    return manifest


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Drop old builds and leftovers of killed ones; the previous build stays for readers
    that resolved CURRENT just before the swap."""
    for path in (index_dir / "builds").iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(f".{POINTER}.*"):
        path.unlink(missing_ok=True)


def _remove_leftovers(index_dir: Path) -> None:
    """Half-written builds, and complete ones a kill stopped before CURRENT named them."""
    builds = index_dir / "builds"
    if not builds.is_dir():
        return
    for path in builds.glob(".tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
    try:
        live = current_build_id(index_dir)
    except IndexCorruptError:
        return  # a damaged pointer: the next build replaces it, keep everything till then
    if live is None:
        return
    # Build ids start with their time: one made after the live build never served anyone.
    # (Same-second ids cannot be ordered, so those are left for the next build's prune.)
    for path in builds.iterdir():
        name = path.name
        if BUILD_ID_PATTERN.fullmatch(name) and name[:15] > live[:15]:
            shutil.rmtree(path, ignore_errors=True)


def load_index(
    index_dir: Path,
    *,
    embedder: str | None = None,
    dimension: int | None = None,
    checked: str | None = None,
) -> LoadedIndex:
    """Load the live build, checking it against its manifest and the configured embedder.

    `checked` names a build whose checksums the caller verified while holding the build
    lock; that build's files are not hashed again."""
    manifest = read_manifest(index_dir)
    folder = index_dir / "builds" / manifest.build_id
    hint = rebuild_hint(index_dir)
    if embedder is not None and (manifest.embedder != embedder or manifest.dimension != dimension):
        raise IndexCorruptError(
            f"index at {index_dir} was built with {manifest.embedder} ({manifest.dimension}d) "
            f"but the configured embedder is {embedder} ({dimension}d); {hint}"
        )
    if checked != manifest.build_id:
        check_files(index_dir, manifest)
    try:
        articles = read_articles(folder / "articles.jsonl")
        chunks = read_chunks(folder / "chunks.jsonl", articles)
        dense = read_faiss_index(folder / "dense.faiss")
        lexical = LexicalIndex.load(folder / "lexical")
        sentences = read_sentences(folder / "sentences.jsonl", articles)
        sentence_index = read_faiss_index(folder / "sentences.faiss")
        words = read_words(folder, manifest.dimension)
    except (ValueError, TypeError, KeyError, IndexError, RuntimeError, OSError) as exc:
        raise IndexCorruptError(f"index at {folder} is damaged ({one_line(exc)}); {hint}") from exc
    counts = (len(articles), len(chunks), dense.ntotal, lexical.size)
    expected = (manifest.article_count, manifest.chunk_count, manifest.chunk_count)
    if counts[:3] != expected or (lexical.size not in (0, manifest.chunk_count)):
        raise IndexCorruptError(
            f"index at {folder} does not match its manifest (articles, chunks, vectors, "
            f"lexical = {counts}, expected {expected}); {hint}"
        )
    if (sentence_index.ntotal, sentence_index.d) != (len(sentences), manifest.dimension):
        raise IndexCorruptError(f"sentence vectors at {folder} do not match; {hint}")
    if dense.d != manifest.dimension:
        raise IndexCorruptError(f"index vectors at {folder} have the wrong dimension; {hint}")
    return LoadedIndex(manifest, articles, chunks, dense, lexical, sentences, sentence_index, words)
