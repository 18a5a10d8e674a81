"""The feedback log: one durable JSON line per click, with pseudonymous users."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ROOT, cited_answer

from bot.feedback import (
    FeedbackKind,
    FeedbackLog,
    FeedbackRecord,
    FeedbackSaltError,
    hash_user_id,
    make_feedback_record,
    read_feedback,
)
from bot.models import Answer

NOW = datetime(2024, 6, 19, 8, 30, tzinfo=UTC)
USER_ID = 123456789012345678


def record_for(
    log: FeedbackLog, kind: FeedbackKind = "up", user_id: int = USER_ID
) -> FeedbackRecord:
    return make_feedback_record(
        kind=kind,
        answer=cited_answer("Qui va en Corée du Nord ?"),
        answer_id="0123456789abcdef",
        user_hash=log.user_hash(user_id),
        now=NOW,
    )


def test_each_click_appends_one_complete_line(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "data" / "feedback.jsonl")
    log.append(record_for(log, "up"))
    log.append(record_for(log, "bad_source"))

    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["kind"] == "up"
    assert first["time"] == "2024-06-19T08:30:00+00:00"
    assert first["question"] == "Qui va en Corée du Nord ?"
    assert first["answer"].endswith("[2]")
    assert first["answer_id"] == "0123456789abcdef"
    assert [c["n"] for c in first["citations"]] == [1, 2]
    assert first["citations"][0]["url"].startswith("https://")
    assert json.loads(lines[1])["kind"] == "bad_source"
    assert read_feedback(log.path) == [first, json.loads(lines[1])]


def test_user_ids_are_hashed_with_a_persistent_secret_salt(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    log = FeedbackLog(path)
    log.append(record_for(log))
    text = path.read_text(encoding="utf-8")
    assert str(USER_ID) not in text
    # A plain, unsalted hash of the public id cannot be matched against the log.
    assert hash_user_id(USER_ID, b"") not in text

    again = FeedbackLog(path)  # e.g. after a restart
    assert again.user_hash(USER_ID) == log.user_hash(USER_ID)
    assert again.user_hash(USER_ID + 1) != log.user_hash(USER_ID)
    salt = path.with_name("feedback.jsonl.salt")
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_append_fsyncs_the_line_and_the_new_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    record = record_for(log)
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if Path("/proc/self/fd").exists() else "?")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    log.append(record)
    log.append(record)
    file_syncs = [p for p in synced if p.endswith("feedback.jsonl")]
    folder_syncs = [p for p in synced if p == str(tmp_path)]
    assert len(file_syncs) == 2
    assert len(folder_syncs) == 1  # only when the file was created


def test_a_crash_right_after_append_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    script = f"""
import os, sys
from datetime import UTC, datetime
sys.path.insert(0, {str(ROOT / "tests" / "bot")!r})
from conftest import cited_answer
from bot.feedback import FeedbackLog, make_feedback_record
log = FeedbackLog(__import__("pathlib").Path({str(path)!r}))
for kind in ("up", "down"):
    log.append(make_feedback_record(kind=kind, answer=cited_answer("q"), answer_id="k",
                                    user_hash=log.user_hash(1), now=datetime.now(UTC)))
os._exit(3)  # no interpreter shutdown, no buffer flushing: like a kill -9
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 3, done.stderr.decode()
    assert [r["kind"] for r in read_feedback(path)] == ["up", "down"]


def test_concurrent_clicks_never_interleave(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    record = record_for(log)

    def click() -> None:
        for _ in range(25):
            log.append(record)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    records = read_feedback(log.path)
    assert len(records) == 200
    assert all(r == records[0] for r in records)


def test_abstentions_log_the_related_passages(tmp_path: Path) -> None:
    base = cited_answer("q")
    abstention = Answer(
        question="q",
        text="Je ne sais pas.",
        abstained=True,
        mode="extractive",
        language="fr",
        related=base.citations[:1],
    )
    record = make_feedback_record(
        kind="down", answer=abstention, answer_id="k", user_hash="u", now=NOW
    )
    assert record.abstained is True
    assert [c["n"] for c in record.citations] == [1]


def test_processes_racing_to_create_the_salt_all_get_the_same_one(tmp_path: Path) -> None:
    # Separate FeedbackLog objects share no lock, exactly like separate processes.
    for round_ in range(40):
        path = tmp_path / f"round-{round_}" / "feedback.jsonl"
        start = threading.Barrier(8)
        hashes: list[str] = []
        errors: list[BaseException] = []

        def click(
            path: Path = path,
            start: threading.Barrier = start,
            hashes: list[str] = hashes,
            errors: list[BaseException] = errors,
        ) -> None:
            log = FeedbackLog(path)
            start.wait()
            try:
                hashes.append(log.user_hash(USER_ID))
                log.append(record_for(log))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=click) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == [], f"round {round_}"
        assert len(set(hashes)) == 1 and len(read_feedback(path)) == 8, f"round {round_}"
        assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("content", ["not-hex", "", "ab" * 31, "zz" * 32])
def test_an_unusable_salt_is_one_clear_error_and_never_replaced(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "feedback.jsonl"
    salt = path.with_name("feedback.jsonl.salt")
    salt.write_text(content, encoding="utf-8")

    with pytest.raises(FeedbackSaltError) as caught:
        FeedbackLog(path).user_hash(USER_ID)

    assert "\n" not in str(caught.value) and "64 hex digits" in str(caught.value)
    assert salt.read_text(encoding="utf-8") == content  # pseudonyms are not silently reset
