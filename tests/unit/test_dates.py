"""Dates: aware, UTC, raw kept, the site's timezone where the page gives none."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.extraction.dates import first_date, own_day, parse_date, publication_date_in

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "zone", "iso", "has_time"), [
    ("2024-06-20T09:15:00+05:30", "UTC", "2024-06-20T03:45:00+00:00", True),
    ("2024-06-20T09:15:00", "Asia/Kolkata", "2024-06-20T03:45:00+00:00", True),
    ("2024-06-20T09:15:00Z", "Asia/Kolkata", "2024-06-20T09:15:00+00:00", True),
    ("June 20, 2024", "Asia/Kolkata", "2024-06-19T18:30:00+00:00", False),
    ("Posted on 20 June 2024, 14:05 IST", None, "2024-06-20T08:35:00+00:00", True),
    ("Thu, 20 Jun 2024 10:00:00 GMT", "Asia/Kolkata", "2024-06-20T10:00:00+00:00", True),
    ("2024-01-15 12:00", "America/New_York", "2024-01-15T17:00:00+00:00", True),  # EST, winter
    ("2024-07-15 12:00", "America/New_York", "2024-07-15T16:00:00+00:00", True),  # EDT, summer
    ("2024-06-20T00:00:00+02:00", None, "2024-06-19T22:00:00+00:00", True),
])
def test_parse_date_normalises_to_utc(raw, zone, iso, has_time):
    parsed = parse_date(raw, zone, now=NOW)
    assert parsed is not None
    assert parsed.iso == iso
    assert parsed.value.tzinfo is not None
    assert parsed.raw == raw
    assert parsed.has_time is has_time


@pytest.mark.parametrize("raw", ["", "   ", None, "no date here at all, just words",
                                 "2031-01-01", "1970-01-01", "2025-01-03"])
def test_parse_date_rejects_empty_prose_future_and_ancient(raw):
    assert parse_date(raw, "UTC", now=NOW) is None


def test_first_date_prefers_a_candidate_with_time_on_the_same_day():
    best = first_date(["2024-06-20", "2024-06-20T09:15:00+05:30"], "Asia/Kolkata", now=NOW)
    assert best.iso == "2024-06-20T03:45:00+00:00"


def test_first_date_keeps_reliable_order_when_days_differ():
    best = first_date(["2024-06-18", "2024-06-20T09:15:00+05:30"], "UTC", now=NOW)
    assert best.raw == "2024-06-18"


def test_first_date_skips_unparseable_candidates():
    assert first_date([None, "garbage words", "2024-06-20T09:15:00Z"], now=NOW).iso == "2024-06-20T09:15:00+00:00"
    assert first_date([None, "nothing"], now=NOW) is None


@pytest.mark.parametrize(("text", "found"), [
    ("By Asha Menon · June 3, 2024 · 6 min read", "June 3, 2024"),
    ("Published 3rd of June, 2024 by the newsroom", "3rd of June, 2024"),
    ("Posted 2024-06-03, updated 2024-06-09", "2024-06-03"),  # published named: its date comes first
    ("Last updated: Dec 12, 2025", None),  # an update, not the publication
    ("Chapter 12 of 2024", None),
    # in other languages, with the time when one follows (issue 28)
    ("Von Anna Schmidt, 5. Juni 2024, 10:30 Uhr", "5. Juni 2024, 10:30 Uhr"),
    ("Par Jean Dupont, le 3 juin 2024", "3 juin 2024"),
    ("Publicado el 3 de junio de 2024", "3 de junio de 2024"),
    ("Veröffentlicht am 06.10.2023", "06.10.2023"),
    ("홍길동 기자 | 입력 2024.06.12 14:20", "2024.06.12 14:20"),
    ("記者 山田太郎 2024年6月5日", "2024年6月5日"),
])
def test_publication_date_in_a_byline(text, found):
    assert publication_date_in(text) == found


@pytest.mark.parametrize(("raw", "language", "expected"), [
    ("5. Juni 2024", None, "2024-06-05T00:00:00+00:00"),  # issue 28: read as 2024-05-06 before
    ("5. Juni 2024, 10:30 Uhr", "de", "2024-06-05T10:30:00+00:00"),
    ("Mittwoch, 05.06.2024", None, "2024-06-05T00:00:00+00:00"),  # dotted dates are day first
    ("2024年6月5日", None, "2024-06-05T00:00:00+00:00"),
    ("2024年6月5日 10時30分", "ja", "2024-06-05T10:30:00+00:00"),
    ("2024년 6월 5일", None, "2024-06-05T00:00:00+00:00"),
    ("le 3 juin 2024 à 14h05", None, "2024-06-03T14:05:00+00:00"),
    ("3 de junio de 2024", "es", "2024-06-03T00:00:00+00:00"),
    ("24 ottobre 2024", "it-IT", "2024-10-24T00:00:00+00:00"),
    ("10 lutego 2025", None, "2025-02-10T00:00:00+00:00"),
    ("June 3, 2024", "en", "2024-06-03T00:00:00+00:00"),  # English stays with dateutil
    ("3/4/2025", None, "2025-03-04T00:00:00+00:00"),  # a slashed date stays month first
    # scripts dateutil cannot read: their month names were skipped and the day taken for the month
    ("12 जून 2024", None, "2024-06-12T00:00:00+00:00"),  # (2024-12-01 before)
    ("१२ जून २०२४", "hi", "2024-06-12T00:00:00+00:00"),  # Devanagari digits, the page's language
    ("١٢ يونيو ٢٠٢٤", None, "2024-06-12T00:00:00+00:00"),
    ("১২ জুন ২০২৪", None, "2024-06-12T00:00:00+00:00"),
    ("12 মে 2024", None, "2024-05-12T00:00:00+00:00"),  # a month name of a letter and a vowel sign
    ("12 மே 2024", None, "2024-05-12T00:00:00+00:00"),
    # the first of January: read the same without its month, but its day is written (a review)
    ("1 जनवरी 2024", None, "2024-01-01T00:00:00+00:00"),
    ("1 يناير 2024", None, "2024-01-01T00:00:00+00:00"),
    ("1 января 2024", None, "2024-01-01T00:00:00+00:00"),
    ("१ जनवरी २०२४", "hi", "2024-01-01T00:00:00+00:00"),
    # written decomposed (an accent as a combining mark): read as composed (it raised StopIteration)
    ("12 fe\u0301vr. 2024", "fr", "2024-02-12T00:00:00+00:00"),
    ("12 fe\u0301vr. 2024", None, "2024-02-12T00:00:00+00:00"),
    ("2024-06-12 更新", None, "2024-06-12T00:00:00+00:00"),  # a word beside a numeric date
    ("Updated 10:30 AM ET, June 12, 2024", None, "2024-06-12T14:30:00+00:00"),  # US Eastern time
])
def test_dates_in_other_languages(raw, language, expected):
    parsed = parse_date(raw, "UTC", language=language)
    assert parsed is not None and parsed.iso == expected, parsed


def test_a_word_of_another_script_is_read_in_its_scripts_languages_not_all(monkeypatch):
    """Guessing among all of dateparser's languages loads them all first (1.2 s and 11 MB in each
    extraction worker, measured as import's CPU per page): the script names a few."""
    import dateparser

    from crawler.extraction import dates

    asked = []
    real = dateparser.parse
    monkeypatch.setattr(dates.dateparser, "parse", lambda text, languages=None, settings=None: (
        asked.append(languages), real(text, languages=languages, settings=settings))[1])
    assert parse_date("12 जून 2024", "UTC").iso == "2024-06-12T00:00:00+00:00"
    assert parse_date("12 يونيو 2024", "UTC").iso == "2024-06-12T00:00:00+00:00"
    assert asked and set(map(tuple, asked)) == {("hi", "mr", "ne"), ("ar", "fa", "ur")}


