"""One way to store a fetched page (``archive.store.store_page``), for every writer: the crawl's
pipeline, the distributed writer and ``newsarchive import``."""

from __future__ import annotations

import json

import pytest

from archive.captures import DICTIONARY_SAMPLES, capture_body
from archive.frontier import decode_item, encode_item
from archive.store import Outcome, store_page
from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.extraction import Article, Capture, Rejection

URL = "https://news.example/2024/06/pact.html"
ARTICLE = Article(url=URL, title="Leaders sign a pact", text="The two leaders signed a pact.\nIt covers trade.")
LISTING = Rejection(reason="listing", detail="score -2.2", score=-2.15)


def fetch(body: bytes = b"<html>the pact</html>", fetched_at: str = "2024-06-20T10:00:00+00:00",
          url: str = URL, status: int = 200, digest: str | None = None) -> Capture:
    return Capture(url=url, body=body, status=status, headers={"Content-Type": "text/html"},
                   fetched_at=fetched_at, body_digest=digest)


def count(db, table: str) -> int:
    return db.execute(f"select count(*) from {table}").fetchone()[0]


def test_an_article_is_stored_with_its_capture_and_a_version_when_it_changes(archive):
    first = store_page(archive, fetch(), site="demo", section="World", article=ARTICLE, run_id=None)
    assert (first.article.outcome, first.article.version) == (Outcome.NEW, 1)
    assert capture_body(archive, first.article.capture_id) == b"<html>the pact</html>"
    assert next(archive["articles"].rows)["section"] == "world"
    again = store_page(archive, fetch(fetched_at="2024-06-20T11:00:00+00:00"), site="demo", article=ARTICLE)
    assert again.article.outcome is Outcome.UNCHANGED and count(archive, "captures") == 2
    edited = Article(url=URL, title=ARTICLE.title, text=ARTICLE.text + "\nA correction.")
    changed = store_page(archive, fetch(b"<html>v2</html>", "2024-06-20T12:00:00+00:00"), site="demo", article=edited)
    assert (changed.article.outcome, changed.article.version) == (Outcome.CHANGED, 2)
    assert count(archive, "article_versions") == 2


def test_a_rejected_page_is_kept_under_its_canonical_url_with_the_digest_it_carries(archive):
    tracked = URL.replace("pact.html", "tag/economy/?utm_source=feed")
    page = store_page(archive, fetch(url=tracked, digest="sha256:handed-off"), site="demo", section="World",
                      rejection=LISTING, run_id=None)
    row = next(archive["rejected_pages"].rows)
    assert (row["url"], row["section"], row["reason"], row["detail"], row["score"]) == (
        "https://news.example/2024/06/tag/economy/", "world", "listing", "score -2.2", -2.15)
    assert row["capture_id"] == page.rejected_capture_id and page.article is None
    # the digest the page came with (a worker's) is the one kept: not hashed again here
    assert archive.execute("select digest from captures").fetchone()[0] == "sha256:handed-off"


@pytest.mark.parametrize("kind", ["article", "rejected"])
def test_a_replayed_fetch_is_stored_once_when_asked(archive, kind):
    """The distributed writer (``unless_stored``) recognises a hand-off it stored before it died;
    the crawl's pipeline stores every fetch it is given."""
    given = {"article": ARTICLE} if kind == "article" else {"rejection": LISTING}
    assert not store_page(archive, fetch(), site="demo", unless_stored=True, **given).replayed
    assert store_page(archive, fetch(), site="demo", unless_stored=True, **given).replayed
    assert count(archive, "captures") == 1
    other = fetch(b"<html>the pact, later</html>")  # the same URL and time, another body: another fetch
    assert not store_page(archive, other, site="demo", unless_stored=True, **given).replayed
    assert count(archive, "captures") == 2


def test_a_304_moves_an_archived_articles_last_fetch_on_and_stores_no_capture(archive):
    store_page(archive, fetch(), site="demo", article=ARTICLE)
    later = "2024-06-21T10:00:00+00:00"
    assert store_page(archive, fetch(b"", later, status=304), site="demo").not_modified
    assert next(archive["articles"].rows)["last_fetched_at"] == later
    assert not store_page(archive, fetch(b"", later, url=URL + "?other", status=304), site="demo").not_modified
    assert count(archive, "captures") == 1


def test_a_page_that_is_neither_or_both_is_an_error_and_writes_nothing(archive):
    with pytest.raises(ValueError, match="an article or a rejected page, not both"):
        store_page(archive, fetch(), site="demo", article=ARTICLE, rejection=LISTING)
    with pytest.raises(ValueError, match="status 200 needs an article or a rejection"):
        store_page(archive, fetch(), site="demo")
    assert count(archive, "captures") == count(archive, "articles") == count(archive, "rejected_pages") == 0


def test_a_hand_off_that_is_neither_is_a_bad_item_for_the_writer():
    """The writer counts an item it cannot store as bad (``decode_item`` raises ValueError) instead
    of stopping on it."""
    payload = json.loads(encode_item(site="demo", section=None, run=None, article=None, capture=fetch(),
                                     worker="w1"))
    with pytest.raises(ValueError, match="neither an article nor a rejection"):
        decode_item(json.dumps(payload).encode())
    payload["capture"]["status"] = 304
    assert decode_item(json.dumps(payload).encode()).article is None  # a re-check that answered 304


def test_a_capture_dictionary_due_is_trained_once_the_page_is_committed(archive):
    """``store_page`` stores in one transaction; the site's dictionary, due at its first captures,
    is trained after it commits (a writer with no batches of its own, the distributed one, relies
    on it)."""
    site = DemoSite(articles=DICTIONARY_SAMPLES + 4)
    app = DemoSiteApp(site)
    for minute, story in enumerate(site.stories[:DICTIONARY_SAMPLES]):
        body = app.render(story.path)[2].encode()
        store_page(archive, fetch(body, f"2024-06-20T10:{minute:02d}:00+00:00", url=URL + f"?n={minute}"),
                   site="demo", rejection=LISTING)
    assert count(archive, "capture_dictionaries") == 1
