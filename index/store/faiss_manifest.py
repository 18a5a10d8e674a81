"""A FAISS build's manifest: what the folder's CURRENT names, what each build holds, and
the checks a load makes before trusting a file (sizes and sha256 of every file)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, fields
from pathlib import Path

from index.errors import IndexCorruptError, IndexMissingError

# 2: lexical terms are accent-folded before stemming (a format-1 BM25 index would
# silently miss every accented term of a query). 4: corpus word vectors (index/words.py).
# 5: a sha256 of every file, since a flipped byte keeps the size and changes answers.
# 6: an HNSW index may carry tombstones (`*.rows.npy`, index/store/slots.py).
FORMAT_VERSION = 6
POINTER = "CURRENT"
WORD_COUNTS = "word_counts.json"  # chunks using each content word, for the next build
# What write_build names builds; anything else in CURRENT (a path, garbage) is damage.
BUILD_ID_PATTERN = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")


@dataclass(frozen=True)
class Manifest:
    """What a build holds and how it was made; checked against the files on load."""

    format_version: int
    build_id: str
    created_at: str
    embedder: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    article_count: int
    chunk_count: int
    # article key (source) -> content hash, and source file -> sha256 of its raw bytes
    articles: dict[str, str]
    files: dict[str, str]
    file_sizes: dict[str, int]  # bytes of each file in the build folder, to catch truncation
    file_hashes: dict[str, str]  # sha256 of each file in the build folder, to catch damage
    skipped: dict[str, str]  # source (file or file#Lnn) -> why it was not indexed


def current_build_id(index_dir: Path) -> str | None:
    """The live build's id, or None when nothing was built yet. Cheap: one small read."""
    pointer = index_dir / POINTER
    try:
        build_id = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"index pointer {pointer} is unreadable ({one_line(exc)}); {rebuild_hint(index_dir)}"
        ) from exc
    if build_id and not BUILD_ID_PATTERN.fullmatch(build_id):
        raise IndexCorruptError(
            f"index pointer {pointer} holds no build id; {rebuild_hint(index_dir)}"
        )
    return build_id or None


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (FAISS and numpy errors can span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def rebuild_hint(index_dir: Path) -> str:
    """What every damaged-index message ends with: the command that repairs it."""
    return f"run `newsbot index --rebuild --index-dir {index_dir}`"


def read_manifest(index_dir: Path) -> Manifest:
    """The live build's manifest, or a one-line error saying what to run."""
    build_id = current_build_id(index_dir)
    if build_id is None:
        raise IndexMissingError(f"no index at {index_dir} — run `newsbot index`")
    path = index_dir / "builds" / build_id / "manifest.json"
    try:
        manifest = _parse_manifest(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise IndexCorruptError(
            f"index at {index_dir} points at a missing build {build_id}; {rebuild_hint(index_dir)}"
        ) from exc
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(
            f"index manifest at {path} is unreadable; {rebuild_hint(index_dir)}"
        ) from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorruptError(
            f"index at {index_dir} has format {manifest.format_version}, this newsbot reads "
            f"{FORMAT_VERSION}; {rebuild_hint(index_dir)}"
        )
    return manifest


_FIELD_TYPES: dict[str, type] = {"int": int, "str": str}


def _parse_manifest(data: object) -> Manifest:
    """A Manifest from its JSON, type-checked so that later use cannot crash on it."""
    if not isinstance(data, dict):
        raise TypeError("the manifest is not a JSON object")
    manifest = Manifest(**data)
    for field in fields(Manifest):
        value = getattr(manifest, field.name)
        kind = str(field.type)
        if kind.startswith("dict"):
            item = _FIELD_TYPES[kind.rsplit(", ", 1)[1].rstrip("]")]
            good = isinstance(value, dict) and all(
                isinstance(k, str) and isinstance(v, item) for k, v in value.items()
            )
        else:
            good = isinstance(value, _FIELD_TYPES[kind]) and not isinstance(value, bool)
        if not good:
            raise TypeError(f"manifest field {field.name} has the wrong type")
    return manifest


def check_files(index_dir: Path, manifest: Manifest) -> None:
    """Raise IndexCorruptError unless every file of the build has its recorded size and
    sha256 (one pass over the files per load: about a second per GB)."""
    folder = index_dir / "builds" / manifest.build_id
    if set(manifest.file_hashes) != set(manifest.file_sizes):
        raise IndexCorruptError(
            f"index manifest at {folder} lists different files for sizes and checksums; "
            f"{rebuild_hint(index_dir)}"
        )
    for name, size in manifest.file_sizes.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            raise IndexCorruptError(
                f"index file {path} is missing or truncated; {rebuild_hint(index_dir)}"
            )
        try:
            intact = file_sha256(path) == manifest.file_hashes[name]
        except OSError:
            intact = False
        if not intact:
            raise IndexCorruptError(
                f"index file {path} is damaged (checksum mismatch); {rebuild_hint(index_dir)}"
            )


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_word_counts(index_dir: Path, manifest: Manifest) -> dict[str, int] | None:
    """How many chunks use each content word, None when the build did not keep it (or
    it is unreadable: the next build then counts every chunk)."""
    path = index_dir / "builds" / manifest.build_id / WORD_COUNTS
    if WORD_COUNTS not in manifest.file_hashes:
        return None
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    good = isinstance(counts, dict) and all(
        isinstance(w, str) and isinstance(n, int) and n > 0 for w, n in counts.items()
    )
    return counts if good else None
