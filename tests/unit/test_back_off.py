"""A site that pushes back: a 429 or 503 slows the crawl to the pace it asks for; a bot wall is
counted and slowed for, the site left alone once it keeps saying no, its run recorded as blocked,
and its next scheduled crawl put off."""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from archive.schedule import MAX_BACK_OFF, Runner, blocked_in_a_row, due_sites, next_due
from archive.store import finish_run, start_run
from crawler.demo_site import render
from crawler.middlewares import BackOffMiddleware, BehindBotWall, BotWall, RobotsTxtMiddleware, page_title, retry_after
from crawler.spiders.news import NewsSpider

STORY = "http://127.0.0.1/2024/06/03/budget-approved-roads.html"
ANUBIS = (b"<html><head><title>Making sure you&#39;re not a bot!</title></head><body><h1>Making sure you're"
          b" not a bot!</h1><p>Calculating...</p></body></html>")


def crawler_with_slots(delay: float, **settings: Any) -> Any:
    """A crawler whose engine has a download slot, with ``delay``, for each of two sites."""
    crawler = get_crawler(NewsSpider, settings_dict=settings)
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots={
        site: SimpleNamespace(delay=delay, queue=deque()) for site in ("demo", "other")}))  # a slot's delay, queue
    crawler.stats.open_spider()
    return crawler


def middleware(limit: int = 3, delay: float = 0.0, max_delay: float = 30.0) -> BackOffMiddleware:
    return BackOffMiddleware.from_crawler(crawler_with_slots(delay, ARCHIVE_BOT_WALL_LIMIT=limit,
                                                             AUTOTHROTTLE_MAX_DELAY=max_delay))


def answer(mw: BackOffMiddleware, body: bytes, site: str = "demo", url: str = STORY, status: int = 200,
           headers: dict[str, str] | None = None):
    request = Request(url, meta={"site": site, "download_slot": site})
    response = HtmlResponse(url, status=status, body=body, encoding="utf-8", request=request, headers=headers)
    return mw.process_response(request, response)


def slot_delay(mw: BackOffMiddleware, site: str = "demo") -> float:
    return mw.crawler.engine.downloader.slots[site].delay


REAL = b"<html><head><title>Budget approved</title></head><body><p>Story</p></body></html>"
BUSY = b"<html><head><title>Too Many Requests</title></head><body><h1>429</h1></body></html>"


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), ("Sat, 28 Nov 2026 12:01:30 GMT", 90.0), ("Sat, 28 Nov 2026 11:00:00 GMT", 0.0),
    ("soon", None), ("", None),
])
def test_retry_after_reads_seconds_and_dates(value, seconds):
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    response = Response(STORY, status=429, headers={"Retry-After": value} if value else {})
    assert retry_after(response, now) == seconds


@pytest.mark.parametrize("status", [429, 503])
def test_a_site_that_asks_for_a_slower_pace_gets_it_then_eases_back(status):
    mw = middleware(delay=0.5, max_delay=30.0)
    assert answer(mw, BUSY, status=status, headers={"Retry-After": "8"}).status == status  # retried by Scrapy
    assert slot_delay(mw) == 8.0 and slot_delay(mw, "other") == 0.5
    assert answer(mw, BUSY, status=status).status == status  # no Retry-After: twice the pace's delay
    assert slot_delay(mw) == 16.0
    answer(mw, BUSY, status=status, headers={"Retry-After": "3600"})
    assert slot_delay(mw) == 30.0  # never past the maximum
    answer(mw, BUSY, status=status, headers={"Retry-After": "2"})
    assert slot_delay(mw) == 30.0  # a shorter wait does not speed the site up while it pushes back
    assert mw.crawler.stats.get_value("news/demo/slowed_down") == 4
    delays = []
    for _ in range(12):
        answer(mw, REAL)
        delays.append(slot_delay(mw))
    assert delays[:3] == [15.25, 7.875, 4.1875]  # each ordinary answer halves what was added
    assert delays[-1] == 0.5 and "demo" not in mw.own_delay  # back at the site's own pace


