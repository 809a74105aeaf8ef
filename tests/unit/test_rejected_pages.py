"""Pages extraction rejected are kept (issue 28, item 2): their capture and reason in one row per URL."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest
import sqlite_utils

from archive.db import MIGRATIONS, SCHEMA_VERSION, open_archive, schema_version
from archive.store import Rejection, decompress, store_article, store_rejected
from crawler.extraction import Article, Capture, NotAnArticle

URL = "https://news.example/tag/economy/"
ARTICLE = Article(url=URL, title="Economy", text="A story after all.\nIt has two lines.")


def fetch(body: bytes, fetched_at: str, url: str = URL) -> Capture:
    return Capture(url=url, body=body, headers={"Content-Type": "text/html"}, fetched_at=fetched_at)


def rejected(db: sqlite_utils.Database, url: str = URL) -> dict | None:
    return next(db["rejected_pages"].rows_where("url = ?", [url]), None)


def test_a_rejected_page_is_kept_with_its_capture_and_reason(archive):
    capture_id = store_rejected(archive, URL, site="demo", section="world", capture=fetch(b"<html>v1</html>", "T1"),
                                reason="listing", detail="score -2.2", score=-2.15)
    row = rejected(archive)
    assert {k: row[k] for k in ("site", "section", "reason", "detail", "score", "first_fetched_at",
                                "last_fetched_at", "capture_id")} == {
        "site": "demo", "section": "world", "reason": "listing", "detail": "score -2.2", "score": -2.15,
        "first_fetched_at": "T1", "last_fetched_at": "T1", "capture_id": capture_id}
    capture = archive["captures"].get(capture_id)
    assert decompress(capture["body_gzip"]) == b"<html>v1</html>" and capture["url"] == URL


def test_one_row_per_url_pointing_at_the_latest_capture(archive):
    first = store_rejected(archive, URL, site="demo", capture=fetch(b"<html>v1</html>", "T1"), reason="listing")
    second = store_rejected(archive, URL, site="demo", capture=fetch(b"<html>v2</html>", "T2"), reason="too_short",
                            detail="12 words")
    assert second != first and archive["rejected_pages"].count == 1
    row = rejected(archive)
    assert (row["reason"], row["detail"], row["score"], row["capture_id"]) == ("too_short", "12 words", None, second)
    assert (row["first_fetched_at"], row["last_fetched_at"]) == ("T1", "T2")
    # The same HTML again: the row's fetch time moves on, the capture is not stored twice.
    assert store_rejected(archive, URL, site="demo", capture=fetch(b"<html>v2</html>", "T3"),
                          reason="too_short") == second
    assert archive["captures"].count == 2 and rejected(archive)["last_fetched_at"] == "T3"
    # An older fetch arriving late (distributed mode) is kept, but the row stays on the newest.
    store_rejected(archive, URL, site="demo", capture=fetch(b"<html>v0</html>", "T0"), reason="listing")
    assert archive["captures"].count == 3
    assert (rejected(archive)["reason"], rejected(archive)["capture_id"]) == ("too_short", second)


def test_keeping_a_rejected_page_is_one_transaction(archive):
    archive.execute("CREATE TRIGGER boom BEFORE INSERT ON rejected_pages BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        store_rejected(archive, URL, site="demo", capture=fetch(b"<html></html>", "T1"), reason="listing")
    assert archive["captures"].count == 0


def test_a_rejected_page_that_is_stored_as_an_article_leaves_rejected_pages(archive):
    store_rejected(archive, URL, site="demo", capture=fetch(b"<html>v1</html>", "T1"), reason="too_short")
    # A failed article write leaves the rejected page where it was: same transaction.
    archive.execute("CREATE TRIGGER boom BEFORE INSERT ON article_versions BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        store_article(archive, ARTICLE, site="demo", capture=fetch(b"<html>v2</html>", "T2"))
    assert rejected(archive) is not None
    archive.execute("DROP TRIGGER boom")
    # Fetched again through a tracking link: the capture's canonical URL is the rejected page's.
    store_article(archive, dataclasses.replace(ARTICLE, url="https://news.example/economy"), site="demo",
                  capture=fetch(b"<html>v2</html>", "T2", url=URL + "?utm_source=feed"))
    assert rejected(archive) is None and archive["articles"].count == 1


def test_an_articles_uncertainty_is_stored(archive):
    stored = store_article(archive, dataclasses.replace(ARTICLE, uncertain=True), site="demo")
    assert archive["articles"].get(stored.article_id)["uncertain"] == 1
    sure = store_article(archive, dataclasses.replace(ARTICLE, url=URL + "other"), site="demo")
    assert archive["articles"].get(sure.article_id)["uncertain"] == 0


def test_rejection_carries_not_an_articles_values():
    rejection = Rejection.of(NotAnArticle("listing", "score -2.2", -2.15))
    assert rejection == Rejection("listing", "score -2.2", -2.15) and str(rejection) == "listing: score -2.2"


def test_an_archive_from_schema_3_gains_rejected_pages_and_keeps_its_articles(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    for number, migration in enumerate(MIGRATIONS[:3], 1):
        migration(old)
        old.execute(f"PRAGMA user_version = {number}")
    old.execute("INSERT INTO articles (site, url, title, text, content_hash, first_seen_at) "
                "VALUES ('demo', 'https://news.example/a', 'A', 'Text', 'h', '2024-01-01')")
    old.conn.commit()
    old.close()
    db = open_archive(tmp_path / "old.db")
    assert schema_version(db) == SCHEMA_VERSION
    assert db["articles"].get(1)["uncertain"] == 0  # the old row gained the new column
    assert {tuple(index.columns) for index in db["rejected_pages"].indexes} >= {("url",), ("site", "reason")}
    assert {fk.other_table for fk in db["rejected_pages"].foreign_keys} == {"captures", "crawl_runs"}
    store_rejected(db, URL, site="demo", capture=fetch(b"<html></html>", "T1"), reason="listing")
    assert db["rejected_pages"].count == 1
