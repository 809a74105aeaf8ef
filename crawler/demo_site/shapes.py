"""Sample sites built differently from the demo's, for ``newsarchive add-site`` to discover.

Each shape is a small news site that announces its articles one way only (or, for the German
one, under a path of its own), served by ``DemoServer(shape=...)`` on 127.0.0.1:

- ``sections``: navigation to section fronts with pagination, tag and author pages; no feed, no sitemap;
- ``sitemap-index``: a home page with no links to stories; only ``/sitemap.xml``, an index (not named in
  robots.txt) of monthly sitemaps and a Google News sitemap;
- ``rss``: a home page with no links to stories; only an RSS feed, named by ``<link rel="alternate">``;
- ``numeric``: date-less story URLs by number (``/story/100037``), section fronts at ``/world/``, an RSS feed;
- ``german``: a German site under ``/de/`` with its own navigation, ISO-8859-1 pages dated at +02:00,
  and a feed; the rest of the host is the English demo site (with its own sitemap in robots.txt);
- ``empty``: pages, but no story anywhere.

``forbid=True`` makes robots.txt disallow newsarchive everywhere. ``ShapedSiteApp.article_paths``
is what a crawl should archive.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from html import escape
from urllib.parse import unquote

from . import render
from .content import SECTIONS, DemoArticle, DemoSite, _german, slugify
from .server import DemoSiteApp, Reply, _html, sitemap_reply, story_reply

SHAPES = ("sections", "sitemap-index", "rss", "numeric", "german", "empty")
CEST = timezone(timedelta(hours=2))
GERMAN_DESKS = ("politik", "wirtschaft", "kultur")
NAV = re.compile(r'<nav class="main-nav">.*?</nav>', re.DOTALL)
FEED_LINK = re.compile(r'<link rel="alternate" type="application/rss\+xml"[^>]*>\n?')
LISTING = re.compile(r"^(?P<base>/(?:de/|section/|tag/|author/)?(?P<name>[^/]+)/)(?:page/(?P<number>\d+)/)?$")


@dataclass
class ShapeContent(DemoSite):
    """A ``DemoSite`` whose stories are given (the templates read neighbours and sections from it)."""

    given: tuple[DemoArticle, ...] = field(default=(), repr=False)

    @cached_property
    def stories(self) -> list[DemoArticle]:
        return sorted(self.given, key=lambda a: a.published, reverse=True)


def english_stories(articles: int) -> list[DemoArticle]:
    """The demo's English stories in its three templates (no other languages, no traps)."""
    return [a for a in DemoSite(articles=articles).stories if a.template in ("blogger", "wordpress", "newsroom")]


def german_stories(articles: int) -> list[DemoArticle]:
    start = datetime(2024, 6, 28, 18, 0, tzinfo=CEST)
    stories = []
    for number in range(1, articles + 1):
        story = _german(number, random.Random(4000 + number), start)
        desk = GERMAN_DESKS[number % len(GERMAN_DESKS)]
        stories.append(replace(story, section=desk, published=story.published.astimezone(CEST),
                               url_path=f"/de/{desk}/{story.slug}.html"))
    return stories


def _nav(links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in links)
    return f'<nav class="main-nav"><ul>{items}</ul></nav>'


