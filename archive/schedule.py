"""Scheduled archiving: each site re-crawled on its ``every`` interval, never twice at once.

Every crawl runs as its own ``newsarchive crawl SITE`` process, so a crash or a hang takes down
that crawl only. A per-site lock (``flock`` on a file beside the archive) keeps a site from being
crawled by two processes at once — the scheduler, a cron job, a person — and the kernel drops it
when its holder dies, however it dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from archive.db import ArchiveError, open_archive, writable
from archive.store import close_abandoned_runs, finish_run, start_run, transaction, utc_now
from crawler.sites import (
    BUILT_IN_SITES,
    SiteConfig,
    SiteConfigError,
    load_site,
    load_site_file,
    no_site_files,
    site_files,
)

logger = logging.getLogger(__name__)
DEFAULT_MAX_RUNTIME = timedelta(hours=1)
GRACE_SECONDS = 30  # after SIGTERM, how long a crawl may take to finish its writes


class SiteLocked(Exception):
    def __init__(self, site: str, pid: int | None) -> None:
        self.site, self.pid = site, pid
        super().__init__(f"{site} is being crawled by another process (pid {pid or 'unknown'})")


def lock_dir(db_path: str | Path) -> Path:
    """Where the archive's crawl locks are: beside the file itself, whatever link or folder link
    named it (two crawls of one site through two names of one archive overlapped)."""
    return Path(f"{Path(db_path).resolve()}.locks")


@contextmanager
def site_lock(db_path: str | Path, site: str) -> Iterator[None]:
    """Hold the crawl lock of ``site`` for this archive, or raise ``SiteLocked`` at once."""
    directory = lock_dir(db_path)
    directory.mkdir(exist_ok=True)
    handle = open(directory / f"{site}.lock", "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read().strip()
            raise SiteLocked(site, int(text) if text.isdigit() else None) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


def lock_holder(db_path: str | Path, site: str) -> int | None:
    """The pid crawling ``site`` now, or None when nobody is. Creates nothing and opens the lock
    file for reading only, so that it works on a read-only archive too."""
    try:
        handle = open(lock_dir(db_path) / f"{site}.lock")
    except FileNotFoundError:
        return None  # never crawled here
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)  # a crawl holds it exclusively
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        return None


@dataclass(frozen=True)
class SiteFiles:
    """The sites whose files load, and an error for each file that does not."""

    sites: list[SiteConfig]
    broken: list[SiteConfigError]


def load_usable_sites(names: tuple[str, ...] | list[str], sites_dir: str | Path,
                      db_path: str | Path | None = None) -> SiteFiles:
    """The named sites (every site file in ``sites_dir`` when none is named, and the built-in sites
    the archive at ``db_path`` has runs of: the demo's, after ``newsarchive demo``), each file on its
    own: one broken file is reported, not a reason to stop the others. No site at all is an error."""
    broken: list[SiteConfigError] = []
    sites: list[SiteConfig] = []
    built_in = [] if names else built_in_sites_of(db_path, sites_dir)
    try:
        targets = names or site_files(sites_dir)
    except SiteConfigError:  # no sites folder: the archive's own site may still be there
        if not built_in:
            raise
        targets = []
    for target in targets:
        try:
            sites.append(load_site(str(target), sites_dir))
        except SiteConfigError as error:
            broken.append(error)
    sites += built_in
    if not names and not sites and not broken:
        raise SiteConfigError(sites_dir, None, no_site_files(sites_dir))
    return SiteFiles(sites, broken)


def built_in_sites_of(db_path: str | Path | None, sites_dir: str | Path) -> list[SiteConfig]:
    """The built-in sites (the sample site's, ``demo``) that the archive at ``db_path`` has runs of
    and ``sites_dir`` has no file of the same name for: after ``newsarchive demo``, the archive's own site."""
    if db_path is None or not Path(db_path).exists():
        return []
    try:
        db = open_archive(db_path, read_only=True)
    except ArchiveError:
        return []
    try:
        names = [row[0] for row in db.execute("select distinct site from crawl_runs order by site").fetchall()]
    finally:
        db.close()
    return [load_site_file(BUILT_IN_SITES / f"{name}.toml") for name in names
            if (BUILT_IN_SITES / f"{name}.toml").exists() and not (Path(sites_dir) / f"{name}.toml").exists()]


def is_built_in(site: SiteConfig) -> bool:
    """Whether ``site`` is the sample site's built-in file, which ``newsarchive demo`` serves itself."""
    return site.path is not None and Path(site.path).parent == BUILT_IN_SITES


@dataclass(frozen=True)
class SiteStatus:
    site: str
    every: timedelta | None  # None: a site with runs in the archive but no site file
    last_started: str | None
    last_outcome: str | None
    last_counts: str
    next_due: datetime | None
    running_pid: int | None


def last_run(db: sqlite_utils.Database, site: str) -> dict | None:
    return next(db.query("select * from crawl_runs where site = ? order by id desc limit 1", [site]), None)


MAX_BACK_OFF = 16  # a site behind a bot wall waits at most this many of its intervals


def next_due(last_started: str | None, every: timedelta, now: datetime, blocked: int = 0) -> datetime:
    """When a site should next be crawled: its last start plus its interval (now if never), the
    interval doubled for each of the ``blocked`` last runs that a bot wall stopped, up to
    ``MAX_BACK_OFF`` times: a site that has said no is asked again less and less often. A last
    start later than now (a clock that ran ahead, then was set right) counts as now: the site is
    not held back until that moment comes again."""
    if not last_started:
        return now
    started = min(datetime.fromisoformat(last_started), now)
    return started + every * min(2 ** blocked, MAX_BACK_OFF)


def blocked_in_a_row(db: sqlite_utils.Database, site: str) -> int:
    """How many of the site's latest runs, one after another, a bot wall stopped."""
    outcomes = [row[0] for row in db.execute(
        "select outcome from crawl_runs where site = ? order by id desc limit 8", [site])]
    return next((n for n, outcome in enumerate(outcomes) if outcome != "blocked"), len(outcomes))


def last_started(db: sqlite_utils.Database, site: str) -> str | None:
    run = last_run(db, site)
    return run["started_at"] if run else None


def site_statuses(db_path: str | Path, sites: list, now: datetime | None = None,
                  sites_dir: str | Path | None = None) -> list[SiteStatus]:
    """Each site's last run, whether it is running and when it is next due: the ``sites`` given,
    and every other site the archive has runs of (its file looked up in ``sites_dir``, or built in,
    like the demo's; without one it has no interval). A missing archive has no runs."""
    now = now or datetime.now(UTC)
    if not Path(db_path).exists():
        return [SiteStatus(site.name, site.every, None, None, "", now, None) for site in sites]
    db = open_archive(db_path, read_only=True)
    try:
        if writable(db_path):
            close_abandoned_runs(db)
        configs = {site.name: site for site in sites}
        for (name,) in db.execute("select distinct site from crawl_runs order by site").fetchall():
            if name not in configs:
                try:
                    configs[name] = load_site(name, sites_dir) if sites_dir is not None else None
                except SiteConfigError:
                    configs[name] = None
        statuses = []
        for name, site in configs.items():
            run = last_run(db, name)
            counts = (f"{run['articles_new']} new, {run['articles_changed']} changed, {run['errors']} errors"
                      if run else "")
            started = run["started_at"] if run else None
            every = site.every if site else None
            due = next_due(started, every, now, blocked_in_a_row(db, name)) if every else None
            statuses.append(SiteStatus(name, every, started, run["outcome"] if run else None, counts, due,
                                       lock_holder(db_path, name)))
        return statuses
    finally:
        db.close()


@dataclass(frozen=True)
class Distributed:
    """Where the shared frontier lives: the scheduler seeds it instead of crawling here."""

    redis_url: str
    prefix: str


def crawl_command(site: str, db_path: str | Path, sites_dir: str | Path,
                  distributed: Distributed | None = None) -> list[str]:
    command = [sys.executable, "-m", "archive.cli", "crawl", site, "--db", str(db_path), "--sites-dir", str(sites_dir)]
    return [*command, "--distributed"] if distributed else command


def crawl_environment(distributed: Distributed | None) -> dict[str, str] | None:
    """The child's environment: the Redis URL travels here, not on a command line others can read."""
    if distributed is None:
        return None
    return {**os.environ, "NEWSARCHIVE_REDIS_URL": distributed.redis_url,
            "NEWSARCHIVE_REDIS_PREFIX": distributed.prefix}


def _record_failure(db_path: str | Path, site: str, pid: int, outcome: str, error: str) -> None:
    """Mark the run the child left open (or a new row, if it never opened one) with what happened."""
    db = open_archive(db_path)
    try:
        cursor = db.execute("select id, outcome from crawl_runs where site = ? and pid = ? order by id desc limit 1",
                            [site, pid])
        row = cursor.fetchone()
        if row and row[1] in ("running", "interrupted"):
            # The child closed (or left) its run when told to stop; say why it was stopped, keep its counts.
            with transaction(db) as conn:
                conn.execute("update crawl_runs set outcome = ?, error = ?, finished_at = coalesce(finished_at, ?) "
                             "where id = ?", (outcome, error, utc_now(), row[0]))
        elif row is None:
            run_id = start_run(db, site)
            finish_run(db, run_id, outcome, {}, error=error)
            with transaction(db) as conn:
                conn.execute("update crawl_runs set pid = ? where id = ?", (pid, run_id))
    finally:
        db.close()


class Runner:
    """Runs crawls as child processes with a time limit, and stops them cleanly on request.

    With ``distributed``, each "crawl" seeds the shared frontier (the workers crawl, the writer
    stores), and a site's last start is its last seeding, which Redis keeps.
    """

    def __init__(self, db_path: str | Path, sites_dir: str | Path, max_runtime: timedelta = DEFAULT_MAX_RUNTIME,
                 quiet: bool = False, distributed: Distributed | None = None) -> None:
        self.db_path, self.sites_dir, self.max_runtime, self.quiet = db_path, sites_dir, max_runtime, quiet
        self.distributed = distributed
        self._frontier = None
        self._children: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def last_started(self, db: sqlite_utils.Database, site: str) -> str | None:
        if self.distributed is None:
            return last_started(db, site)
        if self._frontier is None:
            from archive.frontier import Frontier, Keys, connect

            self._frontier = Frontier(connect(self.distributed.redis_url), Keys(self.distributed.prefix))
        return self._frontier.last_seeded(site)

    def due_at(self, db: sqlite_utils.Database, site, now: datetime) -> datetime:
        """When ``site`` is next due: its last start (or seeding) plus its interval, backed off for
        the runs in a row a bot wall stopped (the writer records those when crawling is distributed)."""
        return next_due(self.last_started(db, site.name), site.every, now, blocked_in_a_row(db, site.name))

    def crawl_when_due(self, site) -> str:
        """The scheduler's interval job: crawl ``site`` unless it is not due, as when a bot wall
        stopped its last runs and it waits out its back-off (the job comes back every interval;
        half of one is slack)."""
        now = datetime.now(UTC)
        db = open_archive(self.db_path)
        try:
            due = self.due_at(db, site, now)
        finally:
            db.close()
        if due > now + site.every / 2:
            logger.info("%s: not due until %s", site.name, due.isoformat(timespec="seconds"))
            return "not due"
        return self.crawl(site.name)

    def crawl(self, site: str) -> str:
        """Crawl one site in a child process; returns the outcome (finished, failed, timeout, locked...)."""
        if self.stopping.is_set():
            return "stopped"
        started = utc_now()
        child = subprocess.Popen(crawl_command(site, self.db_path, self.sites_dir, self.distributed),
                                 env=crawl_environment(self.distributed), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        with self._lock:
            self._children[site] = child
        try:
            out, err = child.communicate(timeout=self.max_runtime.total_seconds())
        except subprocess.TimeoutExpired:
            self._terminate(child)
            out, err = child.communicate()
            self._close_abandoned()
            _record_failure(self.db_path, site, child.pid, "timeout",
                            f"the crawl ran over {self.max_runtime} and was stopped")
            logger.error("%s: crawl over its time limit (%s), stopped", site, self.max_runtime)
            return "timeout"
        finally:
            with self._lock:
                self._children.pop(site, None)
        self._close_abandoned()
        summary = " ".join(line for line in out.splitlines() if line.startswith((f"{site}:", "Seeded run")))
        if "being crawled by another process" in out:
            logger.warning("%s", summary or f"{site}: locked by another process")
            return "locked"
        # The crawl's summary line names the outcome it recorded ("alpha: blocked - ..."), failures too
        recorded = summary.split(":", 1)[1].split(" - ")[0].strip() if summary.startswith(f"{site}:") else None
        if child.returncode != 0 and not self.stopping.is_set():
            # Recorded whatever the child printed: a run it closed itself stays as it is, and one it
            # never wrote ("alpha: failed - no run was recorded") gets its row here.
            error = (err.strip().splitlines() or [summary or "no output"])[-1]
            _record_failure(self.db_path, site, child.pid, "failed", error)
            if recorded is None or self.distributed is not None:
                logger.error("%s: crawl failed (exit %s) started %s: %s", site, child.returncode, started, error)
                return "failed"
            (logger.warning if recorded == "blocked" else logger.error)("%s", summary)
            return recorded
        if not self.quiet:
            print(summary or f"{site}: crawl ended (exit {child.returncode})", flush=True)
        if self.distributed is not None:
            return "seeded" if child.returncode == 0 else "stopped"
        return recorded or "unknown"

    def _close_abandoned(self) -> None:
        """A child stopped before it could close its run (killed during start-up, say): mark it."""
        db = open_archive(self.db_path)
        try:
            close_abandoned_runs(db)
        finally:
            db.close()

    def _terminate(self, child: subprocess.Popen) -> None:
        """SIGTERM (Scrapy then finishes in-flight writes and closes its run), SIGKILL after a grace period.

        SIGTERM goes to the crawl process only: it stops its extraction workers itself, while one
        killed in mid-page by a group-wide signal could leave the crawl waiting past the grace period.
        """
        try:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            children = list(self._children.values())
        for child in children:
            self._terminate(child)


def due_sites(runner: Runner, sites: list, now: datetime | None = None) -> list:
    now = now or datetime.now(UTC)
    db = open_archive(runner.db_path)
    try:
        return [site for site in sites if runner.due_at(db, site, now) <= now]
    finally:
        db.close()


def run_due_once(runner: Runner, sites: list) -> dict[str, str]:
    """Crawl every due site, each in its own process, side by side; wait for all of them."""
    due = due_sites(runner, sites)
    outcomes: dict[str, str] = {}
    threads = [threading.Thread(target=lambda s=s: outcomes.__setitem__(s.name, runner.crawl(s.name)))
               for s in due]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def run_forever(runner: Runner, sites: list, stop: threading.Event) -> None:
    """APScheduler runs one interval job per site; a job never overlaps itself."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(max(4, len(sites)))}, timezone=UTC)
    now = datetime.now(UTC)
    db = open_archive(runner.db_path)
    try:
        first = {site.name: max(runner.due_at(db, site, now), now) for site in sites}
    finally:
        db.close()
    for site in sites:
        scheduler.add_job(runner.crawl_when_due, "interval", args=[site], id=site.name,
                          seconds=site.every.total_seconds(),
                          next_run_time=first[site.name], max_instances=1, coalesce=True,
                          misfire_grace_time=int(site.every.total_seconds()))
    scheduler.start()
    try:
        stop.wait()
    finally:
        runner.stop()
        scheduler.shutdown(wait=True)
