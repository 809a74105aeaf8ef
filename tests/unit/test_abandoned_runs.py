"""A run whose process was killed keeps the counts of what it stored (issue 23, item 9): a killed
and restarted distributed writer left its run `interrupted` with 0 pages and 0 new though
hundreds of captures belonged to it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from archive.db import open_archive
from archive.frontier import ArchiveWriter, encode_item
from archive.store import close_abandoned_runs, start_run, store_article, store_rejected, transaction
from crawler.extraction import Article
from tests.unit.test_frontier import capture, frontier  # noqa: F401 (the fixture)

# Its own article: storing one caches its content hash on the object, which other modules' copy it
ARTICLE = Article(url="https://news.example/2024/06/story.html", title="A story", text="First line.\nSecond line.")


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def abandon(db, run_id: int) -> None:
    """As if the run's process had been killed: its pid no longer lives."""
    with transaction(db) as conn:
        conn.execute("UPDATE crawl_runs SET pid = ? WHERE id = ?", (dead_pid(), run_id))


def test_an_abandoned_run_is_closed_with_the_counts_of_what_it_stored(archive):
    run_id = start_run(archive, "demo")
    other = dataclasses.replace(ARTICLE, url="https://news.example/2024/06/other.html")
    store_article(archive, ARTICLE, site="demo", capture=capture(), run_id=run_id)
    store_article(archive, other, site="demo", capture=capture(b"<html>other</html>"), run_id=run_id)
    store_article(archive, dataclasses.replace(ARTICLE, text="Changed."), site="demo",
                  capture=capture(b"<html>v2</html>", "2024-06-03T00:00:00+00:00"), run_id=run_id)
    store_article(archive, other, site="demo", capture=capture(b"<html>other</html>", "2024-06-04T00:00:00+00:00"),
                  run_id=run_id)  # fetched again, unchanged
    store_rejected(archive, "https://news.example/tag/x/", site="demo", capture=capture(b"<html>tag</html>"),
                   reason="listing", run_id=run_id)
    abandon(archive, run_id)
    assert close_abandoned_runs(archive) == 1
    run = archive["crawl_runs"].get(run_id)
    assert run["outcome"] == "interrupted" and "counts are what it stored" in run["error"]
    assert (run["pages"], run["articles_new"], run["articles_changed"], run["articles_unchanged"],
            run["skipped"]) == (5, 2, 1, 1, 1)


def test_a_restarted_writer_settles_the_counts_of_the_run_its_killed_predecessor_wrote(frontier, tmp_path):  # noqa: F811
    first = ArchiveWriter(str(tmp_path / "archive.db"), frontier)
    for n in range(3):
        story = dataclasses.replace(ARTICLE, url=f"https://news.example/2024/06/story-{n}.html")
        first.store(encode_item(site="demo", section=None, run="1", article=story,
                                capture=dataclasses.replace(capture(f"<p>{n}</p>".encode()), url=story.url),
                                worker="w"))
    abandon(first.db, first.runs[("1", "demo")])  # killed: no finish_runs, no counts written
    first.close()
    second = ArchiveWriter(str(tmp_path / "archive.db"), frontier)
    second.close()
    run = next(open_archive(tmp_path / "archive.db")["crawl_runs"].rows)
    assert (run["outcome"], run["pages"], run["articles_new"]) == ("interrupted", 3, 3)


def test_a_crawl_stopped_before_closing_its_runs_reports_and_closes_its_own(archive, tmp_path, demo_config,
                                                                           monkeypatch, capsys):
    """Third review (session 18): after a second Ctrl-C the summary read the site's latest run, not
    the one the crawl had opened, and said "running - 0 pages"; the run stayed 'running' until the
    next crawl found its process gone. The crawl reports the runs it opened and closes those still
    open as interrupted, with what they stored."""
    import crawler.runner
    from archive import cli
    from crawler.runner import CrawlResult
    from crawler.stats import RUNS

    def stopped_hard(sites, db_path, overrides, **kwargs):
        own = start_run(archive, "demo")
        store_article(archive, ARTICLE, site="demo", capture=capture(), run_id=own)
        later = start_run(archive, "demo")  # another run of the site, after ours (e.g. a distributed writer's)
        with transaction(archive) as conn:
            conn.execute("UPDATE crawl_runs SET outcome = 'finished', pages = 99 WHERE id = ?", (later,))
        return CrawlResult(stats={RUNS: {"demo": own}, "finish_reason": "shutdown"})

    monkeypatch.setattr(crawler.runner, "run_crawl", stopped_hard)
    with pytest.raises(SystemExit) as exited:  # cron hears that the run did not finish
        cli._crawl([demo_config], tmp_path / "archive.db", verbose=False, settings=("ARCHIVE_EXTRACT_WORKERS=0",))
    assert exited.value.code != 0
    said = capsys.readouterr().out
    assert "demo: interrupted - 1 pages, 1 new" in said and "99 pages" not in said
    runs = [(r["outcome"], r["pages"]) for r in archive["crawl_runs"].rows_where(order_by="id")]
    assert runs == [("interrupted", 1), ("finished", 99)]


def test_a_crawl_opens_all_its_sites_runs_or_none(archive):
    """A review: the runs were opened one transaction each, so when the second site's could not be
    (the archive locked too long) the first stayed 'running', a run no summary reported or closed."""
    import sqlite3
    from types import SimpleNamespace

    from crawler.pipelines import ArchivePipeline

    archive.execute("CREATE TRIGGER refuse_beta BEFORE INSERT ON crawl_runs WHEN NEW.site = 'beta' BEGIN "
                    "SELECT RAISE(ABORT, 'no run for beta'); END")
    crawler = SimpleNamespace(spider=SimpleNamespace(sites={"alpha": None, "beta": None}))
    pipeline = ArchivePipeline.__new__(ArchivePipeline)
    pipeline.crawler = crawler
    with pytest.raises(sqlite3.IntegrityError, match="no run for beta"):
        pipeline._open(archive)
    assert archive["crawl_runs"].count == 0
