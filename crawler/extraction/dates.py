"""Dates as pages print them, normalised to timezone-aware UTC ISO 8601 with python-dateutil.

The raw string always travels beside the normalised value, so a wrong guess can be redone later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser
from dateutil import tz

# A date must not lie further in the future than this: clocks and timezones differ a little.
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Zone abbreviations that dateutil does not know but news sites print.
TZINFOS = {
    "IST": tz.gettz("Asia/Kolkata"), "PKT": tz.gettz("Asia/Karachi"), "JST": tz.gettz("Asia/Tokyo"),
    "KST": tz.gettz("Asia/Seoul"), "CET": tz.gettz("Europe/Paris"), "CEST": tz.gettz("Europe/Paris"),
    "BST": tz.gettz("Europe/London"), "GMT": UTC, "UTC": UTC, "Z": UTC,
    "EST": tz.gettz("America/New_York"), "EDT": tz.gettz("America/New_York"),
    "CST": tz.gettz("America/Chicago"), "CDT": tz.gettz("America/Chicago"),
    "PST": tz.gettz("America/Los_Angeles"), "PDT": tz.gettz("America/Los_Angeles"),
    "AEST": tz.gettz("Australia/Sydney"), "AEDT": tz.gettz("Australia/Sydney"),
}
_NOISE = re.compile(r"^(published|posted|updated|last updated|on|date)\s*[:\-]?\s*", re.IGNORECASE)


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# A date as bylines print it, inside other words: "June 3, 2024", "3 June 2024", "2024-06-03".
DATE_IN_TEXT = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?:19|20)\d{{2}}\b"
    r"|\b(?:19|20)\d{2}-\d{2}-\d{2}\b",
    re.IGNORECASE)
# A day and month without the year, as blogs print it above a story: "Jan 23", "June 3rd".
SHORT_DATE = re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b", re.IGNORECASE)
# A line that gives the date of an update, not of publication.
UPDATE_NOTE = re.compile(r"\b(updated|modified|revised)\b", re.IGNORECASE)
PUBLICATION_NOTE = re.compile(r"\b(published|posted)\b", re.IGNORECASE)


def publication_date_in(text: str) -> str | None:
    """The publication date a short byline-like text prints ("By A · June 3, 2024"), as written;
    None when it has none or only says when the story was updated."""
    if UPDATE_NOTE.search(text) and not PUBLICATION_NOTE.search(text):
        return None
    found = DATE_IN_TEXT.search(text)
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


def parse_date(raw: str | None, site_timezone: str | tzinfo | None = None,
               now: datetime | None = None) -> ParsedDate | None:
    """Parse one date string; ``None`` when it is empty, unparseable, implausibly old or in the future.

    A value without a zone is read as the site's local time (``site_timezone``, UTC by default).
    """
    if not raw or not raw.strip():
        return None
    text = _NOISE.sub("", " ".join(raw.split()))
    try:
        parsed, skipped = dateutil_parser.parse(text, tzinfos=TZINFOS, fuzzy_with_tokens=True)
    except (ValueError, OverflowError, TypeError):
        return None
    # Fuzzy parsing of prose finds "dates" in anything; keep it to strings that are mostly a date.
    if sum(len(token.strip(" ,.")) for token in skipped) > max(8, len(text) // 3):
        return None
    has_time = parsed.time() != _MIDNIGHT or _names_a_time(text)
    if parsed.tzinfo is None:
        # replace() returns a new datetime: assign it (the classic bug is to drop it).
        parsed = parsed.replace(tzinfo=_zone(site_timezone))
    value = parsed.astimezone(UTC)
    now = now or datetime.now(UTC)
    if value > now + FUTURE_TOLERANCE or value < EARLIEST:
        return None
    return ParsedDate(value=value, raw=raw.strip(), has_time=has_time)


def first_date(candidates: list[str | None], site_timezone: str | tzinfo | None = None,
               now: datetime | None = None) -> ParsedDate | None:
    """The first candidate that parses, preferring ones that carry a time of day.

    Candidates come most-reliable first; a later one with a time of day wins over an earlier
    date-only one when both name the same calendar day in the site's timezone.
    """
    parsed = [p for p in (parse_date(c, site_timezone, now) for c in candidates) if p]
    if not parsed:
        return None
    best = parsed[0]
    if not best.has_time:
        zone = _zone(site_timezone)
        day = best.value.astimezone(zone).date()
        for other in parsed[1:]:
            if other.has_time and other.value.astimezone(zone).date() == day:
                return other
    return best


def parse_since(value: str | datetime | None) -> datetime | None:
    """``--since`` / ``-a since=``: a date or datetime; without a zone it is UTC."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_date(value, "UTC")
    if parsed is None:
        raise ValueError(f"since={value!r} is not a date (use e.g. 2024-06-01)")
    return parsed.value
