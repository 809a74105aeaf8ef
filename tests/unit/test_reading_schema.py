"""Issue 24's schema: tags and site counts kept by triggers, versions without a second copy of the
current text, and the migration of an archive made before them."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sqlite_utils

from archive.db import (
    MIGRATIONS,
    SCHEMA_VERSION,
    _v7_reading_at_scale,
    _v14_reading_at_a_million,
    migrate,
    open_archive,
    schema_version,
)
from archive.queries import article_history
from archive.serve import canned_query
from archive.store import store_article
from crawler.extraction import Article

STORY = Article(url="https://news.example/2024/06/pact.html", title="Leaders sign a pact",
                text="The two leaders signed a pact.\nIt covers mutual assistance.",
                tags=("North Korea", "Russia News"), categories=("World",),
                published_at="2024-06-20T03:45:00+00:00")
OTHER = Article(url="https://news.example/2024/06/rain.html", title="Rain in June", text="It rained all day long.",
                tags=("Weather",), published_at="2024-06-21T03:45:00+00:00")


def tags_of(db: sqlite_utils.Database, article_id: int) -> list[str]:
    return [r[0] for r in db.execute("select tag from article_tags where article_id = ? order by tag", [article_id])]


def test_article_tags_follow_every_write(tmp_path):
    db = open_archive(tmp_path / "a.db")
    first = store_article(db, STORY, site="demo")
    assert tags_of(db, first.article_id) == ["North Korea", "Russia News", "World"]
    store_article(db, dataclasses.replace(STORY, tags=("Pacts",)), site="demo")
    assert tags_of(db, first.article_id) == ["Pacts", "World"]
    # lookups by tag ignore case, as the by_tag query always did
    assert db.execute("select article_id from article_tags where tag = 'pacts'").fetchall() == [(first.article_id,)]


def test_site_counts_follow_inserts_and_deletes(tmp_path):
    db = open_archive(tmp_path / "a.db")
    store_article(db, STORY, site="demo")
    other = store_article(db, OTHER, site="demo")
    store_article(db, dataclasses.replace(OTHER, url="https://weather.example/rain"), site="weather")
    assert dict(db.execute("select site, articles from site_counts").fetchall()) == {"demo": 2, "weather": 1}
    db.execute("delete from article_versions where article_id = ?", [other.article_id])
    db.execute("delete from articles where id = ?", [other.article_id])
    assert dict(db.execute("select site, articles from site_counts").fetchall()) == {"demo": 1, "weather": 1}


def test_the_current_text_is_stored_once(tmp_path):
    db = open_archive(tmp_path / "a.db")
    store_article(db, STORY, site="demo")
    assert db.execute("select text from article_versions").fetchall() == [(None,)]
    edited = dataclasses.replace(STORY, text=STORY.text + "\nCorrection: the pact was signed on Wednesday.")
    third = dataclasses.replace(STORY, text="A rewritten story.")
    store_article(db, edited, site="demo")
    store_article(db, third, site="demo")
    stored = db.execute("select version, text from article_versions order by version").fetchall()
    assert stored == [(1, STORY.text), (2, edited.text), (3, None)]
    _, versions = article_history(db, STORY.url)
    assert [v.text for v in versions] == [STORY.text, edited.text, third.text]


def test_an_archive_of_schema_6_migrates(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrate(old, to=MIGRATIONS.index(_v7_reading_at_scale))
    old["articles"].insert({"id": 1, "site": "demo", "url": STORY.url, "title": STORY.title, "text": "new text",
                            "content_hash": "b", "first_seen_at": "2024-06-06T00:00:00+00:00", "version": 2,
                            "tags": '["North Korea"]', "categories": '["World", "North Korea"]'})
    old["article_versions"].insert_all([
        {"article_id": 1, "version": 1, "title": STORY.title, "text": "old text", "content_hash": "a",
         "fetched_at": "2024-06-06T00:00:00+00:00"},
        {"article_id": 1, "version": 2, "title": STORY.title, "text": "new text", "content_hash": "b",
         "fetched_at": "2024-06-07T00:00:00+00:00"}])
    old.conn.commit()
    old.close()
    db = open_archive(tmp_path / "old.db")
    assert schema_version(db) == SCHEMA_VERSION
    assert tags_of(db, 1) == ["North Korea", "World"]
    assert db.execute("select site, articles from site_counts").fetchall() == [("demo", 1)]
    assert db.execute("select version, text from article_versions order by version").fetchall() == [
        (1, "old text"), (2, None)]
    assert [v.text for v in article_history(db, STORY.url)[1]] == ["old text", "new text"]


def test_an_unchanged_re_fetch_leaves_the_articles_tags_alone(archive):
    tagged = dataclasses.replace(STORY, tags=("North Korea", "Missiles"), categories=("World",))
    store_article(archive, tagged, site="demo")
    changes = archive.conn.total_changes
    store_article(archive, tagged, site="demo", fetched_at="2030-01-01T00:00:00+00:00")
    unchanged = archive.conn.total_changes - changes
    store_article(archive, dataclasses.replace(tagged, tags=("North Korea",)), site="demo",
                  fetched_at="2030-01-02T00:00:00+00:00")
    assert archive.execute("select tag from article_tags order by tag").fetchall() == [("North Korea",), ("World",)]
    assert unchanged == 1  # the article's row (its last fetch): no article_tags row deleted and written again


def tag_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("select tag, articles from tag_counts order by tag").fetchall())


def test_tag_counts_follow_every_write(tmp_path):
    """Migration 14: each tag's and category's articles, counted as article_tags holds them."""
    db = open_archive(tmp_path / "a.db")
    story = store_article(db, STORY, site="demo")
    store_article(db, dataclasses.replace(OTHER, tags=("Weather", "russia news")), site="demo")
    assert tag_counts(db) == {"North Korea": 1, "Russia News": 2, "Weather": 1, "World": 1}
    store_article(db, dataclasses.replace(STORY, tags=("Pacts",)), site="demo")
    assert tag_counts(db) == {"Pacts": 1, "Russia News": 1, "Weather": 1, "World": 1}
    db.execute("update article_tags set tag = 'Treaties' where tag = 'Pacts'")
    db.execute("delete from article_versions where article_id = ?", [story.article_id])
    db.execute("delete from articles where id = ?", [story.article_id])
    assert tag_counts(db) == {"Russia News": 1, "Weather": 1}
    counted = db.execute("select lower(tag), count(*) from article_tags group by tag order by tag").fetchall()
    assert {tag.lower(): articles for tag, articles in tag_counts(db).items()} == dict(counted)


def test_an_archive_of_schema_13_gets_its_tag_counts(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrate(old, to=MIGRATIONS.index(_v14_reading_at_a_million))
    for story in (STORY, OTHER):  # as that schema's newsarchive stored them (today's writes later columns)
        old.execute("INSERT INTO articles (site, url, title, text, content_hash, first_seen_at, published_at, tags,"
                    " categories) VALUES ('demo', ?, ?, ?, ?, '2024-06-20', ?, ?, ?)",
                    [story.url, story.title, story.text, story.content_hash, story.published_at,
                     json.dumps(list(story.tags)), json.dumps(list(story.categories))])
    old.conn.commit()
    old.close()
    db = open_archive(tmp_path / "old.db")
    assert schema_version(db) == SCHEMA_VERSION
    assert tag_counts(db) == {"North Korea": 1, "Russia News": 1, "Weather": 1, "World": 1}


CANNED = {"changed_stories": "articles_changed", "articles_per_day": "articles_day_site",
          "by_tag": "article_tags_published", "tag_counts": "tag_counts_articles"}


def test_rejected_pages_by_reason_are_counted_from_an_index_alone(tmp_path):
    db = open_archive(tmp_path / "a.db")
    plan = " ".join(row[3] for row in db.execute(f"explain query plan {canned_query('rejected_by_reason')}"))
    assert "COVERING INDEX rejected_pages_reason_latest" in plan


@pytest.mark.parametrize("name", CANNED)
def test_canned_queries_read_an_index_in_their_order(tmp_path, name):
    """Datasette shows a canned query's first 1,000 rows: read in an index's order, they stop
    there; a whole table sorted first took 0.4 to 1.4 s at a million articles."""
    db = open_archive(tmp_path / "a.db")
    for number in range(30):
        story = dataclasses.replace(OTHER, url=f"https://news.example/{number}", tags=("Weather", f"Day {number % 3}"),
                                    published_at=f"2024-06-{1 + number % 7:02d}T{number % 24:02d}:{number:02d}:00Z")
        store_article(db, story, site=f"site{number % 2}", fetched_at="2024-06-30T00:00:00+00:00")
        if number % 4 == 0:
            store_article(db, dataclasses.replace(story, text="Edited."), site=f"site{number % 2}",
                          fetched_at=f"2024-07-{1 + number // 4:02d}T00:00:00+00:00")
    sql = canned_query(name)
    plan = " ".join(row[3] for row in db.execute(f"explain query plan {sql}", {"tag": "weather"}))
    assert CANNED[name] in plan and "TEMP B-TREE" not in plan
    rows = db.execute(sql, {"tag": "weather"}).fetchall()
    assert len(rows) > 1
    assert rows == db.execute(STRAIGHTFORWARD[name], {"tag": "weather"}).fetchall()


# The canned queries as they were before migration 14 (whole tables read and sorted).
STRAIGHTFORWARD = {
    "changed_stories": "select articles.id, articles.site, articles.title, articles.url, articles.version as versions,"
                       " articles.first_seen_at, articles.last_changed_at from articles where +articles.version > 1"
                       " order by +articles.last_changed_at desc",
    "articles_per_day": "select substr(published_at, 1, 10) as day, site, count(*) as articles from articles"
                        " not indexed where published_at is not null group by day, site order by day desc, site",
    "by_tag": "select articles.id, articles.site, articles.published_at, articles.title, articles.url, articles.tags"
              " from article_tags join articles on articles.id = article_tags.article_id"
              " where article_tags.tag = :tag order by articles.published_at desc, articles.id",
    "tag_counts": "select tag, count(*) as articles from article_tags group by tag order by articles desc, tag",
}
