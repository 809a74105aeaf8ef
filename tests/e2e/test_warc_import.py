"""``newsarchive import`` as a real process (issue 27): killed with SIGKILL at several points and
started again, every record is imported once; two importers hand pages to one ``newsarchive
writer`` over a real Redis, and every article lands once."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from archive.db import open_archive
from archive.frontier import Frontier, Keys, connect
from archive.warcimport import import_archives
from crawler.demo_site import DemoSite, DemoSiteApp
from tests.e2e.test_commands import run, tool
from tests.warcs import CCNewsWarc

PAGES = 150


def demo_warc(path: Path, stories: slice, host: str = "https://news.example") -> Path:
    site = DemoSite(articles=PAGES)
    app = DemoSiteApp(site, base_url=host + "/")
    with CCNewsWarc(path) as warc:
        for index, story in enumerate(site.stories[stories]):
            reply = app.respond(story.path, 2)
            warc.fetch(host + story.path, reply.body, f"2024-06-01T{index // 60:02d}:{index % 60:02d}:00Z",
                       content_type=reply.content_type)
    return path


def archived(db_path: Path) -> dict[str, list]:
    db = open_archive(db_path)
    try:
        return {
            "articles": sorted(db.execute("select url, content_hash, version from articles").fetchall()),
            "rejected": sorted(db.execute("select url, reason from rejected_pages").fetchall()),
            "captures": sorted(db.execute("select url, fetched_at, digest from captures").fetchall()),
            "versions": sorted(db.execute("select article_id, version from article_versions").fetchall()),
        }
    finally:
        db.close()


def count(db_path: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db_path, timeout=30) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return -1


def wait_until(condition, process: subprocess.Popen | None = None, seconds: float = 120) -> bool:
    """Wait for ``condition``; False if ``process`` ended first."""
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
    return True


def test_an_import_killed_at_any_moment_and_started_again_imports_every_record_once(tmp_path):
    warc = demo_warc(tmp_path / "news.warc.gz", slice(0, PAGES))
    import_archives([warc], db_path=tmp_path / "reference.db", jobs=0)
    expected = archived(tmp_path / "reference.db")
    assert len(expected["articles"]) > 100
    db = tmp_path / "archive.db"
    command = [tool("newsarchive"), "import", str(warc), "--db", str(db), "--sites-dir", str(tmp_path)]
    # Killed before anything is stored, after the first page, a third and two thirds of the way in;
    # once with an extraction worker process, whose death with its parent loses nothing either.
    points = [("run started", "select count(*) from crawl_runs", 1, "0"),
              ("first page", "select count(*) from captures", 1, "0"),
              ("a third", "select count(*) from captures", len(expected["captures"]) // 3, "1"),
              ("two thirds", "select count(*) from captures", 2 * len(expected["captures"]) // 3, "0")]
    killed = []
    for name, sql, wanted, jobs in points:
        process = subprocess.Popen([*command, "--jobs", jobs], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait_until(lambda sql=sql, wanted=wanted: count(db, sql) >= wanted, process):
            process.send_signal(signal.SIGKILL)
            killed.append(name)
        process.wait(timeout=60)
    assert len(killed) >= 3, killed  # the import outran the test at most once
    last = run(*command, "--jobs", "0")
    assert last.returncode == 0, last.stderr
    assert archived(db) == expected
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from import_files where finished_at is not null").fetchone() == (1,)
        outcomes = [row[0] for row in conn.execute("select outcome from crawl_runs order by id")]
    assert outcomes[-1] == "finished" and set(outcomes[:-1]) <= {"interrupted"}


def test_two_importers_and_a_writer_through_redis_store_every_article_once(tmp_path, redis_url):
    first = demo_warc(tmp_path / "first.warc.gz", slice(0, 30), "https://world.example")
    second = demo_warc(tmp_path / "second.warc.gz", slice(30, 60), "https://city.example")
    both = demo_warc(tmp_path / "both.warc.gz", slice(60, 80), "https://blog.example")  # given to each importer
    import_archives([first, second, both], db_path=tmp_path / "reference.db", jobs=0)
    expected = archived(tmp_path / "reference.db")
    db = tmp_path / "archive.db"
    common = ["--redis", redis_url, "--sites-dir", str(tmp_path)]
    logs = []

    def start(*args: str) -> subprocess.Popen:
        log = (tmp_path / f"process-{len(logs)}.log").open("w")
        logs.append(log)
        return subprocess.Popen([tool("newsarchive"), *args, *common], stdout=log, stderr=subprocess.STDOUT)

    writer = start("writer", "--db", str(db))
    importers = [start("import", str(first), str(both), "--jobs", "1", "--db", str(tmp_path / "unused.db")),
                 start("import", str(both), str(second), "--jobs", "0", "--db", str(tmp_path / "unused.db"))]
    try:
        for number, importer in enumerate(importers, 1):
            assert importer.wait(timeout=240) == 0, (tmp_path / f"process-{number}.log").read_text()
        frontier = Frontier(connect(redis_url), Keys())
        assert wait_until(lambda: frontier.status()["items_waiting"] == 0
                          and count(db, "select count(*) from captures") >= len(expected["captures"]), writer), \
            (tmp_path / "process-0.log").read_text()  # the writer ended before it had written them
        writer.send_signal(signal.SIGTERM)
        assert writer.wait(timeout=60) == 0, (tmp_path / "process-0.log").read_text()
    finally:
        for process in (writer, *importers):
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    result = archived(db)
    assert result["articles"] == expected["articles"] and result["rejected"] == expected["rejected"]
    assert result["captures"] == expected["captures"]  # the file both importers read: each page once
    assert not (tmp_path / "unused.db").exists()  # with --redis the importer writes no archive of its own
    assert "already archived" in (tmp_path / "process-0.log").read_text()
