"""`newsbot repl` and `newsbot ask` as users meet them: piped, and under a pseudo-terminal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_process import run_newsbot
from terminal_session import TerminalSession

ROOT = Path(__file__).resolve().parents[2]
NEAR_TOPIC = "Combien d'obus la Corée du Nord a-t-elle livrés à la Russie ?"

pytestmark = pytest.mark.slow


newsbot = run_newsbot


def test_sources_after_a_refusal_show_related_passages(seed_index_dir: Path) -> None:
    run = newsbot("repl", "--index-dir", str(seed_index_dir), stdin=f"{NEAR_TOPIC}\n:sources\n")
    assert run.returncode == 0, run.stderr
    assert "Je n'ai pas trouvé" in run.stdout
    assert "passages peut-être liés (ce ne sont pas des réponses)" in run.stdout
    assert "Pas encore de réponse" not in run.stdout


def test_a_failed_question_makes_repl_and_piped_ask_exit_non_zero(seed_index_dir: Path) -> None:
    lines = f"Qui accompagne Poutine ?\n{'a' * 2001}\n"
    for command in ("repl", "ask"):
        run = newsbot(command, "--index-dir", str(seed_index_dir), stdin=lines)
        assert run.returncode == 1, (command, run.stderr)
        assert "Lavrov" in run.stdout  # the good question was still answered
        assert run.stderr.startswith("newsbot: error: ") and run.stderr.count("\n") == 1


def test_a_refusal_is_no_failure(seed_index_dir: Path) -> None:
    run = newsbot("ask", "--index-dir", str(seed_index_dir), stdin=f"{NEAR_TOPIC}\n")
    assert run.returncode == 0 and "Je n'ai pas trouvé" in run.stdout


def test_repl_messages_follow_newsbot_language(seed_index_dir: Path) -> None:
    script = ":help\n:bogus\n:sources\n"
    french = newsbot("repl", "--index-dir", str(seed_index_dir), stdin=script)
    english = newsbot(
        "repl", "--index-dir", str(seed_index_dir), stdin=script, env={"NEWSBOT_LANGUAGE": "en"}
    )
    assert "Commande inconnue :bogus" in french.stdout and "Pas encore" in french.stdout
    assert "Unknown command :bogus" in english.stdout and "No answer yet" in english.stdout


def test_unquoted_question_words_are_one_question(seed_index_dir: Path) -> None:
    run = newsbot("ask", "--index-dir", str(seed_index_dir), "Qui", "accompagne", "Poutine", "?")
    assert run.returncode == 0, run.stderr
    assert "Lavrov" in run.stdout


def test_repl_on_a_terminal_keeps_history_in_the_user_data_folder(
    seed_index_dir: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    os.symlink(seed_index_dir, index)
    data = tmp_path / "data-home"
    session = TerminalSession("repl", "--index-dir", str(index), env={"XDG_DATA_HOME": str(data)})
    session.expect("posez une question")
    session.send("Qui accompagne Poutine ?\r")
    session.expect("Lavrov")
    session.send(":quit\r")
    session.expect("Au revoir")
    assert session.finish() == 0
    history = data / "newsbot" / "repl_history"
    assert "Qui accompagne Poutine ?" in history.read_text(encoding="utf-8")
    assert not (tmp_path / ".repl_history").exists()


def test_repl_history_file_can_be_set(seed_index_dir: Path, tmp_path: Path) -> None:
    chosen = tmp_path / "mine" / "history"
    session = TerminalSession(
        "repl", "--index-dir", str(seed_index_dir), env={"NEWSBOT_REPL_HISTORY": str(chosen)}
    )
    session.expect("posez une question")
    session.send(":help\r")
    session.expect(":sources")
    session.send(":quit\r")
    assert session.finish() == 0
    assert ":help" in chosen.read_text(encoding="utf-8")


def test_ask_without_a_question_on_a_terminal_says_it_reads_standard_input(
    seed_index_dir: Path,
) -> None:
    session = TerminalSession("ask", "--index-dir", str(seed_index_dir))
    session.expect("Lecture des questions sur l'entrée standard")
    session.send("Qui accompagne Poutine ?\r")
    session.expect("Lavrov")
    session.send("\x04")
    assert session.finish() == 0


def test_terminal_answers_wrap_to_the_width_and_print_each_quote_once(
    seed_index_dir: Path,
) -> None:
    session = TerminalSession(
        "ask", "--index-dir", str(seed_index_dir), "Qui accompagne Poutine ?", env={"COLUMNS": "50"}
    )
    assert session.finish() == 0
    screen = session.output.replace("\r\n", "\n")
    assert screen.count("Belooussov") == 1
    text_lines = [line for line in screen.splitlines() if line.strip()]
    assert all(len(line) <= 50 for line in text_lines if "\x1b" not in line)
    assert "\x1b[" in screen  # colours on a terminal...
    plain = TerminalSession(
        "ask", "--index-dir", str(seed_index_dir), "Qui accompagne Poutine ?", env={"NO_COLOR": "1"}
    )
    assert plain.finish() == 0
    assert "\x1b[" not in plain.output  # ... unless NO_COLOR is set
