"""The archive: schema, one transaction per article, versions on change, FTS kept in sync."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from archive.captures import capture_body
from archive.db import SCHEMA_VERSION, ArchiveError, open_archive, schema_version
from archive.queries import article_history
from archive.store import Outcome, close_abandoned_runs, finish_run, start_run, store_article
from crawler.extraction import Article, Capture
from tests.conftest import old_archive

ARTICLE = Article(url="https://news.example/2024/06/pact.html", title="Leaders sign a pact in Pyongyang",
                  text="The two leaders signed a pact.\nIt covers mutual assistance.",
                  authors=("Asha Menon", "Ravi Kapoor"), tags=("North Korea", "Russia News"),
                  published_at="2024-06-20T03:45:00+00:00", published_raw="2024-06-20T09:15:00+05:30")
CAPTURE = Capture(url=ARTICLE.url, body=b"<html><body><p>The two leaders signed a pact.</p></body></html>" * 20,
                  headers={"Content-Type": "text/html", "ETag": '"abc"', "Set-Cookie": "secret"})


def test_new_archive_is_wal_with_current_schema(tmp_path):
    db = open_archive(tmp_path / "a.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema_version(db) == SCHEMA_VERSION
    assert {"articles", "article_versions", "captures", "crawl_runs", "articles_fts"} <= set(db.table_names())
    db.close()
    assert schema_version(open_archive(tmp_path / "a.db")) == SCHEMA_VERSION  # reopening migrates nothing


def test_archive_from_a_newer_version_is_refused(tmp_path):
    db = open_archive(tmp_path / "a.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ArchiveError, match="newer than this newsarchive"):
        open_archive(tmp_path / "a.db")


def test_not_a_database_is_a_clear_error(tmp_path):
    (tmp_path / "a.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError, match="not a usable SQLite archive"):
        open_archive(tmp_path / "a.db")
    with pytest.raises(ArchiveError, match="no such archive"):
        open_archive(tmp_path / "missing.db", create=False)


def test_a_new_archive_in_a_folder_it_may_not_write_says_so(tmp_path, monkeypatch):
    import archive.db

    folder = str(tmp_path)
    real = archive.db.os.access
    monkeypatch.setattr(archive.db.os, "access", lambda p, mode: False if str(p) == folder else real(p, mode))
    with pytest.raises(ArchiveError, match=r"cannot create the archive: folder .* is not writable"):
        open_archive(tmp_path / "a.db")  # (sqlite said only "unable to open database file"; a user's review)


@pytest.mark.parametrize("user_version", [0, 3, 12, 20])  # other programs number their schemas too
def test_another_programs_database_is_refused_untouched(tmp_path, user_version):
    path = tmp_path / "notes.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE notes (body TEXT)")
    other.execute(f"PRAGMA user_version = {user_version}")
    other.commit()
    other.close()
    before = path.read_bytes()
    for read_only in (False, True):
        with pytest.raises(ArchiveError, match=r"no newsarchive archive \(its tables: notes\)"):
            open_archive(path, read_only=read_only)
    assert path.read_bytes() == before and not Path(f"{path}-wal").exists() and not Path(f"{path}.lock").exists()


def test_store_new_article_with_capture(archive):
    stored = store_article(archive, ARTICLE, site="demo", section="world", capture=CAPTURE)
    assert stored.outcome is Outcome.NEW and stored.version == 1
    row = archive["articles"].get(stored.article_id)
    assert json.loads(row["authors"]) == ["Asha Menon", "Ravi Kapoor"]
    assert json.loads(row["tags"]) == ["North Korea", "Russia News"]
    assert row["published_raw"] == "2024-06-20T09:15:00+05:30"
    assert row["word_count"] == 10
    capture = archive["captures"].get(stored.capture_id)
    assert capture_body(archive, capture["id"]) == CAPTURE.body
    assert capture["size"] > len(capture["compressed_body"]) and capture["codec"] == "zstd"  # compressed
    assert capture["etag"] == '"abc"'
    assert "set-cookie" not in json.loads(capture["headers"])
    assert archive["article_versions"].count == 1


def test_same_text_again_is_unchanged_and_adds_no_version(archive):
    store_article(archive, ARTICLE, site="demo")
    spaced = dataclasses.replace(ARTICLE, text=ARTICLE.text.replace(" ", "  "), tags=("Pacts",))
    stored = store_article(archive, spaced, site="demo")
    assert stored.outcome is Outcome.UNCHANGED and stored.version == 1
    assert archive["article_versions"].count == 1
    assert json.loads(archive["articles"].get(stored.article_id)["tags"]) == ["Pacts"]  # metadata refreshed


def test_changed_text_makes_a_new_version_and_fts_follows(archive):
    first = store_article(archive, ARTICLE, site="demo")
    edited = dataclasses.replace(ARTICLE, text="The pact was signed in Vladivostok instead.")
    stored = store_article(archive, edited, site="demo")
    assert stored.outcome is Outcome.CHANGED and stored.version == 2 and stored.article_id == first.article_id
    _, versions = article_history(archive, ARTICLE.url)
    assert [v.text for v in versions] == [ARTICLE.text, edited.text]
    assert [r["id"] for r in archive["articles"].search("Vladivostok")] == [first.article_id]
    assert list(archive["articles"].search("assistance")) == []
    assert archive["articles"].count == 1


def test_failed_write_leaves_nothing_behind(archive):
    # The last statement of the unit fails: the capture and article rows before it must go too.
    archive.execute("CREATE TRIGGER boom BEFORE INSERT ON article_versions BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        store_article(archive, ARTICLE, site="demo", capture=CAPTURE)
    archive.execute("DROP TRIGGER boom")
    assert archive["captures"].count == 0
    assert archive["articles"].count == 0
    assert archive["article_versions"].count == 0
    store_article(archive, ARTICLE, site="demo", capture=CAPTURE)  # the connection is still usable
    assert archive["articles"].count == 1


def test_runs_are_opened_finished_and_abandoned_ones_closed(archive):
    run = start_run(archive, "demo")
    finish_run(archive, run, "finished", {"pages": 5, "articles_new": 3, "unknown": 9})
    row = archive["crawl_runs"].get(run)
    assert (row["outcome"], row["pages"], row["articles_new"]) == ("finished", 5, 3)
    dead = start_run(archive, "other")
    archive.execute("UPDATE crawl_runs SET pid = 999999999 WHERE id = ?", [dead])
    assert close_abandoned_runs(archive) == 1
    assert archive["crawl_runs"].get(dead)["outcome"] == "interrupted"
    assert archive["crawl_runs"].get(run)["outcome"] == "finished"


def test_an_archive_from_schema_1_is_migrated_in_place(tmp_path):

    from archive.db import MIGRATIONS

    old = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO crawl_runs (site, started_at, outcome) VALUES ('demo', '2024-01-01', 'finished')")
    old.conn.commit()
    old.close()
    db = open_archive(tmp_path / "old.db")
    assert schema_version(db) == SCHEMA_VERSION
    assert db["crawl_runs"].get(1)["articles_not_modified"] == 0  # the old row gained the new column


def test_the_declared_headline_is_stored_and_follows_the_page_without_a_new_version(archive, tmp_path):
    seo = dataclasses.replace(ARTICLE, declared_title="Pyongyang pact: what Russia and North Korea agreed")
    first = store_article(archive, seo, site="demo", capture=CAPTURE, fetched_at="2024-06-20T10:00:00+00:00")
    row = archive["articles"].get(first.article_id)
    assert row["declared_title"] == "Pyongyang pact: what Russia and North Korea agreed"
    # the newsroom rewrites its search headline; the story itself is the same: no new version
    again = store_article(archive, dataclasses.replace(seo, declared_title=None), site="demo",
                          fetched_at="2024-06-21T10:00:00+00:00")
    assert again.outcome is Outcome.UNCHANGED and archive["articles"].get(first.article_id)["declared_title"] is None
    # an archive from before migration 15 gains the column, its rows without a value
    assert open_archive(old_archive(tmp_path / "old.db", 14))["articles"].get(1)["declared_title"] is None
