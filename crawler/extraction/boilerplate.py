"""Boilerplate lines that survive generic extraction: tag lines, post navigation, share prompts.

trafilatura removes most page furniture; what is left are short lines that CMS templates put
right around the article body. They are matched as whole lines, never inside a paragraph.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from ..sites import PATTERN_PREFIX, drop_line_pattern
from .article import INVISIBLE
from .dates import SHORT_DATE, date_in_text, has_digit
from .text import word_count
from .words import BYLINE_LABELS, alternation, every

# Whole lines that are page furniture on any site (compared case-insensitively).
GENERIC_LINES = frozenset(line.casefold() for line in (
    "Previous Post Next Post", "Previous Post", "Next Post", "Previous article Next article",
    "Older Post Newer Post", "Newer Post Older Post", "Share this:", "Share this", "Share",
    "Share this article", "Share on Facebook", "Share on Twitter", "Related posts", "Related Posts:",
    "Related articles", "Read more", "Read More", "Leave a Reply", "Leave a comment",
    "Click to share on Twitter", "Like this:", "Loading...", "Advertisement", "ADVERTISEMENT",
    "Continue reading", "Subscribe to our newsletter", "Post navigation", "Tags", "Tags:",
))
# Short lines that sell, sign up, share or navigate: calls to action, newsletter boxes, reading-time
# badges, disclosures and legal lines. Matched only on lines of at most FURNITURE_WORDS words: by
# how the line starts (FURNITURE_START, matched at its start only) or by a phrase anywhere in it
# (FURNITURE_PHRASE). Two patterns, as one would be tried at every position of every line.
FURNITURE_START = re.compile(
    # whole lines
    r"^(sign ?up|subscribe|log ?in|share|share this( article| post| story)?|share on \w+|follow us|newsletters?|"
    r"get started( today| now| for free)?|apply now|book a (demo|call)|back to (blog|blogs|top|home|articles|news)|"
    r"related:|related (posts|articles|stories):?|you (might|may) also like:?|pin (it|for later)|see packages|"
    r"view on amazon|next article:?|previous article:?|read (more|next|also)|see also|"
    r"\d+\s*(min|minute)s?\.?\s+read( time)?|written by|(last )?(posted|published|updated)( on)?|table of contents|"
    r"related post|download now|search|home|menu|blog( index| home)?|about us|contact info(rmation)?|"
    r"enter your email( address)?|authors?|"
    r"live chat( with us)?|skip to (main )?content|(advertisement)+|"
    r"facebook|instagram|twitter|x|linkedin|tiktok|youtube|pinterest|threads|bluesky|email|print|copy link|"
    r"(want to )?work with us\??|reach us|contact us( today| now)?|get in touch|"
    r"thank you! your submission has been received|oops! something went wrong while submitting the form)[.!:]?$"
    # form furniture: a spam trap's label, a sign-up's thanks
    r"|^if you are a human\b|^thanks? (you )?for (subscribing|signing up)\b"
    # a link to another story, labelled: "Related: What the budget means for you"
    r"|^(related|see also|read (also|more|next)|also read|you (might|may) also like|recommended( reading)?|"
    r"(next|previous) (article|post|story))\s*:\s*\S"
    # calls to action that start the line
    r"|^(sign ?up (for|to)|subscribe (to|for|now)|join (our|the|medium)|follow us (on|for)|"
    r"browse (related|more|all))\b"
    # a link to the author's other work, a rating widget
    r"|^((view|see|read) (all |more )?|(all|more) )(posts|articles|stories) by\b"
    r"|^view (the )?author'?s? (page|profile)\b|^rate this (article|post|story|page)\b"
    # a paywall's lines, a quote form's call
    r"|^already (have an account|a (subscriber|member))\b"
    r"|^(get|request) (a|your) free (quote|estimate|consultation)\b"
    # a legal line
    r"|^(©|\(c\)|copyright ©?\s*\d{4})"
    # a template's placeholder that was never filled in: "[CTA_MODULE]"
    r"|(?-i:^\[[A-Z][A-Z0-9]*_[A-Z0-9_]+\]$)",
    re.IGNORECASE)
FURNITURE_PHRASE = re.compile(
    r"\beditorial (process|guidelines|policy|standards)\W*$|\baffiliate links?\b"
    # a newsletter or inbox pitch, an affiliate disclosure
    r"|\b(newsletters?|inbox)\b.*\b(sign ?up|subscribe|join|deliver|receive|straight|right)"
    r"|\b(sign ?up|subscribe|join|deliver(ed)?|get|receive)\b.*\b(newsletters?|inbox)\b"
    r"|\b(affiliate|amazon associate)\b.*\b(earn|commission|qualifying)"
    r"|\b(right|straight|directly) (in)?to your inbox\b|\bnotifications? (about|of|for) new (posts|articles|stories)\b"
    # a paywall's line, a legal line
    r"|\bexclusive (to|for) \S+( \S+)? (subscribers|members)\b"
    r"|\b(all rights reserved|privacy policy|terms of (use|service)|cookie (policy|settings)|advertiser disclosure)$",
    re.IGNORECASE)
FURNITURE_WORDS = 15
# Longer lines that are still furniture: how the site earns from the links in the story, a plea to
# fund it, an invitation to follow it elsewhere.
DISCLOSURE = re.compile(
    r"\b(we|i)( \w+){0,2} (earn|receive|get) (an? )?(small )?(affiliate )?(commission|compensation)\b"
    r"|\bmay earn (us |me )?(an? )?(small )?(affiliate )?commission\b|\bwe may be compensated\b"
    r"|\bearn from qualifying purchases\b|\bmay receive (financial )?compensation\b"
    r"|\bfunded by readers\b|\bfollow us on (facebook|instagram|twitter|x|linkedin|tiktok|youtube|threads|bluesky)\b",
    re.IGNORECASE)
DISCLOSURE_WORDS = 45
# A form's consent to be contacted, whatever its length: "By entering your email address you agree
# to our Terms of Use...", "By providing a telephone number ..., you are consenting to be contacted",
# "Terms of submitting this form: I agree that ... may contact me".
FORM_CONSENT = re.compile(
    r"^(by (submitting|providing|clicking|signing up|entering|checking|subscribing|registering|continuing)\b"
    r"[^.]*\b(you|i) (agree|consent|are consenting|acknowledge|accept)\b|terms of submitting this form\b)",
    re.IGNORECASE)
LIST_MARK = re.compile(r"^([-*\u2022]|\d+[.)]?)\s*")  # "- ", "* ", "• ", "3. "
# A date label ("Last updated: June 3, 2024 at 9:27 am"): the date is metadata, not text.
DATE_LABEL = re.compile(r"^(last )?(updated|published|posted|modified|reviewed)( on| at)?\s*:?\s*", re.IGNORECASE)
# A label line listing the story's tags or categories; kept as metadata, not as text.
TAG_LINE = re.compile(r"^(tags?|labels?|tagged( with)?|topics?|categories|category|filed under|"
                      r"posted in|keywords|schlagw(ö|oe)rter|schlagworte|stichw(ö|oe)rter|themen|"
                      r"[ée]tiquettes|mots[- ]cl[ée]s|etiquetas|temas|argomenti|trefwoorden)"
                      r"\s*:?\s+(?P<items>\S.{0,300})$", re.IGNORECASE)
# A leading "By Name · 12.06.2024" line: the byline is metadata, not text.
BYLINE = re.compile(r"^(by|von|par|por|di|door|posted by|written by)\s+\S.{0,200}$", re.IGNORECASE)
BYLINE_WORDS = 20
TAG_ITEM_WORDS = 6  # "International news" is a tag; a sentence is not


# A heading that ends the article: what follows it is the author's bio, comments or a call to get
# in touch. Only whole short lines, and only late in the text.
END_HEADING = re.compile(
    r"^(about the (author|authors|writer|reviewer|expert)|author bio|meet the author|"
    r"comments|\d+ comments?|leave a (reply|comment)|join the (conversation|discussion)|"
    r"share your (story|thoughts)|keep in touch)\s*[:.]?$",
    re.IGNORECASE)
# A heading over links to other stories. Sites also put such a box in the middle of a story, so it
# ends the article only when nothing after it reads as prose.
LINKS_HEADING = re.compile(
    r"^(related( posts| articles| stories| reading| reads| content| news| resources| guides| links)?|"
    r"related (posts|articles|stories) that (may|might) interest you|"
    r"you (may|might) also (like|enjoy|be interested in)( the following (articles|posts|stories|reports))?|"
    r"you'?ll also (love|like)|"
    r"more from \S.{0,40}|more (stories|articles|news|posts)( (from|like this|on)\b.{0,40})?|"
    r"read next|recommended( reading| for you| articles| stories)?|keep reading|what to read next|up next|"
    r"popular (posts|articles|stories)|recent (posts|articles)|latest (news|posts|articles|stories)|"
    r"trending( now| stories)?|most (read|popular)|editor'?s picks|explore more|explore other topics)\s*[:.]?$",
    re.IGNORECASE)
REPEAT_LINES = 2  # a passage of this many lines said again word for word is the page repeating itself
REPEAT_WORDS = 80  # ... when it holds this many words (a story's lines repeat singly: legends, plan steps)
REPEAT_STARTS = 8  # earlier places a line is compared from (bounds the work on pages of repeated short lines)
END_SHARE = 0.5  # the heading comes after at least this share of the text's words
TEASER_WORDS = 25  # a line after a links heading that is this long is prose: the story goes on


def _without_list_mark(line: str) -> str:
    """A line without the mark of a list item ("- ", "* ", "\u2022 ")."""
    return LIST_MARK.sub("", line, count=1) if line[:1] in "-*\u2022" else line


def fold(line: str) -> str:
    """A line as furniture is compared: white space collapsed, invisible marks gone, case folded."""
    return " ".join(line.translate(INVISIBLE).split()).casefold()


def is_furniture(line: str) -> bool:
    """A short call to action, sign-up box, reading-time badge, date label, disclosure or legal line,
    or a form's consent to be contacted."""
    line = _without_list_mark(line)  # "- 11 min read"
    words = len(line.split())
    if FORM_CONSENT.match(line):
        return True
    if words > DISCLOSURE_WORDS:
        return False
    if DISCLOSURE.search(line):
        return True
    if words > FURNITURE_WORDS:
        return False
    label = DATE_LABEL.match(line)
    return (bool(label and date_in_text().match(line, label.end())) or FURNITURE_START.match(line) is not None
            or FURNITURE_PHRASE.search(line) is not None)


