"""Site-level boilerplate: lines that recur across a site's archived articles are learned, kept,
and dropped by later extractions (crawls and reextract)."""

from __future__ import annotations

from click.testing import CliRunner

from archive.boilerplate import learn_boilerplate, learned_lines
from archive.cli import cli
from archive.db import open_archive
from archive.store import store_article
from crawler.extraction import Capture, extract
from crawler.extraction.boilerplate import recurring_lines
from crawler.sites import ExtractionRules

PITCH = "Support our journalism: become a member today and read without limits"
WORDS = ("council", "harbour", "railway", "budget", "school", "clinic", "market", "bridge", "festival", "court")


def _story(number: int) -> str:
    """A different story each time: its words come from ``number``."""
    topic = f"{WORDS[number % 10]} {WORDS[(number // 10) % 10]}"
    sentence = f"The {topic} plan number {number} was debated by residents and officials for many hours."
    return " ".join([sentence] * 8)


def _page(number: int, pitch: bool) -> bytes:
    extra = f"<p>{PITCH}</p>" if pitch else ""
    return (f"<html><head><title>Story {number}</title><meta property='og:type' content='article'>"
            f"<meta property='article:published_time' content='2024-06-{1 + number % 28:02d}T09:00:00Z'></head>"
            f"<body><article><h1>Story {number} about the {WORDS[number % 10]}</h1><p>{_story(number)}</p>"
            f"<p>{_story(number + 1000)}</p>{extra}</article></body></html>").encode()


def _archive(tmp_path, stories: int = 24, with_pitch: int = 12):
    db = open_archive(tmp_path / "archive.db")
    for number in range(stories):
        url = f"https://daily.example/2024/06/story-number-{number}-about-things"
        html = _page(number, pitch=number < with_pitch)
        store_article(db, extract(html, url), site="daily", capture=Capture(url=url, body=html))
    return db


def test_recurring_lines_need_a_share_of_enough_articles():
    texts = [f"Story {n}\nA line every article has\n" + ("Sometimes here\n" if n % 5 == 0 else "") for n in range(25)]
    assert recurring_lines(texts) == {"a line every article has": 25}  # 5 of 25 is under 30%
    assert recurring_lines(texts[:10]) == {}  # ten articles say nothing about a site
    long_line = " ".join(["word"] * 30)
    assert recurring_lines([f"{long_line}\nStory {n}" for n in range(25)]) == {}  # a paragraph, not furniture
    assert recurring_lines([f"re: the council\nStory {n}" for n in range(25)]) == {}  # never read as a regex


def test_rules_gain_learned_lines_once():
    rules = ExtractionRules(drop_lines=("share this",))
    assert rules.with_drop_lines(("share this", "a pitch")).drop_lines == ("share this", "a pitch")
    assert rules.with_drop_lines(()) is rules


def test_learned_lines_are_kept_once_the_texts_lose_them(tmp_path):
    db = _archive(tmp_path)
    assert learn_boilerplate(db, "daily", save=False) == (PITCH.casefold(),)
    assert learned_lines(db, "daily") == ()  # save=False: nothing written
    assert learn_boilerplate(db, "daily") == (PITCH.casefold(),)
    db.execute("update articles set text = replace(text, ?, '')", [PITCH])  # as after a reextract
    db.conn.commit()
    assert learn_boilerplate(db, "daily") == (PITCH.casefold(),)  # not forgotten
    row = db.execute("select articles, sample from boilerplate_lines").fetchone()
    assert row == (12, 24)


def test_reextract_drops_learned_lines_and_is_stable(tmp_path):
    db = _archive(tmp_path)
    before = db.execute("select count(*) from articles where text like ?", [f"%{PITCH}%"]).fetchone()[0]
    assert before == 12
    db_path = str(tmp_path / "archive.db")
    result = CliRunner().invoke(cli, ["reextract", "--db", db_path, "--sites-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "12 changed" in result.output
    assert db.execute("select count(*) from articles where text like ?", [f"%{PITCH}%"]).fetchone()[0] == 0
    again = CliRunner().invoke(cli, ["reextract", "--db", db_path, "--sites-dir", str(tmp_path)])
    assert "0 changed" in again.output, again.output  # learned lines stay learned: no flip-flop


def test_reextract_without_learning_leaves_the_texts(tmp_path):
    db = _archive(tmp_path)
    result = CliRunner().invoke(cli, ["reextract", "--db", str(tmp_path / "archive.db"), "--sites-dir",
                                      str(tmp_path), "--no-learn"])
    assert result.exit_code == 0, result.output
    assert db.execute("select count(*) from articles where text like ?", [f"%{PITCH}%"]).fetchone()[0] == 12
    assert learned_lines(db, "daily") == ()


def test_a_crawl_drops_the_lines_learned_from_its_archive(tmp_path):
    from scrapy.utils.test import get_crawler

    from crawler.sites import SiteConfig
    from crawler.spiders.news import NewsSpider

    _archive(tmp_path)
    site = SiteConfig(name="daily", base_url="https://daily.example/")
    settings = {"ARCHIVE_DB": str(tmp_path / "archive.db"), "ARCHIVE_LEARN_BOILERPLATE": True}
    spider = NewsSpider.from_crawler(get_crawler(NewsSpider, settings), sites=[site])
    assert PITCH.casefold() in spider.sites["daily"].extraction.drop_lines
    assert spider.known.count("daily") == 24  # the archive's articles are known, as before
    settings["ARCHIVE_LEARN_BOILERPLATE"] = False
    plain = NewsSpider.from_crawler(get_crawler(NewsSpider, settings), sites=[site])
    assert plain.sites["daily"].extraction.drop_lines == ()


def test_a_distributed_seeding_hands_the_archive_to_every_worker(tmp_path, redis_url):
    from scrapy.utils.test import get_crawler

    from archive.frontier import Frontier, Keys, connect
    from crawler.distributed import DistributedNewsSpider, distributed_settings, seed
    from crawler.sites import SiteConfig

    _archive(tmp_path)
    site = SiteConfig(name="daily", base_url="https://daily.example/")
    seeded = seed([site], redis_url, db_path=str(tmp_path / "archive.db"))
    frontier = Frontier(connect(redis_url), Keys())
    assert seeded.learned == 1 and frontier.learned_lines() == {"daily": (PITCH.casefold(),)}
    # each archived article is either known for good or due for a re-check in this seeding
    held = frontier.redis.scard(frontier.keys.seen) + frontier.redis.hlen(frontier.keys.run_due(seeded.run))
    assert held == 24 and frontier.redis.hlen(frontier.keys.run_due(seeded.run)) == seeded.due

    # a worker has no archive of its own: it takes the lines from Redis, and follows later seedings
    crawler = get_crawler(DistributedNewsSpider, distributed_settings(redis_url))
    worker = DistributedNewsSpider.from_crawler(crawler, sites=[site])
    assert PITCH.casefold() in worker.sites["daily"].extraction.drop_lines
    assert not worker.known
    frontier.publish_archive("2", fetched=[], due={}, learned={"daily": ()})
    worker.use_learned(frontier.learned_lines())
    assert worker.sites["daily"].extraction.drop_lines == ()
