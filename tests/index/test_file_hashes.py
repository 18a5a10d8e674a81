"""Source hashes kept between runs: an unchanged stat is not read, anything else is."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import replace
from pathlib import Path

import pytest

import index.file_hashes as file_hashes
from index.file_hashes import (
    NO_HASHES,
    RACY_NS,
    KnownHashes,
    LocalFile,
    hash_sources,
    read_known_hashes,
    write_known_hashes,
)
from index.source_files import SourceLimits, UnreadableSource

FAKE = "f" * 64  # a hash no file here has: seeing it means the file was not read


def _files(root: Path) -> list[LocalFile]:
    return [LocalFile(root, p, p.name) for p in sorted(root.iterdir()) if p.suffix == ".txt"]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _settled(table: KnownHashes | None) -> KnownHashes:
    """The table as a run well after the files' last writes would have left it."""
    assert table is not None
    return replace(table, hashed_at_ns=table.hashed_at_ns + 3 * RACY_NS)


def _faked(table: KnownHashes) -> KnownHashes:
    return replace(table, files={k: (seen, FAKE) for k, (seen, _) in table.files.items()})


def test_unchanged_file_is_not_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("Poutine à Pyongyang.", encoding="utf-8")
    _, _, table = hash_sources(_files(tmp_path), SourceLimits())

    def refuse(path: Path, root: Path) -> int:
        raise AssertionError(f"{path} was opened")

    monkeypatch.setattr(file_hashes, "open_regular", refuse)
    hashes, skipped, fresh = hash_sources(
        _files(tmp_path), SourceLimits(), known=_faked(_settled(table))
    )

    assert hashes == {"a.txt": FAKE} and skipped == []
    assert fresh is None  # nothing opened, nothing left: the table is not rewritten


def test_content_changed_under_forced_back_size_and_mtime_is_hashed(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Poutine à Pyongyang.", encoding="utf-8")
    _, _, table = hash_sources(_files(tmp_path), SourceLimits())
    before = os.stat(path)
    path.write_text("Poutine à Vientiane.", encoding="utf-8")  # same size in bytes
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ctime still moves

    hashes, _, fresh = hash_sources(_files(tmp_path), SourceLimits(), known=_settled(table))

    assert os.stat(path).st_size == before.st_size
    assert hashes == {"a.txt": _sha("Poutine à Vientiane.")}
    assert fresh is not None and fresh.files[os.path.abspath(path)][1] == hashes["a.txt"]


def test_file_written_just_before_its_hash_is_hashed_again(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Poutine à Pyongyang.", encoding="utf-8")
    _, _, table = hash_sources(_files(tmp_path), SourceLimits())
    assert table is not None

    # Same stat, but written less than RACY_NS before that run began: not trusted.
    hashes, _, _ = hash_sources(_files(tmp_path), SourceLimits(), known=_faked(table))

    assert hashes == {"a.txt": _sha("Poutine à Pyongyang.")}


def test_new_and_removed_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Un.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Deux.", encoding="utf-8")
    _, _, table = hash_sources(_files(tmp_path), SourceLimits())
    (tmp_path / "b.txt").unlink()
    (tmp_path / "c.txt").write_text("Trois.", encoding="utf-8")

    hashes, _, fresh = hash_sources(_files(tmp_path), SourceLimits(), known=_settled(table))

    assert hashes == {"a.txt": _sha("Un."), "c.txt": _sha("Trois.")}
    assert fresh is not None
    assert {Path(k).name for k in fresh.files} == {"a.txt", "c.txt"}


def test_links_and_capped_files_always_take_the_long_way(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("Un article sur Moscou.", encoding="utf-8")
    (source / "link.txt").symlink_to(source / "a.txt")
    (tmp_path / "secret.txt").write_text("DISCORD_TOKEN=x", encoding="utf-8")
    files = _files(source)
    _, _, table = hash_sources(files, SourceLimits())
    assert table is not None and set(table.files) == {os.path.abspath(source / "a.txt")}
    # A table that (wrongly) knew the link: it is opened anyway, and its new target,
    # outside the folder, is refused as always.
    link_key = os.path.abspath(source / "link.txt")
    known = _settled(table)
    known = replace(
        known, files={**known.files, link_key: (known.files[str(files[0].path)][0], FAKE)}
    )
    (source / "link.txt").unlink()
    (source / "link.txt").symlink_to(tmp_path / "secret.txt")

    hashes, skipped, _ = hash_sources(files, SourceLimits(max_file_bytes=10), known=_faked(known))

    assert hashes == {}  # a.txt is now over the cap: refused, not served from the table
    reasons = {s.origin: s.reason for s in skipped}
    assert "NEWSBOT_MAX_FILE_BYTES" in reasons["a.txt"]
    assert "outside the source folder" in reasons["link.txt"]


def test_table_round_trip(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Un.", encoding="utf-8")
    _, _, table = hash_sources(_files(tmp_path), SourceLimits())
    assert table is not None
    path = tmp_path / "index-file-hashes.json"

    write_known_hashes(path, table)

    assert read_known_hashes(path) == table


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"version": 1, "hashed_at_ns": 5, "files": {"/a": [1, 2, 3, 4, "x", FAKE]}}),
        json.dumps({"version": 1, "hashed_at_ns": 5, "files": {"/a": [1, 2, 3, 4, 5, "short"]}}),
        json.dumps({"version": 99, "hashed_at_ns": 5, "files": {}}),
        json.dumps([1, 2]),
    ],
)
def test_damaged_table_means_hash_everything(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "index-file-hashes.json"
    path.write_text(text, encoding="utf-8")

    with caplog.at_level(logging.INFO, logger="newsbot.index"):
        known = read_known_hashes(path)

    assert known == NO_HASHES
    assert len(caplog.records) == 1 and "hashing every file" in caplog.records[0].getMessage()


def test_missing_table_is_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="newsbot.index"):
        assert read_known_hashes(tmp_path / "none.json") == NO_HASHES
    assert len(caplog.records) == 1


def test_unreadable_file_is_skipped_with_its_reason(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")

    hashes, skipped, _ = hash_sources(_files(tmp_path), SourceLimits())

    assert hashes == {} and "FIFO" in skipped[0].reason
    with pytest.raises(UnreadableSource):
        file_hashes.hash_file(tmp_path / "pipe.txt", tmp_path)
