"""Versions follow fetch time, whatever order the fetches are stored in (issue 27: a web archive
imported after a newer one, or an older WARC imported last)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from archive.store import Outcome, capture_stored, store_article
from crawler.extraction import Article, Capture

URL = "https://news.example/2024/06/pact.html"
TEXTS = {"A": "The two leaders signed a pact.", "B": "The two leaders signed a pact on Tuesday.",
         "C": "The two leaders signed a pact on Tuesday, officials said."}
REVERTED = [("A", "2024-06-01T00:00:00+00:00"), ("B", "2024-06-02T00:00:00+00:00"),
            ("A", "2024-06-03T00:00:00+00:00")]


def fetch(label: str, when: str) -> tuple[Article, Capture]:
    article = Article(url=URL, title="Leaders sign a pact", text=TEXTS[label])
    return article, Capture(url=URL, body=f"<html>{label} {when}</html>".encode(), fetched_at=when)


FETCHES = [("A", "2024-06-01T00:00:00+00:00"), ("B", "2024-06-02T00:00:00+00:00"),
           ("B", "2024-06-03T00:00:00+00:00"), ("C", "2024-06-04T00:00:00+00:00")]


def history(db) -> list[tuple[int, str, str]]:
    """Each version's text as readers take it (since migration 8 the current version's row holds
    NULL, its text is the article's), after checking that only the current one's is NULL."""
    stored = db.execute("select v.version = a.version, v.text is null from article_versions v"
                        " join articles a on a.id = v.article_id").fetchall()
    assert all(current == empty for current, empty in stored), stored
    return [(row[0], row[1], row[2]) for row in db.execute(
        "select v.version, coalesce(v.text, a.text), v.fetched_at from article_versions v"
        " join articles a on a.id = v.article_id order by v.version")]


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(FETCHES)))))
def test_versions_are_in_fetch_order_however_the_fetches_arrive(archive, order):
    for index in order:
        article, capture = fetch(*FETCHES[index])
        store_article(archive, article, site="news", capture=capture)
    assert history(archive) == [(1, TEXTS["A"], "2024-06-01T00:00:00+00:00"),
                                (2, TEXTS["B"], "2024-06-02T00:00:00+00:00"),
                                (3, TEXTS["C"], "2024-06-04T00:00:00+00:00")]
    row = archive.execute("select text, version, first_seen_at, last_fetched_at, last_changed_at"
                          " from articles").fetchone()
    assert row == (TEXTS["C"], 3, "2024-06-01T00:00:00+00:00", "2024-06-04T00:00:00+00:00",
                   "2024-06-04T00:00:00+00:00")
    assert archive["captures"].count == 4
    newest = archive.execute("select c.fetched_at from articles a"
                             " join captures c on c.id = a.last_capture_id").fetchone()
    assert newest == ("2024-06-04T00:00:00+00:00",)


def test_an_earlier_fetch_reports_what_it_did(archive):
    newest, capture = fetch("C", "2024-06-04T00:00:00+00:00")
    store_article(archive, newest, site="news", capture=capture)
    article, capture = fetch("A", "2024-06-01T00:00:00+00:00")
    stored = store_article(archive, article, site="news", capture=capture)
    assert (stored.outcome, stored.version) == (Outcome.CHANGED, 1)
    again = store_article(archive, article, site="news", capture=dataclasses.replace(
        capture, fetched_at="2024-06-02T00:00:00+00:00", body=b"<html>A again</html>"))
    assert (again.outcome, again.version) == (Outcome.UNCHANGED, 1)
    assert capture_stored(archive, capture)
    assert not capture_stored(archive, dataclasses.replace(capture, body=b"<html>other</html>"))


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(REVERTED)))))
def test_a_story_changed_and_changed_back_keeps_each_text_whatever_the_order(archive, order):
    # A, then B, then A again: stored A 06-01, A 06-03, then B 06-02, B lands after every version but
    # before the latest fetch, whose text (A) is the newest version. Since migration 8 the version
    # that stops being current must get its text into its row: left NULL it would read as the
    # article's next text.
    for index in order:
        article, capture = fetch(*REVERTED[index])
        store_article(archive, article, site="news", capture=capture)
    expected = [(1, TEXTS["A"], "2024-06-01T00:00:00+00:00"), (2, TEXTS["B"], "2024-06-02T00:00:00+00:00"),
                (3, TEXTS["A"], "2024-06-03T00:00:00+00:00")]
    assert history(archive) == expected
    assert archive.execute("select text, version, first_seen_at, last_fetched_at, last_changed_at"
                           " from articles").fetchone() == (TEXTS["A"], 3, "2024-06-01T00:00:00+00:00",
                                                            "2024-06-03T00:00:00+00:00", "2024-06-03T00:00:00+00:00")
    assert archive.execute("select c.fetched_at from article_versions v join captures c on c.id = v.capture_id"
                           " order by v.version").fetchall() == [(when,) for _, _, when in expected]
    article, capture = fetch("C", "2024-06-04T00:00:00+00:00")  # a newer text: the trigger keeps A in version 3
    store_article(archive, article, site="news", capture=capture)
    assert history(archive) == [*expected, (4, TEXTS["C"], "2024-06-04T00:00:00+00:00")]
