"""Polite HTTP fetching: one seam (`Fetcher`) between newsbot and the network.

A User-Agent naming newsbot, timeouts, retries with backoff on 429/5xx that honour
`Retry-After`, a bound on concurrent requests per host, a size cap, a redirect limit, and
conditional requests (ETag / Last-Modified) against a cache of fetched pages beside the
index. A URL that fails is served from that cache when it holds a copy, so a site that is
down never takes already indexed articles away.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from index.decode import decode_source_bytes
from index.errors import NewsbotError
from index.source_files import UnreadableSource

log = logging.getLogger("newsbot.index")

USER_AGENT = "newsbot/0.1 (news question-answering bot; +https://github.com/newsbot)"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# After this many pages of one host time out, its other pages are not tried in the run.
HOST_DOWN_AFTER_TIMEOUTS = 3
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


class FetchError(NewsbotError):
    """A URL that could not be fetched; the message is the reason, for one warning."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchPolicy:
    """How hard and how politely to fetch (settings NEWSBOT_FETCH_*)."""

    timeout: float = 15.0  # seconds, per connect / read
    retries: int = 2  # extra attempts after a 429, a 5xx or a timeout
    backoff: float = 1.0  # first wait between attempts, doubled each time
    max_retry_after: float = 120.0  # a longer Retry-After gives up instead of waiting
    max_bytes: int = 5_000_000  # per response body
    max_redirects: int = 5
    per_host: int = 2  # requests in flight to one host
    workers: int = 8  # requests in flight in all
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Page:
    """A fetched response body (or the cached copy of it)."""

    url: str  # as asked
    final_url: str  # after redirects
    content_type: str  # media type only, lower case ("text/html")
    charset: str | None
    body: bytes
    fetched: str  # ISO 8601 time the body was downloaded
    cached: bool = False  # the server said 304 Not Modified, or the copy stood in
    problem: str | None = None  # why the cached copy stood in for a failed fetch