def is_tag_line(line: str) -> bool:
    """``Tags: a, b, c``: a label followed by a list of short names, not a sentence."""
    match = TAG_LINE.match(line)
    if not match or match["items"].rstrip().endswith((".", "!", "?")):
        return False
    return all(len(item.split()) <= TAG_ITEM_WORDS for item in re.split(r"[,|;/·•]", match["items"]))


def leading_byline(text: str) -> str | None:
    """The byline (``By Asha Menon · 12 June``) if the text starts with one, else None."""
    first = text.lstrip().partition("\n")[0].strip()
    if BYLINE.match(first) and len(first.split()) <= BYLINE_WORDS and not first.endswith("."):
        return first
    return None


@lru_cache(maxsize=256)
def _site_rules(drop_lines: tuple[str, ...]) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    literal = frozenset(fold(line) for line in drop_lines if not line.startswith(PATTERN_PREFIX))
    patterns = tuple(pattern for line in drop_lines if (pattern := drop_line_pattern(line)))
    return literal, patterns


def strip_boilerplate(text: str, drop_lines: tuple[str, ...] = (), also: frozenset[str] = frozenset()) -> str:
    """The text without furniture lines; ``drop_lines`` adds site-specific ones (``re:`` for a regex),
    ``also`` the page's own (``fold``ed)."""
    literal, patterns = _site_rules(drop_lines)
    lines = _without_tail(_without_contents_list(_without_repeats([line.strip() for line in text.splitlines()])))
    kept: list[str] = []
    for line in lines:
        folded = fold(line)
        if not folded or folded in GENERIC_LINES or folded in literal or (also and _without_list_mark(folded) in also):
            continue
        if any(p.fullmatch(line) for p in patterns) or is_furniture(line):
            continue
        kept.append(line)
    if kept and leading_byline(kept[0]):
        kept.pop(0)
    # Tag lines at the end (the furniture that followed them is already gone).
    while kept and is_tag_line(kept[-1]):
        kept.pop()
    return "\n".join(kept)


