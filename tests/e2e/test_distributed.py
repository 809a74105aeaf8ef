"""Scale-out with scrapy-redis: workers and a writer as separate processes over a real Redis.

Every process is a real ``newsarchive`` command; the sample site counts each request it serves, so
"no URL fetched twice" is checked on the wire.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

from archive.db import open_archive
from archive.frontier import Frontier, Keys, connect
from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import run, tool

SITE = DemoSite(articles=120)
# Fetched more than once by design: robots.txt (each worker's own RobotsTxtMiddleware reads it) and
# the trap pages that answer with a 500 or time out, which Scrapy retries.
RETRIED = {"/robots.txt", "/2024/02/slow-story.html", *SITE.retried_paths}
TTL = "3"  # seconds: a killed worker's work goes back to the queue this soon


class Cluster:
    def __init__(self, tmp_path: Path, server: DemoServer, redis_url: str) -> None:
        self.tmp_path = tmp_path
        self.db = tmp_path / "archive.db"
        self.common = ["--sites-dir", str(write_site_file(tmp_path / "sites", server.base_url).parent),
                       "--redis", redis_url]
        self.frontier = Frontier(connect(redis_url), Keys())
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        # Output goes to files, not pipes: a pipe nobody reads fills up and freezes the process.
        log = self.tmp_path / f"{args[0]}-{len(self.processes)}"
        with log.with_suffix(".out").open("w") as out, log.with_suffix(".log").open("w") as err:
            process = subprocess.Popen([tool("newsarchive"), *args, *self.common], stdout=out, stderr=err)
        process.log = log
        self.processes.append(process)
        return process

    def worker(self, idle_exit: str = "4") -> subprocess.Popen:
        return self.start("crawl", "--worker", "--idle-exit", idle_exit, "--set", f"ARCHIVE_WORKER_TTL={TTL}", "-v",
                          "--db", str(self.tmp_path / "no-archive-here.db"))

    def writer(self) -> subprocess.Popen:
        return self.start("writer", "--until-drained", "--db", str(self.db))

    def seed(self, *settings: str) -> str:
        result = run(tool("newsarchive"), "crawl", "--distributed", "demo", "--db", str(self.db), *self.common,
                     *[arg for setting in settings for arg in ("--set", setting)])
        assert result.returncode == 0, result.stderr
        return result.stdout

    def wait_for(self, condition, what: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            assert all(p.poll() in (None, 0) for p in self.processes), self.outputs()
            time.sleep(0.1)

    def finish(self, process: subprocess.Popen, seconds: float = 240) -> str:
        process.wait(timeout=seconds)
        assert process.returncode == 0, process.log.with_suffix(".log").read_text()[-3000:]
        return process.log.with_suffix(".out").read_text()

    def outputs(self) -> str:
        return "\n".join(f"{p.args}: rc={p.poll()}" for p in self.processes)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def archived(db_path: Path, base_url: str) -> list[str]:
    db = open_archive(db_path)
    try:
        return [row["url"].removeprefix(base_url.rstrip("/")) for row in db["articles"].rows]
    finally:
        db.close()


def test_two_workers_and_a_writer_archive_every_article_once(tmp_path, redis_url):
    with DemoServer(SITE, slow_seconds=0.1) as server:
        cluster = Cluster(tmp_path, server, redis_url)
        try:
            workers = [cluster.worker(), cluster.worker()]
            cluster.wait_for(lambda: len(cluster.frontier.live_workers()) == 2, "two workers to join")
            assert "start requests queued for demo" in cluster.seed()
            writer = cluster.writer()
            summaries = [cluster.finish(w) for w in workers]
            written = cluster.finish(writer)
        finally:
            cluster.stop_all()
        requests = dict(server.requests)
    paths = archived(cluster.db, server.base_url)
    assert sorted(paths) == sorted(story.path for story in SITE.stories)  # all, and each once
    db = open_archive(cluster.db)
    # Nobody fetched an article twice; a page extraction rejected (the slow trap page, short when it
    # arrives in time) reached the writer and was kept once, with its capture (issue 28).
    kept = db["rejected_pages"].count
    assert db["captures"].count == len(SITE.stories) + kept
    runs = list(db["crawl_runs"].rows)
    assert [(r["site"], r["outcome"], r["articles_new"]) for r in runs] == [("demo", "finished", len(SITE.stories))]
    fetched_twice = {target for target, count in requests.items() if count > 1}
    assert fetched_twice <= RETRIED, fetched_twice
    pages = [int(re.search(r": (\d+) pages", s).group(1)) for s in summaries]
    assert all(p > 0 for p in pages), summaries  # both workers did part of the work
    assert sum(pages) >= len(SITE.stories)
    assert runs[0]["pages"] == sum(pages)  # the workers' pages (fronts too), not only the articles stored
    assert f"stored {len(SITE.stories)} articles" in written and f"kept {kept} rejected pages" in written


def test_killed_worker_loses_nothing_and_duplicates_nothing(tmp_path, redis_url):
    with DemoServer(SITE, slow_seconds=0.1) as server:
        cluster = Cluster(tmp_path, server, redis_url)
        try:
            doomed = cluster.worker(idle_exit="0")
            cluster.wait_for(lambda: len(cluster.frontier.live_workers()) == 1, "the first worker to join")
            cluster.seed()

            def busy() -> bool:
                workers = cluster.frontier.live_workers()
                return bool(workers) and next(iter(workers.values()))["popped"] >= 10

            cluster.wait_for(busy, "the first worker to be into the crawl")
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
            cluster.processes.remove(doomed)
            # The writer starts only now: what the archive holds cannot depend on how far the doomed
            # worker got before its heartbeat showed it busy (a fast crawl had finished by then).
            assert len(archived(cluster.db, server.base_url)) < len(SITE.stories)  # killed mid-crawl
            writer = cluster.writer()
            successor = cluster.worker()
            cluster.finish(successor)
            cluster.finish(writer)
        finally:
            cluster.stop_all()
    paths = archived(cluster.db, server.base_url)
    assert sorted(paths) == sorted(story.path for story in SITE.stories)
    db = open_archive(cluster.db)
    versions = db.execute("SELECT COUNT(*), COUNT(DISTINCT article_id) FROM article_versions").fetchone()
    assert versions == (len(SITE.stories), len(SITE.stories))  # no article stored twice
    assert cluster.frontier.drained() and not cluster.frontier.live_workers()


def test_status_shows_the_frontier_and_a_worker_needs_redis(tmp_path, redis_url):
    with DemoServer(SITE, slow_seconds=0.1) as server:
        cluster = Cluster(tmp_path, server, redis_url)
        cluster.seed()
        result = run(tool("newsarchive"), "status", "--json", "--db", str(tmp_path / "a.db"), *cluster.common)
        assert result.returncode == 0, result.stderr
        frontier = json.loads(result.stdout)["frontier"]
        assert frontier["queued"] > 0 and frontier["workers"] == [] and frontier["writer"] is None
        text = run(tool("newsarchive"), "status", "--db", str(tmp_path / "a.db"), *cluster.common).stdout
        assert f"{frontier['queued']} requests queued" in text and "writer not running" in text
    no_redis = run(tool("newsarchive"), "crawl", "--worker", "--sites-dir", str(tmp_path / "sites"))
    assert no_redis.returncode == 2 and "--redis" in no_redis.stderr
    unreachable = run(tool("newsarchive"), "writer", "--redis", "redis://127.0.0.1:1/0", "--db",
                      str(tmp_path / "a.db"))
    assert unreachable.returncode == 1 and "cannot reach Redis" in unreachable.stderr


def test_a_second_writer_on_one_archive_is_refused(tmp_path, redis_url):
    """An adversarial review: two writers on one archive both stored, and one crawl's counts became
    two 'finished' runs (39 pages recorded for 29 fetched)."""
    from archive.cli import WRITER_LOCK
    from archive.schedule import site_lock

    db = tmp_path / "a.db"
    with site_lock(db, WRITER_LOCK):  # as a running writer holds it
        second = run(tool("newsarchive"), "writer", "--redis", redis_url, "--db", str(db), "--until-drained")
    assert second.returncode == 1 and "another writer" in second.stderr, second.stderr
    assert "Traceback" not in second.stderr


def test_worker_without_a_seeded_sites_file_hands_the_work_back_and_says_so(tmp_path, redis_url):
    with DemoServer(SITE, slow_seconds=0.1) as server:
        cluster = Cluster(tmp_path, server, redis_url)
        queued = cluster.frontier.redis.zcard
        cluster.seed()
        before = queued(cluster.frontier.keys.requests)
        other = tmp_path / "other-sites"
        write_site_file(other, server.base_url).rename(other / "elsewhere.toml")
        text = (other / "elsewhere.toml").read_text().replace('name = "demo"', 'name = "elsewhere"')
        (other / "elsewhere.toml").write_text(text)
        result = run(tool("newsarchive"), "crawl", "--worker", "--idle-exit", "2", "--redis", redis_url,
                     "--sites-dir", str(other))
        assert result.returncode == 1
        assert "demo" in result.stderr and "no site file" in result.stderr
        assert queued(cluster.frontier.keys.requests) == before  # nothing taken, nothing lost
        assert cluster.frontier.drained() is False and not cluster.frontier.live_workers()
        assert not [t for t in server.requests if t != "/robots.txt"]  # nothing fetched for a site it lacks


def crawl_once(cluster: Cluster, *settings: str) -> str:
    """One seeding, crawled by one worker and stored by the writer; the seeder's output."""
    worker = cluster.worker()
    cluster.wait_for(lambda: len(cluster.frontier.live_workers()) == 1, "the worker to join")
    seeded = cluster.seed(*settings)
    writer = cluster.writer()
    cluster.finish(worker)
    cluster.finish(writer)
    return seeded


