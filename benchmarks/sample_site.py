"""The sample news site in a process of its own, for the benchmarks; or real news pages (a
corpus's) served as one section's stories.

Every page is rendered before the first request and the deliberately slow page answers at once:
the benchmarks measure the crawler, not the site it crawls (nor the wait for a trap's timeouts).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from crawler.demo_site import DemoServer, DemoSite
from crawler.demo_site.server import Reply

LISTED = 50  # stories on a page of the corpus site's section
CORPUS_SITE = """name = "news"
base_url = "{base_url}"
sections = [{{ name = "news", url = "/news/" }}]
article_urls = ['/story/\\d+\\.html$']
max_listing_pages = 100000
download_delay = 0
concurrent_requests = 8
"""


class CorpusSiteApp:
    """Real news pages as a site: ``/news/`` lists them, ``LISTED`` a page, each page linking the
    next (``?page=K``); ``/story/N.html`` is the N-th body as the publisher served it."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies, self.base_url = bodies, "http://127.0.0.1/"

    def respond(self, target: str, times: int, headers: dict[str, str]) -> Reply:
        if target == "/robots.txt":
            return Reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if listing := re.fullmatch(r"/news/(?:\?page=(\d+))?", target):
            page = int(listing.group(1) or 1)
            first = (page - 1) * LISTED
            links = "".join(f'<li><a href="/story/{n}.html">Story {n}</a></li>'
                            for n in range(first, min(first + LISTED, len(self.bodies))))
            more = f'<a rel="next" href="/news/?page={page + 1}">Next</a>' if first + LISTED < len(self.bodies) else ""
            return Reply(200, f"<html><head><title>News</title></head><body><ul>{links}</ul>{more}</body></html>"
                         .encode(), "text/html; charset=utf-8")
        if (story := re.fullmatch(r"/story/(\d+)\.html", target)) and int(story.group(1)) < len(self.bodies):
            return Reply(200, self.bodies[int(story.group(1))], "text/html")
        return Reply(404, b"Not found", "text/plain")


def _serve(articles: int | list[bytes], core: int | None, ready: multiprocessing.Queue,
           stop: multiprocessing.Event) -> None:
    if core is not None and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > core:
        os.sched_setaffinity(0, {core})
    server = DemoServer(DemoSite(articles=articles if isinstance(articles, int) else 1), slow_seconds=0.1)
    if isinstance(articles, list):
        server.app = CorpusSiteApp(articles)
    with server:
        if isinstance(articles, int):
            server.app.prerender()
        ready.put(server.base_url)
        stop.wait()


@contextmanager
def served_site(articles: int | list[bytes], core: int | None = None) -> Iterator[str]:
    """The live site's base URL: the sample site with ``articles`` stories, or the pages given
    (``CorpusSiteApp``); ``core`` pins the server to that CPU."""
    ready: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(articles, core, ready, stop), daemon=True)
    server.start()
    try:
        yield ready.get(timeout=120)
    finally:
        stop.set()
        server.join(timeout=10)
