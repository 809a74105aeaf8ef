"""Structured metadata that publishers put in their pages: JSON-LD, OpenGraph, ``article:*`` and
other meta tags, microdata and ``rel`` links; and, for templates that mark nothing, the byline
and date they print under the headline.

These are usually more reliable than heuristics on visible text, so extraction prefers them.
Its XPaths live here, compiled once (the page-type signals have theirs in pagetype.py).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from .dates import publication_date_in
from .words import (
    AGENCIES,
    BUTTONS,
    BYLINE_LABELS,
    CONJUNCTIONS,
    NETWORKS,
    PHOTO_LABELS,
    TITLES_AFTER_NAME,
    alternation,
    every,
)

ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
    "scholarlyarticle", "techarticle", "report", "posting", "socialmediaposting",
}

NON_ARTICLE_OG_TYPES = {"website", "profile", "book", "product", "music.song", "video.other"}

_JSON_LD = etree.XPath('//script[contains(translate(@type, "JSONLD", "jsonld"), "ld+json")]/text()')
_META = etree.XPath("//meta[@content]")
# Attributes first ("//@itemprop/.." rather than "//*[@itemprop]"): libxml2 walks the attribute axis
# faster than it tests a predicate on every element, and the nodes found are the same, in page order.
_ITEMPROP = etree.XPath("//@itemprop/..")
_ITEMTYPES = etree.XPath("//@itemtype")
_ELSEWHERE = etree.XPath(  # in a comment, a sidebar or a box of other stories
    'ancestor::*[@class[contains(., "comment") or contains(., "related") or contains(., "sidebar")'
    ' or contains(., "widget") or contains(., "teaser") or contains(., "recommend")]]')
_IN_MENU = etree.XPath(  # in the site's navigation: "By Industry", "By Event Type" head its menus
    'ancestor::*[self::nav or @role="menu" or @role="navigation" or @class[contains(., "sub-menu")'
    ' or contains(., "dropdown-menu") or contains(., "nav-menu") or contains(., "mega-menu")]]')
_REL_LINKS = etree.XPath("//a[@rel][@href]")
_PROFILE_LINKS = etree.XPath("//body//a[contains(@href, '/author') or contains(@href, '/people/')"
                             " or contains(@href, '/staff/') or contains(@href, '/contributor')"
                             " or contains(@href, '/writer') or contains(@href, '/expert')]")
# An author's page on the site: /author/jane-roe, /authors/jane-roe/, /people/jane-roe...
_PROFILE_PATH = re.compile(r"/(?:authors?|people|staff|contributors?|writers?|experts?)/[^/?#]+/?(?:[?#].*)?$",
                           re.IGNORECASE)
_LISTED_BY = r"(?:(?:view|see|read) )?(?:all |more )?(?:posts|articles|stories) by"  # "View all posts by"
_PROFILE_PREFIX = re.compile(rf"^{_LISTED_BY}\s+", re.IGNORECASE)
PROFILE_CANDIDATES = 3
_GROUP_WORDS = frozenset("our the all meet faculty people staff team authors writers contributors experts alumni"
                         .split())
WORD = re.compile(r"\w+")  # a word, as titles and names are compared
# Elements that templates mark as the byline (not a commenter's: comments carry "author" classes too).
# An XPath predicate: the element is no reader's comment, nor inside one.
NOT_IN_COMMENTS = '[not(ancestor-or-self::*[contains(@class, "comment") or contains(@id, "comment")])]'
_BYLINE_ELEMENTS = etree.XPath(  # class "author", "Author", "byline", "Byline"..., not in comments nor buttons
    '(//body//*/@class[contains(., "uthor") or contains(., "yline")]/.. | //body//*/@id[contains(., "author")]/..)'
    + NOT_IN_COMMENTS + '[not(ancestor-or-self::button or ancestor-or-self::*[@role="button"]'
    ' or ancestor-or-self::*[contains(translate(@style, " ", ""), "display:none")])]')
_AFTER_HEADLINE = etree.XPath("following::*[position() <= 60]")  # of the headline, the page's first <h1>
# The few elements just above the headline, nearest first: a kicker date ("January 23, 2025" over
# the <h1>). Only these few: a site's top bar prints today's date further up.
_BEFORE_HEADLINE = etree.XPath("preceding::*[position() <= 4]")
_BYLINE_LABEL = re.compile(rf"^({alternation(BYLINE_LABELS['en'])})\s*:?\s*(?P<rest>.*)$",
                           re.IGNORECASE)
# The same in other languages ("Von Anna Schmidt", "Par Jean Dupont"), before a capitalised name
# only ("Von der Leyen sagt ..." is a sentence); two-letter labels ("di", "av") start names and
# sentences too often to tell.
_OTHER_LABELS = alternation(w for w in every(BYLINE_LABELS) - every({"en": BYLINE_LABELS["en"]}) if len(w) >= 3)
_OTHER_BYLINE_LABEL = re.compile(rf"^(?:{_OTHER_LABELS})\s*:?\s+(?P<rest>\w.*)$", re.IGNORECASE)
_ANY_LABEL = alternation(every(BYLINE_LABELS))
_LABELS = rf"(?:{_ANY_LABEL})(?:\s*/\s*(?:{_ANY_LABEL}))*"  # "Author", "Autorin/Autor" (each gender's word)

BYLINE_ELEMENT_WORDS = 12  # an element with more words is prose, not a byline
BYLINE_CANDIDATES = 5
_TIMES = etree.XPath("//time[@datetime]")
_CANONICAL = etree.XPath('//link[@rel="canonical"]/@href')
_HTML_LANG = etree.XPath("/html/@lang")
_HEADLINE_LINKS = etree.XPath("//h2//a[@href] | //h3//a[@href]")
_H1 = etree.XPath("//h1")
_COPYRIGHT_TEXTS = etree.XPath("//footer//text()[contains(., '\u00a9') or contains(., 'opyright')]")
# "© 2025 Toby Hede. All rights reserved.": whose the site is
_COPYRIGHT = re.compile(r"(?i:\u00a9|\(c\)|copyright)\s*(?:\d{4}\s*(?:[-\u2013]\s*\d{4})?)?\s*(?i:by\s+)?"
                        r"(?P<holder>[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){1,3})")
# The document's title, wherever the parser put it (a script before <html> moves the head into the
# body, where a browser still finds it); an <svg>'s title is a tooltip.
_TITLE = etree.XPath("(//title[not(ancestor::svg)])[1]/text()")

# meta name/property -> field; earlier keys in a field's list are preferred.
_META_FIELDS = {
    "og:title": "title", "twitter:title": "title",
    "og:description": "description", "description": "description", "twitter:description": "description",
    "og:type": "og_type", "og:site_name": "site_name", "generator": "generator",
    "og:image": "image", "twitter:image": "image",
    "article:published_time": "published", "og:published_time": "published",
    "datepublished": "published", "pubdate": "published", "publishdate": "published",
    "publish-date": "published", "publish_date": "published", "date": "published",
    "dc.date.issued": "published", "dc.date": "published", "parsely-pub-date": "published",
    "sailthru.date": "published", "article.published": "published", "dcterms.created": "published",
    "article:modified_time": "modified", "og:updated_time": "modified", "datemodified": "modified",
    "last-modified": "modified", "dcterms.modified": "modified",
    "author": "authors", "article:author": "authors", "dc.creator": "authors",
    "parsely-author": "authors", "sailthru.author": "authors", "byl": "authors",
    "citation_author": "scholarly_authors", "citation_title": "title",
    "citation_publication_date": "published", "citation_date": "published",
    "article:tag": "tags", "news_keywords": "keywords", "parsely-tags": "keywords",
    "article:section": "categories", "og:locale": "locale", "content-language": "language",
}


@dataclass
class PageMetadata:
    """Candidates for each field, most reliable first; extraction picks among them."""

    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # JSON-LD and meta tags
    microdata_authors: list[str] = field(default_factory=list)
    link_authors: list[str] = field(default_factory=list)  # rel=author: often other stories' bylines too
    profile_authors: list[str] = field(default_factory=list)  # texts of links to an author's page on the site
    byline_authors: list[str] = field(default_factory=list)  # short texts of elements classed as bylines
    organisation_authors: list[str] = field(default_factory=list)  # JSON-LD authors typed as organisations
    publishers: list[str] = field(default_factory=list)  # JSON-LD publishers typed as organisations
    labelled_byline: str | None = None  # "By" + a name, in plain markup just after the headline
    written_by: list[str] = field(default_factory=list)  # "Written by Name" / "By Name" boxes, anywhere
    field_authors: list[str] = field(default_factory=list)  # a labelled field anywhere: "<b>Autor</b> Name"
    visible_dates: list[str] = field(default_factory=list)  # a date printed just after the headline
    dateline: str | None = None  # the short text that prints it: "Aaron Ricadela | Senior Writer | July 2, 2025"
    published: list[str] = field(default_factory=list)
    published_times: list[str] = field(default_factory=list)  # <time datetime>: may be a teaser's
    modified: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    site_name: str | None = None
    og_type: str | None = None
    generator: str | None = None  # <meta name="generator">: the software that made the page, lowercased
    language: str | None = None
    canonical: str | None = None
    schema_types: set[str] = field(default_factory=set)
    h1s: list[str] = field(default_factory=list)  # every <h1>'s text, in page order
    article_body: str | None = None  # the story's whole text as its JSON-LD declares it (``articleBody``)
    html_title: str | None = None
    headline_links: int = 0
    copyright_holders: list[str] = field(default_factory=list)  # "© 2025 Toby Hede": the site's owner

    @property
    def publisher_names(self) -> tuple[str, ...]:
        """What the page calls its publisher: its site name, its structured data's publishers and
        the holder of its copyright ("© 2023 Condé Nast"); and ``credited_by_address``."""
        return (*self._declared_publishers, *self.credited_by_address)

    @property
    def _declared_publishers(self) -> tuple[str, ...]:
        return tuple(name for name in (self.site_name, *self.publishers, *self.copyright_holders) if name)

    @property
    def credited_by_address(self) -> tuple[str, ...]:
        """Authors credited with the address of the site or its publisher, without it: "Deutsche
        Welle (www.dw.com)" on DW.COM is the publisher."""
        forms = _publisher_forms(self._declared_publishers)
        return tuple(_WEB_ASIDE.sub("", author) for author in (*self.authors, *self.organisation_authors)
                     if (aside := _WEB_ASIDE.search(author)) and _host(aside[0]) in forms)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return None


