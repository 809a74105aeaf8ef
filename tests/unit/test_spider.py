"""The news spider at its shallowest depth: stored responses fed to its callbacks."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.handlers import persistent_per_host
from crawler.items import ArticlePage
from crawler.sites import SiteConfig
from crawler.spiders.news import NewsSpider, looks_like_article
from tests.conftest import page_html

BASE = "http://127.0.0.1/"  # where the demo_app fixture says its pages are (feeds give absolute URLs)


@pytest.fixture
def spider(demo_config):
    crawler = get_crawler(NewsSpider)
    return NewsSpider.from_crawler(crawler, sites=[demo_config.with_base_url(BASE)])


def response(app, path: str, **meta) -> HtmlResponse:
    request = Request(BASE.rstrip("/") + path, meta={"site": "demo", **meta})
    return HtmlResponse(request.url, body=page_html(app, path), encoding="utf-8", request=request)


def test_listing_yields_its_articles_and_the_next_page(spider, demo_app, demo_site):
    out = list(spider.parse_listing(response(demo_app, "/section/world/", section="world", listing_page=1)))
    articles = [r for r in out if r.callback == spider.parse_article]
    listings = [r for r in out if r.callback == spider.parse_listing]
    expected = {BASE.rstrip("/") + a.path for a in demo_site.page(demo_site.in_section("world"), 1)}
    assert expected <= {r.url for r in articles}
    assert [r.url for r in listings] == [BASE + "section/world/page/2/"]
    assert listings[0].meta["listing_page"] == 2
    assert all(r.meta["section"] == "world" for r in out)
    assert not any("/tag/" in r.url or "/author/" in r.url for r in out)


def test_listing_depth_is_bounded(spider, demo_app):
    spider.sites["demo"] = SiteConfig(**{**spider.sites["demo"].__dict__, "max_listing_pages": 2})
    out = list(spider.parse_listing(response(demo_app, "/section/world/page/2/", section="world", listing_page=2)))
    assert not [r for r in out if r.callback == spider.parse_listing]
    assert spider.crawler.stats.get_value("news/demo/listing_depth_limit") == 1


def test_an_article_seen_twice_is_requested_once(spider, demo_app):
    first = list(spider.parse_listing(response(demo_app, "/section/world/", section="world", listing_page=1)))
    again = list(spider.parse_listing(response(demo_app, "/tag/economy/", section="world", listing_page=1)))
    first_urls = {r.url for r in first if r.callback == spider.parse_article}
    assert not first_urls & {r.url for r in again if r.callback == spider.parse_article}


def test_article_page_becomes_an_item(spider, demo_app, demo_site):
    story = demo_site.stories[0]
    items = list(spider.parse_article(response(demo_app, story.path, section="world")))
    assert len(items) == 1 and isinstance(items[0], ArticlePage)
    assert items[0].body.startswith(b"<!DOCTYPE html>") and items[0].section == "world"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://news.example/2024/06/putin-kim-sign-pact.html", True),
    ("https://news.example/world/putin-and-kim-sign-a-security-pact", True),
    ("https://news.example/story/123456789", True),
    ("https://news.example/tag/north-korea/", False),
    ("https://news.example/author/asha-menon-and-friends/", False),
    ("https://news.example/world/page/2/", False),
    ("https://news.example/files/annual-report-2024-final.pdf", False),
    ("https://news.example/about", False),
])
def test_looks_like_article_without_patterns(url, expected):
    site = SiteConfig(name="n", base_url="https://news.example/")
    assert looks_like_article(url, site) is expected


def test_listing_pages_announce_their_feeds(spider, demo_app):
    out = list(spider.parse_listing(response(demo_app, "/section/politics/", section="politics", listing_page=1)))
    feeds = [r for r in out if r.callback == spider.parse_feed]
    assert [r.url for r in feeds] == [BASE + "feed.xml"]


def test_feed_and_sitemap_entries_become_article_requests(spider, demo_app, demo_site):
    feed = response(demo_app, "/feed.xml")
    requests = list(spider.parse_feed(feed))
    assert {urlsplit(r.url).path for r in requests} == {a.path for a in demo_site.stories[:30]}
    assert not [r.url for r in requests if "utm_" in r.url]
    index = list(spider.parse_sitemap(response(demo_app, "/sitemap.xml")))
    assert all(r.callback == spider.parse_sitemap for r in index) and len(index) >= 2


BAD = ("http://[::1", "http://[zz]/2024/06/story.html")  # links urllib cannot split


def hostile(path: str, body: str, content_type: str = "text/html") -> HtmlResponse:
    from scrapy.http import TextResponse

    request = Request(BASE.rstrip("/") + path, meta={"site": "demo", "section": "world", "listing_page": 1})
    kind = HtmlResponse if content_type == "text/html" else TextResponse
    return kind(request.url, body=body.encode(), encoding="utf-8", request=request,
                headers={"Content-Type": content_type})


def test_a_malformed_link_costs_itself_not_the_listing_feed_or_sitemap_that_holds_it(spider):
    """An adversarial review: one "http://[::1" threw away the whole page (a spider error, the
    other links and the next page lost, the run 'finished' with nothing)."""
    stories = [f"/2024/06/story-{n}.html" for n in range(3)]
    links = "".join(f"<a href='{url}'>Story</a>" for url in (BAD[0], *stories, BAD[1]))
    listing = hostile("/section/world/", f"<html><body>{links}<link rel='alternate' type='application/rss+xml' "
                                         f"href='{BAD[0]}'><a rel='next' href='{BAD[1]}'>Next</a></body></html>")
    out = list(spider.parse_listing(listing))
    assert {urlsplit(r.url).path for r in out if r.callback == spider.parse_article} == set(stories)
    items = "".join(f"<item><title>S</title><link>{url}</link></item>" for url in (BAD[0], BASE + "2024/06/fed.html"))
    feed = hostile("/feed.xml", f"<rss version='2.0'><channel><title>F</title>{items}</channel></rss>",
                   "application/rss+xml")
    assert [urlsplit(r.url).path for r in spider.parse_feed(feed)] == ["/2024/06/fed.html"]
    urls = "".join(f"<url><loc>{url}</loc></url>" for url in (BAD[1], BASE + "2024/06/mapped.html"))
    sitemap = hostile("/sitemap.xml", f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
                      "application/xml")
    assert [urlsplit(r.url).path for r in spider.parse_sitemap(sitemap)] == ["/2024/06/mapped.html"]
    assert spider.crawler.stats.get_value("news/demo/skipped/bad_url") >= 5


def test_a_link_longer_than_scrapy_takes_is_counted_for_its_site(spider):
    """An adversarial review: a 100,000-character link was dropped by Scrapy's URLLENGTH_LIMIT,
    counted for no site."""
    long_one = "/2024/06/" + "x" * 3000 + ".html"
    listing = hostile("/section/world/", f"<html><body><a href='{long_one}'>A</a>"
                                         "<a href='/2024/06/short.html'>B</a></body></html>")
    out = [urlsplit(r.url).path for r in spider.parse_listing(listing) if r.callback == spider.parse_article]
    assert out == ["/2024/06/short.html"]
    assert spider.crawler.stats.get_value("news/demo/skipped/url_too_long") == 1


@pytest.mark.parametrize("target", ["/world/page/2/", "/world/?page=2", "/world/?p=2", "/world/?pg=2", "/world/Page/2"])
def test_the_next_page_is_found_by_its_text_among_many_links(target):
    """Only links whose target may be a numbered page have their text read (an adversarial review:
    a listing of 550,000 links took 6 s and 320 MB to read every link's text)."""
    from crawler.spiders.news import next_page

    stories = "".join(f"<a href='/2024/06/story-{n}.html'>Next story {n}</a>" for n in range(2000))
    page = HtmlResponse("https://news.example/world/", encoding="utf-8",
                        body=f"<html><body>{stories}<a href='{target}'>Older posts</a></body></html>".encode())
    assert next_page(page) == "https://news.example" + target


def test_sitemap_indexes_are_followed_only_so_deep(spider):
    """An adversarial review: an index that listed a new index (and a story) each time was
    followed for as long as the crawl ran."""
    from scrapy.http import TextResponse

    from crawler.spiders.news import MAX_SITEMAP_DEPTH

    def index(number: int) -> str:
        return ("<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                f"<sitemap><loc>{BASE}sm/{number + 1}.xml</loc></sitemap>"
                f"<sitemap><loc>{BASE}stories/{number}.xml</loc></sitemap></sitemapindex>")

    request, followed = Request(BASE + "sm/0.xml", meta={"site": "demo", "source": "sitemap"}), 0
    while request is not None:
        number = int(request.url.rsplit("/", 1)[1].split(".")[0])
        reply = TextResponse(request.url, body=index(number).encode(), request=request,
                             headers={"Content-Type": "application/xml"})
        request = next((r for r in spider.parse_sitemap(reply) if "/sm/" in r.url), None)
        followed += 1
        assert followed <= MAX_SITEMAP_DEPTH + 1
    assert followed == MAX_SITEMAP_DEPTH + 1  # the index the site names, and this many below it
    assert spider.crawler.stats.get_value("news/demo/sitemap_depth_limit") == 2  # the last one's two children


def test_an_article_request_says_where_it_was_listed_in_a_key_of_its_own(spider, demo_app):
    """Review: ``meta["source"]`` was a feed's or sitemap's kind on their own requests, and on an
    article's a label ("feed URL") that ``failed`` split apart again; ``listed_by`` says it now."""
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    from crawler.spiders.news import ListedBy

    feed = list(spider.parse_feed(response(demo_app, "/feed.xml", source="feed")))
    listing = list(spider.parse_listing(response(demo_app, "/section/world/", section="world", listing_page=1)))
    articles = [r for r in feed + listing if r.callback == spider.parse_article]
    listed = {r.meta["listed_by"] for r in articles}
    assert listed == {ListedBy("feed", BASE + "feed.xml"), ListedBy("section", "world")}
    assert not [r for r in articles if "source" in r.meta]
    assert [label.label for label in sorted(listed)] == [f"feed {BASE}feed.xml", "section world"]
    for request in (articles[-1], articles[0]):  # a story of the section failed, then one of the feed
        failure = Failure(HttpError(HtmlResponse(request.url, status=503, request=request)))
        failure.request = request
        spider.failed(failure)
    assert spider._incomplete == {("demo", BASE + "feed.xml")}  # the feed was not followed whole; no section is


def test_idle_connections_kept_follow_the_most_concurrent_site():
    settings = Settings({"CONCURRENT_REQUESTS_PER_DOMAIN": 2})
    assert persistent_per_host(settings) == 2
    settings.set("DOWNLOAD_SLOTS", {"a": {"concurrency": 8}, "b": {"delay": 1.0}, "c": {"concurrency": 1}})
    assert persistent_per_host(settings) == 8


def test_an_about_page_is_kept_out_by_its_url_not_by_extraction():
    # Short, undated prose under one heading reads as an article to extract(), as it does to the
    # corpus the page-type weights were fitted on; links to it never look like stories.
    site = SiteConfig(name="x", base_url="http://127.0.0.1/")
    assert not looks_like_article("http://127.0.0.1/about.html", site)
    assert not looks_like_article("http://127.0.0.1/about.html", site, announced=True)


def test_a_section_front_page_in_a_sitemap_is_not_taken_for_a_story():
    site = SiteConfig(name="x", base_url="http://127.0.0.1/")
    assert looks_like_article("http://127.0.0.1/politics", site, announced=True)  # can't tell: the sitemap says so
    assert not looks_like_article("http://127.0.0.1/news", site, announced=True)
    assert not looks_like_article("http://127.0.0.1/magazine/issues/", site, announced=True)


@pytest.mark.parametrize(("chain", "target", "loop"), [
    (["https://example.org/a"], "https://example.org/a", True),  # A -> A
    (["https://example.org/a", "https://example.org/b"], "https://example.org/a#top", True),  # A -> B -> A
    (["https://example.org/a"], "https://www.example.org/a", False),  # to the www. host: a redirect
    (["https://example.org/a?utm_source=x"], "https://example.org/a", False),  # tracking dropped: a redirect
])
def test_a_redirect_loop_is_a_return_to_the_same_url_not_to_its_archive_form(chain, target, loop):
    from scrapy import Request

    from crawler.middlewares import revisits

    assert revisits(Request(target, meta={"redirect_urls": chain})) is loop