class ShapedSiteApp:
    """Routes a request of a shaped sample site to a ``Reply`` (as ``DemoSiteApp`` does)."""

    def __init__(self, shape: str, articles: int = 19, base_url: str = "http://127.0.0.1/",
                 forbid: bool = False, page_size: int = 3) -> None:
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")
        self.shape, self.base_url, self.forbid = shape, base_url, forbid
        self.answered = 0
        if shape == "german":
            stories = german_stories(articles)
            self.english = DemoSiteApp(DemoSite(articles=articles))
        elif shape == "numeric":
            stories = [replace(a, url_path=f"/story/{100000 + 37 * a.number}") for a in english_stories(articles)]
        elif shape == "empty":
            stories = []
        else:
            stories = english_stories(articles)
        self.site = ShapeContent(articles=max(1, len(stories)), page_size=page_size, given=tuple(stories))

    @property
    def article_paths(self) -> set[str]:
        """The site's stories: what a crawl of it should archive, and nothing else."""
        return {a.path for a in self.site.stories}

    @property
    def prefix(self) -> str:
        return "/de/" if self.shape == "german" else "/"

    @property
    def sections(self) -> list[tuple[str, str]]:
        """The navigation's section fronts: (path, name)."""
        if self.shape == "sections":
            return [(f"/section/{s}/", s.title()) for s in SECTIONS]
        if self.shape == "numeric":
            return [(f"/{s}/", s.title()) for s in SECTIONS]
        if self.shape == "german":
            return [(f"/de/{d}/", d.title()) for d in GERMAN_DESKS]
        return []

    def _chrome(self, html: str) -> str:
        """The page with this shape's navigation and feed link instead of the demo's."""
        links = [(self.prefix, "Startseite" if self.shape == "german" else "Home"), *self.sections]
        if self.shape == "german":
            links.append(("/", "English"))
        links.append((f"{self.prefix}about.html", "About us"))
        html = NAV.sub(lambda _: _nav(links), html, count=1)
        feed = self._feed_path
        link = f'<link rel="alternate" type="application/rss+xml" title="News" href="{feed}">\n' if feed else ""
        return FEED_LINK.sub(lambda _: link, html, count=1)

    @property
    def _feed_path(self) -> str | None:
        return {"rss": "/feed.xml", "numeric": "/feed.xml", "german": "/de/feed.xml"}.get(self.shape)

    def robots_txt(self) -> str:
        if self.forbid:
            return "User-agent: newsarchive\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
        if self.shape == "german":
            self.english.base_url = self.base_url
            return self.english.respond("/robots.txt", 1).body.decode()
        return "User-agent: *\nDisallow: /private/\n"

    def respond(self, target: str, count: int, headers: dict[str, str] | None = None) -> Reply:
        self.answered += 1
        path = target.partition("?")[0]
        site = self.site
        if path == "/robots.txt":
            return Reply(200, self.robots_txt().encode(), "text/plain")
        if self.shape == "german" and not path.startswith("/de/"):
            self.english.base_url = self.base_url
            return self.english.respond(target, count, headers)
        if path == self.prefix:
            return _html(200, self._home())
        if path == f"{self.prefix}about.html":
            return _html(200, self._chrome(render.about_page()))
        if path == self._feed_path:
            count_items = len(site.stories) if self.shape == "rss" else 10
            return Reply(200, render.rss(site, self.base_url, count_items).encode(), "application/rss+xml")
        if self.shape == "sitemap-index" and (sitemap := sitemap_reply(site, self.base_url, path)) is not None:
            return sitemap
        story = site.article(path)
        if story is not None:
            return story_reply(story, self._chrome(render.article_page(site, story)))
        listing = LISTING.match(path)
        if listing and self.shape in ("sections", "numeric", "german"):
            return self._listing(listing["base"], unquote_slug(listing["name"]), int(listing["number"] or 1))
        return _html(404, render.not_found_page())

    def _home(self) -> str:
        site = self.site
        if self.shape in ("sections", "numeric", "german"):
            return self._chrome(render.home_page(site))
        body = ('<h1 class="page-title">Welcome</h1><p>Read our stories in your feed reader or search engine.</p>'
                if self.shape != "empty" else
                '<h1 class="page-title">Coming soon</h1><p>Our newsroom opens next month.</p>')
        return self._chrome(render._page(f"{render.SITE_NAME} \u2013 News", body))

    def _listing(self, base: str, name: str, number: int) -> Reply:
        site = self.site
        section = dict((path, title) for path, title in self.sections).get(base)
        if section is not None:
            items, title = site.in_section(section.lower()), section
        elif base.startswith("/tag/"):
            items, title = site.with_tag(name), f"Tag: {name}"
        elif base.startswith("/author/"):
            items, title = site.by_author(name), name
        else:
            items, title = [], ""
        if not items or number > site.pages(items):
            return _html(404, render.not_found_page())
        return _html(200, self._chrome(render.listing_page(site, title, base, items, number)))


def unquote_slug(slug: str) -> str:
    return slugify(unquote(slug))

