"""Distributed crawling on scrapy-redis: many workers, one frontier, one archive writer.

scrapy-redis gives the shared request queue and duplicate filter; this module adds what an archive
needs on top of it, through scrapy-redis' own extension points (scheduler, queue and dupefilter
classes):

- ``ReliableQueue`` pops a request into the worker's in-flight hash (``archive.frontier``), and the
  request is acknowledged only once its results are safe in Redis: child requests queued (the
  spider middleware queues them before acknowledging), the article handed to the writer (in the same
  transaction), or the failure counted. Work of a worker that died goes back to the queue.
- ``FrontierDupeFilter`` remembers article URLs (canonical form) for good, and listing, feed and
  sitemap URLs per seeding, so each new seeding reads the fronts again but never an article twice.
- ``HandoffPipeline`` replaces the archive pipeline: workers extract, the writer stores.

``seed()`` puts a site's start requests (sections, feeds, sitemaps, robots.txt) on the queue;
``DistributedNewsSpider`` is the news spider as a worker: it starts nothing by itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured
from twisted.internet import task

from archive.frontier import (
    HEARTBEAT_TTL,
    MISSING_EXTRA,
    RUN_SEEN_TTL,
    Frontier,
    FrontierError,
    Keys,
    connect,
    encode_item,
    new_worker_id,
    process_place,
)
from archive.known import KnownUrls

try:
    from redis import RedisError
    from scrapy_redis.connection import get_redis_from_settings
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue
    from scrapy_redis.scheduler import Scheduler
except ImportError:  # said in one line by the CLI, as any FrontierError
    raise FrontierError(MISSING_EXTRA) from None
from archive.store import utc_now
from crawler.items import ArticlePage
from crawler.middlewares import ask_conditionally
from crawler.recheck import RecheckPolicy
from crawler.sites import SiteConfig
from crawler.spiders.news import NewsSpider
from crawler.stats import count_for_site
from crawler.urls import canonical_url

logger = logging.getLogger(__name__)

TOKEN = "frontier_token"  # meta: the in-flight entry this request (or its redirect/retry) holds
RUN = "frontier_run"  # meta: the seeding this request descends from
WAKE_EVERY = 0.5  # seconds between looks at the queue while a worker waits for work


def distributed_settings(redis_url: str, *, prefix: str = "newsarchive", worker_id: str | None = None,
                         idle_exit: float = 0.0, heartbeat_ttl: float = HEARTBEAT_TTL) -> dict[str, Any]:
    """Scrapy settings that make a crawl a worker of the shared frontier at ``redis_url``."""
    keys = Keys(prefix)
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.FrontierScheduler",
        "DUPEFILTER_CLASS": "crawler.distributed.FrontierDupeFilter",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.seen,
        "SCHEDULER_PERSIST": True,  # the frontier outlives every worker
        "SPIDER_MIDDLEWARES": {"crawler.distributed.FrontierSpiderMiddleware": 5},
        # crawler_settings adds these to the project's pipelines: the worker stores nothing itself.
        "ITEM_PIPELINES": {"crawler.pipelines.ExtractionPipeline": 300, "crawler.pipelines.ArchivePipeline": None,
                           "crawler.distributed.HandoffPipeline": 800},
        "ARCHIVE_REDIS_URL": redis_url,
        "ARCHIVE_REDIS_PREFIX": prefix,
        "ARCHIVE_WORKER_ID": worker_id or new_worker_id(),
        "ARCHIVE_WORKER_IDLE_EXIT": idle_exit,
        "ARCHIVE_WORKER_TTL": heartbeat_ttl,
    }


_frontiers: weakref.WeakKeyDictionary[Any, tuple[Frontier, str]] = weakref.WeakKeyDictionary()


def worker_frontier(crawler: Any) -> tuple[Frontier, str]:
    """The crawler's one ``Frontier`` client and worker id, shared by all its components."""
    if crawler not in _frontiers:
        settings = crawler.settings
        url = settings.get("ARCHIVE_REDIS_URL")
        if not url:
            raise NotConfigured("ARCHIVE_REDIS_URL is not set")
        frontier = Frontier(connect(url), Keys(settings.get("ARCHIVE_REDIS_PREFIX") or "newsarchive"),
                            heartbeat_ttl=settings.getfloat("ARCHIVE_WORKER_TTL", HEARTBEAT_TTL))
        _frontiers[crawler] = (frontier, settings.get("ARCHIVE_WORKER_ID") or new_worker_id())
    return _frontiers[crawler]


