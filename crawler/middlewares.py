"""Downloader middlewares: re-crawls made cheap, and robots.txt obeyed by every request.

The re-check middleware sits where every article request passes, including the new request a
redirect makes: an article the archive already holds is dropped when it is not due for a re-check, and otherwise
asked for conditionally (If-None-Match / If-Modified-Since), so an unchanged page costs a 304.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


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


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every request that waits for robots.txt checked.

    In Scrapy 2.13+ under the asyncio reactor, the requests that arrive while a site's robots.txt
    is being fetched all wait on one Deferred; turning a Deferred into a future hands the result to
    the first waiter only and ``None`` (which means "allow") to the others, so those requests go
    out unchecked. Here each waiter reads the parser from the cache once the fetch has finished.
    """

    async def robot_parser(self, request: Any) -> Any:
        parser = await super().robot_parser(request)
        cached = self._parsers.get(urlparse_cached(request).netloc, parser)
        return None if isinstance(cached, Deferred) else cached
