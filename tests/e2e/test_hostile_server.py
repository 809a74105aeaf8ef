"""Issue 23: a crawl against a hostile server stays on its site, cuts what would cost without
bound, and counts each fault as what it is. One ``scrapy crawl`` subprocess feeds every test here.

The site lives on 127.0.0.1 and one port; ``elsewhere`` is another port on the same host, and
``localhost`` on the site's own port is another host name. Neither may ever be asked for anything.
"""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from archive.db import open_archive
from tests.e2e.test_commands import run, tool
from tests.hostile import Answer, HostileServer, html, redirect, streamed

MAX_LINKS = 20
MAX_BYTES = 1_000_000  # DOWNLOAD_MAXSIZE for this crawl
MAX_ROBOTS = 100_000  # ARCHIVE_ROBOTSTXT_MAX_BYTES for this crawl
STORY = "/2024/06/{}.html"


def story_links(prefix: str, count: int) -> str:
    return "".join(f'<a href="{STORY.format(f"{prefix}-{i}")}">story {i}</a>\n' for i in range(count))


def routes(base: str, elsewhere: str, other_host: str) -> dict[str, Answer]:
    away = {  # a story-looking target off the site, for each way a crawl can be led there
        "link_port": elsewhere + STORY.format("linked-away"),
        "link_host": other_host + STORY.format("linked-away"),
        "redirect": elsewhere + STORY.format("landed"),
        "refresh": other_host + STORY.format("refreshed"),
        "feed": elsewhere + STORY.format("fed"),
        "sitemap": elsewhere + STORY.format("mapped"),
        "robots_sitemap": elsewhere + "/sitemap.xml",
        "alternate_feed": elsewhere + "/feed.xml",
    }
    news = f"""<html><head><title>News</title>
<link rel="alternate" type="application/rss+xml" href="{away['alternate_feed']}"></head><body>
<a href="{away['link_port']}">another port</a> <a href="{away['link_host']}">another host</a>
<a href="{STORY.format('redirect-away')}">r</a> <a href="{STORY.format('refresh-away')}">m</a>
<a href="{STORY.format('loop-self')}">l</a> <a href="{STORY.format('loop-a')}">l</a>
<a href="{STORY.format('refresh-self')}">l</a>
<a href="{STORY.format('gzip-bomb')}">b</a> <a href="{STORY.format('deflate-bomb')}">b</a>
<a href="{STORY.format('endless')}">e</a> <a href="{STORY.format('declared-huge')}">h</a>
<a href="/private/2024/06/secret.html">p</a>
</body></html>"""
    feed_items = "".join(f"<item><link>{base}{STORY.format(f'fed-{i}')}</link></item>" for i in range(200))
    sitemap_urls = "".join(f"<url><loc>{base}{STORY.format(f'mapped-{i}')}</loc></url>" for i in range(200))
    bomb = b"\0" * (5 * MAX_BYTES)
    return {
        "/robots.txt": streamed(9_000_000, head=f"User-agent: *\nDisallow: /private/\nSitemap: "
                                               f"{away['robots_sitemap']}\n".encode(),
                                filler=b"# a very long robots.txt\n", content_type="text/plain"),
        "/news/": html(news),
        "/crowded/": html(f"<html><body>{story_links('crowded', 1000)}</body></html>"),
        "/feed.xml": Answer(200, f"<rss><channel><item><link>{away['feed']}</link></item>{feed_items}"
                                 "</channel></rss>".encode(), headers=(("Content-Type", "application/rss+xml"),)),
        "/sitemap.xml": Answer(200, f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
                                    f"{away['sitemap']}</loc></url>{sitemap_urls}</urlset>".encode(),
                               headers=(("Content-Type", "application/xml"),)),
        STORY.format("redirect-away"): redirect(away["redirect"]),
        STORY.format("refresh-away"): html(f'<html><head><meta http-equiv="refresh" content="0; url='
                                           f'{away["refresh"]}"></head><body>moved</body></html>'),
        STORY.format("loop-self"): redirect(STORY.format("loop-self")),
        STORY.format("loop-a"): redirect(STORY.format("loop-b"), 301),
        STORY.format("loop-b"): redirect(STORY.format("loop-a")),
        STORY.format("refresh-self"): html(f'<html><head><meta http-equiv="refresh" content="0; url='
                                           f'{STORY.format("refresh-self")}"></head><body>again</body></html>'),
        STORY.format("gzip-bomb"): Answer(200, gzip.compress(bomb), headers=(
            ("Content-Type", "text/html"), ("Content-Encoding", "gzip"))),
        STORY.format("deflate-bomb"): Answer(200, zlib.compress(bomb), headers=(
            ("Content-Type", "text/html"), ("Content-Encoding", "deflate"))),
        STORY.format("endless"): streamed(3 * MAX_BYTES, head=b"<html><body>"),
        STORY.format("declared-huge"): Answer(200, b"<p>x</p>" * (2 * MAX_BYTES // 8)),
    }


SITE_FILE = """name = "hostile"
base_url = "{base}"
sections = ["/news/", "/crowded/"]
feeds = ["/feed.xml"]
sitemaps = ["/sitemap.xml"]
article_urls = ['/2024/06/[\\w-]+\\.html$']
download_delay = 0
concurrent_requests = 8
"""


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    with HostileServer() as site, HostileServer() as elsewhere:
        other_host = f"http://localhost:{site.port}"
        site.routes.update(routes(site.base_url.rstrip("/"), elsewhere.base_url.rstrip("/"), other_host))
        elsewhere.routes.update(site.routes)  # whatever it would be asked, it could answer
        (tmp / "hostile.toml").write_text(SITE_FILE.format(base=site.base_url))
        result = run(tool("scrapy"), "crawl", "news", "-a", f"site={tmp / 'hostile.toml'}",
                     "-s", f"ARCHIVE_DB={tmp / 'a.db'}", "-s", f"DOWNLOAD_MAXSIZE={MAX_BYTES}",
                     "-s", f"ARCHIVE_MAX_LINKS_PER_PAGE={MAX_LINKS}", "-s", f"ARCHIVE_ROBOTSTXT_MAX_BYTES={MAX_ROBOTS}",
                     "-s", "ARCHIVE_EXTRACT_WORKERS=0", "-s", "LOG_LEVEL=INFO")
    assert result.returncode == 0, result.stderr[-3000:]
    run_row = next(open_archive(tmp / "a.db")["crawl_runs"].rows)
    return json.loads(run_row["stats"]), site, elsewhere, result.stderr


def count(stats: dict, what: str) -> int:
    return int(stats.get(f"news/hostile/{what}", 0))


def test_nothing_off_the_site_is_ever_requested(crawl):
    """Item 1: not another port of the same host, not another host name, whatever led there."""
    stats, site, elsewhere, _ = crawl
    assert site.paths()  # the site itself was crawled
    assert elsewhere.requests == []
    assert [request for request in site.requests if request[0] != f"127.0.0.1:{site.port}"] == []
    # two links, a 302, a <meta refresh>, a feed entry, a sitemap entry, robots.txt's and a page's
    # sitemap and feed: each counted once
    assert count(stats, "skipped/offsite") == 8


def test_links_beyond_the_cap_are_counted_not_followed(crawl):
    """Item 2: a page offering 1000 stories, a feed and a sitemap of 200 give 20 each."""
    stats, site, _, stderr = crawl
    paths = site.paths()
    # the feed and the sitemap each hold one off-site entry among their first 20
    for prefix, taken in (("crowded", MAX_LINKS), ("fed", MAX_LINKS - 1), ("mapped", MAX_LINKS - 1)):
        assert len([p for p in paths if p.startswith(STORY.format(prefix + "-").removesuffix(".html"))]) == taken
    assert count(stats, "cut/links") == (1000 - MAX_LINKS) + 2 * (201 - MAX_LINKS)
    assert stderr.count("ARCHIVE_MAX_LINKS_PER_PAGE") == 3  # once for the listing, the feed and the sitemap


def test_a_huge_robots_txt_is_read_only_so_far_and_still_obeyed(crawl):
    """Item 2: 9 MB of robots.txt; its first bytes still forbid /private/."""
    stats, site, _, stderr = crawl
    assert count(stats, "cut/robots_txt") == 1  # one robots.txt, however many times it is read
    assert stderr.count("ARCHIVE_ROBOTSTXT_MAX_BYTES") == 1
    assert not [p for p in site.paths() if p.startswith("/private/")]
    assert count(stats, "skipped/robots_txt") == 1


def test_redirect_loops_are_counted_as_loops(crawl):
    """Item 6: A -> A, A -> B -> A and a <meta refresh> to itself."""
    stats, site, _, _ = crawl
    assert count(stats, "errors/redirect_loop") == 3
    paths = site.paths()
    assert paths.count(STORY.format("loop-self")) == 1 and paths.count(STORY.format("loop-a")) == 1


def test_bombs_and_oversized_bodies_are_too_large(crawl):
    """Item 6: gzip and deflate bombs, an endless body and a declared one past DOWNLOAD_MAXSIZE."""
    stats, _, _, _ = crawl
    assert count(stats, "errors/too_large") == 4
    assert not [key for key in stats if key.startswith(("news/hostile/errors/IgnoreRequest",
                                                        "news/hostile/errors/DownloadCancelledError"))]
