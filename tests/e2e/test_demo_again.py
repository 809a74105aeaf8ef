"""A second `newsarchive demo` on the same archive finds the articles of the first (issue 23,
item 15): the sample site keeps the address of its site file whatever port serves it."""

from __future__ import annotations

import re

from archive.db import open_archive
from tests.e2e.test_commands import run, tool


def test_a_second_demo_on_the_same_archive_stores_no_article_again(tmp_path):
    db = tmp_path / "archive.db"
    first = run(tool("newsarchive"), "demo", "--db", str(db), "--articles", "20")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "demo: finished" in first.stdout and " 20 new" in first.stdout
    second = run(tool("newsarchive"), "demo", "--db", str(db), "--articles", "20")
    assert second.returncode == 0, second.stderr[-2000:]
    assert re.search(r"demo: finished - \d+ pages, 0 new, 0 changed", second.stdout), second.stdout
    archive = open_archive(db)
    assert archive["articles"].count == 20 and archive["article_versions"].count == 20
    ports = {re.match(r"http://127\.0\.0\.1:(\d+)/", url)[1] for (url,) in archive.execute("select url from articles")}
    assert ports == {"8765"}  # the site file's address, not the port each run's server took
