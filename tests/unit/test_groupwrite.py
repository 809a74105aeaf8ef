"""The archive's writer thread: writes waiting together share a commit, each whole or not at all."""

from __future__ import annotations

import threading
from functools import partial

import pytest

from archive.db import open_archive
from archive.groupwrite import GroupWriter
from archive.store import store_article, transaction
from crawler.extraction import Article, Capture


def article(n: int) -> Article:
    return Article(url=f"https://news.example/{n}.html", title=f"Story {n}", text=f"Text of story {n}. " * 20)


def capture(n: int) -> Capture:
    return Capture(url=f"https://news.example/{n}.html", body=f"<html>{n}</html>".encode(),
                   fetched_at="2024-06-01T00:00:00+00:00")


def broken_write(db, n: int) -> None:
    """A write that fails half-way: its first row is in, then it raises."""
    with transaction(db) as conn:
        conn.execute("INSERT INTO crawl_runs (site, started_at) VALUES (?, ?)", (f"half-{n}", "2024"))
        raise ValueError("disk says no")


def test_writes_waiting_together_share_one_commit_and_a_failing_one_leaves_nothing(tmp_path):
    writer = GroupWriter(partial(open_archive, tmp_path / "a.db"))
    gate = threading.Event()
    try:
        held = writer.call(lambda db: gate.wait(10))  # the thread is busy: what follows waits, together
        futures = [writer.write(store_article, article(n), site="demo", capture=capture(n)) for n in range(5)]
        failing = writer.write(broken_write, 99)
        futures += [writer.write(store_article, article(n), site="demo", capture=capture(n)) for n in range(5, 8)]
        gate.set()
        held.result(10)
        outcomes = [future.result(10).outcome.value for future in futures]
        with pytest.raises(ValueError, match="disk says no"):
            failing.result(10)
        assert writer.commits == 1  # one transaction for the nine writes
    finally:
        writer.close()
    assert outcomes == ["new"] * 8
    db = open_archive(tmp_path / "a.db")
    assert db["articles"].count == 8 and db["captures"].count == 8
    assert db.execute("SELECT count(*) FROM crawl_runs WHERE site = 'half-99'").fetchone()[0] == 0


def test_a_commit_that_fails_answers_every_write_of_its_group_with_the_error(tmp_path):
    writer = GroupWriter(partial(open_archive, tmp_path / "a.db"))
    gate = threading.Event()
    try:
        held = writer.call(lambda db: gate.wait(10))
        first = writer.write(store_article, article(1), site="demo", capture=capture(1))
        # a deferred foreign key that does not hold fails the COMMIT itself, not the statement
        bad = writer.write(lambda db: db.execute("PRAGMA defer_foreign_keys = ON") and db.execute(
            "INSERT INTO captures (url, site, crawl_run_id, fetched_at, status, digest, size, compressed_body)"
            " VALUES ('u', 's', 12345, 't', 200, 'd', 1, x'00')"))
        gate.set()
        held.result(10)
        for future in (first, bad):
            with pytest.raises(Exception, match="FOREIGN KEY"):
                future.result(10)
        later = writer.write(store_article, article(2), site="demo", capture=capture(2)).result(10)
    finally:
        writer.close()
    assert later.outcome.value == "new"  # the failed group was rolled back, not left open
    assert [row["url"] for row in open_archive(tmp_path / "a.db")["articles"].rows] == [article(2).url]


def test_an_archive_that_cannot_be_opened_answers_every_write(tmp_path):
    writer = GroupWriter(partial(open_archive, tmp_path / "no-such-folder" / "a.db"))
    future = writer.write(store_article, article(1), site="demo")
    writer.close()
    with pytest.raises(Exception, match="does not exist"):
        future.result(10)