JSON_LD_DEPTH = 4  # lists in lists a value is read through: deeper is no credit (and would exhaust the stack)


def _names(value: Any, organisations: bool = False, depth: int = 0) -> list[str]:
    """Names from a JSON-LD ``author`` value of any common shape: people's, or with
    ``organisations`` the names of organisations credited as authors."""
    if isinstance(value, list):
        if depth >= JSON_LD_DEPTH:
            return []
        return [name for item in value for name in _names(item, organisations, depth + 1)]
    if isinstance(value, dict):
        name = _text(value.get("name"))
        is_organisation = bool(_types(value) & {"organization", "newsmediaorganization", "corporation"})
        return [name] if name and is_organisation == organisations else []
    if organisations:
        return []
    name = _text(value)
    return [name] if name and not name.startswith("http") else []


def _keywords(value: Any, depth: int = 0) -> list[str]:
    if isinstance(value, list):
        return [k for item in value for k in _keywords(item, depth + 1)] if depth < JSON_LD_DEPTH else []
    text = _text(value)
    return [k.strip() for k in text.split(",") if k.strip()] if text else []


def _json_ld_objects(tree: etree._Element) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for script in _JSON_LD(tree):
        try:
            data = json.loads(script)
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common (and nested past reading); the other sources still count
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                objects.append(item)
                stack.extend(item.get("@graph", []) if isinstance(item.get("@graph"), list) else [])
                if isinstance(item.get("mainEntity"), dict):
                    stack.append(item["mainEntity"])
    return objects


