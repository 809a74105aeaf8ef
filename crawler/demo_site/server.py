"""A loopback HTTP server for the sample news site.

``DemoServer`` binds 127.0.0.1 on a free port, serves from a background thread and records
every request target, so tests can assert what a crawler fetched (and what it never did).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from functools import lru_cache
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


REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found",
           410: "Gone", 500: "Internal Server Error"}
MAX_HEADER_LINES = 100


class DemoServer:
    """The sample site on ``http://127.0.0.1:<port>/``; use as a context manager.

    A small HTTP/1.1 server on asyncio in a background thread: keep-alive, one write per response,
    no thread per connection, so it stays far faster than any crawler it serves.
    """

    def __init__(self, site: DemoSite | None = None, port: int = 0) -> None:
        self.site = site or DemoSite()
        self.app = DemoSiteApp(self.site)
        self.requests: Counter[str] = Counter()  # request target (path and query) -> times asked
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-site", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/"

    def start(self) -> DemoServer:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self._port), self._loop)
        self._server = started.result(timeout=30)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        if self._server is not None:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line.strip():
                    break
                headers = {}
                for _ in range(MAX_HEADER_LINES):
                    line = await reader.readline()
                    if not line.strip():
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                method, target, version = [*request_line.decode("latin-1").split(), "", "", ""][:3]
                self.requests[target] += 1
                status, content_type, body = self.app.render(urlsplit(target).path)
                payload = body.encode("utf-8")
                close = version == "HTTP/1.0" or headers.get("connection", "").lower() == "close"
                head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
                        f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n"
                        f"Server: newsarchive-demo\r\n{'Connection: close' + chr(13) + chr(10) if close else ''}\r\n")
                writer.write(head.encode("latin-1") + (b"" if method == "HEAD" else payload))
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
