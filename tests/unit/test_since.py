"""``--since``: partial dates mean the start of their month or year (issue 23, item 14)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extraction import parse_since


@pytest.mark.parametrize(("given", "meant"), [
    ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
    ("2024-06", datetime(2024, 6, 1, tzinfo=UTC)),
    ("2024-6", datetime(2024, 6, 1, tzinfo=UTC)),
    ("2024/06", datetime(2024, 6, 1, tzinfo=UTC)),
    ("2024-06-15", datetime(2024, 6, 15, tzinfo=UTC)),
    ("2024-06-15T08:30:00+02:00", datetime(2024, 6, 15, 6, 30, tzinfo=UTC)),
    ("2024-06-15Z", datetime(2024, 6, 15, tzinfo=UTC)), ("2024-06-15 UTC", datetime(2024, 6, 15, tzinfo=UTC)),
    ("20240615", datetime(2024, 6, 15, tzinfo=UTC)), ("2024-06-15t08:30", datetime(2024, 6, 15, 8, 30, tzinfo=UTC)),
])
def test_a_partial_date_is_the_start_of_its_month_or_year(given, meant):
    assert parse_since(given) == meant


@pytest.mark.parametrize("given", ["2024-13", "2024-00", "yesterday-ish",
                                   # read with today's day, or the month of its writer's habit (a user's review)
                                   "June 2024", "1/2/2024", "1", "-1"])
def test_a_bad_since_is_a_clear_error(given):
    with pytest.raises(ValueError, match="since="):
        parse_since(given)
