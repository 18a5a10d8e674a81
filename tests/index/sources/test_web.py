"""The fetcher against a local site: politeness, every failure mode, the page cache."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from news_site import Route, Site

from index.sources.web import (
    USER_AGENT,
    Fetcher,
    FetchError,
    FetchPolicy,
    Page,
    PageCache,
    page_text,
    retry_after_seconds,
)

FAST = FetchPolicy(timeout=0.3, retries=2, backoff=0.001, max_bytes=50_000, max_redirects=3)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def fetcher(tmp_path: Path, waits: list[float]):
    with Fetcher(FAST, PageCache(tmp_path / "cache"), sleep=waits.append) as f:
        yield f


def test_a_page_is_fetched_with_a_user_agent_naming_newsbot(site: Site, fetcher) -> None:
    site.routes["/a"] = Route(b"<p>bonjour</p>")
    page = fetcher.fetch(site.url("/a"))
    assert page.body == b"<p>bonjour</p>"
    assert page.content_type == "text/html" and page.charset == "utf-8"
    assert site.hits("/a")[0].headers["User-Agent"] == USER_AGENT
    assert "newsbot" in USER_AGENT


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(status=404), "HTTP 404"),
        (Route(status=403), "HTTP 403"),
        (Route(status=500), "HTTP 500 after 3 attempts"),
    ],
)
def test_http_errors_are_one_reason(site: Site, fetcher, route: Route, reason: str) -> None:
    site.routes["/x"] = route
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(site.url("/x"))
    assert caught.value.reason == reason


def test_5xx_and_429_are_retried_with_backoff_honouring_retry_after(
    site: Site, fetcher, waits: list[float]
) -> None:
    site.routes["/busy"] = Route(b"ok", first=[503, 429], headers={"Retry-After": "0"})
    assert fetcher.fetch(site.url("/busy")).body == b"ok"
    assert len(site.hits("/busy")) == 3
    assert waits == [0.0, 0.0]  # Retry-After: 0 said so, both times
    site.routes["/later"] = Route(b"ok", first=[429])
    site.routes["/later"].headers = {}
    fetcher.fetch(site.url("/later"))
    assert waits[-1] == pytest.approx(FAST.backoff)  # no Retry-After: the backoff


def test_a_retry_after_longer_than_the_cap_gives_up(site: Site, tmp_path: Path) -> None:
    site.routes["/slow-down"] = Route(status=429, headers={"Retry-After": "3600"})
    with Fetcher(FAST, sleep=lambda s: None) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(site.url("/slow-down"))
    assert caught.value.reason == "HTTP 429 after 1 attempts"


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None


def test_a_slow_endpoint_times_out(site: Site, fetcher) -> None:
    site.routes["/slow"] = Route(b"late", delay=0.6)
    with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
        fetcher.fetch(site.url("/slow"))


def test_connection_refused(fetcher) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(FetchError, match="cannot connect"):
        fetcher.fetch(f"http://127.0.0.1:{port}/")


def test_dns_failure(fetcher) -> None:
    # .invalid never resolves (RFC 2606): no query leaves the machine with an answer.
    with pytest.raises(FetchError, match="cannot connect"):
        fetcher.fetch("http://newsbot-test.invalid/feed.xml")


def test_a_host_that_cannot_be_reached_is_not_tried_again_in_the_run(fetcher) -> None:
    with pytest.raises(FetchError):
        fetcher.fetch("http://newsbot-test.invalid/a")
    with pytest.raises(FetchError, match="cannot connect"):
        fetcher.fetch("http://newsbot-test.invalid/b")


def test_redirects_are_followed_up_to_the_limit(site: Site, fetcher) -> None:
    site.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    site.routes["/new"] = Route(b"moved")
    page = fetcher.fetch(site.url("/old"))
    assert page.final_url == site.url("/new") and page.body == b"moved"
    site.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="redirect loop"):
        fetcher.fetch(site.url("/loop"))


def test_an_oversize_page_is_refused_with_or_without_content_length(site: Site, fetcher) -> None:
    site.routes["/big"] = Route(b"x" * 60_000)
    with pytest.raises(FetchError, match="over the 50,000-byte cap"):
        fetcher.fetch(site.url("/big"))

    def chunked(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b"y" * 1000)

    site.routes["/stream"] = Route(handler=chunked)
    with pytest.raises(FetchError, match="over the 50,000-byte cap"):
        fetcher.fetch(site.url("/stream"))


def test_conditional_requests_cost_nothing_when_unchanged(site: Site, tmp_path: Path) -> None:
    site.routes["/p"] = Route(b"<p>v1</p>", etag='"v1"')
    cache = PageCache(tmp_path / "cache")
    with Fetcher(FAST, cache) as fetcher:
        first = fetcher.fetch(site.url("/p"))
    with Fetcher(FAST, cache) as fetcher:
        again = fetcher.fetch(site.url("/p"))
    assert site.hits("/p")[1].headers["If-None-Match"] == '"v1"'
    assert again.cached and again.body == first.body and again.problem is None


def test_last_modified_is_sent_back(site: Site, tmp_path: Path) -> None:
    site.routes["/lm"] = Route(b"x", headers={"Last-Modified": "Tue, 18 Jun 2024 08:00:00 GMT"})
    cache = PageCache(tmp_path / "cache")
    for _ in range(2):
        with Fetcher(FAST, cache) as fetcher:
            fetcher.fetch(site.url("/lm"))
    assert site.hits("/lm")[1].headers["If-Modified-Since"] == "Tue, 18 Jun 2024 08:00:00 GMT"


def test_a_failed_fetch_falls_back_to_the_cached_copy(site: Site, tmp_path: Path) -> None:
    cache = PageCache(tmp_path / "cache")
    site.routes["/p"] = Route(b"<p>kept</p>")
    with Fetcher(FAST, cache) as fetcher:
        fetcher.fetch(site.url("/p"))
    site.routes["/p"] = Route(status=404)
    with Fetcher(FAST, cache) as fetcher:
        page = fetcher.fetch(site.url("/p"))
    assert page.body == b"<p>kept</p>" and page.problem == "HTTP 404"


def test_requests_to_one_host_are_bounded(site: Site) -> None:
    for n in range(6):
        site.routes[f"/p{n}"] = Route(b"x", delay=0.1)
    policy = FetchPolicy(per_host=2, workers=6)
    with Fetcher(policy) as fetcher:
        results = fetcher.fetch_many(site.url(f"/p{n}") for n in range(6))
    assert all(isinstance(r, Page) for r in results.values())
    assert site.max_in_flight == 2


def test_the_fetcher_is_usable_from_threads(site: Site) -> None:
    site.routes["/t"] = Route(b"x")
    errors: list[Exception] = []
    with Fetcher(FAST) as fetcher:

        def work() -> None:
            try:
                fetcher.fetch(site.url("/t"))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors


def _page(body: bytes, charset: str | None) -> Page:
    return Page("http://h/", "http://h/", "text/html", charset, body, "2024-06-18T00:00:00+00:00")


def test_page_text_follows_the_declared_charset_else_detects_it() -> None:
    latin = "<p>Le président a été reçu à l'Élysée.</p>".encode("latin-1")
    assert page_text(_page(latin, "iso-8859-1")) == (latin.decode("latin-1"), None)
    meta = b'<meta charset="windows-1252">' + latin
    assert page_text(_page(meta, None))[0].endswith("reçu à l'Élysée.</p>")
    assert "été" in page_text(_page(latin, None))[0]  # undeclared: detected
    text, problem = page_text(_page(latin, "utf-8"))  # declared wrongly
    assert "été" in text and problem is not None and "utf-8" in problem


def test_page_text_refuses_binary() -> None:
    with pytest.raises(FetchError, match="not readable text"):
        page_text(_page(b"\x00\x01\x02" * 100, None))


def test_a_host_whose_pages_keep_timing_out_is_given_up_for_the_run(site: Site) -> None:
    for n in range(5):
        site.routes[f"/slow{n}"] = Route(b"late", delay=0.5)
    with Fetcher(FetchPolicy(timeout=0.1, retries=0)) as fetcher:
        for n in range(5):
            with pytest.raises(FetchError, match="timed out"):
                fetcher.fetch(site.url(f"/slow{n}"))
    assert len(site.requests) == 3  # the last two were not sent
