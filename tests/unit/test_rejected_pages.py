"""Pages extraction rejected are kept (issue 28, item 2): their capture and reason in one row per
URL, decided again by ``reextract``, counted by ``stats``."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest
import sqlite_utils
from click.testing import CliRunner

from archive.captures import capture_body
from archive.cli import cli
from archive.db import SCHEMA_VERSION, open_archive, schema_version
from archive.store import store_article, store_rejected
from crawler.extraction import Article, Capture, NotAnArticle, Rejection, extract
from crawler.sites import ExtractionRules
from tests.conftest import old_archive, page_html

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
    assert capture_body(archive, capture["id"]) == b"<html>v1</html>" and capture["url"] == URL


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
    db = open_archive(old_archive(tmp_path / "old.db", 3))
    assert schema_version(db) == SCHEMA_VERSION
    assert db["articles"].get(1)["uncertain"] == 0  # the old row gained the new column
    # (site, reason) leads the index of rejected pages by reason (migration 14: with their last fetch)
    assert {tuple(index.columns[:2]) for index in db["rejected_pages"].indexes} >= {("url",), ("site", "reason")}
    assert {fk.other_table for fk in db["rejected_pages"].foreign_keys} == {"captures", "crawl_runs"}
    store_rejected(db, URL, site="demo", capture=fetch(b"<html></html>", "T1"), reason="listing")
    assert db["rejected_pages"].count == 1


# --- reextract and stats ------------------------------------------------------------------------

def write_site(sites_dir, min_words: int) -> None:
    sites_dir.mkdir(exist_ok=True)
    (sites_dir / "demo.toml").write_text(f'name = "demo"\nbase_url = "http://127.0.0.1:8765/"\nsections = ["/"]\n'
                                         f'timezone = "Asia/Kolkata"\n[extraction]\nmin_words = {min_words}\n')


@pytest.fixture
def kept(tmp_path, demo_app, demo_site):
    """An archive that kept a story rejected by too strict a rule, a tag page with an outdated
    reason, and another site's page, as a crawl would have kept them."""
    db = open_archive(tmp_path / "archive.db")
    story = demo_site.stories[0]
    url = "http://127.0.0.1" + story.path
    body = page_html(demo_app, story.path)
    with pytest.raises(NotAnArticle, match="too_short") as too_short:
        extract(body, url, ExtractionRules(min_words=100_000), "Asia/Kolkata")
    store_rejected(db, url, site="demo", section="world", capture=fetch(body, "2024-06-21T00:00:00+00:00", url),
                   **dataclasses.asdict(Rejection.of(too_short.value)))
    tag = "http://127.0.0.1/tag/economy/"
    tag_page = fetch(page_html(demo_app, "/tag/economy/"), "2024-06-21T00:00:00+00:00", tag)
    store_rejected(db, tag, site="demo", capture=tag_page, reason="an_old_reason", detail="decided long ago")
    other = "https://other.example" + story.path
    store_rejected(db, other, site="other", capture=fetch(body, "2024-06-21T00:00:00+00:00", other), reason="too_short")
    write_site(tmp_path / "sites", min_words=100_000)
    return db, story, url, tag, other


