"""The extraction pool's fork server, started before a command's own imports (``crawler.pool``)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from multiprocessing import forkserver

import pytest

from crawler.pool import extraction_pool, pool_context, start_fork_server

needs_fork_server = pytest.mark.skipif(pool_context().get_start_method() != "forkserver",
                                reason="this platform has no fork server")


def _what_a_worker_holds() -> tuple[int, bool, bool]:
    """Run in a worker: its parent, and whether extraction and the language model were loaded
    before this function (this module imports neither)."""
    return os.getppid(), "crawler.extraction.cascade" in sys.modules, "py3langid" in sys.modules


@needs_fork_server
def test_the_pool_forks_its_workers_from_the_fork_server_started_early():
    start_fork_server(1)
    server = forkserver._forkserver._forkserver_pid
    assert server is not None
    os.kill(server, 0)  # running, before any pool asked for it
    pool = extraction_pool(1)
    try:
        parent, extraction_loaded, model_loaded = pool.schedule(_what_a_worker_holds).result(timeout=60)
    finally:
        pool.stop()
        pool.join()
    assert parent == server  # the early server, not a second one
    assert extraction_loaded and model_loaded  # imported and warmed up once, in the server


def test_a_crawl_starts_it_only_when_it_extracts_in_workers(monkeypatch):
    import crawler.pool
    from archive import cli

    started = []
    monkeypatch.setattr(crawler.pool, "pool_context", lambda: started.append(True) or multiprocessing.get_context())
    cli._start_extraction({"ARCHIVE_EXTRACT_WORKERS": 0})
    assert started == []
    cli._start_extraction({"ARCHIVE_EXTRACT_WORKERS": 2})
    assert started == [True]


def test_the_writer_of_an_import_loads_no_extraction(tmp_path):
    """What the process that stores pages imports (the importer, the store, the workers' entry
    point) and what the import command runs before it reads leave trafilatura, lxml and the date
    readers to the workers: 0.35 s and ~60 MB."""
    heavy = "('trafilatura', 'lxml', 'dateparser', 'crawler.extraction.cascade', 'crawler.extraction.dates')"
    probe = ("import sys, archive.warcimport, archive.store, crawler.workers, crawler.extraction as e\n"
             "from archive.cli import cli\n"
             f"try: cli(['import', {str(tmp_path)!r}, '--db', {str(tmp_path / 'a.db')!r}, '--jobs', '1'])\n"
             "except SystemExit: pass\n"
             f"print(sorted(m for m in {heavy} if m in sys.modules)); e.extract\n"
             "print('crawler.extraction.cascade' in sys.modules)")
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "no WARC or WACZ files" in ran.stdout + ran.stderr  # (an empty folder: the command ran to its reading)
    assert ran.stdout.split("\n")[-3:-1] == ["[]", "True"]  # none of it, until extraction is asked for
