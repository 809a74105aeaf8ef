"""Each discovery source alone, and --since, through ``newsarchive crawl`` in a subprocess."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.db import open_archive
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import run, tool

SITE = DemoSite(articles=150)  # seven weeks of stories: May and June sitemaps
NEWEST = SITE.stories[0].published


def crawl(tmp_path, *args: str) -> tuple[set[str], dict[str, int], DemoServer]:
    sites = tmp_path / "sites"
    sites.mkdir()
    with DemoServer(SITE, slow_seconds=0.1) as server:
        write_site_file(sites, server.base_url)
        result = run(tool("newsarchive"), "crawl", "demo", "--sites-dir", str(sites), "--db",
                     str(tmp_path / "a.db"), *args)
        requests = dict(server.requests)
    assert result.returncode == 0, result.stderr[-2000:]
    base = server.base_url.rstrip("/")
    paths = {row["url"].removeprefix(base) for row in open_archive(tmp_path / "a.db")["articles"].rows}
    return paths, requests, server


def feed_paths(count: int = 30) -> set[str]:
    return {a.path for a in SITE.stories[:count]}


@pytest.mark.parametrize(("sources", "expected"), [
    ("sections", {a.path for a in SITE.stories}),
    ("sitemaps", {a.path for a in SITE.stories}),
    ("feeds", feed_paths()),
])
def test_each_source_alone_finds_what_it_lists(tmp_path, sources, expected):
    paths, requests, _ = crawl(tmp_path, "--sources", sources)
    assert paths == expected
    fetched_listings = [t for t in requests if t.startswith("/section/")]
    fetched_sitemaps = [t for t in requests if t.startswith("/sitemap")]
    assert bool(fetched_listings) is (sources == "sections")
    assert bool(fetched_sitemaps) is (sources == "sitemaps")


def test_since_skips_older_entries_without_fetching_them(tmp_path):
    since = datetime(2024, 6, 20, tzinfo=UTC)
    paths, requests, _ = crawl(tmp_path, "--sources", "feeds,sitemaps", "--since", "2024-06-20")
    recent = {a.path for a in SITE.stories if (a.modified or a.published) >= since}
    older = {a.path for a in SITE.stories if (a.modified or a.published) < since and a.published < since}
    assert paths == {a.path for a in SITE.stories if a.path in recent}
    assert not [p for p in older if requests.get(p)]  # never requested
    months = {f"/sitemap-{a.published:%Y-%m}.xml" for a in SITE.stories}
    old_months = {m for m in months if m < "/sitemap-2024-06.xml"}
    assert old_months and not [m for m in old_months if requests.get(m)]


def test_bad_since_is_a_usage_error(tmp_path):
    result = run(tool("newsarchive"), "crawl", "demo", "--since", "last tuesday-ish maybe",
                 "--db", str(tmp_path / "a.db"), "--sites-dir", str(tmp_path))
    assert result.returncode == 2 and "--since" in result.stderr


def test_requests_waiting_for_robots_txt_are_checked_too(tmp_path):
    """Start requests all wait for robots.txt at once; a disallowed one among them stays unfetched."""
    sites = tmp_path / "sites"
    with DemoServer(DemoSite(articles=20), slow_seconds=0.1) as server:
        path = write_site_file(sites, server.base_url)
        text = path.read_text().replace('  { name = "archive"',
                                        '  { name = "memo", url = "/private/2024/06/internal-memo-1.html" },\n'
                                        '  { name = "memo2", url = "/private/2024/06/internal-memo-2.html" },\n'
                                        '  { name = "archive"')
        path.write_text(text)
        result = run(tool("newsarchive"), "crawl", "demo", "--sites-dir", str(sites), "--db", str(tmp_path / "a.db"))
        requests = dict(server.requests)
    assert result.returncode == 0, result.stderr[-2000:]
    assert requests.get("/section/world/") and requests.get("/robots.txt")
    assert not [target for target in requests if target.startswith("/private/")]
