"""A run whose process was killed keeps the counts of what it stored (issue 23, item 9): a killed
and restarted distributed writer left its run `interrupted` with 0 pages and 0 new though
hundreds of captures belonged to it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

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