def test_ordinary_answers_leave_an_unslowed_sites_pace_alone():
    mw = middleware(delay=2.5)
    answer(mw, REAL)
    answer(mw, REAL, status=404)
    assert slot_delay(mw) == 2.5 and mw.crawler.stats.get_value("news/demo/slowed_down") is None


@pytest.mark.parametrize(("body", "title"), [
    (b"<html><head><TITLE data-x='1'>Just a moment...</TITLE>", "Just a moment..."),
    (ANUBIS, "Making sure you're not a bot!"),
    (b"<html><head><meta charset=utf-8></head><body><p>no title</p>", None),
])
def test_the_title_is_read_from_the_first_bytes(body, title):
    assert page_title(HtmlResponse(STORY, body=body, encoding="utf-8")) == title


def test_a_binary_response_has_no_title():
    assert page_title(Response(STORY, body=b"%PDF-1.4 <title>Just a moment...</title>")) is None


def test_each_wall_is_counted_dropped_and_doubles_the_sites_delay(caplog):
    mw = middleware(limit=5, delay=0.5)
    story = render.bot_wall_page().encode()
    with pytest.raises(BotWall):
        answer(mw, story, status=403)
    assert slot_delay(mw) == 1.0
    with pytest.raises(BotWall):
        answer(mw, ANUBIS)
    assert slot_delay(mw) == 2.0 and slot_delay(mw, "other") == 0.5
    assert mw.crawler.stats.get_value("news/demo/skipped/bot_challenge") == 2
    assert mw.crawler.stats.get_value("news/skipped/bot_challenge") == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "HTTP 403" in warnings[0] and STORY in warnings[0]


def test_the_delay_stops_growing_at_the_maximum():
    mw = middleware(limit=0, delay=20.0, max_delay=30.0)
    for _ in range(3):
        with pytest.raises(BotWall):
            answer(mw, ANUBIS)
    assert slot_delay(mw) == 30.0


def test_a_site_walled_too_often_in_a_row_is_left_alone_and_others_go_on(caplog):
    mw = middleware(limit=3)
    for _ in range(2):
        with pytest.raises(BotWall):
            answer(mw, ANUBIS)
    assert answer(mw, REAL).status == 200  # the wall was passing: the count starts again
    for _ in range(2):
        with pytest.raises(BotWall):
            answer(mw, ANUBIS)
    mw.process_request(Request(STORY, meta={"site": "demo"}))  # two in a row: not yet
    waiting = {site: [Deferred(), Deferred()] for site in ("demo", "other")}
    for site, deferreds in waiting.items():
        mw.crawler.engine.downloader.slots[site].queue.extend((Request(STORY), d) for d in deferreds)
    with pytest.raises(BotWall):
        answer(mw, ANUBIS)
    dropped = []
    for deferred in waiting["demo"]:  # the requests waiting for their turn in the slot are not sent
        deferred.addErrback(dropped.append)
    assert [f.type for f in dropped] == [BehindBotWall, BehindBotWall]
    assert not mw.crawler.engine.downloader.slots["demo"].queue
    assert len(mw.crawler.engine.downloader.slots["other"].queue) == 2 and not waiting["other"][0].called
    with pytest.raises(BehindBotWall, match="demo"):
        mw.process_request(Request(STORY, meta={"site": "demo"}))
    assert mw.process_request(Request(STORY, meta={"site": "other"})) is None
    assert answer(mw, REAL, site="other").status == 200
    assert mw.crawler.stats.get_value("news/demo/stopped_at_bot_wall") == 1
    assert sum("its crawl stops here" in r.getMessage() for r in caplog.records) == 1


def test_with_no_limit_a_walled_site_is_never_stopped():
    mw = middleware(limit=0)
    for _ in range(10):
        with pytest.raises(BotWall):
            answer(mw, ANUBIS)
    assert mw.process_request(Request(STORY, meta={"site": "demo"})) is None


