"""`newsbot index` through click's runner: what it names, how it counts, its progress."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import index.embed
from bot.cli import cli
from bot.progress import BuildProgress, format_eta
from index.embed import VectorEmbeddings


@pytest.fixture
def run_index(monkeypatch: pytest.MonkeyPatch, embedder: VectorEmbeddings):
    """`newsbot index ARGS` with the session's embedder, loaded in a tenth of a second."""

    def slow_load(*_: object, **__: object) -> VectorEmbeddings:
        time.sleep(0.3)
        return embedder

    monkeypatch.setattr(index.embed, "load_embedder", slow_load)

    def run(*args: str):
        return CliRunner().invoke(cli, ["index", *args], catch_exceptions=False)

    return run


def sources_with_bad_items(tmp_path: Path, seed_dir: Path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(seed_dir, folder)
    good = {"text": (seed_dir / "000_42a09c5fa2a475f0.txt").read_text(encoding="utf-8")}
    (folder / "feed.jsonl").write_text(json.dumps(good) + '\n{"text": "coupé\n', encoding="utf-8")
    (folder / "rapport.odt").write_bytes(b"PK\x03\x04 ...")
    (folder / "note.docx").write_bytes(b"PK\x03\x04")
    return folder


def test_every_skipped_item_is_named_on_every_run(
    run_index, tmp_path: Path, seed_dir: Path
) -> None:
    folder = sources_with_bad_items(tmp_path, seed_dir)
    for attempt in ("first build", "unchanged re-run"):
        result = run_index("--source", str(folder), "--index-dir", str(tmp_path / "index"))
        assert result.exit_code == 0, attempt
        warnings = [line for line in result.stderr.splitlines() if "warning" in line]
        assert warnings == [
            "newsbot: warning: skipped feed.jsonl#L2: invalid JSON: unterminated string "
            "starting at column 10",
            "newsbot: warning: skipped note.docx: unsupported file type .docx",
            "newsbot: warning: skipped rapport.odt: unsupported file type .odt",
        ], attempt
        assert "3 skipped" in result.stdout, attempt


def test_the_summary_counts_in_words_and_reports_the_real_time(
    run_index, tmp_path: Path, seed_dir: Path
) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(seed_dir / "000_42a09c5fa2a475f0.txt", folder)
    built = run_index("--source", str(folder), "--index-dir", str(tmp_path / "i"))
    assert "; 1 article, " in built.stdout and "1 articles" not in built.stdout
    again = run_index("--source", str(folder), "--index-dir", str(tmp_path / "i"))
    assert "up to date" in again.stdout
    seconds = float(re.search(r"in (\d+\.\d) s", again.stdout).group(1))  # type: ignore[union-attr]
    assert seconds >= 0.3  # the model load counts: it is part of what the user waited


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_names_each_stage_and_counts_from_its_start() -> None:
    screen = Terminal()
    progress = BuildProgress(screen)
    progress("loading the embedding model", 0, 1)
    assert "loading the embedding model" in screen.getvalue()  # shown from the first second
    progress("embedding passages", 0, 105)
    progress("embedding passages", 64, 105)
    bar = progress._bar
    assert bar.desc == "embedding passages" and bar.n == 64 and bar.total == 105
    assert bar.format_dict["rate"] is None or bar.format_dict["rate"] < 1e6
    progress("embedding words", 0, 536)
    assert progress._bar is bar and bar.n == 0 and bar.total == 536  # one display
    progress.close()
    assert "embedding words" in screen.getvalue()


def test_log_records_during_a_build_never_break_the_bar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.console import setup_logging
    from bot.progress import build_progress

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    setup_logging(verbose=False)
    with build_progress() as progress:
        progress._stream, progress._terminal = screen, True
        progress("embedding passages", 10, 100)
        logging.getLogger("newsbot.index").warning("something to say")
    lines = screen.getvalue().replace("\r", "\n").splitlines()
    assert "newsbot: warning: something to say" in lines  # a line of its own


def test_without_a_terminal_each_stage_is_logged_with_the_time_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="newsbot.index")
    now = [100.0]
    progress = BuildProgress(io.StringIO(), clock=lambda: now[0])
    for done, at in ((0, 100.0), (64, 132.0), (105, 150.0)):
        now[0] = at
        progress("embedding passages", done, 105)
    # 64 in 32 s: the 41 left take about 20 s more at that rate.
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "embedding passages…",
        "embedding passages: 64/105, about 20 s left",
        "embedding passages: 105/105",
    ]


def test_the_time_left_counts_from_the_stage_start(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="newsbot.index")
    now = [0.0]
    progress = BuildProgress(io.StringIO(), clock=lambda: now[0])
    progress("reading articles", 500, 500)
    now[0] = 1000.0  # a long first stage must not slow the next one's estimate
    progress("embedding words", 0, 4000)
    now[0] = 1010.0
    progress("embedding words", 1000, 4000)
    assert caplog.records[-1].getMessage() == "embedding words: 1000/4000, about 30 s left"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.2, "0 s"), (8.4, "8 s"), (59.6, "1 min 00 s"), (200, "3 min 20 s"), (3900, "1 h 05 min")],
)
def test_format_eta(seconds: float, shown: str) -> None:
    assert format_eta(seconds) == shown


def test_on_a_terminal_the_bar_shows_the_time_left() -> None:
    screen = Terminal()
    progress = BuildProgress(screen)
    progress("embedding passages", 0, 100)
    progress("embedding passages", 50, 100)
    progress._bar.refresh()
    # tqdm's "[elapsed<remaining, rate]": the remaining time follows the "<".
    assert re.search(r"\[\d\d:\d\d<(\d\d:\d\d|\?)", screen.getvalue().replace("\r", "\n"))
    progress.close()


@pytest.mark.slow
def test_on_a_terminal_one_bar_shows_each_stage_and_warnings_get_their_own_line(
    tmp_path: Path, seed_dir: Path
) -> None:
    from terminal_session import TerminalSession

    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(seed_dir / "000_42a09c5fa2a475f0.txt", folder)
    (folder / "scan.odt").write_bytes(b"PK")
    session = TerminalSession("index", "--index-dir", str(tmp_path / "i"), "--source", str(folder))
    assert session.finish(timeout=300) == 0
    frames = session.output.replace("\r\n", "\n").replace("\r", "\n").splitlines()
    for stage in ("loading the embedding model", "embedding passages", "embedding words"):
        assert any(frame.startswith(f"{stage}:") for frame in frames), stage
    done = next(f for f in frames if f.startswith("embedding passages: 100%"))
    rate = float(re.search(r"([\d.]+) passages/s", done).group(1))  # type: ignore[union-attr]
    assert rate < 10_000  # counted from the stage's start, not from the last frame
    assert "newsbot: warning: skipped scan.odt: unsupported file type .odt" in frames
