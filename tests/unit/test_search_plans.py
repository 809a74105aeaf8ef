"""Issue 24 at a million articles: a search with filters either checks each match against its
article or lists the articles passing one filter once (``archive.queries.search_plan``). Every
plan gives what the straightforward query gives, page by page and in total, and the plan chosen
is the cheaper one for the words and filters asked."""

from __future__ import annotations

import random
import sqlite3

import pytest

from archive import queries
from archive.db import open_archive
from archive.fulltext import register_search_functions
from archive.store import store_article
from crawler.extraction import Article

SITES = {"alpha": "en", "beta": "en", "gamma": "de", "delta": "ja"}
WORDS = {"en": ["river", "council", "budget", "harbour", "storm"], "de": ["fluss", "rat", "haushalt", "sturm"],
         "ja": ["東京", "会社", "地震"]}
TAGS = ["Politics", "Weather", "Sport", "Economy"]


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    """240 stories of four sites in three languages, sections, tags and dates, stored as a crawl stores them."""
    path = tmp_path_factory.mktemp("plans") / "archive.db"
    db = open_archive(path)
    rng = random.Random(24)
    for number in range(240):
        site = rng.choice(list(SITES))
        language = SITES[site]
        words = [rng.choice(WORDS[language]) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.3:
            words.append("common")  # a word of every language's sites
        tags = tuple(sorted({rng.choice(TAGS) for _ in range(rng.randint(1, 2))}))
        store_article(db, Article(
            url=f"https://{site}.example/{number}.html", title=f"Story {number} {words[0]}",
            text=f"{' '.join(words)} in story {number}.\nMore about {words[-1]}.", language=language,
            published_at=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00+00:00",
            tags=tags, categories=tags[:1]), site=site, section=rng.choice(["world", "local", "business"]))
    db.close()
    return path


@pytest.fixture
def conn(archive_path):
    connection = sqlite3.connect(archive_path)
    register_search_functions(connection)
    yield connection
    connection.close()


def straightforward(conn: sqlite3.Connection, text: str, filters: queries.Filters) -> list[int]:
    """Every article matching ``text`` and passing ``filters``, the latest archived first, the plain way."""
    conditions = " and ".join(["1", *filters.clauses()])
    return [row[0] for row in conn.execute(
        f"select a.id from articles a where a.id in (select rowid from articles_fts where articles_fts match"
        f" words_query(:q) union select rowid from articles_bigrams where articles_bigrams match bigram_query(:q))"
        f" and {conditions} order by a.id desc", {**filters.params(), "q": text})]


FILTERS = [queries.Filters(site="alpha"), queries.Filters(site="gamma"), queries.Filters(tag="weather"),
           queries.Filters(tag="Sport", site="beta"), queries.Filters(section="local", language="en"),
           queries.Filters(language="de", since="2024-03-01", until="2024-09-01"),
           queries.Filters(since="2024-06-01"), queries.Filters(tag="Politics", since="2024-02-01", until="2024-11-01"),
           queries.Filters(site="delta", tag="Economy")]


def plans(filters: queries.Filters) -> list[str | None]:
    return [None, *filters.lists()]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
@pytest.mark.parametrize("text", ["common", "river", "fluss", "会社", "council budget", "nothing"])
def test_every_plan_finds_what_the_straightforward_query_finds(conn, monkeypatch, filters, text):
    expected = straightforward(conn, text, filters)
    for plan in plans(filters):
        monkeypatch.setattr(queries, "search_plan", lambda *args, plan=plan, **kwargs: plan)
        pages = [queries.find_articles(conn, text, filters, limit=7, offset=offset) for offset in range(0, 70, 7)]
        assert [hit.id for page in pages for hit in page] == expected, plan
        assert queries.count_articles(conn, text, filters) == len(expected), plan
        by_relevance = queries.find_articles(conn, text, filters, sort="relevance", limit=100)
        assert sorted(hit.id for hit in by_relevance) == sorted(expected), plan


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_the_chosen_plan_finds_the_same(conn, monkeypatch, filters):
    monkeypatch.setattr(queries, "SAMPLE", 5)  # small enough for this archive's matches to be sampled
    for text in ("common", "river", "fluss", "会社"):
        hits = queries.find_articles(conn, text, filters, limit=100)
        assert [hit.id for hit in hits] == straightforward(conn, text, filters)


def test_a_word_no_article_of_the_filter_holds_lists_the_filter(conn, monkeypatch):
    """A German word in an English site: walking its matches would check every one of them."""
    monkeypatch.setattr(queries, "SAMPLE", 5)
    assert queries.search_plan(conn, "fluss", queries.Filters(site="alpha"), 20) == "site"
    assert queries.search_plan(conn, "fluss", queries.Filters(language="en", tag="Sport"), 20) in ("language", "tag")


def test_a_word_most_matches_of_which_pass_walks_the_matches(conn, monkeypatch):
    """The page is found among the first matches: listing the site's articles would cost more."""
    monkeypatch.setattr(queries, "SAMPLE", 5)
    monkeypatch.setattr(queries, "LIST_COST", 100)  # lists this small are cheap: weigh them as a large one
    assert queries.search_plan(conn, "fluss", queries.Filters(language="de"), 5) is None
    # counting needs every match: the list is cheaper than checking each
    assert queries.search_plan(conn, "fluss", queries.Filters(language="de"), float("inf")) == "language"


def test_few_matches_are_checked_one_by_one(conn, monkeypatch):
    monkeypatch.setattr(queries, "SAMPLE", 20)  # fewer than the site's articles, more than the word's matches
    filters = queries.Filters(site="alpha", since="2024-01-01")
    assert len(straightforward(conn, "story", filters)) > 20 and len(straightforward(conn, "7", queries.Filters())) < 20
    assert queries.search_plan(conn, "7", filters, 20) is None
    assert queries.search_plan(conn, "7", filters, float("inf")) is None


def test_a_small_filter_is_listed_without_sampling(conn):
    tiny = queries.Filters(site="delta", since="2024-12-20")
    assert queries.search_plan(conn, "common", tiny, 20) == "site"


def test_a_tag_is_checked_by_its_key_not_listed(conn):
    """Checking a match against a tag looks the pair up; it does not list the tag's articles."""
    [check] = queries.Filters(tag="Weather").checks()
    plan = " ".join(row[3] for row in conn.execute(
        f"explain query plan select 1 from articles a where a.id = 5 and {check}", {"tag": "Weather"}))
    assert "LIST SUBQUERY" not in plan and "SEARCH t USING PRIMARY KEY (tag=? AND article_id=?)" in plan


@pytest.mark.parametrize("site", ["", "alpha", "gamma"])
@pytest.mark.parametrize("dates", [("", ""), ("2024-06-01", ""), ("", "2024-04-01"), ("2024-03-01", "2024-09-01")])
@pytest.mark.parametrize("text", ["common", "fluss", "会社"])
def test_the_canned_search_query_finds_what_the_straightforward_query_finds(conn, site, dates, text):
    """Datasette's canned "search": its site, since and until may each be empty."""
    since, until = dates
    sql = queries.search_sql(queries.canned_kept_sql())
    rows = conn.execute(sql, {"q": text, "site": site, "since": since, "until": until, "sort": "newest",
                              "limit": 100, "offset": "", "candidates": "", "mark_open": "[", "mark_close": "]"})
    expected = straightforward(conn, text, queries.Filters(site=site or None, since=since or None, until=until or None))
    assert [row[0] for row in rows] == expected


def test_the_canned_search_query_lists_a_site_once(conn):
    sql = queries.search_sql(queries.canned_kept_sql())
    params = dict.fromkeys(("q", "site", "since", "until", "sort", "limit", "offset", "candidates", "mark_open",
                            "mark_close"), "")
    plan = " ".join(row[3] for row in conn.execute(f"explain query plan {sql}", params))
    assert "LIST SUBQUERY" in plan and "idx_articles_site_published_at" in plan


def test_a_search_weighs_its_plan_once_for_its_page_and_its_total(conn, monkeypatch):
    """Review: the page and its total each read the lists' sizes and the sample of matches again."""
    measured = []
    measure = queries.measure_plan
    monkeypatch.setattr(queries, "measure_plan", lambda *args: measured.append(args) or measure(*args))
    monkeypatch.setattr(queries, "SAMPLE", 5)
    filters = queries.Filters(language="en", tag="Sport")
    planner = queries.Planner(conn, "common", filters)
    hits = queries.find_articles(conn, "common", filters, limit=3, planner=planner)
    total = queries.count_articles(conn, "common", filters, planner=planner)
    assert len(measured) == 1
    assert [h.id for h in hits] == straightforward(conn, "common", filters)[:3]
    assert total == len(straightforward(conn, "common", filters))
    queries.search(conn, "common", site="alpha", limit=1)  # search() shares one too
    assert len(measured) == 2
