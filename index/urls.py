"""Article URLs checked at ingest, so that no front end ever has to parse a bad one."""

from __future__ import annotations

from urllib.parse import urlsplit

# Browsers and Discord handle URLs up to about this long; a longer one is junk or an attack.
MAX_URL_CHARS = 2048


def url_problem(url: str) -> str | None:
    """Why `url` cannot be an article's link (None when it can)."""
    if len(url) > MAX_URL_CHARS:
        return f"URL longer than {MAX_URL_CHARS} characters"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "URL contains spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname  # "https://[evil]/" only raises here
        parts.port  # noqa: B018  # and "https://host:99999/" here
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "not an http(s) URL with a host"
    return None