def test_a_capture_dictionary_due_inside_a_group_is_trained_once_the_group_is_committed(tmp_path):
    # Training writes in a transaction of its own: started inside the group's, it rolled the whole
    # group back and left the writer thread dead (a crawl that hung after the site's 64th capture).
    from archive.captures import DICTIONARY_SAMPLES, capture_body

    writer = GroupWriter(partial(open_archive, tmp_path / "a.db"))
    gate = threading.Event()
    count = DICTIONARY_SAMPLES + 6
    try:
        held = writer.call(lambda db: gate.wait(10))
        futures = [writer.write(store_article, article(n), site="demo", capture=capture(n)) for n in range(count)]
        gate.set()
        held.result(10)
        assert [future.result(10).outcome.value for future in futures] == ["new"] * count
        later = writer.write(store_article, article(count), site="demo", capture=capture(count)).result(10)
    finally:
        writer.close()
    db = open_archive(tmp_path / "a.db")
    assert db["capture_dictionaries"].count == 1
    assert db["articles"].count == count + 1
    row = db["captures"].get(later.capture_id)
    assert row["dictionary_id"] is not None  # captures after the training use it
    assert all(capture_body(db, stored.capture_id) == capture(n).body
               for n, stored in enumerate([f.result() for f in futures]))


def test_a_capture_dictionary_that_cannot_be_trained_leaves_the_writer_writing(tmp_path, monkeypatch):
    from archive.captures import DICTIONARY_SAMPLES, CaptureEncoder

    tried = []

    def broken(self, site, **kwargs):
        tried.append(site)
        raise OSError("disk says no")

    monkeypatch.setattr(CaptureEncoder, "train", broken)
    writer = GroupWriter(partial(open_archive, tmp_path / "a.db"))
    count = DICTIONARY_SAMPLES + 2  # a dictionary falls due in the group: training fails after its commit
    try:
        futures = [writer.write(store_article, article(n), site="demo", capture=capture(n)) for n in range(count)]
        assert [future.result(10).outcome.value for future in futures] == ["new"] * count
        later = writer.write(store_article, article(count), site="demo", capture=capture(count)).result(10)
    finally:
        writer.close()
    assert later.outcome.value == "new"
    assert open_archive(tmp_path / "a.db")["capture_dictionaries"].count == 0
    assert tried == ["demo"]  # not tried again after every commit: once it has twice the captures


def test_a_writer_thread_that_stops_fails_every_write_waiting_on_it(tmp_path):
    writer = GroupWriter(partial(open_archive, tmp_path / "a.db"))
    gate = threading.Event()
    held = writer.call(lambda db: gate.wait(10))

    def broken(group):
        raise RuntimeError("the thread's own bug")

    writer._commit = broken  # fails outside any one write: the thread stops
    taken = writer.write(store_article, article(1), site="demo", capture=capture(1))
    waiting = writer.write(store_article, article(2), site="demo", capture=capture(2))
    gate.set()
    held.result(10)
    writer.thread.join(10)
    for future in (taken, waiting):
        with pytest.raises(RuntimeError, match="own bug"):
            future.result(10)
    with pytest.raises(RuntimeError, match="own bug"):  # and a write given after it stopped
        writer.write(store_article, article(3), site="demo", capture=capture(3)).result(10)


def test_a_call_between_writes_runs_after_their_commit_and_close_finishes_what_waits(tmp_path):
    """The order the jobs were given in: writes waiting are committed together, a call given
    after them sees them committed and runs alone, the writes after it share the next commit;
    ``close`` comes after every job given before it."""
    writer = GroupWriter(partial(open_archive, tmp_path / "a.db"))
    gate = threading.Event()
    held = writer.call(lambda db: gate.wait(10))
    before = [writer.write(store_article, article(n), site="demo", capture=capture(n)) for n in range(3)]
    seen = writer.call(lambda db: (db.conn.in_transaction, db["articles"].count))
    after = [writer.write(store_article, article(n), site="demo", capture=capture(n)) for n in range(3, 5)]
    gate.set()
    writer.close()
    assert held.result(0) and seen.result(0) == (False, 3)
    assert [future.result(0).outcome.value for future in before + after] == ["new"] * 5
    assert writer.commits == 2 and open_archive(tmp_path / "a.db")["articles"].count == 5


def test_a_group_holds_at_most_max_group_writes(tmp_path):
    writer = GroupWriter(partial(open_archive, tmp_path / "a.db"), max_group=2)
    gate = threading.Event()
    held = writer.call(lambda db: gate.wait(10))
    futures = [writer.write(store_article, article(n), site="demo", capture=capture(n)) for n in range(5)]
    gate.set()
    writer.close()
    assert held.result(0) and [future.result(0).outcome.value for future in futures] == ["new"] * 5
    assert writer.commits == 3  # 2 + 2 + 1