def _types(item: dict[str, Any]) -> set[str]:
    value = item.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def _read_json_ld(tree: etree._Element, meta: PageMetadata) -> None:
    for item in _json_ld_objects(tree):
        types = _types(item)
        meta.schema_types |= types
        if not types & ARTICLE_TYPES:
            continue
        for key, target in (("headline", meta.titles), ("description", meta.descriptions),
                            ("datePublished", meta.published), ("dateCreated", meta.published),
                            ("dateModified", meta.modified)):
            value = _text(item.get(key))
            if value:
                target.append(value)
        # The first story that credits anyone is the page's own; later ones are teasers for others.
        if not (meta.authors or meta.organisation_authors):
            meta.authors.extend(_names(item.get("author")))
            meta.organisation_authors.extend(_names(item.get("author"), organisations=True))
        # a publisher typed as a person is the writer's own newsletter (Substack): no reason to drop the name
        meta.publishers.extend(_names(item.get("publisher"), organisations=True))
        meta.tags.extend(_keywords(item.get("keywords")))
        meta.categories.extend(_keywords(item.get("articleSection")))
        image = item.get("image")
        if isinstance(image, dict):
            image = image.get("url")
        if isinstance(image, list) and image:
            image = image[0].get("url") if isinstance(image[0], dict) else image[0]
        if _text(image):
            meta.images.append(image)
        language = _text(item.get("inLanguage"))
        if language:
            meta.language = meta.language or language
        if meta.article_body is None and isinstance(item.get("articleBody"), str) and item["articleBody"].strip():
            meta.article_body = item["articleBody"]  # the first story's, as for its authors


def _read_meta_tags(tree: etree._Element, meta: PageMetadata) -> None:
    found: dict[str, list[str]] = {}
    for element in _META(tree):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        target = _META_FIELDS.get(key)
        value = _text(element.get("content"))
        if target and value:
            found.setdefault(target, []).append(value)
    meta.titles.extend(found.get("title", []))
    meta.descriptions.extend(found.get("description", []))
    meta.published.extend(found.get("published", []))
    meta.modified.extend(found.get("modified", []))
    meta.authors.extend(_given_name_first(a) for a in found.get("scholarly_authors", []))
    meta.authors.extend(a for a in found.get("authors", []) if not a.startswith("http"))
    meta.tags.extend(found.get("tags", []))
    meta.tags.extend(k for value in found.get("keywords", []) for k in _keywords(value))
    meta.categories.extend(found.get("categories", []))
    meta.images.extend(found.get("image", []))
    meta.site_name = (found.get("site_name") or [None])[0]
    meta.og_type = (found.get("og_type") or [""])[0].lower() or None
    meta.generator = " ".join(found.get("generator", [])).lower() or None
    meta.language = meta.language or (found.get("language") or [None])[0]


def _given_name_first(name: str) -> str:
    """"Roy, Aniruddha" as "Aniruddha Roy": scholarly metadata (``citation_author``) puts the
    surname first; a credential after a comma stays where it is ("Jane Roe, MD")."""
    parts = [part.strip() for part in name.split(",")]
    credentials = []
    while len(parts) > 2 and _CREDENTIAL.match(parts[-1]):
        credentials.insert(0, parts.pop())
    if len(parts) != 2 or not parts[1] or _CREDENTIAL.match(parts[1]):
        return name
    return ", ".join([f"{parts[1]} {parts[0]}", *credentials])


