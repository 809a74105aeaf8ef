from __future__ import annotations

import io

from scrapy import signals
from scrapy.utils.test import get_crawler

from crawler.extensions import ProgressLine, progress_line
from crawler.spiders.news import NewsSpider


def test_progress_line_reads_the_crawl_stats():
    stats = {"news/demo/pages": 12, "archive/demo/saved/new": 7, "archive/demo/saved/changed": 2,
             "news/demo/errors": 1, "archive/demo/errors": 1}
    assert progress_line(stats, ["demo", "other"]) == ("demo: 12 pages, 7 new, 2 changed, 2 errors | "
                                                       "other: 0 pages, 0 new, 0 changed, 0 errors")


def test_progress_is_off_unless_asked_and_draws_one_line(demo_config):
    quiet = get_crawler(NewsSpider)
    dormant = ProgressLine.from_crawler(quiet)
    quiet.signals.send_catch_log(signals.spider_opened, spider=None)
    assert dormant.enabled is False and dormant.loop is None  # never draws, and says nothing about it
    crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_PROGRESS": True})
    crawler.spider = NewsSpider.from_crawler(crawler, sites=[demo_config])
    crawler.stats.set_value("news/demo/pages", 3)
    extension = ProgressLine(crawler, stream := io.StringIO())
    extension.show()
    assert stream.getvalue() == "\r\x1b[Kdemo: 3 pages, 0 new, 0 changed, 0 errors"
