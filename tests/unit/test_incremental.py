"""Incremental re-crawls (issue 26): known links looked up in the archive, listings walked only
while they offer something new or due, sitemaps skipped by ``lastmod``, feeds and sitemaps asked
for conditionally. Stored responses fed to the spider's callbacks, over an archive on disk."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import HtmlResponse, Request, Response, XmlResponse
from scrapy.utils.test import get_crawler

import archive.known
from archive.db import open_archive
from archive.known import DiscoverySource, KnownUrls, record_sources
from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.spiders.news import NewsSpider
from tests.conftest import page_html

BASE = "http://127.0.0.1"
NOW = datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def archive_with(path, stories, *, site="demo", fetched=NOW, etag=None):
    """An archive holding ``stories`` (DemoArticles) of ``site``, each last fetched at ``fetched``."""
    db = open_archive(path)
    with db.conn:
        for story in stories:
            capture = None
            if etag:
                capture = db["captures"].insert({"url": BASE + story.path, "site": site, "fetched_at": _iso(fetched),
                                                 "status": 200, "digest": story.path, "size": 1, "etag": etag}).last_pk
            db["articles"].insert({"site": site, "url": BASE + story.path, "title": story.title, "text": "text",
                                   "content_hash": story.path, "published_at": _iso(story.published.astimezone(UTC)),
                                   "first_seen_at": _iso(fetched), "last_fetched_at": _iso(fetched),
                                   "last_capture_id": capture})
    return db


def make_spider(demo_config, db_path, **settings) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"ARCHIVE_DB": str(db_path), "ARCHIVE_LEARN_BOILERPLATE": False, **settings})
    spider = NewsSpider.from_crawler(crawler, sites=[demo_config.with_base_url(BASE + "/")])
    crawler.spider = spider
    return spider


def end_crawl(spider: NewsSpider, reason: str) -> None:
    """End a crawl as Scrapy does: the spider's ``closed``, then the archive pipeline's
    ``spider_closed``, which keeps the feeds' and sitemaps' validators as it closes the runs."""
    from crawler.pipelines import ArchivePipeline

    pipeline = ArchivePipeline.from_crawler(spider.crawler)
    pipeline.open_spider()
    spider.closed(reason)
    pipeline.spider_closed(spider, reason)


def listing(app, path: str, **meta) -> HtmlResponse:
    request = Request(BASE + path, meta={"site": "demo", "section": "world", **meta})
    return HtmlResponse(request.url, body=page_html(app, path), encoding="utf-8", request=request)


def xml(url: str, body: bytes = b"", status: int = 200, **meta) -> Response:
    request = Request(url, meta={"site": "demo", **meta})
    return XmlResponse(url, body=body, status=status, request=request)


def stat(spider, name: str) -> int:
    return spider.crawler.stats.get_value(f"news/demo/{name}", 0)


def test_known_urls_are_looked_up_in_batches_and_read_in_chunks(tmp_path, demo_site, monkeypatch):
    monkeypatch.setattr(archive.known, "LOOKUP_BATCH", 7)
    monkeypatch.setattr(archive.known, "SCAN_CHUNK", 5)
    archive_with(tmp_path / "a.db", demo_site.stories[:30]).close()
    archive_with(tmp_path / "a.db", demo_site.stories[30:40], site="other").close()
    known = KnownUrls(tmp_path / "a.db")
    asked = [BASE + s.path for s in demo_site.stories[:50]] + [BASE + "/not/archived.html"]
    found = known.lookup("demo", asked)
    assert sorted(found) == sorted(BASE + s.path for s in demo_site.stories[:30])  # another site's are not its
    assert found[BASE + demo_site.stories[0].path].last_fetched_at == _iso(NOW)
    assert known.count("demo") == 30 and known.count("other") == 10
    assert sorted(k.url for k in known.of_site("demo")) == sorted(found)
    assert not list(known.of_site("demo", "and a.last_fetched_at < ?", [_iso(NOW)]))  # all fetched at NOW
    assert not KnownUrls(None) and KnownUrls(None).lookup("demo", asked) == {}


def test_a_known_link_not_due_is_dropped_before_a_request_is_built(tmp_path, demo_config, demo_app, demo_site):
    world = demo_site.in_section("world")
    archive_with(tmp_path / "a.db", world[1:10]).close()  # the first story of the page is new
    spider = make_spider(demo_config, tmp_path / "a.db")
    out = list(spider.parse_listing(listing(demo_app, "/section/world/", listing_page=1)))
    articles = {r.url for r in out if r.callback == spider.parse_article}
    assert BASE + world[0].path in articles
    assert not articles & {BASE + s.path for s in world[1:10]}
    assert stat(spider, "skipped/not_due") == 9


def test_a_recrawl_stops_walking_a_section_past_pages_with_nothing_new(tmp_path, demo_config):
    demo_site = DemoSite(articles=400)  # its world section has more than three pages
    demo_app = DemoSiteApp(demo_site)
    archive_with(tmp_path / "a.db", demo_site.stories).close()
    spider = make_spider(demo_config, tmp_path / "a.db")
    list(spider.parse_listing(listing(demo_app, "/section/world/", listing_page=1)))  # its sidebar's trap links are new
    second = list(spider.parse_listing(listing(demo_app, "/section/world/page/2/", listing_page=2)))
    assert not [r for r in second if r.callback == spider.parse_article]
    # ARCHIVE_LISTING_SAFETY_DEPTH (1): one more quiet page is walked ...
    [following] = [r for r in second if r.callback == spider.parse_listing]
    assert following.url == BASE + "/section/world/page/3/" and following.meta["quiet_pages"] == 1
    # ... and then no more
    third = list(spider.parse_listing(listing(demo_app, "/section/world/page/3/", listing_page=3, quiet_pages=1)))
    assert not [r for r in third if r.callback in (spider.parse_listing, spider.parse_article)]
    assert stat(spider, "listing_stopped/nothing_new") == 1


def test_a_page_with_a_new_story_keeps_the_walk_going(tmp_path, demo_config, demo_app, demo_site):
    world = demo_site.in_section("world")
    archive_with(tmp_path / "a.db", [s for s in demo_site.stories if s != world[12]]).close()  # page 2 has a new one
    spider = make_spider(demo_config, tmp_path / "a.db", ARCHIVE_LISTING_SAFETY_DEPTH=0)
    list(spider.parse_listing(listing(demo_app, "/section/world/", listing_page=1)))  # its sidebar's trap links are new
    out = list(spider.parse_listing(listing(demo_app, "/section/world/page/2/", listing_page=2, quiet_pages=3)))
    assert [r.url for r in out if r.callback == spider.parse_article] == [BASE + world[12].path]
    [following] = [r for r in out if r.callback == spider.parse_listing]
    assert following.meta["quiet_pages"] == 0
    # with no safety depth, the first page that offers nothing stops the walk
    out = list(spider.parse_listing(listing(demo_app, "/section/world/page/3/", listing_page=3)))
    assert not [r for r in out if r.callback == spider.parse_listing]


def test_links_every_listing_page_repeats_count_once(tmp_path, demo_config, demo_app, demo_site):
    # The sample site links its trap pages (never archived: new on every crawl) from every listing page.
    archive_with(tmp_path / "a.db", demo_site.stories).close()
    spider = make_spider(demo_config, tmp_path / "a.db", ARCHIVE_LISTING_SAFETY_DEPTH=0)
    first = list(spider.parse_listing(listing(demo_app, "/section/world/", listing_page=1)))
    assert [r for r in first if r.callback == spider.parse_article]  # the traps: new, so asked for
    assert [r for r in first if r.callback == spider.parse_listing]
    again = list(spider.parse_listing(listing(demo_app, "/section/world/page/2/", listing_page=2)))
    assert not [r for r in again if r.callback in (spider.parse_listing, spider.parse_article)]


def test_articles_due_for_a_recheck_come_from_the_archive_conditionally(tmp_path, demo_config, demo_site):
    stale, fresh = demo_site.stories[-3:], demo_site.stories[-6:-3]  # old stories: re-checked weekly
    archive_with(tmp_path / "a.db", stale, fetched=NOW - timedelta(days=8), etag='"v1"').close()
    archive_with(tmp_path / "a.db", fresh, fetched=NOW - timedelta(days=1)).close()
    spider = make_spider(demo_config, tmp_path / "a.db", ARCHIVE_RECHECK="1d=1h,*=7d")

    async def started() -> list[Request]:
        return [r async for r in spider.start() if r.meta.get("article")]

    requests = asyncio.run(started())
    assert sorted(r.url for r in requests) == sorted(BASE + s.path for s in stale)
    assert all(r.headers[b"If-None-Match"] == b'"v1"' for r in requests)
    assert all(r.meta["handle_httpstatus_list"] == [304] for r in requests)
    assert stat(spider, "due_from_archive") == 3


def test_an_article_due_from_the_archive_is_judged_due_once(tmp_path, demo_config, demo_site):
    """Review: ``KnownUrls.due`` already asks the policy whether each article is due; the request
    built for it asked again (``conditional_headers``), once more per article re-checked."""
    from crawler.recheck import RecheckPolicy

    archive_with(tmp_path / "a.db", demo_site.stories[-4:], fetched=NOW - timedelta(days=8), etag='"v1"').close()
    spider = make_spider(demo_config, tmp_path / "a.db")
    asked: list[datetime | None] = []

    class Counting(RecheckPolicy):
        def due(self, published, last_fetched, now):
            asked.append(published)
            return super().due(published, last_fetched, now)

    spider.recheck = Counting.parse("1d=1h,*=7d")

    async def started() -> list[Request]:
        return [r async for r in spider.start() if r.meta.get("article")]

    requests = asyncio.run(started())
    assert len(requests) == 4 and all(r.headers[b"If-None-Match"] == b'"v1"' for r in requests)
    assert len(asked) == 4  # one decision per archived article


def sitemap_index(children: list[tuple[str, str | None]]) -> bytes:
    entries = "".join(f"<sitemap><loc>{BASE}{path}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
                      + "</sitemap>" for path, lastmod in children)
    return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>").encode()


def source(path: str, *, parent: str | None = None, lastmod: str | None = None, etag: str | None = None,
           kind: str = "sitemap") -> DiscoverySource:
    return DiscoverySource(url=BASE + path, site="demo", kind=kind, parent=parent and BASE + parent, etag=etag,
                           last_modified=None, lastmod=lastmod, fetched_at=_iso(NOW - timedelta(days=1)))


def test_sitemap_children_not_modified_since_they_were_read_are_not_fetched(tmp_path, demo_config):
    db = open_archive(tmp_path / "a.db")
    db["crawl_runs"].insert({"site": "demo", "started_at": "2024-06-10T00:00:00+00:00", "outcome": "finished"})
    record_sources(db, [source("/sitemap-2024-05.xml", parent="/sitemap.xml", lastmod="2024-05-31T10:00:00+00:00"),
                        source("/sitemap-2024-06.xml", parent="/sitemap.xml", lastmod="2024-06-09T10:00:00+00:00")])
    db.close()
    spider = make_spider(demo_config, tmp_path / "a.db")
    index = sitemap_index([
        ("/sitemap-2024-05.xml", "2024-05-31T10:00:00+00:00"),  # as when read: skipped
        ("/sitemap-2024-06.xml", "2024-06-12T08:00:00+00:00"),  # modified since it was read
        # not read before, older than the last good run (which read no sitemap: sources=sections, or
        # a sitemap the site added since): asked for, or its stories would never be
        ("/sitemap-2024-04.xml", "2024-04-30T10:00:00+00:00"),
        ("/sitemap-news.xml", "2024-06-11T10:00:00+00:00"),  # not read before, newer
        ("/sitemap-pages.xml", None),  # no lastmod: asked for
    ])
    out = list(spider.parse_sitemap(xml(BASE + "/sitemap.xml", index)))
    assert sorted(r.url.removeprefix(BASE) for r in out) == ["/sitemap-2024-04.xml", "/sitemap-2024-06.xml",
                                                              "/sitemap-news.xml", "/sitemap-pages.xml"]
    assert stat(spider, "skipped/sitemap_unchanged") == 1
    assert {r.meta["parent"] for r in out} == {BASE + "/sitemap.xml"}


def test_feeds_and_sitemaps_are_asked_for_conditionally_and_a_304_is_counted(tmp_path, demo_config):
    db = open_archive(tmp_path / "a.db")
    record_sources(db, [source("/feed.xml", kind="feed", etag='"feed-1"'),
                        source("/sitemap.xml", etag='"index-1"'),
                        source("/sitemap-2024-05.xml", parent="/sitemap.xml", lastmod="2024-05-31T10:00:00+00:00"),
                        source("/sitemap-pages.xml", parent="/sitemap.xml", etag='"pages-1"')])
    db.close()
    spider = make_spider(demo_config, tmp_path / "a.db")
    feed = spider._feed_request(spider.sites["demo"], BASE + "/feed.xml")
    assert feed.headers[b"If-None-Match"] == b'"feed-1"' and feed.meta["handle_httpstatus_list"] == [304]
    assert b"If-None-Match" not in spider._feed_request(spider.sites["demo"], BASE + "/atom.xml").headers

    assert list(spider.parse_feed(xml(BASE + "/feed.xml", status=304, source="feed"))) == []
    assert stat(spider, "not_modified/feeds") == 1 and not spider.crawler.stats.get_value("news/demo/errors")
    # an unchanged index lists what it listed: the children that had a lastmod are unchanged, the others are asked for
    out = list(spider.parse_sitemap(xml(BASE + "/sitemap.xml", status=304, source="sitemap")))
    assert [r.url for r in out] == [BASE + "/sitemap-pages.xml"]
    assert out[0].headers[b"If-None-Match"] == b'"pages-1"'
    assert stat(spider, "not_modified/sitemaps") == 1 and stat(spider, "skipped/sitemap_unchanged") == 1


def test_validators_are_kept_only_when_the_crawl_finishes(tmp_path, demo_config):
    open_archive(tmp_path / "a.db").close()
    for reason, kept in (("shutdown", 0), ("finished", 1)):
        spider = make_spider(demo_config, tmp_path / "a.db")
        answer = XmlResponse(BASE + "/feed.xml", body=b"<rss/>", headers={"ETag": '"e2"'},
                             request=Request(BASE + "/feed.xml", meta={"site": "demo", "source": "feed"}))
        list(spider.parse_feed(answer))
        end_crawl(spider, reason)
        rows = list(open_archive(tmp_path / "a.db")["discovery_sources"].rows)
        assert len(rows) == kept
    assert rows[0]["etag"] == '"e2"' and rows[0]["kind"] == "feed" and rows[0]["site"] == "demo"


@pytest.mark.parametrize("policy", ["always", "never", "1h=15m,1d=1h,7d=6h,30d=1d,*=7d", "2d=1h,*=30d"])
def test_the_database_looks_for_due_articles_only_where_they_can_be(tmp_path, demo_site, policy):
    from crawler.recheck import RecheckPolicy
    recheck = RecheckPolicy.parse(policy)
    db = open_archive(tmp_path / "a.db")
    with db.conn:  # published and last fetched at every combination of ages around the policy's steps
        ages = [timedelta(minutes=m) for m in (0, 10, 14, 16, 50, 61, 90, 300, 1439, 1441, 3000, 10079, 10081,
                                                 43199, 43201, 60000, 600000)]
        for number, (published, fetched) in enumerate((p, f) for p in ages for f in ages if f <= p):
            db["articles"].insert({"site": "demo", "url": f"{BASE}/{number}.html", "title": "t", "text": "t",
                                   "content_hash": "h", "published_at": _iso(NOW - published),
                                   "first_seen_at": _iso(NOW - published), "last_fetched_at": _iso(NOW - fetched)})
        for number, fetched in enumerate(ages):  # undated: aged from when first seen, in SQL and in Python alike
            db["articles"].insert({"site": "demo", "url": f"{BASE}/undated-{number}.html", "title": "t", "text": "t",
                                   "content_hash": "h", "first_seen_at": _iso(NOW - timedelta(days=400)),
                                   "last_fetched_at": _iso(NOW - fetched)})
    known = KnownUrls(tmp_path / "a.db")

    def due(article):
        published = datetime.fromisoformat(article.published_at) if article.published_at else None
        return recheck.due(published, datetime.fromisoformat(article.last_fetched_at), NOW)

    expected = sorted(a.url for a in known.of_site("demo") if due(a))
    assert sorted(a.url for a in known.due("demo", due, recheck.windows(NOW))) == expected
    assert policy != "never" or expected == []
    # and only where they can be: the windows leave out articles no step of the policy makes due
    scanned = sum(1 for _ in known.due("demo", lambda article: True, recheck.windows(NOW)))
    assert scanned < sum(1 for _ in known.of_site("demo")) or policy == "always"


@pytest.mark.parametrize("depth", ["-1", "two", "1.5"])
def test_a_bad_safety_depth_fails_the_crawl_at_once(tmp_path, demo_config, depth):
    from crawler.spiders.news import SpiderArgumentError
    with pytest.raises(SpiderArgumentError, match=f"ARCHIVE_LISTING_SAFETY_DEPTH must be a whole number of pages,"
                                                  f" 0 or more, not '{depth}'"):
        make_spider(demo_config, tmp_path / "a.db", ARCHIVE_LISTING_SAFETY_DEPTH=depth)


def test_a_feed_or_sitemap_not_followed_whole_is_read_in_full_next_time(tmp_path, demo_config):
    """A story the feed listed failed, a child sitemap failed, a child was cut at the link limit:
    their validators (and the child's lastmod) are not kept, or a 304 would hide those entries."""
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    open_archive(tmp_path / "a.db").close()
    spider = make_spider(demo_config, tmp_path / "a.db", ARCHIVE_MAX_LINKS_PER_PAGE=2)

    def read(url, body, **meta):
        request = Request(url, meta={"site": "demo", **meta})
        return list(spider.parse_feed(XmlResponse(url, body=body, headers={"ETag": '"e"'}, request=request))
                    if meta["source"] == "feed" else
                    spider.parse_sitemap(XmlResponse(url, body=body, headers={"ETag": '"e"'}, request=request)))

    def fail(request):
        failure = Failure(HttpError(Response(request.url, status=503, request=request)))
        failure.request = request  # as Scrapy hands an errback its failure
        spider.failed(failure)

    story = "<item><link>{}/2024/06/{}.html</link></item>"
    feed = f"<rss><channel>{story.format(BASE, 'a')}{story.format(BASE, 'b')}</channel></rss>".encode()
    articles = read(BASE + "/feed.xml", feed, source="feed")
    fail(articles[0])  # a story of the feed failed
    read(BASE + "/atom.xml", f"<rss><channel>{story.format(BASE, 'c')}</channel></rss>".encode(), source="feed")
    children = read(BASE + "/sitemap.xml", sitemap_index([("/sitemap-1.xml", "2024-06-01T00:00:00+00:00"),
                                                          ("/sitemap-2.xml", "2024-06-01T00:00:00+00:00")]),
                    source="sitemap")
    fail(children[0])  # a child that did not answer: its index is read in full next time
    urlset = "".join(f"<url><loc>{BASE}/2024/06/s{n}.html</loc></url>" for n in range(3))
    read(BASE + "/sitemap-2.xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urlset}</urlset>'
         .encode(), source="sitemap", parent=BASE + "/sitemap.xml", lastmod="2024-06-01T00:00:00+00:00")  # cut
    end_crawl(spider, "finished")
    rows = {row["url"].removeprefix(BASE): row for row in open_archive(tmp_path / "a.db")["discovery_sources"].rows}
    assert rows["/atom.xml"]["etag"] == '"e"'  # followed whole: kept
    for incomplete in ("/feed.xml", "/sitemap.xml", "/sitemap-2.xml"):
        assert (rows[incomplete]["etag"], rows[incomplete]["lastmod"]) == (None, None)
    assert "/sitemap-1.xml" not in rows


def test_the_spider_writes_nothing_the_pipeline_keeps_the_validators_with_the_runs(tmp_path, demo_config, monkeypatch):
    """Review: the spider wrote ``discovery_sources`` itself in ``closed``; it only routes now, and
    the archive pipeline's writer keeps them in the transaction that closes the runs, so a crawl
    whose runs are not closed (killed, or failing there) keeps no validators either."""
    import crawler.pipelines
    from crawler.pipelines import ArchivePipeline

    open_archive(tmp_path / "a.db").close()
    spider = make_spider(demo_config, tmp_path / "a.db")
    request = Request(BASE + "/feed.xml", meta={"site": "demo", "source": "feed"})
    list(spider.parse_feed(XmlResponse(BASE + "/feed.xml", body=b"<rss/>", headers={"ETag": '"e"'}, request=request)))
    pipeline = ArchivePipeline.from_crawler(spider.crawler)
    pipeline.open_spider()
    spider.closed("finished")
    assert open_archive(tmp_path / "a.db")["discovery_sources"].count == 0  # not the spider's to write

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(crawler.pipelines, "finish_run", disk_full)
    with pytest.raises(OSError):
        pipeline.spider_closed(spider, "finished")
    db = open_archive(tmp_path / "a.db")
    assert db["discovery_sources"].count == 0 and next(db["crawl_runs"].rows)["outcome"] == "running"
    monkeypatch.undo()
    end_crawl(spider, "finished")
    assert [row["etag"] for row in open_archive(tmp_path / "a.db")["discovery_sources"].rows] == ['"e"']


def test_a_crawl_since_a_date_keeps_no_validators(tmp_path, demo_config):
    open_archive(tmp_path / "a.db").close()
    spider = make_spider(demo_config, tmp_path / "a.db")
    spider.since = NOW - timedelta(days=1)  # entries older than it were passed over
    request = Request(BASE + "/feed.xml", meta={"site": "demo", "source": "feed"})
    list(spider.parse_feed(XmlResponse(BASE + "/feed.xml", body=b"<rss/>", headers={"ETag": '"e"'}, request=request)))
    end_crawl(spider, "finished")
    assert open_archive(tmp_path / "a.db")["discovery_sources"].count == 0


def test_two_sites_on_one_host_keep_their_own_validators_of_a_shared_feed(tmp_path):
    db = open_archive(tmp_path / "a.db")
    record_sources(db, [source("/feed.xml", kind="feed", etag='"en"'),
                        DiscoverySource(url=BASE + "/feed.xml", site="demo-de", kind="feed", parent=None, etag='"de"',
                                        last_modified=None, lastmod=None, fetched_at=_iso(NOW))])
    known = KnownUrls(tmp_path / "a.db")
    assert known.sources("demo")[BASE + "/feed.xml"].etag == '"en"'
    assert known.sources("demo-de")[BASE + "/feed.xml"].etag == '"de"'
