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
import traceback
from functools import partial
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from archive.db import open_archive
from archive.groupwrite import GroupWriter
from archive.known import DiscoverySource, record_sources
from archive.store import (
    Outcome,
    blocked_by,
    close_abandoned_runs,
    finish_run,
    run_counts,
    run_outcome,
    start_run,
    store_page,
    transaction,
)
from crawler.items import ArticlePage
from crawler.pool import extraction_pool
from crawler.stats import RUNS, count_for_site
from crawler.urls import canonical_url
from crawler.workers import EXTRACTION_TIMEOUT, Extracted, extract_for_archive, failed_extraction

logger = logging.getLogger(__name__)


def exported(item: ArticlePage, outcome: Outcome) -> dict[str, Any]:
    """What a crawl hands on once the archive has a page, for feed exports (``scrapy crawl news -o
    articles.jsonl``) and anything else after the pipelines: the archive's fields of the article
    (lists as lists, no raw bytes), the site, section and fetch, and what the archive made of it."""
    fields: dict[str, Any] = {"url": canonical_url(item.url), "site": item.site, "section": item.section}
    if item.article is not None:  # its fields as they are (dataclasses.asdict deep-copies each one)
        values = ((field.name, getattr(item.article, field.name)) for field in dataclasses.fields(item.article))
        fields.update({name: list(value) if isinstance(value, tuple) else value for name, value in values},
                      word_count=item.article.word_count, content_hash=item.article.content_hash)
    return {**fields, "status": item.status, "fetched_at": item.fetched_at, "outcome": outcome.value}


# counted for a page fetched that the archive could not take (``archive/<site>/not_stored``): the
# site's run then fails, whatever else it did
NOT_STORED = "not_stored"


