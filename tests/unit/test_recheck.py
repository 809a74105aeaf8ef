from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.recheck import DEFAULT_POLICY, RecheckPolicy

NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)
POLICY = RecheckPolicy.parse(DEFAULT_POLICY)


@pytest.mark.parametrize(("age", "since_fetch", "due"), [
    (timedelta(minutes=30), timedelta(minutes=20), True),   # young: every 15 minutes
    (timedelta(minutes=30), timedelta(minutes=10), False),
    (timedelta(hours=10), timedelta(minutes=50), False),    # under a day: hourly
    (timedelta(hours=10), timedelta(hours=2), True),
    (timedelta(days=60), timedelta(days=3), False),         # old: weekly
    (timedelta(days=60), timedelta(days=8), True),
])
def test_back_off_by_age(age, since_fetch, due):
    assert POLICY.due(NOW - age, NOW - since_fetch, NOW) is due


def test_always_never_and_unknown():
    assert RecheckPolicy.parse("always").due(NOW, NOW, NOW)
    assert not RecheckPolicy.parse("never").due(NOW - timedelta(days=900), NOW - timedelta(days=900), NOW)
    assert POLICY.due(None, None, NOW)


@pytest.mark.parametrize("text", ["1d", "1d=soon", "=1h"])
def test_bad_policy(text):
    with pytest.raises(ValueError):
        RecheckPolicy.parse(text)
