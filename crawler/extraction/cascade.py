"""The extraction cascade (see the package docstring for its stages): ``analyse`` and ``extract``."""

from __future__ import annotations

import codecs
import html as html_module
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cache, lru_cache
from itertools import islice
from urllib.parse import urljoin, urlsplit

import charset_normalizer
from ftfy import fix_encoding
from ftfy.badness import badness
from htmldate import find_date
from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from trafilatura import metadata as trafilatura_metadata
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import is_dubious_html, repair_faulty_html
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, to_unicode

from ..sites import ExtractionRules, origin
from ..urls import DEFAULT_PORTS, canonical_url, same_site, section_front
from .article import INVISIBLE, Article, NotAnArticle, Rejection  # noqa: F401  (NotAnArticle, Rejection: named here too)
from .boilerplate import fold, leading_byline, strip_boilerplate, without_metadata_lines
from .dates import ParsedDate, first_date, parse_date
from .metadata import (
    NOT_IN_COMMENTS,
    WORD,
    PageMetadata,
    clean_authors,
    distinct,
    name_forms,
    name_key,
    people_in,
    read_labels,
    read_markup_credits,
    read_metadata,
    site_owner,
)
from .pagetype import (
    LONG_PARAGRAPH_WORDS,
    THRESHOLD,
    PageFeatures,
    not_a_story,
    page_features,
    page_shape,
    page_type_score,
)
from .text import detect_language, word_count
from .trafilatura_reading import bare_extraction

DEFAULT_RULES = ExtractionRules()
MENDING_PROBE = 200_000  # bytes of a page whose charset is told again (charset-normalizer reads no more)
MENDED_SHARE = 0.5  # ... when at least this share of its non-ASCII characters did not decode
DEFAULT_WEB_PORTS = set(DEFAULT_PORTS.values())
LISTING_HEADLINES = 4  # this many headline links (h2/h3 > a) make a page look like a list of stories
MAX_TITLE_WORDS = 40
KICKER_DASHES = (" - ", " \u2013 ", " \u2014 ")  # between a kicker and the headline in an <h1>
KICKER_WORDS = 6
KICKER_REWORDED = 0.5  # a declared kicker sharing this share of the <h1>'s kicker's words is the same one
SITE_NAME_WORDS = 5
REPUBLISHED = timedelta(days=2)  # metadata this much later than the printed date is a re-publication
DATE_LINE_WORDS = 5  # ... if the printed date's line has at most this many words besides it
TRUNCATED_HEADLINE = 100  # characters
HEADLINE_LINES = 4  # the headline is looked for in this many lines at the top of the text
MASTHEAD_WORDS = 6  # ... after one line of any length and lines no longer than this (a masthead, a label)
# A page whose long list items or bare-text blocks the main text leaves out, this many words of
# them and this share of the text, is read again in trafilatura's recall mode.
ITEM_WORDS = 10
ITEM_PROBE = 60  # characters of an item looked for in the text
BARE_TEXT_CHARACTERS = 60  # a <div> whose own text starts with this many characters holds prose bare
UNREAD_ITEM_WORDS = 100
UNREAD_ITEM_SHARE = 0.1
UNREAD_PROSE_SHARE = 0.4  # ... or whose text has less than this share of the words of its long paragraphs
# The story's parts that the balanced reading may leave out: long list items (a how-to's steps, a
# pros and cons box) and <div>s that hold their prose bare, without <p>s (trafilatura reads those
# only in its recall mode); inside the story's block (``_story_block``), not in a header, footer,
# menu, aside or comment. Items elsewhere on the page (a box of other stories, a menu without <nav>)
# are no sign that the story was cut: the recall mode mostly leaves them out too.
_BARE_TEXT_DIV = f"div[text()[1][string-length(normalize-space(.)) >= {BARE_TEXT_CHARACTERS}]]"
_STORY_ITEMS = etree.XPath(
    f"(.//li | .//{_BARE_TEXT_DIV})"
    "[not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside)]" + NOT_IN_COMMENTS)
RUN_ON_WORDS = 200  # a reading with a line this long holding most of its words ran the page together
MOJIBAKE_MARKS = 3  # this many mis-decoded sequences in a text: its page's encoding is broken throughout
_MOJIBAKE_LEADS = ("\u00c3", "\u00c2", "\u00e2")  # Ã, Â, â: how UTF-8 read as Windows-1252 starts
HEADING_OVERLAP = 0.2  # an <h1> sharing this share of words with a declared title is the headline
_COUNT_OR_YEAR = re.compile(r"[\s(),:\[\]]*(?:(?:in|of|for)?[\s(),:\[\]]*\d+[\s(),:\[\]]*)+")  # "8 ", " in 2025"
# A page shorter than ``min_words`` is still a story (a brief, a teaser before a paywall) when its
# page-type score clears the threshold by this much and it has half of those words: kept,
# flagged uncertain. On the corpora the short non-articles score below -3.6, the short stories above 0.
BRIEF_MARGIN = 1.2
BRIEF_SHARE = 2
TITLE_SEPARATORS = re.compile(r"\s+[|\u2013\u2014\-:\u00b7\u2022\u00bb]\s+")


@lru_cache(maxsize=128)
def _selectors(drop_selectors: tuple[str, ...]) -> tuple[CSSSelector, ...]:
    return tuple(CSSSelector(selector) for selector in drop_selectors)


def _drop(tree: etree._Element, drop_selectors: tuple[str, ...]) -> None:
    for selector in (*_selectors(drop_selectors), _consent_banners):
        for element in selector(tree):
            parent = element.getparent()
            if parent is not None:
                element.drop_tree() if hasattr(element, "drop_tree") else parent.remove(element)


# A cookie-consent banner or dialog, named so by the consent plugins and platforms: never the
# story. trafilatura drops most of those named "cookie" in its balanced reading, but not in the
# readings it falls back to, nor those named for the platform, and reads their long explanations
# ("These cookies are necessary...") as prose. WordPress classes a post by its tags and categories
# ("tag-cookies"), and themes mark a page's state on its wrapper ("has-cookie-bar"): those are not
# banners.
_CONSENT_NAME = re.compile(r"cookie|gdpr|onetrust|cmplz|wpconsent|fides-consent|qc-cmp|didomi|usercentrics|osano"
                           r"|sp_message")  # searched lowercased: an IGNORECASE search takes twice as long
