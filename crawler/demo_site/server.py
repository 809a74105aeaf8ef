"""A loopback HTTP server for the sample news site.

``DemoServer`` binds 127.0.0.1 on a free port, serves from a background thread and records
every request target, so tests can assert what a crawler fetched (and what it never did).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from . import render
from .content import ALL_SECTIONS, DemoArticle, DemoSite, slugify

if TYPE_CHECKING:
    from .shapes import ShapedSiteApp

PAGED = re.compile(r"^(?P<base>/(?:section|tag|author)/[^/]+/)(?:page/(?P<number>\d+)/)?$")
MONTH_SITEMAP = re.compile(r"^/sitemap-(?P<month>\d{4}-\d{2})\.xml$")
HTML = "text/html; charset=utf-8"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(2048) + b"\xff\xd9"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def _html(status: int, text: str) -> Reply:
    return Reply(status, text.encode("utf-8"))


def _not_modified(reply: Reply, request_headers: dict[str, str]) -> bool:
    headers = dict(reply.headers)
    if "if-none-match" in request_headers:
        return request_headers["if-none-match"] == headers.get("ETag")
    since, modified = request_headers.get("if-modified-since"), headers.get("Last-Modified")
    if since and modified:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class DemoSiteApp:
    """Routes a request to a ``Reply``; no sockets, so it is easy to test.

    Besides the pages, it serves the traps of real sites: 404 and 410, a redirect loop, a redirect
    from an old URL, a 500 that succeeds on retry, a 429 that asks to come back in a second, a slow
    page, an oversized page, PDF and image bodies behind ``.html`` links, truncated and broken
    HTML, and an endless archive calendar.
    With ``wall_after``, every request after that many answers with a bot wall (HTTP 403), as a
    site behind an anti-bot service does once it has had enough of a crawler; with
    ``crawl_delay``, robots.txt asks for that many seconds between requests.
    """

    def __init__(self, site: DemoSite, base_url: str = "http://127.0.0.1/", slow_seconds: float = 3.0,
                 huge_bytes: int = 3 * 1024 * 1024, wall_after: int | None = None,
                 crawl_delay: float | None = None) -> None:
        self.site = site
        self.base_url = base_url
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.wall_after = wall_after
        self.crawl_delay = crawl_delay
        self.answered = 0
        self.page = lru_cache(maxsize=8192)(self._page)

    def prerender(self) -> int:
        """Render every article and section listing page ahead of time; returns how many.

        For benchmarks: serving a page then costs the server a cache lookup, not a rendering,
        so the figures measure the crawler rather than the site it crawls.
        """
        paths = [story.path for story in self.site.stories]
        for section in ALL_SECTIONS:
            pages = self.site.pages(self.site.in_section(section))
            paths += [f"/section/{section}/"] + [f"/section/{section}/page/{n}/" for n in range(2, pages + 1)]
        for path in paths:
            self.page(path)
        return len(paths)

    def render(self, path: str) -> tuple[int, str, str]:
        """``(status, content type, text)`` of an HTML page; for tests that read pages directly."""
        reply = self.respond(path, 2)
        return reply.status, reply.content_type, reply.body.decode("utf-8", errors="replace")

    def respond(self, target: str, count: int, headers: dict[str, str] | None = None) -> Reply:
        """The reply to the ``count``-th request for ``target``, honouring conditional request headers."""
        self.answered += 1
        if self.wall_after is not None and self.answered > self.wall_after:
            return _html(403, render.bot_wall_page())
        reply = self._respond(target, count)
        if reply.status == 200 and headers and _not_modified(reply, headers):
            return Reply(304, headers=tuple((k, v) for k, v in reply.headers if k in ("ETag", "Last-Modified")))
        return reply

    def _respond(self, target: str, count: int) -> Reply:
        parts = urlsplit(target)
        path = parts.path
        site = self.site
        if path == site.flaky_path and count == 1:
            return _html(500, "<h1>Internal Server Error</h1>")
        if path == site.throttled_path and count == 1:
            return Reply(429, b"<h1>Too Many Requests</h1>", headers=(("Retry-After", "1"),))
        if path in GONE:
            return _html(410, render.not_found_page())
        if path == "/calendar/":
            number = int(parse_qs(parts.query).get("page", ["1"])[0] or 1)
            return _html(200, render.calendar_page(number))
        if path == "/2024/02/slow-story.html":
            return Reply(200, render.not_found_page().encode(), delay=self.slow_seconds)
        if path == "/2024/03/huge-story.html":
            filler = "<p>" + "All work and no play makes a dull story. " * 40 + "</p>\n"
            return _html(200, "<html><body>" + filler * (self.huge_bytes // len(filler) + 1) + "</body></html>")
        if path == "/2024/05/annual-report.html":
            return Reply(200, PDF, "application/pdf")
        if path == "/2024/05/photo-gallery.html":
            return Reply(200, JPEG, "image/jpeg")
        if path.startswith("/loop/"):
            # Each hop adds to a counter, as broken session redirects do: only a hop limit ends it.
            hop = int(parse_qs(parts.query).get("hop", ["0"])[0] or 0) + 1
            other = path.replace("loop-a", "loop-b") if "loop-a" in path else path.replace("loop-b", "loop-a")
            return Reply(302, headers=(("Location", f"{other}?hop={hop}"),))
        story = _story_target(path, parts.query)
        if path.startswith("/old/") and site.article(story.removeprefix("/old")):
            return Reply(301, headers=(("Location", story.removeprefix("/old")),))
        return self.page(story)

    def _page(self, path: str) -> Reply:
        reply = self._page_body(path)
        if reply.status == 200 and reply.content_type != HTML and path != "/robots.txt":
            # Feeds and sitemaps carry an ETag, as a CMS's do: a conditional request for one unchanged gets a 304.
            etag = '"' + hashlib.sha1(reply.body).hexdigest()[:20] + '"'
            return replace(reply, headers=(*reply.headers, ("ETag", etag)))
        return reply

    def _page_body(self, path: str) -> Reply:
        site = self.site
        if path == "/robots.txt":
            return Reply(200, render.robots_txt(self.base_url, self.crawl_delay).encode(), "text/plain")
        if path == "/":
            return _html(200, render.home_page(site))
        if path == "/about.html":
            return _html(200, render.about_page())
        if path.startswith("/private/"):
            return _html(200, render.private_page(path))
        if path == "/feed.xml":
            return Reply(200, render.rss(site, self.base_url).encode(), "application/rss+xml")
        if path == "/atom.xml":
            return Reply(200, render.atom(site, self.base_url).encode(), "application/atom+xml")
        if (sitemap := sitemap_reply(site, self.base_url, path)) is not None:
            return sitemap
        article = site.article(path)
        if article is not None:
            return self._article(article)
        if path.startswith("/search/label/"):
            tag = unquote(path.removeprefix("/search/label/"))
            items = site.with_tag(slugify(tag))
            return _html(200, render.listing_page(site, f"Posts tagged {tag}", path, items, 1))
        match = PAGED.match(path)
        if match:
            return self._listing(match["base"], int(match["number"] or 1))
        return _html(404, render.not_found_page())

    def _article(self, article) -> Reply:
        reply = self._article_body(article)
        # Like a CMS, the validators follow the story's own revision, not the sidebars around it.
        revision = f"{article.path}|{article.title}|{article.body_text}|{article.modified}".encode()
        validators = (("ETag", '"' + hashlib.sha1(revision).hexdigest()[:20] + '"'),
                      ("Last-Modified", format_datetime((article.modified or article.published).astimezone(UTC),
                                                        usegmt=True)))
        return replace(reply, headers=reply.headers + validators)

    def _article_body(self, article) -> Reply:
        html = render.article_page(self.site, article)
        if article.template in LEGACY_CHARSETS:
            return story_reply(article, html)
        if article.path == self.site.truncated_path:
            return Reply(200, html.encode()[: len(html.encode()) * 6 // 10])
        if article.path == self.site.broken_path:
            html = re.sub(r"</(p|div|li|ul)>", "", html).replace("<main", "<main <div class=>").replace("<p>", "<p <b>", 1)
        return _html(200, html)

    def _listing(self, base: str, number: int) -> Reply:
        kind, slug = base.strip("/").split("/")
        slug = unquote(slug)  # slugs in other scripts arrive percent-encoded
        intro, extra = "", ""
        if kind == "section" and slug in ALL_SECTIONS:
            items, title = self.site.in_section(slug), slug.title()
            if slug == "world" and number == 1:
                extra = render.editors_picks(self.site)
        elif kind == "tag":
            items, title = self.site.with_tag(slug), f"Tag: {slug.replace('-', ' ').title()}"
        elif kind == "author":
            items = self.site.by_author(slug)
            title = next((n for a in items for n in a.authors if slugify(n) == slug), slug)
            intro = render.author_intro(title)
        else:
            items = []
        if not items or number > self.site.pages(items):
            return _html(404, render.not_found_page())
        return _html(200, render.listing_page(self.site, title, base, items, number, intro, extra))


def sitemap_reply(site: DemoSite, base_url: str, path: str) -> Reply | None:
    """The site's sitemap index (``/sitemap.xml``), news sitemap or monthly sitemap at ``path``;
    None for any other path."""
    if path == "/sitemap.xml":
        return Reply(200, render.sitemap_index(site, base_url).encode(), "application/xml")
    if path == "/sitemap-news.xml":
        return Reply(200, render.news_sitemap(site, base_url).encode(), "application/xml")
    month = MONTH_SITEMAP.match(path)
    if month and (xml := render.sitemap_month(site, base_url, month["month"])):
        return Reply(200, xml.encode(), "application/xml")
    return None


def story_reply(story: DemoArticle, html: str) -> Reply:
    """A story's page as served: UTF-8, said in the header; or, for a template of a legacy charset,
    in that charset, named only in the page's <meta> (the HTTP header names none). A character the
    charset lacks is written as a character reference, as a browser's form would."""
    charset = LEGACY_CHARSETS.get(story.template)
    if charset is None:
        return _html(200, html)
    return Reply(200, html.encode(charset, errors="xmlcharrefreplace"), "text/html")


