"""Run the news spider from Python (the CLI, the scheduler and tests use this, not Scrapy's CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.sites import SiteConfig
from crawler.spiders.news import NewsSpider


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

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "unknown"))

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0))


def run_crawl(sites: list[SiteConfig], db_path: str | Path, overrides: dict[str, Any] | None = None,
              *, since: str | None = None, sources: str | None = None,
              spider_cls: type[NewsSpider] = NewsSpider) -> CrawlResult:
    """Crawl ``sites`` into the archive at ``db_path`` and block until done.

    ``since`` skips feed and sitemap entries dated before it; ``sources`` (comma-separated
    "sections,feeds,sitemaps") narrows discovery. Starts Twisted's reactor, which can run once
    per process: call this once per process. A distributed worker passes its spider class and
    settings (``crawler.distributed``).
    """
    process = CrawlerProcess(crawler_settings(db_path, overrides))
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, sites=sites, since=since, sources=sources)
    process.start()
    _close_reactor_loop()
    return CrawlResult(stats=dict(crawler.stats.get_stats()))


def _close_reactor_loop() -> None:
    """Close the asyncio loop under the stopped reactor (it cannot run again in this process):
    left open, it stays the thread's event loop until something replaces it, and is then
    collected unclosed, its self-pipe sockets with it."""
    from twisted.internet import reactor

    loop = getattr(reactor, "_asyncioEventloop", None)
    if loop is not None and not loop.is_running() and not loop.is_closed():
        loop.close()