_NOT_A_BANNER = ("tag-", "category-", "has-", "is-", "no-", "with-")
_IDS_AND_CLASSES = etree.XPath("//body//*/@id | //body//*/@class")
_NAMES = etree.XPath(_IDS_AND_CLASSES.path, smart_strings=False)  # the same, as plain strings: cheaper
_HOLDS_STORY = etree.XPath("boolean(descendant-or-self::*[self::h1 or self::main or self::article])")


def _consent_banners(tree: etree._Element) -> list[etree._Element]:
    if not _CONSENT_NAME.search(" ".join(_NAMES(tree)).lower()):
        return []  # as on most pages: no name of the kind at all
    named: dict[etree._Element, None] = {}  # in page order, once each
    for name in _IDS_AND_CLASSES(tree):
        lowered = name.lower()
        if _CONSENT_NAME.search(lowered) and any(
                _CONSENT_NAME.search(token) and not token.startswith(_NOT_A_BANNER) for token in lowered.split()):
            named[name.getparent()] = None
    return [element for element in named if not _HOLDS_STORY(element)]


# The parts of an accordion (a how-to's steps, a guide's sections), whose panels stay hidden until
# a reader opens them: styled display:none, marked hidden, or classed so ("-hidden", "-icon") that
# trafilatura, which skips hidden elements and drops widget-like classes, reads none of it. The
# ARIA patterns count too (a region labelled by its button, a panel after a button that says
# whether it is expanded); a site's menus do not.
# trafilatura also drops every element classed "embed" as a share widget; a CMS's embed block
# that holds no embedded post or player (no frame, script, media, quoted post or code to copy)
# holds the story's own profile or pull quote, and a table is the story's wherever it is.
# (Found attributes first, as in metadata: the elements with such a class, the labelled regions, and
# the hidden element just after a disclosure button or after what holds it.)
_MAYBE_HIDDEN = etree.XPath('(//body//*/@class[contains(., "accordion") or contains(., "embed")]/..'
                            ' | //body//*/@role[. = "region"]/parent::*[@aria-labelledby]'
                            ' | //body//*/@aria-expanded/parent::button/ancestor-or-self::*[ancestor::body]'
                            '/following-sibling::*[1][@hidden or @aria-hidden="true"])'
                            '[not(ancestor-or-self::nav or ancestor::header)]')
_EMBEDDED_POST = etree.XPath(".//iframe or .//script or .//video or .//audio or .//object or .//blockquote"
                             " or .//textarea or .//input")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none\s*;?")
_EMBED_CLASS = re.compile(r"\S*embed\S*")


# HTML allows a page's <main> only in <html>, <body>, <div> and <form>. One inside a <header>, a menu
# <button> or a list item was put there by lxml's parser, which keeps an element open that a browser
# would have closed (a <button> whose </button> comes before its inner </div>s).
_MAIN_IN_FURNITURE = etree.XPath("//main/ancestor::*[self::header or self::footer or self::nav or self::aside"
                                 " or self::button or self::li or self::p or self::span or self::a]")


def _as_a_browser_reads(tree: etree._Element) -> None:
    """Mend, in place, where lxml's parser builds a page otherwise than a browser does, in ways that
    cost the story:

    - a ``<main>`` nested in furniture: its furniture ancestors become plain ``<div>``s (else
      trafilatura drops the story with the header and falls back to the page's bare text, menus
      and all, on one line);
    - what follows a premature ``</html>``: the parser makes it a second document element, which
      trafilatura does not read; a browser reads it as the rest of the body.
    """
    for element in _MAIN_IN_FURNITURE(tree):
        element.tag = "div"
    body = tree.find("body")
    if body is None:
        return
    for stray in [element for element in tree.itersiblings() if element.tag == "html"]:
        for child in list(stray):
            if child.tag == "body":
                body.extend(list(child))
            elif child.tag != "head":
                body.append(child)


def _unhide_story_parts(tree: etree._Element) -> None:
    """Show trafilatura the story's parts that it would take for hidden or for widgets."""
    for element in _MAYBE_HIDDEN(tree):
        classes = element.get("class", "")
        if "accordion" in classes and "menu" not in classes:
            element.set("class", "accordion")
            _show(element)
        elif "embed" in classes:
            if element.find(".//table") is not None or not _EMBEDDED_POST(element):
                element.set("class", _EMBED_CLASS.sub("", classes))
        else:
            _show(element)  # a labelled region, or the panel that a disclosure button opens


LINK_LIST_PARAGRAPHS = 4  # this many paragraphs in a row, each one link and nothing more, list other pages
_LINKED_PARAGRAPHS = etree.XPath("//body//p[a]")


def _one_link(paragraph: etree._Element) -> bool:
    links = paragraph.findall(".//a")
    if len(links) != 1:
        return False
    text = "".join(paragraph.text_content().split())
    return bool(text) and len("".join(links[0].text_content().split())) >= 0.9 * len(text)


# A link around a paragraph or a heading: a card that shows another page of the site (its headline,
# its first lines), in a box of related stories. trafilatura's link-density tests look at the links
# inside an element, not at one around it.
_CARDS = etree.XPath("//body//a[@href][.//p or .//h1 or .//h2 or .//h3 or .//h4 or .//h5 or .//h6]")
_CARD_PARTS = etree.XPath(".//*[self::p or self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]")


