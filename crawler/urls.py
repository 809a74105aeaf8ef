"""Canonical article URLs: one story, one key, however it was linked.

Tracking parameters, fragments, default ports, ``www.`` and letter case of the host are folded;
the order of the remaining query parameters is made stable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMETERS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|_ga|_gl|"
    r"ref|ref_src|ref_url|cmpid|ncid|ocid|sr_share|share|smid|spm|at_medium|at_campaign|"
    r"__twitter_impression|mkt_tok|s_kwcid|ito|itm_\w+|xtor|"
    # session ids: one page under a new URL per visit ("sid" is some sites' story id: kept)
    r"phpsessid|jsessionid|aspsessionid\w*|sessionid|session_id|oscsid|zenid|cfid|cftoken)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def _without_tracking(query: str) -> str:
    return urlencode(sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                            if not TRACKING_PARAMETERS.match(k)))


def absolute_link(join: Callable[[str], str], href: str) -> str | None:
    """``href`` made absolute by ``join`` (a response's ``urljoin``, which minds its ``<base>``);
    None for no URL that urllib can split ("http://[::1", "http://[zz]/"), which failed the whole
    listing, feed or page that held it."""
    try:
        return join(href)
    except ValueError:
        return None


def absolute_links(join: Callable[[str], str], hrefs: Iterable[str]) -> tuple[list[str], int]:
    """``hrefs`` made absolute (``absolute_link``), and how many were no URL: those are left out."""
    joined = [absolute_link(join, href) for href in hrefs]
    urls = [url for url in joined if url is not None]
    return urls, len(joined) - len(urls)


def clean_url(url: str) -> str:
    """The URL to fetch: tracking parameters and fragment gone, the host left as the site wrote it."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", _without_tracking(parts.query), ""))


def canonical_url(url: str) -> str:
    """The URL under which an article is stored: same page, same string (``www.``, case, port folded)."""
    parts = urlsplit(clean_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    try:
        port = parts.port
    except ValueError:  # a port out of range or no number: no URL to fold, kept as written
        return urlunsplit((scheme, parts.netloc.lower(), parts.path, parts.query, ""))
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def same_site(url: str, domains: tuple[str, ...]) -> bool:
    """Whether ``url`` is on one of ``domains`` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in domains)


# Path parts that mark listings, feeds, accounts, files and other pages that are not stories.
NOT_ARTICLE_PATH = re.compile(
    r"/(tag|tags|topic|topics|author|authors|category|categories|section|sections|search|page|"
    r"label|feed|rss|login|signup|subscribe|account|newsletter|about|contact|privacy|terms|"
    r"docs?|documentation|forums?|threads?|products?|shop|store|cart|help|support|pricing)(/|$|\.html?$)"
    r"|\.(pdf|jpe?g|png|gif|svg|webp|mp[34]|zip|xml|json|css|js|ico)$",
    re.IGNORECASE,
)
# The last part of a section's front page: a list of the stories, reviews or issues filed under it.
SECTION_FRONT = re.compile(r"/(news|blogs?|articles|stories|posts|latest|archives?|issues|reviews|testimonials|"
                           r"events|press|press-releases|updates)/?$", re.IGNORECASE)
DATE_IN_PATH = re.compile(r"/(19|20)\d{2}/\d{1,2}/")
PAGINATION = re.compile(r"(/page/\d+/?$|[?&](page|p|pg)=\d+)", re.IGNORECASE)
LONG_NUMBER = re.compile(r"\d{6,}")
PAGE_SCRIPT = re.compile(r"\.(php|html?|aspx?|jsp|do|cgi|cfm)$", re.IGNORECASE)  # "news_view.html", "article.php"
ITEM_ID = re.compile(r"\d{3,}")  # "?idx=123", "?newsid=6486285": the one item a page script shows


# Hosts that serve a project's documentation or a wiki: "docs.python.org", "requests.readthedocs.io"
# (not "developer." or "dev.": those serve blogs too) ...
DOCUMENTATION_HOST = re.compile(r"^(docs?|wiki)\.|\.(readthedocs\.(io|org)|gitbook\.io)$", re.IGNORECASE)
# ... and the sections that hold it on other hosts, or a release's pages: "/en/stable/", "/en/v2/".
DOCUMENTATION_PATH = re.compile(r"/(docs|documentation|man-pages)/|/[a-z]{2}(-[a-z]{2})?/(stable|latest|v\d+(\.\d+)*)/",
                                re.IGNORECASE)


def documentation_url(url: str) -> bool:
    """Whether ``url`` is in a site's documentation or a wiki: by its host's name, or by a section
    of its path ("/docs/", as the spider's listing filter also reads it)."""
    parts = urlsplit(url)
    return bool(DOCUMENTATION_HOST.search(parts.hostname or "") or DOCUMENTATION_PATH.search(parts.path))


def section_front(url: str) -> bool:
    """Whether ``url`` is a section's front page ("/news", "/blog/", "/why-us/testimonials"), by its
    path's last part: never one story, however many of its teasers' words a page shows."""
    return bool(SECTION_FRONT.search(urlsplit(url).path))


def url_shape(url: str) -> int:
    """How much a URL looks like a story's: -1 (a listing, file or service page), 0 (can't tell), 1.

    Stories have a date in the path, a slug of several words, a long numeric id, or a page script
    given one item's number ("/news_view.html?idx=123", "/?p=31228").
    """
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    query = parse_qsl(parts.query)
    numbered = (any(ITEM_ID.fullmatch(value) for _, value in query)
                and not URL_HINTS["forum"].search((parts.hostname or "") + parts.path))  # not "viewtopic.php?id="
    if parts.path in ("", "/") and numbered and len(query) == 1:
        return 1  # "/?p=31228": a post by its number (a page's number has fewer digits: "/?p=2")
    if (parts.path in ("", "/") or SECTION_FRONT.search(parts.path) or NOT_ARTICLE_PATH.search(parts.path)
            or PAGINATION.search(path)):
        return -1
    slug = parts.path.rstrip("/").rsplit("/", 1)[-1]
    slug_words = [w for w in re.split(r"[-_]", slug.rsplit(".", 1)[0]) if w]
    if (DATE_IN_PATH.search(parts.path) or len(slug_words) >= 4 or LONG_NUMBER.search(slug)
            or (numbered and PAGE_SCRIPT.search(slug))):  # (pagination returned above)
        return 1
    return 0


# What kind of site section a URL is in, when its host or path says so plainly.
URL_HINTS = {
    "docs": re.compile(r"(^|\.)(docs|developers?|support|help|learn|wiki|api)\.|/(docs?|documentation|api|reference|"
                       r"guides?|manual|kb|knowledge-?base|wiki|help|support|faq)(/|$)", re.IGNORECASE),
    "forum": re.compile(r"(^|\.)(forums?|community|discuss|answers|bbs)\.|viewtopic|showthread|"
                        r"/(forums?|community|discussions?|threads?|topic|t|questions?|r)/", re.IGNORECASE),
    "shop": re.compile(r"/(products?|shop|store|p|dp|item|buy|collections?|category|c)/", re.IGNORECASE),
}


def url_hints(url: str) -> set[str]:
    """The kinds of page (``docs``, ``forum``, ``shop``) that ``url``'s host or path points to."""
    parts = urlsplit(url)
    where = (parts.hostname or "") + parts.path
    return {kind for kind, pattern in URL_HINTS.items() if pattern.search(where)}