def _repeat_length(lines: list[str], start: int, index: int) -> int:
    """How many lines from ``index`` on repeat those from ``start`` on (the copy ends before ``index``)."""
    length = 0
    while index + length < len(lines) and start + length < index and lines[start + length] == lines[index + length]:
        length += 1
    return length


def _without_repeats(lines: list[str]) -> list[str]:
    """The lines without passages that repeat earlier ones word for word: pages that print the story
    twice (a desktop and a mobile copy, a tab and its print view)."""
    starts: dict[str, list[int]] = {}
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        length = max((_repeat_length(lines, start, index) for start in starts.get(line, ())), default=0)
        if length >= REPEAT_LINES and sum(len(copy.split()) for copy in lines[index:index + length]) >= REPEAT_WORDS:
            index += length
            continue
        if line and len(places := starts.setdefault(line, [])) < REPEAT_STARTS:
            places.append(index)
        kept.append(line)
        index += 1
    return kept


def _without_tail(lines: list[str]) -> list[str]:
    """The lines before the first heading that ends the article (when it comes late enough)."""
    total = sum(map(word_count, lines))
    before = 0
    for index, line in enumerate(lines):
        if before >= END_SHARE * total and (END_HEADING.match(line) or (
                LINKS_HEADING.match(line) and all(len(after.split()) < TEASER_WORDS for after in lines[index + 1:]))):
            return lines[:index]
        before += word_count(line)
    return lines


CONTENTS_HEADING = re.compile(r"^(table of contents|contents|in this (article|post|guide)|on this page|"
                              r"jump to( section)?|what'?s (inside|in this (article|post|guide)))\s*:?$",
                              re.IGNORECASE)


