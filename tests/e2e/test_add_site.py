"""Issue 25: ``newsarchive add-site`` on each sample-site shape writes a file that, unedited, crawls
the site's articles and nothing else; ``check-site`` lists what that crawl then fetches.

One module-scoped run: add-site (in this process, no reactor) on every shape, then one
``check-site`` and one ``crawl`` of all of them (subprocesses), each shape on its own server.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_archive
from crawler.demo_site import DemoServer
from crawler.sites import load_site_file
from tests.e2e.test_commands import run, tool
from tests.hostile import HostileServer, redirect

SHAPES = ("sections", "sitemap-index", "rss", "numeric", "german")
# Loopback: no need to wait between requests (the file itself keeps the polite defaults).
FAST = ("--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False")


def add_site(url: str, sites, *args: str):
    return CliRunner().invoke(cli, ["add-site", url, "--sites-dir", str(sites), *args])


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shapes")
    sites, db = tmp / "sites", tmp / "archive.db"
    with ExitStack() as stack:
        servers = {shape: stack.enter_context(DemoServer(shape=shape)) for shape in SHAPES}
        added = {shape: add_site(server.base_url.rstrip("/") + server.app.prefix, sites, "--name", shape)
                 for shape, server in servers.items()}
        for shape, result in added.items():
            assert result.exit_code == 0, (shape, result.output)
        for server in servers.values():
            server.requests.clear()  # add-site's own requests
        checked = run(tool("newsarchive"), "check-site", *SHAPES, "--sites-dir", str(sites), "--db", str(db),
                      "--json", *FAST)
        assert checked.returncode == 0, checked.stderr[-2000:]
        assert not db.exists()  # nothing archived, no archive made
        read_by_check = {shape: set(server.requests) for shape, server in servers.items()}
        for server in servers.values():
            server.requests.clear()
        crawled = run(tool("newsarchive"), "crawl", *SHAPES, "--sites-dir", str(sites), "--db", str(db), *FAST)
        assert crawled.returncode == 0, crawled.stdout + crawled.stderr[-2000:]
        fetched = {shape: dict(server.requests) for shape, server in servers.items()}
    archive = open_archive(db)
    yield {"servers": servers, "added": added, "sites": sites, "report": json.loads(checked.stdout),
           "read_by_check": read_by_check, "fetched": fetched, "db": archive}
    archive.close()


def archived(shapes, shape: str) -> set[str]:
    return {urlsplit(row["url"]).path for row in shapes["db"].query("select url from articles where site = ?", [shape])}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_written_file_crawls_the_sites_articles_and_nothing_else(shapes, shape):
    expected = shapes["servers"][shape].app.article_paths
    stored = archived(shapes, shape)
    assert len(stored & expected) >= 0.95 * len(expected)
    assert stored <= expected  # 0 non-articles stored
    rejected = shapes["db"].execute("select count(*) from rejected_pages where site = ?", [shape]).fetchone()[0]
    assert rejected == 0  # and none fetched as a candidate


@pytest.mark.parametrize("shape", SHAPES)
def test_check_site_lists_exactly_the_article_pages_the_crawl_then_fetches(shapes, shape):
    would_fetch = {urlsplit(url).path for url in shapes["report"][shape]["would_fetch"]}
    crawl_only = {target for target in shapes["fetched"][shape] if target not in shapes["read_by_check"][shape]}
    assert would_fetch == crawl_only
    assert len(shapes["report"][shape]["would_fetch"]) == len(crawl_only) == len(archived(shapes, shape))
    assert not [t for t in shapes["read_by_check"][shape] if t in shapes["servers"][shape].app.article_paths]


@pytest.mark.parametrize(("shape", "sources", "pattern"), [
    ("sections", ("sections",), r"^/\d{4}/\d{2}/[^/]+\.html$"),
    ("sitemap-index", ("sitemaps",), r"^/\d{4}/\d{2}/[^/]+\.html$"),
    ("rss", ("feeds",), r"^/\d{4}/\d{2}/[^/]+\.html$"),
    ("numeric", ("sections", "feeds"), r"^/story/\d{6}$"),
    ("german", ("sections", "feeds"), r"^/de/[^/]+/[^/]+\.html$"),
])
def test_each_shape_is_found_through_what_it_offers(shapes, shape, sources, pattern):
    config = load_site_file(shapes["sites"] / f"{shape}.toml")
    assert config.sources == sources
    assert [p.pattern for p in config.article_urls] == [pattern]
    output = shapes["added"][shape].output
    assert "Sample (5 pages" in output and "not an article" not in output


def test_the_german_site_under_de_keeps_to_its_path_its_language_and_its_zone(shapes):
    config = load_site_file(shapes["sites"] / "german.toml")
    assert (config.language, config.timezone) == ("de", "Europe/Berlin")
    assert urlsplit(config.base_url).path == "/de/"
    assert [urlsplit(s.url).path for s in config.sections] == ["/de/politik/", "/de/wirtschaft/", "/de/kultur/"]
    assert not [t for t in shapes["fetched"]["german"] if not t.startswith(("/de/", "/robots.txt"))]
    assert "a sitemap of" in shapes["added"]["german"].output  # the English sitemap: seen, left out


def test_the_english_sites_zone_is_read_from_their_dates_offsets(shapes):
    assert load_site_file(shapes["sites"] / "sections.toml").timezone == "Asia/Kolkata"


def test_a_site_whose_robots_txt_disallows_newsarchive_gets_no_file(tmp_path):
    with DemoServer(shape="rss", forbid=True) as server:
        result = add_site(server.base_url, tmp_path / "sites")
        asked = dict(server.requests)
    assert result.exit_code == 1
    assert "robots.txt" in result.output and "disallows newsarchive" in result.output
    assert asked == {"/robots.txt": 1}  # nothing else was asked
    assert not (tmp_path / "sites").exists()


def test_a_site_without_articles_gets_no_file(tmp_path):
    with DemoServer(shape="empty") as server:
        result = add_site(server.base_url, tmp_path / "sites", "--name", "empty")
    assert result.exit_code == 1
    assert "no article found" in result.output
    assert not (tmp_path / "sites" / "empty.toml").exists()


def test_a_site_that_cannot_be_reached_gets_no_file(tmp_path):
    with DemoServer(shape="rss") as server:
        url = server.base_url
    result = add_site(url, tmp_path / "sites", "--name", "gone")  # the server has stopped
    assert result.exit_code == 1 and "cannot reach" in result.output
    assert not (tmp_path / "sites").exists()


def test_dry_run_prints_the_file_and_writes_nothing(tmp_path):
    with DemoServer(shape="rss") as server:
        result = add_site(server.base_url, tmp_path / "sites", "--name", "news", "--dry-run")
    assert result.exit_code == 0, result.output
    assert 'name = "news"' in result.output and "feeds = [" in result.output
    assert not (tmp_path / "sites").exists()


def test_the_request_budget_bounds_what_add_site_asks(tmp_path):
    with DemoServer(shape="sections") as server:
        result = add_site(server.base_url, tmp_path / "sites", "--name", "news", "--max-requests", "6")
        asked = sum(server.requests.values())
        first = server.arrivals[0][1]
    assert asked <= 6 and first == "/robots.txt"
    assert result.exit_code == 1 and "request budget" in result.output and "ran out" in result.output


def test_an_existing_site_file_is_not_overwritten_without_force(tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "news.toml").write_text("# mine\n")
    with DemoServer(shape="rss") as server:
        result = add_site(server.base_url, sites, "--name", "news", "--sample", "1")
    assert result.exit_code == 1 and "--force" in result.output
    assert (sites / "news.toml").read_text() == "# mine\n"


def test_add_site_asks_nothing_off_the_site_and_names_itself(tmp_path):
    """A home page that redirects to another host (``localhost`` resolves here: the server would see
    it) is not followed; every request carries the contact User-Agent."""
    with HostileServer() as server:
        server.routes["/"] = redirect(f"http://localhost:{server.port}/elsewhere/")
        result = add_site(server.base_url, tmp_path / "sites", "--name", "moved")
        requests, agents = list(server.requests), list(server.agents)
    assert result.exit_code == 1 and f"redirects off the site, to http://localhost:{server.port}/" in result.output
    assert [path for _, path in requests] == ["/robots.txt", "/"]
    assert all(host.startswith("127.0.0.1") for host, _ in requests)
    assert all(agent.startswith("newsarchive/") for agent in agents)
    assert not (tmp_path / "sites").exists()


def test_check_site_says_per_source_what_it_found_and_what_it_passed_over(tmp_path):
    sites = tmp_path / "sites"
    with DemoServer(shape="numeric") as server:
        assert add_site(server.base_url, sites, "--name", "numbers", "--sample", "1").exit_code == 0
        result = run(tool("newsarchive"), "check-site", "numbers", "--sites-dir", str(sites), "--db",
                     str(tmp_path / "a.db"), *FAST)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("numbers: 19 article pages a crawl would fetch now, from ")
    assert f"  feed {server.base_url}feed.xml: " in result.stdout and "  section world: " in result.stdout
    assert f"      {server.base_url}story/" in result.stdout  # examples
    assert "passed over, not an article URL: " in result.stdout
    assert "passed over, found before: " in result.stdout
    assert not (tmp_path / "a.db").exists()


def test_check_site_of_a_site_that_cannot_be_reached_exits_1(tmp_path):
    """A user's review: a refused connection listed its errors and exited 0, where the crawl fails."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "gone.toml").write_text(f'name = "gone"\nbase_url = "http://127.0.0.1:{port}/"\nsections = ["/news/"]\n')
    result = run(tool("newsarchive"), "check-site", "gone", "--sites-dir", str(sites), "--db", str(tmp_path / "a.db"),
                 *FAST, "--set", "RETRY_ENABLED=False")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "skipped errors/" in result.stdout and "nothing could be read of gone" in result.stderr


def test_check_site_on_another_programs_database_is_one_error_line(tmp_path):
    import sqlite3

    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "gone.toml").write_text('name = "gone"\nbase_url = "http://127.0.0.1:9/"\nsections = ["/news/"]\n')
    other = sqlite3.connect(tmp_path / "notes.db")
    other.execute("create table notes (body text)")
    other.commit()
    other.close()
    result = CliRunner().invoke(cli, ["check-site", "gone", "--sites-dir", str(sites),
                                      "--db", str(tmp_path / "notes.db")])
    assert result.exit_code == 1 and "no newsarchive archive" in result.output
    assert isinstance(result.exception, SystemExit)  # no traceback (a user's review: RuntimeError: Crawler.stats)

