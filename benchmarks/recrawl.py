"""Re-crawls and known URLs at archive scale (issue 26, items 1 and 2).

    python benchmarks/recrawl.py --articles 20000 [--known 100000,1000000] [--rss-articles 2000]

1. The sample site crawled into a fresh archive, then again at once (nothing changed): the
   re-crawl's time and requests as a share of the first's (targets <= 5 % and <= 3 %), each
   ``newsarchive crawl`` a subprocess, the site served from another process.
2. A crawl's peak RSS with 0, 100,000 and 1,000,000 known URLs of the crawled site in a synthetic
   archive (target <= 300 MB), and beside it what holding those URLs in a dict, as the spider did
   before, costs a process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.db import open_archive  # noqa: E402
from crawler.demo_site import DemoServer, DemoSite, write_site_file  # noqa: E402

TIME_TARGET, REQUESTS_TARGET, RSS_TARGET_MB = 5.0, 3.0, 300


def _serve(articles: int, conn) -> None:
    with DemoServer(DemoSite(articles=articles), slow_seconds=0.1) as server:
        server.app.prerender()
        conn.send(server.base_url)
        while (command := conn.recv()) != "stop":
            if command == "requests":  # how many requests since the last ask
                conn.send(sum(server.requests.values()))
                server.requests.clear()


@contextmanager
def served(articles: int):
    """The sample site in a process of its own, and a function that returns (and resets) its request count."""
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(articles, theirs), daemon=True)
    server.start()
    try:
        base_url = ours.recv()

        def requests() -> int:
            ours.send("requests")
            return ours.recv()

        yield base_url, requests
    finally:
        ours.send("stop")
        server.join(timeout=10)


# Runs the command and prints the peak RSS (KB) of its process tree's largest process.
MEASURE = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode;"
           " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def crawl(base_url: str, workdir: Path, db: Path) -> tuple[float, float]:
    """``newsarchive crawl`` of the sample site into ``db``: (seconds, peak RSS in MB)."""
    sites = write_site_file(workdir / "sites", base_url).parent
    command = [sys.executable, "-c", "from archive.cli import main; main()", "crawl", "demo",
               "--sites-dir", str(sites), "--db", str(db)]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, int(result.stdout.strip().splitlines()[-1]) / 1024


def recrawl(articles: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, served(articles) as (base_url, requests):
        db = Path(tmp) / "archive.db"
        first_seconds, _ = crawl(base_url, Path(tmp), db)
        first_requests = requests()
        again_seconds, _ = crawl(base_url, Path(tmp), db)
        again_requests = requests()
    time_share = 100 * again_seconds / first_seconds
    request_share = 100 * again_requests / first_requests
    print(f"sample site: {articles} articles")
    print(f"first crawl: {first_seconds:.1f}s, {first_requests} requests")
    print(f"unchanged re-crawl: {again_seconds:.1f}s, {again_requests} requests")
    print(f"re-crawl / first crawl: time {time_share:.1f} % (target <= {TIME_TARGET:g} %)"
          f"  {'OK' if time_share <= TIME_TARGET else 'ABOVE TARGET'}; requests {request_share:.1f} %"
          f" (target <= {REQUESTS_TARGET:g} %)  {'OK' if request_share <= REQUESTS_TARGET else 'ABOVE TARGET'}")


def synthetic_archive(path: Path, site: str, known: int) -> None:
    """An archive holding ``known`` articles of ``site``: published over six years, each last
    fetched an hour ago (so none is due, but every one is looked at for being due)."""
    db = open_archive(path)
    now = datetime.now(UTC)
    fetched = (now - timedelta(hours=1)).isoformat(timespec="seconds")
    start = now - timedelta(days=6 * 365)

    def rows():
        for number in range(known):
            published = (start + timedelta(minutes=3 * number % (6 * 365 * 24 * 60))).isoformat(timespec="seconds")
            yield (site, f"http://127.0.0.1:8765/{published[:4]}/{published[5:7]}/story-{number}.html",
                   f"Story {number}", "", published, f"h{number}", published, fetched, 1)

    with db.conn:
        db.conn.executemany("insert into articles (site, url, title, text, published_at, content_hash, first_seen_at,"
                            " last_fetched_at, version) values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    db.close()


# What the spider did before: every known URL of the site in a dict, as it read them at start.
OLD_WAY = """
import resource, sqlite3, sys
from archive.known import KnownArticle
conn = sqlite3.connect(sys.argv[1])
known = {row[0]: KnownArticle(*row) for row in conn.execute(
    "select a.url, coalesce(a.published_at, a.first_seen_at), a.last_fetched_at, c.etag, c.last_modified"
    " from articles a left join captures c on c.id = a.last_capture_id where a.site = 'demo'")}
import scrapy, crawler.spiders.news  # the crawl's own imports, for a like-for-like baseline
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def known_urls(articles: int, sizes: list[int]) -> None:
    print(f"crawl of a {articles}-article sample site into an archive with N known URLs of the site:")
    with served(articles) as (base_url, _):
        for known in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "archive.db"
                started = time.perf_counter()
                synthetic_archive(db, "demo", known)
                built = time.perf_counter() - started
                old = subprocess.run([sys.executable, "-c", OLD_WAY, str(db)], cwd=REPO, capture_output=True,
                                     text=True, check=True)
                old_mb = int(old.stdout.strip()) / 1024
                seconds, peak = crawl(base_url, Path(tmp), db)
            print(f"  N = {known:>9,}: crawl peak RSS {peak:5.0f} MB (target <= {RSS_TARGET_MB} MB)"
                  f"  {'OK' if peak <= RSS_TARGET_MB else 'ABOVE TARGET'}; crawl {seconds:.1f}s;"
                  f" the known URLs in a dict, as before: {old_mb:.0f} MB (archive built in {built:.0f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000, help="sample site for the re-crawl figures")
    parser.add_argument("--rss-articles", type=int, default=2000, help="sample site for the RSS figures")
    parser.add_argument("--known", default="0,100000,1000000", help="known URLs in the synthetic archives")
    parser.add_argument("--skip-recrawl", action="store_true")
    args = parser.parse_args()
    if not args.skip_recrawl:
        recrawl(args.articles)
    known_urls(args.rss_articles, [int(n) for n in args.known.split(",") if n])


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
