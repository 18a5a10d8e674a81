"""What under `--source` may be read: links out of the folder, special files, size caps."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import pytest

from index.file_hashes import LocalFile
from index.file_hashes import hash_sources as _hash_files
from index.load import read_source_file, read_source_folder
from index.source_files import SourceLimits, UnreadableSource, drop_long_words

SECRET = "DISCORD_TOKEN=super-secret-token-value\n"


def _run_with_deadline(target, seconds: float = 10.0) -> object:
    """Run `target()` in a thread; fail instead of hanging the suite if it blocks."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(target()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "reading the source folder hung"
    return result[0]


def _hash_sources(root: Path, paths: list[Path], limits: SourceLimits):
    files = [LocalFile(root, p, p.relative_to(root).as_posix()) for p in paths]
    return _hash_files(files, limits)[:2]


def test_symlink_to_a_file_outside_the_folder_is_skipped(tmp_path: Path) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text(SECRET, encoding="utf-8")
    source = tmp_path / "src"
    source.mkdir()
    (source / "article.txt").write_text("Un article. Il parle de Poutine.", encoding="utf-8")
    (source / "config.txt").symlink_to(secret)

    result = read_source_folder(source)
    hashes, skipped = _hash_sources(source, sorted(source.iterdir()), SourceLimits())

    assert all("super-secret" not in d.text for d in result.documents)
    assert [s.origin for s in result.skipped] == ["config.txt"]
    assert "outside the source folder" in result.skipped[0].reason
    assert "config.txt" not in hashes and [s.origin for s in skipped] == ["config.txt"]


def test_symlink_inside_the_folder_is_followed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Un article sur Pyongyang.", encoding="utf-8")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")

    assert read_source_file(tmp_path / "b.txt", tmp_path).documents[0].text.startswith("Un")


def test_fifo_and_devices_are_skipped_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "ok.txt").write_text("Un article sur Moscou.", encoding="utf-8")
    paths = sorted(tmp_path.iterdir())

    result = _run_with_deadline(lambda: read_source_folder(tmp_path))
    hashed = _run_with_deadline(lambda: _hash_sources(tmp_path, paths, SourceLimits()))

    reasons = {s.origin: s.reason for s in result.skipped}  # type: ignore[attr-defined]
    assert set(reasons) == {"pipe.txt", "zero.txt"}
    assert "FIFO" in reasons["pipe.txt"]
    assert "outside the source folder" in reasons["zero.txt"]
    assert set(hashed[0]) == {"ok.txt"}  # type: ignore[index]


def test_file_over_the_size_cap_is_skipped_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("mot " * 1000, encoding="utf-8")
    limits = SourceLimits(max_file_bytes=1000)

    with pytest.raises(UnreadableSource, match="NEWSBOT_MAX_FILE_BYTES"):
        read_source_file(path, tmp_path, limits)
    _, skipped = _hash_sources(tmp_path, [path], limits)
    assert "NEWSBOT_MAX_FILE_BYTES" in skipped[0].reason


def test_large_jsonl_is_streamed_and_long_lines_are_skipped(tmp_path: Path) -> None:
    good = json.dumps({"text": "Poutine arrive à Pyongyang. " * 20})
    huge = json.dumps({"text": "long " * 5000})
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join([good, huge, good]) + "\n", encoding="utf-8")
    # The file is over the byte cap, so it is read line by line instead of whole.
    limits = SourceLimits(max_file_bytes=1000, max_line_chars=5000)

    result = read_source_file(path, tmp_path, limits)

    assert [d.line for d in result.documents] == [1, 3]
    assert [s.origin for s in result.skipped] == ["feed.jsonl#L2"]
    assert "NEWSBOT_MAX_LINE_CHARS" in result.skipped[0].reason


def test_long_line_is_skipped_in_a_small_jsonl_too(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": "x " * 3000}) + "\n", encoding="utf-8")

    result = read_source_file(path, tmp_path, SourceLimits(max_line_chars=1000))

    assert result.documents == () and result.skipped[0].origin == "feed.jsonl#L1"


def test_over_long_words_are_removed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Poutine arrive. " + "A" * 5000 + " Kim l'accueille.", encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="newsbot.index"):
        result = read_source_file(path, tmp_path, SourceLimits(max_word_chars=100))

    assert result.documents[0].text == "Poutine arrive. … Kim l'accueille."
    assert "a.txt: removed 1 words over 100 characters" in caplog.text


def test_drop_long_words_keeps_normal_text() -> None:
    text = "Le « partenariat stratégique global » https://example.org/a/b"
    assert drop_long_words(text, 500) == (text, 0)


def test_lone_surrogate_line_is_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [json.dumps({"text": "Bon article."}), '{"text": "Mauvais \\ud800 article."}']
    path.write_text("\n".join(lines), encoding="utf-8")

    result = read_source_folder(tmp_path)

    assert [d.line for d in result.documents] == [1]
    assert result.skipped[0].origin == "feed.jsonl#L2"
    assert "surrogate" in result.skipped[0].reason
