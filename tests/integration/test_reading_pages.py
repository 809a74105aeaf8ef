"""Issue 24: the reading pages on an archive, in-process: search that never errors, the article
page with its versions, the sandboxed capture, the front page and the Atom feed."""

from __future__ import annotations

import re

import feedparser
import pytest

from tests.integration.test_datasette import SEED_TITLE, archive_path, get  # noqa: F401 (the fixture)


def seed_id(archive_path) -> int:  # noqa: F811
    rows = get(archive_path, "/archive/articles.json?_search=Pyongyang&_shape=array").json()
    return next(row["id"] for row in rows if row["title"].startswith(SEED_TITLE))


def hit_links(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="(/article/\d+)">', html)


def test_search_without_words_lists_the_latest_stories(archive_path):  # noqa: F811
    response = get(archive_path, "/search")
    assert response.status_code == 200
    assert "<h1>Latest stories</h1>" in response.text
    assert len(hit_links(response.text)) == 20
    assert re.search(r"40 articles, showing 1–20", response.text)
    second = get(archive_path, "/search?page=2").text
    assert set(hit_links(second)).isdisjoint(hit_links(response.text))


@pytest.mark.parametrize("query", ['"', "X OR", "*", "NEAR(", "a AND", "-", "^title", "'", "Putin OR",
                                   " ".join(["word"] * 1000)])
def test_a_malformed_query_is_answered_with_a_page_not_an_error(archive_path, query):  # noqa: F811
    response = get(archive_path, "/search?" + __import__("urllib.parse").parse.urlencode({"q": query}))
    assert response.status_code == 200
    assert "<h1>" in response.text and "Traceback" not in response.text
    if len(query.split()) > 32:
        assert "Only the first 32 words are searched." in response.text


@pytest.mark.parametrize("params", ["page=x", "page=-3", "page=9999", "from=yesterday", "to=2024-13-45",
                                    "sort=sideways", "tag=", "q=%00"])
def test_odd_parameters_are_answered_too(archive_path, params):  # noqa: F811
    response = get(archive_path, f"/search?{params}")
    assert response.status_code == 200
    if "from=" in params or "to=" in params:
        assert "is not a date (YYYY-MM-DD)" in response.text


def test_search_with_site_and_dates_links_to_the_archived_article(archive_path):  # noqa: F811
    html = get(archive_path, "/search?q=Putin&site=demo&from=2024-06-19&to=2024-06-20").text
    assert hit_links(html) == [f"/article/{seed_id(archive_path)}"]
    assert "<mark>Putin</mark>" in html
    assert hit_links(get(archive_path, "/search?q=Putin&site=demo&from=2024-06-21").text) == []
    assert hit_links(get(archive_path, "/search?q=Putin&site=other").text) == []


def test_filters_by_tag_section_and_language_and_sorts_by_relevance(archive_path):  # noqa: F811
    assert hit_links(get(archive_path, "/search?tag=north+korea").text) == [f"/article/{seed_id(archive_path)}"]
    everything = get(archive_path, "/search?language=en").text
    assert len(hit_links(everything)) == 20
    assert hit_links(get(archive_path, "/search?language=xx").text) == []
    relevant = get(archive_path, "/search?q=Korea&sort=relevance").text
    newest = get(archive_path, "/search?q=Korea").text
    assert sorted(hit_links(relevant)) == sorted(hit_links(newest)) and hit_links(relevant)


def test_article_page_reads_as_a_story(archive_path):  # noqa: F811
    html = get(archive_path, f"/article/{seed_id(archive_path)}").text
    assert f'<h1 class="headline">{SEED_TITLE}' in html
    assert re.search(r'<p class="byline">By \w', html)
    dateline = html[html.index('<p class="dateline">'):].split("</p>")[0]
    assert ('<time datetime="2024-06-20T03:45:00+00:00">20 June 2024, 03:45 UTC</time>'
            " (20 June 2024, 09:15 +05:30 on the page)") in dateline, dateline
    assert '<a class="tag" href="/search?tag=North%20Korea">North Korea</a>' in html
    assert '<div class="reading article-body">\n  <p>Pyongyang (North Korea).' in html
    assert 'rel="noopener noreferrer nofollow">Original at http://127.0.0.1' in html


def test_article_page_shows_the_declared_headline_where_it_is_another(archive_path, tmp_path):  # noqa: F811
    import shutil
    import sqlite3

    copy = tmp_path / "archive.db"
    shutil.copy(archive_path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("update articles set declared_title = 'Putin in Pyongyang: <what> the pact says' where id = ?",
                     [seed_id(archive_path)])
    html = get(copy, f"/article/{seed_id(archive_path)}").text
    assert "Headline for search and sharing: Putin in Pyongyang: &lt;what&gt; the pact says</p>" in html
    assert 'class="declared"' not in get(archive_path, f"/article/{seed_id(archive_path)}").text


def test_an_edited_story_shows_what_changed(archive_path):  # noqa: F811
    changed = get(archive_path, "/archive/changed_stories.json?_shape=array").json()[0]
    html = get(archive_path, f"/article/{changed['id']}?version=2").text
    assert "<h2>2 versions</h2>" in html
    assert '<details class="change" id="changes-2" open>' in html
    assert '<p class="added"><ins>Correction: an earlier version misspelt a name.</ins></p>' in html
    assert '<details class="change" id="changes-2">' in get(archive_path, f"/article/{changed['id']}").text


def test_a_capture_is_served_in_a_sandbox(archive_path):  # noqa: F811
    article = get(archive_path, f"/article/{seed_id(archive_path)}").text
    capture = re.search(r'<a href="(/capture/\d+)">Archived capture</a>', article)
    assert capture is None  # the fixture stores articles without captures; the rejected page has one
    rejected = get(archive_path, "/archive/rejected_pages.json?_shape=array").json()[0]
    page = get(archive_path, f"/capture/{rejected['capture_id']}").text
    capture_id = rejected["capture_id"]
    frame = f'<iframe class="capture" sandbox="" referrerpolicy="no-referrer" src="/capture/{capture_id}/raw"'
    assert frame in page
    raw = get(archive_path, f"/capture/{rejected['capture_id']}/raw")
    policy = raw.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert b"<html" in raw.content.lower()
    assert get(archive_path, "/capture/999999").status_code == 404
    huge = "9" * 25  # past a row id SQLite holds: not found, not a server error (an adversarial review)
    for path in (f"/article/{huge}", f"/capture/{huge}", f"/capture/{huge}/raw"):
        assert get(archive_path, path).status_code == 404, path


def test_front_page_shows_sites_counts_and_last_crawls(archive_path):  # noqa: F811
    html = get(archive_path, "/").text
    demo = html[html.index('id="site-demo"'):html.index('id="site-other"')]
    assert '<span class="count">40</span> articles' in demo
    assert 'outcome-finished">finished</span>, 40 new' in demo
    assert 'outcome-failed">failed</span>' in html[html.index('id="site-other"'):]
    assert len(re.findall(r'<li><a class="title" href="/article/\d+">', html)) == 10


def test_atom_feed_of_a_search_parses_and_lists_the_newest_hits(archive_path):  # noqa: F811
    response = get(archive_path, "/search.atom?q=Korea&site=demo")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.text)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10" and "Korea" in feed.feed.title
    page = get(archive_path, "/search?q=Korea&site=demo").text
    assert [entry.link.removeprefix("http://localhost") for entry in feed.entries] == hit_links(page)
    assert feed.entries and all(entry.link.startswith("http://localhost/article/") for entry in feed.entries)
    seed = next(entry for entry in feed.entries if entry.title.startswith(SEED_TITLE))
    assert {tag.term for tag in seed.tags} >= {"North Korea", "Russia News"}
    latest = feedparser.parse(get(archive_path, "/search.atom").text)
    assert latest.bozo == 0 and len(latest.entries) == 20
    dates = [entry.updated_parsed for entry in latest.entries]
    assert dates == sorted(dates, reverse=True)
