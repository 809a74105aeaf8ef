"""Crawls of sites that ask for restraint: one puts up a bot wall part-way (the crawl stops asking,
and says why), one asks for a delay between requests in its robots.txt."""

from __future__ import annotations

import json
from itertools import pairwise

from archive.db import open_archive
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import run, tool

WALL_AFTER, LIMIT = 15, 3
CRAWL_DELAY = 0.25


def crawl(server: DemoServer, tmp_path, *options: str):
    """``newsarchive crawl demo`` against ``server`` into a fresh archive: the result and the archive's path."""
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    sites.mkdir()
    write_site_file(sites, server.base_url)
    return run(tool("newsarchive"), "crawl", "demo", "--sites-dir", str(sites), "--db", str(db), *options), db


def test_a_site_that_walls_the_crawler_is_left_alone_and_its_run_is_blocked(tmp_path):
    with DemoServer(DemoSite(articles=60), slow_seconds=0.1, wall_after=WALL_AFTER) as server:
        result, db = crawl(server, tmp_path, "--set", f"ARCHIVE_BOT_WALL_LIMIT={LIMIT}", "-v")  # -v: the log too
        answered = server.app.answered
    assert result.returncode == 3, result.stderr[-2000:]  # blocked: the code cron sees
    assert "demo: blocked" in result.stdout and "; stopped at a bot wall:" in result.stdout
    assert "its crawl stops here" in result.stderr
    # After the wall that stops it, only what was already on the wire still arrives (the site's 8
    # requests at a time), none of the requests that waited. Responses on different connections
    # may be read out of order, so a page served before the wall can break a run of walls once.
    assert WALL_AFTER + LIMIT <= answered <= WALL_AFTER + 2 * LIMIT + 8
    archive = open_archive(db)
    run_row = next(archive["crawl_runs"].rows)
    stats = json.loads(run_row["stats"])
    assert run_row["outcome"] == "blocked" and run_row["error"].startswith("stopped at a bot wall")
    assert stats["news/demo/skipped/bot_challenge"] == answered - WALL_AFTER  # every wall counted
    assert stats["news/demo/skipped/behind_bot_wall"] > 20
    assert archive["articles"].count < 15
    assert not [t for (t,) in archive.execute("select title from articles") if "moment" in t.lower()]


def test_a_sites_crawl_delay_spaces_its_requests(tmp_path):
    with DemoServer(DemoSite(articles=12), slow_seconds=0.1, crawl_delay=CRAWL_DELAY) as server:
        result, db = crawl(server, tmp_path, "--sources", "feeds")
        arrivals = [when for when, target in server.arrivals if target != "/robots.txt"]
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(arrivals) >= 12
    stats = json.loads(next(open_archive(db)["crawl_runs"].rows)["stats"])
    assert stats["news/demo/crawl_delay"] == CRAWL_DELAY
    # The first request goes before the site's download slot exists; every later one waits at
    # least the delay, less Scrapy's jitter (RANDOMIZE_DOWNLOAD_DELAY: 0.5 to 1.5 times it).
    gaps = [later - earlier for earlier, later in pairwise(arrivals[1:])]
    assert min(gaps) >= 0.5 * CRAWL_DELAY - 0.01, gaps