def ack(crawler: Any, token: str | None) -> None:
    if token:
        frontier, worker_id = worker_frontier(crawler)
        frontier.ack(worker_id, token)


class ReliableQueue(PriorityQueue):
    """scrapy-redis' priority queue, popping into the worker's in-flight hash instead of nowhere."""

    frontier: Frontier
    worker_id: str

    def bind(self, frontier: Frontier, worker_id: str) -> None:
        self.frontier, self.worker_id = frontier, worker_id
        self.unknown_sites: set[str] = set()

    def pop(self, timeout: float = 0) -> Request | None:
        while not self.unknown_sites and (popped := self.frontier.pop(self.worker_id)) is not None:
            token, data = popped
            try:
                request = self._decode_request(data)
            except Exception as error:  # a request this code cannot read: count it, never loop on it
                logger.error("dropped an unreadable request from the frontier: %s", error)
                self.spider.crawler.stats.inc_value("news/errors/unreadable_request")
                self.frontier.ack(self.worker_id, token)
                continue
            site = request.meta.get("site")
            if site is not None and site not in self.spider.sites:
                # No site file here for it: hand it back untouched for a worker that has one, and stop
                # taking work (this worker is misconfigured; looping on the request would not help).
                self.frontier.push(data, float(token.rsplit(":", 1)[1]), worker_id=self.worker_id, releases=token)
                self.unknown_sites.add(site)
                self.spider.crawler.stats.inc_value(f"news/errors/unknown_site/{site}")
                logger.error("the frontier holds requests for site %r, which has no site file here: handed back; "
                             "this worker stops taking work", site)
                return None
            request.meta[TOKEN] = token
            return request
        return None


class FrontierDupeFilter(RFPDupeFilter):
    """Articles are fetched once for good; fronts, feeds and sitemaps once per seeding."""

    def __init__(self, server: Any, key: str, debug: bool = False, keys: Keys | None = None) -> None:
        super().__init__(server, key, debug)
        self.keys = keys or Keys()
        self.frontier = Frontier(server, self.keys)

    @classmethod
    def from_spider(cls, spider: Any) -> FrontierDupeFilter:
        settings = spider.settings
        keys = Keys(settings.get("ARCHIVE_REDIS_PREFIX") or "newsarchive")
        return cls(get_redis_from_settings(settings), keys.seen, settings.getbool("DUPEFILTER_DEBUG"), keys)

    def seen_entry(self, request: Request) -> tuple[str, str, int]:
        """``(set key, fingerprint, TTL)`` under which ``request`` counts as seen."""
        return self.admission(request)[0]

    def admission(self, request: Request) -> tuple[tuple[str, str, int], dict[str, str] | None]:
        """The seen entry of ``request``, and for an archived article that the seeding found due for a
        re-check, the conditional headers to send (it is then fetched once in that seeding)."""
        run = request.meta.get(RUN)
        if request.meta.get("article"):
            fingerprint = article_fingerprint(request.url)
            headers = self.frontier.due_headers(run, fingerprint)
            if headers is not None:
                return (self.keys.run_seen(run), fingerprint, RUN_SEEN_TTL), headers
            return (self.keys.seen, fingerprint, 0), None
        return (self.keys.run_seen(run), self.request_fingerprint(request), RUN_SEEN_TTL), None

    def request_seen(self, request: Request) -> bool:
        key, fingerprint, ttl = self.seen_entry(request)
        pipe = self.server.pipeline()
        pipe.sadd(key, fingerprint)
        if ttl:
            pipe.expire(key, ttl)
        return pipe.execute()[0] == 0


