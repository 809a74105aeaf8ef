"""Is this page one story? A linear score over signals that news, blog and other article pages
share, and that listings, shop, forum, documentation and service pages lack.

Few signals decide alone, as sites mislabel pages (``og:type=website`` on articles is common):
structured data, URL shape, dates, bylines and the shape of the page's text each add or subtract.
The exceptions are a page's plain statements of what it is, checked first (``not_a_story``): the
software that made it a forum or a wiki, a section's front page, documentation, a product, a bot
wall.
The weights were fitted by logistic regression on the WCXB development corpus
(``benchmarks/fit_page_type.py`` refits them and prints cross-validated figures); the threshold
keeps 99% of the articles the fit could read (98.4% of all the corpus' articles), because losing
a story is worse than storing a stray page.

Pure: no Scrapy, no I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from lxml import etree

from ..urls import documentation_url, section_front, url_hints, url_shape
from .metadata import ARTICLE_TYPES, NON_ARTICLE_OG_TYPES, PageMetadata
from .text import UNSPACED_CHARACTER, word_count

LISTING_SCHEMA_TYPES = {"product", "productgroup", "store", "collectionpage", "searchresultspage", "profilepage",
                        "offer", "aggregateoffer"}
QA_SCHEMA_TYPES = {"faqpage", "qapage", "itemlist", "discussionforumposting", "question", "answer", "comment"}
DOCS_SCHEMA_TYPES = {"techarticle", "softwareapplication", "howto", "apireference"}
# Software that makes documentation, as <meta name="generator"> names it: a sign weighed in the
# score, as some of it makes blogs too (mkdocs-material).
DOCS_ENGINES = ("mkdocs", "sphinx", "docusaurus", "bookdown", "gitbook", "docsify", "vitepress", "jupyter book",
                "antora", "read the docs")
# Software that makes nothing but forum threads and wiki pages: what it made is never one story,
# however story-like its prose, dates and bylines (``not_a_story``).
THREAD_AND_WIKI_ENGINES = ("discourse", "vbulletin", "phpbb", "xenforo", "flarum", "vanilla", "invision", "mybb",
                           "nodebb", "discuz", "simple machines", "mediawiki", "dokuwiki")
THREAD_SCHEMA_TYPES = {"discussionforumposting", "qapage"}  # as forum and Q&A software marks a thread
# The <title> of a page that a bot wall serves in place of the one asked for (Anubis, Cloudflare,
# HUMAN/PerimeterX, Imperva, Akamai, DDoS-Guard): its explanation can run to an article's length.
BOT_CHALLENGE_TITLE = re.compile(
    r"^(making sure you'?re not a bot!?|just a moment(\.\.\.|\u2026)?|attention required! \| cloudflare|"
    r"access to this page has been denied\.?|access denied|pardon our interruption\.*|are you a (robot|human)\??|"
    r"human verification|verifying (that )?you are (a )?human\.*|checking your browser\.*|ddos-guard)$",
    re.IGNORECASE)
LONG_PARAGRAPH_WORDS = 25  # a paragraph of prose, not a teaser or a caption
LONG_LINK_WORDS = 5  # a link this long is a headline or a teaser, not navigation

_BODY = etree.XPath("//body")
PARAGRAPHS = etree.XPath("//body//p")
_LINKS = etree.XPath("//body//a")
_CODE = etree.XPath("//pre | //code")
# Attributes first: the same elements as '//*[contains(@class, "cart")...]', found twice as fast.
_CART = etree.XPath('//@class[contains(., "cart") or contains(., "basket")]/..')
_PRICE = etree.XPath('//@class[contains(., "price")]/.. | //@itemprop[. = "price"]/..')
_TIMES = etree.XPath("//time")


@dataclass(frozen=True)
class PageShape:
    """Counts read from the page's markup (before extraction removes anything)."""

    words: int = 0  # in the whole body
    paragraph_words: int = 0  # in long paragraphs
    long_paragraphs: int = 0
    long_link_words: int = 0  # in links of headline length
    code_blocks: int = 0
    cart_elements: int = 0
    price_elements: int = 0
    times: int = 0


def _words(element: etree._Element) -> int:
    return word_count(element.text_content())


def _spaced_words(element: etree._Element) -> int:
    return len(element.text_content().split())


def page_shape(tree: etree._Element) -> PageShape:
    body = _BODY(tree)
    body_text = body[0].text_content() if body else ""
    # one look at the whole page decides how its parts are counted (most pages: by white space alone)
    words = _words if UNSPACED_CHARACTER.search(body_text) else _spaced_words
    paragraphs = [n for n in map(words, PARAGRAPHS(tree)) if n >= LONG_PARAGRAPH_WORDS]
    return PageShape(
        words=word_count(body_text),
        paragraph_words=sum(paragraphs),
        long_paragraphs=len(paragraphs),
        long_link_words=sum(n for n in map(words, _LINKS(tree)) if n >= LONG_LINK_WORDS),
        code_blocks=len(_CODE(tree)),
        cart_elements=len(_CART(tree)),
        price_elements=len(_PRICE(tree)),
        times=len(_TIMES(tree)),
    )


def bot_challenge(title: str | None) -> bool:
    """Whether a page's ``<title>`` is a bot wall's (``BOT_CHALLENGE_TITLE``)."""
    return bool(title) and bool(BOT_CHALLENGE_TITLE.match(" ".join(title.split()).replace("\u2019", "'")))


