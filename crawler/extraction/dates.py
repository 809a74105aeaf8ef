"""Dates as pages print them, normalised to timezone-aware UTC ISO 8601.

python-dateutil reads numeric dates and English ones; a date printed in the page's own language
("5. Juni 2024", "3 de junio de 2024", "2024年6月5日") is read by dateparser in that language,
which holds the month names of some 200 languages (asked for one language, it answers in about a
millisecond; asked to guess among all, it loads every language first: a word in a script dateutil
cannot read, "12 जून 2024", is read in its script's languages). A month name nothing
reads gives no date, not dateutil's guess (the day taken for the month). Numeric dates written with
dots ("05.06.2024") are day first, as everywhere that writes them so. The raw string always
travels beside the normalised value, so a wrong guess can be redone later.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
from dateparser.languages.loader import default_loader
from dateutil import parser as dateutil_parser
from dateutil import tz

from .words import alternation

# A date must not lie further in the future than this: clocks and timezones differ a little.
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Zone abbreviations that dateutil does not know but news sites print.
TZINFOS = {
    "IST": tz.gettz("Asia/Kolkata"), "PKT": tz.gettz("Asia/Karachi"), "JST": tz.gettz("Asia/Tokyo"),
    "KST": tz.gettz("Asia/Seoul"), "CET": tz.gettz("Europe/Paris"), "CEST": tz.gettz("Europe/Paris"),
    "BST": tz.gettz("Europe/London"), "GMT": UTC, "UTC": UTC, "Z": UTC,
    "EST": tz.gettz("America/New_York"), "EDT": tz.gettz("America/New_York"), "ET": tz.gettz("America/New_York"),
    "CT": tz.gettz("America/Chicago"), "PT": tz.gettz("America/Los_Angeles"),
    "CST": tz.gettz("America/Chicago"), "CDT": tz.gettz("America/Chicago"),
    "PST": tz.gettz("America/Los_Angeles"), "PDT": tz.gettz("America/Los_Angeles"),
    "AEST": tz.gettz("Australia/Sydney"), "AEDT": tz.gettz("Australia/Sydney"),
}
_NOISE = re.compile(r"^(published|posted|updated|last updated|on|date)\s*[:\-]?\s*", re.IGNORECASE)
_DAY_FIRST = re.compile(r"^\D*\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}\b")  # "05.06.2024", "Mittwoch, 5. 6. 2024"
_LETTERS = re.compile(r"[^\W\d_]{2}")
_WORD = re.compile(r"[^\W\d_]+")  # a word that dateutil skipped: a month name in another language?
_CJK_DATE = re.compile(r"\d\s*[年月日]")  # "2024年6月5日"
_KOREAN_DATE = re.compile(r"\d\s*[년월일]")  # "2024년 6월 5일"
_TIME = re.compile(r"\d{1,2}\s*(?:[:h時시]|Uhr)\s*\d{0,2}")
_NUMERIC_DATE = re.compile(r"\d{1,4}\s?[-./]\s?\d{1,2}\s?[-./]\s?\d{1,4}")  # day, month and year in digits
_DATEPARSER = {"PREFER_DAY_OF_MONTH": "first", "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["month", "year"]}


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_ENGLISH_MONTH = re.compile(rf"\b{_MONTH}", re.IGNORECASE)
_YEAR = r"(?:19|20)\d{2}"
# A time of day after a printed date: "June 3, 2024, 10:30", "5. Juni 2024, 10:30 Uhr", "2024.06.12 14:20".
_TIME_AFTER = r"(?:,?\s+(?:[^\W\d]{1,3}\s+)?\d{1,2}:\d{2}(?:\s*(?:Uhr|[ap]\.?m\.?))?)?"


@lru_cache(maxsize=1)
def date_in_text() -> re.Pattern[str]:
    """A date as bylines and date lines print it, inside other words, with the time when one
    follows: "June 3, 2024", "3 June 2024", "5. Juni 2024, 10:30 Uhr", "3 de junio de 2024",
    "05.06.2024", "2024.06.12 14:20", "2024-06-03", "2024年6月5日", "2024년 6월 12일". Month names in
    every language of ``NEWS_LANGUAGES`` (dateparser's own lists, read on first use)."""
    foreign = alternation(name for name in _month_names() if len(name) >= 3 and " " not in name)
    month = rf"(?:{_MONTH}|(?:{foreign})\.?)"
    of = r"(?:\s+(?:of|de|del)\s+|\s+)"  # "3rd of June", "3 de junio de 2024"
    return re.compile(
        rf"(?:\b{month}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th|\.)?{of}{month},?{of}{_YEAR}\b"
        rf"|\b\d{{1,2}}\.\s?\d{{1,2}}\.\s?{_YEAR}\b"
        rf"|\b{_YEAR}(?:-\d{{2}}-\d{{2}}|[./]\d{{1,2}}[./]\d{{1,2}})\b"
        rf"|{_YEAR}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日"
        rf"|{_YEAR}\s*년\s*\d{{1,2}}\s*월\s*\d{{1,2}}\s*일){_TIME_AFTER}",
        re.IGNORECASE)


# A day and month without the year, as blogs print it above a story: "Jan 23", "June 3rd".
SHORT_DATE = re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b", re.IGNORECASE)
# A line that gives the date of an update, not of publication.
UPDATE_NOTE = re.compile(r"\b(updated|modified|revised)\b", re.IGNORECASE)
PUBLICATION_NOTE = re.compile(r"\b(published|posted)\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def has_digit(text: str) -> bool:
    """Whether ``text`` has a digit: every date this module reads has one, so the cheap test first."""
    return _DIGIT.search(text) is not None


def publication_date_in(text: str) -> str | None:
    """The publication date a short byline-like text prints ("By A · June 3, 2024"), as written;
    None when it has none or only says when the story was updated."""
    if not has_digit(text) or (UPDATE_NOTE.search(text) and not PUBLICATION_NOTE.search(text)):
        return None  # (every date it knows has a digit: that test is the cheap one)
    found = date_in_text().search(text)
    return found.group(0) if found else None


_MIDNIGHT = datetime.min.time()
_PROBE = datetime(2000, 1, 1, 1, 2, 3)


def _names_a_time(text: str) -> bool:
    """Whether a string that parsed to midnight spells a time of day (``00:00``) or none at all."""
    probe = dateutil_parser.parse(text, tzinfos=TZINFOS, fuzzy=True, default=_PROBE)
    return probe.time() != _PROBE.time()


@dataclass(frozen=True)
class ParsedDate:
    """A normalised instant (aware, UTC) and the text it came from."""

    value: datetime
    raw: str
    has_time: bool
    day: date  # the calendar day the text names where it was written: in its own offset, else the site's

    @property
    def iso(self) -> str:
        """UTC ISO 8601, seconds precision, with a ``+00:00`` offset."""
        return self.value.isoformat(timespec="seconds")


def _zone(name: str | tzinfo | None) -> tzinfo:
    if name is None:
        return UTC
    if isinstance(name, tzinfo):
        return name
    return ZoneInfo(name)


# Languages whose month names are looked up when a page does not say its language (dateparser's
# own data: the one place that lists them).
NEWS_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "pl", "sv", "nb", "da", "fi", "cs", "sk", "hu", "ro", "hr",
                  "sl", "lt", "lv", "et", "ca", "tr", "id", "vi", "ru", "uk", "el", "bg")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


@lru_cache(maxsize=1)
def _month_names() -> dict[str, tuple[str, ...]]:
    """Each month name of ``NEWS_LANGUAGES`` (casefolded, as dateparser lists them) -> its languages."""
    known = set(default_loader.get_locale_map())
    found: dict[str, list[str]] = {}
    for locale in default_loader.get_locales(languages=[code for code in NEWS_LANGUAGES if code in known]):
        for month in _MONTHS:
            for name in locale.info.get(month) or ():
                found.setdefault(name.casefold().rstrip("."), []).append(locale.shortname)
    return {name: tuple(dict.fromkeys(codes)) for name, codes in found.items()}


# The languages whose dates a script is read in, when the page does not say its language: asked
# for a few, dateparser answers in milliseconds; asked to guess among all, it loads every language
# (1.2 s and 11 MB, in each worker process). By the first word of the script in the string.
SCRIPT_LANGUAGES = {
    "DEVANAGARI": ("hi", "mr", "ne"), "BENGALI": ("bn",), "GURMUKHI": ("pa",), "GUJARATI": ("gu",),
    "TAMIL": ("ta",), "TELUGU": ("te",), "KANNADA": ("kn",), "MALAYALAM": ("ml",), "SINHALA": ("si",),
    "ARABIC": ("ar", "fa", "ur"), "HEBREW": ("he",), "THAI": ("th",), "LAO": ("lo",), "KHMER": ("km",),
    "MYANMAR": ("my",), "GEORGIAN": ("ka",), "ARMENIAN": ("hy",), "ETHIOPIC": ("am",), "GREEK": ("el",),
    "CYRILLIC": ("ru", "uk", "bg"), "CJK": ("zh", "ja"), "HIRAGANA": ("ja",), "KATAKANA": ("ja",),
    "HANGUL": ("ko",), "LATIN": ("vi",),  # Latin letters past Latin Extended-B: Vietnamese's
}


def _other_script(word: str) -> str | None:
    """The script of a word that dateutil cannot read (Devanagari, Arabic, Bengali, Thai ...), as
    Unicode names it; None for a word of Latin letters or no word. A month name there is no word
    to dateutil, which then takes the day for the month ("12 जून 2024" was 1 December). Combining
    marks (the vowel signs of Indic scripts) count with the letters: "মে" (May in Bengali) is a
    letter and a sign."""
    if sum(1 for character in word if unicodedata.category(character)[0] in "LM") < 2:
        return None
    other = next((character for character in word if character.isalpha() and ord(character) > 0x24F), None)
    return unicodedata.name(other, "").split(" ")[0] or None if other else None


def _date_languages(text: str, language: str | None) -> list[str] | None:
    """The languages to read a date in with dateparser: those its characters name, else the
    page's own (a BCP 47 tag: "de-AT" -> "de"), else those whose month name it prints, else
    those of the script of a word it prints in another script (``SCRIPT_LANGUAGES``); None for
    English, or when nothing says."""
    if _CJK_DATE.search(text):
        return ["ja", "zh"]
    if _KOREAN_DATE.search(text):
        return ["ko"]
    primary = (language or "").replace("_", "-").split("-")[0].strip().lower()
    if primary == "en":
        return None
    if primary.isalpha():
        return [primary]
    names = _month_names()
    for word in _WORD.findall(text.casefold()):
        if languages := names.get(word):
            return list(languages[:3])
    for word in text.split():
        if script := _other_script(word):
            return list(SCRIPT_LANGUAGES.get(script, ()))  # (an unknown script: every language, [])
    return None


def _read(text: str, languages: list[str], **settings: Any) -> datetime | None:
    """dateparser's reading of ``text`` in ``languages`` (none: its guess among all)."""
    return dateparser.parse(text, languages=languages or None, settings={**_DATEPARSER, **settings})


def _in_its_language(text: str, language: str | None) -> datetime | None:
    languages = _date_languages(text, language)
    if languages is None:
        return None
    try:
        parsed = _read(text, languages)
        if parsed is None or _NUMERIC_DATE.search(text):
            return parsed
        # A word of another script it passed over: read without it, the date is the same, and the day
        # was not written but assumed (dateparser took the number for the month: "12 मे 2024",
        # Marathi's May, is 1 December to its Hindi; "1 जनवरी 2024" is read the same without its
        # month too, but its day is written, so preferring the month's last day reads it the same)
        bare = " ".join(word for word in text.split() if not _other_script(word))
        if bare != text and _same_day(_read(bare, languages), parsed) and not _same_day(
                _read(text, languages, PREFER_DAY_OF_MONTH="last"), parsed):
            return None
        return parsed
    except (ValueError, OverflowError, TypeError, KeyError, AttributeError):  # an unknown language
        return None


def _same_day(read: datetime | None, parsed: datetime) -> bool:
    return read is not None and read.date() == parsed.date()


def parse_date(raw: str | None, site_timezone: str | tzinfo | None = None,
               now: datetime | None = None, language: str | None = None) -> ParsedDate | None:
    """Parse one date string; ``None`` when it is empty, unparseable, implausibly old or in the future.

    A value without a zone is read as the site's local time (``site_timezone``, UTC by default);
    ``language`` (the page's, e.g. "de") reads month names and words of that language.
    """
    if not raw or not raw.strip():
        return None
    # (composed, as the names dateutil and dateparser know are: "fe\u0301vr." written decomposed is "févr.")
    text = _NOISE.sub("", " ".join(unicodedata.normalize("NFC", raw).split()))
    now = now or datetime.now(UTC)
    dayfirst = bool(_DAY_FIRST.match(text))
    try:
        # What the string leaves out is the 1st of January of this year (dateutil's own default is
        # today: "June 2024" was the 7th when read on a 7th), and a string that gives no month
        # ("P1D", "10:30") is no date.
        parsed, skipped = dateutil_parser.parse(text, tzinfos=TZINFOS, fuzzy_with_tokens=True, dayfirst=dayfirst,
                                                default=datetime(now.year, 1, 1))
        if parsed.month == 1 and dateutil_parser.parse(
                text, tzinfos=TZINFOS, fuzzy=True, dayfirst=dayfirst, default=datetime(now.year, 2, 2)).month == 2:
            parsed, skipped = None, ()
    except (ValueError, OverflowError, TypeError):
        parsed, skipped = None, ()
    foreign = None
    unread = [token for token in skipped if _LETTERS.search(token) or _other_script(token)]
    if parsed is None or unread or _CJK_DATE.search(text) or _KOREAN_DATE.search(text):
        # dateutil could not read it, or skipped words (a month name in another language?)
        foreign = _in_its_language(text, language)
    if foreign is not None:
        parsed = foreign  # dateparser read the whole string as a date
    elif parsed is None:
        return None
    elif unread and not _NUMERIC_DATE.search(text) and not _ENGLISH_MONTH.search(text):
        return None  # a month name no reader knew: what dateutil made of the numbers left is a guess
    elif sum(len(token.strip(" ,.")) for token in skipped) > max(8, len(text) // 3):
        return None  # fuzzy parsing of prose finds "dates" in anything: keep to strings mostly a date
    has_time = parsed.time() != _MIDNIGHT or (bool(_TIME.search(text)) if foreign is not None
                                              else _names_a_time(text))
    if parsed.tzinfo is None:
        # replace() returns a new datetime: assign it (the classic bug is to drop it).
        parsed = parsed.replace(tzinfo=_zone(site_timezone))
    try:
        value = parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # an offset of a day or more ("+99:00"), a moment past year 9999
        return None
    if value > now + FUTURE_TOLERANCE or value < EARLIEST:
        return None
    return ParsedDate(value=value, raw=raw.strip(), has_time=has_time, day=parsed.date())


def own_day(raw: str | None, site_timezone: str | tzinfo | None = None, language: str | None = None) -> date | None:
    """The calendar day a date string names where it was written (``ParsedDate.day``): in its own
    offset when it gives one ("Sat, 19 Oct 2019 00:04:00 +0200" is the 19th, though the 18th in
    UTC), else as printed, in the site's timezone; None when it does not parse."""
    parsed = parse_date(raw, site_timezone, language=language)
    return parsed.day if parsed else None


def first_date(candidates: list[str | None], site_timezone: str | tzinfo | None = None,
               now: datetime | None = None, language: str | None = None) -> ParsedDate | None:
    """The first candidate that parses, preferring ones that carry a time of day.

    Candidates come most-reliable first; a later one with a time of day wins over an earlier
    date-only one when both name the same calendar day in the site's timezone.
    """
    parsed = (p for p in (parse_date(c, site_timezone, now, language) for c in candidates) if p)
    best = next(parsed, None)  # read lazily: parsing (dateparser's most of all) is the cost here
    if best is None or best.has_time:
        return best
    zone = _zone(site_timezone)
    day = best.value.astimezone(zone).date()
    return next((other for other in parsed if other.has_time and other.value.astimezone(zone).date() == day), best)


def parse_since(value: str | datetime | None) -> datetime | None:
    """``--since`` / ``-a since=``: a date or datetime; without a zone it is UTC. A partial date
    means the start of its period: ``2024-06`` is 2024-06-01, ``2024`` is 2024-01-01."""
    if value is None or isinstance(value, datetime):
        return value
    # dateutil fills a missing day or month from today: a partial date is read here instead
    partial = re.fullmatch(r"\s*(\d{4})(?:[-/.](\d{1,2}))?\s*", value)
    if partial:
        year, month = int(partial[1]), int(partial[2] or 1)
        if not 1 <= month <= 12:
            raise ValueError(f"since={value!r}: month {month} is not 1-12 (use e.g. 2024-06)")
        return datetime(year, month, 1, tzinfo=UTC)
    # Year first, or it is no date to read for certain: "June 2024" would take today's day, and
    # "1/2/2024" is 2 January or 1 February depending on who wrote it.
    parsed = parse_date(value, "UTC") if re.match(r"\s*\d{4}(?:[-/.]\d{1,2}[-/.]\d{1,2}|\d{4})(?!\d)", value) else None
    if parsed is None:
        raise ValueError(f"since={value!r} is not a date (use a year, a month or a day, e.g. 2024, 2024-06 or "
                         "2024-06-01, and a time after a day's: 2024-06-01T08:00+02:00)")
    return parsed.value
