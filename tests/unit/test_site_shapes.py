"""Issue 25, item 3: the sample sites built differently, each announcing its stories one way."""

from __future__ import annotations

import pytest

from crawler.demo_site.shapes import SHAPES, ShapedSiteApp
from crawler.discovery import parse_feed, parse_sitemap, robots_sitemaps


def status(app: ShapedSiteApp, path: str) -> int:
    return app.respond(path, 1).status


def body(app: ShapedSiteApp, path: str) -> str:
    reply = app.respond(path, 1)
    assert reply.status == 200, path
    return reply.body.decode("utf-8", errors="replace")


@pytest.mark.parametrize("shape", [s for s in SHAPES if s != "empty"])
def test_every_story_of_a_shape_is_served(shape):
    app = ShapedSiteApp(shape)
    assert len(app.article_paths) == 19
    assert all(status(app, path) == 200 for path in app.article_paths)


def test_sections_only_has_no_feed_and_no_sitemap():
    app = ShapedSiteApp("sections")
    assert status(app, "/feed.xml") == status(app, "/sitemap.xml") == 404
    assert 'rel="alternate"' not in body(app, "/") and "/section/world/" in body(app, "/")
    assert "/section/world/page/2/" in body(app, "/section/world/")


def test_sitemap_index_only_is_named_nowhere_and_lists_every_story():
    app = ShapedSiteApp("sitemap-index", base_url="http://news.example/")
    assert robots_sitemaps(body(app, "/robots.txt")) == []
    assert "/section/" not in body(app, "/") and 'rel="alternate"' not in body(app, "/")
    index = parse_sitemap(body(app, "/sitemap.xml").encode())
    pages = {e.url.removeprefix("http://news.example") for child in index.sitemaps
             for e in parse_sitemap(body(app, child.url.removeprefix("http://news.example")).encode()).urls}
    assert pages == app.article_paths


def test_rss_only_lists_every_story_in_its_feed():
    app = ShapedSiteApp("rss", base_url="http://news.example/")
    assert '<link rel="alternate" type="application/rss+xml" title="News" href="/feed.xml">' in body(app, "/")
    entries = {e.url.removeprefix("http://news.example").split("?")[0]
               for e in parse_feed(body(app, "/feed.xml").encode()).entries}
    assert entries == app.article_paths and status(app, "/sitemap.xml") == 404


def test_numeric_stories_have_no_date_in_their_urls():
    app = ShapedSiteApp("numeric")
    assert all(path.startswith("/story/") and path[7:].isdigit() and len(path) == 13 for path in app.article_paths)
    assert "/story/" in body(app, "/world/")


def test_the_german_site_lives_under_de_beside_the_english_demo():
    app = ShapedSiteApp("german", base_url="http://news.example/")
    home = body(app, "/de/")
    assert 'href="/de/politik/"' in home and "/section/world/" not in home
    assert all(path.startswith("/de/") for path in app.article_paths)
    assert "/section/world/" in body(app, "/")  # the English demo site
    assert robots_sitemaps(body(app, "/robots.txt")) == ["http://news.example/sitemap.xml"]
    story = app.respond(sorted(app.article_paths)[0], 1)
    assert story.content_type == "text/html" and b"+02:00" in story.body  # ISO-8859-1, CEST


def test_forbid_disallows_newsarchive_only():
    from protego import Protego

    rules = Protego.parse(body(ShapedSiteApp("rss", forbid=True), "/robots.txt"))
    assert not rules.can_fetch("http://news.example/", "newsarchive/0.1.0")
    assert rules.can_fetch("http://news.example/", "otherbot/1.0")


def test_a_shape_serves_its_sitemaps_and_legacy_pages_as_the_demo_does():
    """Review: ``shapes`` had its own copy of the demo's sitemap routes and charset handling, and the
    copies had drifted: the demo's raised ``UnicodeEncodeError`` for a legacy page with a character
    its charset lacks, where the shape wrote a character reference. One code serves both now."""
    from dataclasses import replace

    from crawler.demo_site import DemoSiteApp
    from crawler.demo_site.shapes import ShapeContent

    app = ShapedSiteApp("german", base_url="http://news.example/")
    story = next(s for s in app.site.stories if s.template == "legacy")
    priced = replace(story, title=story.title + " \u2013 5 \u20ac")  # neither in ISO-8859-1
    demo = DemoSiteApp(ShapeContent(articles=1, given=(priced,)), base_url="http://news.example/")
    served = demo.respond(priced.path, 2)  # (its first request is the demo's flaky 500)
    assert served.status == 200 and served.content_type == "text/html"
    assert "&#8211; 5 &#8364;" in served.body.decode("iso-8859-1")
    index = ShapedSiteApp("sitemap-index", base_url="http://news.example/")
    same = DemoSiteApp(index.site, base_url="http://news.example/")
    for path in ("/sitemap.xml", "/sitemap-news.xml", "/sitemap-2024-06.xml"):
        assert index.respond(path, 1).body == same.respond(path, 1).body, path
