"""Every ``ARCHIVE_*`` Scrapy setting is named in the README (issue 23: the settings table says what changed)."""

from __future__ import annotations

import pytest

from crawler import settings
from tests.conftest import REPO

ARCHIVE_SETTINGS = sorted(name for name in vars(settings) if name.startswith("ARCHIVE_"))


@pytest.mark.parametrize("name", ARCHIVE_SETTINGS)
def test_each_archive_setting_is_documented(name):
    assert f"`{name}" in (REPO / "README.md").read_text()  # `NAME` or `NAME=value`
