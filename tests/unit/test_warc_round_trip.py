"""Round trip (issue 27, item 5): an archive exported with ``export --format warc`` and imported
into an empty archive gives the same articles, versions and rejected pages."""

from __future__ import annotations

import gzip

import pytest
import sqlite_utils

from archive.captures import capture_body
from archive.db import open_archive
from archive.export import export_warc
from archive.store import start_run, store_article, store_rejected
from archive.warcimport import import_archives
from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.extraction import Capture
from crawler.workers import extract_for_archive

BASE = "http://127.0.0.1:8765"
ARTICLE_COLUMNS = ("url, site, title, declared_title, description, text, authors, published_at, published_raw,"
                   " modified_at, tags, categories, language, image, content_hash, version, first_seen_at,"
                   " last_fetched_at")


def crawl_into(db, site: DemoSite, config, day: int, paths: list[str]) -> None:
    """Store pages of ``site`` as a crawl's pipelines do: extract_for_archive, then store_article
    or store_rejected with the fetch's capture."""
    app = DemoSiteApp(site, base_url=BASE + "/")
    run_id = start_run(db, "demo")
    for minute, path in enumerate(paths):
        reply = app.respond(path, 2)
        headers = {"Content-Type": reply.content_type, **dict(reply.headers)}
        capture = Capture(url=BASE + path, body=reply.body, status=reply.status, headers=headers,
                          fetched_at=f"2024-06-{day:02d}T08:{minute:02d}:00+00:00")
        extracted = extract_for_archive(reply.body, capture.url, config.extraction, config.timezone,
                                        reply.content_type)
        if extracted.article is not None:
            store_article(db, extracted.article, site="demo", capture=capture, run_id=run_id)
        else:
            store_rejected(db, capture.url, site="demo", capture=capture, reason=extracted.rejection.reason,
                           detail=extracted.rejection.detail, score=extracted.rejection.score, run_id=run_id)


def as_schema_9(path) -> None:
    """Turn the archive at ``path`` back into what schema 9 held: gzip captures in ``body_gzip``,
    no dictionaries (migration 10 undone), for the migration to convert again."""
    db = open_archive(path)
    bodies = {capture_id: capture_body(db, capture_id) for (capture_id,) in db.execute("select id from captures")}
    db.close()
    db = sqlite_utils.Database(path)
    db["captures"].transform(drop={"codec", "dictionary_id"}, rename={"compressed_body": "body_gzip"})
    with db.conn:
        for capture_id, body in bodies.items():
            db.execute("update captures set body_gzip = ? where id = ?", [gzip.compress(body, mtime=0), capture_id])
        db.execute("drop index if exists captures_site")
        db.execute("drop table capture_dictionaries")
        db.execute("pragma user_version = 9")
    db.close()


def table(db, sql: str) -> list[tuple]:
    return sorted(tuple(row) for row in db.execute(sql).fetchall())


@pytest.mark.parametrize("migrated", [False, True], ids=["zstd", "migrated-from-gzip"])
def test_export_as_warc_then_import_gives_the_same_articles(tmp_path, demo_config, migrated):
    site = DemoSite(articles=24)
    config = demo_config.with_base_url(BASE + "/")
    stories = [s.path for s in site.stories]
    legacy = [s.path for s in DemoSite(articles=120).stories if s.template in ("legacy", "ja_newsroom")][:2]
    source = open_archive(tmp_path / "source.db")
    crawl_into(source, site, config, 1, [*stories, "/section/world/"])
    crawl_into(source, DemoSite(articles=120), config, 1, legacy)
    edition = site.next_edition()  # some stories corrected: a second version each
    crawl_into(source, edition, config, 2, sorted(edition.corrected_paths))
    if migrated:  # an archive made before migration 10 exports and imports the same
        source.close()
        as_schema_9(tmp_path / "source.db")
        source = open_archive(tmp_path / "source.db")
        assert {row[0] for row in source.execute("select codec from captures")} == {"zstd"}
    with open(tmp_path / "export.warc.gz", "wb") as out:
        exported = export_warc(source, out)
    assert exported == source["captures"].count

    import_archives([tmp_path / "export.warc.gz"], db_path=tmp_path / "copy.db", sites=[config], jobs=0)
    copy = open_archive(tmp_path / "copy.db")
    articles = table(source, f"select {ARTICLE_COLUMNS} from articles")
    assert len(articles) > 20 and any("Nürnberg" in row[2] for row in articles)
    assert table(copy, f"select {ARTICLE_COLUMNS} from articles") == articles
    versions = ("select a.url, v.version, v.title, v.text, v.fetched_at from article_versions v"
                " join articles a on a.id = v.article_id")
    assert any(row[1] == 2 for row in table(source, versions))  # the corrections are there to compare
    assert table(copy, versions) == table(source, versions)
    rejected = "select url, site, reason, first_fetched_at from rejected_pages"
    assert table(copy, rejected) == table(source, rejected) != []
    captures = "select url, fetched_at, status, content_type, etag, last_modified, digest from captures"
    assert table(copy, captures) == table(source, captures)
