"""One section facet per section (issue 23, item 22): a listing's "business" and a page's own
category "Business" are stored alike, in new archives and, by migration 6, in older ones."""

from __future__ import annotations

import dataclasses

import pytest
import sqlite_utils

from archive.db import MIGRATIONS, SCHEMA_VERSION, migrate, open_archive, schema_version
from archive.store import section_name, store_article, store_rejected
from tests.unit.test_store import ARTICLE, CAPTURE


@pytest.mark.parametrize(("given", "stored"), [
    ("business", "business"), ("Business", "business"), ("  World ", "world"), ("Russia  News", "russia news"),
    ("WELT", "welt"), ("Straße", "strasse"), ("", None), (None, None),
])
def test_section_name(given, stored):
    assert section_name(given) == stored


def test_sections_from_listings_and_from_categories_are_one_facet(archive):
    store_article(archive, ARTICLE, site="demo", section="business")
    store_article(archive, dataclasses.replace(ARTICLE, url="https://news.example/2024/06/b.html",
                                               categories=("Business", "Markets")), site="demo")
    store_rejected(archive, "https://news.example/tag/x/", site="demo", section="Business", capture=CAPTURE,
                   reason="listing")
    facet = archive.execute("select section, count(*) from articles group by section").fetchall()
    assert facet == [("business", 2)]
    assert archive.execute("select section from rejected_pages").fetchall() == [("business",)]


def test_migration_6_folds_the_sections_of_an_older_archive(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrate(old, to=5)
    for n, section in enumerate(["business", "Business", "World", "world", None]):
        old.execute("INSERT INTO articles (site, section, url, title, text, content_hash, first_seen_at) "
                    "VALUES ('demo', ?, ?, 'A', 'Text', 'h', '2024-01-01')", [section, f"https://news.example/{n}"])
    old.conn.commit()
    old.close()
    db = open_archive(tmp_path / "old.db")
    assert MIGRATIONS[5].__name__ == "_v6_section_case"
    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute("select section, count(*) from articles group by section order by section").fetchall() == [
        (None, 1), ("business", 2), ("world", 2)]


def test_an_archive_of_the_import_branch_before_the_merge_reaches_the_schema(tmp_path):
    """Before main's migrations 6-8 were merged, the import's branch numbered import_files 6: its
    archives skip to 9 holding the table, and get the section folding they missed."""
    from archive.db import _v9_import_progress

    old = sqlite_utils.Database(tmp_path / "old.db")
    for number, migration in enumerate([*MIGRATIONS[:5], _v9_import_progress], 1):
        migration(old)
        old.execute(f"PRAGMA user_version = {number}")
    for n, section in enumerate(["business", "Business"]):
        old.execute("INSERT INTO articles (site, section, url, title, text, content_hash, first_seen_at) "
                    "VALUES ('demo', ?, ?, 'A', 'Text', 'h', '2024-01-01')", [section, f"https://news.example/{n}"])
    old.execute("INSERT INTO import_files (source, done_offset, started_at) VALUES ('cc.warc.gz', 10, '2024-01-01')")
    old.conn.commit()
    old.close()
    db = open_archive(tmp_path / "old.db")
    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute("select source, done_offset from import_files").fetchall() == [("cc.warc.gz", 10)]
    assert db.execute("select section, count(*) from articles group by section").fetchall() == [("business", 2)]