def reextract(tmp_path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["reextract", "--db", str(tmp_path / "archive.db"), "--sites-dir",
                                      str(tmp_path / "sites"), "--no-learn", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_reextract_updates_the_reason_of_a_page_still_rejected(tmp_path, kept):
    db, _, url, tag, _ = kept
    output = reextract(tmp_path, "--site", "demo")
    assert "2 rejected pages decided again: 0 became articles, 2 still rejected (1 for another reason)" in output
    assert f"rejected {tag}: an_old_reason -> too_short" in output  # min_words 100000: too short first
    row = rejected(db, tag)
    assert row["reason"] == "too_short" and row["detail"].endswith(" words") and row["score"] < 0
    assert rejected(db, url)["reason"] == "too_short" and db["articles"].count == 0


def test_a_rule_change_turns_a_rejected_page_into_an_article(tmp_path, kept):
    db, story, url, tag, other = kept
    capture_id = rejected(db, url)["capture_id"]
    write_site(tmp_path / "sites", min_words=40)  # the site's rule was too strict
    dry = reextract(tmp_path, "--site", "demo", "--dry-run")
    assert f"article  {url} (was rejected)" in dry and "1 would become articles" in dry
    assert db["articles"].count == 0 and rejected(db, url) is not None  # a dry run writes nothing
    output = reextract(tmp_path, "--site", "demo")
    assert "2 rejected pages decided again: 1 became articles, 1 still rejected" in output
    article = next(db["articles"].rows)
    assert (article["url"], article["title"], article["section"]) == (url, story.title, "world")
    assert article["last_capture_id"] == capture_id  # from the capture the archive kept, no new fetch
    assert (article["first_seen_at"], db["captures"].count) == ("2024-06-21T00:00:00+00:00", 3)
    assert rejected(db, url) is None and rejected(db, tag)["reason"] == "listing"
    assert rejected(db, other) is not None  # --site demo: the other site's page is left alone
    again = reextract(tmp_path, "--site", "demo")
    assert "1 articles re-extracted: 0 changed, 1 unchanged" in again and "1 rejected pages decided again" in again


def test_stats_shows_rejected_pages_by_site_and_reason(tmp_path, kept):
    db_path = str(tmp_path / "archive.db")
    result = CliRunner().invoke(cli, ["stats", "--db", db_path])
    assert result.exit_code == 0, result.output
    assert "demo: 2 rejected pages kept (an_old_reason 1, too_short 1)" in result.output
    assert "other: 1 rejected pages kept (too_short 1)" in result.output
    data = json.loads(CliRunner().invoke(cli, ["stats", "--db", db_path, "--json"]).output)
    assert {(r["site"], r["reason"], r["pages"]) for r in data["rejected"]} == {
        ("demo", "an_old_reason", 1), ("demo", "too_short", 1), ("other", "too_short", 1)}


def test_storing_an_article_finds_its_rejected_page_by_index_not_by_scan(archive):
    """Every article write looks its page up in rejected_pages by URL and by capture."""
    plan = archive.execute("EXPLAIN QUERY PLAN DELETE FROM rejected_pages WHERE url IN ('a', 'b') OR capture_id = 3")
    details = [row[-1] for row in plan.fetchall()]
    assert not any(detail.startswith("SCAN") for detail in details), details


def test_reextract_leaves_an_article_a_crawl_fetched_again_meanwhile(tmp_path, demo_app, demo_site):
    """An adversarial review: a crawl stored a story's correction while reextract ran, and reextract
    then wrote the older capture's reading over it (a third version, the correction rolled back)."""
    from archive.reextract import reextract as reextract_archive

    db = open_archive(tmp_path / "archive.db")
    story = demo_site.stories[0]
    url = "http://127.0.0.1" + story.path
    body = page_html(demo_app, story.path)
    first = extract(body, url)
    store_article(db, first, site="demo", capture=fetch(body, "2024-06-21T00:00:00+00:00", url))
    opening = story.blocks[0].text[:40].encode()
    corrected = body.replace(opening, b"Correction: " + opening)

    def rules(site: str):  # asked as reextract reads the article: a crawl stores the correction just then
        if not rules.crawled:
            rules.crawled = True
            store_article(db, extract(corrected, url), site="demo",
                          capture=fetch(corrected, "2024-06-22T00:00:00+00:00", url))
        return ExtractionRules(), "UTC"

    rules.crawled = False
    report = reextract_archive(db, rules)
    assert rules.crawled and report.fetched_meanwhile == [url] and not report.changed
    article = next(db["articles"].rows)
    assert article["version"] == 2 and "Correction:" in article["text"]
