"""One generic spider for every news site: it only decides what to fetch next.

``scrapy crawl news -a site=NAME`` (or several, comma-separated, or none for every site file).
Section fronts and their pagination lead to article pages; article pages go to the pipelines,
which extract and archive them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.store import utc_now
from crawler.items import ArticlePage
from crawler.sites import SiteConfig, load_sites
from crawler.urls import canonical_url, clean_url, same_site

# Without article_urls in the site file, a URL looks like an article when its path has a long slug
# or a date, and none of the parts that mark listings, feeds or files.
NOT_ARTICLE_PATH = re.compile(
    r"/(tag|tags|topic|topics|author|authors|category|categories|section|sections|search|page|"
    r"label|feed|rss|login|signup|subscribe|account|newsletter|about|contact|privacy|terms)(/|$)"
    r"|\.(pdf|jpe?g|png|gif|svg|webp|mp[34]|zip|xml|json|css|js|ico)$",
    re.IGNORECASE,
)
DATE_IN_PATH = re.compile(r"/(19|20)\d{2}/\d{1,2}/")
PAGINATION = re.compile(r"(/page/\d+/?$|[?&](page|p|pg)=\d+)", re.IGNORECASE)
NEXT_TEXT = re.compile(r"^\s*(next|older|more|›|»|→|next page|older posts|load more)\b", re.IGNORECASE)


def looks_like_article(url: str, site: SiteConfig) -> bool:
    """Whether ``url`` should be fetched as an article page of ``site``."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if any(p.search(path) for p in site.exclude_urls):
        return False
    if site.article_urls:
        return any(p.search(path) for p in site.article_urls)
    if NOT_ARTICLE_PATH.search(parts.path) or PAGINATION.search(path):
        return False
    slug = parts.path.rstrip("/").rsplit("/", 1)[-1]
    words = [w for w in re.split(r"[-_]", slug.rsplit(".", 1)[0]) if w]
    return bool(DATE_IN_PATH.search(parts.path)) or len(words) >= 4 or bool(re.search(r"\d{6,}", slug))


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, site: str | None = None, sites_dir: str | None = None,
                 base_url: str | None = None, sites: list[SiteConfig] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._site_names = [s.strip() for s in (site or "").split(",") if s.strip()]
        self._sites_dir = sites_dir
        self._base_url = base_url
        self.sites: dict[str, SiteConfig] = {s.name: s for s in sites or []}
        self._seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.sites:
            sites_dir = spider._sites_dir or crawler.settings.get("ARCHIVE_SITES_DIR")
            loaded = load_sites(spider._site_names, sites_dir)  # raises SiteConfigError: nothing crawled
            if spider._base_url:
                if len(loaded) != 1:
                    raise ValueError("-a base_url=... needs exactly one site")
                loaded = [loaded[0].with_base_url(spider._base_url)]
            spider.sites = {s.name: s for s in loaded}
        if not crawler.settings.frozen:  # frozen only for a crawler built by hand, as in tests
            spider._apply_site_settings(crawler.settings)
        return spider

    def _apply_site_settings(self, settings) -> None:
        """Each site's delay and concurrency become its own download slot's; a lone site may set the UA."""
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for config in self.sites.values():
            slot = {}
            if config.download_delay is not None:
                slot["delay"] = config.download_delay
            if config.concurrent_requests is not None:
                slot["concurrency"] = config.concurrent_requests
            if slot:
                slots[config.name] = slot
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        if len(self.sites) == 1:
            user_agent = next(iter(self.sites.values())).user_agent
            if user_agent:
                settings.set("USER_AGENT", user_agent, priority="spider")

    def _meta(self, site: SiteConfig, **extra: Any) -> dict[str, Any]:
        meta = {"site": site.name, "download_slot": site.name, **extra}
        if site.download_delay is not None:
            meta["autothrottle_dont_adjust_delay"] = True  # the site file fixed the delay
        return meta

    def _count(self, site: str, what: str) -> None:
        self.crawler.stats.inc_value(f"news/{site}/{what}")
        self.crawler.stats.inc_value(f"news/{what}")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for site in self.sites.values():
            for section in site.sections:
                yield scrapy.Request(section.url, callback=self.parse_listing, errback=self.failed,
                                     meta=self._meta(site, section=section.name, listing_page=1))

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        site = self.sites[response.meta["site"]]
        section = response.meta.get("section")
        self._count(site.name, "pages")
        self._count(site.name, "listing_pages")
        if not hasattr(response, "css"):
            self._count(site.name, "skipped/not_html")
            return
        yield from self._article_requests(response, site, section)
        page = response.meta.get("listing_page", 1)
        if page < site.max_listing_pages:
            next_url = self._next_page(response)
            if next_url and same_site(next_url, site.allowed_domains):
                yield scrapy.Request(next_url, callback=self.parse_listing, errback=self.failed,
                                     meta=self._meta(site, section=section, listing_page=page + 1))
        elif self._next_page(response):
            self._count(site.name, "listing_depth_limit")

    def _next_page(self, response: Response) -> str | None:
        href = response.css('a[rel~="next"]::attr(href), link[rel~="next"]::attr(href)').get()
        if not href:
            for link in response.css("a[href]"):
                text = " ".join(link.css("::text").getall())
                target = link.attrib["href"]
                if NEXT_TEXT.match(text) and PAGINATION.search(target):
                    href = target
                    break
        return response.urljoin(href) if href else None

    def _article_requests(self, response: Response, site: SiteConfig, section: str | None) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            url = clean_url(response.urljoin(href))
            if not url.startswith(("http://", "https://")) or not same_site(url, site.allowed_domains):
                continue
            if not looks_like_article(url, site):
                continue
            key = canonical_url(url)
            if key in self._seen:
                continue
            self._seen.add(key)
            yield scrapy.Request(url, callback=self.parse_article, errback=self.failed,
                                 meta=self._meta(site, section=section))

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        site = response.meta["site"]
        self._count(site, "pages")
        self._count(site, "article_pages")
        yield ArticlePage(
            url=response.url,
            site=site,
            body=response.body,
            status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            fetched_at=utc_now(),
            section=response.meta.get("section"),
        )

    def failed(self, failure: Failure) -> None:
        """Count and log a request that produced no response; the crawl goes on."""
        request = failure.request
        site = request.meta.get("site", "?")
        if failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            self._count(site, "skipped/robots_txt")
            self.logger.debug("robots.txt forbids %s", request.url)
            return
        if failure.check(HttpError):
            self._count(site, f"http_{failure.value.response.status}")
        self._count(site, "errors")
        self.logger.warning("fetch failed: %s (%s)", request.url, failure.getErrorMessage() or failure.type.__name__)