def _entry(line: str) -> str:
    return fold(LIST_MARK.sub("", line))


def _without_contents_list(lines: list[str]) -> list[str]:
    """The lines without a table of contents: its heading and the entries that repeat later headings."""
    for index, line in enumerate(lines):
        if not CONTENTS_HEADING.match(line):
            continue
        end = index + 1
        while end < len(lines) and (entry := _entry(lines[end])) and \
                any(_entry(later) == entry for later in lines[end + 1:]):
            end += 1
        return lines[:index] + lines[end:]
    return lines


BIO_LINES = 3  # an author's bio is one of the last lines
BIO_START = re.compile(r"^[\W_]*(about the author\b|written by\b|this article was (originally )?written by\b)",
                       re.IGNORECASE)


def without_author_bio(text: str, authors: Sequence[str]) -> str:
    """The text without a closing bio: a late line that starts with an author's name
    ("Jane Roe is a freelance writer...") or "About the author"."""
    lines = text.split("\n")
    names = tuple(name.casefold() for name in authors if len(name.split()) >= 2)
    total = word_count(text)
    for index in range(max(0, len(lines) - BIO_LINES), len(lines)):
        line = lines[index].lstrip(" *-\u2013\u2014\u2022").casefold()
        if (BIO_START.match(line) or line.startswith(names)) and \
                len(" ".join(lines[:index]).split()) >= END_SHARE * total:
            # the bio's own label line just before it ("Written by Jane Roe") goes with it
            while index and BIO_START.match(lines[index - 1].casefold()) and \
                    len(lines[index - 1].split()) <= BYLINE_WORDS:
                index -= 1
            return "\n".join(lines[:index])
    return text


HEAD_LINES = 3  # a date printed on its own in the first lines is the story's date, printed again
READING_TIME = re.compile(r"\b\d+(\s*[-\u2013]\s*\d+)?\s*(min|mins|minute|minutes)(\s+read)?\b", re.IGNORECASE)
DATE_LINE_CHARACTERS = 100  # a longer line holds more than a date, its label and a reading time


def only_a_date(line: str) -> bool:
    """"October 1, 2025", "- Jan 23", "Updated: Jan 31", "December 15, 2025 // 8 min read": a date
    and nothing else worth keeping."""
    core = line.strip().lstrip("-*\u2022 ")
    if len(core) > DATE_LINE_CHARACTERS or not has_digit(core):
        return False  # the cheap checks first: the date patterns cost a paragraph's length each
    core = core[label.end():] if (label := DATE_LABEL.match(core)) else core
    rest = READING_TIME.sub(" ", SHORT_DATE.sub(" ", date_in_text().sub(" ", core)))
    return rest != core and not re.sub(r"[\W_]+", "", rest)


# A byline's label in any language ("By", "Von", "Par"): a line of it and an author's name is metadata.
_LABEL = re.compile(rf"^(?:{alternation(every(BYLINE_LABELS))})\s*:?\s+", re.IGNORECASE)


def without_metadata_lines(text: str, authors: Sequence[str]) -> str:
    """The text without what is metadata, not story: a date printed alone among its first lines,
    a line that only names one of its authors ("- Jane Roe", "By Jane Roe"), and a closing bio."""
    names = {fold(name) for name in authors}
    kept = []
    # The bio first: a bio's opening line may be the author's name alone.
    for index, line in enumerate(without_author_bio(text, authors).split("\n")):
        if (index < HEAD_LINES and only_a_date(line)) or (
                names and _LABEL.sub("", fold(line).lstrip("-*\u2022 ")) in names):
            continue
        kept.append(line)
    return "\n".join(kept)


# Site-level learning: a short line that recurs in this share of a site's articles is the site's
# furniture ("Support our journalism: become a member"), however it is worded.
LEARN_SHARE = 0.3
LEARN_MIN_ARTICLES = 20  # fewer articles than this say nothing about a site
LEARN_MIN_REPEATS = 5
LEARN_MAX_WORDS = 25


def recurring_lines(texts: Sequence[str], share: float = LEARN_SHARE, min_articles: int = LEARN_MIN_ARTICLES,
                    max_words: int = LEARN_MAX_WORDS) -> dict[str, int]:
    """Short lines (folded, as ``drop_lines`` compare them) found in at least ``share`` of ``texts``,
    each with the number of texts it is in, in line order."""
    if len(texts) < min_articles:
        return {}
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({folded for line in text.splitlines()
                       if (folded := fold(line)) and len(folded.split()) <= max_words})
    needed = max(LEARN_MIN_REPEATS, math.ceil(share * len(texts)))
    # a learned line is always a literal one, never taken for a pattern
    return {line: count for line, count in sorted(counts.items())
            if count >= needed and not line.startswith(PATTERN_PREFIX)}
