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
