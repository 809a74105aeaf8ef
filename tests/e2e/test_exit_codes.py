"""Exit codes tell cron what happened (issue 23, items 7 and 8): a crawl whose run failed or was
blocked exits non-zero; one stopped by a CLOSESPIDER_* limit the user set finished."""

from __future__ import annotations

import pytest

from archive.db import open_archive
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import run, tool
from tests.services import free_port


def crawl(base_url: str, tmp_path, *options: str, command: str = "crawl"):
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    write_site_file(sites, base_url)
    args = ["demo"] if command == "crawl" else ["--once"]
    return run(tool("newsarchive"), command, *args, "--sites-dir", str(sites), "--db", str(db), *options), db


def only_run(db) -> dict:
    rows = list(open_archive(db)["crawl_runs"].rows)
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize("command", ["crawl", "schedule"])
def test_a_crawl_whose_run_failed_exits_1(tmp_path, command):
    # Nothing listens there: no page can be fetched (the scheduler's crawl retries, a few seconds)
    options = ["--set", "RETRY_ENABLED=False"] if command == "crawl" else []
    result, db = crawl(f"http://127.0.0.1:{free_port()}/", tmp_path, *options, command=command)
    assert only_run(db)["outcome"] == "failed"
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    if command == "crawl":
        assert "demo: failed" in result.stdout and "not every run finished: demo failed" in result.stderr


@pytest.mark.parametrize("command", ["crawl", "schedule"])
def test_a_crawl_stopped_at_a_bot_wall_exits_3(tmp_path, command):
    with DemoServer(DemoSite(articles=30), wall_after=5) as server:
        result, db = crawl(server.base_url, tmp_path, command=command)
    assert only_run(db)["outcome"] == "blocked"
    assert result.returncode == 3, result.stdout + result.stderr[-2000:]


def test_closespider_pagecount_finishes_the_run_by_its_limit(tmp_path):
    with DemoServer(DemoSite(articles=30)) as server:
        result, db = crawl(server.base_url, tmp_path, "--set", "CLOSESPIDER_PAGECOUNT=3")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    row = only_run(db)
    assert row["outcome"] == "finished" and row["error"] == "stopped at its limit, CLOSESPIDER_PAGECOUNT"
    assert "demo: finished - " in result.stdout and "CLOSESPIDER_PAGECOUNT" in result.stdout


def test_closespider_itemcount_archives_that_many_articles(tmp_path):
    with DemoServer(DemoSite(articles=60)) as server:
        result, db = crawl(server.base_url, tmp_path, "--set", "CLOSESPIDER_ITEMCOUNT=5")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    row = only_run(db)
    assert row["outcome"] == "finished" and row["articles_new"] == 5
    assert open_archive(db)["articles"].count == 5


def test_a_crawl_that_cannot_open_its_runs_says_why_and_exits_1(tmp_path):
    """Third review (session 18): a crawl whose pipeline could not open its runs (the archive's write
    lock held by another program for over 30 s) printed Twisted's "Unhandled error in Deferred"
    traceback, and its summary said the crawl ended "unknown". Here the archive refuses new runs at
    once (a trigger), as a lock held too long refuses them after 30 s."""
    db = tmp_path / "archive.db"
    archive = open_archive(db)
    archive.execute("CREATE TRIGGER refuse_runs BEFORE INSERT ON crawl_runs BEGIN "
                    "SELECT RAISE(ABORT, 'no new runs today'); END")
    archive.close()
    with DemoServer(DemoSite(articles=10)) as server:
        result, _ = crawl(server.base_url, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "demo: failed - no run was recorded (did not start)" in result.stdout
    assert "Crawl did not start" in result.stdout and "no new runs today" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr and "Unhandled error" not in result.stderr