def _read_microdata(tree: etree._Element, meta: PageMetadata) -> None:
    first_story = None
    for itemtype in _ITEMTYPES(tree):
        meta.schema_types |= {t.rstrip("/").rsplit("/", 1)[-1].lower() for t in itemtype.split()}
    for element in _ITEMPROP(tree):
        prop = element.get("itemprop", "").lower()
        if element.tag == "meta":
            continue  # already read with the meta tags
        if prop in ("datepublished", "datecreated", "datemodified"):
            value = element.get("datetime") or element.get("content") or element.get("title") or element.text_content()
            (meta.modified if prop == "datemodified" else meta.published).append(" ".join(value.split()))
        elif prop == "author":
            story = next(element.iterancestors("article"), None)
            if _ELSEWHERE(element) or (meta.microdata_authors and story is not first_story):
                continue  # the credit of a comment, or of another story teased beside this one
            first_story = story
            name_element = element.find('.//*[@itemprop="name"]')
            name = _text((name_element if name_element is not None else element).text_content())
            if name:
                meta.microdata_authors.append(name)
        elif prop == "headline":
            title = _text(element.text_content())
            if title:
                meta.titles.append(title)


def _read_links(tree: etree._Element, meta: PageMetadata) -> None:
    for link in _REL_LINKS(tree):
        rel = link.get("rel", "").lower().split()
        text = _text(link.text_content())
        if not text:
            continue
        if "category" in rel:
            meta.categories.append(text)
        elif "tag" in rel:
            meta.tags.append(text)
        elif "author" in rel:
            meta.link_authors.append(text)


def _read_profile_links(tree: etree._Element, meta: PageMetadata) -> None:
    """The first few links to an author's page on the site (``/author/jane-roe``), by their text."""
    for link in _PROFILE_LINKS(tree):
        href = link.get("href", "")
        if "facebook." in href or not _PROFILE_PATH.search(href):
            continue
        text = _PROFILE_PREFIX.sub("", _text(link.text_content()) or "")
        slug = set(re.split(r"[-_.+]+", _PROFILE_PATH.search(href).group(0).strip("/").rsplit("/", 1)[-1].lower()))
        words = set(WORD.findall(text.casefold()))
        # the page is this person's: its address spells the name ("/author/ray" for "Ray Ansari"),
        # and the text is not a menu's "Our faculty"
        if not words & slug or words <= _GROUP_WORDS:
            continue
        if len(text.split()) <= 5 and text not in meta.profile_authors:
            meta.profile_authors.append(text)
            if len(meta.profile_authors) == PROFILE_CANDIDATES:
                return


# Links to a tag's or a category's page ("/tag/elections/", "/topics/climate", "/category/world/"):
# the page's own labels when a box of them holds them (its class or id says tags, topics, categories,
# keywords, labels or post meta), not a menu's.
_LABEL_LINKS = etree.XPath("//body//a[@href][contains(@href, '/tag') or contains(@href, '/topic')"
                           " or contains(@href, '/categor') or contains(@href, '/label')]" + NOT_IN_COMMENTS)
_LABEL_PATH = re.compile(r"/(?:(?P<tag>tags?|topics?|labels?)|(?P<category>categor(?:y|ies)))/[^/?#]")
_LABEL_BOX = re.compile(r"tag|topic|categor|keyword|label|meta", re.IGNORECASE)
LABEL_BOX_DEPTH = 4  # the box is one of a label link's nearest ancestors
LABEL_WORDS = 6  # a longer link text is a headline, not a label
MAX_LABELS = 30


def read_labels(tree: etree._Element) -> tuple[list[str], list[str]]:
    """The page's tags and categories, as the links of its box of labels show them (for pages whose
    metadata declares none)."""
    labels: dict[str, list[str]] = {"tag": [], "category": []}
    for link in _LABEL_LINKS(tree):
        found = _LABEL_PATH.search(link.get("href", ""))
        text = _text(link.text_content())
        if not found or not text or len(text.split()) > LABEL_WORDS:
            continue
        boxes = (element for _, element in zip(range(LABEL_BOX_DEPTH), link.iterancestors()))
        if any(element.tag in ("nav", "header") for element in link.iterancestors()) or not any(
                _LABEL_BOX.search(f"{element.get('class', '')} {element.get('id', '')}") for element in boxes):
            continue
        kind, label = "tag" if found.group("tag") else "category", text.lstrip("#")
        if label not in labels[kind] and len(labels[kind]) < MAX_LABELS:
            labels[kind].append(label)
    return labels["tag"], labels["category"]


def _read_bylines(tree: etree._Element, meta: PageMetadata) -> None:
    """The first few short byline texts in page order (later ones are often teasers' bylines)."""
    for element in _BYLINE_ELEMENTS(tree)[:20]:
        text = _listed_text(element)
        if text and len(text.split()) <= BYLINE_ELEMENT_WORDS and text not in meta.byline_authors:
            meta.byline_authors.append(text)
            if len(meta.byline_authors) == BYLINE_CANDIDATES:
                return


def _listed_text(element: etree._Element) -> str | None:
    """An element's text with its list items apart: "Emily Walker, Casey McDevitt", where the
    plain text of ``<li>Emily Walker</li><li>Casey McDevitt</li>`` runs the names together."""
    text = _text(element.text_content())
    if not text or len(text.split()) > BYLINE_ELEMENT_WORDS or element.find(".//li") is None:
        return text  # (prose is no byline: its items need not be told apart)
    pieces: list[str] = []
    items = 0
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            if node.tag == "li":
                pieces.append(", " if items else " ")
                items += 1
            if isinstance(node.tag, str):
                pieces.append(node.text or "")
        elif node is not element:
            pieces.append(node.tail or "")
    return _text("".join(pieces))


