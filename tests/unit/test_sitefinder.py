"""Issue 25: what add-site learns from the links it found (no network here)."""

from __future__ import annotations

import re

import pytest

from crawler.sitefinder import guess_timezone, learn_patterns, site_name


def test_numeric_story_urls_without_a_date_get_a_pattern_of_their_own():
    stories = [f"http://news.example/story/{100000 + 37 * n}" for n in range(12)]
    others = ["http://news.example/world/", "http://news.example/tag/economy/", "http://news.example/world/page/2/"]
    patterns, coverage, _ = learn_patterns(stories, others)
    assert patterns == [r"^/story/\d{6}$"] and coverage == 1.0


def test_dated_urls_keep_no_year_or_month_of_their_own():
    stories = [f"http://news.example/2024/{month:02d}/story-number-{n}.html" for month in (5, 6) for n in range(5)]
    patterns, _, _ = learn_patterns(stories, [])
    assert patterns == [r"^/\d{4}/\d{2}/[^/]+\.html$"]
    assert re.search(patterns[0], "/2031/12/a-later-story.html")


def test_a_pattern_that_matches_a_listing_or_tag_page_is_left_out():
    stories = [f"http://news.example/{slug}/" for slug in ("a-b-c-d", "e-f-g-h", "i-j-k-l", "m-n-o-p")]
    patterns, coverage, note = learn_patterns(stories, ["http://news.example/world/"])
    assert patterns == [] and coverage == 0.0
    assert "/world/" in note  # said why: the heuristic then decides


def test_a_stray_link_does_not_become_a_pattern():
    stories = [f"http://news.example/story/{100000 + n}" for n in range(30)] + ["http://news.example/live/blog-today"]
    patterns, coverage, _ = learn_patterns(stories, [])
    assert patterns == [r"^/story/\d{6}$"] and coverage == pytest.approx(30 / 31)


def test_query_string_stories_keep_their_keys():
    stories = [f"http://news.example/news_view.html?idx={n}" for n in range(100, 110)]
    patterns, _, _ = learn_patterns(stories, ["http://news.example/news_list.html?page=2"])
    assert patterns == [r"^/news_view\.html\?idx=[^&]+$"]


@pytest.mark.parametrize(("raws", "language", "zone"), [
    (["2024-06-20T09:15:00+05:30", "2024-06-21T10:00:00Z"], "en", "Asia/Kolkata"),  # a UTC date says nothing
    (["2024-06-20T09:15:00+02:00", "2024-01-20T09:15:00+01:00"], "de", "Europe/Berlin"),
    (["2024-06-20T09:15:00+02:00"], "fr", "Europe/Paris"),
    (["2024-06-20T09:15:00-04:00", "2024-12-20T09:15:00-05:00"], "en", "America/New_York"),
    (["2024-06-20T09:15:00+09:00"], None, "Asia/Tokyo"),
])
def test_the_timezone_is_the_one_whose_offsets_the_dates_carry(raws, language, zone):
    assert guess_timezone(raws, language)[0] == zone


def test_no_offset_means_utc_and_says_why():
    zone, why = guess_timezone(["2024-06-20T09:15:00", None], "en")
    assert zone == "UTC" and "no date with an offset" in why


@pytest.mark.parametrize(("url", "name"), [
    ("https://www.worldnews.example/", "worldnews"),
    ("https://www.zeitung.example/de/", "zeitung-de"),
    ("http://127.0.0.1:8765/", "127-0-0-1"),
])
def test_a_site_is_named_after_its_address(url, name):
    assert site_name(url) == name


def test_a_page_is_read_in_the_charset_its_content_type_names_as_a_crawl_reads_it():
    """Review: add-site read a page's charset with a regex of its own, which missed a quoted one
    (RFC 9110 allows ``charset="windows-1251"``) and left the guessing to Scrapy: cp1252."""
    from scrapy.http import HtmlResponse

    from crawler.sitefinder import Page

    body = '<html><body><nav><a href="/мир/">Мир</a></nav></body></html>'.encode("windows-1251")
    content_type = 'text/html; charset="windows-1251"'
    page = Page("http://127.0.0.1/", 200, body, content_type).html()
    as_crawled = HtmlResponse("http://127.0.0.1/", body=body, headers={"Content-Type": content_type})
    assert page.css("nav a::text").get() == as_crawled.css("nav a::text").get() == "Мир"  # guessed: "Ěčđ"
    assert page.urljoin(page.css("nav a::attr(href)").get()) == "http://127.0.0.1/мир/"


def test_robots_txt_is_asked_once_per_origin_however_the_port_is_written():
    from crawler.sitefinder import Page, PoliteFetcher

    fetcher = PoliteFetcher("newsarchive-test")
    asked = []

    def fetch(url):
        asked.append(url)
        return Page(url, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")

    fetcher._fetch = fetch
    assert fetcher.allowed("http://127.0.0.1:80/a") and not fetcher.allowed("http://127.0.0.1/private/b")
    assert asked == ["http://127.0.0.1/robots.txt"]
    assert "Disallow: /private/" in fetcher.robots_txt("http://127.0.0.1/")


def test_the_sample_takes_in_turn_from_each_source_a_story_not_taken_yet():
    """A feed and a sitemap that list the same stories: each still gives a new one in its turn."""
    from crawler.sitefinder import _in_turn

    feed = ["http://n.example/a", "http://n.example/b", "http://n.example/c", "http://n.example/d"]
    sitemap = ["http://www.n.example/a?utm_source=x", "http://n.example/b", "http://n.example/e"]
    section = ["http://n.example/b", "http://n.example/x", "http://n.example/y"]
    assert _in_turn([feed, sitemap, section], 5) == ["http://n.example/a", "http://n.example/b", "http://n.example/x",
                                                     "http://n.example/c", "http://n.example/e"]
    assert _in_turn([feed, [], sitemap], 9) == [  # until every list is spent
        "http://n.example/a", "http://n.example/b", "http://n.example/c", "http://n.example/e", "http://n.example/d"]
    assert _in_turn([feed], 0) == []


def test_the_site_language_is_a_tag_a_site_file_takes():
    """A review: pages declaring "en_US" or "English" made add-site write a site file it then refused."""
    from crawler.sitefinder import site_language

    assert site_language(["en_US", "en-GB", "English", None, "de"]) == "en"
    assert site_language(["English", "Deutsch"]) is None


def test_a_malformed_link_on_the_home_page_is_left_out_not_the_site():
    """An adversarial review: add-site ended in a traceback on a page with "http://[::1" in its
    navigation or its feed links."""
    from scrapy.http import HtmlResponse

    from crawler.sitefinder import _listed, _section_candidates

    home = HtmlResponse("https://news.example/", encoding="utf-8", body=(
        b"<html><head><link rel='alternate' type='application/rss+xml' href='http://[::1'></head><body>"
        b"<nav><a href='http://[::1'>Bad</a><a href='/world/'>World</a></nav>"
        b"<a href='http://[zz]/x'>Bad</a><a href='/2024/06/story.html'>Story</a></body></html>"))
    assert _section_candidates(home, lambda url: url.startswith("https://news.example/")) == [
        "https://news.example/world/"]
    assert "https://news.example/2024/06/story.html" in _listed(home)
    assert not [url for url in _listed(home) if "[" in url]
