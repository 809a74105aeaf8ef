"""Downloader middleware that makes re-crawls cheap.

It sits where every article request passes, including the new request a redirect makes: an
article the archive already holds is dropped when it is not due for a re-check, and otherwise
asked for conditionally (If-None-Match / If-Modified-Since), so an unchanged page costs a 304.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest


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
            for name, value in headers.items():
                request.headers.setdefault(name, value)
            request.meta["handle_httpstatus_list"] = [304]
            self.crawler.stats.inc_value(f"news/{request.meta['site']}/rechecks")
        return None
