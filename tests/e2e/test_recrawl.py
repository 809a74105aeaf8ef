"""Archive over time: crawl, move the sample site to its next edition, crawl again."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from archive.db import open_archive
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import run, tool


def crawl(server: DemoServer, sites, db, *settings: str):
    result = run(tool("newsarchive"), "crawl", "demo", "--sites-dir", str(sites), "--db", str(db),
                 *[arg for s in settings for arg in ("--set", s)])
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@contextmanager
def crawled_once(tmp_path_factory, name: str, articles: int):
    """The sample site served, a site file for it, and an archive of its first crawl."""
    tmp = tmp_path_factory.mktemp(name)
    sites, db = tmp / "sites", tmp / "archive.db"
    sites.mkdir()
    with DemoServer(DemoSite(articles=articles), slow_seconds=0.1) as server:
        write_site_file(sites, server.base_url)
        crawl(server, sites, db)
        yield server, sites, db


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    with crawled_once(tmp_path_factory, "editions", 60) as (server, sites, db):
        first_site = server.site
        server.requests.clear()
        quiet = crawl(server, sites, db)  # right away, default back-off: nothing is due
        quiet_requests = dict(server.requests)
        second_site = server.next_edition()  # (its requests counted afresh)
        crawl(server, sites, db, "ARCHIVE_RECHECK=always")
        yield first_site, second_site, server.base_url.rstrip("/"), dict(server.requests), quiet, quiet_requests, db


def test_a_recrawl_right_away_fetches_no_known_article(editions):
    first, _, _, _, quiet, quiet_requests, _ = editions
    assert not [a.path for a in first.stories if quiet_requests.get(a.path)]
    assert "0 new, 0 changed" in quiet


def test_new_stories_are_added_and_edits_make_exactly_one_version(editions):
    first, second, base, _, _, _, db = editions
    archive = open_archive(db)
    versions = {row["url"].removeprefix(base): row["version"] for row in archive["articles"].rows}
    new = {a.path for a in second.stories} - {a.path for a in first.stories}
    assert len(new) == second.new_per_edition and new <= set(versions)
    assert second.corrected_paths and second.touched_up_paths
    for path, version in versions.items():
        assert version == (2 if path in second.corrected_paths else 1), path
    # the current version's text is the article's (issue 24: not stored twice)
    corrected = archive.execute("select coalesce(v.text, a.text) from article_versions v"
                                " join articles a on a.id = v.article_id where v.version = 2").fetchall()
    assert len(corrected) == len(second.corrected_paths)
    assert all("Correction: an earlier version" in text for (text,) in corrected)


def test_unchanged_articles_cost_only_304s(editions):
    first, second, _, requests, _, _, db = editions
    unchanged = {a.path for a in first.stories} - second.corrected_paths - second.touched_up_paths \
        - first.retried_paths - second.retried_paths  # a 500 or 429 before the answer
    assert unchanged
    assert not {path: requests[path] for path in unchanged if requests.get(path, 0) > 1}  # at most one 304
    run_row = next(iter(open_archive(db)["crawl_runs"].rows_where(order_by="id desc", limit=1)))
    assert run_row["articles_not_modified"] >= len(unchanged)
    assert run_row["articles_changed"] == len(second.corrected_paths)
    assert run_row["articles_new"] == second.new_per_edition


def test_a_quiet_recrawl_asks_feeds_and_sitemaps_conditionally(editions):
    _, _, _, _, _, quiet_requests, db = editions
    archive = open_archive(db)
    _, quiet = list(archive["crawl_runs"].rows_where(order_by="id", limit=2))
    stats = json.loads(quiet["stats"])
    assert stats["news/demo/not_modified/feeds"] == 2 and stats["news/demo/not_modified/sitemaps"] == 1
    assert not [path for path in quiet_requests if path.startswith("/sitemap-")]  # the index was unchanged
    assert stats["news/demo/listing_stopped/nothing_new"] >= 1
    assert archive["discovery_sources"].count >= 4  # both feeds, the index and its children, kept for the next time


@pytest.fixture(scope="module")
def backed_off(tmp_path_factory):
    """A crawl; then time passes for some stories (their last fetch is set 8 days back, so the
    default back-off makes them due); then the site's next edition, crawled with the default policy."""
    with crawled_once(tmp_path_factory, "backed_off", 300) as (server, sites, db):
        first = server.site
        second = server.next_edition()  # live from here on: the archive is changed before it is crawled
        edited = sorted((second.corrected_paths | second.touched_up_paths) & {a.path for a in first.stories})
        unchanged = [a.path for a in first.stories if a.path not in edited]
        due = set(edited[::2] + unchanged[::7])  # deep in the sections as well as near their fronts
        base = server.base_url.rstrip("/")
        archive = open_archive(db)
        with archive.conn:
            archive.conn.executemany("update articles set last_fetched_at = ? where url = ?",
                                     [((datetime.now(UTC) - timedelta(days=8)).isoformat(timespec="seconds"),
                                       base + path) for path in due])
        archive.close()
        crawl(server, sites, db)
        yield first, second, due, base, dict(server.requests), db


def test_a_recrawl_after_the_next_edition_finds_every_new_story_and_every_due_edit(backed_off):
    first, second, due, base, requests, db = backed_off
    archive = open_archive(db)
    versions = {row["url"].removeprefix(base): row["version"] for row in archive["articles"].rows}
    new = {a.path for a in second.stories} - {a.path for a in first.stories}
    assert new and new <= set(versions)
    due_corrections = second.corrected_paths & due
    assert due_corrections and second.corrected_paths - due
    for path in second.corrected_paths:
        assert versions[path] == (2 if path in due else 1), path  # an edit not yet due waits for its turn
    for path in due - first.retried_paths - second.retried_paths:
        assert requests.get(path) == 1, path  # each due story asked once (a 304 if unchanged)
    not_due = {a.path for a in first.stories} - due - new
    assert not [path for path in not_due if requests.get(path)]


def test_a_recrawl_after_the_next_edition_walks_only_the_fronts(backed_off):
    _, second, _, _, requests, _ = backed_off
    walked = [path for path in requests if path.startswith("/section/world/")]
    assert 1 < len(walked) < second.pages(second.in_section("world"))
    assert [path for path in requests if path.startswith("/sitemap-")]  # the month with the new stories changed
    assert len([path for path in requests if path.startswith("/sitemap-")]) < 4