def _text_after(label: etree._Element) -> str | None:
    """The text of the first sibling after a label element that has any (an avatar may come between)."""
    following = label.getnext()
    for _ in range(3):
        if following is None:
            return None
        if text := _listed_text(following):
            return text
        following = following.getnext()
    return None


def _byline_label(text: str) -> re.Match[str] | None:
    """A byline's label at the start of ``text``, with the name after it as ``rest``."""
    if found := _BYLINE_LABEL.match(text):
        return found
    found = _OTHER_BYLINE_LABEL.match(text)
    return found if found and found["rest"][0].isupper() else None


def _read_after_headline(headline: etree._Element, meta: PageMetadata) -> None:
    """A "By Name" (or "Written by" / "Author:" beside the name) and a printed publication date
    among the short elements that follow the headline: templates that mark their byline with
    nothing but words. A date may also sit just above the headline, as a kicker."""
    label_seen = False
    for element in _AFTER_HEADLINE(headline):
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        text = _listed_text(element)
        if not text or len(text.split()) > BYLINE_ELEMENT_WORDS:
            continue
        if not meta.visible_dates and (date := publication_date_in(text)):
            meta.visible_dates.append(date)
            meta.dateline = text
        label = None if label_seen else _byline_label(text)
        if label is not None and _IN_MENU(element):
            label = None  # "By Industry" heading a menu
        if label is not None and len(element) and isinstance(element[0].tag, str) \
                and _byline_label(_text(element[0].text_content()) or ""):
            continue  # a box whose first child holds the label: read the child, not the glued whole
        if label is not None:
            label_seen = True  # the first label only: later ones belong to teasers or comments
            name = label["rest"] or _text_after(element)
            if name and len(name.split()) <= BYLINE_ELEMENT_WORDS:
                meta.labelled_byline = name
        if meta.visible_dates and label_seen:
            return
    if not meta.visible_dates:
        for element in reversed(_BEFORE_HEADLINE(headline)):
            text = _text(element.text_content()) if isinstance(element.tag, str) else None
            if text and len(text.split()) <= BYLINE_ELEMENT_WORDS and (date := publication_date_in(text)):
                meta.visible_dates.append(date)
                return


_WRITTEN_BY_TEXT = etree.XPath(  # "Written by", "By Name", "All articles by Name" (each test costs a scan)
    "//body//text()[contains(., 'y')][contains(., 'ritten by') or contains(., 'ritten By') or contains(., 'By ')"
    " or contains(., 's by ')]")  # (one test for the "y" they share first: twice as fast)
_WRITTEN_BY = re.compile(r"^(?:(?:this (?:post|article|story|piece) was )?written by\s*:?\s*(?P<rest>.*)"
                         rf"|(?:{_LISTED_BY} |(?-i:By ))"
                         r"(?-i:(?P<name>[A-Z][\w'\u2019.-]+(?: [A-Z][\w'\u2019.-]+){1,3})))$", re.IGNORECASE)


def _read_written_by(tree: etree._Element, meta: PageMetadata) -> None:
    """An author box anywhere on the page: a short element that reads "Written by Name" (the name
    may sit in the next element) or just "By" and a capitalised name."""
    for node in _WRITTEN_BY_TEXT(tree)[:10]:
        element = node.getparent()
        if element is None or element.tag in ("script", "style"):
            continue
        text = _listed_text(element)
        label = _WRITTEN_BY.match(text or "")
        if label is None or len(text.split()) > BYLINE_ELEMENT_WORDS or _IN_MENU(element):
            continue
        name = label["name"] or label["rest"] or (_text_after(element) if label["rest"] is not None else None)
        if name and len(name.split()) <= BYLINE_ELEMENT_WORDS:
            meta.written_by.append(name)


_FIELD_LABELS = etree.XPath("//body//strong | //body//b | //body//dt | //body//th")
_FIELD_LABEL = re.compile(rf"^{_LABELS}\s*:?$", re.IGNORECASE)  # a field's label alone, in any language


def _read_labelled_fields(tree: etree._Element, meta: PageMetadata) -> None:
    """A credit set out as a labelled field anywhere: a bold or term label that is a byline word
    alone, the name after it ("<li><strong>Autorin/Autor</strong> Roman Goncharenko</li>", a
    table's or a definition list's row)."""
    for label in _FIELD_LABELS(tree):
        text = label.text_content()
        if len(text) > 40 or not _FIELD_LABEL.match(" ".join(text.split())) or _IN_MENU(label):
            continue
        name = _text(label.tail) or _text_after(label)
        if name and len(name.split()) <= BYLINE_ELEMENT_WORDS:
            meta.field_authors.append(name)
            return


def read_markup_credits(tree: etree._Element, meta: PageMetadata) -> None:
    """The authors that only the page's markup credits, into ``meta``: elements classed as bylines,
    "Written by" boxes, labelled fields, links to an author's page (four scans of the page)."""
    _read_bylines(tree, meta)
    _read_written_by(tree, meta)
    _read_labelled_fields(tree, meta)
    _read_profile_links(tree, meta)


