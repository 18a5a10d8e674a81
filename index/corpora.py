"""One index per source folder, beside the main one: `newsbot eval --source` and
`newsbot train` build it once and later reuse it (the build is incremental by content
hash, so an unchanged folder costs only hashing)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from index.build import BuildReport, ProgressFn, build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings


def corpus_index_dir(source: Path, data_dir: Path) -> Path:
    """Where the index of `source` lives: named after the folder, keyed by its full path."""
    resolved = source.resolve()
    name = "-".join(resolved.parts[-2:])  # "piaf-dev-corpus" says more than "corpus"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:40] or "corpus"
    key = hashlib.sha256(str(resolved).encode()).hexdigest()[:10]
    return data_dir / "corpora" / f"{slug}-{key}"


def ensure_corpus_index(
    source: Path,
    data_dir: Path,
    embedder: VectorEmbeddings,
    chunking: ChunkSettings,
    progress: ProgressFn | None = None,
) -> tuple[Path, BuildReport]:
    """Build or update the index of `source`; returns its folder and the build report."""
    index_dir = corpus_index_dir(source, data_dir)
    if progress is None:
        return index_dir, build_index(source, index_dir, embedder, chunking)
    return index_dir, build_index(source, index_dir, embedder, chunking, progress=progress)