def test_requests_of_no_site_pass_untouched():
    mw = middleware(limit=1)
    request = Request(STORY)
    response = HtmlResponse(STORY, body=ANUBIS, encoding="utf-8", request=request)
    assert mw.process_response(request, response) is response


def test_the_spider_counts_requests_left_unsent_and_not_walls_as_errors(demo_config):
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, sites=[demo_config])
    request = Request(STORY, meta={"site": "demo"})
    for error in (BehindBotWall("stopped"), BehindBotWall("stopped"), BotWall("wall")):
        failure = Failure(error)
        failure.request = request
        spider.failed(failure)
    assert crawler.stats.get_value("news/demo/skipped/behind_bot_wall") == 2
    assert crawler.stats.get_value("news/demo/errors") is None


def test_a_last_start_in_the_future_does_not_hold_a_site_back_until_then():
    """An adversarial review: a run started while the clock ran ahead (2027) kept its site from
    being due until that day came, however the clock was set right."""
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    every = timedelta(hours=1)
    assert next_due("2027-06-01T00:00:00+00:00", every, now) == now + every


def test_each_blocked_run_in_a_row_doubles_the_wait_up_to_a_limit(archive):
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    started = (now - timedelta(hours=1)).isoformat()
    every = timedelta(hours=1)
    assert next_due(started, every, now) == now
    assert next_due(started, every, now, blocked=1) == now + every
    assert next_due(started, every, now, blocked=3) == now + 7 * every
    assert next_due(started, every, now, blocked=30) == now + (MAX_BACK_OFF - 1) * every
    assert next_due(None, every, now, blocked=3) == now
    for outcome in ("blocked", "finished", "blocked", "blocked"):
        finish_run(archive, start_run(archive, "demo"), outcome, {})
    finish_run(archive, start_run(archive, "other"), "finished", {})
    assert blocked_in_a_row(archive, "demo") == 2
    assert blocked_in_a_row(archive, "other") == 0
    assert blocked_in_a_row(archive, "never") == 0


class RecordingRunner(Runner):
    """A runner whose crawls are recorded, not run."""

    def __init__(self, db_path) -> None:
        super().__init__(db_path, "unused")
        self.crawled: list[str] = []

    def crawl(self, site: str) -> str:
        self.crawled.append(site)
        return "finished"


def test_the_scheduler_waits_out_a_blocked_sites_back_off(archive, tmp_path):
    every = timedelta(hours=1)
    sites = [SimpleNamespace(name=name, every=every) for name in ("walled", "open")]
    started = (datetime.now(UTC) - every - timedelta(minutes=1)).isoformat()  # both due by their interval
    for name, outcome in (("walled", "blocked"), ("open", "finished")):
        finish_run(archive, start_run(archive, name, started_at=started), outcome, {})
    runner = RecordingRunner(tmp_path / "archive.db")
    assert [site.name for site in due_sites(runner, sites)] == ["open"]
    assert [runner.crawl_when_due(site) for site in sites] == ["not due", "finished"]
    assert runner.crawled == ["open"]
    earlier = (datetime.now(UTC) - 2 * every - timedelta(minutes=1)).isoformat()
    archive.execute("update crawl_runs set started_at = ? where site = 'walled'", [earlier])
    archive.conn.commit()
    assert runner.crawl_when_due(sites[0]) == "finished" and runner.crawled == ["open", "walled"]


def robots_middleware(max_delay: float = 30.0, delay: float = 0.0) -> RobotsTxtMiddleware:
    return RobotsTxtMiddleware.from_crawler(crawler_with_slots(delay, ROBOTSTXT_OBEY=True, USER_AGENT="newsarchive/0",
                                                               AUTOTHROTTLE_MAX_DELAY=max_delay))


def robots(text: str) -> ProtegoRobotParser:
    return ProtegoRobotParser.from_crawler(None, text.encode())


def site_request(site: str, path: str = "/2024/06/03/budget-approved-roads.html") -> Request:
    return Request("http://127.0.0.1" + path, meta={"site": site, "download_slot": site})


