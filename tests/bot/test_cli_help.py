"""Every `--help` is complete, and the README's command table matches it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import cli

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = sorted(cli.commands)


def help_of(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0
    return result.output


def test_the_command_list_is_not_cut_short() -> None:
    # The real entry point on an 80-column terminal (the runner's forced width is wider).
    run = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "80"},
        timeout=60,
    )
    listed = run.stdout.split("Commands:")[1]
    assert "..." not in listed and "…" not in listed
    for name in COMMANDS:
        short = cli.commands[name].get_short_help_str(limit=1000)
        assert short in " ".join(listed.split()), name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_says_what_it_does_and_its_default(name: str) -> None:
    text = " ".join(help_of(name).split())
    for param in cli.commands[name].params:
        if not isinstance(param, click.Option):
            continue
        assert param.help, (name, param.name)
        if param.default is not None and not param.is_flag:
            assert "default" in text.split(param.opts[-1], 1)[1][:200], (name, param.name)
        elif param.default is None and not param.is_flag:
            assert "(default" in (param.help or ""), (name, param.name)


def readme_rows() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `newsbot (\w+)(.*?)` \| ", readme, re.M)
    return {name: options for name, options in rows}


def test_the_readme_table_lists_every_command_and_option() -> None:
    rows = readme_rows()
    assert sorted(rows) == COMMANDS
    for name, options in rows.items():
        for param in cli.commands[name].params:
            said_once = ("index_dir", "database_url")  # in the paragraph above the table
            if isinstance(param, click.Option) and param.name not in said_once:
                assert any(opt in options for opt in param.opts), (name, param.opts)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`-v`" in readme and "`--index-dir DIR`" in readme
    assert "`--database-url URL`" in readme
