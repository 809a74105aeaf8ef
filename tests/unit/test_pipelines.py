"""The pipelines as Scrapy drives them: extraction inline or in a worker, with its time limit."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.items import ArticlePage
from crawler.pipelines import ExtractionPipeline
from crawler.spiders.news import NewsSpider
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
        with pytest.raises(DropItem, match="not an article"):
            asyncio.run(pipeline.process_item(page(demo_app, "/tag/economy/")))
        assert pipeline.stats.get_value("archive/demo/skipped/listing") == 1
    finally:
        pipeline.close_spider()


def test_a_hanging_page_is_stopped_and_counted(demo_config, demo_app, demo_site):
    pipeline = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=1, ARCHIVE_EXTRACT_TIMEOUT=1)
    pipeline.extract = slow_extract.hangs
    pipeline.open_spider()
    try:
        with pytest.raises(DropItem, match="timed out"):
            asyncio.run(pipeline.process_item(page(demo_app, demo_site.stories[0].path)))
        assert pipeline.stats.get_value("archive/demo/extract_timeout") == 1
        assert pipeline.stats.get_value("archive/errors") == 1
    finally:
        pipeline.close_spider()


def test_an_extraction_crash_is_counted_not_raised(demo_config, demo_app, demo_site):
    pipeline = pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=0)
    pipeline.extract = slow_extract.explodes
    with pytest.raises(DropItem, match="extraction failed"):
        asyncio.run(pipeline.process_item(page(demo_app, demo_site.stories[0].path)))
    assert pipeline.stats.get_value("archive/demo/errors") == 1


def test_bad_worker_settings_fail_fast(demo_config):
    with pytest.raises(ValueError, match="ARCHIVE_EXTRACT_WORKERS"):
        pipeline_for(demo_config, ARCHIVE_EXTRACT_WORKERS=-1)