def test_a_sites_crawl_delay_is_kept_as_its_least_delay():
    mw = robots_middleware(delay=0.5)
    rp = robots("User-agent: *\nCrawl-delay: 2.5\nDisallow: /private/\n")
    mw.process_request_2(rp, site_request("demo"))
    slots = mw.crawler.engine.downloader.slots
    assert slots["demo"].delay == 2.5 and slots["other"].delay == 0.5
    assert mw.crawler.stats.get_value("news/demo/crawl_delay") == 2.5
    slots["demo"].delay = 1.0  # as AutoThrottle may lower it after a fast response
    mw.process_request_2(rp, site_request("demo"))
    assert slots["demo"].delay == 2.5
    slots["demo"].delay = 6.0  # slower already (a site that pushed back): left so
    mw.process_request_2(rp, site_request("demo"))
    assert slots["demo"].delay == 6.0
    with pytest.raises(IgnoreRequest):  # forbidden pages stay forbidden
        mw.process_request_2(rp, site_request("demo", "/private/x.html"))


def test_a_sites_crawl_delay_outlasts_autothrottle_and_the_random_spread():
    """An adversarial review: with Crawl-delay: 3, 8 of 12 gaps between requests were shorter
    (0.78 s once): AutoThrottle lowered the slot's delay after each fast response, and Scrapy's
    random spread sends a request after half the delay."""
    from scrapy import signals
    from scrapy.core.downloader import Slot
    from scrapy.extensions.throttle import AutoThrottle

    crawler = crawler_with_slots(1.0, ROBOTSTXT_OBEY=True, USER_AGENT="newsarchive/0", AUTOTHROTTLE_ENABLED=True)
    crawler.engine.downloader.slots["demo"] = slot = Slot(concurrency=1, delay=1.0, jitter=0.5)
    throttle = next(e for e in crawler.extensions.middlewares if isinstance(e, AutoThrottle))  # built first
    throttle._spider_opened(SimpleNamespace())  # its least and most delay, read at the spider's start
    mw = RobotsTxtMiddleware.from_crawler(crawler)
    mw.process_request_2(robots("User-agent: *\nCrawl-delay: 3\n"), site_request("demo"))
    request = site_request("demo")
    request.meta["download_latency"] = 0.01  # a fast response: AutoThrottle lowers the delay
    crawler.signals.send_catch_log(signals.response_downloaded, response=HtmlResponse(request.url, request=request),
                                   request=request, spider=crawler.spider)
    assert slot.delay == 3.0
    assert min(slot.download_delay() for _ in range(200)) == 3.0  # no gap shorter than asked


def test_a_crawl_delay_is_kept_within_the_maximum_and_none_changes_nothing(caplog):
    caplog.set_level(logging.INFO)
    mw = robots_middleware(max_delay=10.0, delay=0.5)
    mw.process_request_2(robots("User-agent: *\nCrawl-delay: 3600\n"), site_request("demo"))
    mw.process_request_2(robots("User-agent: *\nDisallow: /private/\n"), site_request("other"))
    slots = mw.crawler.engine.downloader.slots
    assert slots["demo"].delay == 10.0 and slots["other"].delay == 0.5
    assert mw.crawler.stats.get_value("news/demo/crawl_delay") == 3600
    assert mw.crawler.stats.get_value("news/other/crawl_delay") is None
    assert any(r.levelno == logging.WARNING and "3600s between requests, kept at 10s" in r.getMessage()
               for r in caplog.records)


def test_a_crawl_that_failed_before_writing_its_run_is_recorded(archive, tmp_path, monkeypatch):
    """The child prints what happened and exits 1, but wrote no run: the scheduler writes it, so
    ``status`` and the next due time see the failure (not the run before it)."""
    import sys

    from archive import schedule

    said = "demo: failed - no run was recorded (the archive could not be opened)"
    monkeypatch.setattr(schedule, "crawl_command", lambda *args: [
        sys.executable, "-c", f"import sys; print({said!r}); sys.exit(1)"])
    finish_run(archive, start_run(archive, "demo"), "finished", {})
    runner = Runner(tmp_path / "archive.db", "unused")
    assert runner.crawl("demo") == "failed"
    last = archive.execute("select outcome from crawl_runs where site = 'demo' order by id desc limit 1").fetchone()
    assert last == ("failed",)


