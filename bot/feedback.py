"""Append-only JSONL log of 👍 / 👎 / "mauvaise source" clicks, durable line by line."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bot.models import Answer
from index.errors import NewsbotError

FeedbackKind = Literal["up", "down", "bad_source"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("up", "down", "bad_source")


@dataclass(frozen=True)
class FeedbackRecord:
    """One click, as one JSON line."""

    time: str  # ISO 8601, UTC
    kind: FeedbackKind
    user: str  # keyed hash of the Discord user id, never the id itself
    answer_id: str  # the same for every click on one answer, to group them
    question: str
    answer: str
    abstained: bool
    mode: str
    language: str
    citations: tuple[dict[str, Any], ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def hash_user_id(user_id: int, salt: bytes) -> str:
    """A stable pseudonym: the same user maps to the same string, and ids cannot be tested.

    Discord ids are public, so a plain hash could be reversed by hashing known ids; the
    secret salt prevents that while keeping clicks by one user groupable.
    """
    return hmac.new(salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:24]


def make_feedback_record(
    *, kind: FeedbackKind, answer: Answer, answer_id: str, user_hash: str, now: datetime
) -> FeedbackRecord:
    """The record for one click on one answer."""
    citations = answer.related if answer.abstained else answer.citations
    return FeedbackRecord(
        time=now.astimezone(UTC).isoformat(timespec="seconds"),
        kind=kind,
        user=user_hash,
        answer_id=answer_id,
        question=answer.question,
        answer=answer.text,
        abstained=answer.abstained,
        mode=answer.mode,
        language=answer.language,
        citations=tuple(
            {
                "n": c.n,
                "article_id": c.article_id,
                "title": c.title,
                "source": c.source,
                "url": c.url,
                "snippet": c.snippet,
            }
            for c in citations
        ),
    )


class FeedbackLog:
    """Appends records to a JSONL file; each line is on disk before `append` returns.

    Blocking (it fsyncs): call it from a worker thread, not the event loop.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._salt: bytes | None = None

    def user_hash(self, user_id: int) -> str:
        """The pseudonym for a Discord user id, with this log's salt."""
        return hash_user_id(user_id, self._load_salt())

    def append(self, record: FeedbackRecord) -> None:
        """Write one line, flush and fsync it (and the folder when the file is new)."""
        line = (record.to_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            is_new = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # One write() of the whole line: with O_APPEND it lands contiguously.
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if is_new:
                _fsync_dir(self.path.parent)

    def _load_salt(self) -> bytes:
        # The salt lives beside the log so pseudonyms stay stable across restarts.
        with self._lock:
            if self._salt is None:
                self._salt = read_or_create_salt(self.path.with_name(self.path.name + ".salt"))
            return self._salt


class FeedbackSaltError(NewsbotError):
    """The salt file beside the feedback log exists but holds no usable salt."""


_SALT_HEX = re.compile(r"[0-9a-f]{64}")


def read_or_create_salt(path: Path) -> bytes:
    """The salt in `path`, made on first use; safe when several processes race for it.

    A new salt is written to a private file and hard-linked into place, so the name only
    ever appears with the whole salt in it: whoever links first wins, the others read it.
    """
    for _ in range(2):
        try:
            return _read_salt(path)
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(32).hex().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: read theirs
        finally:
            draft.unlink(missing_ok=True)
        _fsync_dir(path.parent)
    return _read_salt(path)


def _read_salt(path: Path) -> bytes:
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if not _SALT_HEX.fullmatch(text):
        raise FeedbackSaltError(
            f"feedback salt {path} is not 64 hex digits; move it away and a new one is made "
            "(user pseudonyms then change)"
        )
    return bytes.fromhex(text)


def read_feedback(path: Path) -> list[dict[str, Any]]:
    """Every record in a feedback file, oldest first (for tests and analysis)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _fsync_dir(folder: Path) -> None:
    # A new file's directory entry is only durable once the directory itself is synced.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
