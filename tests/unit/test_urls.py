from __future__ import annotations

import pytest

from crawler.urls import canonical_url, clean_url, same_site


@pytest.mark.parametrize("variant", [
    "https://news.example/2024/06/story.html",
    "https://www.news.example/2024/06/story.html",
    "https://NEWS.example:443/2024/06/story.html",
    "https://news.example/2024/06/story.html?utm_source=x&utm_medium=y",
    "https://news.example/2024/06/story.html?fbclid=abc#comments",
    "https://news.example/2024/06/story.html?gclid=1&ref=home",
])
def test_variants_fold_to_one_canonical_url(variant):
    assert canonical_url(variant) == "https://news.example/2024/06/story.html"


def test_meaningful_query_is_kept_and_sorted():
    assert canonical_url("https://news.example/a?b=2&a=1&utm_source=x") == "https://news.example/a?a=1&b=2"


def test_clean_url_keeps_the_host_as_written():
    assert clean_url("https://www.news.example/a?utm_source=x#top") == "https://www.news.example/a"


def test_same_site():
    assert same_site("https://www.news.example/x", ("news.example",))
    assert same_site("https://edition.news.example/x", ("news.example",))
    assert not same_site("https://evilnews.example/x", ("news.example",))
    assert not same_site("https://facebook.com/share", ("news.example",))
