"""``newsarchive check-site``: what a site file's discovery yields now, without archiving anything.

It is the news spider's own discovery (sections and their pagination, feeds, sitemaps, robots.txt,
the site's scope and article patterns, what the archive holds and is not due), run with every
article request answered here instead of by the site (``DryRun``, the last downloader middleware):
the article pages it lists are the ones a crawl of the same file would fetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from twisted.python.failure import Failure

from crawler.runner import crawler_settings, run_crawl
from crawler.sites import SiteConfig
from crawler.spiders.news import ListedBy, NewsSpider

EXAMPLES = 3
REPORT = "check_site/report"  # the stats key the report travels back in
DRY_RUN = {f"{__name__}.DryRun": 960}  # after every middleware that may drop a request (robots.txt: 100, recheck: 650)


@dataclass
class Yield:
    """What one discovery source gave: articles first found there, and links passed over, by reason."""

    articles: list[str] = field(default_factory=list)
    passed_over: dict[str, list[str]] = field(default_factory=dict)  # reason -> URLs

    def as_dict(self) -> dict[str, Any]:
        return {"articles": len(self.articles), "examples": self.articles[:EXAMPLES],
                "passed_over": {reason: {"count": len(urls), "examples": list(dict.fromkeys(urls))[:EXAMPLES]}
                                for reason, urls in self.passed_over.items()}}


class DryRun:
    """Answers every article request with an empty page, unsent: the site sees listing pages,
    feeds, sitemaps and robots.txt only."""

    def process_request(self, request: Any, spider: Any = None) -> Response | None:
        if request.meta.get("article"):
            return HtmlResponse(request.url, status=200, body=b"<html></html>", request=request, flags=["unsent"])
        return None


class CheckSpider(NewsSpider):
    """The news spider, recording where each article link came from instead of fetching it."""

    name = "news-check"
    reads_only = True  # nothing is archived: the archive is read as it is, without its lock

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.yields: dict[str, dict[str, Yield]] = {}
        self.robots_denied: dict[str, list[str]] = {}

    def _yield(self, site: str, listed_by: ListedBy | None) -> Yield:
        return self.yields.setdefault(site, {}).setdefault(listed_by.label if listed_by else "(no source)", Yield())

    def passed_over(self, site: SiteConfig, url: str, listed_by: ListedBy, reason: str) -> None:
        self._yield(site.name, listed_by).passed_over.setdefault(reason, []).append(url)

    def parse_article(self, response: Response) -> Iterator[Any]:
        site = response.meta.get("site") or getattr(self.site_for(response.url), "name", "?")
        self._yield(site, response.meta.get("listed_by")).articles.append(response.url)
        return iter(())

    def failed(self, failure: Failure) -> None:
        request = failure.request
        if request.meta.get("article") and failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            self.robots_denied.setdefault(request.meta.get("site", "?"), []).append(request.url)
        super().failed(failure)

    def closed(self, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        report = {}
        for name in self.sites:
            prefix = f"news/{name}/"
            counts = {key.removeprefix(prefix): value for key, value in stats.items() if key.startswith(prefix)}
            sources = self.yields.get(name, {})
            report[name] = {
                "would_fetch": sorted(url for y in sources.values() for url in y.articles),
                "sources": {source: y.as_dict() for source, y in sources.items()},
                "listing_pages": counts.get("listing_pages", 0), "feeds": counts.get("feeds", 0),
                "sitemaps": counts.get("sitemaps", 0),
                "skipped": {key: value for key, value in sorted(counts.items())
                            if key.startswith(("skipped/", "errors", "cut/")) or key in ("listing_depth_limit",)},
                "robots_txt_examples": self.robots_denied.get(name, [])[:EXAMPLES],
            }
        self.crawler.stats.set_value(REPORT, report)
        self.known.close()  # (the archive's validators are not kept: nothing was crawled)


def check_sites(sites: list[SiteConfig], db_path: str | Path, overrides: dict[str, Any] | None = None,
                hold_back_log: bool = True) -> dict[str, Any]:
    """Each site's discovery, now: ``{site: {would_fetch, sources, skipped, ...}}``. Nothing is
    archived (no pipeline runs); the archive at ``db_path``, if there is one, is only read, so that
    articles not due for a re-check are left out as a crawl leaves them. Runs Twisted's reactor:
    once per process."""
    pipelines = crawler_settings(db_path).getdict("ITEM_PIPELINES")
    settings = {"ITEM_PIPELINES": dict.fromkeys(pipelines), "DOWNLOADER_MIDDLEWARES": DRY_RUN,
                "ARCHIVE_PROGRESS": False, "LOG_LEVEL": "WARNING", **(overrides or {})}
    result = run_crawl(sites, db_path, settings, spider_cls=CheckSpider, hold_back_log=hold_back_log)
    return result.stats.get(REPORT, {})