# "मे": Marathi's May, which dateparser's Devanagari languages pass over, taking the 12 for the month
@pytest.mark.parametrize("raw", ["12 Hunyo 2024", "12 ज़ज़ज़ 2024", "१२ ज़ज़ज़ २०२४", "12 मे 2024"])
def test_a_month_name_no_reader_knows_gives_no_date_rather_than_a_wrong_one(raw):
    assert parse_date(raw, "UTC") is None  # dateutil (or dateparser) read the day as the month: 1 December


def test_a_date_in_another_language_keeps_its_time_and_zone():
    parsed = parse_date("5. Juni 2024, 10:30 Uhr", "Europe/Berlin", language="de")
    assert parsed.iso == "2024-06-05T08:30:00+00:00" and parsed.has_time
    assert not parse_date("5. Juni 2024", "Europe/Berlin").has_time


@pytest.mark.parametrize(("raw", "timezone", "language", "day"), [
    ("Sat, 19 Oct 2019 00:04:00 +0200", None, None, date(2019, 10, 19)),  # its own offset's day, not UTC's
    ("2019-10-18T22:04:00Z", None, None, date(2019, 10, 18)),
    ("19. Oktober 2019", None, "de", date(2019, 10, 19)),  # printed without a zone: as printed
    ("2019-10-19 00:30", "Europe/Berlin", None, date(2019, 10, 19)),  # in the site's timezone
    ("05.06.2024 10:00 +0200", None, None, date(2024, 6, 5)),  # day first, as parse_date reads it
    ("5. Juni 2024 10:30 +0200", None, "de", date(2024, 6, 5)),
    ("no date here", None, None, None),
    (None, None, None, None),
])
def test_own_day_is_the_day_where_the_date_was_written(raw, timezone, language, day):
    assert own_day(raw, timezone, language) == day


@pytest.mark.parametrize(("raw", "iso"), [
    ("June 2024", "2024-06-01T00:00:00+00:00"),  # dateutil alone took the day from today (the 7th)
    ("2024-06", "2024-06-01T00:00:00+00:00"),
    ("12 June", "2026-06-12T00:00:00+00:00"),  # no year: this year's
    ("1 January 2024", "2024-01-01T00:00:00+00:00"), ("Jan 5, 2024", "2024-01-05T00:00:00+00:00"),
    # no month: no date (an ISO duration, a time alone, a weekday and a time, a year alone)
    ("P1D", None), ("10:30", None), ("Mon, 12:00", None), ("2024", None),
])
def test_what_a_date_string_leaves_out_is_not_taken_from_today(raw, iso):
    parsed = parse_date(raw, now=datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    assert (parsed.iso if parsed else None) == iso
