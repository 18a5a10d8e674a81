"""A stand-in news site on 127.0.0.1: feeds, real-looking pages and every failure mode.

`Site` runs a ThreadingHTTPServer in a thread; routes are plain `Route` records, so a
test adds or changes one in a line. It records each request (path, headers) and the most
requests it ever had in flight at once, for the politeness tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts, concurrency)
    etag: str | None = None  # answers 304 to a matching If-None-Match
    # Status codes to answer before the real one (429/503 then 200), one per request.
    first: list[int] = field(default_factory=list)
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(Request(self.path, dict(self.headers.items())))
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    site._answer(self)
                finally:
                    with site._lock:
                        site.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        route = self.routes.get(handler.path)
        if route is None:
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if route.delay:
            time.sleep(route.delay)
        if route.handler is not None:
            route.handler(handler)
            return
        status = route.first.pop(0) if route.first else route.status
        if route.etag and handler.headers.get("If-None-Match") == route.etag and status == 200:
            handler.send_response(304)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(status)
        handler.send_header("Content-Type", route.content_type)
        handler.send_header("Content-Length", str(len(route.body)))
        if route.etag:
            handler.send_header("ETag", route.etag)
        for key, value in route.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(route.body)

    def start(self) -> Site:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def http_date(when: datetime | None = None) -> str:
    return format_datetime(when or datetime.now(UTC), usegmt=True)


CHROME_TOP = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} | {outlet}</title>
{meta}
<script>window.dataLayer=[];function track(){{}}</script>
<style>.ad{{display:block}}</style></head>
<body>
<header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/monde">Monde</a></li>
<li><a href="/politique">Politique</a></li><li><a href="/abonnement">S'abonner</a></li></ul></nav>
<div class="ad">PUBLICITÉ — Votre assurance auto à prix mini, cliquez ici !</div></header>
<main>
"""

CHROME_BOTTOM = """
<aside class="related"><h3>À lire aussi</h3><ul><li><a href="/x">Un autre sujet</a></li>
<li><a href="/y">Encore un autre</a></li></ul></aside>
<section id="comments"><h3>Commentaires</h3>
<div class="comment"><b>Jean75</b> : N'importe quoi cet article, encore de la propagande.</div>
<div class="comment"><b>Marie</b> : Merci pour ces informations très claires.</div>
<form><textarea>Votre commentaire</textarea><button>Publier</button></form></section>
</main>
<div class="ad">PUBLICITÉ — Gagnez un iPhone !</div>
<footer><p>© 2024 {outlet}. Tous droits réservés.</p><a href="/cgu">Mentions légales</a>
<a href="/cookies">Gérer les cookies</a></footer>
</body></html>
"""


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    outlet: str = "Le Quotidien du Test",
    published: str | None = "2024-06-18T09:30:00+02:00",
    metadata: bool = True,
) -> str:
    """A scraped-looking page: nav, ads, comments and footer around an <article>."""
    meta = ""
    if metadata:
        meta = f'<meta property="og:site_name" content="{outlet}">\n'
        meta += f'<meta property="og:title" content="{title}">\n'
        if published:
            meta += f'<meta property="article:published_time" content="{published}">\n'
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    article = f"<article><h1>{title}</h1>\n{body}\n</article>"
    chrome_outlet = outlet if metadata else "Site"
    return (
        CHROME_TOP.format(title=title, outlet=chrome_outlet, meta=meta)
        + article
        + CHROME_BOTTOM.format(outlet=chrome_outlet)
    )


def rss_feed(title: str, items: list[tuple[str, str, str]]) -> str:
    """RSS 2.0: items are (link, title, RFC 822 date)."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate>"
        f"<description>Résumé de {t}</description></item>"
        for link, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link><description>d</description>"
        f"{entries}</channel></rss>"
    )


def atom_feed(title: str, items: list[tuple[str, str, str]]) -> str:
    """Atom: items are (link, title, ISO 8601 date)."""
    entries = "".join(
        f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id>'
        f"<updated>{d}</updated><summary>Résumé</summary></entry>"
        for link, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:test</id><updated>2024-06-20T00:00:00Z</updated>"
        f"{entries}</feed>"
    )


PARAGRAPHS = [
    "Le président russe Vladimir Poutine est arrivé mardi à Pyongyang pour une visite "
    "officielle de deux jours, sa première en Corée du Nord depuis vingt-quatre ans.",
    "Il a été accueilli à l'aéroport par le dirigeant nord-coréen Kim Jong-un, qui l'avait "
    "invité lors de leur rencontre en septembre dernier dans l'Extrême-Orient russe.",
    "Les deux dirigeants doivent signer un accord de partenariat stratégique, selon le "
    "Kremlin, qui a précisé que la délégation comprenait plusieurs ministres.",
]
