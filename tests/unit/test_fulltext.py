"""Full-text search finds words of scripts written without spaces (issue 28, item 3): a Japanese,
Chinese or Thai word of two characters or more, one character, an English word, or a mix, through
``newsarchive search``, the search function and Datasette's "search" query; ``articles_bigrams``
follows every write of an article and is filled for archives made before it existed."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette

from archive.cli import cli
from archive.db import (
    MIGRATIONS,
    SCHEMA_VERSION,
    _v5_bigram_search,
    _v12_index_only_changed_text,
    migrate,
    open_archive,
    schema_version,
)
from archive.queries import search
from archive.serve import PLUGINS_DIR, datasette_metadata
from archive.store import store_article
from crawler.extraction import Article

JAPANESE = Article(
    url="https://news.example/ja/2024/06/bousai.html", title="東京都と大阪府、南海トラフに備え防災協定",
    text="東京都と大阪府は6日、南海トラフ地震に備えた防災協定を結んだ。\n"
         "NHKによると、両知事は都庁で会見し、物資の融通や職員の派遣で協力すると述べた。", language="ja")
CHINESE = Article(
    url="https://news.example/zh/2024/06/beijing.html", title="北京市发布高温预警",
    text="北京市气象台今天发布高温橙色预警，提醒市民注意防暑。", language="zh")
THAI = Article(
    url="https://news.example/th/2024/06/bangkok.html", title="กรุงเทพมหานครเตรียมรับมือน้ำท่วม",
    text="กรุงเทพมหานครเตรียมเครื่องสูบน้ำกว่าสองร้อยเครื่องก่อนฤดูฝน", language="th")
ENGLISH = Article(
    url="https://news.example/en/2024/06/pact.html", title="Tokyo and Osaka sign a disaster pact",
    text="The governors of Tokyo and Osaka signed a disaster pact on Thursday.\n"
         "NHK said the prefectures would share supplies and staff.", language="en")
ALL = (JAPANESE, CHINESE, THAI, ENGLISH)


@pytest.fixture
def stored(archive):
    for article in ALL:
        store_article(archive, article, site="news", section="world")
    return archive


def titles(db: sqlite_utils.Database, query: str) -> list[str]:
    return [hit.title for hit in search(db, query)]


@pytest.mark.parametrize(("query", "found"), [
    ("東京", [JAPANESE]),  # two characters: too short for a trigram index
    ("大阪府", [JAPANESE]),
    ("防災協定", [JAPANESE]),
    ("会見", [JAPANESE]),  # in the text, not the title
    ("ﾄﾗﾌ", [JAPANESE]),  # half-width katakana asks for トラフ
    ("都", [JAPANESE]),  # one character
    ("北京", [CHINESE]),
    ("高温预警", [CHINESE]),
    ("กรุงเทพ", [THAI]),
    ("NHK", [JAPANESE, ENGLISH]),  # in the Japanese text as "NHKによると": one token for unicode61
    ("東京 NHK", [JAPANESE]),  # a mix: every word must match
    ("NHKによると 会見", [JAPANESE]),
])
def test_search_finds_a_word_of_any_script(stored, query, found):
    assert sorted(titles(stored, query)) == sorted(article.title for article in found)


def test_every_word_must_occur_as_written(stored):
    assert titles(stored, "大阪府") == [JAPANESE.title]
    assert titles(stored, "阪府南") == []  # its pieces occur, never in a row
    assert titles(stored, "大阪府 pact") == []  # each in another story


def test_a_japanese_hit_shows_its_words_in_a_snippet(stored):
    [hit] = search(stored, "会見 NHK")
    assert "[NHK]によると、両知事は都庁で[会見]し" in hit.snippet
    assert hit.snippet.startswith(" … ")  # the title has neither word: the text's snippet, cut before


def test_more_mentions_rank_first(stored):
    def story(name: str, text: str) -> Article:
        return Article(url=f"https://news.example/ja/{name}.html", title=f"防災訓練 {name}", text=text)

    store_article(stored, story("once", "大阪府で防災訓練があり、東京からも職員が参加した。"), site="news")
    store_article(stored, story("thrice", "東京で防災訓練があり、東京の職員が東京湾岸に集まった。"), site="news")
    for name in ("a", "b", "c"):  # stories without the word, as in any real archive
        store_article(stored, story(name, "大阪府で防災訓練があり、府の職員が集まった。"), site="news")
    ranked = titles(stored, "東京")  # by bm25, as English hits are: the other story is longer
    assert set(ranked) == {"防災訓練 thrice", "防災訓練 once", JAPANESE.title}
    assert ranked.index("防災訓練 thrice") < ranked.index("防災訓練 once")
    assert titles(stored, "東京 防災訓練") == ["防災訓練 thrice", "防災訓練 once"]


def test_english_only_archive_costs_nothing_and_searches_as_before(archive):
    store_article(archive, ENGLISH, site="news")
    store_article(archive, dataclasses.replace(ENGLISH, url="https://news.example/en/2.html", title="Pact signed",
                                               text="A pact, another pact and a third pact."), site="news")
    assert archive.execute("select count(*) from articles_bigrams").fetchone()[0] == 0
    before = archive.execute(
        "select articles.title, snippet(articles_fts, -1, '[', ']', ' … ', 16) from articles_fts"
        " join articles on articles.rowid = articles_fts.rowid where articles_fts match '\"pact\"' order by rank"
    ).fetchall()
    assert [(hit.title, hit.snippet) for hit in search(archive, "pact")] == before


def test_index_follows_a_new_version_and_a_deletion(stored):
    moved = dataclasses.replace(JAPANESE, text="東京都は6日、京都府と防災協定を結んだ。")
    store_article(stored, moved, site="news")
    assert titles(stored, "京都府") == [JAPANESE.title]
    assert titles(stored, "会見") == []  # gone with the old text, in the same transaction
    stored.execute("delete from article_versions where article_id in (select id from articles where url = ?)",
                   [CHINESE.url])
    stored.execute("delete from articles where url = ?", [CHINESE.url])
    stored.conn.commit()
    assert titles(stored, "北京") == []
    assert stored.execute("select count(*) from articles_bigrams").fetchone()[0] == 2  # Japanese, Thai


def test_an_edit_outside_newsarchive_leaves_no_stale_words(stored):
    assert titles(stored, "会見") == [JAPANESE.title]
    stored.execute("update articles set text = 'Rewritten in English.' where url = ?", [JAPANESE.url])
    stored.conn.commit()
    assert titles(stored, "会見") == []
    assert titles(stored, "rewritten") == [JAPANESE.title]  # articles_fts, kept by its triggers


def _index_writes(db: sqlite_utils.Database) -> tuple[int, int]:
    """The newest segment of each full-text index: FTS5 adds one for each transaction that writes it."""
    return tuple(db.execute(f"select max(id) from {table}_data").fetchone()[0]
                 for table in ("articles_fts", "articles_bigrams"))


def test_an_unchanged_re_fetch_leaves_the_search_indexes_alone(stored):
    # a re-fetch rewrites the same title and text (and last_fetched_at): nothing to index again
    before = _index_writes(stored)
    store_article(stored, JAPANESE, site="news", fetched_at="2030-01-01T00:00:00+00:00")
    assert _index_writes(stored) == before
    described = dataclasses.replace(JAPANESE, description="防災の協定")  # same text, a new description
    store_article(stored, described, site="news", fetched_at="2030-01-02T00:00:00+00:00")
    after = _index_writes(stored)
    assert after[0] > before[0] and after[1] > before[1]
    assert titles(stored, "協定") == [JAPANESE.title]


def test_an_older_archive_gets_the_triggers_that_index_only_changes(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrate(old, to=MIGRATIONS.index(_v12_index_only_changed_text))
    old.close()
    db = open_archive(tmp_path / "old.db")
    triggers = dict(db.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall())
    for name in ("articles_au", "articles_bigrams_au"):
        assert "WHEN old.title IS NOT new.title" in triggers[name]
    store_article(db, ENGLISH, site="news")
    store_article(db, dataclasses.replace(ENGLISH, text="The governors met again on Friday."), site="news")
    assert titles(db, "friday") == [ENGLISH.title] and titles(db, "thursday") == []


def test_the_migration_fills_the_index_of_an_older_archive(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrate(old, to=MIGRATIONS.index(_v5_bigram_search))
    for article in (JAPANESE, ENGLISH):
        old["articles"].insert({"site": "news", "url": article.url, "title": article.title, "text": article.text,
                                "content_hash": article.content_hash, "first_seen_at": "2024-06-06T00:00:00+00:00"})
    old.conn.commit()
    old.close()
    db = open_archive(tmp_path / "old.db")
    assert schema_version(db) == SCHEMA_VERSION
    assert titles(db, "東京") == [JAPANESE.title]
    assert titles(db, "大阪府") == [JAPANESE.title]
    assert sorted(titles(db, "NHK")) == sorted([JAPANESE.title, ENGLISH.title])


def test_cli_search_prints_japanese_hits_as_any_other(stored, tmp_path):
    stored.close()
    db_path = str(tmp_path / "archive.db")
    result = CliRunner().invoke(cli, ["search", "東京", "--db", db_path])
    assert result.exit_code == 0, result.output
    title, url, snippet = result.output.splitlines()
    assert (title.strip(), url.strip()) == (JAPANESE.title, JAPANESE.url)
    assert snippet.strip().startswith("[東京]都と大阪府")
    result = CliRunner().invoke(cli, ["search", "大阪府", "--json", "--db", db_path])
    assert [json.loads(line)["url"] for line in result.output.splitlines()] == [JAPANESE.url]


def test_datasette_search_query_finds_japanese_and_english(stored, tmp_path):
    stored.close()
    path = tmp_path / "archive.db"
    ds = Datasette([str(path)], metadata=datasette_metadata(path), plugins_dir=str(PLUGINS_DIR))

    def found(query: str) -> list[str]:
        response = asyncio.run(ds.client.get("/archive/search.json", params={"_shape": "array", "q": query}))
        assert response.status_code == 200, response.text
        return sorted(row["title"] for row in response.json())

    assert found("東京") == [JAPANESE.title]
    assert found("pact") == [ENGLISH.title]
    assert found("NHK") == sorted([JAPANESE.title, ENGLISH.title])
    assert found("") == []  # the empty form: no rows, no error
