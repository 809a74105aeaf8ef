"""Datasette on an archive, in-process: search, facets, sort, every canned query, read-only."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from datasette.app import Datasette

from archive.db import open_archive
from archive.serve import METADATA_FILE, PLUGINS_DIR, datasette_metadata, datasette_settings
from archive.store import finish_run, start_run, store_article, store_rejected
from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.extraction import Capture, NotAnArticle, Rejection, extract
from crawler.sites import load_site_file
from tests.conftest import demo_config_file

SEED_TITLE = "Now America will lose its sleep"


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    """A small archive made the way the crawler makes it (extract, then store), without a crawl."""
    path = tmp_path_factory.mktemp("ds") / "archive.db"
    db = open_archive(path)
    config = load_site_file(demo_config_file())
    site = DemoSite(articles=40)
    app = DemoSiteApp(site)
    run = start_run(db, "demo")
    for story in site.stories:
        reply = app.respond(story.path, 2)
        article = extract(reply.body, "http://127.0.0.1" + story.path, config.extraction, config.timezone,
                          reply.content_type)
        store_article(db, article, site="demo", section=story.section, run_id=run)
    reply = app.respond("/tag/economy/", 2)
    try:
        extract(reply.body, "http://127.0.0.1/tag/economy/", config.extraction, config.timezone, reply.content_type)
    except NotAnArticle as error:
        rejection = Rejection.of(error)
    store_rejected(db, "http://127.0.0.1/tag/economy/", site="demo", run_id=run, reason=rejection.reason,
                   detail=rejection.detail, score=rejection.score,
                   capture=Capture(url="http://127.0.0.1/tag/economy/", body=reply.body))
    finish_run(db, run, "finished", {"articles_new": 40, "pages": 46, "skipped": 1})
    edited = dataclasses.replace(article, text=article.text + "\nCorrection: an earlier version misspelt a name.")
    store_article(db, edited, site="demo")
    other = start_run(db, "other")
    finish_run(db, other, "failed", {"errors": 3}, error="boom")
    db.close()
    return path


def get(path, url: str, allow_sql: bool = False):
    ds = Datasette([str(path)], metadata=datasette_metadata(path), settings=datasette_settings(allow_sql),
                   plugins_dir=str(PLUGINS_DIR))
    return asyncio.run(ds.client.get(url))


def test_metadata_file_names_the_archive_database():
    assert "archive:" in METADATA_FILE.read_text()


def test_search_finds_the_seed(archive_path):
    rows = get(archive_path, "/archive/articles.json?_search=Pyongyang&_shape=array").json()
    assert any(r["title"].startswith(SEED_TITLE) for r in rows)


def test_default_sort_is_newest_first_and_facets_are_on(archive_path):
    data = get(archive_path, "/archive/articles.json?_size=100").json()
    dates = [row[data["columns"].index("published_at")] for row in data["rows"]]
    assert dates == sorted(dates, reverse=True)
    facets = data["facet_results"]
    assert {"site", "section", "language", "tags", "authors", "published_at"} <= set(facets)
    tags = {item["value"] for item in facets["tags"]["results"]}
    assert "North Korea" in tags or len(tags) == 30  # facet sizes are capped


def test_array_facet_filters_by_tag(archive_path):
    rows = get(archive_path, "/archive/articles.json?tags__arraycontains=Russia+News&_shape=array").json()
    assert [r["title"][:31] for r in rows] == [SEED_TITLE]


@pytest.mark.parametrize(("query", "params", "check"), [
    ("search", "q=Putin", lambda rows: rows[0]["title"].startswith(SEED_TITLE) and "[Putin]" in rows[0]["snippet"]),
    ("search", "q=Putin&site=other", lambda rows: rows == []),
    ("search", "q=Putin&since=2024-06-21", lambda rows: rows == []),
    ("search", "q=Putin&since=2024-06-19&until=2024-06-21", lambda rows: len(rows) == 1),
    ("latest_per_site", "", lambda rows: len(rows) == 10 and rows[0]["published_at"] >= rows[-1]["published_at"]),
    ("by_tag", "tag=north+korea", lambda rows: [r["title"][:31] for r in rows] == [SEED_TITLE]),
    ("tag_counts", "", lambda rows: rows[0]["articles"] >= rows[-1]["articles"] and rows[0]["tag"]),
    ("changed_stories", "", lambda rows: len(rows) == 1 and rows[0]["versions"] == 2),
    ("crawl_health", "", lambda rows: {r["site"]: r["failed_runs"] for r in rows} == {"demo": 0, "other": 1}),
    ("articles_per_day", "", lambda rows: sum(r["articles"] for r in rows) == 40),
    ("rejected_by_reason", "", lambda rows: [(r["site"], r["reason"], r["pages"]) for r in rows] == [
        ("demo", "listing", 1)]),
])
def test_canned_queries(archive_path, query, params, check):
    response = get(archive_path, f"/archive/{query}.json?_shape=array&{params}")
    assert response.status_code == 200, response.text
    assert check(response.json())


def test_visitors_cannot_run_arbitrary_sql_unless_allowed(archive_path):
    assert get(archive_path, "/archive.json?sql=select+1").status_code == 403
    assert get(archive_path, "/archive.json?sql=select+1&_shape=array", allow_sql=True).json() == [{"1": 1}]


def test_article_page_reads_as_paragraphs_with_tags(archive_path):
    rows = get(archive_path, "/archive/articles.json?_search=Putin&_shape=array").json()
    html = get(archive_path, f"/archive/articles/{rows[0]['id']}").text
    assert '<div class="article-text"><p>Pyongyang (North Korea).' in html
    assert '<span class="tag">North Korea</span>' in html


def test_fts_shadow_tables_are_hidden(archive_path):
    tables = {t["name"]: t["hidden"] for t in get(archive_path, "/archive.json").json()["tables"]}
    assert tables["articles_fts"] is True and tables["articles"] is False


def test_rejected_pages_are_shown_with_a_link_to_their_capture(archive_path):
    tables = {t["name"]: t for t in get(archive_path, "/archive.json").json()["tables"]}
    assert tables["rejected_pages"]["hidden"] is False
    data = get(archive_path, "/archive/rejected_pages.json?_shape=objects").json()
    assert {"site", "reason"} <= set(data["facet_results"])
    row = data["rows"][0]
    assert (row["url"], row["reason"]) == ("http://127.0.0.1/tag/economy/", "listing")
    html = get(archive_path, "/archive/rejected_pages").text
    assert "Pages fetched as candidate articles" in html
    assert f'<a href="/archive/captures/{row["capture_id"]}">' in html  # its raw HTML, one click away
    assert f"rejected_pages?capture_id={row['capture_id']}" in get(archive_path,
                                                                   f"/archive/captures/{row['capture_id']}").text