def test_robots_txt_is_downloaded_once_for_the_rules_and_the_spiders_sitemaps(demo_config):
    """Review: the middleware fetched robots.txt for its rules, and the spider's own request for it
    (for its ``Sitemap:`` lines) fetched it again. The spider's request now gets the middleware's
    response, unsent, and reads the sitemaps from it."""
    import asyncio

    from scrapy.http import TextResponse

    crawler = crawler_with_slots(0.0, ROBOTSTXT_OBEY=True, USER_AGENT="newsarchive/0")
    downloads: list[str] = []

    async def download_async(request: Request) -> Response:
        downloads.append(request.url)
        return TextResponse(request.url, body=render.robots_txt("http://127.0.0.1/").encode(), request=request)

    crawler.engine.download_async = download_async
    mw = RobotsTxtMiddleware.from_crawler(crawler)
    spider = crawler.spider = NewsSpider.from_crawler(crawler, sites=[demo_config.with_base_url("http://127.0.0.1/")])

    async def crawl() -> tuple[Request, Response | None, Response | None]:
        robots = await anext(spider.start())  # the spider's first request: robots.txt, for its sitemaps
        story = await mw.process_request(site_request("demo"))  # the site's first request fetches it
        return robots, story, await mw.process_request(robots)

    robots, story, handed = asyncio.run(crawl())
    assert robots.url == "http://127.0.0.1/robots.txt" and robots.callback == spider.parse_robots
    assert story is None and downloads == ["http://127.0.0.1/robots.txt"]  # fetched once
    assert handed.request is robots and handed.meta["site"] == "demo"
    assert [r.url for r in spider.parse_robots(handed)] == ["http://127.0.0.1/sitemap.xml"]
    with pytest.raises(IgnoreRequest):  # and its rules apply
        asyncio.run(mw.process_request(site_request("demo", "/private/x.html")))
    assert asyncio.run(mw.process_request(robots.replace())) is None  # handed over once, not kept


def test_a_robots_txt_the_server_fails_to_give_disallows_the_site(demo_config):
    """An adversarial review: a robots.txt answered 5xx (after Scrapy's retries) allowed the whole
    site. RFC 9309 asks for a complete disallow: nothing is fetched, not its robots.txt again for
    its sitemaps either (their entries would be disallowed), and the site counts an error."""
    import asyncio

    from scrapy.http import TextResponse

    crawler = crawler_with_slots(0.0, ROBOTSTXT_OBEY=True, USER_AGENT="newsarchive/0")
    downloads: list[str] = []

    async def download_async(request: Request) -> Response:
        downloads.append(request.url)
        return TextResponse(request.url, status=503, body=b"busy", request=request)

    crawler.engine.download_async = download_async
    mw = RobotsTxtMiddleware.from_crawler(crawler)
    spider = crawler.spider = NewsSpider.from_crawler(crawler, sites=[demo_config.with_base_url("http://127.0.0.1/")])
    robots = asyncio.run(anext(spider.start()))
    for request in (site_request("demo"), site_request("demo", "/2024/06/story.html"), robots):
        with pytest.raises(IgnoreRequest):
            asyncio.run(mw.process_request(request))
    assert downloads == ["http://127.0.0.1/robots.txt"]
    assert crawler.stats.get_value("news/demo/errors/robots_txt_unreachable") == 1
    assert crawler.stats.get_value("news/demo/errors") == 1
    assert not crawler.stats.get_value("robotstxt/handed_over")


