"""Which files under `--source` may be read, and reading them within bounded memory.

Policy: a symbolic link is followed only when its target lies inside the source folder;
FIFOs, devices, sockets and folders are never opened for reading (opening a FIFO blocks);
files and `.jsonl` lines above the size caps are skipped, over-long words are removed.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import NewsbotError

_BLOCK = 1 << 20


class UnreadableSource(NewsbotError):
    """A source file that cannot become articles; the message is the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SourceLimits:
    """Caps on what one source may cost (settings NEWSBOT_MAX_FILE_BYTES and friends)."""

    max_file_bytes: int = 20_000_000  # larger non-.jsonl files are skipped
    max_line_chars: int = 2_000_000  # larger .jsonl lines are skipped
    max_word_chars: int = 500  # longer runs without a space are removed from the text


DEFAULT_LIMITS = SourceLimits()


def outside_link_reason(path: Path, root: Path) -> str | None:
    """Why `path` must not be followed: a symlink (at any depth) leading out of `root`."""
    target = path.resolve()
    if target.is_relative_to(root.resolve()):
        return None
    return "symbolic link to a file outside the source folder, not followed"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(path: Path, root: Path) -> int:
    """A file descriptor on `path`, which must be a regular file inside `root`.

    Opened without blocking and checked with fstat, so a FIFO or a link to /dev/zero
    swapped in after listing is still never read.
    """
    outside = outside_link_reason(path, root)
    if outside:
        raise UnreadableSource(outside)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UnreadableSource(f"cannot read file ({exc.strerror or exc})") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise UnreadableSource(f"cannot read file ({_kind(mode)}, not a regular file)")
    return fd


def read_capped_bytes(path: Path, root: Path, limit: int) -> bytes:
    """The whole file, refusing one above `limit` bytes before reading it."""
    fd = open_regular(path, root)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(fd).st_size
        if size > limit:
            raise UnreadableSource(
                f"file of {size:,} bytes is over the {limit:,}-byte cap (NEWSBOT_MAX_FILE_BYTES)"
            )
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew since fstat
        raise UnreadableSource(f"file is over the {limit:,}-byte cap (NEWSBOT_MAX_FILE_BYTES)")
    return data


def file_size(path: Path, root: Path) -> int:
    fd = open_regular(path, root)
    try:
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def iter_capped_lines(path: Path, root: Path, max_chars: int) -> Iterator[tuple[int, str, str]]:
    """(line number, text, problem) of a UTF-8 file, one line in memory at a time.

    A line over `max_chars` characters, or not UTF-8, comes with an empty text and the
    problem; the rest of an over-long line is read and dropped in blocks, never held whole.
    """
    fd = open_regular(path, root)
    max_bytes = 4 * max_chars  # a character is at most 4 bytes of UTF-8
    with os.fdopen(fd, "rb") as handle:
        number = 0
        while raw := handle.readline(max_bytes + 1):
            number += 1
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                while (rest := handle.readline(_BLOCK)) and not rest.endswith(b"\n"):
                    pass
                yield number, "", line_too_long(max_chars)
                continue
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield number, "", "not UTF-8"
                continue
            yield number, text, line_too_long(max_chars) if len(text) > max_chars else ""


def line_too_long(max_chars: int) -> str:
    return f"line over the {max_chars:,}-character cap (NEWSBOT_MAX_LINE_CHARS)"


_LONG_WORD_CACHE: dict[int, re.Pattern[str]] = {}


def drop_long_words(text: str, max_chars: int) -> tuple[str, int]:
    """`text` with every run of more than `max_chars` non-space characters replaced by "…"
    (base64 blobs, minified scripts: no quote or search needs them); also how many."""
    pattern = _LONG_WORD_CACHE.get(max_chars)
    if pattern is None:
        pattern = _LONG_WORD_CACHE.setdefault(max_chars, re.compile(rf"\S{{{max_chars + 1},}}"))
    return pattern.subn("…", text)