def _card_lines(tree: etree._Element, url: str, meta: PageMetadata) -> frozenset[str]:
    """The lines (``fold``ed) of the cards of other pages of the site: the text leaves them out
    where it takes them in. (The cards stay in the tree: they are part of the page's layout,
    which trafilatura weighs to find the story's block.) A card of the story itself, under another
    URL, shows the headline: its lines stay."""
    here = origin(url)
    if here is None:
        return frozenset()
    titles = [fold(title) for title in (*meta.titles, meta.html_title or "")]
    lines = set()
    for card in _CARDS(tree):
        target = urljoin(url, card.get("href", "").strip())
        if not same_site(target, (here[1],)) or target.split("#")[0] == url.split("#")[0]:
            continue
        parts = [line for part in (card, *_CARD_PARTS(card)) if (line := fold(" ".join(part.itertext())))]
        if not any(part in title for part in parts[1:] for title in titles):
            lines.update(parts)  # the card as a list item reads as one line, its parts as several
    return frozenset(lines)


def _drop_link_lists(tree: etree._Element) -> None:
    """Drop runs of paragraphs that are each one link: a list of other pages set as paragraphs,
    which trafilatura's link-density tests, made for lists and short paragraphs, keep."""
    runs: list[list[etree._Element]] = []
    for paragraph in _LINKED_PARAGRAPHS(tree):
        if not _one_link(paragraph):
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and last.getnext() is paragraph and not (last.tail or "").strip():
            runs[-1].append(paragraph)
        else:
            runs.append([paragraph])
    for run in runs:
        if len(run) >= LINK_LIST_PARAGRAPHS:
            for paragraph in run:
                paragraph.drop_tree()


def _show(element: etree._Element) -> None:
    if style := element.get("style"):
        element.set("style", _DISPLAY_NONE.sub("", style))
    element.attrib.pop("hidden", None)
    element.attrib.pop("aria-hidden", None)


def clean_title(title: str | None, site_name: str | None, shown: frozenset[str] = frozenset()) -> str | None:
    """A headline without the " | Site Name" suffix (or prefix) that ``<title>`` tags carry. An
    unknown short last part is taken for the site's name, unless a dash or colon sets it off in a
    title the page ``shown`` as its ``<h1>`` (casefolded, as ``_plain`` gives them): "... – das
    erwarten wir" is the headline's own end, where "... | Opinion" is a label."""
    if not title:
        return None
    title = _unmarked(title)
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if site_name and site_name.casefold() in (parts[-1].casefold(), parts[0].casefold()):
        kept = parts[:-1] if parts[-1].casefold() == site_name.casefold() else parts[1:]
        return " - ".join(kept) if len(kept) > 1 else kept[0]
    # An unknown short last part ("... - Demo Daily") is most likely the site's name; so is the one
    # before it when both are ("... | Patient Education | UC Davis Health").
    for _ in range(2):
        if len(parts) < 2 or len(parts[-1].split()) > 4 or len(" ".join(parts[:-1]).split()) < 3:
            break
        if title.casefold() in shown and list(TITLE_SEPARATORS.finditer(title))[-1].group().strip() in "-\u2013\u2014:":
            break  # a dash or colon in a shown headline is its own: a pipe still sets off a name
        title = title[: title.rfind(parts[-1])].rstrip(" |-\u2013\u2014:\u00b7\u2022\u00bb")
        parts = parts[:-1]
    return title


def _overlap(heading: str, title: str) -> float:
    """Shared words over all words (Jaccard) of two titles, case-insensitively; 1 when the title
    starts with the heading (a title that runs on into its description)."""
    if title.casefold().startswith(heading.casefold()):
        return 1.0
    first, second = set(WORD.findall(heading.casefold())), set(WORD.findall(title.casefold()))
    return len(first & second) / len(first | second) if first and second else 0.0


def _site_names(meta: PageMetadata) -> list[str]:
    """Names the site goes by, as written: its declared name, and what ``<title>`` adds around
    the declared headline ("Engora Data Blog: Small adventures..." names the blog)."""
    names = [meta.site_name] if meta.site_name else []
    # (a declared title that is the site's own name says nothing of what is around a headline)
    own_name = bool(meta.titles and names and name_key(meta.titles[0]) in name_forms(names[0]))
    if meta.titles and meta.html_title and not own_name:
        # (an ellipsis typed as three dots in one and as one character in the other is the same)
        headline = " ".join(meta.titles[0].split()).replace("\u2026", "...")
        page = " ".join(meta.html_title.split()).replace("\u2026", "...")
        if headline and page.casefold() != headline.casefold() and headline.casefold() in page.casefold():
            start = page.casefold().index(headline.casefold())
            for extra in (page[:start], page[start + len(headline):]):
                extra = extra.strip(" |-:\u2013\u2014\u00b7\u2022\u00bb")
                if extra and len(extra.split()) <= SITE_NAME_WORDS:
                    names.append(extra)
    return names


def _main_text(tree: etree._Element, url: str, min_words: int) -> Document | None:
    """trafilatura's reading of the page's text; when its balanced mode finds too little to make
    an article, its recall mode, which reads more of the page, if that finds more. trafilatura's
    own metadata pass is not run: ``read_metadata`` reads the page's metadata, and the few
    fallbacks it may lack are asked for one by one, only when missing (``_guessed_*``)."""
    document = bare_extraction(tree, with_metadata=False, **_options(url))
    found = word_count(document.text) if document is not None else 0
    if found < min_words:
        recalled = bare_extraction(tree, with_metadata=False, favor_recall=True, **_options(url))
        if recalled is not None and word_count(recalled.text) > found:
            if document is None:
                return recalled
            document.text = recalled.text
    return document


def _options(url: str) -> dict[str, object]:
    return {"url": url, "include_comments": False, "include_tables": True}


def _fuller_text(tree: etree._Element, url: str, text: str, paragraph_words: int) -> str | None:
    """The main text as trafilatura's recall mode reads it, when the balanced mode left out much
    of the page's prose or many words of its story items (``_STORY_ITEMS``), and the recall mode's
    text is longer and not the page's bare text run together; else None. When the recall mode too misses
    most of the prose, the story's block is read once more without its classes (changing
    ``tree``, which is read no further)."""
    found = word_count(text)
    block = _story_block(tree)  # the readings copy the tree: the block stays where it is
    if found >= UNREAD_PROSE_SHARE * paragraph_words:
        unread = _unread_item_words(block, text) if block is not None else 0
        if unread < UNREAD_ITEM_WORDS or unread < UNREAD_ITEM_SHARE * found:
            return None
    fuller = _recall_reading(tree, url)
    if word_count(fuller) < UNREAD_PROSE_SHARE * paragraph_words and block is not None:
        # Still little of the prose: trafilatura dropped the story's block for the words in its
        # classes. Read it once more without them.
        _declass(block)
        fuller = max(fuller, _recall_reading(tree, url), key=word_count)
    return fuller if word_count(fuller) > found and not _run_on(fuller) else None


