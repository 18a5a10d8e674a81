"""The sha256 of every source file, read again only when its stat changed.

A table beside the index (`<index>-file-hashes.json`, git-ignored data like the index)
keeps, per listed path, the (device, inode, size, mtime_ns, ctime_ns) seen when its bytes
were hashed, and the hash. A file whose stat is the same is not opened again: 32,000
files took about 20 s to hash, their stats well under one. Safe because:
- any write changes mtime, and ctime cannot be set back (`touch -d` or `os.utime`, which
  restore an mtime, set ctime to now), so content changed under an equal stat would take
  a write within one tick of the clock before the hash was taken: entries whose mtime or
  ctime is less than `RACY_NS` before the hashing began are never trusted (git's "racily
  clean" rule), they are hashed again on the next run;
- the stat is taken on the open file before its bytes are read;
- a symbolic link, a file that is no longer regular, or one over the size cap is always
  opened the long way, so the symlink and special-file policy of index/source_files.py
  and its messages apply unchanged;
- a missing or damaged table (or `--rebuild`) means every file is hashed (one log line).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.models import Skipped
from index.source_files import SourceLimits, UnreadableSource, open_regular

log = logging.getLogger("newsbot.index")

TABLE_VERSION = 1
# Two seconds: the coarsest mtime of a common filesystem (FAT); ext4 and tmpfs tick in ms.
RACY_NS = 2_000_000_000
FileStat = tuple[int, int, int, int, int]  # device, inode, size, mtime_ns, ctime_ns


@dataclass(frozen=True)
class LocalFile:
    """A file to read: its `--source` root (the symlink policy's boundary) and its origin."""

    root: Path
    path: Path
    origin: str


@dataclass(frozen=True)
class KnownHashes:
    """The table of a previous run: path -> (stat, sha256), and when that run began hashing."""

    hashed_at_ns: int
    files: dict[str, tuple[FileStat, str]]

    def trusted(self, key: str, seen: FileStat) -> str | None:
        """The recorded hash when `seen` is the recorded stat of a file settled before it."""
        entry = self.files.get(key)
        if entry is None or entry[0] != seen:
            return None
        settled = self.hashed_at_ns - RACY_NS
        return entry[1] if seen[3] < settled and seen[4] < settled else None


NO_HASHES = KnownHashes(0, {})


def hash_table_path(index_dir: Path) -> Path:
    """Where the table of an index folder lives (beside it, as its HTTP cache does)."""
    return index_dir.parent / f"{index_dir.name}-file-hashes.json"


def _stat_of(result: os.stat_result) -> FileStat:
    return (result.st_dev, result.st_ino, result.st_size, result.st_mtime_ns, result.st_ctime_ns)


def read_known_hashes(path: Path) -> KnownHashes:
    """The table at `path`; a missing or damaged one is empty (every file is then hashed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.info("no table of file hashes at %s: hashing every source file", path)
        return NO_HASHES
    except (OSError, ValueError) as exc:
        log.warning("ignoring the table of file hashes at %s (%s): hashing every file", path, exc)
        return NO_HASHES
    try:
        return _parsed(data)
    except (TypeError, ValueError) as exc:
        log.warning("ignoring the table of file hashes at %s (%s): hashing every file", path, exc)
        return NO_HASHES


def _parsed(data: object) -> KnownHashes:
    if not isinstance(data, dict) or data.get("version") != TABLE_VERSION:
        raise ValueError("not a version-1 table")
    hashed_at, rows = data.get("hashed_at_ns"), data.get("files")
    if not isinstance(hashed_at, int) or not isinstance(rows, dict):
        raise TypeError("no hashed_at_ns or files")
    files: dict[str, tuple[FileStat, str]] = {}
    for key, row in rows.items():
        if not (isinstance(row, list) and len(row) == 6):
            raise TypeError(f"bad row for {key}")
        *numbers, digest = row
        good = all(type(n) is int for n in numbers) and isinstance(digest, str)
        if not good or len(digest) != 64:
            raise TypeError(f"bad row for {key}")
        files[key] = ((numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]), digest)
    return KnownHashes(hashed_at, files)


def write_known_hashes(path: Path, table: KnownHashes) -> None:
    """Replace the table atomically; a failure only costs the next run its shortcut."""
    rows = {key: [*seen, digest] for key, (seen, digest) in table.files.items()}
    text = json.dumps({"version": TABLE_VERSION, "hashed_at_ns": table.hashed_at_ns, "files": rows})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.warning("could not write the table of file hashes at %s (%s)", path, exc)


def hash_file(path: Path, root: Path, max_bytes: int | None = None) -> str:
    """sha256 of a regular file inside `root` (index/source_files.py says why)."""
    return _hash_with_stat(path, root, max_bytes)[0]


def _hash_with_stat(path: Path, root: Path, max_bytes: int | None) -> tuple[str, FileStat]:
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path, root), "rb") as handle:
        seen = _stat_of(os.fstat(handle.fileno()))
        if max_bytes is not None and seen[2] > max_bytes:
            raise UnreadableSource(f"file over the {max_bytes:,}-byte cap (NEWSBOT_MAX_FILE_BYTES)")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest(), seen


def _unchanged_hash(key: str, cap: int | None, known: KnownHashes) -> str | None:
    """The known hash of a plain regular file (no link) whose stat has not changed."""
    try:
        result = os.lstat(key)
    except OSError:
        return None
    if not stat.S_ISREG(result.st_mode) or (cap is not None and result.st_size > cap):
        return None
    return known.trusted(key, _stat_of(result))


def _key(path: Path) -> str:
    text = str(path)
    return text if os.path.isabs(text) else os.path.abspath(text)


def hash_sources(
    files: list[LocalFile],
    limits: SourceLimits,
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    known: KnownHashes = NO_HASHES,
) -> tuple[dict[str, str], list[Skipped], KnownHashes | None]:
    """The sha256 of every readable file, and the table for the next run (None when
    `known` still serves: no file was opened, none left); a file that cannot be opened
    (a broken symlink, a link out of the folder, a FIFO, no permission, too big) is
    skipped with its reason."""
    started = time.time_ns()
    hashes: dict[str, str] = {}
    table: dict[str, tuple[FileStat, str]] = {}
    unreadable: list[Skipped] = []
    opened = 0
    for done, file in enumerate(files):
        progress("checking files", done, len(files))
        # A large .jsonl is read line by line; any other file must fit the cap.
        cap = None if file.path.suffix.lower() == ".jsonl" else limits.max_file_bytes
        key = _key(file.path)
        digest = _unchanged_hash(key, cap, known)
        if digest is not None:
            hashes[file.origin] = digest
            table[key] = known.files[key]
            continue
        opened += 1
        try:
            digest, seen = _hash_with_stat(file.path, file.root, cap)
        except UnreadableSource as exc:
            broken_link = file.path.is_symlink() and not file.path.exists()
            reason = f"broken symbolic link ({exc.reason})" if broken_link else exc.reason
            unreadable.append(Skipped(file.origin, reason))
            continue
        hashes[file.origin] = digest
        if not file.path.is_symlink():
            table[key] = (seen, digest)
    if not opened and table.keys() == known.files.keys():
        return hashes, unreadable, None
    return hashes, unreadable, KnownHashes(started, table)
