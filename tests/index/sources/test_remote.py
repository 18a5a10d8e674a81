"""Feeds and pages from the local site as documents: metadata trust order, failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from news_site import PARAGRAPHS, Route, Site, article_page, atom_feed, rss_feed

from index.errors import SourceFolderError
from index.sources.remote import RemoteSource, digest_documents, plan_sources, read_remote
from index.sources.web import Fetcher, FetchPolicy, PageCache

FAST = FetchPolicy(timeout=0.3, retries=1, backoff=0.001, max_bytes=200_000)


def read(site: Site, *sources: RemoteSource, cache: Path | None = None):
    with Fetcher(FAST, PageCache(cache) if cache else None, sleep=lambda s: None) as fetcher:
        return read_remote(sources, fetcher)


def serve_rss(site: Site, pages: dict[str, str]) -> str:
    items = [(site.url(path), f"Titre {path}", "Tue, 18 Jun 2024 07:00:00 GMT") for path in pages]
    site.routes["/rss.xml"] = Route(
        rss_feed("Le Flux du Test", items).encode(), content_type="application/rss+xml"
    )
    for path, html in pages.items():
        site.routes[path] = Route(html.encode())
    return site.url("/rss.xml")


def test_an_rss_feed_yields_each_items_article_with_page_metadata_first(site: Site) -> None:
    page = article_page("Poutine à Pyongyang", PARAGRAPHS, published="2024-06-19T08:00:00Z")
    feed = serve_rss(site, {"/a": page})
    result = read(site, RemoteSource(feed))
    assert result.failures == ()
    (doc,) = result.documents[0].documents
    assert doc.url == site.url("/a") and result.documents[0].origin == site.url("/a")
    assert doc.date == "2024-06-19"  # the page's own date beats the feed's
    assert doc.source == "Le Quotidien du Test"  # and its site name beats the feed title
    assert "Pyongyang" in doc.text
    for chrome in ("PUBLICITÉ", "Jean75", "Mentions légales", "S'abonner", "À lire aussi"):
        assert chrome not in doc.text


def test_a_page_without_metadata_takes_the_feeds_date_and_title(site: Site) -> None:
    page = article_page("Sans méta", PARAGRAPHS, metadata=False)
    result = read(site, RemoteSource(serve_rss(site, {"/plain": page})))
    (doc,) = result.documents[0].documents
    assert doc.date == "2024-06-18"
    assert doc.source in {"Le Flux du Test", "Site"}  # trafilatura may read the <title>


def test_an_atom_feed(site: Site) -> None:
    site.routes["/atom"] = Route(
        atom_feed("Atom Info", [(site.url("/b"), "B", "2024-06-20T10:00:00Z")]).encode(),
        content_type="application/atom+xml",
    )
    site.routes["/b"] = Route(article_page("B", PARAGRAPHS, metadata=False).encode())
    (remote,) = read(site, RemoteSource(site.url("/atom"))).documents
    assert remote.documents[0].date == "2024-06-20"


def test_a_page_url_is_read_as_a_page(site: Site) -> None:
    site.routes["/page"] = Route(article_page("Seule", PARAGRAPHS).encode())
    (remote,) = read(site, RemoteSource(site.url("/page"))).documents
    assert remote.documents[0].title == "Seule"
    assert len(site.hits("/page")) == 1  # fetched once, not again as a page


def test_every_failure_is_one_named_reason_and_the_rest_is_read(site: Site) -> None:
    good = article_page("Bonne", PARAGRAPHS)
    feed = serve_rss(site, {"/ok": good, "/gone": good, "/pdf": good})
    site.routes["/gone"] = Route(status=404)
    site.routes["/pdf"] = Route(b"%PDF-1.4 ...", content_type="application/pdf")
    site.routes["/json"] = Route(b'{"not": "a feed"}', content_type="application/json")
    result = read(
        site,
        RemoteSource(feed, feed_only=True),
        RemoteSource(site.url("/json"), feed_only=True),
        RemoteSource("http://newsbot-test.invalid/rss"),
    )
    assert [d.origin for d in result.documents] == [site.url("/ok")]
    reasons = {f.origin: f.reason for f in result.failures}
    assert reasons[site.url("/gone")] == "HTTP 404"
    assert reasons[site.url("/pdf")] == "not an HTML page (application/pdf)"
    assert reasons[site.url("/json")] == "not a feed (application/json)"
    assert reasons["http://newsbot-test.invalid/rss"].startswith("cannot connect")
    assert len(result.failures) == 4


def test_a_page_with_no_article_text_is_a_failure(site: Site) -> None:
    site.routes["/empty"] = Route(b"<html><body><script>x()</script></body></html>")
    result = read(site, RemoteSource(site.url("/empty")))
    assert result.documents == ()
    assert result.failures[0].reason == "no article text found in the HTML"


def test_a_site_down_keeps_the_cached_copy_and_says_so(site: Site, tmp_path: Path) -> None:
    feed = serve_rss(site, {"/a": article_page("A", PARAGRAPHS)})
    first = read(site, RemoteSource(feed), cache=tmp_path)
    site.routes.clear()  # everything 404 now
    again = read(site, RemoteSource(feed), cache=tmp_path)
    assert [d.digest for d in again.documents] == [d.digest for d in first.documents]
    assert all("is kept" in f.reason for f in again.failures) and len(again.failures) == 2


def test_the_digest_follows_metadata_too(site: Site) -> None:
    feed = serve_rss(site, {"/a": article_page("A", PARAGRAPHS)})
    (doc,) = read(site, RemoteSource(feed)).documents[0].documents
    assert digest_documents([doc]) != digest_documents(
        [doc.__class__(**{**doc.__dict__, "date": "2024-01-01"})]
    )


def test_plan_sources_splits_folders_urls_and_feed_lists(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    listing = tmp_path / "presse.feeds"
    listing.write_text("# mes flux\nhttps://a.example/rss\n\n  https://b.example/atom  # b\n")
    opml = tmp_path / "abonnements.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="Presse">'
        '<outline type="rss" xmlUrl="https://c.example/feed"/></outline></body></opml>'
    )
    local, remote = plan_sources(
        [str(tmp_path / "articles"), "https://d.example/page", str(listing), str(opml)]
    )
    assert local == [tmp_path / "articles"]
    assert remote == [
        RemoteSource("https://d.example/page"),
        RemoteSource("https://a.example/rss", feed_only=True),
        RemoteSource("https://b.example/atom", feed_only=True),
        RemoteSource("https://c.example/feed", feed_only=True),
    ]


def test_plan_sources_refuses_what_cannot_be_a_source(tmp_path: Path) -> None:
    with pytest.raises(SourceFolderError, match="check --source"):
        plan_sources([str(tmp_path / "missing")])
    with pytest.raises(SourceFolderError, match="--source http://"):
        plan_sources(["http:// bad"])


def test_non_utf8_pages_are_read_in_their_own_encoding(site: Site) -> None:
    page = article_page("Été à l'Élysée", PARAGRAPHS).replace('charset="utf-8"', "")
    latin = page.replace('<meta charset="utf-8">', "").encode("cp1252")
    site.routes["/declared"] = Route(latin, content_type="text/html; charset=windows-1252")
    site.routes["/undeclared"] = Route(latin, content_type="text/html")
    site.routes["/lying"] = Route(latin, content_type="text/html; charset=utf-8")
    result = read(
        site, *(RemoteSource(site.url(p)) for p in ("/declared", "/undeclared", "/lying"))
    )
    assert len(result.documents) == 3
    for remote in result.documents:
        assert "accueilli à l'aéroport" in remote.documents[0].text
    (warning,) = result.failures  # only the page that declared the wrong charset
    assert warning.origin == site.url("/lying") and "utf-8" in warning.reason
