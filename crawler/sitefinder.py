"""``newsarchive add-site``: from a news site's address to a site file that crawls it.

Politely (robots.txt obeyed, one request at a time, the contact User-Agent, a bounded number of
requests) it reads robots.txt and the home page, finds the site's feeds, sitemaps and sections,
learns the shape of its article URLs, extracts a sample of articles through the project's
extraction, and writes ``settings/sites/<name>.toml``, checked by the site-file loader.
Listings, feeds and sitemaps are read as the news spider reads them (``crawler.discovery`` and the
spider's link helpers), so what is found here is what a crawl follows.
"""

from __future__ import annotations

import re
import time
import tomllib
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, available_timezones

from protego import Protego
from scrapy.http import HtmlResponse
from scrapy.utils.url import strip_url

from crawler.discovery import parse_feed, parse_sitemap, robots_sitemaps
from crawler.extraction import Article, NotAnArticle, extract
from crawler.settings import ARCHIVE_CONTACT, ARCHIVE_MAX_LINKS_PER_PAGE, contact_user_agent
from crawler.sites import LANGUAGE_TAG, NAME, SiteConfig, parse_site
from crawler.spiders.news import feed_links, listing_links, next_page, on_loopback
from crawler.urls import absolute_links, canonical_url, clean_url, url_shape
from crawler.workers import time_limit

USER_AGENT_TOKEN = "newsarchive"
DEFAULT_BUDGET = 60  # requests add-site may make to a site, robots.txt and the sample included
DEFAULT_DELAY = 1.0  # seconds between requests, unless robots.txt asks more (none on this machine)
MAX_BYTES = 10 * 1024 * 1024
SAMPLE_EXTRACT_SECONDS = 30.0  # as a crawl's ARCHIVE_EXTRACT_TIMEOUT
COMMON_FEEDS = ("feed.xml", "rss.xml", "feed/", "rss/", "atom.xml", "index.xml")
COMMON_SITEMAPS = ("sitemap.xml", "sitemap_index.xml", "sitemap-index.xml", "news-sitemap.xml", "sitemap-news.xml")
MAX_SECTION_CANDIDATES = 12
MAX_CHILD_SITEMAPS = 4
MIN_SECTION_ARTICLES = 3
# Navigation links that lead to the site's furniture, not to lists of stories.
NOT_A_SECTION = re.compile(r"/(about|contact|privacy|terms|imprint|impressum|datenschutz|kontakt|legal|cookies?|"
                           r"login|signin|signup|register|subscribe|account|newsletter|search|jobs|careers|"
                           r"advertise|help|faq)(\.html?|/|$)", re.IGNORECASE)
NAV = ("nav a::attr(href), header a::attr(href), [role=navigation] a::attr(href), "
       "[class*=menu] a::attr(href), [class*=nav] a::attr(href)")
# A language's usual zone, for offsets that several zones share (+02:00 in June: Berlin, Paris, Cairo...).
LANGUAGE_ZONES = {"de": "Europe/Berlin", "fr": "Europe/Paris", "es": "Europe/Madrid", "it": "Europe/Rome",
                  "nl": "Europe/Amsterdam", "pl": "Europe/Warsaw", "sv": "Europe/Stockholm", "da": "Europe/Copenhagen",
                  "nb": "Europe/Oslo", "no": "Europe/Oslo", "fi": "Europe/Helsinki", "pt": "Europe/Lisbon",
                  "ru": "Europe/Moscow", "uk": "Europe/Kyiv", "tr": "Europe/Istanbul", "ja": "Asia/Tokyo",
                  "ko": "Asia/Seoul", "zh": "Asia/Shanghai", "hi": "Asia/Kolkata", "ar": "Asia/Riyadh"}
COMMON_ZONES = ("Europe/London", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
                "Asia/Kolkata", "Europe/Berlin", "Europe/Moscow", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore",
                "Australia/Sydney", "America/Sao_Paulo", "Africa/Lagos", "Africa/Nairobi", "Asia/Dubai")


class AddSiteError(Exception):
    """add-site cannot make a site file for this site; the message says why. No file is written."""


