"""One generic spider for every news site: it only decides what to fetch next.

``scrapy crawl news -a site=NAME`` (or several, comma-separated, or none for every site file).
Section fronts and their pagination lead to article pages; article pages go to the pipelines,
which extract and archive them.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import TCPTimedOutError
from twisted.internet.error import TimeoutError as DefTimeoutError
from twisted.python.failure import Failure

from archive.boilerplate import learn_boilerplate
from archive.db import open_archive
from archive.known import DiscoverySource, KnownArticle, KnownUrls
from archive.store import utc_now
from crawler.discovery import Entry, parse_feed, parse_sitemap, robots_sitemaps
from crawler.extraction import parse_since
from crawler.items import ArticlePage
from crawler.middlewares import BehindBotWall, BotWall, NotDue, Offsite, RedirectLoop, ask_conditionally
from crawler.recheck import DEFAULT_POLICY, RecheckPolicy
from crawler.settings import (
    ARCHIVE_LISTING_SAFETY_DEPTH,
    ARCHIVE_MAX_LINKS_PER_PAGE,
    contact_user_agent,
    listing_safety_depth,
)
from crawler.sites import SiteConfig, load_sites, origin, parse_sources
from crawler.stats import count_for_site
from crawler.urls import PAGINATION, absolute_link, absolute_links, canonical_url, clean_url, url_shape

NEW, LISTED = 1, 2  # what a crawl notes of a link: new to the archive; met on a listing page
# the links whose target may match PAGINATION ("/page/2", "?p=2"), the first few hundred of them
PAGE_LINKS = "(//a[@href[contains(., 'age') or contains(., 'AGE') or contains(., '=')]])[position() <= 500]"
NEXT_TEXT = re.compile(r"^\s*(next|older|more|›|»|→|next page|older posts|load more)\b", re.IGNORECASE)


def looks_like_article(url: str, site: SiteConfig, announced: bool = False) -> bool:
    """Whether ``url`` should be fetched as an article page of ``site``.

    The site's own patterns decide when it has them. Otherwise the URL's shape does: a link on a
    listing must look like a story; one a feed or sitemap ``announced`` only must not look like
    anything else.
    """
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if any(p.search(path) for p in site.exclude_urls):
        return False
    if site.article_urls:
        return any(p.search(path) for p in site.article_urls)
    return url_shape(url) >= (0 if announced else 1)


class ListedBy(NamedTuple):
    """Where an article link was listed, in its request's ``meta["listed_by"]``: a feed or a sitemap
    (by its URL), a section (by its name), or the archive (an article due for a re-check)."""

    kind: str  # "feed", "sitemap", "section" or "archive"
    name: str | None = None  # the feed's or sitemap's URL, the section's name

    @property
    def label(self) -> str:
        """As ``check-site`` names the source: "feed URL", "section NAME", "archive (due for a re-check)"."""
        return "archive (due for a re-check)" if self.kind == "archive" else f"{self.kind} {self.name}"

    @property
    def feed_or_sitemap(self) -> str | None:
        """The URL of the feed or sitemap that listed the link, if one did."""
        return self.name if self.kind in ("feed", "sitemap") else None


URL_LENGTH_LIMIT = 2083  # Scrapy's default URLLENGTH_LIMIT
# Sitemap indexes followed in a row below the sitemaps a site names (the protocol nests none; sites
# split by year, then by month, nest two)
MAX_SITEMAP_DEPTH = 3


class SpiderArgumentError(ValueError):
    """A spider argument (``-a``) that cannot be used: ``scrapy crawl`` says it in one line."""


def next_page(response: Response) -> str | None:
    """The URL of a listing page's next page (``rel="next"``, or a "Next"/"Older" link to a numbered
    page), if it has one."""
    href = response.css('a[rel~="next"]::attr(href), link[rel~="next"]::attr(href)').get()
    if not href:  # (only the links whose target may be a numbered page are looked at: a page of
        # 550,000 links took 6 s and 320 MB to look at every one's text)
        for link in response.xpath(PAGE_LINKS):
            text = " ".join(link.css("::text").getall())
            target = link.attrib["href"]
            if NEXT_TEXT.match(text) and PAGINATION.search(target):
                href = target
                break
    return absolute_link(response.urljoin, href) if href else None


def listing_links(response: Response, limit: int) -> list[str]:
    """The first ``limit`` link targets of a listing page, as written."""
    return response.xpath(f"(//a/@href)[position() <= {limit}]").getall()


def feed_links(response: Response) -> list[str]:
    """The feeds a page names in ``<link rel="alternate">``, as written."""
    return response.css('link[rel~="alternate"][type*="rss"]::attr(href), '
                        'link[rel~="alternate"][type*="atom"]::attr(href)').getall()


def on_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _asked(response: Response) -> str:
    """The URL a response was asked for, before any redirect: what a feed or sitemap is kept under."""
    return response.meta.get("redirect_urls", [response.url])[0]


def _validators(known: KnownArticle | DiscoverySource) -> dict[str, str]:
    """The conditional headers that ask for an archived article (or a feed, a sitemap) only if it
    changed since."""
    validators = (("If-None-Match", known.etag), ("If-Modified-Since", known.last_modified))
    return {name: value for name, value in validators if value}


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


class NewsSpider(scrapy.Spider):
    name = "news"
    reads_only = False  # a crawl writes the archive: it opens it for writing (brought up to date)

    def __init__(self, site: str | None = None, sites_dir: str | None = None, base_url: str | None = None,
                 sites: list[SiteConfig] | None = None, since: str | datetime | None = None,
                 sources: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            self.since = parse_since(since)
            self._only_sources = parse_sources(sources)
        except ValueError as error:
            raise SpiderArgumentError(str(error)) from None
        self._site_names = [s.strip() for s in (site or "").split(",") if s.strip()]
        self._sites_dir = sites_dir
        self._base_url = base_url
        self.sites: dict[str, SiteConfig] = {s.name: s for s in sites or []}
        self._configured = dict(self.sites)  # the sites as their files say, before anything learned
        self._seen: dict[str, int] = {}  # canonical URL -> NEW (to the archive) | LISTED (met on a listing page)
        self.known = KnownUrls(None)  # the archive's articles, looked up as links come (archive.known)
        self.sources: dict[str, dict[str, DiscoverySource]] = {}  # feeds and sitemaps as last read, per site
        # The feeds and sitemaps read in this crawl, by (site, URL): kept if it finishes.
        self._read: dict[tuple[str, str], DiscoverySource] = {}
        # ... and those of them not followed whole (a link cut, a fetch failed): asked again in full next time
        self._incomplete: set[tuple[str, str]] = set()  # (site, URL), as _read is keyed
        self._db_path: str | None = None
        self.safety_depth = ARCHIVE_LISTING_SAFETY_DEPTH
        self.learned: dict[str, tuple[str, ...]] = {}
        self.recheck = RecheckPolicy.parse(DEFAULT_POLICY)
        self._now = datetime.now(UTC)
        self.max_links = ARCHIVE_MAX_LINKS_PER_PAGE
        self.max_url_length = URL_LENGTH_LIMIT  # Scrapy's URLLENGTH_LIMIT: longer ones it drops uncounted
        self._cut_logged: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.sites:
            sites_dir = spider._sites_dir or crawler.settings.get("ARCHIVE_SITES_DIR")
            loaded = load_sites(spider._site_names, sites_dir)  # raises SiteConfigError: nothing crawled
            if spider._base_url:
                if len(loaded) != 1:
                    raise SpiderArgumentError("-a base_url=... needs exactly one site")
                loaded = [loaded[0].with_base_url(spider._base_url)]
            spider.sites = {s.name: s for s in loaded}
            spider._configured = dict(spider.sites)
        if not crawler.settings.frozen:  # frozen only for a crawler built by hand, as in tests
            spider._apply_site_settings(crawler.settings)
        spider.recheck = RecheckPolicy.parse(crawler.settings.get("ARCHIVE_RECHECK") or DEFAULT_POLICY)
        spider.max_links = crawler.settings.getint("ARCHIVE_MAX_LINKS_PER_PAGE", ARCHIVE_MAX_LINKS_PER_PAGE)
        spider.max_url_length = crawler.settings.getint("URLLENGTH_LIMIT", URL_LENGTH_LIMIT) or sys.maxsize
        try:
            spider.safety_depth = listing_safety_depth(crawler.settings.get("ARCHIVE_LISTING_SAFETY_DEPTH",
                                                                            ARCHIVE_LISTING_SAFETY_DEPTH))
        except ValueError as error:
            raise SpiderArgumentError(str(error)) from None
        spider.read_archive(crawler.settings.get("ARCHIVE_DB"), crawler.settings.getbool("ARCHIVE_LEARN_BOILERPLATE"))
        return spider

    def read_archive(self, db_path: str | None, learn: bool) -> None:
        """What the archive already holds, so a re-crawl fetches only what is new or due, conditionally;
        and (with ``learn``) each site's recurring furniture lines, which extraction then drops.

        The archive's articles are not read into memory: links are looked up in it as they come."""
        if not db_path or not Path(db_path).exists():
            return
        db = open_archive(db_path, read_only=self.reads_only)  # (a crawl brings the schema up to date)
        try:
            if learn:
                self.use_learned({name: learn_boilerplate(db, name, save=not self.reads_only) for name in self.sites})
        finally:
            db.close()
        self._db_path = db_path
        self.known = KnownUrls(db_path)
        self.sources = {name: self.known.sources(name) for name in self.sites}

    def sources_to_keep(self, reason: str) -> list[DiscoverySource]:
        """How each feed and sitemap answered, for the next crawl's conditional requests (the archive
        pipeline keeps them as it closes the crawl's runs): only after a crawl that finished and read
        every entry (no ``since``), as each entry they listed has then been followed. One not followed
        whole comes without validators and ``lastmod``: the next crawl reads it in full."""
        if reason != "finished" or self.since:
            return []
        stats = self.crawler.stats
        return [replace(source, etag=None, last_modified=None, lastmod=None)
                if key in self._incomplete else source for key, source in self._read.items()
                if not stats.get_value(f"news/{source.site}/stopped_at_bot_wall")]

    def closed(self, reason: str) -> None:
        """Let go of the archive's read connection; the spider writes nothing to the archive."""
        self.known.close()

    def use_learned(self, learned: dict[str, tuple[str, ...]]) -> None:
        """Drop each site's learned furniture lines too, on top of what its site file says."""
        before = self.learned
        self.learned = {name: lines for name, lines in learned.items() if name in self._configured}
        for name, site in self._configured.items():
            lines = self.learned.get(name, ())
            if lines != before.get(name, ()):
                self.logger.info("%s: dropping %d line(s) learned as the site's furniture", name, len(lines))
            self.sites[name] = replace(site, extraction=site.extraction.with_drop_lines(lines))

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
        contact = settings.get("ARCHIVE_CONTACT")
        # Said once, as the crawl starts; not for sites on this machine (the demo), with nobody to reach.
        if not contact and not all(on_loopback(site.base_url) for site in self.sites.values()):
            self.logger.warning("no contact in the User-Agent: set ARCHIVE_CONTACT (-s ARCHIVE_CONTACT=you@example.org)"
                                " or NEWSARCHIVE_CONTACT to an e-mail or URL, so that site operators can reach you")
        if settings.getpriority("USER_AGENT") <= SETTINGS_PRIORITIES["project"]:  # USER_AGENT not set itself
            settings.set("USER_AGENT", contact_user_agent(contact), priority="project")
        if len(self.sites) == 1:
            user_agent = next(iter(self.sites.values())).user_agent
            if user_agent:
                settings.set("USER_AGENT", user_agent, priority="spider")

    def _meta(self, site: SiteConfig, **extra: Any) -> dict[str, Any]:
        meta = {"site": site.name, "download_slot": site.name, **extra}
        if site.download_delay is not None:
            meta["autothrottle_dont_adjust_delay"] = True  # the site file fixed the delay
        return meta

    def _count(self, site: str, what: str, by: int = 1) -> None:
        count_for_site(self.crawler.stats, "news", site, what, by)

    def site_for(self, url: str) -> SiteConfig | None:
        """The crawled site whose scope holds ``url``, if any."""
        return next((site for site in self.sites.values() if site.in_scope(url)), None)

    def _site(self, response: Response) -> SiteConfig | None:
        """The site a response belongs to: the one its request was made for, or (for a request
        from outside the crawl, as ``scrapy parse URL`` makes) the one whose scope holds its URL."""
        if "site" in response.meta:
            return self.sites[response.meta["site"]]
        site = self.site_for(response.url)
        if site is None:
            self.logger.error("%s is on none of the sites crawled (%s): nothing to parse", response.url,
                              ", ".join(f"{s.name}: {s.scope}" for s in self.sites.values()))
        return site

    def _count_bad_urls(self, site: SiteConfig, malformed: int) -> None:
        if malformed:
            self._count(site.name, "skipped/bad_url", malformed)

    def _on_site(self, site: SiteConfig, url: str) -> bool:
        """Whether ``url`` is in the site's scope; a URL outside it is counted ``skipped/offsite``,
        one that is no URL ("http://[::1") ``skipped/bad_url``."""
        if site.in_scope(url):
            return True
        malformed = url.startswith(("http://", "https://")) and origin(url) is None
        self._count(site.name, "skipped/bad_url" if malformed else "skipped/offsite")
        return False

    def _cap(self, site: SiteConfig, response: Response, cut: int, what: str) -> None:
        """Count the links past ``ARCHIVE_MAX_LINKS_PER_PAGE`` that a page offered; warn once per site.
        A feed or sitemap so cut is not followed whole."""
        if not cut:
            return
        self._incomplete.add((site.name, _asked(response)))
        self._count(site.name, "cut/links", cut)
        if (site.name, what) not in self._cut_logged:
            self._cut_logged.add((site.name, what))
            self.logger.warning("%s: %s offers %d more links than ARCHIVE_MAX_LINKS_PER_PAGE (%d): the rest are "
                                "not followed (news/%s/cut/links; said once per site)", site.name, response.url,
                                cut, self.max_links, site.name)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for site in self.sites.values():
            sources = self._sources(site)
            if "sitemaps" in sources:
                # robots.txt announces sitemaps; the RobotsTxtMiddleware reads it too (cached).
                yield scrapy.Request(self._robots_txt(site), callback=self.parse_robots,
                                     errback=self.failed, meta=self._meta(site), priority=10)
                for url in site.sitemaps:
                    yield self._sitemap_request(site, url)
            if "feeds" in sources:
                for url in site.feeds:
                    yield self._feed_request(site, url)
            if "sections" in sources:
                for section in site.sections:
                    yield scrapy.Request(section.url, callback=self.parse_listing, errback=self.failed,
                                         meta=self._meta(site, section=section.name, listing_page=1,
                                                         max_pages=section.max_pages or site.max_listing_pages))
        for site in self.sites.values():
            for request in self._due_requests(site):
                yield request

    @staticmethod
    def _robots_txt(site: SiteConfig) -> str:
        return urljoin(site.base_url, "/robots.txt")

    def asks_for_robots_txt(self, url: str) -> bool:
        """Whether the crawl's start requests ask for the robots.txt at ``url``, for its ``Sitemap:``
        lines: the robots.txt middleware keeps the one it fetched for its rules for that request."""
        return any(url == self._robots_txt(site) for site in self.sites.values() if "sitemaps" in self._sources(site))

    def _due_requests(self, site: SiteConfig) -> Iterator[scrapy.Request]:
        """The archived articles of ``site`` due for a re-check, asked for conditionally: from the
        archive, not from the listing pages, which a re-crawl stops walking where nothing is new."""
        if not self.known:
            return
        for known in self.known.due(site.name, self._due, self.recheck.windows(self._now)):
            if known.url in self._seen or (self.since and (_when(known.published_at) or self._now) < self.since):
                continue
            self._seen[known.url] = 0
            self._count(site.name, "due_from_archive")  # ``known.due`` checked it is due: only its validators here
            yield self._request(site, known.url, None, _validators(known), ListedBy("archive"))

    def _sources(self, site: SiteConfig) -> set[str]:
        return set(site.sources) & (self._only_sources or set(site.sources))

    def _feed_request(self, site: SiteConfig, url: str, section: str | None = None) -> scrapy.Request:
        return self._source_request(site, url, "feed", self.parse_feed, section=section)

    def _sitemap_request(self, site: SiteConfig, url: str, parent: str | None = None,
                         lastmod: str | None = None, depth: int = 0) -> scrapy.Request:
        """``depth``: how many sitemap indexes lead to it (0: named by the site file or robots.txt)."""
        return self._source_request(site, url, "sitemap", self.parse_sitemap, parent=parent, lastmod=lastmod,
                                    sitemap_depth=depth)

    def _child_sitemaps(self, site: SiteConfig, response: Response, children: int) -> int | None:
        """The depth of the sitemaps an index lists, or None past ``MAX_SITEMAP_DEPTH`` indexes in a
        row (the protocol nests none; an index that lists a new index forever was followed forever):
        its ``children`` are counted ``sitemap_depth_limit``."""
        depth = response.meta.get("sitemap_depth", 0) + 1
        if depth <= MAX_SITEMAP_DEPTH:
            return depth
        if children:
            self._count(site.name, "sitemap_depth_limit", children)
        return None

    def _source_request(self, site: SiteConfig, url: str, kind: str, callback: Any, **extra: Any) -> scrapy.Request:
        """A feed or sitemap request; asked conditionally when the last crawl kept its validators."""
        request = scrapy.Request(url, callback=callback, errback=self.failed, priority=5,
                                 meta=self._meta(site, source=kind, **extra))
        known = self.sources.get(site.name, {}).get(url)
        if known is not None and (validators := _validators(known)):
            request.headers.update(validators)
            request.meta["handle_httpstatus_list"] = [304]
        return request

    def _source_read(self, site: SiteConfig, response: Response) -> bool:
        """Note how a feed or sitemap answered (kept if the crawl finishes); whether it was a 304."""
        url = _asked(response)
        kind = response.meta.get("source", "feed")
        if response.status == 304:
            self._count(site.name, f"not_modified/{kind}s")
            known = self.sources.get(site.name, {}).get(url)
            if known is not None:
                self._read[site.name, url] = replace(known, fetched_at=utc_now())
            return True
        header = response.headers.get
        self._read[site.name, url] = DiscoverySource(
            url=url, site=site.name, kind=kind, parent=response.meta.get("parent"),
            etag=(header("ETag") or b"").decode("latin-1") or None,
            last_modified=(header("Last-Modified") or b"").decode("latin-1") or None,
            lastmod=response.meta.get("lastmod"), fetched_at=utc_now())
        return False

    def _unchanged_sitemap(self, site: SiteConfig, child: Entry) -> bool:
        """Whether a sitemap index's child has not changed since it was read: its ``lastmod`` is no
        later than the one the index gave it then. A child not read before, or without a ``lastmod``,
        is asked for (conditionally)."""
        known = self.sources.get(site.name, {}).get(child.url)
        if known is None or (when := child.modified()) is None:
            return False
        before = Entry(child.url, known.lastmod).modified()
        return before is not None and when <= before

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Scrapy's default callback, for a page the crawl did not ask for (``scrapy parse
        --spider=news URL``): read as what it is, robots.txt, a sitemap, a feed, an article page
        (by the site's article URLs) or a listing."""
        if (site := self._site(response)) is None:
            return
        head = response.body[:1024].lstrip().lower()
        if urlsplit(response.url).path == "/robots.txt":
            yield from self.parse_robots(response)
        elif b"<urlset" in head or b"<sitemapindex" in head:
            yield from self.parse_sitemap(response)
        elif b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
            yield from self.parse_feed(response)
        elif looks_like_article(response.url, site):
            yield from self.parse_article(response)
        else:
            yield from self.parse_listing(response)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        if (site := self._site(response)) is None:
            return
        for url in robots_sitemaps(response.text if hasattr(response, "text") else ""):
            if self._on_site(site, url):
                yield self._sitemap_request(site, url)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if (site := self._site(response)) is None:
            return
        self._count(site.name, "sitemaps")
        if self._source_read(site, response):
            yield from self._children_of_unchanged(site, response)
            return
        sitemap = parse_sitemap(response.body, self.max_links)
        self._cap(site, response, sitemap.cut, "sitemap")
        depth = self._child_sitemaps(site, response, len(sitemap.sitemaps))
        for child in sitemap.sitemaps if depth is not None else ():
            if child.older_than(self.since):
                self._count(site.name, "skipped/older_than_since")
            elif self._unchanged_sitemap(site, child):
                self._count(site.name, "skipped/sitemap_unchanged")
            elif self._on_site(site, child.url):
                yield self._sitemap_request(site, child.url, parent=_asked(response), lastmod=child.date,
                                            depth=depth)
        yield from self._entry_requests(site, sitemap.urls, None, ListedBy("sitemap", _asked(response)))

    def _children_of_unchanged(self, site: SiteConfig, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap index that answered 304 lists the children it listed before, with the same
        ``lastmod``: those that had one are unchanged; the others are asked for, conditionally."""
        index = _asked(response)
        children = [child for child in self.sources.get(site.name, {}).values() if child.parent == index]
        if (depth := self._child_sitemaps(site, response, len(children))) is None:
            return
        for child in children:
            if child.lastmod:
                self._count(site.name, "skipped/sitemap_unchanged")
            elif self._on_site(site, child.url):
                yield self._sitemap_request(site, child.url, parent=index, depth=depth)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if (site := self._site(response)) is None:
            return
        self._count(site.name, "feeds")
        if self._source_read(site, response):
            return
        feed = parse_feed(response.body, self.max_links)
        self._cap(site, response, feed.cut, "feed")
        if not feed.entries:
            self._count(site.name, "skipped/empty_or_broken_feed")
        yield from self._entry_requests(site, feed.entries, response.meta.get("section"),
                                        ListedBy("feed", _asked(response)))

    def _entry_requests(self, site: SiteConfig, entries: list[Entry], section: str | None,
                        listed_by: ListedBy) -> Iterator[scrapy.Request]:
        urls = []
        for entry in entries:
            if entry.older_than(self.since):
                self._count(site.name, "skipped/older_than_since")
            else:
                urls.append(entry.url)
        # Feeds and sitemaps list articles: only the site's own patterns (if any) filter them.
        yield from self._article_requests(site, urls, section, listed_by, trust_source=True)[0]

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if (site := self._site(response)) is None:
            return
        section = response.meta.get("section")
        self._count(site.name, "pages")
        self._count(site.name, "listing_pages")
        if not hasattr(response, "css"):
            self._count(site.name, "skipped/not_html")
            return
        if "feeds" in self._sources(site):
            feeds, malformed = absolute_links(response.urljoin, feed_links(response))
            self._count_bad_urls(site, malformed)
            for feed in feeds:
                if self._on_site(site, feed):
                    yield self._feed_request(site, feed, section)
        # Only the first links are read: a page with a million of them costs no more than one with a few thousand.
        links = listing_links(response, self.max_links)
        if len(links) == self.max_links:
            self._cap(site, response, int(float(response.xpath("count(//a/@href)").get())) - self.max_links,
                      "listing")
        urls, malformed = absolute_links(response.urljoin, links)
        self._count_bad_urls(site, malformed)
        requests, fresh = self._article_requests(site, urls, section, ListedBy("section", section), listing=True)
        yield from requests
        page = response.meta.get("listing_page", 1)
        # Listings run newest first: past a page with no story new to the archive (and
        # ARCHIVE_LISTING_SAFETY_DEPTH more such pages), the older pages hold only what the archive has;
        # those due for a re-check are asked for from the archive (_due_requests).
        quiet = 0 if fresh else response.meta.get("quiet_pages", 0) + 1
        next_url = next_page(response)
        max_pages = response.meta.get("max_pages", site.max_listing_pages)
        if next_url and quiet > self.safety_depth:
            self._count(site.name, "listing_stopped/nothing_new")
        elif next_url and page < max_pages:
            if self._on_site(site, next_url):
                yield scrapy.Request(next_url, callback=self.parse_listing, errback=self.failed,
                                     meta=self._meta(site, section=section, listing_page=page + 1,
                                                     max_pages=max_pages, quiet_pages=quiet))
        elif next_url:
            self._count(site.name, "listing_depth_limit")

    def _article_requests(self, site: SiteConfig, urls: list[str], section: str | None, listed_by: ListedBy,
                          trust_source: bool = False, listing: bool = False) -> tuple[list[scrapy.Request], int]:
        """Requests for the article URLs among ``urls`` that are new to the archive or due for a
        re-check and not yet asked for in this crawl; and how many article URLs were new to the
        archive and (on a ``listing`` page) on no listing page before: a story a feed announced
        counts, the links every page of a site repeats (most read, editors' picks) count once.

        Known links leave here, before a request is built: the URLs of one page are looked up in
        the archive together (``KnownUrls.lookup``), in one indexed query. ``listed_by`` (the listing,
        feed or sitemap that gave the links) rides along in each request's meta; the links passed
        over are told to ``passed_over``."""
        candidates: dict[str, str] = {}  # canonical URL -> URL, in the page's order
        for url in urls:
            if not url.startswith(("http://", "https://")):
                continue
            try:
                url = clean_url(url)
            except ValueError:  # no URL urllib can split ("http://[::1"): the others go on
                self._count(site.name, "skipped/bad_url")
                continue
            if len(url) > self.max_url_length:  # (its request Scrapy would drop, counted for no site)
                self._count(site.name, "skipped/url_too_long")
                continue
            if not looks_like_article(url, site, announced=trust_source):
                self.passed_over(site, url, listed_by, "not an article URL")
                continue
            if not self._on_site(site, url):
                continue
            key = canonical_url(url)
            if key in candidates or key in self._seen:
                self._count(site.name, "duplicate_links")
                self.passed_over(site, url, listed_by, "found before")
            candidates.setdefault(key, url)
        known = self.known.lookup(site.name, [key for key in candidates if key not in self._seen])
        requests, fresh = [], 0
        for key, url in candidates.items():
            if key in self._seen:
                fresh += self._seen[key] == NEW and listing
                self._seen[key] |= LISTED if listing else 0
                continue
            headers = self.conditional_headers(known[key]) if key in known else {}
            self._seen[key] = (0 if key in known else NEW) | (LISTED if listing else 0)
            if headers is None:
                self._count(site.name, "skipped/not_due")
                self.passed_over(site, url, listed_by, "archived, not due for a re-check")
                continue
            fresh += key not in known
            requests.append(self._request(site, url, section, headers, listed_by))
        return requests, fresh

    def passed_over(self, site: SiteConfig, url: str, listed_by: ListedBy, reason: str) -> None:
        """A link not fetched as an article: it does not look like one, was found before, or is
        archived and not due (``check-site`` lists them)."""

    def _request(self, site: SiteConfig, url: str, section: str | None, headers: dict[str, str],
                 listed_by: ListedBy) -> scrapy.Request:
        """An article request; ``headers``: the conditional ones of an archived article being re-checked."""
        meta = self._meta(site, section=section, article=True, recheck_checked=url, listed_by=listed_by)
        if site.download_timeout:
            meta["download_timeout"] = site.download_timeout
        if site.max_page_bytes:
            meta["download_maxsize"] = site.max_page_bytes
        request = scrapy.Request(url, callback=self.parse_article, errback=self.failed, meta=meta)
        if headers:
            ask_conditionally(request, headers, self.crawler.stats)
        return request

    def _due(self, known: KnownArticle) -> bool:
        return self.recheck.due(_when(known.published_at), _when(known.last_fetched_at), self._now)

    def conditional_headers(self, known: KnownArticle) -> dict[str, str] | None:
        """``None`` if the archived article is not due for a re-check, else the conditional headers to send."""
        return _validators(known) if self._due(known) else None

    def recheck_headers(self, site: str, url: str) -> dict[str, str] | None:
        """For an article request: ``None`` if the archive has it and it is not due for a re-check,
        else the conditional headers to send (none for an article the archive does not have)."""
        known = self.known.get(site, canonical_url(url))
        return {} if known is None else self.conditional_headers(known)

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        if (config := self._site(response)) is None:
            return
        site = config.name
        self._count(site, "pages")
        if response.status == 304:
            self._count(site, "not_modified")
            yield ArticlePage(url=canonical_url(response.url), site=site, body=b"", status=304, fetched_at=utc_now())
            return
        self._count(site, "article_pages")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if not isinstance(response, TextResponse) or not ("html" in content_type or not content_type):
            self._count(site, "skipped/not_html")
            self.logger.info("not HTML (%s): %s", content_type or type(response).__name__, response.url)
            return
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
        message = failure.getErrorMessage() or failure.type.__name__
        if failure.check(NotDue):
            self._count(site, "skipped/not_due")
            return
        if failure.check(BotWall, Offsite):  # counted (and said) by their middlewares
            return
        if failure.check(BehindBotWall):
            self._count(site, "skipped/behind_bot_wall")
            return
        if failure.check(IgnoreRequest) and "robots.txt" in message:
            self._count(site, "skipped/robots_txt")
            self.logger.debug("robots.txt forbids %s", request.url)
            return
        # The feed or sitemap that listed what failed (an article, a child sitemap) was not followed whole.
        listed_by = request.meta.get("listed_by")
        self._incomplete.update((site, url) for url in (listed_by and listed_by.feed_or_sitemap,
                                                        request.meta.get("parent")) if url)
        if failure.check(HttpError):
            self._count(site, f"errors/http_{failure.value.response.status}")
        elif failure.check(TimeoutError, DefTimeoutError, TCPTimedOutError, DownloadTimeoutError):
            self._count(site, "errors/timeout")
        elif failure.check(RedirectLoop) or "max redirections" in message:
            self._count(site, "errors/redirect_loop")
        elif failure.check(DownloadCancelledError, CancelledError) or "DOWNLOAD_MAXSIZE" in message:
            # Scrapy cancels a body that outgrows the limit, and ignores one that decompresses past it.
            self._count(site, "errors/too_large")
        else:
            self._count(site, f"errors/{failure.type.__name__}")
        self._count(site, "errors")
        self.logger.warning("fetch failed: %s (%s)", request.url, message)
