"""A one-line progress display for interactive crawls: pages fetched, articles new and changed."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from scrapy import signals
from twisted.internet import task

from crawler.stats import draw_line

INTERVAL = 1.0


def progress_line(stats: dict[str, Any], sites: list[str]) -> str:
    """``world: 120 pages, 80 new, 3 changed, 2 errors | ...`` from the crawl's stats."""
    parts = []
    for site in sites:
        def get(key: str, site: str = site) -> int:
            return int(stats.get(key.format(site=site), 0))

        parts.append(f"{site}: {get('news/{site}/pages')} pages, {get('archive/{site}/saved/new')} new, "
                     f"{get('archive/{site}/saved/changed')} changed, "
                     f"{get('news/{site}/errors') + get('archive/{site}/errors')} errors")
    return " | ".join(parts)


class ProgressLine:
    """Rewrites one terminal line every second; on only with ``ARCHIVE_PROGRESS`` (the CLI sets it
    when standard error is a terminal, so cron and logs stay quiet)."""

    def __init__(self, crawler: Any, stream: TextIO = sys.stderr) -> None:
        self.crawler, self.stream = crawler, stream
        self.loop: task.LoopingCall | None = None
        self.enabled = True

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressLine:
        extension = cls(crawler)
        extension.enabled = crawler.settings.getbool("ARCHIVE_PROGRESS")
        if not extension.enabled:
            return extension  # dormant (NotConfigured would log a warning on every quiet crawl)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def show(self) -> None:
        draw_line(self.stream, progress_line(self.crawler.stats.get_stats(), list(self.crawler.spider.sites)))

    def opened(self, spider: Any) -> None:
        # A log line that reaches the terminal first wipes the progress line (redrawn on the next tick)
        for handler in logging.getLogger().handlers:
            handler.addFilter(self.clear_before_log)
        self.loop = task.LoopingCall(self.show)
        self.loop.start(INTERVAL)

    def clear_before_log(self, record: logging.LogRecord) -> bool:
        draw_line(self.stream, "")
        return True

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self.clear_before_log)
        draw_line(self.stream, "")