class FrontierScheduler(Scheduler):
    """scrapy-redis' scheduler for one worker: registers it, keeps its heartbeat, hands its
    unfinished work back when it stops, and keeps it waiting while other workers may still queue
    more (or, with ``ARCHIVE_WORKER_IDLE_EXIT`` > 0, lets it stop after that many idle seconds)."""

    crawler: Any = None
    redis_lost_since: float | None = None  # when this worker last found Redis unreachable
    stop_reason: str | None = None  # why it asks to stop, when it does (spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.frontier, scheduler.worker_id = worker_frontier(crawler)
        scheduler.idle_exit = crawler.settings.getfloat("ARCHIVE_WORKER_IDLE_EXIT", 0.0)
        scheduler.idle_since = None
        scheduler.quiet_since = None  # when this worker first saw the whole frontier quiet
        scheduler.fetched = 0
        scheduler.last_recovery = 0.0
        scheduler.heartbeat = None
        scheduler.waker = None
        scheduler.pushed = {}
        scheduler.pushed_epoch = -1
        return scheduler

    def _redis_down(self, error: Exception) -> None:
        """Redis went away: said once, then waited for (a standing worker waits as long as it
        takes; one with ``ARCHIVE_WORKER_IDLE_EXIT`` stops after that long without it, its run
        ``redis_lost``). Its in-flight work returns to the queue after its TTL, as a dead worker's."""
        if self.redis_lost_since is None:
            self.redis_lost_since = time.monotonic()
            limit = f"; stopping after {self.idle_exit:g}s without it (--idle-exit)" if self.idle_exit > 0 else ""
            logger.error("lost Redis (%s): waiting for it to come back%s", error, limit)

    def _redis_up(self) -> None:
        if self.redis_lost_since is not None:
            logger.warning("Redis is back after %.0fs", time.monotonic() - self.redis_lost_since)
            self.redis_lost_since = None

    def _stop_if_asked(self, spider: Any = None) -> None:
        if self.stop_reason:
            raise CloseSpider(self.stop_reason)

    def _info(self) -> dict[str, Any]:
        return {**process_place(), "started_at": self.started_at,
                "popped": self.fetched, "at": utc_now(), "pushed_epoch": self.pushed_epoch}

    def _push_site_stats(self) -> None:
        """Hand the writer what this worker counted per site since the last push (pages, skips,
        errors: its ``crawl_runs`` counts), and say for which drain epoch the counts are complete."""
        epoch = self.frontier.drain_epoch()  # read first: everything counted before it is pushed below
        current = {key: value for key, value in self.crawler.stats.get_stats().items()
                   if key.startswith(("news/", "archive/")) and key.count("/") >= 2 and isinstance(value, int)}
        deltas = {key: value - self.pushed.get(key, 0) for key, value in current.items()
                  if value != self.pushed.get(key, 0)}
        self.frontier.push_site_stats(deltas)
        self.pushed, self.pushed_epoch = current, epoch

    def open(self, spider: Any) -> None:
        # scrapy-redis' own open() and next_request() use calls Scrapy 2.13+ deprecates; same steps here.
        self.spider = spider
        self.queue = ReliableQueue(self.server, spider, self.queue_key, self.serializer)
        self.df = FrontierDupeFilter.from_spider(spider)
        self.queue.bind(self.frontier, self.worker_id)
        self.started_at = utc_now()
        self.frontier.register(self.worker_id, self._info())
        self.heartbeat = task.LoopingCall(self._beat)
        self.heartbeat.start(max(self.frontier.heartbeat_ttl / 3, 0.2), now=False)
        self.waker = task.LoopingCall(self._wake)
        self.waker.start(WAKE_EVERY, now=False)
        self.crawler.signals.connect(self._stop_if_asked, signal=signals.spider_idle)
        self._recover()
        logger.info("worker %s joined the frontier (%d requests queued)", self.worker_id, len(self.queue))

    def close(self, reason: str) -> None:
        for loop in (self.heartbeat, self.waker):
            if loop is not None and loop.running:
                loop.stop()
        try:
            self._push_site_stats()
        except RedisError as error:
            logger.warning("could not hand this worker's last counts to the writer: %s", error)
        try:
            returned = self.frontier.retire(self.worker_id)
            if returned:
                logger.info("handed %d unfinished request(s) back to the frontier", returned)
            stats = self.crawler.stats.get_stats()
            self.frontier.add_stats({key: int(value) for key, value in stats.items()
                                     if key.startswith(("news/", "archive/")) and isinstance(value, int)})
        except RedisError as error:  # its in-flight work returns to the queue after its TTL, as a dead worker's
            logger.error("could not hand this worker's work back (Redis: %s): it returns after its TTL", error)
        try:
            super().close(reason)
        except RedisError as error:
            logger.error("could not close the worker's queue (Redis: %s)", error)

    def _beat(self) -> None:
        # A LoopingCall stops for good on an exception: one Redis hiccup must not make this worker
        # look dead to the others (they would redo its work) while it carries on.
        try:
            self._push_site_stats()
            self.frontier.beat(self.worker_id, self._info())
            self.spider.use_learned(self.frontier.learned_lines())  # a new seeding may have learned more
        except RedisError as error:
            logger.warning("heartbeat not sent (%s); retrying", error)

    def _wake(self) -> None:
        """Work appeared while this worker waits: wake the engine now, not at its next 5 s heartbeat.

        The engine offers no public call for this; without the attribute the heartbeat still works.
        """
        try:
            waiting = self.idle_since is not None and len(self.queue) > 0
        except RedisError:  # (a LoopingCall stops for good on an exception) said by _redis_down
            return
        if waiting:
            nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
            if nextcall is not None:
                nextcall.schedule()

    def _recover(self) -> None:
        self.last_recovery = time.monotonic()
        recovered = self.frontier.recover_orphans()
        if recovered:
            logger.warning("returned %d request(s) of a vanished worker to the queue", recovered)

    def enqueue_request(self, request: Request) -> bool:
        """Mark seen and queue in one step (a worker killed in between would otherwise leave a URL
        seen but never queued); a redirect or retry of a request this worker holds releases it."""
        token = request.meta.pop(TOKEN, None)
        seen = None
        if not request.dont_filter:
            seen, recheck = self.df.admission(request)
            if recheck:
                ask_conditionally(request, recheck, self.crawler.stats)
        queued = self.frontier.push(self.queue._encode_request(request), -request.priority, seen=seen,
                                    worker_id=self.worker_id, releases=token)
        if queued:
            self.crawler.stats.inc_value("scheduler/enqueued/redis")
        else:
            self.df.log(request, self.spider)
        return queued

    def next_request(self) -> Request | None:
        try:
            request = self.queue.pop()
        except RedisError as error:
            self._redis_down(error)
            return None
        self._redis_up()
        if request is not None:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
            self.fetched += 1
            self.idle_since = None
        elif self.idle_since is None:
            self.idle_since = time.monotonic()
        return request

    def has_pending_requests(self) -> bool:
        """Asked only when this worker has nothing left to do: whether to keep it running."""
        try:
            pending = self._has_pending_requests()
        except RedisError as error:
            self._redis_down(error)
            if self.idle_exit > 0 and time.monotonic() - self.redis_lost_since >= self.idle_exit:
                self.stop_reason = "redis_lost"
                return False
            return True
        self._redis_up()
        return pending

    def _has_pending_requests(self) -> bool:
        if self.queue.unknown_sites:
            return False  # misconfigured: finish what it holds, then stop
        if len(self.queue) > 0:
            return True
        if time.monotonic() - self.last_recovery > min(self.frontier.heartbeat_ttl / 3, 5.0):
            self._recover()
            if len(self.queue) > 0:
                return True
        if self.idle_exit <= 0:
            return True  # a standing worker waits for the next seeding
        if self.frontier.busy_elsewhere(self.worker_id) or not self.frontier.ever_seeded():
            # Another worker may still queue more. Waiting on it is not being idle: the idle time
            # counts from when no worker holds work, or a worker started before a slow seeding
            # would leave as soon as the first one paused, or before a seeding slower than its
            # idle limit had started at all.
            self.idle_since = time.monotonic()
            self.quiet_since = None
            return True
        # The frontier looks quiet. One look is not enough: the engine asks only every few seconds,
        # and may ask in the instant between another worker's requests, so the idle time counts
        # from the first of the looks that found it quiet (a worker had left with 0 pages so).
        now = time.monotonic()
        if self.quiet_since is None:
            self.quiet_since = now
        idle_since = max(self.idle_since if self.idle_since is not None else now, self.quiet_since)
        return now - idle_since < self.idle_exit


