"""The CLI over the PostgreSQL store: `newsbot index` then `newsbot ask --json` with
`--database-url` answer as the FAISS folder does, and bad databases are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.cli_process import run_newsbot
from tests.pg_server import PgServer

QUESTIONS = "\n".join(
    [
        "Qui accompagne Poutine ?",
        "Quand Kim a-t-il invité Poutine ?",
        "Who did Putin meet in Pyongyang?",
        "Combien coûte un billet pour Mars ?",
    ]
)


def answers(output: str) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in output.splitlines() if line.strip()]
    for row in rows:
        row.pop("confidence")  # compared apart: floats
    return rows


@pytest.mark.slow
def test_index_then_ask_with_a_database_answers_as_the_folder(
    database_url: str, seed_index_dir: Path
) -> None:
    built = run_newsbot("index", "--database-url", database_url)
    assert built.returncode == 0, built.stderr
    assert "index built at postgresql://postgres@127.0.0.1" in built.stdout
    assert "5 added" in built.stdout
    assert "@127.0.0.1" in built.stdout and database_url.split(":")[2] not in built.stdout
    ours = run_newsbot("ask", "--json", "--database-url", database_url, stdin=QUESTIONS)
    theirs = run_newsbot("ask", "--json", "--index-dir", str(seed_index_dir), stdin=QUESTIONS)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert answers(ours.stdout) == answers(theirs.stdout)
    assert len(answers(ours.stdout)) == 4
    again = run_newsbot("index", env={"NEWSBOT_DATABASE_URL": database_url})
    assert again.returncode == 0 and "index up to date at postgresql://" in again.stdout


@pytest.mark.parametrize(
    ("command", "url", "message"),
    [
        (
            ["ask", "Qui ?"],
            "postgresql://newsbot:pw@127.0.0.1:1/news",
            "cannot reach PostgreSQL at postgresql://newsbot@127.0.0.1:1/news",
        ),
        (["index"], "wrong-password", "refused the credentials"),
        (["search", "Poutine"], "empty", "no index in the database"),
        (["ask", "Qui ?"], "mysql://x@y/z", "NEWSBOT_DATABASE_URL must be a postgresql://"),
    ],
)
def test_a_bad_database_is_one_line_and_exit_1(
    command: list[str], url: str, message: str, pg_server: PgServer, database_url: str
) -> None:
    url = {"wrong-password": pg_server.url(password="nope"), "empty": database_url}.get(url, url)
    done = run_newsbot(*command, "--database-url", url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsbot: error: "), done.stderr
    assert message in lines[0] and "nope" not in lines[0]
