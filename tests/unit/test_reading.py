"""archive/reading.py: times for readers, what changed between versions, Atom documents."""

from __future__ import annotations

import feedparser
import pytest

from archive.reading import FeedEntry, atom_feed, marked_snippet, sandboxed_html, shown_time, version_diff


@pytest.mark.parametrize(("stored", "raw", "utc", "local"), [
    ("2024-06-20T03:45:00+00:00", "2024-06-20T09:15:00+05:30", "20 June 2024, 03:45 UTC",
     "20 June 2024, 09:15 +05:30 on the page"),
    ("2024-06-20T03:45:00+00:00", "2024-06-20T03:45:00Z", "20 June 2024, 03:45 UTC", None),
    ("2024-06-05T00:00:00+00:00", "5. Juni 2024", "5 June 2024, 00:00 UTC", "printed “5. Juni 2024”"),
    ("2024-06-05T00:00:00+00:00", None, "5 June 2024, 00:00 UTC", None),
])
def test_shown_time_gives_utc_and_the_pages_own_offset(stored, raw, utc, local):
    shown = shown_time(stored, raw)
    assert (shown.utc, shown.local) == (utc, local)


def test_shown_time_of_nothing_or_garbage():
    assert shown_time(None) is None
    assert shown_time("sometime").utc == "sometime"


def test_version_diff_marks_words_within_a_changed_paragraph_and_whole_new_ones():
    old = "First paragraph stays.\nThe minister resigned on Monday.\nMiddle.\nEnd."
    new = "First paragraph stays.\nThe minister resigned on Tuesday.\nMiddle.\nEnd.\nCorrection: the day."
    changes = version_diff("Title", old, "Title", new, context=0)
    kinds = [(change.kind, str(change.html)) for change in changes]
    assert ("changed", "The minister resigned on <del>Monday.</del><ins>Tuesday.</ins>") in kinds
    assert kinds[-1] == ("added", "<ins>Correction: the day.</ins>")
    assert ("same", "First paragraph stays.") not in kinds  # out of context: folded into "…"


def test_version_diff_escapes_html_in_the_text():
    changes = version_diff("T", "a <b>", "T", "a <script>")
    assert "<script>" not in "".join(str(change.html) for change in changes)


def test_marked_snippet_escapes_and_marks():
    assert str(marked_snippet("x < \ue000y\ue001", "\ue000", "\ue001")) == "x &lt; <mark>y</mark>"


def test_atom_feed_escapes_and_parses():
    entry = FeedEntry(id="http://h/article/1", title="A & B <c>", link="http://h/article/1?a=1&b=2",
                      original="http://news.example/x?y=1&z=2", updated="2024-06-20T03:45:00+00:00",
                      summary="fish & chips", authors=["Ann"], categories=['Tag "quoted"'])
    feed = feedparser.parse(atom_feed(feed_id="http://h/search.atom", title="t", self_link="http://h/search.atom",
                                      html_link="http://h/search", entries=[entry]))
    assert feed.bozo == 0
    assert feed.entries[0].title == "A & B <c>" and feed.entries[0].link == "http://h/article/1?a=1&b=2"
    assert feed.entries[0].tags[0].term == 'Tag "quoted"' and feed.entries[0].author == "Ann"


def test_sandboxed_html_drops_what_would_fetch_by_itself():
    page = ('<html><head><meta charset="shift_jis"><base href="https://live.example/">'
            '<link rel="preconnect" href="https://live.example"><link rel="stylesheet" href="/s.css">'
            '<meta http-equiv="refresh" content="0; url=https://live.example/"><script>alert(1)</script></head>'
            '<body onload="alert(2)"><h1>東京の記事</h1><iframe src="https://live.example/embed"></iframe>'
            '<a href="/x" ping="https://live.example/ping">x</a><img src="data:image/gif;base64,R0lGOD">'
            '</body></html>').encode("shift_jis")
    shown = sandboxed_html(page).decode("utf-8")
    assert "<h1>東京の記事</h1>" in shown and '<meta charset="utf-8">' in shown
    for gone in ("live.example", "<script", "alert", "<iframe", "<base", "<link", "shift_jis", "ping="):
        assert gone not in shown
    assert 'src="data:image/gif;base64,R0lGOD"' in shown