class FrontierSpiderMiddleware:
    """Last in the output chain: queues each child request itself (so it is in Redis before the
    response is acknowledged), passes the frontier token on to the article item, and acknowledges
    a response that produced none."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierSpiderMiddleware:
        return cls(crawler)

    def _route(self, output: Any, token: str | None, run: str | None) -> tuple[Any, bool]:
        """``(what to pass on or None, whether it carries the token)`` for one callback output."""
        if isinstance(output, Request):
            output.meta.pop(TOKEN, None)  # children hold no claim on their parent's entry
            if run is not None:
                output.meta.setdefault(RUN, run)
            self.crawler.engine.crawl(output)
            return None, False
        if isinstance(output, ArticlePage) and token:
            output.frontier_token, output.frontier_run = token, run
            return output, True
        return output, False

    def process_spider_output(self, response: Any, result: Any, spider: Any = None) -> Any:
        token, run = response.meta.get(TOKEN), response.meta.get(RUN)
        handed_on = False
        try:
            for output in result:
                passed, carries = self._route(output, token, run)
                handed_on |= carries
                if passed is not None:
                    yield passed
        except Exception:
            ack(self.crawler, token)  # the callback failed: retrying the page would fail the same way
            raise
        if not handed_on:
            ack(self.crawler, token)

    async def process_spider_output_async(self, response: Any, result: Any, spider: Any = None) -> Any:
        token, run = response.meta.get(TOKEN), response.meta.get(RUN)
        handed_on = False
        try:
            async for output in result:
                passed, carries = self._route(output, token, run)
                handed_on |= carries
                if passed is not None:
                    yield passed
        except Exception:
            ack(self.crawler, token)
            raise
        if not handed_on:
            ack(self.crawler, token)


class HandoffPipeline:
    """Hands each extracted article (with its capture) to the archive writer through Redis, and each
    page extraction rejected too (with its capture and why), which it then drops: it is no article."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.frontier, self.worker_id = worker_frontier(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> HandoffPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_finished, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.item_finished, signal=signals.item_error)
        return pipeline

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage) or (item.article is None and item.rejection is None
                                                 and item.status != 304):
            return item
        payload = encode_item(site=item.site, section=item.section, run=item.frontier_run,
                              article=item.article, capture=item.capture(), worker=self.worker_id,
                              rejection=item.rejection)
        try:
            self.frontier.hand_off(self.worker_id, item.frontier_token, payload)
        except RedisError as error:
            self.stats.inc_value(f"archive/{item.site}/errors")
            logger.error("could not hand %s to the writer: %s (left in flight for a retry)", item.url, error)
            item.frontier_token = None  # not finished: a later worker redoes it
            raise DropItem(f"hand-off failed: {item.url}", log_level="DEBUG") from None
        item.body = b""
        if item.rejection is not None:
            count_for_site(self.stats, "archive", item.site, "rejected_handed_off")
            item.frontier_token = None  # released with the hand-off
            raise DropItem(f"not an article ({item.rejection}): {item.url}", log_level="DEBUG")
        count_for_site(self.stats, "archive", item.site, "handed_off")
        return item

    def item_finished(self, item: Any, **kwargs: Any) -> None:
        """Not an article, or extraction failed: counted already, and nothing to hand on."""
        if isinstance(item, ArticlePage):
            ack(self.crawler, item.frontier_token)