def read_metadata(tree: etree._Element, markup_credits: bool = True) -> PageMetadata:
    """Every metadata candidate on the page, without changing the tree; without the authors that
    only the markup credits when ``markup_credits`` is false (``read_markup_credits`` reads them)."""
    meta = PageMetadata()
    _read_json_ld(tree, meta)
    _read_meta_tags(tree, meta)
    _read_microdata(tree, meta)
    _read_links(tree, meta)
    if markup_credits:
        read_markup_credits(tree, meta)
    h1s = _H1(tree)
    if h1s:
        _read_after_headline(h1s[0], meta)
    meta.published_times.extend(t.get("datetime") for t in _TIMES(tree)[:1])  # the first, in page order
    canonical = _CANONICAL(tree)
    meta.canonical = canonical[0].strip() if canonical else None
    lang = _HTML_LANG(tree)
    meta.language = meta.language or (lang[0].strip() if lang else None)
    meta.h1s = [text for h1 in h1s if (text := _text(h1.text_content()))]
    title = _TITLE(tree)
    meta.html_title = _text(title[0]) if title else None
    meta.headline_links = sum(1 for a in _HEADLINE_LINKS(tree) if len(a.text_content().split()) >= 4)
    meta.copyright_holders = [found["holder"] for text in _COPYRIGHT_TEXTS(tree)[:3]
                              if (found := _COPYRIGHT.search(" ".join(text.split())))]
    return meta


_DIGIT = re.compile(r"\d")  # dates and times that share a byline are not names
_BYLINE = re.compile(rf"^\s*(?:{_LABELS}\s*:?\s+|"
                     r"(?:this\s+(?:post|article|story|piece)\s+was\s+)?(?:written|posted|published)\s+by\s*:?\s*)",
                     re.IGNORECASE)
# A label inside a credit, before a capitalised name: "Capital Von Jemima Kelly" (a section's name first).
_INNER_LABEL = re.compile(r"\s(?:" + "|".join(sorted({w.title() for w in every(BYLINE_LABELS)
                                                        if " " not in w and len(w) >= 3 and w != "author"}))
                          + r")\s+(?=[^\W\d_])")
_WEB_ASIDE = re.compile(r"\s*\((?:https?://|www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/?\)")  # "Deutsche Welle (www.dw.com)"
# A short code after a name: the writer's initials ("Elena Oberholzer (obe)"), or an agency ("(dpa)").
_SHORT_ASIDE = re.compile(r"\s*\(([^\W\d_]{1,5}\.?)\)")
_CODE = re.compile(r"[{}=<>;]|\w\(")  # "window._folmq.push(function() {": a script's text, not a credit
_AGENCIES = {agency.casefold(): agency for agency in AGENCIES}
_TITLES_AFTER_NAME = every(TITLES_AFTER_NAME)
_SEGMENTS = re.compile(r"\s*(?:,|;|\||\u00b7|\u2022|\u22c5|\u25cf|\s-\s|\s\u2013\s)\s*")
_JOINED = re.compile(rf"\s*(?:&|\b(?:{alternation(every(CONJUNCTIONS) - {'&'})})\b)\s*", re.IGNORECASE)
NAME_WORDS = 5  # a longer piece of a byline is a sentence, not a name...
ORGANISATION_WORDS = 8  # ... unless it names an organisation
_OF_AN_ORGANISATION = re.compile(r"\s(?:for|of)\s")  # "Center for ...", "Institute of ...": not people
_PARTICLES = frozenset("van von der den de del della di da dos du la le bin al ter".split())
_ORGANISATION_ENDS = frozenset("team staff desk editors newsroom".split())
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,5}|Ph\.?\s?D|M\.?\s?D|M\.?\s?S|R\.?\s?N|Jr|Esq|II|III|IV)\.?$")
_HANDLE = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)+$")  # "page.head.author", "andrew.keaveney"
# Where a byline runs on into a date, an update note or another credit, the name has ended.
_NAME_ENDS = re.compile(r"\s+(?:(?:last\s+)?updated|published|posted|reviewed|edited|fact[- ]checked|on|at|in)\b.*$"
                        r"|(?-i:(?<=[a-z])(?:Updated|Published|Posted))\b.*$"  # glued: "AustinPublished"
                        r"|\s+\d.*$"  # a name has no digits: "Marketing Team 31 May, 2023"
                        r"|\s+(?:january|february|march|april|june|july|august|september|october|november|december"
                        r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b\.?(?:\s.*)?$"
                        r"|\s+may\s+\d.*$",  # "Tom May" is a name; "May 3" is a date
                        re.IGNORECASE)
# A credit that is someone else's (an update, a review, an edit): not the story's author.
_OTHER_CREDIT = re.compile(r"^(?:(?:last\s+)?updated|reviewed|edited|fact[- ]checked|released|"
                           + alternation(every(PHOTO_LABELS)) + r")\b", re.IGNORECASE)
# Job titles, credentials and page words that share a byline's element with the name.
_ROLE_WORDS = frozenset("""
    reporter writer editor founder co-founder cofounder ceo cto cfo coo president director manager contributor
    contributing expert journalist correspondent columnist author administrator admin senior sr chief head
    lead principal freelance intern producer specialist analyst consultant strategist marketer associate
    coordinator editor-in-chief review attorney lawyer counsel
""".split())  # not "team", "staff" or "desk": "The Investopedia Team" is a byline as sites give it
_PAGE_WORDS = frozenset("""
    name home privacy view more posts post by written human the a an all about profile follow share menu
    contact read articles article blog news user guest anonymous unknown sponsored sign in log login subscribe
    page extra
    mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday
    january february march april june july august september october november december on
    jan feb mar apr jun jul aug sep sept oct nov dec
""".split()) | every(BUTTONS) | frozenset(NETWORKS) | {w for w in every(BYLINE_LABELS) if " " not in w}