def test_a_distributed_recrawl_rechecks_what_is_due_and_versions_edits(tmp_path, redis_url):
    site = DemoSite(articles=40)
    with DemoServer(site, slow_seconds=0.1) as server:
        cluster = Cluster(tmp_path, server, redis_url)
        try:
            first = crawl_once(cluster)
            assert "0 articles due for a re-check" in first  # no archive yet
            server.requests.clear()
            quiet = crawl_once(cluster)  # right away, default back-off: nothing is due
            quiet_requests = dict(server.requests)
            server.requests.clear()
            second = server.next_edition()
            recheck = crawl_once(cluster, "ARCHIVE_RECHECK=always")
            requests = dict(server.requests)
        finally:
            cluster.stop_all()
    known = {story.path for story in site.stories}
    assert "0 articles due for a re-check" in quiet
    assert not [path for path in known if quiet_requests.get(path)]  # no known article fetched again
    assert f"{len(known)} articles due for a re-check" in recheck
    db = open_archive(cluster.db)
    base = server.base_url.rstrip("/")
    versions = {row["url"].removeprefix(base): row["version"] for row in db["articles"].rows}
    new = {a.path for a in second.stories} - known
    assert new and new <= set(versions)
    assert second.corrected_paths
    for path, version in versions.items():
        assert version == (2 if path in second.corrected_paths else 1), path
    unchanged = known - second.corrected_paths - second.touched_up_paths - site.retried_paths - second.retried_paths
    assert not {path: requests[path] for path in unchanged if requests.get(path, 0) > 1}  # one 304 at most
    first_run, quiet_run, last = db["crawl_runs"].rows_where(order_by="id")  # one run per seeding, quiet or not
    assert first_run["articles_new"] == len(known) and first_run["errors"] > 0  # the site's trap pages
    assert quiet_run["outcome"] == "finished" and quiet_run["pages"] > 0  # fronts were read
    assert (quiet_run["articles_new"], quiet_run["articles_changed"], quiet_run["errors"]) == (0, 0, 0)
    assert last["started_at"] == cluster.frontier.last_seeded("demo")  # a run starts at its seeding
    assert first_run["started_at"] < quiet_run["started_at"] < last["started_at"] <= last["finished_at"]
    assert last["articles_changed"] == len(second.corrected_paths)
    assert last["articles_new"] == len(new)
    assert all(requests.get(path) for path in unchanged)  # each one asked again, and answered 304
    assert last["articles_not_modified"] >= len(unchanged)
