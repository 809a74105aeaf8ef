"""Thin adapters between Scrapy and the pure parts: extraction, then the archive.

Every page ends in exactly one counter: ``archive/saved/{new,changed,unchanged}``,
``archive/skipped/<reason>`` or ``archive/errors``; each site's counts become its ``crawl_runs`` row.
A page counted as ``skipped/<reason>`` by extraction is still kept, in ``rejected_pages`` with its
capture (counted ``archive/rejected_kept`` besides), and then dropped: it is not an article item.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import traceback
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from typing import Any

from pebble import ProcessPool
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from archive.db import open_archive
from archive.store import (
    Outcome,
    Rejection,
    blocked_by,
    close_abandoned_runs,
    finish_run,
    run_counts,
    run_outcome,
    start_run,
    store_article,
    store_rejected,
    touch_not_modified,
)
from crawler.extraction import Article, NotAnArticle, decode_page, extract
from crawler.items import ArticlePage
from crawler.stats import count_for_site
from crawler.urls import canonical_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    article: Article | None  # None: extraction rejected the page, ``rejection`` says why
    rejection: Rejection | None = None
    mended_charset: bool = False  # the page's bytes were not in the charset it declared (or UTF-8)


def extract_for_archive(body: bytes, url: str, rules: Any, timezone: str, content_type: str | None) -> Extracted:
    """``extract()``, plus what the archive computes from each page (content hash), where
    extraction runs: in a worker process, off the crawler's core. A page that is not an article
    comes back with its rejection, since the archive keeps it too. (The capture is compressed
    where it is stored, with its site's dictionary: ``archive.captures``.)"""
    html, mended = decode_page(body, content_type)
    try:
        article = extract(html, url, rules, timezone)
    except NotAnArticle as error:
        return Extracted(None, Rejection.of(error), mended)
    _ = article.content_hash  # cached on the article, pickled back with it
    return Extracted(article, mended_charset=mended)


def exported(item: ArticlePage, outcome: Outcome) -> dict[str, Any]:
    """What a crawl hands on once the archive has a page, for feed exports (``scrapy crawl news -o
    articles.jsonl``) and anything else after the pipelines: the archive's fields of the article
    (lists as lists, no raw bytes), the site, section and fetch, and what the archive made of it."""
    fields: dict[str, Any] = {"url": canonical_url(item.url), "site": item.site, "section": item.section}
    if item.article is not None:
        article = dataclasses.asdict(item.article)
        fields.update({name: list(value) if isinstance(value, tuple) else value for name, value in article.items()},
                      word_count=item.article.word_count, content_hash=item.article.content_hash)
    return {**fields, "status": item.status, "fetched_at": item.fetched_at, "outcome": outcome.value}


class ExtractionPipeline:
    """Turns an ``ArticlePage`` into an ``Article``; counts pages that are not articles and passes
    them on with their ``rejection``, for the archive to keep (it drops them afterwards).

    With ``ARCHIVE_EXTRACT_WORKERS`` > 0, extraction runs in that many worker processes: the
    reactor keeps downloading while pages are extracted on another core, and a page that takes
    longer than ``ARCHIVE_EXTRACT_TIMEOUT`` seconds has its worker killed and is counted as failed.
    With 0 it runs inline (no time limit).
    """

    def __init__(self, crawler: Any, workers: int, timeout: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = workers
        self.timeout = timeout
        self.pool: ProcessPool | None = None
        self.extract = extract_for_archive  # module-level, so worker processes can import it by name

    @classmethod
    def from_crawler(cls, crawler) -> ExtractionPipeline:
        workers = crawler.settings.getint("ARCHIVE_EXTRACT_WORKERS", 0)
        timeout = crawler.settings.getfloat("ARCHIVE_EXTRACT_TIMEOUT", 30.0)
        if workers < 0 or timeout <= 0:
            raise ValueError("ARCHIVE_EXTRACT_WORKERS must be >= 0 and ARCHIVE_EXTRACT_TIMEOUT > 0")
        return cls(crawler, workers, timeout)

    def open_spider(self) -> None:
        if self.workers:
            # spawn, not fork: the parent runs a reactor and threads that a fork would copy mid-flight
            self.pool = ProcessPool(max_workers=self.workers, context=multiprocessing.get_context("spawn"))

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join(timeout=self.timeout)
            self.pool.stop()
            self.pool = None

    async def _extract(self, item: ArticlePage, rules: Any, timezone: str) -> Extracted:
        if self.pool is None:
            return self.extract(item.body, item.url, rules, timezone, item.content_type)
        future = self.pool.schedule(self.extract, args=(item.body, item.url, rules, timezone, item.content_type),
                                    timeout=self.timeout)
        return await asyncio.wrap_future(future)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage) or item.status == 304:
            return item
        site = self.crawler.spider.sites[item.site]
        try:
            result = await self._extract(item, site.extraction, site.timezone)
        except (TimeoutError, FutureTimeoutError):
            count_for_site(self.stats, "archive", item.site, "errors")
            count_for_site(self.stats, "archive", item.site, "extract_timeout")
            logger.error("extraction of %s took over %ss: worker stopped, page counted as failed",
                         item.url, self.timeout)
            raise DropItem(f"extraction timed out: {item.url}", log_level="DEBUG") from None
        except Exception as error:  # one bad page must never stop the crawl
            count_for_site(self.stats, "archive", item.site, "errors")
            logger.error("extraction failed for %s: %s\n%s", item.url, error, traceback.format_exc())
            raise DropItem(f"extraction failed: {item.url}", log_level="DEBUG") from None
        item.article, item.rejection = result.article, result.rejection
        if result.mended_charset:
            count_for_site(self.stats, "archive", item.site, "mended_charset")
        if result.rejection is not None:
            count_for_site(self.stats, "archive", item.site, f"skipped/{result.rejection.reason}")
        return item


class ArchivePipeline:
    """Writes each article (with its raw capture) to the SQLite archive, one transaction each.

    The archive connection lives in one writer thread: SQLite does its work with the GIL released,
    so the reactor keeps downloading and parsing while an article is written.
    """

    def __init__(self, db_path: str, crawler: Any) -> None:
        self.db_path = db_path
        self.crawler = crawler
        self.stats = crawler.stats
        self.db = None
        self.runs: dict[str, int] = {}
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")
        self.item_limit = crawler.settings.getint("CLOSESPIDER_ITEMCOUNT")
        self.items_taken = 0

    @classmethod
    def from_crawler(cls, crawler) -> ArchivePipeline:
        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB is empty")
        pipeline = cls(db_path, crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def _in_writer(self, function: Any, *args: Any) -> Any:
        """Run ``function`` in the writer thread and wait for it (for opening and closing)."""
        return self.writer.submit(function, *args).result()

    def open_spider(self) -> None:
        self._in_writer(self._open)

    def _open(self) -> None:
        self.db = open_archive(self.db_path)
        closed = close_abandoned_runs(self.db)
        if closed:
            logger.warning("marked %d earlier run(s) whose process died as interrupted", closed)
        self.runs = {name: start_run(self.db, name) for name in self.crawler.spider.sites}

    def _over_item_limit(self, item: ArticlePage) -> bool:
        """CLOSESPIDER_ITEMCOUNT closes the spider once that many items went through, while the pages
        already fetched are still coming: beyond the limit they are not stored (``skipped/over_item_limit``)."""
        self.items_taken += 1
        if not self.item_limit or self.items_taken <= self.item_limit:
            return False
        count_for_site(self.stats, "archive", item.site, "skipped/over_item_limit")
        return True

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticlePage) and item.rejection is None and self._over_item_limit(item):
            raise DropItem(f"over CLOSESPIDER_ITEMCOUNT: {item.url}", log_level="DEBUG")
        if isinstance(item, ArticlePage) and item.status == 304:
            touched = await asyncio.wrap_future(self.writer.submit(touch_not_modified, self.db, item.url,
                                                                   item.fetched_at))
            if touched:
                count_for_site(self.stats, "archive", item.site, f"saved/{Outcome.NOT_MODIFIED.value}")
            return exported(item, Outcome.NOT_MODIFIED)
        if isinstance(item, ArticlePage) and item.rejection is not None:
            await self._keep_rejected(item)
            raise DropItem(f"not an article ({item.rejection}): {item.url}", log_level="DEBUG")
        if not isinstance(item, ArticlePage) or item.article is None:
            return item
        try:
            stored = await asyncio.wrap_future(self.writer.submit(
                store_article, self.db, item.article, site=item.site, section=item.section, capture=item.capture(),
                run_id=self.runs.get(item.site)))
        except Exception as error:
            count_for_site(self.stats, "archive", item.site, "errors")
            logger.error("could not archive %s: %s", item.url, error)
            raise DropItem(f"archive write failed: {item.url}", log_level="DEBUG") from None
        count_for_site(self.stats, "archive", item.site, f"saved/{stored.outcome.value}")
        return exported(item, stored.outcome)  # the HTML is archived: it goes no further (nor into logs)

    async def _keep_rejected(self, item: ArticlePage) -> None:
        """Keep a page that extraction rejected: its capture, and why."""
        rejection = item.rejection
        try:
            await asyncio.wrap_future(self.writer.submit(
                store_rejected, self.db, canonical_url(item.url), site=item.site, section=item.section,
                capture=item.capture(), reason=rejection.reason, detail=rejection.detail, score=rejection.score,
                run_id=self.runs.get(item.site)))
        except Exception as error:  # counted as skipped already: the page is lost, not the crawl
            count_for_site(self.stats, "archive", item.site, "rejected_lost")
            logger.error("could not keep rejected page %s: %s", item.url, error)
        else:
            count_for_site(self.stats, "archive", item.site, "rejected_kept")
        item.body = b""

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Close each site's run with its counts; runs after the engine set ``finish_reason``."""
        if self.db is None:
            return
        try:
            self._in_writer(self._finish_runs, dict(self.stats.get_stats()), reason)
        finally:
            self.writer.shutdown(wait=True)

    def _finish_runs(self, stats: dict[str, Any], reason: str) -> None:
        for site, run_id in self.runs.items():
            counts = run_counts(stats, site)
            site_stats = {k: v for k, v in stats.items() if f"/{site}/" in k}
            outcome, error = run_outcome(reason)
            if why := blocked_by(stats, site):
                outcome, error = "blocked", why
            finish_run(self.db, run_id, outcome, counts, stats=site_stats, error=error)
        self.db.close()
        self.db = None