# The story's text that its structured data declares (schema.org ``articleBody``) replaces the
# text the page shows when the page shows only part of it (a paywall's teaser, a story that a
# script unfolds): when it holds this share of the shown text's words, and this many times its words.
DECLARED_COVER = 0.9
DECLARED_GAIN = 1.3
DECLARED_PROBE = 200  # characters of the declared text's start that must not come again (a text declared twice)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)(?:\{[^}]*\})?")  # [text](url){: attributes}
_MARKUP_DIRECTIVE = re.compile(r"^\s*(?:\+\+\+|\[#\w+:)")  # "+++dropcap", "[#image: /photos/...]"
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|h[1-6]|li|blockquote)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _declared_text(declared: str | None, shown: str) -> str | None:
    """The ``articleBody`` as plain lines, if it is the whole of a story the page shows only part
    of; else None. Declared bodies come as plain text, as HTML or as Markdown: tags, links'
    targets, emphasis and a CMS's directives are left out."""
    if not declared or not shown:
        return None
    if "<" in declared:  # HTML: a line per block, the tags left out
        declared = _TAG.sub("", _BLOCK_END.sub("\n", declared))
    declared = html_module.unescape(_MARKDOWN_LINK.sub(r"\1", declared))
    lines = [" ".join(line.strip("#* \t").split()) for line in declared.splitlines()
             if not _MARKUP_DIRECTIVE.match(line)]
    text = "\n".join(line for line in lines if line)
    if word_count(text) < DECLARED_GAIN * word_count(shown) or text.find(text[:DECLARED_PROBE], 1) > 0:
        return None
    words = {word.casefold() for word in WORD.findall(text)}
    shown_words = [word.casefold() for word in WORD.findall(shown)]
    held = sum(word in words for word in shown_words)
    return text if held >= DECLARED_COVER * len(shown_words) else None


def _run_on(text: str) -> bool:
    """Whether ``text`` runs most of its words together on one line: the page's bare text, which
    trafilatura falls back to when it finds no main block, menus and all."""
    longest = max((len(line.split()) for line in text.splitlines()), default=0)
    return longest >= RUN_ON_WORDS and longest > len(text.split()) / 2


def _recall_reading(tree: etree._Element, url: str) -> str:
    recalled = bare_extraction(tree, with_metadata=False, favor_recall=True, fast=True, **_options(url))
    return (recalled.text or "") if recalled is not None else ""


STORY_BLOCK_SHARE = 0.6  # the story's block holds at least this share of the long paragraphs' words
_KEPT_FURNITURE = {"nav", "aside", "footer", "form", "header"}


# The page's prose: its paragraphs, and the text that <div>s hold bare.
_PROSE = etree.XPath(f"//body//p | //body//{_BARE_TEXT_DIV}")


def _prose_words(element: etree._Element) -> int:
    """Words in a paragraph, or in the text a <div> holds bare (not in its child elements)."""
    if element.tag == "p":
        return word_count(element.text_content())
    return len(" ".join([element.text or "", *(child.tail or "" for child in element)]).split())


def _story_block(tree: etree._Element) -> etree._Element | None:
    """The block that holds the page's prose: the deepest element with most of the words of its
    long paragraphs and of the prose its <div>s hold bare."""
    held: dict[etree._Element, int] = {}
    total = 0
    for paragraph in _PROSE(tree):
        words = _prose_words(paragraph)
        if words < LONG_PARAGRAPH_WORDS:
            continue
        total += words
        for ancestor in paragraph.iterancestors():
            held[ancestor] = held.get(ancestor, 0) + words
    blocks = [element for element, words in held.items() if words >= STORY_BLOCK_SHARE * total]
    return max(blocks, key=lambda element: sum(1 for _ in element.iterancestors())) if blocks else None


def _declass(block: etree._Element) -> None:
    """Strip the classes and ids inside the story's block (``_story_block``), in place: trafilatura
    drops elements by words in their classes ("slide", "teaser", "info", "embed"), and a story's
    own markup may carry them."""
    for element in block.iter():
        if isinstance(element.tag, str) and element.tag not in _KEPT_FURNITURE:
            element.attrib.pop("class", None)
            element.attrib.pop("id", None)


def _unread_item_words(block: etree._Element, text: str) -> int:
    """Words in the story items (``_STORY_ITEMS``) of the story's block, of some length, that
    ``text`` does not have."""
    flat = " ".join(text.split())
    unread = 0
    for item in _STORY_ITEMS(block):
        words = item.text_content().split()
        if len(words) >= ITEM_WORDS and " ".join(words)[:ITEM_PROBE] not in flat:
            unread += len(words)
    return unread


def _guessed_authors(tree: etree._Element, meta: PageMetadata) -> list[str]:
    """trafilatura's guess at the author (its reading of the meta tags and JSON-LD, else of the
    markup), unless it is only pieces of an organisation that the structured data credits
    ("Center; Research" of "Center for Drug Evaluation and Research")."""
    declared = trafilatura_metadata.examine_meta(tree)
    if declared.author and " " not in declared.author:  # a handle, not a name (as trafilatura does)
        declared.author = None
    try:
        declared = trafilatura_metadata.extract_meta_json(tree, declared)
    except Exception:  # its JSON-LD reading fails on odd data; the markup remains
        pass
    guessed = declared.author or trafilatura_metadata.extract_author(tree)
    if not guessed:
        return []
    credited = {word for name in meta.organisation_authors for word in WORD.findall(name.casefold())}
    pieces = [piece for piece in guessed.split(";") if piece.strip()]
    if credited and all(set(WORD.findall(piece.casefold())) <= credited for piece in pieces):
        return []
    return [guessed]


