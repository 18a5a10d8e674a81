"""Builds from feeds served on 127.0.0.1: incremental, metadata kept, nothing lost."""

from __future__ import annotations

from pathlib import Path

from news_site import PARAGRAPHS, Route, Site, article_page, rss_feed

from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.sources.remote import RemoteSource, read_remote
from index.sources.web import Fetcher, FetchPolicy, PageCache
from index.store.faiss import load_index

FAST = FetchPolicy(timeout=0.3, retries=1, backoff=0.001)
TOPICS = ["Pyongyang", "Hanoï", "Moscou"]


def serve(site: Site, published: dict[str, str] | None = None) -> str:
    items = []
    for n, topic in enumerate(TOPICS):
        path = f"/article-{n}"
        paragraphs = [p.replace("Pyongyang", topic) for p in PARAGRAPHS]
        date = (published or {}).get(path, f"2024-06-{18 + n}T09:00:00+02:00")
        site.routes[path] = Route(
            article_page(f"Visite à {topic}", paragraphs, published=date).encode()
        )
        items.append((site.url(path), f"Visite à {topic}", "Tue, 18 Jun 2024 07:00:00 GMT"))
    site.routes["/rss"] = Route(
        rss_feed("Flux", items).encode(), content_type="application/rss+xml"
    )
    return site.url("/rss")


def build(site: Site, feed: str, index_dir: Path, embedder: VectorEmbeddings, local=()):
    with Fetcher(FAST, PageCache(index_dir.parent / "cache"), sleep=lambda s: None) as f:
        remote = read_remote([RemoteSource(feed)], f)
    return build_index(list(local), index_dir, embedder, ChunkSettings(), remote=remote)


def test_a_feed_is_indexed_with_urls_dates_and_outlets(
    site: Site, tmp_path: Path, embedder: VectorEmbeddings
) -> None:
    feed = serve(site)
    report = build(site, feed, tmp_path / "index", embedder)
    assert (report.added, report.skipped) == (3, ())
    loaded = load_index(tmp_path / "index", embedder=embedder.name, dimension=embedder.dimension)
    dated = sorted((a.url, a.date, a.publisher) for a in loaded.articles.values())
    assert dated == [
        (site.url(f"/article-{n}"), f"2024-06-{18 + n}", "Le Quotidien du Test") for n in range(3)
    ]
    again = build(site, feed, tmp_path / "index", embedder)
    assert again.up_to_date and again.skipped == ()


def test_a_changed_date_reindexes_that_article_only_and_reuses_vectors(
    site: Site, tmp_path: Path, embedder: VectorEmbeddings
) -> None:
    feed = serve(site)
    build(site, feed, tmp_path / "index", embedder)
    serve(site, {"/article-1": "2024-06-25T09:00:00+02:00"})
    report = build(site, feed, tmp_path / "index", embedder)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 3)
    assert report.embedded == 0 and not report.up_to_date  # same text: vectors reused
    loaded = load_index(tmp_path / "index", embedder=embedder.name, dimension=embedder.dimension)
    dates = {a.url: a.date for a in loaded.articles.values()}
    assert dates[site.url("/article-1")] == "2024-06-25"


def test_a_site_that_is_down_loses_nothing(
    site: Site, tmp_path: Path, embedder: VectorEmbeddings
) -> None:
    feed = serve(site)
    build(site, feed, tmp_path / "index", embedder)
    site.routes["/article-2"] = Route(status=500)
    site.routes["/rss"].status = 503
    report = build(site, feed, tmp_path / "index", embedder)
    assert report.up_to_date and report.articles == 3
    named = {s.origin: s.reason for s in report.skipped}
    assert set(named) == {feed, site.url("/article-2")}
    assert all("is kept" in reason for reason in named.values())


def test_local_folders_files_and_feeds_together(
    site: Site, tmp_path: Path, seed_dir: Path, embedder: VectorEmbeddings
) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.txt").write_text((seed_dir / "000_42a09c5fa2a475f0.txt").read_text())
    single = seed_dir / "001_9094e598d010c395.txt"
    report = build(site, serve(site), tmp_path / "index", embedder, local=[one, single])
    loaded = load_index(tmp_path / "index", embedder=embedder.name, dimension=embedder.dimension)
    origins = sorted({a.origin for a in loaded.articles.values()})
    assert {"001_9094e598d010c395.txt", "one/a.txt"} <= set(origins)
    assert sum(o.startswith("http://127.0.0.1") for o in origins) == 3
    assert report.articles == 5
