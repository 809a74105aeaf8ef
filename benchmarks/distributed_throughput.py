"""Distributed crawl throughput: articles per second with 1 and with 2 workers over scrapy-redis.

    python benchmarks/distributed_throughput.py --articles 1000

Each run: a throwaway redis-server on 127.0.0.1 (installed with apt-get when missing), the sample
site in its own process, N ``newsarchive crawl --worker`` processes (extraction inline, so one
worker is one process), the frontier seeded with ``newsarchive crawl --distributed demo``, and one
``newsarchive writer --until-drained``. Timed from seeding until the writer has stored the last
article; the figure counts articles in the archive. On a 2-core machine the sample site, Redis and
the writer share the cores with the workers, so 2 workers cannot double the rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
from sample_site import served_site  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

from archive.db import open_archive  # noqa: E402
from archive.frontier import Frontier, Keys  # noqa: E402
from crawler.demo_site import write_site_file  # noqa: E402
from tests.services import RedisServer  # noqa: E402

NEWSARCHIVE = [sys.executable, "-c", "from archive.cli import main; main()"]


def crawl(workers: int, redis_url: str, base_url: str, workdir: Path) -> dict:
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    frontier = Frontier(client, Keys())
    common = ["--sites-dir", str(write_site_file(workdir / "sites", base_url).parent), "--redis", redis_url]
    db = workdir / "archive.db"
    crawlers = [subprocess.Popen([*NEWSARCHIVE, "crawl", "--worker", "--idle-exit", "3", *common,
                                  "--db", str(workdir / "none.db"), "--set", "ARCHIVE_EXTRACT_WORKERS=0"],
                                 cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    while len(frontier.live_workers()) < workers:
        time.sleep(0.05)
    started = time.perf_counter()
    subprocess.run([*NEWSARCHIVE, "crawl", "--distributed", "demo", *common], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([*NEWSARCHIVE, "writer", "--until-drained", "--db", str(db), *common], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    shares = [int(p.communicate(timeout=120)[0].split(": ")[1].split()[0]) for p in crawlers]
    archive = open_archive(db)
    archived = archive["articles"].count
    archive.close()
    return {"workers": workers, "articles": archived, "seconds": elapsed, "per_second": archived / elapsed,
            "pages_per_worker": shares}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    results = []
    with served_site(args.articles) as base_url, RedisServer() as redis_server:
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                result = crawl(workers, redis_server.url, base_url, Path(tmp))
            results.append(result)
            print(f"{workers} worker(s): {result['per_second']:6.1f} articles/s "
                  f"({result['articles']} archived in {result['seconds']:.1f}s; "
                  f"pages per worker {result['pages_per_worker']})")
    print(f"speed-up with 2 workers: {results[1]['per_second'] / results[0]['per_second']:.2f}x")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