def _agreeing_date(meta: PageMetadata, published: ParsedDate, printed: ParsedDate,
                   timezone: str | None) -> ParsedDate | None:
    """Of the page's structured publication dates, the first that names the day the page prints
    under its headline, when the first of them does not (a CMS's first-draft date before the
    story's, a copy's date before the original's); None when none does or the first does."""
    if published.day == printed.day:
        return None
    for raw in meta.published:
        if raw == published.raw or not (agreeing := parse_date(raw, timezone, language=meta.language)):
            continue
        # a day alone does not displace a moment: a newspaper's edition date beside its story's
        # time online the evening before (the page prints the edition's)
        if agreeing.day == printed.day and (agreeing.has_time or not published.has_time):
            return agreeing
    return None


SIGNATURE_WORDS = 4


def _signature(text: str) -> tuple[str, ...]:
    """The writer's name alone on the story's last line, as some newsrooms sign their stories: the
    whole line a person's name, not a label's value ("Kreole: Stella Hoops") nor a heading in capitals."""
    last = text.rstrip().rpartition("\n")[2].strip()
    if not 2 <= len(last.split()) <= SIGNATURE_WORDS or last.isupper() or ":" in last or not last[-1].isalpha():
        return ()
    return (last,) if people_in(last) == (last,) else ()


def _a_date_line(meta: PageMetadata) -> bool:
    """Whether the printed date stands in a line of its own, or beside a few words (a label, a
    byline: "Von Anna Schmidt, 5. Juni 2024"), not inside a sentence, a citation or a teaser."""
    line = meta.dateline or ""
    for date in meta.visible_dates:
        line = line.replace(date, " ")
    return len(WORD.findall(line)) <= DATE_LINE_WORDS


def _guessed_date(tree: etree._Element, url: str) -> str | None:
    """htmldate's guess at the publication day (YYYY-MM-DD), for a page whose metadata and markup
    give none. A bare year comes back as its January 1."""
    try:
        return find_date(tree, url=url, **set_date_params(True))
    except (ValueError, OverflowError):  # htmldate on a date it parses but cannot compare ("+99:00")
        return None


def _title(meta: PageMetadata, fallback: str | None) -> str | None:
    """The headline as the page shows it.

    The visible ``<h1>`` is the headline readers see, but pages also put the site's name, a
    section or a menu in an ``<h1>``; the right one shares words with the titles the page
    declares (structured data, ``<title>``, trafilatura's pick). Without such an ``<h1>``, the
    declared titles themselves, without the site name they carry.
    """
    site = meta.site_name
    names = {form for name in _site_names(meta) for form in name_forms(name)}
    shown = frozenset(_plain(h) for h in meta.h1s)
    headings = [clean_title(h, site, shown) for h in meta.h1s if len(h.split()) <= MAX_TITLE_WORDS]
    headings = [h for h in headings if h and name_key(h) not in names]
    picked = clean_title(fallback, site) or ""
    # trafilatura often takes its title from an <h1>: that is no second opinion on the <h1>
    if picked.casefold() in {h.casefold() for h in headings}:
        fallback = None
    # Without an <h1>, its pick of the markup (an element classed "title": a comment form's, a
    # category's) stands only beside a <title> that says the same.
    if fallback and not headings and meta.html_title and _overlap(
            picked, clean_title(meta.html_title, site) or "") < HEADING_OVERLAP:
        fallback = None
    declared = [clean_title(c, site, shown) for c in (*meta.titles, meta.html_title, fallback) if c]
    declared = [d for d in declared if d]
    if headings and declared:
        heading = next((h for h in headings if max(_overlap(h, d) for d in declared) >= HEADING_OVERLAP), None)
        if heading is not None:
            return _as_declared(heading, declared)
    elif len(headings) == 1:
        return _as_declared(headings[0], declared)
    candidates = [clean_title(c, site, shown) for c in (*meta.titles, fallback, meta.html_title) if c]
    candidates = [c for c in candidates if c]
    if not candidates:
        return None
    first = candidates[0]
    if len(first) >= TRUNCATED_HEADLINE:  # structured headlines are often cut at 100-110 characters
        first = max((c for c in candidates if c.casefold().startswith(first.casefold())), key=len)
    return first


def _unmarked(title: str) -> str:
    """A title unescaped (CMSs often escape twice: "&amp;#8211;"), without invisible marks (a soft
    hyphen in an <h1> only), its spaces normalised."""
    return " ".join(html_module.unescape(title).translate(INVISIBLE).split())


def _plain(title: str) -> str:
    """A title as ``clean_title`` compares it: ``_unmarked``, casefolded."""
    return _unmarked(title).casefold()


def _as_declared(heading: str, declared: list[str]) -> str:
    """The heading, or the declared title it shows imperfectly: with characters lost to a wrong
    encoding ("Beginner? Guide"), behind a label ("Blog: ..."), in capitals for display ("BEST
    DRIP COFFEE MAKER"), or without the count or year it declares ("8 Recent Trends in ...",
    "... for Seniors in 2025")."""
    if heading.isupper() and declared:
        return max(declared, key=lambda title: _overlap(heading, title))
    for title in declared:
        head, found, tail = title.casefold().partition(heading.casefold())
        if found and (head or tail) and _COUNT_OR_YEAR.fullmatch(f"{head} {tail}"):
            return title
    if "?" in heading or "\ufffd" in heading:
        pattern = re.compile(
            "".join(".{1,3}?" if ch in "?\ufffd" else re.escape(ch) for ch in heading), re.IGNORECASE | re.DOTALL
        )
        for title in declared:
            if title != heading and pattern.fullmatch(title):
                return title
    label, colon, rest = heading.partition(":")
    if colon and len(label.split()) <= 2:
        rest = rest.strip()
        if any(rest.casefold() == title.casefold() for title in declared):
            return rest
    # A kicker set before the headline in the <h1> ("Eskalation im Nahen Osten - «...»"): the
    # declared titles give the headline alone, or behind a kicker of their own.
    for dash in KICKER_DASHES:
        kicker, found, rest = heading.partition(dash)
        rest = rest.strip()
        if found and len(kicker.split()) <= KICKER_WORDS and len(rest.split()) > len(kicker.split()) and any(
                title.casefold() == rest.casefold() or (
                    title.casefold().endswith(rest.casefold())  # behind a kicker of its own, not this one reworded
                    and _overlap(kicker, title[:len(title) - len(rest)]) < KICKER_REWORDED)
                for title in declared):
            return rest
    return heading


