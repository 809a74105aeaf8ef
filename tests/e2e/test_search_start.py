"""``newsarchive search`` starts quickly (issue 24: 0.5 s wall at a million articles, of which
start-up was 0.28 s) and says what it said before: its output on a small archive is the one
newsarchive printed before the search plans and the light start (tests/e2e/search_output.txt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from archive.db import MIGRATIONS, SCHEMA_VERSION, migrate, open_archive, schema_version
from archive.store import store_article
from crawler.extraction import Article

REPO = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).with_name("search_output.txt")
SEARCHES = ["pact", "harbour --limit 5", "pact --site beta", "council --json --limit 3", "東京", "nothing",
            "harbour --site gamma", "pact --limit 100"]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    """25 stories of two sites about a harbour, a pact or a council, and a Japanese one."""
    path = tmp_path_factory.mktemp("search") / "archive.db"
    db = open_archive(path)
    for n in range(25):
        site = "alpha" if n % 3 else "beta"
        words = "harbour pact" if n % 2 else "harbour council"
        store_article(db, Article(
            url=f"https://{site}.example/2024/06/story-{n}.html", title=f"Story {n} of the {words}",
            text=f"The {words} was discussed on day {n}.\nOfficials said little about the {words}.",
            published_at=f"2024-06-{1 + n:02d}T08:00:00+00:00", tags=("Harbours",)),
            site=site, fetched_at=f"2024-06-{1 + n:02d}T09:00:00+00:00")
    store_article(db, Article(url="https://beta.example/2024/07/tokyo.html", title="東京の港",
                              text="東京の港で会議が開かれた。", published_at="2024-07-01T00:00:00+00:00"),
                  site="beta", fetched_at="2024-07-01T01:00:00+00:00")
    db.close()
    return path


def newsarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_search_prints_what_it_printed_before(db_path):
    printed = []
    for search in SEARCHES:
        result = newsarchive("search", *search.split(), "--db", str(db_path))
        printed += [f"=== {search}", result.stdout + result.stderr + f"exit {result.returncode}"]
    assert "\n".join(printed) + "\n" == EXPECTED.read_text(encoding="utf-8")


def test_search_loads_neither_sqlite_utils_nor_numpy(db_path):
    """sqlite-utils imports numpy when it is installed: a fifth of a second before a search starts."""
    probe = ("import sys; from archive.cli import cli; cli(['search', 'pact', '--db', sys.argv[1]],"
             " standalone_mode=False); print(sorted({'sqlite_utils', 'numpy', 'yaml'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe, str(db_path)], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_an_archive_of_an_older_schema_is_migrated_before_a_search(tmp_path):
    """The light start reads the archive as it is only when its schema is this newsarchive's."""
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrate(old, to=len(MIGRATIONS) - 1)
    old.close()
    result = newsarchive("search", "pact", "--db", str(tmp_path / "old.db"))
    assert result.returncode == 0 and "No articles match 'pact'." in result.stdout
    assert schema_version(sqlite_utils.Database(tmp_path / "old.db")) == SCHEMA_VERSION
