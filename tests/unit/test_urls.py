from __future__ import annotations

import pytest

from crawler.urls import canonical_url, clean_url, documentation_url, same_site, section_front, url_shape


@pytest.mark.parametrize("variant", [
    "https://news.example/2024/06/story.html",
    "https://www.news.example/2024/06/story.html",
    "https://NEWS.example:443/2024/06/story.html",
    "https://news.example/2024/06/story.html?utm_source=x&utm_medium=y",
    "https://news.example/2024/06/story.html?fbclid=abc#comments",
    "https://news.example/2024/06/story.html?gclid=1&ref=home",
    "https://news.example/2024/06/story.html?PHPSESSID=0f3a9c&jsessionid=AB12",  # session ids
    "https://news.example/2024/06/story.html?sessionid=77&osCsid=9",
])
def test_variants_fold_to_one_canonical_url(variant):
    assert canonical_url(variant) == "https://news.example/2024/06/story.html"


def test_meaningful_query_is_kept_and_sorted():
    assert canonical_url("https://news.example/a?b=2&a=1&utm_source=x") == "https://news.example/a?a=1&b=2"
    assert canonical_url("https://news.example/article.pl?sid=2406121") == "https://news.example/article.pl?sid=2406121"


def test_clean_url_keeps_the_host_as_written():
    assert clean_url("https://www.news.example/a?utm_source=x#top") == "https://www.news.example/a"


def test_same_site():
    assert same_site("https://www.news.example/x", ("news.example",))
    assert same_site("https://edition.news.example/x", ("news.example",))
    assert not same_site("https://evilnews.example/x", ("news.example",))
    assert not same_site("https://facebook.com/share", ("news.example",))


@pytest.mark.parametrize(("url", "shape"), [
    ("https://news.example/2024/06/03/budget.html", 1),  # a date in the path
    ("https://news.example/politics/council-approves-the-rural-roads-budget", 1),  # a slug of words
    ("https://news.example/story/12345678", 1),  # a long id
    ("https://news.example/politics/budget", 0),  # can't tell
    ("https://news.example/", -1),
    ("https://news.example/tag/budget/", -1),
    ("https://news.example/politics/page/2/", -1),
    ("https://news.example/news", -1),  # a section's front page
    ("https://news.example/why-us/testimonials/", -1),
    ("https://news.example/news_view.html?idx=123", 1),  # issue 28: a page script given one item's number
    ("https://news.example/service/news_view.htm?lang=e&Seq_Code=181595", 1),
    ("https://news.example/list.php?page=123", -1),  # pagination is no item
    ("https://news.example/?p=31228", 1),  # a WordPress post by its number ...
    ("https://news.example/?p=2", -1),  # ... where a page's number is short
    ("https://bbs.example/viewtopic.php?id=298271", 0),  # a forum's thread script is no story
])
def test_url_shape_tells_stories_from_listings(url, shape):
    assert url_shape(url) == shape


@pytest.mark.parametrize(("url", "front"), [
    ("https://news.example/news", True),
    ("https://news.example/blog/", True),
    ("https://news.example/magazine/issues/", True),
    ("https://news.example/news/2024/06/budget-approved", False),  # a story filed under /news/
    ("https://news.example/blog/the-news", False),
    ("https://news.example/newsroom-policy", False),
])
def test_a_section_front_page_is_known_by_its_last_part(url, front):
    assert section_front(url) is front


@pytest.mark.parametrize(("url", "docs"), [
    ("https://docs.python.org/3/library/itertools.html", True),
    ("https://doc.rust-lang.org/book/ch04-01-what-is-ownership.html", True),
    ("https://wiki.archlinux.org/title/Sudo", True),
    ("https://requests.readthedocs.io/en/latest/user/advanced/", True),
    ("https://mostly-adequate.gitbook.io/mostly-adequate-guide", True),
    ("https://developer.nvidia.com/blog/a-post", False),  # developer sites carry blogs
    ("https://dev.to/jane/a-post", False),
    ("https://news.example/docs-and-dossiers", False),
    ("https://supabase.com/docs/guides/auth", True),  # a documentation section on the site's own host
    ("https://man7.org/linux/man-pages/man1/grep.1.html", True),
    ("https://news.example/2024/06/the-docs-we-read", False),
    ("https://flask.palletsprojects.com/en/stable/quickstart/", True),  # a release's pages
    ("https://git-scm.com/book/en/v2/Git-Branching-Branches-in-a-Nutshell", True),
    ("https://news.example/en/2024/06/budget-approved", False),
    ("https://news.example/en/latest-news/budget-approved", False),
])
def test_documentation_is_known_by_its_host_or_section(url, docs):
    assert documentation_url(url) is docs
