"""The pipelines as Scrapy drives them: extraction inline or in a worker, with its time limit."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.extraction.article import page_digest
from crawler.items import ArticlePage
from crawler.pipelines import ExtractionPipeline
from crawler.spiders.news import NewsSpider
from crawler.workers import extract_for_archive
from tests.conftest import page_html
from tests.unit import slow_extract


def pipeline_for(demo_config, **settings) -> ExtractionPipeline:
    crawler = get_crawler(NewsSpider, settings_dict=settings)
    crawler.spider = NewsSpider.from_crawler(crawler, sites=[demo_config])
    return ExtractionPipeline.from_crawler(crawler)


def page(demo_app, path: str) -> ArticlePage:
    return ArticlePage(url="http://127.0.0.1" + path, site="demo", body=page_html(demo_app, path))


@pytest.mark.parametrize("workers", [0, 1])
def test_article_is_extracted_inline_or_in_a_worker(demo_config, demo_app, demo_site, workers):
    pipeline = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=workers)
    pipeline.open_spider()
    try:
        story = demo_site.stories[0]
        item = asyncio.run(pipeline.process_item(page(demo_app, story.path)))
        assert item.article.title == story.title
        # what the archive needs is computed where extraction ran: the hash cached
        assert "content_hash" in vars(item.article)
        # Not an article: counted, and passed on with why and its capture, for the archive to keep.
        rejected = asyncio.run(pipeline.process_item(page(demo_app, "/tag/economy/")))
        assert rejected.article is None and rejected.rejection.reason == "listing"
        assert rejected.rejection.score < 0
        assert pipeline.stats.get_value("archive/demo/skipped/listing") == 1
    finally:
        pipeline.close_spider()


def test_a_hanging_page_is_stopped_counted_and_kept(demo_config, demo_app, demo_site):
    pipeline = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=1, ARCHIVE_EXTRACT_TIMEOUT=1)
    pipeline.extract = slow_extract.hangs
    pipeline.open_spider()
    try:
        item = asyncio.run(pipeline.process_item(page(demo_app, demo_site.stories[0].path)))
        # not lost: passed on as a rejected page with its capture, for the archive to keep
        assert item.article is None and item.rejection.reason == "extract_timeout"
        assert item.digest == page_digest(item.body)  # its capture's, computed where it was read
        assert pipeline.stats.get_value("archive/demo/extract_timeout") == 1
        assert pipeline.stats.get_value("archive/errors") == 1
    finally:
        pipeline.close_spider()


@pytest.mark.parametrize("workers", [1, 2])
def test_the_worker_count_setting_is_honoured(demo_config, demo_app, demo_site, workers):
    pipeline = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=workers)
    pipeline.open_spider()
    try:
        async def extract_pages() -> list:
            return await asyncio.gather(*(pipeline.process_item(page(demo_app, story.path))
                                          for story in demo_site.stories[:4]))
        items = asyncio.run(extract_pages())
        assert [i.article.title for i in items] == [story.title for story in demo_site.stories[:4]]
        assert len(pipeline.pool._pool_manager.worker_manager.workers) == workers
    finally:
        pipeline.close_spider()


def test_a_worker_that_dies_on_a_page_is_counted_and_the_page_kept(demo_config, demo_app, demo_site, tmp_path):
    """A worker process that dies (a parser's segfault, the OOM killer) costs its page's extraction,
    not the page: it is kept as a rejected page with its capture, and the next page is extracted."""
    from archive.captures import capture_body
    from archive.db import open_archive
    from crawler.pipelines import ArchivePipeline

    extraction = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=1, ARCHIVE_DB=str(tmp_path / "a.db"))
    archive = ArchivePipeline.from_crawler(extraction.crawler)
    extraction.open_spider()
    archive.open_spider()
    story, other = demo_site.stories[:2]

    async def through_both(item: ArticlePage):
        return await archive.process_item(await extraction.process_item(item))

    try:
        extraction.extract = slow_extract.dies
        item = page(demo_app, story.path)
        html = item.body
        with pytest.raises(DropItem, match="extraction_failed"):
            asyncio.run(through_both(item))
        extraction.extract = extract_for_archive
        assert asyncio.run(through_both(page(demo_app, other.path)))["title"] == other.title
    finally:
        extraction.close_spider()
        archive.spider_closed(extraction.crawler.spider, "finished")
    stats = extraction.crawler.stats
    assert stats.get_value("archive/demo/extract_failed") == 1 and stats.get_value("archive/demo/errors") == 1
    assert stats.get_value("archive/demo/rejected_kept") == 1
    db = open_archive(tmp_path / "a.db")
    kept = next(db["rejected_pages"].rows)
    assert (kept["url"], kept["reason"]) == (item.url, "extraction_failed")
    assert "ProcessExpired" in kept["detail"]
    assert capture_body(db, kept["capture_id"]) == html
    assert [row["title"] for row in db["articles"].rows] == [other.title]


def test_a_page_the_archive_could_not_take_fails_the_run(demo_config, demo_app, demo_site, tmp_path, monkeypatch):
    """An adversarial review: with the archive locked by another program or its disk full, a crawl
    lost most of its articles and still ended 'finished', exit 0."""
    import sqlite3

    from archive.db import open_archive
    from crawler import pipelines
    from crawler.pipelines import ArchivePipeline

    extraction = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=0, ARCHIVE_DB=str(tmp_path / "a.db"))
    archive = ArchivePipeline.from_crawler(extraction.crawler)
    extraction.open_spider()
    archive.open_spider()
    real = pipelines.store_page

    def full_disk(db, capture, **kwargs):
        if kwargs.get("article") is not None and kwargs["article"].title == demo_site.stories[1].title:
            raise sqlite3.OperationalError("database or disk is full")
        return real(db, capture, **kwargs)

    monkeypatch.setattr(pipelines, "store_page", full_disk)

    async def through_both(item: ArticlePage):
        return await archive.process_item(await extraction.process_item(item))

    try:
        assert asyncio.run(through_both(page(demo_app, demo_site.stories[0].path)))
        with pytest.raises(DropItem, match="archive write failed"):
            asyncio.run(through_both(page(demo_app, demo_site.stories[1].path)))
    finally:
        extraction.close_spider()
        archive.spider_closed(extraction.crawler.spider, "finished")
    run = next(open_archive(tmp_path / "a.db")["crawl_runs"].rows)
    assert (run["outcome"], run["error"]) == ("failed", "1 fetched page(s) could not be stored in the archive")
    assert run["articles_new"] == 1 and run["errors"] == 1


def test_an_extraction_crash_is_counted_not_raised(demo_config, demo_app, demo_site):
    pipeline = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=0)
    pipeline.extract = slow_extract.explodes
    item = asyncio.run(pipeline.process_item(page(demo_app, demo_site.stories[0].path)))
    assert (item.rejection.reason, item.rejection.detail) == ("extraction_failed", "RuntimeError: parser bug")
    assert pipeline.stats.get_value("archive/demo/errors") == 1


def test_bad_worker_settings_fail_fast(demo_config):
    with pytest.raises(ValueError, match="ARCHIVE_EXTRACT_WORKERS"):
        pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=-1)


def test_a_rejected_page_is_kept_then_dropped_and_counted_as_skipped(demo_config, demo_app, tmp_path):
    """Issue 28: a page extraction rejects is archived (capture and reason) instead of lost; it is
    still no article item, and its run counts it as skipped as before."""
    from archive.captures import capture_body
    from archive.db import open_archive
    from crawler.pipelines import ArchivePipeline

    extraction = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=0, ARCHIVE_DB=str(tmp_path / "a.db"))
    crawler = extraction.crawler
    archive = ArchivePipeline.from_crawler(crawler)
    archive.open_spider()
    item = page(demo_app, "/tag/economy/")
    item.section, html = "world", item.body

    async def through_both() -> None:
        await archive.process_item(await extraction.process_item(item))

    with pytest.raises(DropItem, match=r"not an article \(listing: score"):
        asyncio.run(through_both())
    archive.spider_closed(crawler.spider, "finished")
    db = open_archive(tmp_path / "a.db")
    row = next(db["rejected_pages"].rows)
    assert (row["url"], row["site"], row["section"], row["reason"]) == ("http://127.0.0.1/tag/economy/", "demo",
                                                                        "world", "listing")
    assert capture_body(db, row["capture_id"]) == html
    assert db["articles"].count == 0
    assert crawler.stats.get_value("archive/demo/rejected_kept") == 1
    run = next(db["crawl_runs"].rows)
    assert (run["skipped"], run["articles_new"], run["errors"], row["run_id"]) == (1, 0, 0, run["id"])


def runs_after_crawl(demo_config, tmp_path, other: str, stats: dict) -> dict[str, dict]:
    """The ``crawl_runs`` rows a crawl of the demo site and of ``other`` leaves, having ended with ``stats``."""
    import dataclasses

    from archive.db import open_archive
    from crawler.pipelines import ArchivePipeline

    crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_DB": str(tmp_path / "a.db")})
    crawler.spider = NewsSpider.from_crawler(crawler, sites=[dataclasses.replace(demo_config, name=other), demo_config])
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for key, value in stats.items():
        crawler.stats.set_value(key, value)
    pipeline.spider_closed(crawler.spider, "finished")
    return {r["site"]: r for r in open_archive(tmp_path / "a.db")["crawl_runs"].rows}


def test_each_site_gets_its_own_outcome(demo_config, tmp_path):
    """Regression: a site whose every fetch failed must not turn the next site's run into a failure."""
    runs = runs_after_crawl(demo_config, tmp_path, "dead", {
        "news/dead/errors": 3, "news/demo/pages": 5, "archive/demo/saved/new": 2})
    assert (runs["dead"]["outcome"], runs["dead"]["error"]) == ("failed", "no page could be fetched")
    assert (runs["demo"]["outcome"], runs["demo"]["error"], runs["demo"]["articles_new"]) == ("finished", None, 2)


def test_a_run_stopped_at_a_bot_wall_is_recorded_as_blocked(demo_config, tmp_path):
    runs = runs_after_crawl(demo_config, tmp_path, "open", {
        "news/demo/pages": 4, "news/demo/skipped/bot_challenge": 3, "news/demo/stopped_at_bot_wall": 1,
        "news/demo/skipped/behind_bot_wall": 41, "news/open/pages": 9})
    assert runs["demo"]["outcome"] == "blocked" and runs["demo"]["skipped"] == 44
    assert runs["demo"]["error"] == "stopped at a bot wall: 3 challenge(s) answered, 41 request(s) left unsent"
    assert (runs["open"]["outcome"], runs["open"]["error"]) == ("finished", None)


@pytest.mark.parametrize(("charset", "declared"), [
    ("cp1252", "text/html; charset=utf-8"),  # declared UTF-8, sent in Windows-1252
    ("shift_jis", "text/html"),  # no charset declared anywhere
])
def test_a_page_in_another_charset_than_declared_is_mended_and_counted(demo_config, charset, declared):
    # issue 23, item 4: stored with U+FFFD (or as mojibake) before
    title = "Café élèves" if charset == "cp1252" else "東京の予算"
    prose = ("Les élèves ont dû répondre à une question très précise sur l'économie. " * 30 if charset == "cp1252"
             else "東京都は新しい予算案を発表しました。市民の生活を支えるための施策が含まれています。" * 30)
    html = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{prose}</p>"
            "</article></body></html>")
    pipeline = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=0)
    item = ArticlePage(url="http://127.0.0.1/2024/06/budget-approved-for-roads.html", site="demo",
                       body=html.encode(charset), headers={"Content-Type": declared})
    item = asyncio.run(pipeline.process_item(item))
    assert item.article.title == title and "\ufffd" not in item.article.text
    assert prose.split()[0] in item.article.text
    assert pipeline.stats.get_value("archive/demo/mended_charset") == 1
    plain = ArticlePage(url="http://127.0.0.1/2024/06/another.html", site="demo", body=html.encode("utf-8"),
                        headers={"Content-Type": "text/html; charset=utf-8"})
    asyncio.run(pipeline.process_item(plain))
    assert pipeline.stats.get_value("archive/mended_charset") == 1  # a page in its own charset is not counted


@pytest.mark.parametrize(("usable", "workers"), [({0}, 0), ({0, 1}, 2), ({0, 1, 2, 3}, 4), ({3, 5}, 2)])
def test_by_default_one_extraction_worker_per_usable_core(monkeypatch, usable, workers):
    """Issue 26, item 4: one worker could keep only one core busy; on one core extraction runs inline.
    The cores counted are those the process may run on (taskset, a container's CPU set), not the machine's."""
    import os

    from crawler.settings import default_workers

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: usable, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert default_workers() == workers


@pytest.mark.parametrize(("error", "reason"), [
    (TimeoutError("took too long"), "extract_timeout"),
    (concurrent.futures.TimeoutError(), "extract_timeout"),
    (RuntimeError("worker died"), "extraction_failed"),
])
def test_a_failed_extraction_is_kept_under_the_reason_its_error_gives(error, reason):
    """The crawl and the import keep such a page through one function, which tells the reasons apart."""
    from crawler.workers import failed_extraction

    kept = failed_extraction(b"<html></html>", error)
    assert kept.article is None and kept.rejection.reason == reason
    assert kept.rejection.detail.startswith(error.__class__.__name__) and kept.digest
