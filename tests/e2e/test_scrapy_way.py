"""Issue 23, items 10-12: ``scrapy crawl`` and ``scrapy parse`` as a Scrapy user runs them."""

from __future__ import annotations

import json
import logging
import os

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from archive.db import open_archive
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from crawler.sites import SiteConfig
from crawler.spiders.news import NewsSpider
from tests.conftest import demo_config_file
from tests.e2e.test_commands import run, tool
from tests.hostile import HostileServer, html

SITE = DemoSite(articles=20)


def test_a_feed_export_gets_the_archived_articles(tmp_path):
    """Item 10: ``-o articles.jsonl`` wrote an empty file ("bytes is not JSON serializable")."""
    out, db = tmp_path / "articles.jsonl", tmp_path / "a.db"
    with DemoServer(SITE) as server:
        result = run(tool("scrapy"), "crawl", "news", "-a", f"site={demo_config_file()}", "-a",
                     f"base_url={server.base_url}", "-s", f"ARCHIVE_DB={db}", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "not JSON serializable" not in result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    stored = {row["url"]: row for row in open_archive(db)["articles"].rows}
    assert len(records) == len(stored) == len(SITE.stories)
    for record in records:
        row = stored[record["url"]]
        assert (record["title"], record["text"], record["published_at"]) == (row["title"], row["text"],
                                                                            row["published_at"])
        assert record["tags"] == json.loads(row["tags"]) and record["outcome"] == "new"
        assert not {"body", "body_gzip", "headers"} & set(record)


def test_the_contact_setting_goes_into_the_user_agent(tmp_path):
    """Item 11: ``-s ARCHIVE_CONTACT=...`` was ignored; only NEWSARCHIVE_CONTACT was read."""
    with HostileServer({"/news/": html("<html><body><p>nothing new</p></body></html>")}) as server:
        (tmp_path / "local.toml").write_text(f'name = "local"\nbase_url = "{server.base_url}"\nsections = ["/news/"]\n')
        env = {key: value for key, value in os.environ.items() if key != "NEWSARCHIVE_CONTACT"}
        result = run(tool("scrapy"), "crawl", "news", "-a", f"site={tmp_path / 'local.toml'}",
                     "-s", f"ARCHIVE_DB={tmp_path / 'a.db'}", "-s", "ARCHIVE_CONTACT=me@example.org", env=env)
        agents = set(server.agents)
    assert result.returncode == 0, result.stderr[-3000:]
    assert agents == {"newsarchive/0.1.0 (+me@example.org)"}  # robots.txt and the page alike


def test_no_contact_is_warned_of_once(caplog):
    """Item 11: a crawl of real sites without a contact says so, once; the User-Agent has none."""
    sites = [SiteConfig(name=name, base_url=f"https://{name}.example/") for name in ("one", "two")]
    spider = NewsSpider.from_crawler(get_crawler(NewsSpider), sites=sites)
    settings = Settings({"USER_AGENT": "x"}, priority="project")
    with caplog.at_level(logging.WARNING):
        spider._apply_site_settings(settings)
    assert [r.getMessage() for r in caplog.records if "ARCHIVE_CONTACT" in r.getMessage()] != []
    assert len(caplog.records) == 1
    assert settings["USER_AGENT"] == "newsarchive/0.1.0"
    settings = Settings({"USER_AGENT": "mine/1.0", "ARCHIVE_CONTACT": "me@example.org"}, priority="cmdline")
    spider._apply_site_settings(settings)
    assert settings["USER_AGENT"] == "mine/1.0"  # a User-Agent given outright is kept


def one_line_error(result) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr[-3000:]
    return errors[0]


def test_an_unknown_site_is_one_line(tmp_path):
    """Item 12: ``scrapy crawl news -a site=worldnews`` printed a traceback."""
    result = run(tool("scrapy"), "crawl", "news", "-a", "site=worldnews", "-s", f"ARCHIVE_SITES_DIR={tmp_path}")
    assert one_line_error(result) == f"Error: {tmp_path / 'worldnews.toml'}: no such site file"


def test_no_site_files_is_one_line(tmp_path):
    result = run(tool("scrapy"), "crawl", "news", "-s", f"ARCHIVE_SITES_DIR={tmp_path}")
    assert one_line_error(result) == f"Error: {tmp_path}: no site files (*.toml) in this directory"


def test_a_bad_spider_argument_is_one_line(tmp_path):
    result = run(tool("scrapy"), "crawl", "news", "-a", f"site={demo_config_file()}", "-a", "since=someday")
    assert "since='someday' is not a date" in one_line_error(result)


def test_scrapy_parse_reads_an_article_of_a_configured_site(tmp_path):
    """Item 12: ``scrapy parse --spider=news -c parse_article URL`` failed with KeyError: 'site'."""
    story = SITE.stories[0]
    with DemoServer(SITE) as server:
        write_site_file(tmp_path, server.base_url)
        result = run(tool("scrapy"), "parse", "--spider=news", "-c", "parse_article", "-s",
                     f"ARCHIVE_SITES_DIR={tmp_path}", server.base_url.rstrip("/") + story.path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr
    scraped = result.stdout.split("# Scraped Items")[1].split("# Requests")[0]
    assert "'site': 'demo'" in scraped and story.path in scraped


@pytest.mark.parametrize("kind", ["article", "listing"])
def test_scrapy_parse_without_a_callback_reads_a_page_as_what_it_is(tmp_path, kind):
    """Issue 25: ``scrapy parse --spider=news URL`` (no ``-c``) stopped at NewsSpider.parse, not defined."""
    story = SITE.stories[0]
    with DemoServer(SITE) as server:
        write_site_file(tmp_path, server.base_url)
        path = story.path if kind == "article" else f"/section/{story.section}/"
        result = run(tool("scrapy"), "parse", "--spider=news", "-s", f"ARCHIVE_SITES_DIR={tmp_path}",
                     server.base_url.rstrip("/") + path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    scraped, requests = result.stdout.split("# Scraped Items")[1].split("# Requests")
    if kind == "article":
        assert "'site': 'demo'" in scraped and story.path in scraped
    else:  # a section front: its stories (and its next page) to fetch, nothing scraped
        assert scraped.strip(" -\n") == "[]" and story.path in requests
