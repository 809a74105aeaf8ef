"""Where articles are announced: RSS and Atom feeds, sitemaps (index, plain, Google News) and the
``Sitemap:`` lines of robots.txt. Pure parsing of bytes; the spider decides what to fetch.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from .extraction import parse_date

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


@dataclass(frozen=True)
class Entry:
    """A URL a feed or sitemap announces, with the date it gives (raw), if any."""

    url: str
    date: str | None = None

    def older_than(self, since: datetime | None) -> bool:
        """Whether the entry's date is known and before ``since`` (an aware datetime)."""
        if since is None:
            return False
        when = self.modified()
        return when is not None and when < since

    def modified(self) -> datetime | None:
        """The entry's date (a sitemap's ``lastmod``, a feed item's), aware; None if it gives none that parses."""
        parsed = parse_date(self.date) if self.date else None
        return parsed.value if parsed is not None else None


@dataclass(frozen=True)
class Feed:
    entries: list[Entry]
    cut: int = 0  # entries past the limit: counted, not read


@dataclass(frozen=True)
class Sitemap:
    sitemaps: list[Entry]  # children of a sitemap index
    urls: list[Entry]  # pages of a urlset
    cut: int = 0  # children and pages past the limit: counted, not read


def _root(body: bytes) -> etree._Element | None:
    if body[:2] == b"\x1f\x8b":  # a .xml.gz served without Content-Encoding
        body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(MAX_XML_BYTES)
    if not body.strip():
        return None
    try:
        return etree.fromstring(body[:MAX_XML_BYTES], parser=_PARSER)
    except etree.XMLSyntaxError:
        return None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *names: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def _feed_entry(element: etree._Element, kind: str) -> Entry | None:
    if kind == "item":  # RSS
        url = _child_text(element, "link") or _child_text(element, "guid")
        date = _child_text(element, "pubdate", "date", "published", "updated")
    else:  # Atom
        links = [c for c in element if _local(c.tag) == "link" and c.get("href")]
        preferred = [c for c in links if c.get("rel", "alternate") == "alternate"] or links
        url = preferred[0].get("href") if preferred else None
        date = _child_text(element, "published", "updated")
    return Entry(url.strip(), date) if url and url.startswith(("http://", "https://")) else None


def parse_feed(body: bytes, limit: int | None = None) -> Feed:
    """Items of an RSS 2.0 / RSS 1.0 feed or entries of an Atom feed, the first ``limit`` of them
    (all when None); no entries for anything else."""
    root = _root(body)
    if root is None:
        return Feed([])
    entries, cut = [], 0
    for element in root.iter():
        kind = _local(element.tag)
        if kind not in ("item", "entry"):
            continue
        if limit is not None and len(entries) >= limit:
            cut += 1
        elif entry := _feed_entry(element, kind):
            entries.append(entry)
    return Feed(entries, cut)


def parse_sitemap(body: bytes, limit: int | None = None) -> Sitemap:
    """A sitemap index's children, or a urlset's pages with ``news:publication_date`` or ``lastmod``:
    the first ``limit`` of them (all when None)."""
    root = _root(body)
    if root is None:
        return Sitemap([], [])
    kind = _local(root.tag)
    children, urls, cut = [], [], 0
    for element in root:
        name = _local(element.tag)
        if limit is not None and len(children) + len(urls) >= limit:
            cut += name in ("sitemap", "url")
            continue
        loc = _child_text(element, "loc")
        if not loc:
            continue
        if kind == "sitemapindex" and name == "sitemap":
            children.append(Entry(loc, _child_text(element, "lastmod")))
        elif kind == "urlset" and name == "url":
            urls.append(Entry(loc, _child_text(element, "publication_date") or _child_text(element, "lastmod")))
    return Sitemap(children, urls, cut)


def robots_sitemaps(robots_txt: str) -> list[str]:
    """The ``Sitemap:`` URLs a robots.txt announces."""
    return [url for url in _ROBOTS_SITEMAP.findall(robots_txt) if url.startswith(("http://", "https://"))]