def _body(text: str, title: str | None, rules: ExtractionRules, cards: frozenset[str] = frozenset()) -> str:
    """trafilatura's text without the headline it repeats, furniture lines and the lines of cards
    of other pages (``_card_lines``)."""
    return strip_boilerplate(_without_headline(text, title), rules.drop_lines, cards)


def _without_headline(text: str, title: str | None) -> str:
    """The body without a line near its top that only repeats the headline, nor what is above it:
    one line of any length (a promo, a disclosure, a kicker) and short lines (a masthead, a section
    label, a breadcrumb: "The Go Blog", "Company Spotlight"); a second long line above it is prose."""
    if not title:
        return text
    lines, headline = text.split("\n", HEADLINE_LINES), fold(title)
    for index, line in enumerate(lines[:HEADLINE_LINES]):
        if fold(line) == headline:
            rest = "\n".join(lines[index + 1:])
            if word_count("\n".join(lines[:index])) > word_count(rest):
                # more above it than below: the story came first, and the headline heads a box
                # after it (a paywall's teaser of the same story): only the headline goes
                return "\n".join([*lines[:index], rest])
            return rest
        if index > 0 and len(line.split()) > MASTHEAD_WORDS:
            break
    return text


def _page_type(analysis: Analysis, rules: ExtractionRules) -> bool:
    """Raise ``NotAnArticle`` unless the page reads as one news article; True when it is kept
    though uncertain: a brief (shorter than ``min_words``) on a page that plainly reads as a story."""
    score = page_type_score(analysis.features)
    if analysis.words < rules.min_words:
        if score > THRESHOLD + BRIEF_MARGIN and analysis.words >= rules.min_words // BRIEF_SHARE:
            return True
        if analysis.cut_short:  # the page's rest was never read: its length says nothing
            raise NotAnArticle("too_complex", f"{analysis.words} words read: {PARSER_STOPPED}", score)
        raise NotAnArticle("too_short", f"{analysis.words} words", score)
    if score <= THRESHOLD:
        reason = "listing" if analysis.meta.headline_links >= LISTING_HEADLINES else "not_article_type"
        raise NotAnArticle(reason, f"score {score:+.1f}", score)
    return False


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page bytes as text: the charset from the HTTP header, a BOM or the page's ``<meta>``, else
    UTF-8; and when those bytes are not valid in that charset, the charset they are in (see
    ``decode_page``)."""
    return decode_page(body, content_type)[0]


def _declared_reading(content_type: str | None, body: bytes) -> tuple[str, str]:
    """The page's text in the charset it declares (a byte-order mark, the Content-Type header, a
    ``<meta>``), else in UTF-8, as w3lib's ``html_to_unicode`` read it with a UTF-8 fallback before
    w3lib 2.6 (which guesses from the bytes instead, and deprecates the fallback). Undeclared bytes
    that are no UTF-8 are mended by the caller, with charset-normalizer."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return bom_encoding, to_unicode(body[len(bom):], bom_encoding)
    encoding = http_content_type_encoding(content_type) or html_body_declared_encoding(body) or "utf-8"
    return encoding, to_unicode(body, encoding)


def decode_page(body: bytes, content_type: str | None = None) -> tuple[str, bool]:
    """``decode_html``'s text, and whether its charset had to be mended: a page declared UTF-8
    but sent in Windows-1252, or Shift_JIS with no charset declared, decodes with replacement
    characters that its bytes do not hold; then charset-normalizer tells the charset they are in."""
    try:
        encoding, text = _declared_reading(content_type, body)
    except (LookupError, UnicodeError):  # a charset named that is no text's ("base64", "rot13", "idna")
        encoding, text = "utf-8", body.decode("utf-8", "replace")
    broken = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")  # (the page may hold the character itself)
    if broken <= 0 or broken < MENDED_SHARE * sum(1 for ch in text if ord(ch) > 127):
        return text, False  # valid as declared, or a few stray bytes in a page that mostly is
    best = charset_normalizer.from_bytes(body[:MENDING_PROBE]).best()
    if best is None or codecs.lookup(best.encoding).name == codecs.lookup(encoding).name:
        return text, False
    try:
        mended = body.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return text, False
    return mended, True


# The parser trafilatura reads pages with, but with one class for every element. lxml.html's own
# parser asks a Python function for each element's class, each time an element is reached (a form's
# fields have classes of their own, which extraction never uses); trafilatura, readability and the
# cascade reach elements some 6,000 times a page, and those calls took about an eighth of extract()'s
# CPU. The tree reads the same: every element is still an ``HtmlElement``.
_PARSER = lxml_html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                               remove_comments=True, remove_pis=True)
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment, pi=lxml_html.HtmlProcessingInstruction,
    entity=lxml_html.HtmlEntity))


# A character reference to a control character XML has no place for (C0 but tab and line ends;
# U+FFFE, U+FFFF): libxml2 reads it into the tree, and trafilatura then fails to build its own
# tree of the text and drops the whole story over one "&#x1b;".
_CONTROL_REFERENCE = re.compile(r"&#(?:0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45])(?![0-9])"
                                r"|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF])(?![0-9a-fA-F]));?")


# More elements than any story's page has (the development corpora's largest: about 10,000): a
# trap or a dump, which trafilatura reads in time growing faster than its size (100,000 paragraphs:
# 11 s, 300,000: 2 minutes). Rejected before reading, its capture kept as every rejected page's is.
MAX_ELEMENTS = 60_000
# libxml2 stops reading a page nested deeper than 256 elements (its limit without XML_PARSE_HUGE,
# which trafilatura does not lift either): a page rejected after that is said to be too complex,
# not too short, and keeps its capture for a later reader.
PARSER_STOPPED = "nested deeper than the parser reads (256 levels): the rest of the page was not read"