class ExtractionPipeline:
    """Turns an ``ArticlePage`` into an ``Article``; counts pages that are not articles and passes
    them on with their ``rejection``, for the archive to keep (it drops them afterwards).

    With ``ARCHIVE_EXTRACT_WORKERS`` > 0, extraction runs in that many worker processes (default:
    one per core): the reactor keeps downloading while pages are extracted on the other cores, and
    a page that takes longer than ``ARCHIVE_EXTRACT_TIMEOUT`` seconds has its worker killed. With 0
    it runs inline (no time limit). A page whose extraction fails (its worker died or ran out of
    time, the extractor raised) is counted in ``errors`` and still kept, as a rejected page under
    ``extraction_failed`` or ``extract_timeout``, for ``newsarchive reextract`` to try again.
    """

    def __init__(self, crawler: Any, workers: int, timeout: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = workers
        self.timeout = timeout
        self.pool: Any = None
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
            self.pool = extraction_pool(self.workers)

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
        except Exception as error:  # a bad page, or a worker that died or ran out of time on it: the crawl goes on
            result = failed_extraction(item.body, error)
            timed_out = result.rejection.reason == EXTRACTION_TIMEOUT
            count_for_site(self.stats, "archive", item.site, "errors")
            count_for_site(self.stats, "archive", item.site, "extract_timeout" if timed_out else "extract_failed")
            if timed_out:
                logger.error("extraction of %s took over %ss: worker stopped, page counted as failed and kept",
                             item.url, self.timeout)
            else:
                logger.error("extraction failed for %s: %s\n%s", item.url, error, traceback.format_exc())
        else:
            if result.mended_charset:
                count_for_site(self.stats, "archive", item.site, "mended_charset")
            if result.rejection is not None:
                count_for_site(self.stats, "archive", item.site, f"skipped/{result.rejection.reason}")
        item.article, item.rejection = result.article, result.rejection
        item.digest = result.digest
        return item


class ArchivePipeline:
    """Writes each article (with its raw capture) to the SQLite archive, each whole or not at all.

    The archive connection lives in one writer thread (``GroupWriter``): SQLite does its work with
    the GIL released, so the reactor keeps downloading and parsing while articles are written, and
    the pages waiting when the writer gets to them share one commit (each in its own savepoint).
    """

    def __init__(self, db_path: str, crawler: Any) -> None:
        self.db_path = db_path
        self.crawler = crawler
        self.stats = crawler.stats
        self.writer: GroupWriter | None = None
        self.runs: dict[str, int] = {}
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

    def open_spider(self) -> None:
        self.writer = GroupWriter(partial(open_archive, self.db_path))
        try:
            self.runs = self.writer.call(self._open).result()
            self.stats.set_value(RUNS, dict(self.runs))
        except BaseException:
            self.writer.close()
            self.writer = None
            raise

    def _open(self, db: Any) -> dict[str, int]:
        closed = close_abandoned_runs(db)
        if closed:
            logger.warning("marked %d earlier run(s) whose process died as interrupted", closed)
        with transaction(db):  # all the sites' runs or none: one left 'running' by a failure would be nobody's
            return {name: start_run(db, name) for name in self.crawler.spider.sites}

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
            page = await asyncio.wrap_future(self.writer.write(store_page, item.capture(), site=item.site))
            if page.not_modified:
                count_for_site(self.stats, "archive", item.site, f"saved/{Outcome.NOT_MODIFIED.value}")
            return exported(item, Outcome.NOT_MODIFIED)
        if isinstance(item, ArticlePage) and item.rejection is not None:
            await self._keep_rejected(item)
            raise DropItem(f"not an article ({item.rejection}): {item.url}", log_level="DEBUG")
        if not isinstance(item, ArticlePage) or item.article is None:
            return item
        try:
            stored = (await asyncio.wrap_future(self.writer.write(
                store_page, item.capture(), site=item.site, section=item.section, article=item.article,
                run_id=self.runs.get(item.site)))).article
        except Exception as error:
            count_for_site(self.stats, "archive", item.site, "errors")
            count_for_site(self.stats, "archive", item.site, NOT_STORED)
            logger.error("could not archive %s: %s", item.url, error)
            raise DropItem(f"archive write failed: {item.url}", log_level="DEBUG") from None
        count_for_site(self.stats, "archive", item.site, f"saved/{stored.outcome.value}")
        return exported(item, stored.outcome)  # the HTML is archived: it goes no further (nor into logs)

    async def _keep_rejected(self, item: ArticlePage) -> None:
        """Keep a page that extraction rejected: its capture, and why."""
        rejection = item.rejection
        try:
            await asyncio.wrap_future(self.writer.write(
                store_page, item.capture(), site=item.site, section=item.section, rejection=rejection,
                run_id=self.runs.get(item.site)))
        except Exception as error:  # counted as skipped already: the page is lost, not the crawl
            count_for_site(self.stats, "archive", item.site, "rejected_lost")
            count_for_site(self.stats, "archive", item.site, NOT_STORED)
            logger.error("could not keep rejected page %s: %s", item.url, error)
        else:
            count_for_site(self.stats, "archive", item.site, "rejected_kept")
        item.body = b""

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Close each site's run with its counts; runs after the engine set ``finish_reason``."""
        if self.writer is None:
            return
        sources = spider.sources_to_keep(reason) if hasattr(spider, "sources_to_keep") else []
        try:
            self.writer.call(self._finish_runs, dict(self.stats.get_stats()), reason, sources).result()
        finally:
            self.writer.close()
            self.writer = None

    def _finish_runs(self, db: Any, stats: dict[str, Any], reason: str, sources: list[DiscoverySource]) -> None:
        """Close the runs, and keep the feeds' and sitemaps' validators, together: a crawl killed
        before its runs are closed keeps none of them."""
        with transaction(db):
            record_sources(db, sources)
            for site, run_id in self.runs.items():
                counts = run_counts(stats, site)
                site_stats = {k: v for k, v in stats.items() if f"/{site}/" in k}
                outcome, error = run_outcome(reason)
                if why := blocked_by(stats, site):
                    outcome, error = "blocked", why
                elif outcome == "finished" and (lost := int(stats.get(f"archive/{site}/{NOT_STORED}", 0) or 0)):
                    # fetched and lost: the archive could not take them (locked, disk full): cron must hear it
                    outcome, error = "failed", f"{lost} fetched page(s) could not be stored in the archive"
                finish_run(db, run_id, outcome, counts, stats=site_stats, error=error)
