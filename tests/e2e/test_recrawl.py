"""Archive over time: crawl, move the sample site to its next edition, crawl again."""

from __future__ import annotations

import pytest

from archive.db import open_archive
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import run, tool


def crawl(server: DemoServer, sites, db, *settings: str):
    result = run(tool("newsarchive"), "crawl", "demo", "--sites-dir", str(sites), "--db", str(db),
                 *[arg for s in settings for arg in ("--set", s)])
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("editions")
    sites, db = tmp / "sites", tmp / "archive.db"
    sites.mkdir()
    with DemoServer(DemoSite(articles=60), slow_seconds=0.1) as server:
        write_site_file(sites, server.base_url)
        first_site = server.site
        crawl(server, sites, db)
        server.requests.clear()
        quiet = crawl(server, sites, db)  # right away, default back-off: nothing is due
        quiet_requests = dict(server.requests)
        server.requests.clear()
        second_site = server.next_edition()
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
