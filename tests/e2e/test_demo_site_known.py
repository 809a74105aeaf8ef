"""Issue 25, item 4: after ``newsarchive demo``, the archive's own site is known to ``status``,
``schedule`` and ``crawl`` without a site file of its own (they said "no site files")."""

from __future__ import annotations

import pytest

from tests.e2e.test_commands import run, tool


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("known")
    db, sites = tmp / "archive.db", tmp / "sites"
    sites.mkdir()  # a folder with no site file in it, as settings/sites/ ships
    result = run(tool("newsarchive"), "demo", "--articles", "20", "--db", str(db), "--sites-dir", str(sites))
    assert result.returncode == 0, result.stderr[-2000:]
    return db, sites


def newsarchive(after_demo, *args: str):
    db, sites = after_demo
    return run(tool("newsarchive"), *args, "--db", str(db), "--sites-dir", str(sites))


def test_status_knows_the_demo_site_and_its_interval(after_demo):
    result = newsarchive(after_demo, "status")
    assert result.returncode == 0, result.stderr
    assert "no site files" not in result.stderr
    assert "demo" in result.stdout and "next due" in result.stdout.lower()


def test_schedule_once_knows_the_demo_site(after_demo):
    result = newsarchive(after_demo, "schedule", "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No site is due." in result.stdout  # crawled a moment ago, every 1h


def test_crawl_with_no_site_named_crawls_the_demo_site_on_its_own_server(after_demo):
    result = newsarchive(after_demo, "crawl")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "demo: finished" in result.stdout  # served for the crawl as `newsarchive demo` serves it
    assert "Sample news site http://127.0.0.1:8765/" in result.stdout


def test_a_folder_without_site_files_and_an_archive_without_the_demo_is_still_an_error(tmp_path):
    (tmp_path / "sites").mkdir()
    result = run(tool("newsarchive"), "crawl", "--db", str(tmp_path / "a.db"), "--sites-dir", str(tmp_path / "sites"))
    assert result.returncode == 1 and "no site files" in result.stderr
