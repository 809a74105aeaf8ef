"""End to end: ``newsarchive`` and ``scrapy crawl`` as subprocesses, then the archive read back
with sqlite-utils and Datasette, as a user would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.demo_site import DemoServer, DemoSite
from tests.conftest import REPO, demo_config_file

TIMEOUT = 180


def run(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, env=env)


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    assert Path(found).exists(), f"{name} is not installed next to {sys.executable}"
    return found


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "archive.db"
    result = run(tool("newsarchive"), "demo", "--db", str(db), "--articles", "60")
    assert result.returncode == 0, result.stderr
    assert "demo: finished" in result.stdout and "60 new" in result.stdout
    return db


def test_sqlite_utils_search_finds_the_seed(demo_db):
    result = run(tool("sqlite-utils"), "search", str(demo_db), "articles", "Pyongyang", "-c", "title", "-c", "tags")
    assert result.returncode == 0, result.stderr
    titles = [row["title"] for row in json.loads(result.stdout)]
    assert any(t.startswith("Now America will lose its sleep") for t in titles)


def test_datasette_search_finds_the_seed(demo_db):
    result = run(tool("datasette"), str(demo_db), "--get", "/archive/articles.json?_search=Pyongyang&_shape=array")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    seed = [r for r in rows if r["title"].startswith("Now America will lose its sleep")]
    assert len(seed) == 1
    assert json.loads(seed[0]["tags"]) == ["International news", "North Korea", "Russia News"]


def test_newsarchive_search_and_stats(demo_db):
    found = run(tool("newsarchive"), "search", "Putin Pyongyang", "--db", str(demo_db), "--json")
    assert found.returncode == 0
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(hits) == 1 and hits[0]["tags"] == ["International news", "North Korea", "Russia News"]
    stats = run(tool("newsarchive"), "stats", "--db", str(demo_db), "--json")
    data = json.loads(stats.stdout)
    assert data["sites"][0]["site"] == "demo" and data["sites"][0]["articles"] == 60
    assert data["runs"][0]["outcome"] == "finished"


def test_scrapy_crawl_news_from_the_repo_root(tmp_path):
    db = tmp_path / "scrapy.db"
    site = DemoSite(articles=40)
    with DemoServer(site) as server:
        result = run(tool("scrapy"), "crawl", "news", "-a", f"site={demo_config_file()}",
                     "-a", f"base_url={server.base_url}", "-s", f"ARCHIVE_DB={db}", "-s", "LOG_LEVEL=INFO")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'archive/saved/new': 40" in result.stderr
    from archive.db import open_archive

    assert open_archive(db)["articles"].count == 40


def test_demo_serves_the_sample_site_to_a_demo_site_file_of_the_sites_folder(tmp_path):
    """``demo`` reads <sites-dir>/demo.toml as ``crawl demo`` does, and its rules apply to the sample
    site it serves (a review: the crawl went to the file's address, and nothing served it)."""
    import sqlite3

    from crawler.sites import BUILT_IN_SITES

    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "demo.toml").write_text((BUILT_IN_SITES / "demo.toml").read_text() + "\nmin_words = 100000\n")
    result = run(tool("newsarchive"), "demo", "--sites-dir", str(sites), "--db", str(tmp_path / "a.db"),
                 "--articles", "3")
    assert "no page could be fetched" not in result.stdout + result.stderr, result.stderr
    with sqlite3.connect(tmp_path / "a.db") as db:  # every story fetched, and too short by this file's rule
        assert db.execute("select count(*) from articles").fetchone()[0] == 0
        assert db.execute("select count(*) from rejected_pages where reason = 'too_short'").fetchone()[0] >= 3


def test_broken_site_file_is_one_clear_line_and_nonzero_exit(tmp_path):
    (tmp_path / "broken.toml").write_text('name = "broken"\nbase_url = "https://x.example/"\n'
                                         'sections = ["/news/"]\narticle_urls = ["(unclosed"]\n')
    result = run(tool("newsarchive"), "crawl", "broken", "--sites-dir", str(tmp_path), "--db", str(tmp_path / "a.db"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(tmp_path / "broken.toml") in lines[0] and "article_urls[0]" in lines[0]
    assert "bad regular expression" in lines[0]
    assert not (tmp_path / "a.db").exists()  # nothing crawled, nothing created
