"""A loopback HTTP server for the sample news site.

``DemoServer`` binds 127.0.0.1 on a free port, serves from a thread and records every request
path, so tests can assert what a crawler fetched (and what it never did).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from . import render
from .content import SECTIONS, DemoSite, slugify

PAGED = re.compile(r"^(?P<base>/(?:section|tag|author)/[^/]+/)(?:page/(?P<number>\d+)/)?$")


class DemoSiteApp:
    """Routes a path to ``(status, content type, body)``; no sockets, so it is easy to test."""

    def __init__(self, site: DemoSite) -> None:
        self.site = site
        self.render = lru_cache(maxsize=4096)(self._render)

    def _render(self, path: str) -> tuple[int, str, str]:
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, "text/plain", render.robots_txt()
        if path == "/":
            return 200, html, render.home_page(self.site)
        if path == "/about.html":
            return 200, html, render.about_page()
        if path.startswith("/private/"):
            return 200, html, render.private_page(path)
        article = self.site.article(path)
        if article is not None:
            return 200, html, render.article_page(self.site, article)
        if path.startswith("/search/label/"):
            tag = unquote(path.removeprefix("/search/label/"))
            items = self.site.with_tag(slugify(tag))
            return 200, html, render.listing_page(self.site, f"Posts tagged {tag}", path, items, 1)
        match = PAGED.match(path)
        if match:
            return self._listing(match["base"], int(match["number"] or 1))
        return 404, html, render.not_found_page()

    def _listing(self, base: str, number: int) -> tuple[int, str, str]:
        kind, slug = base.strip("/").split("/")
        intro = ""
        if kind == "section" and slug in SECTIONS:
            items, title = self.site.in_section(slug), slug.title()
        elif kind == "tag":
            items, title = self.site.with_tag(slug), f"Tag: {slug.replace('-', ' ').title()}"
        elif kind == "author":
            items = self.site.by_author(slug)
            title = next((n for a in items for n in a.authors if slugify(n) == slug), slug)
            intro = render.author_intro(title)
        else:
            items = []
        if not items or number > self.site.pages(items):
            return 404, "text/html; charset=utf-8", render.not_found_page()
        return 200, "text/html; charset=utf-8", render.listing_page(self.site, title, base, items, number, intro)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.record(self.path)
        status, content_type, body = self.server.app.render(path)
        payload = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet by design
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: DemoSiteApp, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.app = app
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, path: str) -> None:
        with self._lock:
            self.requests[path] += 1


class DemoServer:
    """The sample site on ``http://127.0.0.1:<port>/``; use as a context manager."""

    def __init__(self, site: DemoSite | None = None, port: int = 0) -> None:
        self.site = site or DemoSite()
        self._server = _Server(DemoSiteApp(self.site), port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-site", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def requests(self) -> Counter[str]:
        """How often each request path (with its query) was asked for."""
        return self._server.requests

    def start(self) -> DemoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
