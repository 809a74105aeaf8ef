"""Scrapy alone on the sample site: the CPU a page costs a crawler that does nothing of its own.

    python benchmarks/bare_scrapy.py --articles 2000 BASE_URL

Fetches every article page of a sample site served at BASE_URL with a spider that only counts
its responses: no robots.txt, no middlewares or pipelines of the project's, no extraction, no
archive; the same concurrency as the demo site's file. Prints the process's CPU milliseconds per
page as JSON. ``crawl_throughput.py`` runs it beside the crawl, for the floor under the crawler's
own cost: what Scrapy, Twisted and the loopback sockets take whatever the project does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.demo_site import DemoSite

CONCURRENCY = 8  # the demo site file's concurrent_requests


class CountingSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.urls, self.responses = urls, 0

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        self.responses += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--stories", type=int, help="a corpus site's N stories (sample_site.CorpusSiteApp) instead")
    parser.add_argument("base_url")
    args = parser.parse_args()
    paths = ([story.path for story in DemoSite(articles=args.articles).stories] if args.stories is None
             else [f"/story/{n}.html" for n in range(args.stories)])
    urls = [args.base_url.rstrip("/") + path for path in paths]
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": CONCURRENCY, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"})
    crawler = process.create_crawler(CountingSpider)
    cpu = time.process_time()
    process.crawl(crawler, urls=urls)
    process.start()
    pages = crawler.spider.responses
    print(json.dumps({"pages": pages, "cpu_ms": (time.process_time() - cpu) * 1000 / max(pages, 1)}))


if __name__ == "__main__":
    main()
