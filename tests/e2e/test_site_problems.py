"""What is wrong is said, the same way everywhere (issue 23, items 16, 17 and 18): a broken site
file is reported while the other sites carry on; `status` shows the archive's runs whatever the
sites directory holds; an unknown `--site`, no site files, a diff of one version: one clear line
and exit 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_archive
from archive.store import finish_run, start_run, store_article
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import run, tool
from tests.unit.test_store import ARTICLE

VALID = 'name = "{name}"\nbase_url = "https://{name}.example/"\nsections = ["/news/"]\nevery = "2h"\n'
BROKEN = 'name = "broken"\nbase_url = "not a url"\n'


@pytest.fixture
def db_path(tmp_path):
    """An archive with one article and one finished run of the demo site."""
    db = open_archive(tmp_path / "archive.db")
    run_id = start_run(db, "demo")
    store_article(db, ARTICLE, site="demo", run_id=run_id)
    finish_run(db, run_id, "finished", {"pages": 1, "articles_new": 1})
    db.close()
    return str(tmp_path / "archive.db")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_status_reports_a_broken_site_file_and_shows_the_others(db_path, tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "alpha.toml").write_text(VALID.format(name="alpha"))
    (sites / "broken.toml").write_text(BROKEN)
    result = invoke("status", "--db", db_path, "--sites-dir", str(sites))
    assert result.exit_code == 1
    assert "alpha " in result.stdout and "never crawled" in result.stdout
    assert "demo " in result.stdout and "finished" in result.stdout  # the archive's runs, the built-in demo
    assert f"BROKEN  {sites / 'broken.toml'}: base_url" in result.stderr
    assert result.stderr.strip().endswith(f"Error: 1 of 2 site files are broken: {sites / 'broken.toml'}")


@pytest.mark.parametrize("sites_dir", ["empty", "missing"])
def test_status_after_the_demo_shows_its_runs_whatever_the_sites_directory_holds(db_path, tmp_path, sites_dir):
    (tmp_path / "empty").mkdir()
    result = invoke("status", "--db", db_path, "--sites-dir", str(tmp_path / sites_dir))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("demo ") and "every 1:00:00" in result.stdout and "finished" in result.stdout
    assert result.stderr == ""  # the archive's own site is known: no "no site files" note (issue 25, item 4)


def test_status_of_a_missing_archive_shows_the_sites_and_exits_1(tmp_path):
    """A mistyped --db is no "never crawled" that a cron check takes for health (a user's review)."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "alpha.toml").write_text(VALID.format(name="alpha"))
    result = invoke("status", "--db", str(tmp_path / "typo.db"), "--sites-dir", str(sites))
    assert result.exit_code == 1 and "alpha " in result.stdout and "never crawled" in result.stdout
    assert "typo.db: no such archive" in result.stderr
    assert not (tmp_path / "typo.db").exists()


def test_status_with_nothing_to_show_says_why(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke("status", "--db", str(tmp_path / "none.db"), "--sites-dir", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "no site files" in result.output and "nothing to show" in result.output
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("sites_dir", ["empty", "missing"])
def test_sites_without_site_files_is_an_error_wherever_it_runs(tmp_path, sites_dir):
    (tmp_path / "empty").mkdir()
    result = invoke("sites", "--sites-dir", str(tmp_path / sites_dir))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / sites_dir}: no ")


@pytest.mark.parametrize("command", [["search", "pact"], ["export"], ["reextract", "--dry-run"]])
def test_an_unknown_site_is_named_and_fails(db_path, command):
    result = invoke(*command, "--db", db_path, "--site", "nosuch")
    assert result.exit_code == 1
    assert result.output == "Error: no site 'nosuch' in this archive (its sites: demo)\n"
    assert invoke(*command, "--db", db_path, "--site", "demo").exit_code == 0


def test_a_diff_of_an_article_with_one_version_says_so(db_path):
    result = invoke("history", ARTICLE.url, "--diff", "--db", db_path)
    assert result.exit_code == 1
    assert "has one version only (v1," in result.output and "nothing to compare yet" in result.output
    assert "pick two" not in result.output


def test_schedule_once_crawls_the_good_sites_beside_a_broken_file(tmp_path):
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    with DemoServer(DemoSite(articles=12)) as server:
        write_site_file(sites, server.base_url)
        (sites / "broken.toml").write_text(BROKEN)
        result = run(tool("newsarchive"), "schedule", "--once", "--db", str(db), "--sites-dir", str(sites))
    assert result.returncode == 1
    assert "demo: finished" in result.stdout
    assert f"BROKEN  {sites / 'broken.toml'}" in result.stderr and "1 of 2 site files are broken" in result.stderr
    assert [row["outcome"] for row in open_archive(db)["crawl_runs"].rows] == ["finished"]