class PageCache:
    """Bodies and validators of fetched URLs, two plain files per URL (no pickle)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode()).hexdigest()[:32]
        return self.folder / f"{key}.json", self.folder / f"{key}.body"

    def get(self, url: str) -> tuple[dict[str, str], Page] | None:
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("url") != url:
            return None
        page = Page(
            url=url,
            final_url=str(meta.get("final_url") or url),
            content_type=str(meta.get("content_type") or ""),
            charset=meta.get("charset") or None,
            body=body,
            fetched=str(meta.get("fetched") or ""),
            cached=True,
        )
        validators = {k: str(meta[k]) for k in ("etag", "last_modified") if meta.get(k)}
        return validators, page

    def put(self, page: Page, etag: str | None, last_modified: str | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        meta_path, body_path = self._paths(page.url)
        meta = {
            "url": page.url,
            "final_url": page.final_url,
            "content_type": page.content_type,
            "charset": page.charset,
            "fetched": page.fetched,
            "etag": etag,
            "last_modified": last_modified,
        }
        # Body first, then its metadata, each by rename: a killed run leaves an old pair.
        for path, data in ((body_path, page.body), (meta_path, json.dumps(meta).encode())):
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked by a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Fetcher:
    """GET with every politeness rule; thread-safe, one connection pool per run."""

    def __init__(
        self,
        policy: FetchPolicy,
        cache: PageCache | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self.cache = cache
        self._sleep = sleep
        self._client = httpx.Client(
            headers={"User-Agent": policy.user_agent},
            timeout=policy.timeout,
            follow_redirects=True,
            max_redirects=policy.max_redirects,
            transport=transport,
            limits=httpx.Limits(max_connections=max(policy.workers, 1)),
        )
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.Semaphore] = {}
        self._down: dict[str, str] = {}  # host -> why it could not be reached this run
        self._timeouts: dict[str, int] = {}  # host -> pages that timed out this run

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _host_slot(self, host: str) -> threading.Semaphore:
        with self._lock:
            return self._hosts.setdefault(host, threading.Semaphore(max(self.policy.per_host, 1)))

    def fetch(self, url: str) -> Page:
        """The page at `url`; on failure its cached copy (with `problem` set), else
        `FetchError`."""
        cached = self.cache.get(url) if self.cache is not None else None
        try:
            return self._fetch(url, cached)
        except FetchError as exc:
            if cached is None:
                raise
            return replace(cached[1], problem=exc.reason)

    def fetch_many(self, urls: Iterable[str]) -> dict[str, Page | FetchError]:
        """Each URL fetched once, several hosts at a time."""
        unique = list(dict.fromkeys(urls))

        def one(url: str) -> Page | FetchError:
            try:
                return self.fetch(url)
            except FetchError as exc:
                return exc

        if len(unique) <= 1:
            return {url: one(url) for url in unique}
        with ThreadPoolExecutor(max_workers=max(self.policy.workers, 1)) as pool:
            return dict(zip(unique, pool.map(one, unique), strict=True))

    def _fetch(self, url: str, cached: tuple[dict[str, str], Page] | None) -> Page:
        host = urlsplit(url).hostname or ""
        headers: dict[str, str] = {}
        if cached is not None:
            validators, _ = cached
            if "etag" in validators:
                headers["If-None-Match"] = validators["etag"]
            if "last_modified" in validators:
                headers["If-Modified-Since"] = validators["last_modified"]
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            with self._lock:
                down = self._down.get(host)
            if down is not None:
                raise FetchError(down)
            last = attempt == attempts - 1
            try:
                with self._host_slot(host):
                    result = self._get_once(url, headers, cached)
            except httpx.TooManyRedirects as exc:
                raise FetchError(
                    f"redirect loop or more than {self.policy.max_redirects} redirects"
                ) from exc
            except httpx.TimeoutException as exc:
                if last:
                    reason = f"timed out after {self.policy.timeout:g} s"
                    # One slow page is that page's problem; several mean the host is.
                    with self._lock:
                        self._timeouts[host] = self._timeouts.get(host, 0) + 1
                        if self._timeouts[host] >= HOST_DOWN_AFTER_TIMEOUTS:
                            self._down.setdefault(host, reason)
                    raise FetchError(reason) from exc
                self._sleep(self.policy.backoff * 2**attempt)
                continue
            except httpx.TransportError as exc:
                # DNS failure, connection refused or reset: no retry, and no more tries
                # of this host in this run (its other URLs fall back to the cache at once).
                reason = f"cannot connect ({_short(exc)})"
                self._mark_down(host, reason)
                raise FetchError(reason) from exc
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL ({exc})") from exc
            if isinstance(result, Page):
                return result
            status, retry_after = result
            if status not in _RETRY_STATUSES:
                raise FetchError(f"HTTP {status}")
            wait = retry_after if retry_after is not None else self.policy.backoff * 2**attempt
            if last or wait > self.policy.max_retry_after:
                raise FetchError(f"HTTP {status} after {attempt + 1} attempts")
            log.debug("%s: HTTP %d, retrying in %.2f s", url, status, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _mark_down(self, host: str, reason: str) -> None:
        with self._lock:
            self._down.setdefault(host, reason)

    def _get_once(
        self, url: str, headers: dict[str, str], cached: tuple[dict[str, str], Page] | None
    ) -> Page | tuple[int, float | None]:
        """The page, or (status, Retry-After seconds) when it is not a 200 or a 304."""
        with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and cached is not None:
                return cached[1]
            if response.status_code != 200:
                return response.status_code, retry_after_seconds(
                    response.headers.get("Retry-After")
                )
            limit = self.policy.max_bytes
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(
                    f"response of {int(declared):,} bytes is over the {limit:,}-byte cap"
                )
            body = bytearray()
            for block in response.iter_bytes():
                body.extend(block)
                if len(body) > limit:
                    raise FetchError(f"response over the {limit:,}-byte cap")
            media, charset = _content_type(response.headers.get("Content-Type", ""))
            page = Page(
                url=url,
                final_url=str(response.url),
                content_type=media,
                charset=charset,
                body=bytes(body),
                fetched=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            if self.cache is not None:
                self.cache.put(
                    page, response.headers.get("ETag"), response.headers.get("Last-Modified")
                )
            return page


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"


def _content_type(header: str) -> tuple[str, str | None]:
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def page_text(page: Page) -> tuple[str, str | None]:
    """The body as text, and a problem worth a warning when the declared charset was wrong.

    The charset comes from the Content-Type header, else a `<meta charset>`; without
    either, or when the bytes do not fit it, UTF-8 then the detected code page."""
    charset = page.charset
    if charset is None:
        found = _META_CHARSET.search(page.body[:4096])
        charset = found.group(1).decode("ascii").lower() if found else None
    if charset is not None:
        try:
            return page.body.decode(charset), None
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        text = decode_source_bytes(page.body)
    except UnreadableSource as exc:
        raise FetchError(f"not readable text ({exc.reason})") from exc
    if charset is None:
        return text, None
    return text, f"declared charset {charset} does not fit its bytes; read as detected"
