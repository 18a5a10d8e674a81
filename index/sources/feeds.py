"""RSS and Atom feeds (feedparser), and the lists of them: `.feeds` files and OPML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser

from index.dates import iso_date, struct_date

_TAG = re.compile(r"<[^>]+>")
# A feed item's own text is used only when its page cannot be read, and only when it is
# an article rather than a teaser.
MIN_ITEM_TEXT = 200


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: where its article is, and what the feed says of it."""

    link: str
    title: str | None
    date: str | None
    text: str | None  # the item's own content or summary, tags removed


@dataclass(frozen=True)
class Feed:
    title: str | None  # the outlet's name, as the feed gives it
    items: tuple[FeedItem, ...]


def parse_feed(body: bytes) -> Feed | None:
    """The feed in `body`, or None when it is not an RSS or Atom feed."""
    parsed: Any = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        return None
    items: list[FeedItem] = []
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        if not link:
            continue
        content = entry.get("content") or []
        raw = content[0].get("value", "") if content else entry.get("summary", "")
        text = _TAG.sub(" ", raw or "").strip() or None
        items.append(
            FeedItem(
                link=link,
                title=(entry.get("title") or "").strip() or None,
                date=struct_date(entry.get("published_parsed") or entry.get("updated_parsed"))
                or iso_date(entry.get("published") or entry.get("updated")),
                text=text,
            )
        )
    title = (parsed.feed.get("title") or "").strip() or None
    return Feed(title=title, items=tuple(items))


def is_feed_list(path: Path) -> bool:
    return path.suffix.lower() in {".feeds", ".opml"}


def read_feed_list(path: Path) -> list[str]:
    """The feed URLs of a `.feeds` file (one a line, `#` comments) or an OPML file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".opml":
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise ValueError(f"{path}: not valid OPML ({exc})") from exc
        return [
            url.strip()
            for node in root.iter("outline")
            if (url := node.get("xmlUrl") or node.get("xmlurl"))
        ]
    urls = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            urls.append(line)
    return urls