def _story_target(path: str, query: str) -> str:
    """What names a page here: its path, and the query of a story at a query-string URL
    (``/news_view.html?idx=123``) without the tracking parameters that links add to it."""
    kept = "&".join(p for p in query.split("&") if p and not p.startswith("utm_"))
    return f"{path}?{kept}" if kept and path.endswith("news_view.html") else path


# Pages served in a legacy charset that only their <meta> declares.
LEGACY_CHARSETS = {"legacy": "iso-8859-1", "ja_newsroom": "shift_jis"}
REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 403: "Forbidden", 404: "Not Found",
           410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error"}
GONE = {"/2024/01/withdrawn-story.html"}
MAX_HEADER_LINES = 100


class DemoServer:
    """The sample site on ``http://127.0.0.1:<port>/``; use as a context manager. With ``shape``
    (one of ``shapes.SHAPES``), a small site built another way instead; ``forbid`` then makes its
    robots.txt disallow newsarchive.

    A small HTTP/1.1 server on asyncio in a background thread: keep-alive, one write per response,
    no thread per connection, so it stays far faster than any crawler it serves.
    """

    def __init__(self, site: DemoSite | None = None, port: int = 0, slow_seconds: float = 3.0,
                 wall_after: int | None = None, crawl_delay: float | None = None,
                 site_url: str | None = None, shape: str | None = None, forbid: bool = False) -> None:
        self.site = site or DemoSite()
        self._site_url = site_url  # the address its pages give (they are asked for through it as a proxy)
        self.app: DemoSiteApp | ShapedSiteApp
        if shape is None:
            self.app = DemoSiteApp(self.site, slow_seconds=slow_seconds, wall_after=wall_after, crawl_delay=crawl_delay)
        else:  # a small site built differently (crawler/demo_site/shapes.py), for add-site to discover
            from .shapes import ShapedSiteApp

            self.app = ShapedSiteApp(shape, forbid=forbid)
        self.requests: Counter[str] = Counter()  # request target (path and query) -> times asked
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), target) of each request, in order
        self.connections = 0  # TCP connections accepted: keep-alive keeps this far below the requests
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-site", daemon=True)

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        return f"http://127.0.0.1:{self._port}/"

    @property
    def site_url(self) -> str:
        """The address the site's pages, feeds and sitemaps give: ``site_url`` when one was given
        (the server then answers requests for it made through it as an HTTP proxy), else ``base_url``."""
        return self._site_url or self.base_url

    def next_edition(self) -> DemoSite:
        """Move the live site to its next edition (and start counting requests afresh)."""
        self.site = self.site.next_edition()
        app = DemoSiteApp(self.site, base_url=self.site_url, slow_seconds=self.app.slow_seconds,
                          wall_after=self.app.wall_after, crawl_delay=self.app.crawl_delay)
        self.app = app
        self.requests.clear()
        self.arrivals.clear()
        return self.site

    def start(self) -> DemoServer:
        """Serve; a port that is taken raises ``OSError``, and nothing is left running."""
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self._port), self._loop)
        try:
            self._server = started.result(timeout=30)
        except BaseException:
            self.stop()
            raise
        self._port = self._server.sockets[0].getsockname()[1]
        self.app.base_url = self.site_url
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
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
        task = asyncio.current_task()
        self._connections.add(task)
        self.connections += 1
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
                if target.startswith(("http://", "https://")):  # asked as a proxy: the path is the page
                    parts = urlsplit(target)
                    target = parts.path + (f"?{parts.query}" if parts.query else "")
                self.requests[target] += 1
                self.arrivals.append((time.monotonic(), target))
                reply = self.app.respond(target, self.requests[target], headers)
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                close = version == "HTTP/1.0" or headers.get("connection", "").lower() == "close"
                lines = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Unknown')}",
                         f"Content-Type: {reply.content_type}", f"Content-Length: {len(reply.body)}",
                         "Server: newsarchive-demo", *(f"{k}: {v}" for k, v in reply.headers)]
                if close:
                    lines.append("Connection: close")
                head = "\r\n".join(lines) + "\r\n\r\n"
                writer.write(head.encode("latin-1") + (b"" if method == "HEAD" else reply.body))
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
