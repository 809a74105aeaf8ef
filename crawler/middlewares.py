"""Downloader middlewares: each site kept to its scope, re-crawls made cheap, robots.txt obeyed by
every request (and read only so far), redirect loops known for what they are, push-back heeded.

The spider drops a known article that is not due before it builds a request, and asks for a due
one conditionally (If-None-Match / If-Modified-Since), so an unchanged page costs a 304. The
re-check middleware does the same for the article requests the spider did not look up: the new
request a redirect makes.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefreshMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred
from w3lib.url import canonicalize_url

from crawler.extraction import bot_challenge
from crawler.stats import count_for_site

logger = logging.getLogger(__name__)


def download_slot(crawler: Any, key: str | None) -> Any:
    """The downloader's slot ``key`` (a site's, named by its requests' ``download_slot``), or None
    before it exists or outside a running engine."""
    downloader = getattr(crawler.engine, "downloader", None)
    return downloader.slots.get(key) if downloader is not None and key is not None else None


class Offsite(IgnoreRequest):
    """The request is outside its site's scope (``SiteConfig.in_scope``)."""


class SiteScopeMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter, by site and by port: a request made for a site (``meta["site"]``)
    goes out only inside that site's scope, its scheme, host and port plus its ``domains``.

    Scrapy's filter knows host names only (another port on the same host passes) and lets
    ``dont_filter`` requests through (a retried request's redirect keeps that flag). It checks each
    request when it is scheduled, which is where the targets of redirects and ``<meta
    http-equiv="refresh">`` arrive too, and again before it is downloaded. What it stops is counted
    ``news/<site>/skipped/offsite``; each host is logged once.
    """

    def should_follow(self, request: Request, spider: Any) -> bool:
        site = getattr(spider, "sites", {}).get(request.meta.get("site"))
        return site is None or site.in_scope(request.url)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("allow_offsite") or self.should_follow(request, self.crawler.spider):
            return
        host = urlparse_cached(request).netloc
        site = request.meta["site"]
        count_for_site(self.stats, "news", site, "skipped/offsite")
        if host not in self.domains_seen:
            self.domains_seen.add(host)
            logger.info("%s: not fetching %s or anything else on %s: off the site", site, request.url, host)
        raise Offsite(f"{request.url} is off {site}'s site")


class RedirectLoop(IgnoreRequest):
    """A redirect leads back to a URL its chain has already visited (A -> A, A -> B -> A)."""


def revisits(redirected: Any) -> bool:
    """Whether a redirect's new request goes to a URL its chain has already been to, as Scrapy's
    duplicate filter tells URLs apart (``canonicalize_url``): not the archive's ``canonical_url``,
    which folds ``www.`` and tracking parameters, so "/a?utm_source=x -> /a" and "example.org ->
    www.example.org" are redirects, not loops."""
    if not isinstance(redirected, Request):
        return False
    key = canonicalize_url(redirected.url)
    return any(canonicalize_url(url) == key for url in redirected.meta.get("redirect_urls", ()))


class LoopAwareRedirects:
    """A redirect back to a URL already visited fails as a ``RedirectLoop`` (counted
    ``errors/redirect_loop``). Scrapy would follow it, and its duplicate filter then drops the
    request without a word: the page vanishes, neither fetched nor counted."""

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        result = super().process_response(request, response)
        if revisits(result):
            chain = " -> ".join([*result.meta["redirect_urls"], result.url])
            raise RedirectLoop(f"redirect loop: {chain}")
        return result


class RedirectMiddleware(LoopAwareRedirects, ScrapyRedirectMiddleware):
    """Scrapy's 3xx redirects, loops recognised."""


class MetaRefreshMiddleware(LoopAwareRedirects, ScrapyMetaRefreshMiddleware):
    """Scrapy's ``<meta http-equiv="refresh">`` redirects, loops recognised."""


class NotDue(IgnoreRequest):
    """The archive has this article and its re-check is not due yet."""


class RecheckMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RecheckMiddleware:
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        spider = self.crawler.spider
        if not request.meta.get("article") or not hasattr(spider, "recheck_headers"):
            return None
        if request.meta.get("recheck_checked") == request.url:  # the spider looked it up as it built the request
            return None
        headers = spider.recheck_headers(request.meta["site"], request.url)
        if headers is None:
            raise NotDue(f"not due for a re-check: {request.url}")
        if headers:
            ask_conditionally(request, headers, self.crawler.stats)
        return None


def ask_conditionally(request: Any, headers: dict[str, str], stats: Any) -> None:
    """Send an archived article's validators, so an unchanged page answers 304 (and counts)."""
    for name, value in headers.items():
        request.headers.setdefault(name, value)
    request.meta["handle_httpstatus_list"] = [304]
    stats.inc_value(f"news/{request.meta['site']}/rechecks")


def robots_txt_url(request: Request) -> str:
    """The robots.txt that rules ``request``: its scheme and host's, as Scrapy's middleware fetches it."""
    url = urlparse_cached(request)
    return f"{url.scheme}://{url.netloc}/robots.txt"


DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every request that waits for robots.txt checked, and
    the site's ``Crawl-delay`` kept.

    In Scrapy 2.13+ under the asyncio reactor, the requests that arrive while a site's robots.txt
    is being fetched all wait on one Deferred; turning a Deferred into a future hands the result to
    the first waiter only and ``None`` (which means "allow") to the others, so those requests go
    out unchecked. Here each waiter reads the parser from the cache once the fetch has finished.

    Scrapy reads ``Crawl-delay`` but does nothing with it. Here it is the least delay of the
    site's download slot (up to ``AUTOTHROTTLE_MAX_DELAY``), without the random spread around it,
    set again before each request is queued and after each response (AutoThrottle lowers a slot's
    delay after a fast one); ``news/<site>/crawl_delay`` records it.

    A robots.txt that the server or the network fails to give (HTTP 5xx after its retries, a
    timeout, a refused connection) disallows the whole host for the crawl, as RFC 9309 asks, and
    counts as an error of the site (``news/<site>/errors/robots_txt_unreachable``); one that does
    not exist (4xx) allows all.

    Only the first ``ARCHIVE_ROBOTSTXT_MAX_BYTES`` of a robots.txt are read (as Google reads
    500 KiB): its download stops there and the rules it holds so far apply. Any ``/robots.txt``
    download is cut so (``news/<site>/cut/robots_txt``, warned of once per host).

    robots.txt is downloaded once per host: the spider's own request for it (for its ``Sitemap:``
    lines) is answered with the response this middleware fetched for its rules, unsent. One is
    kept only for a request of the spider's that is to come (``asks_for_robots_txt``: its start
    requests hold it) or that is waiting for it, and only until that request takes it: nothing is
    held for the hosts whose robots.txt the spider does not read (a site crawled without its
    sitemaps, another of its ``domains``, a distributed worker's).
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._max_delay = crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY")
        self._crawl_delays: dict[str, float] = {}  # download slot (a site) -> the delay its robots.txt asks
        self._max_bytes = crawler.settings.getint("ARCHIVE_ROBOTSTXT_MAX_BYTES")
        self._cut_hosts: set[str] = set()
        self._fetched: dict[str, Response] = {}  # host -> its robots.txt as fetched for the rules, until asked for
        self._unreachable: set[str] = set()  # the hosts whose robots.txt the server failed to give
        if self._max_bytes:
            crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(self._after_response, signal=signals.response_downloaded)

    def _bytes_received(self, data: bytes, request: Any, spider: Any = None) -> None:
        url = urlparse_cached(request)
        if url.path != "/robots.txt":
            return
        received = request.meta["robots_txt_bytes"] = request.meta.get("robots_txt_bytes", 0) + len(data)
        if received <= self._max_bytes:
            return
        site = self._site_of(request)
        if url.netloc not in self._cut_hosts:  # once per host, however often it is fetched (a retry)
            self._cut_hosts.add(url.netloc)
            count_for_site(self.crawler.stats, "news", site, "cut/robots_txt")
            logger.warning("%s: robots.txt is larger than ARCHIVE_ROBOTSTXT_MAX_BYTES (%d): only its first %d bytes"
                           " are read (news/%s/cut/robots_txt)", site, self._max_bytes, received, site)
        raise StopDownload(fail=False)  # the response keeps what arrived so far

    async def process_request(self, request: Request, spider: Any = None) -> Response | None:
        """Check ``request`` against its host's robots.txt; a request for that robots.txt itself
        (the spider's, for its sitemaps) gets the response fetched for the rules, unsent."""
        await super().process_request(request)
        if request.meta.get("dont_obey_robotstxt") or request.url != robots_txt_url(request):
            return None
        if urlparse_cached(request).netloc in self._unreachable:  # its sitemaps' entries would be disallowed
            raise IgnoreRequest("Forbidden by robots.txt: the server failed to give it")
        fetched = self._fetched.pop(urlparse_cached(request).netloc, None)
        if fetched is None:
            return None
        # Retried and redirected already, when it was fetched: not once more as the spider's.
        request.meta.update(dont_retry=True, dont_redirect=True)
        self.crawler.stats.inc_value("robotstxt/handed_over")
        return fetched.replace(request=request, flags=[*fetched.flags, "robots.txt fetched once"])

    def _site_of(self, request: Any) -> str:
        return request.meta.get("site") or self._site_of_host(urlparse_cached(request).netloc)

    def _site_of_host(self, netloc: str) -> str:
        """The crawled site a host belongs to (by either scheme: http on a port of its own is
        another origin than https), else the host itself."""
        site_for = getattr(self.crawler.spider, "site_for", lambda url: None)
        return next((found.name for scheme in ("https", "http") if (found := site_for(f"{scheme}://{netloc}/"))),
                    netloc)

    def _unreachable_robots(self, site: str, netloc: str, why: str) -> None:
        """RFC 9309 (2.3.1.4): a robots.txt that the server or the network fails to give means a
        complete disallow; the site counts an error, so a crawl that fetched nothing fails."""
        count_for_site(self.crawler.stats, "news", site, "errors/robots_txt_unreachable")
        count_for_site(self.crawler.stats, "news", site, "errors")
        logger.warning("%s: robots.txt %s: nothing is fetched from %s in this crawl (an unreachable robots.txt "
                       "disallows all, RFC 9309)", site, why, netloc)
        self._unreachable.add(netloc)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        # ``request``: the one that made it fetch robots.txt, the spider's own request for it maybe
        if response.status >= 500:  # (after its retries)
            self._unreachable_robots(self._site_of(request), netloc, f"answered HTTP {response.status}")
            response = response.replace(body=DISALLOW_ALL)
        robots_txt = robots_txt_url(request)
        asks = getattr(self.crawler.spider, "asks_for_robots_txt", lambda url: False)
        # A failure (a 503 after its retries) is the spider's to try again.
        if response.status == 200 and (request.url == robots_txt or asks(robots_txt)):
            self._fetched[netloc] = response
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # not fetched by choice (a bot wall, off the scope): as Scrapy does
            super()._robots_error(exc, netloc)
            return
        self._unreachable_robots(self._site_of_host(netloc), netloc, f"could not be fetched ({exc.__class__.__name__})")
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    async def robot_parser(self, request: Any) -> Any:
        parser = await super().robot_parser(request)
        cached = self._parsers.get(urlparse_cached(request).netloc, parser)
        return None if isinstance(cached, Deferred) else cached

    def process_request_2(self, rp: Any, request: Any, *args: Any) -> None:
        super().process_request_2(rp, request, *args)  # raises for a request robots.txt forbids
        if rp is not None and (key := request.meta.get("download_slot")) is not None:
            self._keep_crawl_delay(rp, request, key)

    def _keep_crawl_delay(self, rp: Any, request: Any, key: str) -> None:
        if key not in self._crawl_delays:
            agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
            asked = float(rp.crawl_delay(agent) or 0.0)
            self._crawl_delays[key] = min(asked, self._max_delay)
            if asked:
                self.crawler.stats.set_value(f"news/{key}/crawl_delay", asked)
                if asked > self._max_delay:
                    logger.warning("%s: robots.txt asks for %gs between requests, kept at %gs (AUTOTHROTTLE_MAX_DELAY)",
                                   key, asked, self._max_delay)
                else:
                    logger.info("%s: robots.txt asks for %gs between requests", key, asked)
        self._floor(key)

    def _floor(self, key: str | None) -> None:
        """The site's Crawl-delay as the least gap between its requests: its slot's delay no lower,
        and without Scrapy's random spread (``RANDOMIZE_DOWNLOAD_DELAY`` sends a request after
        half the delay)."""
        delay = self._crawl_delays.get(key or "", 0.0)
        slot = download_slot(self.crawler, key) if delay else None
        if slot is None:
            return
        if slot.delay < delay:
            slot.delay = delay
        if hasattr(slot, "jitter"):  # (Scrapy 2.19; randomize_delay before)
            slot.jitter = 0.0
        else:
            slot.randomize_delay = False

    def _after_response(self, response: Any, request: Any, spider: Any = None) -> None:
        # AutoThrottle lowers a slot's delay after a fast response (it reads the signal first): the
        # floor is set again before the slot sends its next request
        self._floor(request.meta.get("download_slot"))


class BotWall(IgnoreRequest):
    """The site answered with a bot wall (a challenge page) in place of the page asked for."""


class BehindBotWall(IgnoreRequest):
    """The site's crawl was stopped after too many bot walls in a row: this request is not sent."""

    @classmethod
    def for_request(cls, site: str, request: Any) -> BehindBotWall:
        return cls(f"{site}'s crawl stopped at its bot wall: {request.url} not fetched")


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
HEAD_BYTES = 64 * 1024  # a bot wall is a small page; a story's <title> sits in its <head>


def page_title(response: Any) -> str | None:
    """The ``<title>`` of an HTML response, read from its first bytes without parsing the page."""
    if not isinstance(response, TextResponse):
        return None
    found = _TITLE.search(response.body[:HEAD_BYTES])
    return html.unescape(found.group(1).decode(response.encoding, errors="replace")) if found else None


SLOW_DOWN = (429, 503)  # "too many requests", "unavailable": the site asks for a slower pace


def retry_after(response: Any, now: datetime | None = None) -> float | None:
    """The seconds a response's ``Retry-After`` asks to wait (a number or an HTTP date), or None."""
    value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


class BackOffMiddleware:
    """A site that pushes back is listened to.

    - A 429 or 503 makes the site's download delay what ``Retry-After`` asks, or twice what it was
      (``news/<site>/slowed_down``); Scrapy's retry then asks again at that pace.
    - A bot wall (Cloudflare's "Just a moment...", Anubis, Akamai...; see ``crawler.extraction.pagetype``) is
      never a listing or a story: it is counted (``news/<site>/skipped/bot_challenge``), warned of,
      goes no further, and doubles the delay too. After ``ARCHIVE_BOT_WALL_LIMIT`` walls in a row
      (0: never) the site's crawl stops: its other requests are dropped unsent
      (``skipped/behind_bot_wall``) and its run ends as ``blocked``. Pressing on would only hammer
      a site that has said no.

    The delay never goes past ``AUTOTHROTTLE_MAX_DELAY``, and each ordinary answer halves what was
    added, back to the site's own pace.
    """

    def __init__(self, crawler: Any, limit: int, max_delay: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.limit = limit
        self.max_delay = max_delay
        self.in_a_row: dict[str, int] = {}
        self.stopped: set[str] = set()
        self.own_delay: dict[str, float] = {}  # a slowed-down site's delay before it pushed back

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackOffMiddleware:
        settings = crawler.settings
        return cls(crawler, settings.getint("ARCHIVE_BOT_WALL_LIMIT"), settings.getfloat("AUTOTHROTTLE_MAX_DELAY"))

    def process_request(self, request: Any, spider: Any = None) -> None:
        site = request.meta.get("site")
        if site in self.stopped:
            raise BehindBotWall.for_request(site, request)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        site = request.meta.get("site")
        if site is None:
            return response
        slot = download_slot(self.crawler, request.meta.get("download_slot"))
        title = page_title(response)
        if bot_challenge(title):
            self._walled(site, slot, title, response)
        self.in_a_row[site] = 0
        if response.status in SLOW_DOWN:
            delay = self._slow_down(site, slot, retry_after(response))
            count_for_site(self.stats, "news", site, "slowed_down")
            logger.info("%s answered HTTP %d for %s: delay now %.1fs", site, response.status, response.url, delay)
        else:
            self._ease(site, slot)
        return response

    def _walled(self, site: str, slot: Any, title: str, response: Any) -> None:
        walls = self.in_a_row[site] = self.in_a_row.get(site, 0) + 1
        count_for_site(self.stats, "news", site, "skipped/bot_challenge")
        delay = self._slow_down(site, slot)
        if self.limit and walls >= self.limit and site not in self.stopped:
            self.stopped.add(site)
            self.stats.set_value(f"news/{site}/stopped_at_bot_wall", 1)  # a number: workers hand numbers on
            self._drop_waiting(slot, site)
            logger.warning("%s answered %d bot challenges in a row (%r, last at %s): its crawl stops here", site,
                           walls, title, response.url)
        elif site not in self.stopped:
            logger.warning("%s served a bot challenge (%r, HTTP %d) in place of %s; delay now %.1fs", site, title,
                           response.status, response.url, delay)
        raise BotWall(f"bot challenge {title!r} at {response.url}")

    def _slow_down(self, site: str, slot: Any, wanted: float | None = None) -> float:
        """Make the slot's delay ``wanted`` seconds, or double it, within the maximum; the delay now."""
        if slot is None:
            return 0.0
        self.own_delay.setdefault(site, slot.delay)
        target = max(slot.delay, wanted) if wanted is not None else max(2 * slot.delay, 1.0)
        slot.delay = min(target, max(self.max_delay, slot.delay))
        return slot.delay

    def _ease(self, site: str, slot: Any) -> None:
        """Halve what pushing back added to the slot's delay; at the site's own pace, forget it."""
        if slot is None or site not in self.own_delay:
            return
        own = self.own_delay[site]
        slot.delay = max(own, own + (slot.delay - own) / 2)
        if slot.delay - own < 0.05:
            slot.delay = self.own_delay.pop(site)

    def _drop_waiting(self, slot: Any, site: str) -> None:
        """Fail the requests already waiting in the site's slot: they passed ``process_request``
        before the site was stopped, and would otherwise still go out, one delay apart."""
        waiting = getattr(slot, "queue", None) or ()
        while waiting:
            request, deferred = waiting.popleft()
            deferred.errback(BehindBotWall.for_request(site, request))