def not_a_story(meta: PageMetadata, url: str) -> tuple[str, str] | None:
    """A sign that alone decides that the page is not one story, whatever its score: the reason
    and what showed it, or None. Each is a page's plain statement of what it is, and no article of
    the WCXB corpus shows one."""
    if bot_challenge(meta.html_title):
        return "bot_challenge", f"title {meta.html_title!r}"
    if engine := made_by(meta, THREAD_AND_WIKI_ENGINES):
        return "thread_or_wiki", f"made by {engine}"
    if declared := sorted(meta.schema_types & THREAD_SCHEMA_TYPES):
        return "thread_or_wiki", f"schema.org {declared[0]}"
    if section_front(url):
        return "section_front", urlsplit(url).path
    if documentation_url(url):
        parts = urlsplit(url)
        return "documentation", f"{parts.hostname or ''}{parts.path}"
    if (meta.og_type or "").startswith("product"):  # "product", "product.group", "product.item"
        return "product", f"og:type {meta.og_type}"
    return None


@dataclass(frozen=True)
class PageFeatures:
    """What the score weighs, each scaled to about 0..1 (counts as log1p)."""

    schema_article: float
    og_article: float
    og_other: float
    schema_listing: float
    schema_qa: float
    schema_docs: float
    date_structured: float
    date_text: float
    author: float
    url_story: float  # the URL has a story's shape (a date, a long slug, a long id)
    url_service: float  # the URL names a listing, feed, account, file or service page
    depth: float
    docs_url: float  # the URL, or the software that made the page, says documentation
    forum_url: float  # the URL says forum
    shop_url: float
    text_ratio: float  # the extracted text's share of the page's words
    paragraph_ratio: float  # the long paragraphs' share
    long_link_ratio: float  # the headline-length links' share
    long_paragraphs: float
    code: float
    cart: float
    price: float
    times: float

    def as_list(self) -> list[float]:
        return [getattr(self, f.name) for f in fields(self)]


def made_by(meta: PageMetadata, engines: tuple[str, ...]) -> str | None:
    """The one of ``engines`` that made the page, as its ``<meta name="generator">`` names it."""
    return next((engine for engine in engines if meta.generator and engine in meta.generator), None)


def page_features(meta: PageMetadata, shape: PageShape, url: str, text_words: int, has_date: bool,
                  structured_date: bool, has_author: bool) -> PageFeatures:
    total = max(shape.words, 1)
    path = urlsplit(url).path
    hints = url_hints(url)
    og_type = meta.og_type or ""
    shape_of_url = url_shape(url)
    return PageFeatures(
        schema_article=float(bool(meta.schema_types & ARTICLE_TYPES)),
        og_article=float(og_type == "article"),
        og_other=float(og_type in NON_ARTICLE_OG_TYPES or og_type.startswith("product")),
        schema_listing=float(bool(meta.schema_types & LISTING_SCHEMA_TYPES)),
        schema_qa=float(bool(meta.schema_types & QA_SCHEMA_TYPES)),
        schema_docs=float(bool(meta.schema_types & DOCS_SCHEMA_TYPES)),
        date_structured=float(has_date and structured_date),
        date_text=float(has_date and not structured_date),
        author=float(has_author),
        url_story=float(shape_of_url > 0),
        url_service=float(shape_of_url < 0),
        depth=min(len([s for s in path.split("/") if s]), 6) / 6,
        docs_url=float("docs" in hints or made_by(meta, DOCS_ENGINES) is not None),
        forum_url=float("forum" in hints),  # forum software's own pages are decided before: not_a_story
        shop_url=float("shop" in hints),
        text_ratio=min(text_words / total, 1.0),
        paragraph_ratio=min(shape.paragraph_words / total, 1.0),
        long_link_ratio=min(shape.long_link_words / total, 1.0),
        long_paragraphs=math.log1p(shape.long_paragraphs),
        code=math.log1p(shape.code_blocks),
        cart=math.log1p(shape.cart_elements),
        price=math.log1p(shape.price_elements),
        times=math.log1p(shape.times),
    )


# Fitted by benchmarks/fit_page_type.py (L2-regularised logistic regression, WCXB dev corpus).
WEIGHTS = {
    "schema_article": +0.860,
    "og_article": +0.718,
    "og_other": -0.211,
    "schema_listing": -1.764,
    "schema_qa": -0.973,
    "schema_docs": -1.603,
    "date_structured": +0.454,
    "date_text": -0.238,
    "author": +0.714,
    "url_story": +1.319,
    "url_service": -0.584,
    "depth": +1.638,
    "docs_url": -2.289,
    "forum_url": -2.624,
    "shop_url": -0.834,
    "text_ratio": +1.633,
    "paragraph_ratio": +1.657,
    "long_link_ratio": -0.992,
    "long_paragraphs": +0.328,
    "code": -0.437,
    "cart": -0.293,
    "price": -0.234,
    "times": -0.195,
}
BIAS = -2.298
# Below this score a page is not an article: about 99% of the corpus' articles score above it.
THRESHOLD = -1.239


def page_type_score(features: PageFeatures) -> float:
    """Evidence that the page is one story: > ``THRESHOLD`` reads as an article."""
    return BIAS + sum(WEIGHTS[name] * value for name, value in zip(_NAMES, features.as_list(), strict=True))


_NAMES = [f.name for f in fields(PageFeatures)]
