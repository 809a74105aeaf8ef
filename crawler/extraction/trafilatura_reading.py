"""trafilatura's reading of a page's text, without the comparisons that cannot change it.

After its own extractor, trafilatura runs readability on the page (and jusText when the text is
short or holds page furniture) and keeps its own text unless readability's "wins"
(``trafilatura.external.compare_extraction``). Readability reads a part of the page, so it cannot
win against a text that holds more than half of the page's, has paragraphs and is not a table's:
on such a page (about half of real news pages) the comparison is only cost, a tenth of the
reading's. ``bare_extraction`` here is trafilatura's, with that comparison skipped where its
outcome is known in advance: the text is the same as trafilatura's, to the character (the three
corpora read the same). trafilatura read by anyone else in the process compares as always, and so
does a trafilatura release other than those the conditions were checked against (``ACTIVE``).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import trafilatura
import trafilatura.core as trafilatura_core
from lxml import etree
from trafilatura import bare_extraction as trafilatura_bare_extraction
from trafilatura.external import SANITIZED_XPATH
from trafilatura.utils import trim

# readability drops these before reading, and writes this word into each <iframe> it keeps
_NOT_READ = ("script", "style")
_IFRAME_TEXT = len("VIDEO")
# elements whose text the HTML parser takes as it is written: readability writes its reading as XML
# ("&" as "&amp;") and trafilatura parses it again as HTML, so their text comes back longer
_RAW_TEXT = ("xmp", "noembed", "noframes", "plaintext")
# the trafilatura releases whose comparison ``settled`` was checked against (its conditions are
# trafilatura's own, restated): with another, trafilatura compares as it always does
CHECKED_RELEASES = ("2.3.",)

_ours: ContextVar[bool] = ContextVar("newsarchive_trafilatura_reading", default=False)
_compare_extraction = getattr(trafilatura_core, "compare_extraction", None)


def settled(raw_tree: Any, body: Any, text: str, options: Any) -> bool:
    """Whether trafilatura's comparison would keep ``text`` (its extractor's, of ``body``) whatever
    readability reads of ``raw_tree``: in balanced mode readability's text wins only when it is
    more than twice as long, or when trafilatura's has no paragraph or more tables than
    paragraphs; and jusText is asked only for a short text or one with page furniture in it."""
    if getattr(options, "focus", None) != "balanced" or len(text) < options.min_extracted_size:
        return False
    if not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p")):
        return False
    if body.xpath(SANITIZED_XPATH) or next(raw_tree.iter(_RAW_TEXT), None) is not None:
        return False
    return 2 * len(text) > readable_length(raw_tree)


def readable_length(tree: Any) -> int:
    """At most the length of any text readability reads of ``tree``, whitespace folded as
    trafilatura folds it: the page's text without its scripts and styles (each piece taken out
    folds away its own length, less the space or two left at its edges), and readability's word
    for each <iframe>."""
    length = len(trim(etree.tostring(tree, method="text", encoding="unicode")))
    for element in tree.iter(_NOT_READ):
        if element.text and len(element) == 0:
            length -= max(len(trim(element.text)) - 2, 0)
    return length + _IFRAME_TEXT * sum(1 for _ in tree.iter("iframe"))


def _compare_unless_settled(cleaned_tree: Any, raw_tree: Any, body: Any, text: str, options: Any) -> Any:
    if _ours.get() and settled(raw_tree, body, text, options):
        return body, text
    return _compare_extraction(cleaned_tree, raw_tree, body, text, options)


ACTIVE = _compare_extraction is not None and trafilatura.__version__.startswith(CHECKED_RELEASES)
if ACTIVE:  # (another trafilatura compares as it always did)
    trafilatura_core.compare_extraction = _compare_unless_settled


def bare_extraction(*args: Any, **kwargs: Any) -> Any:
    """``trafilatura.bare_extraction``, with the comparison skipped where it cannot change the text."""
    token = _ours.set(True)
    try:
        return trafilatura_bare_extraction(*args, **kwargs)
    finally:
        _ours.reset(token)