@dataclass(frozen=True)
class Page:
    url: str  # where it was found, after redirects
    status: int
    body: bytes
    content_type: str
    moved_to: str | None = None  # a redirect off the site, not followed

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.body)

    def html(self) -> HtmlResponse:
        """The page as the news spider's callbacks get it: decoded by Scrapy from its Content-Type,
        a BOM or its ``<meta>``."""
        return HtmlResponse(self.url, status=self.status, body=self.body, headers={"Content-Type": self.content_type})


def _origin(url: str) -> str:
    """``scheme://host[:port]/`` of ``url``: where its robots.txt is, and what its rules are kept under."""
    return strip_url(url, origin_only=True)


class _KeepInScope(urllib.request.HTTPRedirectHandler):
    """urllib's redirects, except one out of the site's scope: that answer stays a 3xx."""

    def __init__(self, scope: Callable[[str], bool] | None) -> None:
        self.scope = scope

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if self.scope is not None and not self.scope(newurl):
            error = urllib.error.HTTPError(req.full_url, code, msg, headers, fp)
            error.moved_to = newurl
            raise error
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class PoliteFetcher:
    """One request at a time, robots.txt obeyed, at most ``budget`` requests, ``delay`` apart.

    ``get`` answers None for a URL robots.txt disallows (counted in ``disallowed``), outside
    ``scope`` (once set) or that cannot be fetched; once the budget is spent it answers None for
    everything (``spent`` says so). A redirect out of ``scope`` is not followed: its answer is the
    redirect's status (``Page.moved_to`` says where it led).
    """

    def __init__(self, user_agent: str, budget: int = DEFAULT_BUDGET, delay: float | None = None,
                 timeout: float = 20.0, log: Callable[[str], None] = lambda line: None) -> None:
        self.user_agent, self.budget, self.delay, self.timeout, self.log = user_agent, budget, delay, timeout, log
        self.requests = 0
        self.spent = False
        self.disallowed: list[str] = []
        self.scope: Callable[[str], bool] | None = None
        self._robots: dict[str, tuple[str, Protego] | None] = {}
        self._last = 0.0

    def robots(self, url: str) -> Protego | None:
        """The robots.txt rules of ``url``'s origin (None when it has none)."""
        found = self._robots_of(url)
        return found[1] if found else None

    def robots_txt(self, url: str) -> str:
        """The text of ``url``'s origin's robots.txt ("" when it has none)."""
        found = self._robots_of(url)
        return found[0] if found else ""

    def _robots_of(self, url: str) -> tuple[str, Protego] | None:
        origin = _origin(url)
        if origin not in self._robots:
            page = self._fetch(origin + "robots.txt")
            text = page.body.decode("utf-8", errors="replace") if page is not None and page.status == 200 else None
            self._robots[origin] = (text, Protego.parse(text)) if text is not None else None
        return self._robots[origin]

    def allowed(self, url: str) -> bool:
        rules = self.robots(url)
        return rules is None or rules.can_fetch(url, self.user_agent)

    def get(self, url: str) -> Page | None:
        if self.scope is not None and not self.scope(url):
            return None
        if not self.allowed(url):
            self.disallowed.append(url)
            return None
        return self._fetch(url)

    def _wait(self, url: str) -> None:
        delay = self.delay
        if delay is None:
            known = self._robots.get(_origin(url))  # robots.txt itself: none yet
            asked = known[1].crawl_delay(self.user_agent) if known else None
            delay = 0.0 if on_loopback(url) else max(DEFAULT_DELAY, float(asked or 0))
        pause = self._last + delay - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # politeness toward the site, not a test's wait

    def _fetch(self, url: str) -> Page | None:
        if self.requests >= self.budget:
            self.spent = True
            return None
        self._wait(url)
        self.requests += 1
        self.log(f"GET {url}")
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
        handlers = [_KeepInScope(self.scope)] + ([urllib.request.ProxyHandler({})] if on_loopback(url) else [])
        try:
            with urllib.request.build_opener(*handlers).open(request, timeout=self.timeout) as reply:
                return Page(reply.geturl(), reply.status, reply.read(MAX_BYTES), reply.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as error:
            error.close()  # its connection: an error's body is not read
            moved = getattr(error, "moved_to", None)
            return Page(url, error.code, b"", error.headers.get("Content-Type", "") if error.headers else "", moved)
        except (urllib.error.URLError, OSError, ValueError) as error:
            self.log(f"  failed: {getattr(error, 'reason', error)}")
            return None
        finally:
            self._last = time.monotonic()


@dataclass
class Source:
    """A feed or sitemap, or a section front, and the article links it gave."""

    kind: str  # "feed", "sitemap", "section"
    url: str
    name: str = ""
    links: list[str] = field(default_factory=list)
    paginated: bool = False


@dataclass
class Sampled:
    url: str
    article: Article | None
    rejected: str | None = None


@dataclass
class Findings:
    name: str
    base_url: str
    feeds: list[Source] = field(default_factory=list)
    sitemaps: list[Source] = field(default_factory=list)
    sections: list[Source] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # sources looked at and left out, with why
    article_urls: list[str] = field(default_factory=list)
    coverage: float = 0.0  # share of the article links found that the patterns match
    pattern_note: str = ""
    language: str | None = None
    timezone: str = "UTC"
    timezone_note: str = ""
    sample: list[Sampled] = field(default_factory=list)
    requests: int = 0
    budget_spent: bool = False

    @property
    def articles(self) -> list[str]:
        """Every article link found, once, in the order found (feeds, sitemaps, sections)."""
        seen: dict[str, str] = {}
        for source in (*self.feeds, *self.sitemaps, *self.sections):
            for url in source.links:
                seen.setdefault(canonical_url(url), url)
        return list(seen.values())


def site_name(url: str) -> str:
    """A site file name from an address: ``https://www.worldnews.example/de/`` -> ``worldnews-de``."""
    parts = urlsplit(url)
    host = (parts.hostname or "site").lower().removeprefix("www.")
    labels = host.split(".")
    stem = "-".join(labels) if re.fullmatch(r"[\d.]+", host) else (labels[-2] if len(labels) > 1 else labels[0])
    path = "-".join(p for p in parts.path.split("/") if p)
    name = re.sub(r"[^a-z0-9_-]+", "-", f"{stem}-{path}" if path else stem).strip("-")
    return name if NAME.match(name) else f"site-{name}".strip("-")


def _in_base(url: str, base_url: str, site: SiteConfig) -> bool:
    return site.in_scope(url) and urlsplit(url).path.startswith(urlsplit(base_url).path)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- article URL patterns ------------------------------------------------------------------------------

def _segment_kind(segment: str) -> str:
    return "number" if segment.isdigit() else "text"


def _signature(path: str) -> tuple:
    route, _, query = path.partition("?")
    segments = [s for s in route.split("/") if s]
    last = segments[-1] if segments else ""
    extension = last.rsplit(".", 1)[1].lower() if "." in last and not last.isdigit() else ""
    keys = tuple(sorted(k for k, _, _ in (p.partition("=") for p in query.split("&") if p)))
    return (len(segments), tuple(_segment_kind(s) for s in segments), extension, route.endswith("/"), keys)


def _pattern(paths: list[str]) -> str:
    """One regular expression for paths of one signature: numbers as digits, a text segment kept
    where every path has the same one, anything else one segment."""
    routes = [p.partition("?")[0] for p in paths]
    split = [[s for s in route.split("/") if s] for route in routes]
    count, kinds, extension, slash, keys = _signature(paths[0])
    parts = []
    for index in range(count):
        values = {segments[index] for segments in split}
        if kinds[index] == "number":
            lengths = {len(v) for v in values}
            parts.append(rf"\d{{{lengths.pop()}}}" if len(lengths) == 1 else r"\d+")
        elif len(values) == 1 and len(paths) >= 3:
            parts.append(re.escape(values.pop()))
        elif index == count - 1 and extension:
            parts.append(r"[^/]+\." + re.escape(extension))
        else:
            parts.append(r"[^/]+")
    pattern = "^/" + "/".join(parts) + ("/" if slash and count else "")
    if keys:
        pattern += r"\?" + "&".join(f"{re.escape(k)}=[^&]+" for k in keys)
    return pattern + "$"


def learn_patterns(articles: list[str], not_articles: list[str]) -> tuple[list[str], float, str]:
    """Regular expressions for the paths of ``articles`` that match none of ``not_articles``
    (listing, tag, author and navigation pages); the share of articles they match; a note."""
    if not articles:
        return [], 0.0, "no article links to learn from"
    groups: dict[tuple, list[str]] = {}
    for url in articles:
        groups.setdefault(_signature(_path(url)), []).append(_path(url))
    negatives = [_path(url) for url in not_articles]
    patterns, notes = [], []
    for paths in sorted(groups.values(), key=len, reverse=True):
        if len(paths) < max(2, len(articles) // 20):
            continue  # a stray link or two: the heuristic would have to decide them
        pattern = _pattern(paths)
        compiled = re.compile(pattern)
        clash = next((n for n in negatives if compiled.search(n)), None)
        if clash:
            notes.append(f"{pattern} left out: it matches {clash}, which is not an article")
            continue
        patterns.append(pattern)
    compiled_all = [re.compile(p) for p in patterns]
    matched = sum(1 for url in articles if any(p.search(_path(url)) for p in compiled_all))
    return patterns, matched / len(articles), "; ".join(notes)


# --- language and timezone -----------------------------------------------------------------------------

def _offset(raw: str | None) -> tuple[datetime, timedelta] | None:
    from dateutil import parser

    if not raw:
        return None
    try:
        parsed = parser.parse(raw, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed.replace(tzinfo=None), parsed.utcoffset()


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


def guess_timezone(raws: list[str | None], language: str | None) -> tuple[str, str]:
    """The IANA zone whose offsets, on the pages' own dates, are the offsets the pages print; the
    language's usual zone first, then common ones. ("UTC", why) when the dates carry no offset."""
    seen = [o for o in (_offset(raw) for raw in raws) if o is not None]
    if not seen:
        return "UTC", "the sampled pages gave no date with an offset"
    if all(offset == timedelta(0) for _, offset in seen):
        return "UTC", "the sampled pages' dates are in UTC"
    seen = [(when, offset) for when, offset in seen if offset]  # a date given in UTC ("Z") says nothing of the zone

    def fits(name: str) -> bool:
        zone = ZoneInfo(name)
        return all(zone.utcoffset(when) == offset for when, offset in seen)

    preferred = [LANGUAGE_ZONES[language]] if language in LANGUAGE_ZONES else []
    for name in (*preferred, *COMMON_ZONES, *_zones()):
        if fits(name):
            offsets = ", ".join(sorted({_hours(o) for _, o in seen}))
            return name, f"from the offsets of {len(seen)} sampled dates ({offsets})"
    return "UTC", "no zone has the offsets the pages print"


def _hours(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# --- discovery -----------------------------------------------------------------------------------------

def find_site(url: str, fetcher: PoliteFetcher, name: str | None = None, sample: int = 5) -> Findings:
    """What a site offers a crawler, found from its address; raises ``AddSiteError`` when robots.txt
    disallows newsarchive, the site cannot be reached, or no article can be found."""
    if not urlsplit(url).scheme:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddSiteError(f"{url!r} is not an http(s) address")
    base_url = urljoin(url, parts.path or "/")
    if not base_url.endswith("/"):
        base_url = base_url.rsplit("/", 1)[0] + "/"
    fetcher.scope = SiteConfig("site", base_url).in_scope  # nothing off the site is asked, redirects included
    fetcher.robots(base_url)
    if not fetcher.allowed(base_url):
        raise AddSiteError(f"robots.txt of {_origin(base_url).rstrip('/')} disallows {USER_AGENT_TOKEN} at "
                           f"{urlsplit(base_url).path}: the site does not want to be crawled; no site file written")
    home = fetcher.get(base_url)
    if home is not None and home.moved_to:
        raise AddSiteError(f"{base_url} redirects off the site, to {home.moved_to}: run add-site on that address; "
                           "no site file written")
    if home is None or home.status >= 400:
        why = f"HTTP {home.status}" if home is not None else "no answer"
        raise AddSiteError(f"cannot reach {base_url} ({why}); no site file written")
    if urlsplit(home.url)[:2] != urlsplit(base_url)[:2]:  # moved to https or to www.: the site is there now
        base_url = urljoin(home.url, urlsplit(base_url).path)
        fetcher.scope = SiteConfig("site", base_url).in_scope
    findings = Findings(name=name or site_name(base_url), base_url=base_url)
    scope = SiteConfig(name=findings.name, base_url=base_url)

    def in_base(link: str) -> bool:
        return _in_base(link, base_url, scope)

    page = home.html() if "html" in home.content_type or not home.content_type else None
    not_articles: set[str] = {base_url}
    _find_feeds(findings, fetcher, page, in_base)
    _find_sitemaps(findings, fetcher, in_base)
    candidates = _section_candidates(page, in_base) if page is not None else []
    not_articles.update(candidates)
    listings: list[tuple[Source, list[str]]] = []
    for candidate in candidates[:MAX_SECTION_CANDIDATES]:
        listing = fetcher.get(candidate)
        if listing is None or not listing.ok or "html" not in listing.content_type:
            continue
        response = listing.html()
        links = _listed(response)
        links = [link for link in links if in_base(link)]
        not_articles.update(link for link in links if url_shape(link) < 0)
        source = Source("section", candidate, _section_name(candidate, base_url), paginated=bool(next_page(response)))
        listings.append((source, links))
    if page is not None:  # the home page lists stories too, on sites without sections
        links = _listed(page)
        home_source = Source("section", base_url, "home", paginated=bool(next_page(page)))
        listings.append((home_source, [link for link in links if in_base(link)]))

    announced = [u for s in (*findings.feeds, *findings.sitemaps) for u in s.links]
    from_listings = [u for _, links in listings for u in links if url_shape(u) == 1 and u not in not_articles]
    # What robots.txt keeps newsarchive from is no article of the crawl's (a staff area, say).
    positives = list(dict.fromkeys(canonical_url(u) for u in (*announced, *from_listings) if fetcher.allowed(u)))
    if not positives:
        spent = (f"; the request budget ({fetcher.budget}) ran out: --max-requests looks further" if fetcher.spent
                 else "")
        raise AddSiteError(f"no article found on {base_url}: no feed, sitemap or section lists a link that looks like "
                           f"a story ({fetcher.requests} requests made{spent}); no site file written")
    known = set(positives)
    negatives = [u for u in dict.fromkeys(canonical_url(n) for n in not_articles) if u not in known]
    findings.article_urls, findings.coverage, findings.pattern_note = learn_patterns(positives, negatives)
    compiled = [re.compile(p) for p in findings.article_urls]

    def is_article(link: str) -> bool:
        return any(p.search(_path(link)) for p in compiled) if compiled else url_shape(link) == 1

    for source, links in listings:
        source.links = list(dict.fromkeys(link for link in links if is_article(link)))
        if source.name == "home" and (findings.sections or findings.feeds or findings.sitemaps):
            continue  # the home page repeats what the sources found
        if len(source.links) >= MIN_SECTION_ARTICLES:
            findings.sections.append(source)
        elif source.name != "home":
            findings.dropped.append(f"{source.url}: not a section ({len(source.links)} article links)")
    if not findings.articles:
        raise AddSiteError(f"no article found on {base_url}: the links found do not share a story's shape; "
                           "no site file written")
    _sample(findings, fetcher, sample)
    findings.requests, findings.budget_spent = fetcher.requests, fetcher.spent
    return findings


def _section_name(url: str, base_url: str) -> str:
    path = urlsplit(url).path.removeprefix(urlsplit(base_url).path).strip("/")
    return (path.rsplit("/", 1)[-1] or "home").lower()


def _listed(page: HtmlResponse) -> list[str]:
    """The links of a listing page (the first ones, as a crawl reads them), absolute and cleaned."""
    return [clean_url(url) for url in absolute_links(page.urljoin, listing_links(page, ARCHIVE_MAX_LINKS_PER_PAGE))[0]]


def _section_candidates(page: HtmlResponse, in_base: Callable[[str], bool]) -> list[str]:
    """The navigation's links that may lead to section fronts, in page order."""
    found = []
    for url in map(clean_url, absolute_links(page.urljoin, page.css(NAV).getall())[0]):
        if (in_base(url) and url_shape(url) < 1 and not NOT_A_SECTION.search(urlsplit(url).path)
                and urlsplit(url).path != urlsplit(page.url).path):
            found.append(url)
    return list(dict.fromkeys(found))


def _find_feeds(findings: Findings, fetcher: PoliteFetcher, page: HtmlResponse | None,
                in_base: Callable[[str], bool]) -> None:
    named = absolute_links(page.urljoin, feed_links(page))[0] if page is not None else []
    findings.feeds += _probe(findings, fetcher, "feed", named or _guesses(findings, COMMON_FEEDS), in_base,
                             lambda reply: [clean_url(e.url) for e in
                                            parse_feed(reply.body, ARCHIVE_MAX_LINKS_PER_PAGE).entries],
                             guessed=not named)


def _find_sitemaps(findings: Findings, fetcher: PoliteFetcher, in_base: Callable[[str], bool]) -> None:
    announced = robots_sitemaps(fetcher.robots_txt(findings.base_url))
    findings.sitemaps += _probe(findings, fetcher, "sitemap", announced or _guesses(findings, COMMON_SITEMAPS),
                                in_base, partial(_sitemap_links, fetcher), guessed=not announced)


def _guesses(findings: Findings, paths: Sequence[str]) -> list[str]:
    return [urljoin(findings.base_url, path) for path in paths]


def _probe(findings: Findings, fetcher: PoliteFetcher, kind: str, candidates: list[str],
           in_base: Callable[[str], bool], read: Callable[[Page], list[str]], *, guessed: bool) -> list[Source]:
    """The feeds (or sitemaps) among ``candidates`` that list articles of the site, with those
    links; of ``guessed`` ones (common paths, nothing named them) the first that does is enough
    (a sitemap index holds the rest). The others are noted in ``findings.dropped``."""
    scope, found = SiteConfig(findings.name, findings.base_url), []
    for url in dict.fromkeys(candidates):
        if not scope.in_scope(url):
            findings.dropped.append(f"{url}: a {kind} off the site (add its host to domains to read it)")
            continue
        reply = fetcher.get(url)
        if reply is None or not reply.ok:
            continue
        listed = read(reply)
        links = [u for u in listed if in_base(u) and url_shape(u) >= 0]
        if links:
            found.append(Source(kind, url, links=list(dict.fromkeys(links))))
            if guessed:
                break
        elif listed:
            findings.dropped.append(f"{url}: a {kind} of {len(listed)} links, none an article of {findings.base_url}")
    return found


def _sitemap_links(fetcher: PoliteFetcher, reply: Page) -> list[str]:
    """A sitemap's pages, or for an index those of its first children (the news sitemap first)."""
    sitemap = parse_sitemap(reply.body, ARCHIVE_MAX_LINKS_PER_PAGE)
    links = [clean_url(e.url) for e in sitemap.urls]
    children = sorted(sitemap.sitemaps, key=lambda e: "news" not in e.url)[:MAX_CHILD_SITEMAPS]
    for child in children:
        page = fetcher.get(child.url)
        if page is not None and page.ok:
            links += [clean_url(e.url) for e in parse_sitemap(page.body, ARCHIVE_MAX_LINKS_PER_PAGE).urls]
    return links


def _in_turn(lists: Sequence[Sequence[str]], count: int) -> list[str]:
    """Up to ``count`` URLs taken in turn from each of ``lists``: in its turn a list gives its next
    URL not taken yet (by canonical URL, as ``Findings.articles`` keeps each story once)."""
    chosen: dict[str, str] = {}  # canonical URL -> URL
    queues = [iter(urls) for urls in lists]
    while queues and len(chosen) < count:
        for queue in list(queues):
            for url in queue:
                if (key := canonical_url(url)) not in chosen:
                    chosen[key] = url
                    break
            else:
                queues.remove(queue)  # nothing new left in it
            if len(chosen) >= count:
                break
    return list(chosen.values())


def site_language(languages: list[str | None]) -> str | None:
    """The language most of a site's sampled articles are in, as a site file names it: the primary
    part of a language tag ("en" of "en-GB"; pages write "en_US" and "English" too, which is none)."""
    primaries = (language.replace("_", "-").split("-")[0].lower() for language in languages if language)
    counted = Counter(primary for primary in primaries if LANGUAGE_TAG.match(primary))
    return counted.most_common(1)[0][0] if counted else None


def _sample(findings: Findings, fetcher: PoliteFetcher, count: int) -> None:
    """Fetch and extract up to ``count`` articles, taken in turn from each source."""
    for url in _in_turn([s.links for s in (*findings.feeds, *findings.sitemaps, *findings.sections)], count):
        page = fetcher.get(url)
        if page is None or not page.ok:
            why = f"HTTP {page.status}" if page else ("the request budget ran out" if fetcher.spent else "not fetched")
            findings.sample.append(Sampled(url, None, why))
            continue
        try:
            with time_limit(SAMPLE_EXTRACT_SECONDS):  # a page that traps the extractor costs its sample only
                findings.sample.append(Sampled(url, extract(page.body, page.url, content_type=page.content_type)))
        except NotAnArticle as reason:
            findings.sample.append(Sampled(url, None, str(reason)))
        except Exception as error:  # an extractor's bug on one page: the sample goes on, as a crawl would
            findings.sample.append(Sampled(url, None, f"extraction failed: {error!r}"))
    articles = [s.article for s in findings.sample if s.article is not None]
    findings.language = site_language([a.language for a in articles])
    findings.timezone, findings.timezone_note = guess_timezone([a.published_raw for a in articles], findings.language)


# --- the site file -------------------------------------------------------------------------------------

def _toml_string(value: str) -> str:
    return "'" + value + "'" if "'" not in value and "\n" not in value else '"' + value.replace("\\", "\\\\").replace(
        '"', '\\"') + '"'


def site_file(findings: Findings) -> str:
    """The commented TOML of a site file for what was found."""
    base = findings.base_url
    lines = [
        f"# {findings.name}: written by `newsarchive add-site {base}`; tune it by hand (README: Adding a real site).",
        f"# Found with {findings.requests} requests. `newsarchive check-site {findings.name}` shows what it crawls.",
        f'name = "{findings.name}"',
        f'base_url = "{base}"',
        f'timezone = "{findings.timezone}"  # {findings.timezone_note}',
    ]
    if findings.language:
        lines.append(f'language = "{findings.language}"  # the sampled articles\' language')
    sources = []
    if findings.sections:
        sources.append("sections")
        lines.append("sections = [  # the navigation's section fronts that list stories (pagination followed)")
        for section in findings.sections:
            note = f"{len(section.links)} article links on page 1" + (", paginated" if section.paginated else "")
            lines.append(f'  {{ name = "{section.name}", url = "{section.url}" }},  # {note}')
        lines.append("]")
    if findings.feeds:
        sources.append("feeds")
        lines.append("feeds = [")
        lines += [f'  "{f.url}",  # {len(f.links)} articles' for f in findings.feeds]
        lines.append("]")
    if findings.sitemaps:
        sources.append("sitemaps")
        lines.append("sitemaps = [  # an index is followed to its sitemaps; robots.txt's Sitemap: lines are read too")
        lines += [f'  "{s.url}",  # {len(s.links)} articles (first sitemaps read)' for s in findings.sitemaps]
        lines.append("]")
    lines.append(f"sources = [{', '.join(chr(34) + s + chr(34) for s in sources)}]  # what was found")
    if findings.article_urls:
        lines.append(f"# Article URLs, learned from {len(findings.articles)} article links (they match "
                     f"{findings.coverage:.0%}); no listing, tag or author page matches them.")
        lines.append("article_urls = [" + ", ".join(_toml_string(p) for p in findings.article_urls) + "]")
    else:
        lines.append("# No article URL pattern learned: the URL-shape heuristic decides (add article_urls to be sure).")
    if findings.pattern_note:
        lines.append(f"# {findings.pattern_note}")
    lines += ["max_listing_pages = 5  # how deep each section's pagination is walked; raise it for a first deep crawl",
              'every = "1h"  # re-crawl interval']
    for dropped in findings.dropped:
        lines.append(f"# left out: {dropped}")
    return "\n".join(lines) + "\n"


def checked_site_file(findings: Findings, path: Path) -> str:
    """``site_file``, checked as ``newsarchive sites`` checks it (``SiteConfigError`` if it is not valid)."""
    text = site_file(findings)
    parse_site(tomllib.loads(text), path)
    return text


def default_fetcher(budget: int = DEFAULT_BUDGET, log: Callable[[str], None] = lambda line: None) -> PoliteFetcher:
    return PoliteFetcher(contact_user_agent(ARCHIVE_CONTACT), budget=budget, log=log)
