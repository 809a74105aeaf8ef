"""Crawl throughput: the sample site end to end versus extract() alone, on one core.

    python benchmarks/crawl_throughput.py --articles 2000 [--rounds 3]

Prints articles archived per second end to end (``newsarchive crawl`` as a subprocess, the
sample site served from another process pinned to the last core): everything inline pinned to one
core, and the default (one extraction worker per core, ``crawler.settings.default_workers``); the
same pages through ``extract()`` alone on one core, their ratio, the crawler's peak RSS and the
capture compression ratio. Targets (issue 26, item 4): default ratio >= 1.0, peak RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sample_site import served_site  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

from archive.db import open_archive  # noqa: E402
from crawler.demo_site import DemoSite, DemoSiteApp, write_site_file  # noqa: E402
from crawler.extraction.cascade import extract  # noqa: E402
from crawler.settings import default_workers  # noqa: E402
from crawler.sites import load_site_file  # noqa: E402

RATIO_TARGET = 1.0  # the default mode's
RSS_TARGET_MB = 400


def _pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {core})


def extract_only(articles: int) -> tuple[float, int]:
    """Pages per second through extract() on the same article pages, pinned to one core."""
    site = DemoSite(articles=articles)
    app = DemoSiteApp(site)
    config = load_site_file(resources.files("crawler.demo_site").joinpath("demo.toml"))
    pages = [(app.render(a.path)[2].encode("utf-8"), "http://127.0.0.1" + a.path) for a in site.stories]
    _pin(0)
    started = time.perf_counter()
    for html, url in pages:
        extract(html, url, config.extraction, config.timezone)
    elapsed = time.perf_counter() - started
    os.sched_setaffinity(0, range(os.cpu_count() or 1)) if hasattr(os, "sched_setaffinity") else None
    return len(pages) / elapsed, len(pages)


def end_to_end(articles: int, workdir: Path, workers: int) -> dict:
    """``newsarchive crawl`` of the sample site; with 0 extraction workers everything is pinned to core 0."""
    with served_site(articles, core=1) as base_url:
        sites = write_site_file(workdir / "sites", base_url).parent
        db = workdir / "archive.db"
        command = [sys.executable, "-c", "from archive.cli import main; main()", "crawl", "demo",
                   "--sites-dir", str(sites), "--db", str(db), "--set", f"ARCHIVE_EXTRACT_WORKERS={workers}"]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, preexec_fn=(lambda: _pin(0)) if workers == 0 else None)
        process.wait()
        elapsed = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    if process.returncode != 0:
        raise SystemExit(f"crawl failed with exit code {process.returncode}")
    archive = open_archive(db)
    archived = archive["articles"].count
    size, stored = archive.execute("select sum(size), sum(length(body_gzip)) from captures").fetchone()
    return {"articles": archived, "seconds": elapsed, "per_second": archived / elapsed,
            "peak_rss_mb": peak_kb / 1024, "compression_ratio": size / stored}


MODES = (("inline extraction, all on one core", 0),
         (f"default: {default_workers()} extraction workers", default_workers()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1, help="repeat both crawls; the median ratio decides")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    # The machine is shared and noisy: extract() alone is measured before and after each crawl,
    # and each crawl is compared with the mean of the two measurements around it.
    extract_rate, pages = extract_only(args.articles)
    print(f"sample site: {args.articles} articles ({pages} article pages)")
    print(f"extract() alone, one core:  {extract_rate:7.1f} pages/s")
    results: dict = {"extract_pages_per_second": [extract_rate], **{f"workers_{w}": [] for _, w in MODES}}
    for _ in range(args.rounds):
        for label, workers in MODES:
            with tempfile.TemporaryDirectory() as tmp:
                crawl = end_to_end(args.articles, Path(tmp), workers)
            after, _ = extract_only(args.articles)
            reference = (extract_rate + after) / 2
            ratio = crawl["per_second"] / reference
            results["extract_pages_per_second"].append(after)
            results[f"workers_{workers}"].append({**crawl, "ratio": ratio})
            print(f"end to end, {label}: {crawl['per_second']:7.1f} articles/s "
                  f"({crawl['articles']} archived in {crawl['seconds']:.1f}s)")
            print(f"extract() alone, one core:  {after:7.1f} pages/s")
            print(f"    ratio to extract-only (mean {reference:.1f} pages/s): {ratio:.2f}")
            extract_rate = after
    print()
    for label, workers in MODES:
        ratios = [run["ratio"] for run in results[f"workers_{workers}"]]
        median = statistics.median(ratios)
        verdict = ("" if not workers else f"; target >= {RATIO_TARGET})"
                   f"  {'OK' if median >= RATIO_TARGET else 'BELOW TARGET'}")
        print(f"{label}: median ratio {median:.2f} over {len(ratios)} round(s) "
              f"(range {min(ratios):.2f}-{max(ratios):.2f}{verdict or ')'}")
    runs = [run for _, w in MODES for run in results[f"workers_{w}"]]
    peak = max(run["peak_rss_mb"] for run in runs)
    print(f"crawler peak RSS: {peak:.0f} MB  (target < {RSS_TARGET_MB} MB)"
          f"  {'OK' if peak < RSS_TARGET_MB else 'ABOVE TARGET'}")
    print(f"raw capture compression: {runs[-1]['compression_ratio']:.1f}x")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