# Lowercase words that a capitalised credit may hold: "Ask the Doctors", "The Currency editors".
_LOWERCASE_IN_NAMES = _PARTICLES | _ROLE_WORDS | _ORGANISATION_ENDS | frozenset("the of for and with at".split())
_TRAILING_WORDS = frozenset("sponsored verified".split()) | every(BUTTONS)  # badges and buttons after a name
_HIDDEN_EMAIL = re.compile(r"\[email\s+protected\]")  # what Cloudflare shows in place of an address


def _credit_in_aside(found: re.Match[str]) -> str:
    """An agency in parentheses is a credit of its own; a writer's initials go."""
    return f", {found[1]}" if found[1].casefold() in _AGENCIES else ""


def _name(part: str) -> str | None:
    """A person's name from one piece of a byline, or None when the piece is not a name."""
    part = part.strip(" .:-\"'\u201c\u201d")
    if len(part) < 2 or _OTHER_CREDIT.match(part) or _CODE.search(part):
        return None
    if agency := _AGENCIES.get(part.casefold()):
        return part if part.casefold() == agency.casefold() else agency  # as credited: "dpa", "AP"
    words = _HIDDEN_EMAIL.sub("", part).split()
    while len(words) > 1 and (words[-1].casefold() in _TRAILING_WORDS or words[-1] in _TITLES_AFTER_NAME):
        words.pop()  # "Help Net Security Sponsored", "홍길동 기자"
    if not words:
        return None
    lowered = [w.casefold().strip(".,") for w in words]
    if all(w in _ROLE_WORDS or w in _PAGE_WORDS for w in lowered):
        return None  # "Editor", "View all posts", "The Author"
    if lowered[0] in _ROLE_WORDS and lowered[-1] in _ROLE_WORDS:
        return None  # "Senior Review Editor": a job title however many words it has
    # "Keith Barry Senior Autos Reporter": the name comes first, its job title last.
    if len(words) > 2 and lowered[-1] in _ROLE_WORDS:
        return " ".join(words[:2])  # ("Staff Reporter" is a byline as newsrooms give it)
    if _HANDLE.match(part) or (len(part) == 2 and part.isalpha() and part.isupper()):
        return None  # "page.head.author"; "NB", an avatar's initials
    if words[0][:1].isupper() and any(w[:1].islower() and low not in _LOWERCASE_IN_NAMES
                                      for w, low in zip(words, lowered)):
        return None  # "Personal finance": a section's label, not a name
    # "Brian Truitt USA TODAY": the paper's name in capitals after the person's
    caps = len(words) - next((i for i in range(len(words) - 1, -1, -1) if not words[i].isupper()), -1) - 1
    if caps >= 2 and len(words) - caps >= 2:
        words = words[:-caps]
    # "CM Craig McCarthy": an avatar's initials before the name they abbreviate
    if len(words) > 2 and words[0].isupper() and words[0] == "".join(w[0] for w in words[1:]).upper():
        words = words[1:]
    return " ".join(words)


def _looks_like_a_person(name: str) -> bool:
    """Two to four capitalised words (particles aside), no organisation word, no "The"."""
    words = name.split()
    lowered = [w.casefold().strip(".,") for w in words]
    return (2 <= len(words) <= 4 and lowered[0] != "the" and lowered[-1] not in _ORGANISATION_ENDS
            and lowered[-1] not in _ROLE_WORDS
            and all(w[:1].isupper() or low in _PARTICLES for w, low in zip(words, lowered)))


_LABEL_BEFORE_NUMBER = re.compile(r"\s*[^\W\d_]+\s*:\s*(?=\d)")  # "Giriş: 03.07.2024"


def people_in(dateline: str | None) -> tuple[str, ...]:
    """The people a dateline names without a "By": "Aaron Ricadela | Senior Writer | July 2, 2025".
    A word with a colon before a number labels it ("Giriş: 03.07.2024"), in any language."""
    if not dateline:
        return ()
    dateline = _LABEL_BEFORE_NUMBER.sub(" | ", dateline)
    return tuple(name for name in clean_authors([dateline]) if _looks_like_a_person(name))



def _people_first(names: list[str]) -> list[str]:
    """Of several credits, the people's names when some are (a job title, the team or the paper
    named beside them is not an author); a lone credit stays whatever it is."""
    if len(names) < 2:
        return names
    people = [n for n in names if _looks_like_a_person(n) or n.casefold() in _AGENCIES]
    if not people:
        people = [n for n in names if len(n.split()) == 1 and n[:1].isupper() and n.casefold() not in _ROLE_WORDS]
    return people or names


