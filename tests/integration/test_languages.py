"""The sample site's stories in Japanese, Korean and German (issue 28, item 6): fetched from the
sample site over HTTP and extracted as a crawl extracts them, and archived by ``newsarchive demo``.

- Japanese: Shift_JIS, declared only in ``<meta charset>`` (the HTTP header names no charset), a
  JSON-LD ``NewsArticle`` with its dates at +09:00; each kana or kanji counts as a word.
- Korean: at a query-string URL, ``/news_view.html?idx=123``; the byline "홍길동 기자" (기자: reporter)
  credits 홍길동.
- German: "Von Anna Schmidt" above the text, and no date but the printed "5. Juni 2024": with no time
  of day and no zone, that is midnight in the site's timezone (Asia/Kolkata), 2024-06-04T18:30 UTC.

The same stories in other layouts that CMSs print (``LAYOUTS``) are read too. What extraction gets
wrong there is marked ``xfail(strict=True)``, its reason giving the value extraction gives: once it
is read right the test XPASSes, which fails the run, and the mark is to go.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.db import open_archive
from archive.queries import search
from crawler.demo_site import DemoServer, DemoSite
from crawler.demo_site.content import OTHER_LANGUAGES_FROM
from crawler.extraction import extract
from crawler.sites import load_site_file
from tests.conftest import REPO, demo_config_file

SITE = DemoSite(articles=OTHER_LANGUAGES_FROM)  # the smallest site that has them
CONFIG = load_site_file(demo_config_file())
JAPANESE = "/2024/06/tokyo-assembly-passes-heat-shelter-ordinance.html"
KOREAN = "/news_view.html?idx=123"
GERMAN = "/2024/06/stadtrat-beschliesst-neues-radwegenetz-fuer-die-innenstadt.html"
EXPECTED = {
    JAPANESE: {"title": "東京都議会、猛暑対策で「涼み処」条例を可決", "authors": ("山田太郎",),
               "published_at": "2024-06-05T01:30:00+00:00",  # 10:30 at +09:00
               "modified_at": "2024-06-05T09:00:00+00:00", "language": "ja"},
    KOREAN: {"title": "서울시, 한강공원에 무더위 쉼터 20곳 새로 설치", "authors": ("홍길동",),
             "published_at": "2024-06-12T05:20:00+00:00", "language": "ko"},  # 14:20 at +09:00
    GERMAN: {"title": "Stadtrat beschließt neues Radwegenetz für die Innenstadt", "authors": ("Anna Schmidt",),
             "published_at": "2024-06-04T18:30:00+00:00",  # 5 June, 00:00 at +05:30 (not 6 May)
             "language": "de"},
}
LANGUAGE = {JAPANESE: "ja", KOREAN: "ko", GERMAN: "de"}
KANA_OR_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def words_as_read(text: str) -> int:
    """A text's length as its readers count it: in Japanese, written without spaces, one word per
    kana or kanji and one per number; elsewhere, what spaces separate."""
    if KANA_OR_KANJI.search(text):
        return len(KANA_OR_KANJI.findall(text)) + len(re.findall(r"[0-9A-Za-z]+", text))
    return len(text.split())


# What extraction reads wrong on the stories as served: (path, field) -> what it gives instead.
MISREAD: dict[tuple[str, str], str] = {}


def known(path: str, field: str, *values: object, name: str):
    """A test case that is marked as an expected failure (strict) while extraction misreads it."""
    reason = MISREAD.get((path, field))
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
    return pytest.param(path, *values, marks=marks, id=name)


def expected(path: str, field: str) -> object:
    story = SITE.article(path)
    return {**EXPECTED[path], "text": story.body_text, "word_count": words_as_read(story.body_text)}[field]


@pytest.fixture(scope="module")
def pages():
    """Each story's page as the server sends it: the URL, the body's bytes and the Content-Type header."""
    with DemoServer(SITE) as server:
        fetched = {}
        for path in EXPECTED:
            with urllib.request.urlopen(server.base_url.rstrip("/") + path) as response:
                fetched[path] = (response.geturl(), response.read(), response.headers["Content-Type"])
        yield fetched


def read(pages, path: str, layout: tuple[tuple[str, str], ...] = ()):
    url, body, content_type = pages[path]
    if layout:
        html = body.decode("utf-8")
        for pattern, replacement in layout:
            html, found = re.subn(pattern, replacement, html, count=1, flags=re.DOTALL)
            if not found:  # not an AssertionError: an expected failure must not hide this one
                raise LookupError(f"the page no longer has what the other layout changes: {pattern}")
        body = html.encode("utf-8")
    return extract(body, url, CONFIG.extraction, CONFIG.timezone, content_type)


def test_pages_come_as_their_cms_serve_them(pages):
    _, body, content_type = pages[JAPANESE]
    assert content_type == "text/html"  # the charset is only in the page
    assert b'<meta charset="Shift_JIS">' in body and "東京".encode("shift_jis") in body
    for path in (KOREAN, GERMAN):
        assert pages[path][2] == "text/html; charset=utf-8"
    assert urlsplit(pages[KOREAN][0]).query == "idx=123"


@pytest.mark.parametrize(("path", "field"), [known(path, field, field, name=f"{LANGUAGE[path]}-{field}")
                                              for path, fields in EXPECTED.items()
                                              for field in (*fields, "text", "word_count")])
def test_each_story_is_read_as_its_reader_reads_it(pages, path, field):
    assert getattr(read(pages, path), field) == expected(path, field)


def test_the_japanese_story_is_long_by_its_characters(pages):
    article = read(pages, JAPANESE)
    assert len(article.text.split()) == len(SITE.article(JAPANESE).blocks)  # no spaces: a line is one "word"
    assert article.word_count > 600  # but each kana or kanji counts
    assert article.text.count("東京") >= 3


# The same stories as other CMSs lay them out: (regex, replacement) pairs turning the served page into that layout.
LAYOUTS = {
    # ndsoft-style info line: name and title as plain text, no link to the reporter's page
    "ko-plain-byline": (KOREAN, ((r'<a href="[^"]*" rel="author">([^<]*)</a>', r"\1"),)),
    # the byline in an element the template marks as one, name and title together
    "ko-byline-element": (KOREAN, ((r'<li><a href="[^"]*" rel="author">([^<]*)</a> 기자</li>',
                                    r'<li class="byline">\1 기자</li>'),)),
    # only the printed date: no article:published_time
    "ko-printed-date-only": (KOREAN, ((r'<meta property="article:published_time"[^>]*>', ""),)),
    # the date line between the headline and the "Von ..." line, as many German papers print it
    "de-date-under-headline": (GERMAN, ((r'(<p class="artikel-datum">[^<]*</p>)\n(.*?</h1>)', r"\2\n\1"),)),
    # the date with the time of day
    "de-date-and-time": (GERMAN, ((r'(<p class="artikel-datum">5\. Juni 2024)</p>', r"\1, 10:30 Uhr</p>"),)),
}


def case(layout: str, field: str, value: object, fails: str | None = None):
    """One field of a story in another layout; ``fails`` says what extraction gives today instead."""
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=fails)] if fails else []
    return pytest.param(layout, field, value, marks=marks, id=f"{layout}-{field}")


@pytest.mark.parametrize(("layout", "field", "value"), [
    case("ko-plain-byline", "authors", ("홍길동",),
         fails="a byline printed as plain text '홍길동 기자' (no class, no link) is not found: authors ()"),
    case("ko-plain-byline", "text", SITE.article(KOREAN).body_text),
    case("ko-byline-element", "authors", ("홍길동",)),  # 기자 (reporter) is cut as a job title
    case("ko-printed-date-only", "title", EXPECTED[KOREAN]["title"]),  # still taken for an article
    case("ko-printed-date-only", "published_at", "2024-06-12T08:50:00+00:00"),  # 14:20 in the site's zone
    case("de-date-under-headline", "authors", ("Anna Schmidt",)),
    case("de-date-under-headline", "text", SITE.article(GERMAN).body_text),
    case("de-date-under-headline", "word_count", expected(GERMAN, "word_count")),
    case("de-date-under-headline", "published_at", EXPECTED[GERMAN]["published_at"]),
    case("de-date-and-time", "published_at", "2024-06-05T05:00:00+00:00"),  # 10:30 in the site's zone
])
def test_other_layouts_of_the_stories(pages, layout, field, value):
    path, changes = LAYOUTS[layout]
    assert getattr(read(pages, path, changes), field) == value


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory):
    """The archive that ``newsarchive demo`` makes of the smallest sample site with the three stories."""
    path = tmp_path_factory.mktemp("languages") / "archive.db"
    command = [str(Path(sys.executable).with_name("newsarchive")), "demo", "--db", str(path),
               "--articles", str(OTHER_LANGUAGES_FROM)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    db = open_archive(path)
    yield db
    db.close()


def archived(db) -> dict[str, dict]:
    """The archive's articles by their path (and query)."""
    rows = {}
    for row in db["articles"].rows:
        parts = urlsplit(row["url"])
        rows[parts.path + (f"?{parts.query}" if parts.query else "")] = row
    return rows


def test_newsarchive_demo_archives_the_three_stories(demo_archive):
    rows = archived(demo_archive)
    assert len(rows) == OTHER_LANGUAGES_FROM
    for path, fields in EXPECTED.items():
        row = rows[path]
        assert row["title"] == fields["title"]
        assert json.loads(row["authors"]) == list(fields["authors"])
        assert (row["published_at"], row["language"]) == (fields["published_at"], fields["language"])
        assert row["text"] == expected(path, "text")


@pytest.mark.parametrize("path", [known(path, "word_count", name=LANGUAGE[path]) for path in EXPECTED])
def test_newsarchive_demo_archives_their_lengths(demo_archive, path):
    assert archived(demo_archive)[path]["word_count"] == expected(path, "word_count")


def test_their_words_find_them(demo_archive):
    assert [hit.title for hit in search(demo_archive, "東京")] == [EXPECTED[JAPANESE]["title"]]  # inside a run of kanji
    assert [hit.title for hit in search(demo_archive, "쉼터")] == [EXPECTED[KOREAN]["title"]]
    assert [hit.title for hit in search(demo_archive, "Radwegenetz")] == [EXPECTED[GERMAN]["title"]]