class DistributedNewsSpider(NewsSpider):
    """The news spider as a frontier worker: its work comes from Redis, seeded by ``seed()``; so does
    what the archive knows (which articles are due for a re-check, each site's learned furniture)."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DistributedNewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.use_learned(worker_frontier(crawler)[0].learned_lines())
        return spider

    def read_archive(self, db_path: str | None, learn: bool) -> None:
        """Nothing: the archive is the writer's, and the seeder publishes what workers need of it."""

    async def start(self):
        return
        yield

    def asks_for_robots_txt(self, url: str) -> bool:
        """No: the seeding's request for a robots.txt goes to whichever worker takes it first."""
        return False

    def failed(self, failure: Any) -> None:
        try:
            super().failed(failure)
        finally:
            ack(self.crawler, failure.request.meta.get(TOKEN))


@dataclass(frozen=True)
class Seeded:
    run: str
    queued: int
    already_queued: int
    due: int = 0  # archived articles due for a re-check (fetched if a front still links them)
    learned: int = 0  # learned furniture lines published to the workers


def article_fingerprint(url: str) -> str:
    """The key of an article in the frontier's seen sets: its canonical URL, hashed."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()


def seed(sites: list[SiteConfig], redis_url: str, *, prefix: str = "newsarchive", since: str | None = None,
         sources: str | None = None, db_path: str | None = None, recheck: str | None = None,
         learn: bool = True) -> Seeded:
    """Queue the start requests of ``sites`` (sections, feeds, sitemaps) as one new seeding.

    With the archive at ``db_path``, first publish what workers need of it: the articles it holds
    (never fetched again, unless due for a re-check by the ``recheck`` policy, in which case they
    are asked for conditionally when a front links them) and each site's learned furniture lines.
    """
    client = connect(redis_url)
    keys = Keys(prefix)
    frontier = Frontier(client, keys)
    run = frontier.new_run()
    spider = NewsSpider(sites=sites, since=since, sources=sources)
    if recheck:
        spider.recheck = RecheckPolicy.parse(recheck)
    spider.read_archive(db_path, learn)
    fetched: list[str] = []
    due: dict[str, dict[str, str]] = {}
    for site in spider.sites:
        for known in spider.known.of_site(site):
            headers = spider.conditional_headers(known)
            if headers is None:
                fetched.append(article_fingerprint(known.url))
            else:
                due[article_fingerprint(known.url)] = headers
    # Workers have no archive: the seeding's start requests are the sites' fronts, feeds and sitemaps,
    # asked for in full (no validators are kept for them), and due articles are fetched when a front links them.
    spider.known.close()
    spider.known, spider.sources = KnownUrls(None), {}
    frontier.publish_archive(run, fetched=fetched, due=due, learned=spider.learned)
    queue = PriorityQueue(client, spider, keys.requests)
    dupefilter = FrontierDupeFilter(client, keys.seen, keys=keys)

    async def start_requests() -> list[Request]:
        return [request async for request in spider.start()]

    queued = duplicates = 0
    for request in asyncio.run(start_requests()):
        request.meta[RUN] = run
        seen = None if request.dont_filter else dupefilter.seen_entry(request)
        if frontier.push(queue._encode_request(request), -request.priority, seen=seen):
            queued += 1
        else:
            duplicates += 1
    frontier.mark_seeded([site.name for site in sites], utc_now())
    return Seeded(run=run, queued=queued, already_queued=duplicates, due=len(due),
                  learned=sum(map(len, spider.learned.values())))
