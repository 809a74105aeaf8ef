"""Import throughput: ``newsarchive import`` of a CC-NEWS-shaped WARC versus extract() alone on one core.

    python benchmarks/import_throughput.py --pages 2000 [--jobs 2] [--rounds 3] [--corpus DIR | --demo]

Writes a WARC (gzip per record; request, response and metadata records as Common Crawl writes
them) of N real news pages (the news-fundus sample in tests/corpus_sample, each page under
numbered URLs of its publisher until there are N, its ``rel=canonical`` link taken out so that
each copy is an article of its own, as the stories of a real import are new ones, not one
article's unchanged fetches; ``--demo``: the sample site's N articles,
small pages that extract several times faster), then, each round: the same pages through ``extract()``
alone pinned to one core, and ``newsarchive import --jobs J`` of the WARC into an empty archive
as a subprocess (all cores); prints pages per second of both, their ratio (median and range of
the rounds: this machine is shared and noisy), and the peak RSS of the importer and of its
largest extraction process. Beside the wall-clock
ratio, which a busy machine bends, it prints the CPU time per page of the whole import (importer,
fork server and workers) against extract()'s and the ratio those allow on idle cores
(cores x extract CPU / import CPU), which other work on the machine does not change; and the
ratio of extract() alone in as many processes side by side as the import has jobs, nothing to
read, feed or store: what the cores give extraction when all of them work (their shared caches
and, on a virtual machine, the host's load), the most any import could reach.
Target (issue 27): ratio >= 1.7 with 2 jobs on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from measuring import (  # noqa: E402
    Watched,
    adopt_orphans,
    children_cpu,
    corpus_pages,
    extract_rate,
    reap,
    side_by_side_rate,
    watch,
)

from archive.db import open_archive  # noqa: E402
from crawler.demo_site import DemoSite, DemoSiteApp  # noqa: E402
from tests.warcs import CCNewsWarc  # noqa: E402

RATIO_TARGET = 1.7
BASE = "https://news.example"


CANONICAL = re.compile(rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>", re.IGNORECASE)


def distinct_articles(pages: list[tuple[str, bytes, str]]) -> list[tuple[str, bytes, str]]:
    """The pages without their canonical links: each stored under its own URL, a new article."""
    return [(url, CANONICAL.sub(b"", body), content_type) for url, body, content_type in pages]


def sample_pages(articles: int) -> list[tuple[str, bytes, str]]:
    site = DemoSite(articles=articles)
    app = DemoSiteApp(site, base_url=BASE + "/")
    pages = []
    for story in site.stories:
        reply = app.respond(story.path, 2)
        if reply.status == 200:
            pages.append((BASE + story.path, reply.body, reply.content_type))
    return pages


def write_warc(pages: list[tuple[str, bytes, str]], path: Path) -> None:
    with CCNewsWarc(path) as warc:
        for index, (url, body, content_type) in enumerate(pages):
            warc.fetch(url, body, f"2024-06-{1 + index // 1440:02d}T{index // 60 % 24:02d}:{index % 60:02d}:00Z",
                       content_type=content_type)


def import_rate(warc: Path, workdir: Path, jobs: int, pages: int) -> tuple[float, float, Watched]:
    """Pages per second of ``newsarchive import`` (start-up included), CPU seconds per page of the
    import's processes, and what its processes used (the importer's CPU and peak RSS, its extraction
    processes' apart)."""
    db = workdir / f"import-{time.monotonic_ns()}.db"
    cpu = children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "archive.cli", "import", str(warc), "--db", str(db), "--jobs",
                                str(jobs), "--sites-dir", str(workdir)], cwd=REPO, stdout=subprocess.DEVNULL)
    seen = watch(process)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"import failed with exit code {process.returncode}")
    reap()
    cpu = children_cpu() - cpu
    archived = open_archive(db).execute("select count(*) from captures").fetchone()[0]
    assert archived == pages, (archived, pages)
    return pages / elapsed, cpu / pages, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--corpus", type=Path, default=REPO / "tests" / "corpus_sample" / "news-fundus")
    parser.add_argument("--demo", action="store_true", help="The sample site's articles instead of a corpus.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = sample_pages(args.pages) if args.demo else distinct_articles(corpus_pages(args.corpus, args.pages))
    with tempfile.TemporaryDirectory(prefix="newsarchive-import-bench-") as tmp:
        workdir = Path(tmp)
        warc = workdir / "cc-news.warc.gz"
        write_warc(pages, warc)
        print(f"{len(pages)} pages, WARC {warc.stat().st_size / 1e6:.1f} MB; {args.jobs} jobs on "
              f"{os.cpu_count()} cores")
        adopt_orphans()
        timed = [(body, url, content_type) for url, body, content_type in pages]
        ratios, bounds, ceilings = [], [], []
        cores = min(args.jobs, os.cpu_count() or 1) or 1
        for number in range(1, args.rounds + 1):
            load = os.getloadavg()[0]
            before, cpu_before = extract_rate(timed)
            imported, import_cpu, seen = import_rate(warc, workdir, args.jobs, len(pages))
            after, cpu_after = extract_rate(timed)
            side_by_side = side_by_side_rate(timed, cores)
            one_core = (before + after) / 2  # the machine is shared: compare with the mean of both sides
            ratios.append(imported / one_core)
            ceilings.append(side_by_side / one_core)
            extract_cpu = (cpu_before + cpu_after) / 2
            bounds.append(cores * extract_cpu / import_cpu)
            print(f"round {number} (load average {load:.1f}): extract() alone {before:.0f}/{after:.0f} pages/s on "
                  f"one core; import {imported:.0f} pages/s; ratio {ratios[-1]:.2f}; CPU per page: extract() "
                  f"{extract_cpu * 1000:.1f} ms, import {import_cpu * 1000:.1f} ms (all its processes: the importer "
                  f"{seen.cpu * 1000 / len(pages):.1f}, fork server and workers "
                  f"{seen.below_cpu * 1000 / len(pages):.1f}), ratio on {cores} idle cores {bounds[-1]:.2f}; "
                  f"peak RSS: importer {seen.peak_rss_mb:.0f} MB, "
                  f"largest extraction process {seen.descendants_peak_rss_mb:.0f} MB")
            print(f"        extract() alone in {cores} processes side by side, nothing else: {side_by_side:.0f} "
                  "pages/s, "
                  f"{ceilings[-1]:.2f} x one core (the most {cores} extraction processes reach on this machine now); "
                  f"the import reaches {ratios[-1] / ceilings[-1]:.0%} of it")
    print(f"ratio to extract() on one core: median {statistics.median(ratios):.2f} "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}); target >= {RATIO_TARGET}")
    print(f"ratio its CPU time allows on {cores} idle cores: median {statistics.median(bounds):.2f} "
          f"(range {min(bounds):.2f}-{max(bounds):.2f})")
    print(f"ratio of extract() alone in {cores} processes side by side: median {statistics.median(ceilings):.2f} "
          f"(range {min(ceilings):.2f}-{max(ceilings):.2f}); the import at "
          f"{statistics.median(r / c for r, c in zip(ratios, ceilings)):.0%} of it (median)")


if __name__ == "__main__":
    main()
