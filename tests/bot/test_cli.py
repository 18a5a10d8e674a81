"""The `newsbot` command line, run as a user runs it (a real subprocess, a real index)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_process import run_newsbot

ROOT = Path(__file__).resolve().parents[2]


def newsbot(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_newsbot(*args, stdin=stdin, env=env)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "index"
    first = newsbot("index", "--index-dir", str(path))
    assert first.returncode == 0, first.stderr
    assert "5 added" in first.stdout and "5 articles" in first.stdout
    return path


def test_unchanged_reindex_is_up_to_date(index_dir: Path) -> None:
    again = newsbot("index", "--index-dir", str(index_dir))
    assert again.returncode == 0
    assert "up to date" in again.stdout and "0 embedded" in again.stdout


def test_env_var_sets_the_index_dir_and_the_flag_overrides_it(index_dir: Path) -> None:
    via_env = newsbot("search", "Lavrov", "-k", "1", env={"NEWSBOT_INDEX_DIR": str(index_dir)})
    assert via_env.returncode == 0 and "Lavrov" in via_env.stdout
    override = newsbot(
        "search",
        "Lavrov",
        "--index-dir",
        str(index_dir / "nope"),
        env={"NEWSBOT_INDEX_DIR": str(index_dir)},
    )
    assert override.returncode == 1
    assert override.stderr.strip().startswith("newsbot: error: no index at")
    assert "Traceback" not in override.stderr


def test_ask_json_has_the_stable_shape(index_dir: Path) -> None:
    run = newsbot("ask", "--json", "--index-dir", str(index_dir), "Qui accompagne Poutine ?")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert {"question", "answer", "abstained", "mode", "citations"} <= answer.keys()
    assert answer["mode"] == "extractive" and answer["abstained"] is False
    assert {"n", "source", "title", "snippet"} <= answer["citations"][0].keys()
    assert "Lavrov" in answer["answer"]


def test_ask_reads_questions_from_stdin_one_per_line(index_dir: Path) -> None:
    questions = "Qui accompagne Poutine ?\n\nQuelle est la capitale de l'Australie ?\n   \n"
    run = newsbot("ask", "--json", "--index-dir", str(index_dir), stdin=questions)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["abstained"] for line in lines] == [False, True]


def test_search_json_carries_both_retrievers_scores(index_dir: Path) -> None:
    run = newsbot("search", "--json", "-k", "3", "--index-dir", str(index_dir), "Belooussov")
    hits = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(hits) == 3
    top = hits[0]
    assert "Belooussov" in top["text"]
    assert top["lexical_rank"] == 1 and top["dense_rank"] is not None


@pytest.mark.parametrize("question", ["", "   ", "a" * 2001, "<@1> <@&2> @everyone ** __"])
def test_bad_questions_get_one_line_and_no_traceback(index_dir: Path, question: str) -> None:
    run = newsbot("ask", "--index-dir", str(index_dir), question)
    assert run.returncode == 1
    assert run.stderr.startswith("newsbot: error: ") and run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_corrupt_index_gives_one_line(tmp_path: Path, index_dir: Path) -> None:
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-r", str(index_dir), str(broken)], check=True)
    build = next((broken / "builds").iterdir())
    (build / "dense.faiss").write_bytes(b"garbage")
    run = newsbot("ask", "--index-dir", str(broken), "Qui accompagne Poutine ?")
    assert run.returncode == 1
    assert "truncated" in run.stderr and "newsbot index --rebuild" in run.stderr
    assert "Traceback" not in run.stderr


def test_repl_piped_answers_and_commands(index_dir: Path) -> None:
    script = "Qui accompagne Poutine ?\n:sources\n:help\n:bogus\n:quit\nnever asked\n"
    run = newsbot("repl", "--index-dir", str(index_dir), stdin=script)
    assert run.returncode == 0, run.stderr
    assert "Lavrov" in run.stdout
    assert "Poutine sera accompagné" in run.stdout  # the full passage from :sources
    assert ":sources" in run.stdout  # help text
    assert "Commande inconnue :bogus" in run.stdout
    assert "never asked" not in run.stdout
    assert "\x1b[" not in run.stdout  # no colours when not on a terminal


def test_missing_source_folder(tmp_path: Path) -> None:
    run = newsbot("index", "--index-dir", str(tmp_path / "i"), "--source", str(tmp_path / "no"))
    assert run.returncode == 1
    assert run.stderr.startswith("newsbot: error: ") and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("NEWSBOT_CHUNK_SIZE", "abc"), ("NEWSBOT_CHUNK_SIZE", "10"), ("NEWSBOT_TOP_K", "0")],
)
def test_bad_settings_are_one_line(tmp_path: Path, name: str, value: str) -> None:
    run = newsbot("index", "--index-dir", str(tmp_path / "i"), env={name: value})
    assert run.returncode == 1
    assert run.stderr.startswith(f"newsbot: error: {name}") and run.stderr.count("\n") == 1


def test_undecodable_stdin_line_is_answered_and_the_batch_goes_on(index_dir: Path) -> None:
    lines = b"Qui accompagne Poutine ?\n\xff\xfe Poutine \xc3 ?\nQui est Lavrov ?\n"
    run = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--index-dir", str(index_dir)],
        input=lines,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    stderr = run.stderr.decode()
    assert run.returncode == 1
    assert "Traceback" not in stderr
    assert "line 2: bytes that are not UTF-8 replaced" in stderr
    answers = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert len(answers) == 3 and answers[1]["question"].startswith("\ufffd")


def test_undecodable_argv_question_gets_an_answer_not_a_traceback(index_dir: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "ask",
            "--index-dir",
            str(index_dir),
            b"Qui \xff accompagne Poutine ?",
        ],
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 1
    assert b"Traceback" not in run.stderr
    assert "Lavrov" in run.stdout.decode()
