"""Extraction: clean articles from HTML, a pure function of ``(html, url, site rules)``.

No Scrapy and no database here. The spider, the pipelines, ``reextract``, ``import`` and ``eval``
use this package's public names only:

    extract(html, url, rules, timezone) -> Article      or raises NotAnArticle(reason, detail, score)

The cascade, one module a stage:
1. parse once (lxml; charset from the bytes, the page's ``<meta>``, or detection) -- ``cascade``;
2. read structured metadata (JSON-LD, OpenGraph, ``article:*``, microdata, ``rel`` links, bylines)
   -- ``metadata``;
3. decide the signs that settle alone that a page is not a story (bot walls, forum and wiki
   software, documentation, products, section fronts) -- ``pagetype.not_a_story``;
4. drop cookie-consent banners, hidden furniture, lists of links and the site's ``drop_selectors``;
5. trafilatura extracts the main text (its own metadata pass is not run: step 2 reads it; nor its
   comparison with readability where that cannot change the text) -- ``trafilatura_reading``;
6. strip boilerplate lines (generic furniture, trailing tag lines, the site's ``drop_lines``), what
   follows a late heading that ends the article, a closing author bio, byline and date lines
   -- ``boilerplate``;
7. pick each metadata field from the most reliable source; dates with dateutil/dateparser,
   timezone-aware, in any language -- ``dates``;
8. decide whether the page is an article: its length in the units its script has (words, or
   characters for scripts written without spaces) and the page-type score -- ``pagetype``,
   ``text``;
9. a story only: read again in trafilatura's recall mode when the balanced reading left out much
   of its prose, and read whole from its declared ``articleBody`` when the page shows only part
   of it (a paywall's teaser) -- ``cascade``.

``evaluation`` measures all of this on the development corpora against plain trafilatura.
"""

import importlib
from typing import TYPE_CHECKING, Any

from .article import Article, Capture, NotAnArticle, Rejection

if TYPE_CHECKING:
    from .cascade import analyse, decode_html, decode_page, extract
    from .dates import ParsedDate, first_date, parse_date, parse_since
    from .pagetype import bot_challenge

# Loaded when first asked for: what extraction gives (above) is light, extraction itself brings
# trafilatura, lxml and the date readers (0.35 s and ~60 MB). A process that only stores what
# extraction workers give (a crawl's or an import's writer) never loads them.
_LAZY = {"analyse": "cascade", "decode_html": "cascade", "decode_page": "cascade", "extract": "cascade",
         "ParsedDate": "dates", "first_date": "dates", "parse_date": "dates", "parse_since": "dates",
         "bot_challenge": "pagetype"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Article",
    "Capture",
    "NotAnArticle",
    "ParsedDate",
    "Rejection",
    "analyse",
    "bot_challenge",
    "decode_html",
    "decode_page",
    "extract",
    "first_date",
    "parse_date",
    "parse_since",
]