def parse_html(html: str) -> lxml_html.HtmlElement | None:
    """The page's tree, read as trafilatura's ``load_html`` reads it (with its repairs of what
    libxml2 cannot read), on ``_PARSER``, without references to control characters; None when
    the text is no HTML document."""
    beginning = html[:50].lower()
    html = _CONTROL_REFERENCE.sub("", repair_faulty_html(html, beginning))
    try:
        tree = lxml_html.fromstring(html, parser=_PARSER)
    except (ValueError, etree.LxmlError):  # a string that declares its own encoding, say
        tree = None
    if tree is None or len(tree) < 1:
        try:
            tree = lxml_html.fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
        except (ValueError, etree.LxmlError):
            return None
    if is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def _parser_stopped() -> bool:
    """Whether ``parse_html``'s last page was read only in part: libxml2 stops at its depth limit."""
    return any(error.type_name == "ERR_RESOURCE_LIMIT" for error in _PARSER.error_log)


def page_url(url: str, canonical: str | None) -> str:
    """The URL to store the page under: its ``rel=canonical`` when that stays on the same site: the
    same host (or a subdomain) on the same port, http and https on their default ports alike. A
    canonical that names the site's home page, or a section's front, for a page that is neither is
    a template's mistake, not this page's address (every story so marked was stored as one page)."""
    if canonical:
        try:
            target = urljoin(url, canonical)
        except ValueError:  # "http://[::1/x": no URL
            return canonical_url(url)
        here, there = origin(url), origin(target)
        if here and there and same_site(target, (here[1],)) and (
                here[2] == there[2] or {here[2], there[2]} <= DEFAULT_WEB_PORTS) and not (
                _front(target) and not _front(url)):
            return canonical_url(target)
    return canonical_url(url)


def _front(url: str) -> bool:
    """Whether ``url`` is a site's home page or a section's front."""
    parts = urlsplit(url)
    return (parts.path.strip("/") == "" and not parts.query) or section_front(url)


@dataclass(frozen=True)
class Analysis:
    """Everything read from one page, before deciding whether it is an article."""

    meta: PageMetadata
    title: str | None
    text: str
    authors: tuple[str, ...]
    published: ParsedDate | None
    features: PageFeatures
    tree: etree._Element  # the page as read, for the fallbacks an article may need
    cut_short: bool = False  # the parser stopped reading the page (nested past its depth limit)

    @property
    def words(self) -> int:
        return word_count(self.text)


def analyse(html: bytes | str, url: str, rules: ExtractionRules | None = None, timezone: str | None = None,
            content_type: str | None = None) -> Analysis:
    """Read the page: metadata, the main text without boilerplate, and the page-type features.

    Raises ``NotAnArticle`` when there is nothing to read (no HTML, no main text), and when the
    page says plainly that it is no story (``not_a_story``: a bot wall, a forum thread...), which
    its metadata and URL show before the costly reading of its text.
    """
    rules = rules or DEFAULT_RULES
    if isinstance(html, bytes):
        html = decode_html(html, content_type)
    tree = parse_html(html) if html.strip() else None
    if tree is None:
        raise NotAnArticle("unparseable", "no HTML document")
    if (elements := sum(1 for _ in islice(tree.iter(), MAX_ELEMENTS + 1))) > MAX_ELEMENTS:
        raise NotAnArticle("too_complex", f"over {elements - 1:,} elements")
    cut_short = _parser_stopped()
    _as_a_browser_reads(tree)
    meta = read_metadata(tree, markup_credits=False)
    if decided := not_a_story(meta, url):  # before any length: a bot wall is one however short
        raise NotAnArticle(*decided)
    site = (meta.site_name, *meta.credited_by_address) if meta.site_name else ()
    if not (clean_authors(meta.authors, site) or clean_authors(meta.microdata_authors, site)):
        read_markup_credits(tree, meta)  # else unused: structured credits come first among the sources below
    if not (meta.tags and meta.categories):  # what the metadata does not declare, the box of labels shows
        tags, categories = read_labels(tree)  # (before the site's rules drop that box as furniture)
        meta.tags, meta.categories = meta.tags or tags, meta.categories or categories
    _drop(tree, rules.drop_selectors)
    _unhide_story_parts(tree)
    shape = page_shape(tree)
    cards = _card_lines(tree, url, meta)
    _drop_link_lists(tree)
    document = _main_text(tree, url, rules.min_words)
    if document is None:
        raise NotAnArticle("too_complex", PARSER_STOPPED) if cut_short else NotAnArticle(
            "no_text", "trafilatura found no main text")
    # trafilatura's title is the declared one (ours already) or, without one, its pick of the markup
    title = _title(meta, None if meta.titles else trafilatura_metadata.extract_title(tree))
    byline = leading_byline(_without_headline(document.text or "", title))
    text = _body(document.text or "", title, rules, cards)
    published = first_date([*meta.published, *meta.published_times, *meta.visible_dates], timezone,
                           language=meta.language)
    guessed = _guessed_date(tree, url) if published is None else None
    if guessed and not guessed.endswith("-01-01"):  # a bare year ("Best laptops of 2026", "© 2014"): no date
        published = first_date([guessed], timezone)
    structured = published is not None and published.raw in meta.published  # for the page type, as fitted
    printed = first_date(meta.visible_dates, timezone, language=meta.language)
    if published and printed and (agreeing := _agreeing_date(meta, published, printed, timezone)):
        published = agreeing
    if published and printed and _a_date_line(meta) and (
            # The page prints an earlier publication date than its metadata gives (a story moved
            # to a new CMS or re-published): the printed one is when it first appeared.
            published.value - printed.value > REPUBLISHED
            # Only a <time> element dated the page, days away from the date printed by its
            # headline: a teaser's, a comment's or the template's; the headline's is the story's.
            or (abs(published.value - printed.value) > REPUBLISHED and published.raw not in meta.published)):
        published = printed
    # Structured authors first, then trafilatura's guess, then elements marked as bylines (each on
    # its own, in page order), then a byline at the top of the text or in plain markup after the
    # headline, a person the dateline names, or an author box; an organisation credited as the
    # author in structured data only when no person is named anywhere.
    guessed_authors = cache(lambda: _guessed_authors(tree, meta))  # read once, and only when asked for

    def sources() -> Iterator[list[str] | tuple[str, ...]]:
        yield from (meta.authors, meta.microdata_authors)
        yield from (guessed_authors(), meta.link_authors, *([candidate] for candidate in meta.byline_authors),
                    [byline] if byline else [], [meta.labelled_byline] if meta.labelled_byline else [],
                    people_in(meta.dateline), meta.written_by[:1], meta.organisation_authors)

    publishers = meta.publisher_names  # (a property that reads the credits: once)
    authors = next((found for names in sources() if (found := clean_authors(names, publishers))), ())
    named = bool(authors)  # a byline of any kind: evidence of a story
    # Then a link to an author's page (listings and author pages have those too, so no evidence),
    # a labelled field anywhere (a book's or a product's author is one too), then the site itself
    # credited as the author ("By EcoFlow" on its blog), when no one else is.
    # A name signing the story's last line: the text keeps it (a sign-off, as readers see it).
    signed = () if authors else _signature(text)
    if not authors:
        authors = clean_authors(meta.profile_authors[:1], meta.site_name) or clean_authors(
            meta.field_authors[:1], publishers) or signed or next(
            (found for names in sources() if (found := clean_authors(names))), ())
    if not authors and (owner := site_owner([*_site_names(meta), *meta.copyright_holders], url)):
        authors = (owner,)  # a personal site: its owner writes it
    if len(authors) > 1 and (writers := clean_authors(list(authors), publishers)):
        authors = writers  # the paper credited beside its writers ("Jane Roe, The Daily") is no author
    credit_lines = tuple(name for name in authors if name not in signed)  # lines the text loses
    text = without_metadata_lines(text, credit_lines)
    dated = published is not None or bool(guessed)  # a year alone is still a sign, for the page type
    features = page_features(meta, shape, url, word_count(text), dated, structured, named)
    # Only a story is read a second time (the page type was fitted on the first reading), and
    # read whole from the text it declares when the page shows only part of it.
    if page_type_score(features) > THRESHOLD:
        if fuller := _fuller_text(tree, url, document.text or "", shape.paragraph_words):
            text = without_metadata_lines(_body(fuller, title, rules, cards), credit_lines)
        if declared := _declared_text(meta.article_body, text):
            text = without_metadata_lines(_body(declared, title, rules, cards), credit_lines)
    return Analysis(meta, title, text, authors, published, features, tree, cut_short)