def clean_authors(candidates: list[str], publisher: str | tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Distinct person names: no "By", split on "and" and commas, no e-mail addresses, URLs,
    parenthesised asides, job titles, update or review credits, or the publisher's own name."""
    publishers = _publisher_forms((publisher,) if isinstance(publisher, str) else publisher or ())
    names: list[str] = []
    for candidate in candidates:
        candidate = _SHORT_ASIDE.sub(_credit_in_aside, _WEB_ASIDE.sub("", _BYLINE.sub("", html.unescape(candidate))))
        if (inner := _INNER_LABEL.search(candidate)) and candidate[inner.end()].isupper():
            candidate = candidate[inner.end():]
        for part in _parts(candidate):
            if len(part.split()) > (ORGANISATION_WORDS if _OF_AN_ORGANISATION.search(part) else NAME_WORDS):
                continue
            part = _NAME_ENDS.sub("", part.strip(" .:-")).strip(" .:-")
            if (not part or "@" in part or part.startswith(("http", "("))
                    or _DIGIT.search(part) or name_key(part) in publishers):
                continue
            # "Angela Holliday-Bell, MD": part of the name shown ("Adam Vidler, AP": an agency beside it)
            if _CREDENTIAL.match(part) and names and part.casefold() not in _AGENCIES:
                names[-1] = f"{names[-1]}, {part}"
                continue
            name = _name(part)
            if name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
    return tuple(_people_first(_without_short_forms(list(distinct(names)))))


def _host(address: str) -> str:
    """"(https://www.dw.com/)" as "dw.com"."""
    address = address.strip(" ()/").casefold()
    return address.split("://", 1)[-1].removeprefix("www.")


_DASHES = re.compile(r"\s*[-\u2013\u2014]\s*")


def name_key(name: str) -> str:
    """A name as names are compared: casefolded, its spaces and dashes alike ("DaF Blog – MMF3"
    is "DaF Blog - MMF3")."""
    return _DASHES.sub("-", " ".join(name.split())).casefold()


def name_forms(name: str) -> set[str]:
    """A site's or publisher's name as a page may give it (``name_key``s): as written, the
    initials of a name of several words ("Legal Tribune Online": "LTO"), and a host name with and
    without its suffix ("vnexpress.net": "VnExpress", "Beige.de": "Beige")."""
    key = name_key(name)
    forms = {key}
    if len(words := WORD.findall(name)) >= 3:
        forms.add("".join(word[0] for word in words).casefold())
    if "." in key and " " not in key:
        forms.update((_host(key), _host(key).split(".")[0]))
    return forms


def _publisher_forms(names: tuple[str, ...]) -> set[str]:
    return {form for name in names for form in name_forms(name)}


def _without_short_forms(names: list[str]) -> list[str]:
    """Names without another credit's short form: "Tina Huffman" beside "Tina Flint Huffman"."""
    def short_form(name: str, other: str) -> bool:
        mine, theirs = name.casefold().split(), other.casefold().split()
        return (len(mine) < len(theirs) and mine[0] == theirs[0] and mine[-1] == theirs[-1]
                and set(mine) <= set(theirs))
    return [name for name in names if not any(short_form(name, other) for other in names)]


def _parts(byline: str) -> list[str]:
    """A byline's pieces: split at commas and separators, then at "and"; a later piece that ends
    in a job title ("..., Home and Digital Security Expert") is dropped whole."""
    parts: list[str] = []
    for index, segment in enumerate(_SEGMENTS.split(byline)):
        last = segment.split()[-1].casefold().strip(".,") if segment.split() else ""
        if (index and segment[:1].islower() and not segment.startswith(("and ", "by "))
                and segment.strip().casefold() not in _AGENCIES):
            break  # "Vanessa Mendez, MD, gastroenterologist, Parkview Health": who she is, not who else wrote
        if index and last in _ROLE_WORDS:
            continue
        if _OF_AN_ORGANISATION.search(segment):
            parts.append(segment)  # "Center for Drug Evaluation and Research": one name
        else:
            parts.extend(_JOINED.split(segment))
    return parts


def distinct(values: list[str]) -> tuple[str, ...]:
    """Values in first-seen order without case-insensitive repeats."""
    seen: dict[str, str] = {}
    for value in values:
        value = " ".join(value.split())
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())


@cache
def _first_names() -> frozenset[str]:
    lines = (Path(__file__).with_name("first_names.txt")).read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalpha())


# Words that make a name a business's: "Austin Hardware", "Walton College", "Noble Desktop".
_BUSINESS_WORDS = frozenset("""
    online college university school academy institute hardware desktop software systems technologies tech
    group studio studios media design digital solutions services consulting partners associates law legal
    dental dentistry health clinic care fitness yoga coffee foods kitchen vacations travel tours homes realty
    properties insurance marketing agency labs lab works company inc llc ltd shop store supply electric
    plumbing press publishing magazine news blog daily times post network center centre foundation
""".split())


def site_owner(names: list[str], url: str) -> str | None:
    """The person whose site this is, when the site's name is a person's: spelled by the host
    (tobyhede.com, pierce.dev, owain.bearblog.dev), a first name people bear, then a surname, not
    a business's word. ``names`` are what the site calls itself, best first: its declared name,
    what ``<title>`` adds to the headline, the holder of its copyright."""
    host = (urlsplit(url).hostname or "").removeprefix("www.").split(".")
    label = host[0] if len(host) >= 2 else ""
    for name in names:
        words = [word.strip(".,") for word in name.split()[:3]]
        for count in (2, 3):
            person = words[:count]
            if (len(person) == count and all(word[:1].isupper() for word in person)
                    and _letters(person[0]) in _first_names()
                    and label in (_letters("".join(person)), _letters(person[0]), _letters(person[-1]))
                    and not any(word.casefold() in _BUSINESS_WORDS for word in person[1:])):
                return " ".join(person)
    return None
