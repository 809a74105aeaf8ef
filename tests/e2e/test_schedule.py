"""Scheduled archiving against the sample site, with short intervals."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from archive.db import open_archive
from archive.schedule import lock_holder
from crawler.demo_site import DemoServer, DemoSite
from tests.conftest import demo_config_file
from tests.e2e.test_commands import run, tool
from tests.e2e.test_serve import free_port


def site_file(sites, name: str, base_url: str, every: str) -> None:
    text = demo_config_file().read_text().replace('name = "demo"', f'name = "{name}"')
    text = text.replace('base_url = "http://127.0.0.1:8765/"', f'base_url = "{base_url}"')
    text = text.replace('every = "1h"', f'every = "{every}"')
    (sites / f"{name}.toml").write_text(text)


@pytest.fixture
def server():
    with DemoServer(DemoSite(articles=20), slow_seconds=0.1) as demo:
        yield demo


def runs(db) -> dict[str, list[str]]:
    outcomes: dict[str, list[str]] = {}
    for row in open_archive(db)["crawl_runs"].rows_where(order_by="id"):
        outcomes.setdefault(row["site"], []).append(row["outcome"])
    return outcomes


def wait_until(condition, timeout: float, alive: subprocess.Popen) -> bool:
    """Whether ``condition`` came true before ``timeout`` seconds (False at once if ``alive`` exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive.poll() is None:
        if condition():
            return True
        time.sleep(0.2)  # how often to look, not how long to wait
    return False


def test_sites_keep_their_own_rhythm_and_a_failing_one_does_not_stop_the_other(server, tmp_path):
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    sites.mkdir()
    site_file(sites, "alpha", server.base_url, "4s")
    # Nothing listens for beta: its crawls fail, after retries (about 8 s), every 10 s.
    site_file(sites, "beta", f"http://127.0.0.1:{free_port()}/", "10s")
    scheduler = subprocess.Popen([tool("newsarchive"), "schedule", "--db", str(db), "--sites-dir", str(sites)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def in_rhythm() -> bool:  # alpha's third run started after beta's first ended, beta's second began
        outcomes = runs(db) if db.exists() else {}
        alpha, beta = outcomes.get("alpha", []), outcomes.get("beta", [])
        return len(alpha) >= 3 and len(beta) >= 2 and beta[0] != "running" and len(alpha) > len(beta)

    # On the archive's state, not on wall time: a busy machine only makes this take longer (issue 23, item 23)
    reached = wait_until(in_rhythm, timeout=180, alive=scheduler)
    scheduler.send_signal(signal.SIGTERM)
    _, err = scheduler.communicate(timeout=90)
    assert reached, f"the runs never reached the sites' rhythm: {runs(db)}"
    assert scheduler.returncode == 0, err[-2000:]
    outcomes = runs(db)
    assert len(outcomes["alpha"]) >= 3 and set(outcomes["alpha"]) <= {"finished", "interrupted"}
    assert outcomes["alpha"][0] == "finished"
    assert 2 <= len(outcomes["beta"]) < len(outcomes["alpha"])
    assert set(outcomes["beta"]) <= {"failed", "interrupted"} and outcomes["beta"][0] == "failed"
    assert lock_holder(db, "alpha") is None and lock_holder(db, "beta") is None
    assert open_archive(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_schedule_once_started_twice_crawls_each_site_once(server, tmp_path):
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    sites.mkdir()
    site_file(sites, "alpha", server.base_url, "1h")
    run(tool("newsarchive"), "stats", "--db", str(db))  # nothing yet; create nothing either
    command = [tool("newsarchive"), "schedule", "--once", "--db", str(db), "--sites-dir", str(sites)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outputs = [first.communicate(timeout=120)[0], second.communicate(timeout=120)[0]]
    assert runs(db) == {"alpha": ["finished"]}
    assert sum("being crawled by another process" in o for o in outputs) == 1, outputs
    again = run(tool("newsarchive"), "schedule", "--once", "--db", str(db), "--sites-dir", str(sites))
    assert "No site is due." in again.stdout and runs(db) == {"alpha": ["finished"]}


def test_a_crawl_killed_mid_run_is_marked_and_releases_its_lock(tmp_path):
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    sites.mkdir()
    with DemoServer(DemoSite(articles=800), slow_seconds=0.1) as big:
        site_file(sites, "alpha", big.base_url, "1h")
        crawl = subprocess.Popen([tool("newsarchive"), "crawl", "alpha", "--db", str(db), "--sites-dir", str(sites)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.3)
            if db.exists() and open_archive(db)["articles"].count >= 30:
                break
        assert lock_holder(db, "alpha") == crawl.pid
        crawl.kill()
        crawl.wait(timeout=30)
    assert lock_holder(db, "alpha") is None
    status = run(tool("newsarchive"), "status", "--db", str(db), "--sites-dir", str(sites))
    assert status.returncode == 0 and "interrupted" in status.stdout
    archive = open_archive(db)
    assert runs(db) == {"alpha": ["interrupted"]}
    assert archive.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    versioned = archive.execute("select count(distinct article_id) from article_versions").fetchone()[0]
    assert archive["articles"].count == versioned  # no article without its version: whole units only


def test_a_crawl_over_its_time_limit_is_stopped_and_recorded(tmp_path):
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    sites.mkdir()
    with DemoServer(DemoSite(articles=3000), slow_seconds=0.1) as big:
        site_file(sites, "alpha", big.base_url, "1h")
        result = run(tool("newsarchive"), "schedule", "--once", "--max-runtime", "5s", "--db", str(db),
                     "--sites-dir", str(sites))
    assert result.returncode == 1
    rows = list(open_archive(db)["crawl_runs"].rows)
    assert [r["outcome"] for r in rows] == ["timeout"] and "ran over" in rows[0]["error"]
    assert rows[0]["pages"] > 0  # what the crawl did before it was stopped is kept
    assert lock_holder(db, "alpha") is None
    assert open_archive(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_distributed_schedule_seeds_each_due_site_for_the_workers(server, tmp_path, redis_url):
    sites, db = tmp_path / "sites", tmp_path / "archive.db"
    sites.mkdir()
    site_file(sites, "alpha", server.base_url, "1h")
    common = ["--db", str(db), "--sites-dir", str(sites), "--redis", redis_url]
    first = run(tool("newsarchive"), "schedule", "--once", "--distributed", *common)
    assert first.returncode == 0, first.stderr
    assert "Seeded run 1: " in first.stdout and "queued for alpha" in first.stdout
    again = run(tool("newsarchive"), "schedule", "--once", "--distributed", *common)
    assert again.returncode == 0 and "No site is due." in again.stdout  # seeded an hour's interval ago
    assert not [target for target in server.requests if target != "/robots.txt"]  # the scheduler fetched nothing
    worker = run(tool("newsarchive"), "crawl", "--worker", "--idle-exit", "2", "--redis", redis_url,
                 "--sites-dir", str(sites))
    assert worker.returncode == 0, worker.stderr[-2000:]
    writer = run(tool("newsarchive"), "writer", "--until-drained", *common)
    assert writer.returncode == 0, writer.stderr[-2000:]
    assert open_archive(db)["articles"].count == len(server.site.stories)
    no_redis = run(tool("newsarchive"), "schedule", "--once", "--distributed", "--db", str(db),
                   "--sites-dir", str(sites))
    assert no_redis.returncode == 2 and "--redis" in no_redis.stderr
