"""The shared frontier's guarantees, against a real Redis: nothing popped is lost, nothing stored twice."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from scrapy import Request

from archive.captures import capture_body
from archive.db import open_archive
from archive.frontier import ArchiveWriter, Frontier, Keys, connect, decode_item, encode_item
from crawler.distributed import RUN, FrontierDupeFilter, FrontierScheduler
from crawler.extraction import Article, Capture, Rejection

ARTICLE = Article(url="https://news.example/2024/06/story.html", title="A story", text="First line.\nSecond line.",
                  authors=("Ann Author", "Bo Writer"), tags=("Politics",), published_at="2024-06-01T10:00:00+00:00")


def capture(body: bytes = b"<html>story</html>", fetched_at: str = "2024-06-02T00:00:00+00:00") -> Capture:
    return Capture(url=ARTICLE.url, body=body, headers={"Content-Type": "text/html"}, fetched_at=fetched_at)


@pytest.fixture
def frontier(redis_url):
    client = connect(redis_url)
    yield Frontier(client, Keys("t"), heartbeat_ttl=0.5)
    client.close()


def queue(frontier: Frontier, *members: tuple[bytes, int]) -> None:
    for data, score in members:
        frontier.redis.zadd(frontier.keys.requests, {data: score})


def test_pop_holds_a_request_until_acknowledged(frontier):
    queue(frontier, (b"later", 0), (b"urgent", -10))
    frontier.register("w1", {"pid": 1})
    token, data = frontier.pop("w1")
    assert data == b"urgent"  # most urgent first, as scrapy-redis orders them
    assert frontier.redis.hgetall(frontier.keys.inflight("w1")) == {token.encode(): b"urgent"}
    assert not frontier.drained()
    frontier.ack("w1", token)
    assert frontier.redis.hlen(frontier.keys.inflight("w1")) == 0
    assert frontier.pop("w1")[1] == b"later"
    assert frontier.pop("w1") is None


def test_work_of_a_vanished_worker_returns_to_the_queue_with_its_priority(frontier):
    queue(frontier, (b"a", -5), (b"b", 0))
    frontier.register("dead", {})
    frontier.pop("dead")
    frontier.pop("dead")
    survivor = Frontier(frontier.redis, frontier.keys, heartbeat_ttl=60)
    survivor.register("alive", {})
    queue(frontier, (b"c", 1))
    survivor.pop("alive")
    assert frontier.recover_orphans() == 0  # the dead worker's heartbeat has not expired yet
    time.sleep(0.7)
    assert frontier.recover_orphans() == 2
    assert frontier.redis.zrange(frontier.keys.requests, 0, -1, withscores=True) == [(b"a", -5.0), (b"b", 0.0)]
    assert set(frontier.live_workers()) == {"alive"}
    assert frontier.redis.hlen(frontier.keys.inflight("alive")) == 1  # a live worker keeps its work


def test_retire_hands_back_unfinished_work(frontier):
    queue(frontier, (b"a", 0))
    frontier.register("w", {})
    frontier.pop("w")
    assert frontier.retire("w") == 1
    assert frontier.redis.zcard(frontier.keys.requests) == 1 and frontier.live_workers() == {}


def test_drained_only_when_nothing_is_queued_in_flight_or_waiting(frontier):
    assert frontier.drained()
    queue(frontier, (b"a", 0))
    assert not frontier.drained()
    frontier.register("w", {})
    token, _ = frontier.pop("w")
    assert not frontier.drained()  # in flight
    frontier.hand_off("w", token, b"item")  # the article handed on and the request released together
    assert frontier.redis.hlen(frontier.keys.inflight("w")) == 0
    assert not frontier.drained()  # waiting for the writer
    frontier.redis.delete(frontier.keys.items)
    assert frontier.drained()


def test_item_round_trip_keeps_article_and_capture():
    item = decode_item(encode_item(site="demo", section="world", run="3", article=ARTICLE, capture=capture(),
                                   worker="w"))
    assert item.article == ARTICLE and item.capture == capture()
    assert (item.site, item.section, item.run, item.worker) == ("demo", "world", "3", "w")
    assert item.capture.body_digest == capture().digest  # hashed by the worker: the writer does not hash again


def test_an_item_handed_off_gzipped_by_an_earlier_worker_is_still_read():
    """Before captures were zstd (issue 26, item 3) a worker handed the body off gzipped: such an
    item, still in Redis when the writer is upgraded, is not lost."""
    import base64
    import gzip
    import json

    payload = json.loads(encode_item(site="demo", section="world", run="3", article=ARTICLE, capture=capture(),
                                     worker="w"))
    del payload["capture"]["body_zstd"]
    payload["capture"]["body_gzip"] = base64.b64encode(gzip.compress(capture().body)).decode("ascii")
    assert decode_item(json.dumps(payload).encode()).capture == capture()


def test_a_rejected_page_travels_with_why_and_its_capture():
    rejection = Rejection("listing", "score -2.2", -2.15)
    item = decode_item(encode_item(site="demo", section="world", run="3", article=None, capture=capture(),
                                   worker="w", rejection=rejection))
    assert (item.article, item.rejection, item.capture) == (None, rejection, capture())
    assert decode_item(encode_item(site="demo", section=None, run="3", article=ARTICLE, capture=capture(),
                                   worker="w")).rejection is None


def test_the_writer_keeps_rejected_pages_once_and_counts_them_as_skipped(frontier, tmp_path):
    """Issue 28: in distributed mode too, a page extraction rejected reaches the archive."""
    tag = "https://news.example/tag/economy/"
    page = Capture(url=tag + "?utm_source=rss", body=b"<html>tags</html>", fetched_at="2024-06-02T00:00:00+00:00")
    payload = encode_item(site="demo", section="world", run="1", article=None, capture=page, worker="w",
                          rejection=Rejection("listing", "score -2.2", -2.15))
    frontier.redis.lpush(frontier.keys.items, payload, payload)  # handed off twice: stored once
    writer = ArchiveWriter(str(tmp_path / "a.db"), frontier)
    result = writer.run(until_drained=True, poll=0.1)
    writer.close()
    assert (result.stored, result.rejected, result.replayed) == (0, 1, 1)
    db = open_archive(tmp_path / "a.db")
    row = next(db["rejected_pages"].rows)
    assert (row["url"], row["site"], row["section"], row["reason"], row["score"]) == (tag, "demo", "world",
                                                                                       "listing", -2.15)
    assert capture_body(db, row["capture_id"]) == b"<html>tags</html>"
    run = next(db["crawl_runs"].rows)
    assert (run["id"], run["articles_new"], run["skipped"]) == (row["run_id"], 0, 1)


def test_the_handoff_pipeline_hands_a_rejected_page_on_and_drops_it(frontier, redis_url):
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from crawler.distributed import HandoffPipeline
    from crawler.items import ArticlePage
    from crawler.spiders.news import NewsSpider

    crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_REDIS_URL": redis_url, "ARCHIVE_WORKER_ID": "w1",
                                                     "ARCHIVE_REDIS_PREFIX": frontier.keys.prefix})
    pipeline = HandoffPipeline.from_crawler(crawler)
    queue(frontier, (b"request", 0))
    frontier.register("w1", {})
    token, _ = frontier.pop("w1")
    item = ArticlePage(url="https://news.example/tag/economy/", site="demo", body=b"<html>tags</html>",
                       fetched_at="2024-06-02T00:00:00+00:00", rejection=Rejection("listing", "score -2.2", -2.15),
                       frontier_token=token)
    with pytest.raises(DropItem, match="not an article"):  # no article item: feeds and counters as before
        pipeline.process_item(item)
    handed = decode_item(frontier.redis.lpop(frontier.keys.items))
    assert handed.rejection == Rejection("listing", "score -2.2", -2.15)
    assert handed.capture.body == b"<html>tags</html>" and handed.article is None
    assert frontier.redis.hlen(frontier.keys.inflight("w1")) == 0  # released with the hand-off
    assert crawler.stats.get_value("archive/demo/rejected_handed_off") == 1


def test_writer_stores_once_recovers_its_own_leftover_and_survives_bad_items(frontier, tmp_path):
    payload = encode_item(site="demo", section=None, run="1", article=ARTICLE, capture=capture(), worker="w")
    changed = Article(**{**ARTICLE.__dict__, "text": "First line.\nA corrected second line."})
    newer = encode_item(site="demo", section=None, run="1", article=changed,
                        capture=capture(b"<html>v2</html>", "2024-06-03T00:00:00+00:00"), worker="w")
    frontier.redis.lpush(frontier.keys.items_writing, payload)  # a writer died while storing this
    frontier.redis.lpush(frontier.keys.items, payload, b"{not json", newer)  # a replay, junk, an update
    writer = ArchiveWriter(str(tmp_path / "a.db"), frontier)
    result = writer.run(until_drained=True, poll=0.1)
    writer.close()
    assert (result.stored, result.replayed, result.bad) == (2, 1, 1)
    assert result.outcomes == {"new": 1, "changed": 1}
    db = open_archive(tmp_path / "a.db")
    assert db["captures"].count == 2 and db["article_versions"].count == 2
    row = next(db["articles"].rows)
    assert row["version"] == 2 and "corrected" in row["text"] and row["site"] == "demo"
    run = next(db["crawl_runs"].rows)
    assert (run["outcome"], run["articles_new"], run["articles_changed"]) == ("finished", 1, 1)
    assert frontier.redis.llen(frontier.keys.items_writing) == 0


def test_articles_are_seen_for_good_by_canonical_url_and_fronts_once_per_seeding(frontier):
    seen = FrontierDupeFilter(frontier.redis, frontier.keys.seen, keys=frontier.keys)
    article = Request("https://news.example/2024/06/story.html", meta={"article": True, RUN: "1"})
    variant = Request("https://www.news.example/2024/06/story.html?utm_source=x", meta={"article": True, RUN: "2"})
    assert not seen.request_seen(article)
    assert seen.request_seen(variant)  # the same story, in a later seeding too
    front = Request("https://news.example/section/world/", meta={RUN: "1"})
    assert not seen.request_seen(front)
    assert seen.request_seen(Request(front.url, meta={RUN: "1"}))
    assert not seen.request_seen(Request(front.url, meta={RUN: "2"}))  # read again in the next seeding


def test_runs_take_the_workers_counts_and_a_seeding_that_stored_nothing_gets_a_run(frontier, tmp_path):
    writer = ArchiveWriter(str(tmp_path / "archive.db"), frontier)
    frontier.push_site_stats({"news/live/pages": 5, "news/live/skipped/offsite": 2, "news/dead/errors": 3,
                              "news/dead/errors/timeout": 3, "news/errors/unknown_site/x": 1})
    frontier.push_site_stats({"news/live/pages": 1})  # pushes add up
    writer.finish_runs("finished", worker_stats=frontier.take_site_stats())
    rows = {row["site"]: row for row in writer.db["crawl_runs"].rows}
    assert set(rows) == {"dead", "live"}  # "errors" in "news/errors/..." is no site
    assert (rows["live"]["outcome"], rows["live"]["pages"], rows["live"]["skipped"]) == ("finished", 6, 2)
    assert (rows["dead"]["outcome"], rows["dead"]["errors"], rows["dead"]["error"]) == \
        ("failed", 3, "no page could be fetched")
    assert frontier.take_site_stats() == {}  # taken once


def test_a_site_a_worker_stopped_at_a_bot_wall_gets_a_blocked_run(frontier, tmp_path):
    writer = ArchiveWriter(str(tmp_path / "archive.db"), frontier)
    frontier.push_site_stats({"news/walled/stopped_at_bot_wall": 1, "news/walled/skipped/bot_challenge": 5,
                              "news/walled/skipped/behind_bot_wall": 30, "news/open/pages": 4})
    frontier.push_site_stats({"news/walled/stopped_at_bot_wall": 1, "news/walled/skipped/bot_challenge": 6})  # another
    writer.finish_runs("finished", worker_stats=frontier.take_site_stats())
    rows = {row["site"]: row for row in writer.db["crawl_runs"].rows}
    assert (rows["walled"]["outcome"], rows["walled"]["skipped"]) == ("blocked", 41)
    assert rows["walled"]["error"] == "stopped at a bot wall: 11 challenge(s) answered, 30 request(s) left unsent"
    assert (rows["open"]["outcome"], rows["open"]["error"]) == ("finished", None)


def test_run_counts_wait_for_every_live_worker_to_push_after_the_drain(frontier):
    epoch = frontier.next_drain_epoch()
    frontier.register("w1", {"pushed_epoch": epoch - 1})
    assert not frontier.counters_complete(epoch)
    frontier.beat("w1", {"pushed_epoch": epoch})
    assert frontier.counters_complete(epoch)


def test_a_worker_waiting_on_another_is_not_idle():
    """Regression: a worker's idle time ran while another worker was busy, so a worker that joined
    before a slow seeding left, with nothing done, the moment the other paused between requests."""
    busy = [True]
    scheduler = FrontierScheduler.__new__(FrontierScheduler)
    scheduler.queue = type("EmptyQueue", (), {"unknown_sites": set(), "__len__": lambda self: 0})()
    scheduler.frontier = SimpleNamespace(heartbeat_ttl=30.0, recover_orphans=lambda: 0,
                                         busy_elsewhere=lambda worker_id: busy[0], ever_seeded=lambda: True)
    scheduler.worker_id, scheduler.idle_exit, scheduler.last_recovery = "w2", 4.0, time.monotonic()
    scheduler.idle_since, scheduler.quiet_since = time.monotonic() - 60, None  # found the queue empty long ago
    assert scheduler.has_pending_requests()  # the other worker holds work
    busy[0] = False
    assert scheduler.has_pending_requests()  # it paused just now: not yet 4 idle seconds
    scheduler.idle_since = scheduler.quiet_since = time.monotonic() - 5
    assert not scheduler.has_pending_requests()  # no one has held work for 5 s: leave


def test_a_worker_that_joined_before_the_first_seeding_waits_for_it():
    """Regression: two workers joined, the seeding took longer than their idle limit to start (a
    busy machine), and one left with nothing done."""
    seeded = [False]
    scheduler = FrontierScheduler.__new__(FrontierScheduler)
    scheduler.queue = type("EmptyQueue", (), {"unknown_sites": set(), "__len__": lambda self: 0})()
    scheduler.frontier = SimpleNamespace(heartbeat_ttl=30.0, recover_orphans=lambda: 0,
                                         busy_elsewhere=lambda worker_id: False, ever_seeded=lambda: seeded[0])
    scheduler.worker_id, scheduler.idle_exit, scheduler.last_recovery = "w2", 4.0, time.monotonic()
    scheduler.idle_since, scheduler.quiet_since = time.monotonic() - 60, None  # joined long ago
    assert scheduler.has_pending_requests()  # nobody has seeded this frontier yet: keep waiting
    seeded[0] = True
    assert scheduler.has_pending_requests()  # the seeding has just begun: not yet 4 idle seconds
    scheduler.idle_since = scheduler.quiet_since = time.monotonic() - 5
    assert not scheduler.has_pending_requests()


def test_one_quiet_look_long_after_the_last_work_does_not_end_a_worker():
    """Regression (CI): the engine asks every ~5 s; a worker idle since before the seeding looked
    once, in an instant when the other worker held nothing, and left with 0 pages."""
    scheduler = FrontierScheduler.__new__(FrontierScheduler)
    scheduler.queue = type("EmptyQueue", (), {"unknown_sites": set(), "__len__": lambda self: 0})()
    scheduler.frontier = SimpleNamespace(heartbeat_ttl=30.0, recover_orphans=lambda: 0,
                                         busy_elsewhere=lambda worker_id: False, ever_seeded=lambda: True)
    scheduler.worker_id, scheduler.idle_exit, scheduler.last_recovery = "w2", 4.0, time.monotonic()
    scheduler.idle_since, scheduler.quiet_since = time.monotonic() - 60, None
    assert scheduler.has_pending_requests()  # the first quiet look starts the clock
    scheduler.quiet_since = time.monotonic() - 5
    assert not scheduler.has_pending_requests()  # quiet since the first look, 5 s ago: leave


def test_a_worker_that_lost_redis_waits_quietly_then_stops_at_its_idle_limit(caplog):
    """An adversarial review: with Redis gone, a worker logged a traceback every ~5 s and never
    stopped, --idle-exit or not. It says it once, waits for Redis as long as its idle limit, then
    asks to stop ("redis_lost": a failed run, exit 1); a standing worker (no limit) keeps waiting."""
    from redis import ConnectionError as RedisConnectionError
    from scrapy.exceptions import CloseSpider

    class GoneQueue:
        unknown_sites = frozenset()

        def __len__(self):
            raise RedisConnectionError("Connection refused")

        def pop(self):
            raise RedisConnectionError("Connection refused")

    scheduler = FrontierScheduler.__new__(FrontierScheduler)
    scheduler.queue = GoneQueue()
    scheduler.frontier = SimpleNamespace(heartbeat_ttl=30.0, recover_orphans=lambda: 0)
    scheduler.worker_id, scheduler.idle_exit, scheduler.last_recovery = "w2", 4.0, time.monotonic()
    scheduler.idle_since = scheduler.quiet_since = None
    with caplog.at_level("ERROR"):
        assert scheduler.next_request() is None and scheduler.has_pending_requests()
        assert scheduler.has_pending_requests()
    assert [r.message for r in caplog.records].count("lost Redis (Connection refused): waiting for it to come "
                                                     "back; stopping after 4s without it (--idle-exit)") == 1
    scheduler._stop_if_asked()  # not yet: nothing raised
    scheduler.redis_lost_since -= 5
    assert not scheduler.has_pending_requests() and scheduler.stop_reason == "redis_lost"
    with pytest.raises(CloseSpider) as closing:
        scheduler._stop_if_asked()
    assert closing.value.reason == "redis_lost"
    standing = FrontierScheduler.__new__(FrontierScheduler)
    standing.queue, standing.frontier, standing.idle_exit = GoneQueue(), scheduler.frontier, 0.0
    standing.worker_id, standing.last_recovery, standing.idle_since, standing.quiet_since = "w3", 0.0, None, None
    assert standing.has_pending_requests()
    standing.redis_lost_since -= 3600
    assert standing.has_pending_requests() and standing.stop_reason is None


def test_a_frontier_knows_whether_it_was_ever_seeded(frontier):
    assert not frontier.ever_seeded()
    frontier.new_run()
    assert frontier.ever_seeded()


def test_a_worker_hands_its_articles_to_the_writer_and_stores_none_itself(tmp_path):
    from crawler.distributed import distributed_settings
    from crawler.runner import crawler_settings

    settings = crawler_settings(tmp_path / "a.db", distributed_settings("redis://127.0.0.1:9/0"))
    pipelines = {name for name, order in settings.getdict("ITEM_PIPELINES").items() if order is not None}
    assert pipelines == {"crawler.pipelines.ExtractionPipeline", "crawler.distributed.HandoffPipeline"}


def test_status_tells_a_killed_process_of_this_machine_from_a_live_one(redis_url, capsys):
    """Third review (session 18): a writer killed by SIGKILL showed as alive until its heartbeat
    expired (30 s). A process of this machine is checked; one elsewhere is taken as its heartbeat says."""
    import json
    import os
    import subprocess
    import sys

    from archive.cli import _print_statuses
    from archive.frontier import process_place

    client = connect(redis_url)
    frontier = Frontier(client, Keys(f"status-{os.getpid()}"), heartbeat_ttl=3600)  # no beat expires meanwhile
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    place = process_place()
    here = place["host"]
    worker = {"popped": 0, "started_at": "2026-12-07T00:00:00+00:00"}
    frontier.register("live", {**worker, **place})
    frontier.register("killed", {**worker, **place, "pid": ended.pid})
    frontier.register("elsewhere", {**worker, **place, "host": here + "-other", "pid": ended.pid})
    # a container on this host's network: the host's name, pids of its own (a review)
    frontier.register("container", {**worker, **place, "pids": -1, "pid": ended.pid})
    frontier.register("unsaid", {**worker, "host": here})  # a heartbeat that does not say its pid
    frontier.redis.set(frontier.keys.writer, json.dumps({**place, "pid": ended.pid, "stored": 7, "at": "x"}))
    status = frontier.status()
    gone = {w["id"]: w["gone"] for w in status["workers"]}
    assert gone == {"live": False, "killed": True, "elsewhere": False, "container": False, "unsaid": False}
    assert status["writer"]["gone"] is True
    _print_statuses([], status, "test")
    said = capsys.readouterr().out
    assert "4 worker(s) active" in said and f"writer gone (pid {ended.pid} no longer runs on {here}" in said
    assert "worker killed:" in said and "gone: no longer runs" in said.split("worker killed:")[1].splitlines()[0]
    client.delete(*client.keys(f"status-{os.getpid()}:*"))
    client.close()