def test_a_robots_txt_the_network_fails_to_give_disallows_the_site(demo_config):
    """An adversarial review: a robots.txt that timed out (it would have said Disallow: /) let the
    crawl fetch the whole site. RFC 9309: unreachable by server or network errors is a disallow."""
    import asyncio

    from scrapy.exceptions import DownloadTimeoutError

    crawler = crawler_with_slots(0.0, ROBOTSTXT_OBEY=True, USER_AGENT="newsarchive/0")

    async def download_async(request: Request) -> Response:
        raise DownloadTimeoutError("took longer than 10 s")

    crawler.engine.download_async = download_async
    mw = RobotsTxtMiddleware.from_crawler(crawler)
    crawler.spider = NewsSpider.from_crawler(crawler, sites=[demo_config.with_base_url("http://127.0.0.1/")])

    async def two_requests() -> None:  # the second waits on the first one's robots.txt
        for outcome in await asyncio.gather(mw.process_request(site_request("demo")),
                                            mw.process_request(site_request("demo", "/2024/06/x.html")),
                                            return_exceptions=True):
            assert isinstance(outcome, IgnoreRequest)

    asyncio.run(two_requests())
    assert crawler.stats.get_value("news/demo/errors/robots_txt_unreachable") == 1


def test_a_robots_txt_that_does_not_exist_allows_the_site(demo_config):
    import asyncio

    from scrapy.http import TextResponse

    crawler = crawler_with_slots(0.0, ROBOTSTXT_OBEY=True, USER_AGENT="newsarchive/0")

    async def download_async(request: Request) -> Response:
        return TextResponse(request.url, status=404, body=b"<html>Not found: Disallow: /</html>", request=request)

    crawler.engine.download_async = download_async
    mw = RobotsTxtMiddleware.from_crawler(crawler)
    crawler.spider = NewsSpider.from_crawler(crawler, sites=[demo_config.with_base_url("http://127.0.0.1/")])
    assert asyncio.run(mw.process_request(site_request("demo", "/2024/06/story.html"))) is None
    assert not crawler.stats.get_value("news/demo/errors")


@pytest.mark.parametrize("sources", ["sitemaps", "feeds,sections"])
def test_after_the_start_no_robots_txt_is_held_that_the_spider_does_not_read(demo_config, sources):
    """Review: each robots.txt fetched for the rules was held until the spider's own request for
    it came, which never comes for a site crawled without its sitemaps (nor for another host of
    its ``domains``, nor in a distributed worker that did not take it): held for the whole crawl."""
    import asyncio

    from scrapy.http import TextResponse

    crawler = crawler_with_slots(0.0, ROBOTSTXT_OBEY=True, USER_AGENT="newsarchive/0")

    async def download_async(request: Request) -> Response:
        return TextResponse(request.url, body=render.robots_txt("http://127.0.0.1/").encode(), request=request)

    crawler.engine.download_async = download_async
    mw = RobotsTxtMiddleware.from_crawler(crawler)
    spider = crawler.spider = NewsSpider.from_crawler(crawler, sites=[demo_config.with_base_url("http://127.0.0.1/")],
                                                      sources=sources)

    async def crawl() -> list[Request]:
        start = [request async for request in spider.start()]
        await mw.process_request(site_request("demo"))  # a story first: robots.txt fetched for the rules
        for request in start:
            await mw.process_request(request)
        return start

    start = asyncio.run(crawl())
    asked = "http://127.0.0.1/robots.txt" in [r.url for r in start]
    assert asked == ("sitemaps" in sources)
    assert crawler.stats.get_value("robotstxt/handed_over") == (1 if asked else None)
    assert mw._fetched == {}  # nothing held after the start


def test_a_distributed_worker_holds_no_robots_txt_for_a_request_another_worker_may_take(demo_config):
    from crawler.distributed import DistributedNewsSpider

    sites = [demo_config.with_base_url("http://127.0.0.1/")]
    assert NewsSpider(sites=sites).asks_for_robots_txt("http://127.0.0.1/robots.txt")
    assert not NewsSpider(sites=sites, sources="feeds").asks_for_robots_txt("http://127.0.0.1/robots.txt")
    assert not DistributedNewsSpider(sites=sites).asks_for_robots_txt("http://127.0.0.1/robots.txt")
