"""Feeds and web pages as `SourceDocument`s: what `newsbot index --source URL` reads.

A URL given on its own may be a feed or a page (the body decides); a URL from a `.feeds`
or OPML list must be a feed. Each feed item's page is fetched and read with trafilatura.
Who said it and when, in order of trust: the page's HTML metadata, then the feed item.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from index.dates import iso_date
from index.errors import SourceFolderError
from index.load import read_html
from index.models import RemoteDocument, RemoteRead, Skipped, SourceDocument
from index.source_files import UnreadableSource
from index.sources.feeds import (
    MIN_ITEM_TEXT,
    FeedItem,
    is_feed_list,
    parse_feed,
    read_feed_list,
)
from index.sources.web import Fetcher, FetchError, Page, page_text
from index.urls import url_problem

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True)
class RemoteSource:
    url: str
    feed_only: bool = False  # from a .feeds/OPML list: anything but a feed is a failure


def digest_documents(documents: Sequence[SourceDocument]) -> str:
    """Changes with the text and with every field kept (title, url, date, outlet)."""
    fields = [[d.text, d.title, d.url, d.date, d.source] for d in documents]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def _looks_like_feed(page: Page) -> bool:
    if "xml" in page.content_type or "rss" in page.content_type or "atom" in page.content_type:
        return True
    return page.body.lstrip()[:200].lower().startswith((b"<?xml", b"<rss", b"<feed"))


def read_remote(sources: Sequence[RemoteSource], fetcher: Fetcher) -> RemoteRead:
    """Every article behind `sources`; each failure is one `Skipped` naming its URL."""
    failures: list[Skipped] = []
    # What each page URL must be read as: a feed's item (with what the feed said) or a page.
    items: dict[str, tuple[FeedItem | None, str | None]] = {}
    given = fetcher.fetch_many(s.url for s in sources)
    pages: dict[str, Page | FetchError] = {}
    for source in {s.url: s for s in sources}.values():
        fetched = given[source.url]
        if isinstance(fetched, FetchError):
            failures.append(Skipped(source.url, fetched.reason))
            continue
        feed = parse_feed(fetched.body) if _looks_like_feed(fetched) else None
        if feed is None and source.feed_only:
            failures.append(Skipped(source.url, f"not a feed ({fetched.content_type or '?'})"))
            continue
        if feed is None:
            items.setdefault(source.url, (None, None))
            pages[source.url] = fetched
            continue
        _note_stale(fetched, failures)
        if not feed.items:
            failures.append(Skipped(source.url, "feed has no items"))
        for entry in feed.items:
            items.setdefault(entry.link, (entry, feed.title))
    pages.update(fetcher.fetch_many(url for url in items if url not in pages))
    documents: list[RemoteDocument] = []
    for url, (item, outlet) in items.items():
        fetched = pages[url]
        try:
            if isinstance(fetched, FetchError):
                raise fetched
            _note_stale(fetched, failures)
            document = _page_document(fetched, item, outlet, failures)
        except FetchError as exc:
            if item is None or item.text is None or len(item.text) < MIN_ITEM_TEXT:
                failures.append(Skipped(url, exc.reason))
                continue
            failures.append(Skipped(url, f"{exc.reason}; the feed's own text is indexed"))
            document = SourceDocument(
                text=item.text,
                origin=url,
                title=item.title,
                url=url,
                date=item.date,
                source=outlet,
            )
        documents.append(RemoteDocument(url, digest_documents([document]), (document,)))
    return RemoteRead(tuple(documents), tuple(failures))


def _note_stale(page: Page, failures: list[Skipped]) -> None:
    if page.problem is not None:
        failures.append(
            Skipped(page.url, f"{page.problem}; the copy fetched {page.fetched} is kept")
        )


def _page_document(
    page: Page, item: FeedItem | None, outlet: str | None, failures: list[Skipped]
) -> SourceDocument:
    if page.content_type and page.content_type not in _HTML_TYPES:
        raise FetchError(f"not an HTML page ({page.content_type})")
    html, problem = page_text(page)
    if problem:
        failures.append(Skipped(page.url, problem))
    try:
        document = read_html(html, page.url)
    except UnreadableSource as exc:
        raise FetchError(exc.reason) from exc
    return replace(
        document,
        url=page.final_url,
        title=document.title or (item.title if item else None),
        date=iso_date(document.date) or (item.date if item else None),
        source=document.source or outlet,
    )


def plan_sources(specs: Sequence[str]) -> tuple[list[Path], list[RemoteSource]]:
    """`--source` values split into local folders and files, and URLs to fetch; `.feeds`
    and OPML files are opened for their feed URLs. Raises `SourceFolderError`."""
    local: list[Path] = []
    remote: list[RemoteSource] = []
    for spec in specs:
        if spec.lower().startswith(("http://", "https://")):
            problem = url_problem(spec)
            if problem:
                raise SourceFolderError(f"--source {spec}: {problem}")
            remote.append(RemoteSource(spec))
            continue
        path = Path(spec).expanduser()
        if not path.exists():
            raise SourceFolderError(f"no file or folder of articles at {path} — check --source")
        if path.is_file() and is_feed_list(path):
            try:
                urls = read_feed_list(path)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise SourceFolderError(f"cannot read the feed list {path} ({exc})") from exc
            remote.extend(RemoteSource(url, feed_only=True) for url in urls)
        else:
            local.append(path)
    return local, remote
