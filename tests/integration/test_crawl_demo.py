"""The news spider against the sample site on 127.0.0.1, in this process, into a fresh archive.

Twisted's reactor runs once per process, so one module-scoped crawl feeds every test here.
"""

from __future__ import annotations

import json
from datetime import UTC

import pytest

from archive.db import open_archive
from archive.queries import search
from crawler.demo_site import DemoServer, DemoSite
from crawler.demo_site.content import load_seed
from crawler.runner import run_crawl
from crawler.sites import load_site_file
from tests.conftest import demo_config_file


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("crawl") / "archive.db"
    site = DemoSite()
    with DemoServer(site) as server:
        config = load_site_file(demo_config_file()).with_base_url(server.base_url)
        result = run_crawl([config], db_path, {"LOG_LEVEL": "WARNING"})
        requests = dict(server.requests)
    db = open_archive(db_path)
    yield site, server, result, requests, db
    db.close()


def test_crawl_finished(crawled):
    _, _, result, _, db = crawled
    assert result.finish_reason == "finished"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_every_article_archived_exactly_once(crawled):
    site, server, _, requests, db = crawled
    rows = list(db["articles"].rows)
    assert len(rows) == len(site.stories)
    stored = {row["url"]: row for row in rows}
    for story in site.stories:
        row = stored[server.base_url.rstrip("/") + story.path]
        assert row["title"] == story.title
        assert row["text"] == story.body_text
        assert row["published_at"] == story.published.astimezone(UTC).isoformat()
        assert json.loads(row["authors"]) == list(story.authors)
        assert row["section"] == story.section
        assert requests[story.path] == 1  # fetched once
    assert db["article_versions"].count == len(site.stories)
    assert db["captures"].count == len(site.stories)


def test_no_listing_tag_or_author_page_is_stored(crawled):
    _, _, _, _, db = crawled
    urls = [row["url"] for row in db["articles"].rows]
    assert not [u for u in urls if "/tag/" in u or "/author/" in u or "/section/" in u or "/search/" in u]


def test_robots_txt_is_obeyed(crawled):
    _, _, result, requests, _ = crawled
    assert requests["/robots.txt"] == 1
    assert not [path for path in requests if path.startswith("/private/")]
    assert result.count("news/demo/skipped/robots_txt") == 3


def test_seed_article_is_clean_and_findable(crawled):
    _, _, _, _, db = crawled
    title, blocks, _ = load_seed()
    hits = search(db, "Pyongyang Putin")
    assert [h.title for h in hits] == [title]
    row = db["articles"].get(hits[0].id)
    assert row["text"] == "\n".join(b.text for b in blocks)
    assert json.loads(row["tags"]) == ["International news", "North Korea", "Russia News"]
    assert row["published_at"] == "2024-06-20T03:45:00+00:00"


def test_crawl_run_is_recorded_with_counts(crawled):
    site, _, _, _, db = crawled
    runs = list(db["crawl_runs"].rows)
    assert len(runs) == 1
    run = runs[0]
    listing_pages = sum(site.pages(site.in_section(s)) for s in ("world", "politics", "business", "technology"))
    assert run["outcome"] == "finished" and run["finished_at"]
    assert run["articles_new"] == len(site.stories)
    assert run["pages"] == len(site.stories) + listing_pages
    assert run["errors"] == 0
    assert run["skipped"] == 3  # the robots.txt-disallowed memos
