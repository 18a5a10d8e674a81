"""`newsbot index --source URL…`, `--watch`, and dates and outlets in `ask` and `search`."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "index" / "sources"))
from news_site import PARAGRAPHS, Route, Site, article_page, rss_feed

import bot.engine
import index.embed
from bot.cli import cli
from bot.watch import StopSignals
from index.embed import VectorEmbeddings

ROOT = Path(__file__).resolve().parents[2]
DATES = ["2024-06-15", "2024-06-16", "2024-06-17", "2024-06-18", "2024-06-19"]


pytestmark = pytest.mark.slow  # builds real indexes


def _patch(monkeypatch: pytest.MonkeyPatch, embedder: VectorEmbeddings) -> None:
    monkeypatch.setattr(index.embed, "load_embedder", lambda *a, **k: embedder)
    monkeypatch.setattr(bot.engine, "load_embedder", lambda *a, **k: embedder)
    for key, value in {
        "NEWSBOT_FETCH_TIMEOUT": "0.5",
        "NEWSBOT_FETCH_RETRIES": "1",
        "NEWSBOT_FETCH_BACKOFF": "0.001",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def fast_env(monkeypatch: pytest.MonkeyPatch, embedder: VectorEmbeddings) -> None:
    _patch(monkeypatch, embedder)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def dated_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed articles as one .jsonl with a date, an outlet and a URL each."""
    folder = tmp_path_factory.mktemp("dated")
    seeds = sorted((ROOT / "seeds").glob("0*.txt"))
    with (folder / "presse.jsonl").open("w", encoding="utf-8") as out:
        for n, path in enumerate(seeds):
            record = {
                "text": path.read_text(encoding="utf-8"),
                "date": DATES[n],
                "source": f"Journal {n}",
                "url": f"https://journal{n}.example/article",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder


@pytest.fixture(scope="module")
def _dated_index(
    dated_sources: Path, tmp_path_factory: pytest.TempPathFactory, embedder: VectorEmbeddings
) -> Path:
    index_dir = tmp_path_factory.mktemp("dated-index")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _patch(monkeypatch, embedder)
        result = run("index", "--source", str(dated_sources), "--index-dir", str(index_dir))
    assert result.exit_code == 0, result.output
    return index_dir


@pytest.fixture
def dated_index(fast_env: None, _dated_index: Path) -> Path:
    return _dated_index


def test_ask_json_citations_carry_date_and_outlet(dated_index: Path) -> None:
    result = run("ask", "--json", "--index-dir", str(dated_index), "Qui accompagne Poutine ?")
    answer = json.loads(result.stdout)
    citation = answer["citations"][0]
    assert citation["date"] in DATES and citation["outlet"].startswith("Journal ")
    assert {"n", "article_id", "source", "title", "snippet", "start", "end", "url"} <= set(citation)


def test_the_terminal_source_line_shows_outlet_and_date(dated_index: Path) -> None:
    result = run("ask", "--index-dir", str(dated_index), "Qui accompagne Poutine ?")
    assert any(
        line.startswith("[1] ") and " — Journal " in line and " juin 2024 — https://" in line
        for line in result.stdout.splitlines()
    ), result.stdout


def test_since_and_until_keep_only_articles_in_range(dated_index: Path) -> None:
    args = ["search", "--json", "-k", "5", "--index-dir", str(dated_index)]
    result = run(*args, "--since", "2024-06-18", "Poutine")
    dates = {json.loads(line)["date"] for line in result.stdout.splitlines()}
    assert dates and dates <= {"2024-06-18", "2024-06-19"}
    result = run(*args, "--since", "2024-06-16", "--until", "2024-06-16", "Poutine")
    assert {json.loads(line)["date"] for line in result.stdout.splitlines()} == {"2024-06-16"}
    later = run(
        "ask",
        "--json",
        "--index-dir",
        str(dated_index),
        "--since",
        "2030-01-01",
        "Qui accompagne Poutine ?",
    )
    answer = json.loads(later.stdout)
    assert answer["abstained"] and answer["citations"] == []
    bad = run("ask", "--index-dir", str(dated_index), "--since", "juin", "Qui ?")
    assert bad.exit_code == 2


def test_index_from_a_feed_a_page_and_a_feed_list(fast_env: None, tmp_path: Path) -> None:
    site = Site().start()
    try:
        items = []
        for n, city in enumerate(["Pyongyang", "Hanoï"]):
            paragraphs = [p.replace("Pyongyang", city) for p in PARAGRAPHS]
            site.routes[f"/a{n}"] = Route(article_page(f"À {city}", paragraphs).encode())
            items.append((site.url(f"/a{n}"), city, "Tue, 18 Jun 2024 07:00:00 GMT"))
        items.append((site.url("/gone"), "Disparu", "Tue, 18 Jun 2024 07:00:00 GMT"))
        site.routes["/rss"] = Route(rss_feed("Flux", items).encode(), content_type="text/xml")
        site.routes["/page"] = Route(
            article_page("Moscou", [p.replace("Pyongyang", "Moscou") for p in PARAGRAPHS]).encode()
        )
        listing = tmp_path / "flux.feeds"
        listing.write_text(f"# le flux\n{site.url('/rss')}\n{site.url('/page')}\n")
        args = ["index", "--index-dir", str(tmp_path / "index")]
        first = run(*args, "--source", site.url("/rss"), "--source", site.url("/page"))
        assert first.exit_code == 0, first.output
        assert f"newsbot: warning: skipped {site.url('/gone')}: HTTP 404" in first.stderr
        assert "3 added" in first.stdout and "1 skipped" in first.stdout
        again = run(*args, "--source", site.url("/rss"), "--source", site.url("/page"))
        assert "index up to date" in again.stdout and "1 skipped" in again.stdout
        assert (tmp_path / "index-http-cache").is_dir()
        listed = run(*args, "--source", str(listing))
        # From a .feeds list the page is not a feed: one more warning, and it is dropped.
        assert f"skipped {site.url('/page')}: not a feed (text/html)" in listed.stderr
        assert "2 skipped" in listed.stdout and "1 removed" in listed.stdout
    finally:
        site.stop()


def test_watch_reruns_until_asked_to_stop(
    fast_env: None, tmp_path: Path, seed_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([False, True])  # one wait that times out, then a stop
    monkeypatch.setattr(StopSignals, "wait", lambda self, seconds: next(answers))
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.txt").write_text((seed_dir / "000_42a09c5fa2a475f0.txt").read_text())
    result = run(
        "index",
        "--watch",
        "--every",
        "1s",
        "--source",
        str(one),
        "--index-dir",
        str(tmp_path / "index"),
    )
    assert result.exit_code == 0
    assert result.stdout.count("index ") == 2 and "index up to date" in result.stdout
    assert "stopped" in result.stderr


def test_a_sigterm_ends_the_wait_between_runs() -> None:
    with StopSignals() as stop:
        started = time.perf_counter()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(30) is True
        assert time.perf_counter() - started < 5
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(
        signal.getsignal(signal.SIGTERM)
    )


def test_every_must_be_a_duration(fast_env: None, tmp_path: Path) -> None:
    result = run("index", "--watch", "--every", "soon", "--index-dir", str(tmp_path / "i"))
    assert result.exit_code == 2 and "not a duration" in result.output
