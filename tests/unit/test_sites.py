"""Site files: valid ones load into typed configs; every kind of mistake names file, key and problem."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crawler.sites import SiteConfig, SiteConfigError, load_site, load_site_file, load_sites, parse_interval
from tests.conftest import REPO

VALID = """
name = "worldnews"
base_url = "https://worldnews.example/"
timezone = "Asia/Kolkata"
language = "en"
sections = [ { name = "world", url = "https://worldnews.example/world/" }, "/business/" ]
feeds = [ "/feed.xml" ]
article_urls = [ '/\\d{4}/\\d{2}/[\\w-]+\\.html$' ]
max_listing_pages = 3
every = "30m"
download_delay = 2.5
[extraction]
drop_selectors = [ ".post-labels", ".share" ]
drop_lines = [ "Previous Post Next Post" ]
"""


def write(tmp_path, text: str, name: str = "worldnews"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_site_file_loads_into_typed_config(tmp_path):
    site = load_site_file(write(tmp_path, VALID))
    assert site.name == "worldnews"
    assert [s.url for s in site.sections] == ["https://worldnews.example/world/", "https://worldnews.example/business/"]
    assert site.sections[1].name == "business"
    assert site.feeds == ("https://worldnews.example/feed.xml",)
    assert site.article_urls[0].search("/2024/06/some-story.html")
    assert site.every == timedelta(minutes=30)
    assert site.download_delay == 2.5
    assert site.extraction.drop_lines == ("Previous Post Next Post",)
    assert site.in_scope("https://worldnews.example/2024/06/x.html")


def test_with_base_url_moves_relative_urls(tmp_path):
    site = load_site_file(write(tmp_path, VALID)).with_base_url("http://127.0.0.1:9999/")
    assert site.sections[0].url == "http://127.0.0.1:9999/world/"
    assert site.feeds == ("http://127.0.0.1:9999/feed.xml",)
    assert site.in_scope("http://127.0.0.1:9999/x") and not site.in_scope("https://worldnews.example/x")


@pytest.mark.parametrize(("change", "key", "problem"), [
    (("every = \"30m\"", "colour = \"red\""), "colour", "unknown key"),
    (("'/\\d{4}/\\d{2}/[\\w-]+\\.html$'", "'/(unclosed'"), "article_urls[0]", "bad regular expression"),
    (("base_url = \"https://worldnews.example/\"", "base_url = \"worldnews dot example\""), "base_url",
     "not an absolute http(s) URL"),
    (("timezone = \"Asia/Kolkata\"", "timezone = \"Mars/Olympus\""), "timezone", "unknown timezone"),
    (("every = \"30m\"", "every = \"soon\""), "every", "not an interval"),
    (("max_listing_pages = 3", "max_listing_pages = 0"), "max_listing_pages", "at least 1"),
    (("max_listing_pages = 3", "max_listing_pages = \"three\""), "max_listing_pages", "must be an integer"),
    (("name = \"worldnews\"", "name = \"other\""), "name", "must match the file name"),
    (("\".share\"", "\"..share\""), "extraction.drop_selectors[1]", "bad CSS selector"),
    (("drop_lines", "drop_linez"), "extraction.drop_linez", "unknown key"),
    (("{ name = \"world\", url = \"https://worldnews.example/world/\" }", "{ name = \"world\", href = \"x\" }"),
     "sections[0].href", "unknown key"),
    # Issue 23, item 1: discovery starts on the site, never on another host or port.
    (("https://worldnews.example/world/", "https://elsewhere.example/world/"), "sections[0].url", "off the site"),
    (("\"/feed.xml\"", "\"https://worldnews.example:8443/feed.xml\""), "feeds[0]", "off the site"),
    (("feeds = ", "sitemaps = [\"http://127.0.0.1/sitemap.xml\"]\nfeeds = "), "sitemaps[0]", "off the site"),
    (("feeds = ", "domains = [\"https://feeds.example\"]\nfeeds = "), "domains[0]", "not a host name"),
    # Found by a user's review: each of these passed, then failed every article, hung or crashed later.
    (("\"Previous Post Next Post\"", "\"re:(unclosed\""), "extraction.drop_lines[0]", "bad regular expression"),
    (("download_delay = 2.5", "download_delay = inf"), "download_delay", "finite"),
    (("download_delay = 2.5", "download_timeout = nan"), "download_timeout", "finite"),
    (("every = \"30m\"", "every = \"99999999999w\""), "every", "longer than a year"),
    (("every = \"30m\"", "every = \"400d\""), "every", "longer than a year"),
    (("base_url = \"https://worldnews.example/\"", "base_url = \"http://[::1/\""), "base_url", "no URL"),
    (("base_url = \"https://worldnews.example/\"", "base_url = \"https://worldnews.example:99999/\""), "base_url",
     "no URL"),
    (("base_url = \"https://worldnews.example/\"", "base_url = \"https://world news.example/\""), "base_url",
     "not an absolute http(s) URL"),
    (("language = \"en\"", "language = \"english-ish\""), "language", "not a language tag"),
    (("language = \"en\"", "language = \"\""), "language", "not a language tag"),
    (("language = \"en\"", "user_agent = \" \""), "user_agent", "must not be empty"),
    (("[extraction]", "[extraction]\nmin_words = -3"), "extraction.min_words", "not be negative"),
])
def test_bad_site_file_names_file_key_and_problem(tmp_path, change, key, problem):
    old, new = change
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new))
    with pytest.raises(SiteConfigError) as raised:
        load_site_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message


def test_missing_file_and_invalid_toml(tmp_path):
    with pytest.raises(SiteConfigError, match="no such site file"):
        load_site("nowhere", tmp_path)
    with pytest.raises(SiteConfigError, match="not valid TOML"):
        load_site_file(write(tmp_path, "name = "))


def test_site_without_any_discovery_source_is_rejected(tmp_path):
    with pytest.raises(SiteConfigError, match="at least one of sections, feeds or sitemaps"):
        load_site_file(write(tmp_path, 'name = "worldnews"\nbase_url = "https://worldnews.example/"\n'))


def test_load_sites_reads_every_file_but_not_examples(tmp_path):
    write(tmp_path, VALID)
    (tmp_path / "examples").mkdir()
    write(tmp_path / "examples", VALID.replace('"worldnews"', '"bignews"'), "bignews")
    assert [s.name for s in load_sites((), tmp_path)] == ["worldnews"]
    assert [s.name for s in load_sites(["bignews"], tmp_path)] == ["bignews"]


def test_empty_sites_dir_is_an_error(tmp_path):
    with pytest.raises(SiteConfigError, match="no site files"):
        load_sites((), tmp_path)


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", timedelta(seconds=90)), ("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)),
    ("1d", timedelta(days=1)), (" 1w ", timedelta(weeks=1)),
])
def test_parse_interval(text, expected):
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["0m", "m", "5 minutes", "-1h", ""])
def test_parse_interval_rejects(text):
    with pytest.raises(ValueError):
        parse_interval(text)


EXAMPLES = sorted((REPO / "settings" / "sites" / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_site_files_are_valid(path):
    site = load_site_file(path)
    assert site.name == path.stem
    assert site.sections or site.feeds or site.sitemaps


def test_demo_site_file_is_valid(demo_config):
    assert demo_config.name == "demo" and demo_config.feeds and demo_config.sections


def test_parse_sources():
    from crawler.sites import parse_sources

    assert parse_sources("feeds, sitemaps") == {"feeds", "sitemaps"}
    assert parse_sources("") is None and parse_sources(None) is None
    with pytest.raises(ValueError, match="each must be one of"):
        parse_sources("feeds,rumours")
    with pytest.raises(ValueError, match="names no source"):
        parse_sources(" , ")  # a user's review: it meant all sources


SCOPED = SiteConfig(name="worldnews", base_url="https://worldnews.example/",
                    domains=("feeds.worldnews-cdn.example", "media.example:8080"))


@pytest.mark.parametrize(("url", "inside"), [
    ("https://worldnews.example/2024/06/story.html", True),
    ("https://www.worldnews.example/x", True),
    ("https://edition.worldnews.example/x", True),  # a subdomain of the site's host
    ("https://worldnews.example:443/x", True),
    ("https://feeds.worldnews-cdn.example/rss.xml", True),
    ("http://feeds.worldnews-cdn.example/rss.xml", True),
    ("https://media.example:8080/x", True),
    ("http://worldnews.example/x", False),  # the site is on https
    ("https://worldnews.example:8443/x", False),  # another port: another server
    ("https://media.example/x", False),  # a domain given with its port is that port only
    ("https://evilworldnews.example/x", False),
    ("https://worldnews.example.evil.example/x", False),
    ("ftp://worldnews.example/x", False),
    ("https://worldnews.example:99999/x", False),
])
def test_a_sites_scope_is_its_scheme_host_and_port_plus_its_domains(url, inside):
    assert SCOPED.in_scope(url) is inside


def test_another_port_on_the_same_host_is_another_site():
    site = SiteConfig(name="local", base_url="http://127.0.0.1:18801/")
    assert site.in_scope("http://127.0.0.1:18801/a.html")
    assert not site.in_scope("http://127.0.0.1:18802/a.html")
    assert not site.in_scope("http://localhost:18801/a.html")
    assert not site.in_scope("http://127.0.0.1/a.html")


def test_a_site_on_http_may_move_to_https():
    site = SiteConfig(name="old", base_url="http://oldnews.example/")
    assert site.in_scope("https://oldnews.example/x") and not site.in_scope("https://oldnews.example:8443/x")


def test_a_site_file_saved_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "worldnews.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))  # as some editors save UTF-8
    assert load_site_file(path).name == "worldnews"


def test_a_sites_directory_of_yaml_files_says_site_files_are_toml(tmp_path):
    (tmp_path / "worldnews.yaml").write_text("name: worldnews\n")
    with pytest.raises(SiteConfigError, match=r"found worldnews.yaml: site files are TOML"):
        load_sites((), tmp_path)
