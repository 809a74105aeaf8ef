"""``newsarchive search`` on a larger archive: how many match, how to see more, and a time limit
(issue 23, items 3 and 19)."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from click.testing import CliRunner

from archive import queries
from archive.cli import cli
from archive.db import open_archive
from archive.queries import SearchTooSlow, search
from archive.store import store_article
from tests.unit.test_store import ARTICLE

WORDS = ("pact port tariff reform minister court ruling protest monsoon harbour budget council election "
         "statement weeks officials proposed rejected continued televised independent according").split()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    """29 articles that mention the pact and 100 that do not, each of 300 words."""
    path = tmp_path_factory.mktemp("search") / "archive.db"
    db = open_archive(path)
    rng = random.Random(23)
    for n in range(129):
        text = " ".join(rng.choice(WORDS[1:]) for _ in range(300)) + (" pact" if n < 29 else "")
        store_article(db, dataclasses.replace(ARTICLE, url=f"https://news.example/2024/06/story-{n}.html",
                                              title=f"Story {n}", text=text), site="demo")
    db.close()
    return str(path)


def test_search_says_how_many_match_and_how_to_see_them_all(db_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["search", "pact", "--db", db_path])
    assert result.exit_code == 0, result.output
    assert result.output.count("https://news.example/") == 20
    assert result.output.rstrip().endswith("20 of 29 matching articles shown; --limit 29 shows them all.")
    everything = runner.invoke(cli, ["search", "pact", "--db", db_path, "--limit", "29"])
    assert everything.output.count("https://news.example/") == 29 and "matching articles shown" not in everything.output


def test_search_as_json_keeps_stdout_for_hits(db_path):
    result = CliRunner().invoke(cli, ["search", "pact", "--db", db_path, "--json"])
    assert result.exit_code == 0
    assert len([json.loads(line) for line in result.stdout.splitlines()]) == 20
    assert "20 of 29 matching articles shown" in result.stderr


def test_beyond_the_best_hundred_the_search_is_to_be_narrowed(db_path):
    result = CliRunner().invoke(cli, ["search", "monsoon", "--db", db_path, "--limit", "100"])
    assert result.exit_code == 0
    assert "100 of 129 matching articles shown; no more than the newest 100 are shown" in result.output
    assert search(open_archive(db_path, create=False), "monsoon").matches == 129


class _SlowClock:
    """The search's clock, a second on at each look: past any time limit at its first check."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now


def test_a_search_over_its_time_limit_is_stopped_with_a_clear_message(db_path, monkeypatch):
    # 990 words, each in nearly every article: seconds of work unbounded (search takes only the
    # first 32, issue 24). The clock, not the machine's speed, makes it run over its 1 ms.
    monkeypatch.setattr(queries, "time", _SlowClock())
    query = " ".join(WORDS * 45)
    with pytest.raises(SearchTooSlow, match="time limit"):
        search(open_archive(db_path, create=False), query, time_limit_ms=1)
    result = CliRunner().invoke(cli, ["search", query, "--db", db_path, "--time-limit", "0.001"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the search ran over its time limit (0.001 s) and was stopped: "
                                    "32 word(s) to look up (the first of 990)")
    assert "--time-limit" in result.output and len(result.output) < 300  # the query is not echoed back
