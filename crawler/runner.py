"""Run the news spider from Python (the CLI, the scheduler and tests use this, not Scrapy's CLI)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.sites import SiteConfig
from crawler.spiders.news import NewsSpider
from crawler.stats import RUNS


def crawler_settings(db_path: str | Path, overrides: dict[str, Any] | None = None) -> Settings:
    """The project's Scrapy settings with the archive path and any overrides applied; an override
    that is a dict (``DOWNLOADER_MIDDLEWARES``...) adds its entries to the project's."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_DB", str(db_path), priority="cmdline")
    for key, value in (overrides or {}).items():
        if isinstance(value, dict):
            value = {**settings.getdict(key), **value}
        settings.set(key, value, priority="cmdline")
    return settings


@dataclass(frozen=True)
class CrawlResult:
    stats: dict[str, Any]
    held_back: dict[str, int] = field(default_factory=dict)  # log records not shown, by level name
    error: str | None = None  # why the crawl could not start (e.g. the archive stayed locked)

    @property
    def finish_reason(self) -> str:
        if "finish_reason" in self.stats:
            return str(self.stats["finish_reason"])
        return "did not start" if self.error else "unknown"

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0))

    @property
    def runs(self) -> dict[str, int]:
        """The ``crawl_runs`` id of each site's run this crawl opened (none: it never opened them)."""
        return dict(self.stats.get(RUNS, {}))


class HoldBack(logging.Filter):
    """Keeps a quiet crawl's log records off the terminal (its summary says how many there were):
    they are about single pages, which the run counts, and would break the progress line."""

    def __init__(self) -> None:
        super().__init__()
        self.held: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        self.held[record.levelname] += 1
        return False


def run_crawl(sites: list[SiteConfig], db_path: str | Path, overrides: dict[str, Any] | None = None,
              *, since: str | None = None, sources: str | None = None,
              spider_cls: type[NewsSpider] = NewsSpider, hold_back_log: bool = False) -> CrawlResult:
    """Crawl ``sites`` into the archive at ``db_path`` and block until done.

    ``since`` skips feed and sitemap entries dated before it; ``sources`` (comma-separated
    "sections,feeds,sitemaps") narrows discovery; ``hold_back_log`` keeps Scrapy's log lines off
    standard error and counts them in ``CrawlResult.held_back``. Starts Twisted's reactor, which can run once
    per process: call this once per process. A distributed worker passes its spider class and
    settings (``crawler.distributed``).
    """
    process = CrawlerProcess(crawler_settings(db_path, overrides))
    crawler = process.create_crawler(spider_cls)
    failed: list[BaseException] = []  # a crawl that cannot start (a pipeline that cannot open the archive):
    # its error is the result's, not a Twisted traceback of an unhandled Deferred
    process.crawl(crawler, sites=sites, since=since, sources=sources).addErrback(lambda f: failed.append(f.value))
    hold_back = HoldBack()
    if hold_back_log:  # on the handler the crawl installed (it replaces the process's) and only there
        for handler in logging.getLogger().handlers:
            handler.addFilter(hold_back)
    try:
        process.start()
    finally:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(hold_back)
    _close_reactor_loop()
    error = f"{failed[0].__class__.__name__}: {failed[0]}" if failed else None
    return CrawlResult(stats=dict(crawler.stats.get_stats()), held_back=dict(hold_back.held), error=error)


def _close_reactor_loop() -> None:
    """Close the asyncio loop under the stopped reactor (it cannot run again in this process):
    left open, it stays the thread's event loop until something replaces it, and is then
    collected unclosed, its self-pipe sockets with it."""
    from twisted.internet import reactor

    loop = getattr(reactor, "_asyncioEventloop", None)
    if loop is not None and not loop.is_running() and not loop.is_closed():
        loop.close()
