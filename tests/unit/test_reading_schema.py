"""Issue 24's schema: tags and site counts kept by triggers, versions without a second copy of the
current text, and the migration of an archive made before them."""

from __future__ import annotations

import dataclasses

import sqlite_utils

from archive.db import MIGRATIONS, SCHEMA_VERSION, _v7_reading_at_scale, migrate, open_archive, schema_version
from archive.queries import article_history
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