def extract(html: bytes | str, url: str, rules: ExtractionRules | None = None,
            timezone: str | None = None, content_type: str | None = None) -> Article:
    """The clean article on the page at ``url``; raises ``NotAnArticle`` for any other page.

    ``timezone`` (an IANA name) is applied to dates that the page prints without one;
    ``content_type`` (the HTTP header) names the charset of ``html`` bytes, if it does.
    """
    rules = rules or DEFAULT_RULES
    analysis = analyse(html, url, rules, timezone, content_type)
    uncertain = _page_type(analysis, rules)
    meta, published = analysis.meta, analysis.published
    if not analysis.title:
        raise NotAnArticle("no_title")
    modified = first_date(meta.modified, timezone, language=meta.language)
    article = Article(
        url=page_url(url, meta.canonical),
        title=analysis.title,
        text=analysis.text,
        description=next(iter(meta.descriptions), None),
        authors=analysis.authors,
        published_at=published.iso if published else None,
        published_raw=published.raw if published else None,
        modified_at=modified.iso if modified else None,
        modified_raw=modified.raw if modified else None,
        language=meta.language or detect_language(analysis.text),
        tags=distinct(meta.tags),
        categories=distinct(meta.categories),
        image=next(iter(meta.images), None),
        site_name=meta.site_name or trafilatura_metadata.extract_sitename(analysis.tree),
        uncertain=uncertain,
        declared_title=_declared_headline(meta, analysis.title),
    )
    return _with_encoding_mended(article) if _broken_encoding(article.text) else article


def _declared_headline(meta: PageMetadata, shown: str) -> str | None:
    """The headline the page declares (its first declared title, the site's name taken off) when
    it says more or otherwise than the one it shows: newsrooms write one for search and sharing
    beside the one on the page, and change either over a story's life."""
    # (a dash or colon part of a headline the page shows is its own, as for the title: "... – das erwarten wir")
    declared = clean_title(next(iter(meta.titles), None), meta.site_name,
                           frozenset(_plain(h) for h in (*meta.h1s, shown)))
    return declared if declared and _plain(declared) != _plain(shown) else None


def _broken_encoding(text: str) -> bool:
    """Whether ``text`` comes from a page whose encoding is broken throughout: UTF-8 read as
    Windows-1252 somewhere between the writer and the server ("isn\u00e2\u20ac\u2122t", "a\u00c2 split
    keyboard"), as browsers show it too. One such sequence alone may be quoted on purpose (a story
    about mojibake), so it takes several."""
    return any(lead in text for lead in _MOJIBAKE_LEADS) and badness(text) >= MOJIBAKE_MARKS


def _with_encoding_mended(article: Article) -> Article:
    """The article's texts as their writer wrote them (ftfy undoes the mis-decoding, and only that:
    quotes, ligatures and widths stay as they are)."""
    return replace(
        article, title=fix_encoding(article.title), text=fix_encoding(article.text),
        description=fix_encoding(article.description) if article.description else None,
        authors=tuple(map(fix_encoding, article.authors)), tags=tuple(map(fix_encoding, article.tags)),
        categories=tuple(map(fix_encoding, article.categories)),
        site_name=fix_encoding(article.site_name) if article.site_name else None,
        declared_title=fix_encoding(article.declared_title) if article.declared_title else None)
