"""Crawl throughput: the sample site end to end versus extract() alone, on one core.

    python benchmarks/crawl_throughput.py --articles 2000 [--rounds 3] [--corpus DIR]

Prints articles archived per second end to end (``newsarchive crawl`` as a subprocess, the
sample site served from another process pinned to the last core): everything inline pinned to one
core, and the default (one extraction worker per core, ``crawler.settings.default_workers``); the
same pages through ``extract()`` alone on one core, their ratio, the crawler's peak RSS and the
capture compression ratio. Beside the default mode it runs Scrapy alone fetching the same pages
(``bare_scrapy.py``) and prints the most the ratio could reach on idle cores if the crawler cost
no more than that. Targets (issue 26, item 4): default ratio >= 1.0, peak RSS < 400 MB.

The sample site's stories are small pages that extract() reads in about 3 ms, so Scrapy's own cost
a page weighs on them as on no real site; ``--corpus DIR`` (a corpus in the WCXB layout, such as
``tests/corpus_sample/news-fundus``) serves real news pages instead, as they were published, as
one section's stories (``sample_site.CorpusSiteApp``): ``--articles`` of them, each corpus page
again under further numbers until there are that many.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from measuring import (  # noqa: E402  (benchmarks/ is on sys.path)
    Page,
    adopt_orphans,
    children,
    children_cpu,
    children_peak_rss_mb,
    corpus_pages,
    extract_rate,
    pin,
    reap,
    watch,
)
from sample_site import CORPUS_SITE, served_site  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

from archive.db import open_archive  # noqa: E402
from crawler.demo_site import DemoSite, DemoSiteApp, write_site_file  # noqa: E402
from crawler.settings import default_workers  # noqa: E402
from crawler.sites import load_site_file  # noqa: E402

RATIO_TARGET = 1.0  # the default mode's
RSS_TARGET_MB = 400


def article_pages(articles: int) -> list[Page]:
    """The sample site's article pages as a crawl fetches them."""
    site = DemoSite(articles=articles)
    app = DemoSiteApp(site)
    return [(app.render(a.path)[2].encode("utf-8"), "http://127.0.0.1" + a.path, "text/html; charset=utf-8")
            for a in site.stories]


def corpus_site_file(directory: Path, base_url: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "news.toml"
    path.write_text(CORPUS_SITE.format(base_url=base_url), "utf-8")
    return path


def end_to_end(site: int | list[bytes], workdir: Path, workers: int) -> dict:
    """``newsarchive crawl`` of the sample site with ``site`` stories (or of the pages ``site``);
    with 0 extraction workers everything is pinned to core 0."""
    with served_site(site, core=1) as base_url:
        sites = (write_site_file if isinstance(site, int) else corpus_site_file)(workdir / "sites", base_url).parent
        db = workdir / "archive.db"
        command = [sys.executable, "-c", "from archive.cli import main; main()", "crawl",
                   "demo" if isinstance(site, int) else "news",
                   "--sites-dir", str(sites), "--db", str(db), "--set", f"ARCHIVE_EXTRACT_WORKERS={workers}"]
        server = children()
        cpu_before = children_cpu()
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, preexec_fn=(lambda: pin(0)) if workers == 0 else None)
        seen = watch(process)
        elapsed = time.perf_counter() - started
        reap(keep=server)
        crawl_cpu = children_cpu() - cpu_before  # the crawler, its fork server and workers
        peak_mb = children_peak_rss_mb()  # the largest child so far
    server_cpu = children_cpu() - cpu_before - crawl_cpu
    if process.returncode != 0:
        raise SystemExit(f"crawl failed with exit code {process.returncode}")
    archive = open_archive(db)
    # (a corpus's copies of a page: each stored under its own URL, its canonical being on another host)
    archived = archive["articles"].count if isinstance(site, int) else archive.execute(
        "select count(*) from captures where url like '%/story/%'").fetchone()[0]
    crawler_cpu, main_thread_cpu, workers_cpu = seen.cpu, seen.main_thread_cpu, seen.below_cpu
    size, stored = archive.execute("select sum(size), sum(length(compressed_body)) from captures").fetchone()
    return {"articles": archived, "seconds": elapsed, "per_second": archived / elapsed,
            "peak_rss_mb": peak_mb, "compression_ratio": size / stored,
            "cpu_ms": {"crawl": crawl_cpu * 1000 / archived, "crawler": crawler_cpu * 1000 / archived,
                       "main_thread": main_thread_cpu * 1000 / archived,
                       "workers": workers_cpu * 1000 / archived,
                       "unseen": (crawl_cpu - crawler_cpu - workers_cpu) * 1000 / archived,
                       "site": server_cpu * 1000 / archived}}


def bare_scrapy_ms(site: int | list[bytes]) -> float:
    """CPU milliseconds a page of Scrapy alone fetching the same article pages (``bare_scrapy.py``),
    from a site of its own."""
    with served_site(site, core=1) as base_url:
        which = ["--articles", str(site)] if isinstance(site, int) else ["--stories", str(len(site))]
        out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bare_scrapy.py"), *which, base_url],
                             check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["cpu_ms"]


MODES = (("inline extraction, all on one core", 0),
         (f"default: {default_workers()} extraction workers", default_workers()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1, help="repeat both crawls; the median ratio decides")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--corpus", type=Path,
                        help="serve this corpus's pages (WCXB layout) instead of the sample site")
    args = parser.parse_args()
    # The machine is shared and noisy: extract() alone is measured before and after each crawl,
    # and each crawl is compared with the mean of the two measurements around it.
    adopt_orphans()
    if args.corpus is None:
        config = load_site_file(resources.files("crawler.demo_site").joinpath("demo.toml"))
        pages, site = article_pages(args.articles), args.articles
    else:
        with tempfile.TemporaryDirectory() as tmp:
            config = load_site_file(corpus_site_file(Path(tmp), "http://127.0.0.1/"))
        bodies = [body for _, body, _ in corpus_pages(args.corpus, args.articles)]
        pages = [(body, f"http://127.0.0.1/story/{n}.html", "text/html") for n, body in enumerate(bodies)]
        site = bodies

    def extract_only() -> tuple[float, float]:
        return extract_rate(pages, config.extraction, config.timezone)

    rate, extract_cpu = extract_only()
    print(f"sample site: {args.articles} articles ({len(pages)} article pages)" if args.corpus is None else
          f"{args.corpus.name}: {len(pages)} real news pages served as one section's stories")
    print(f"extract() alone, one core:  {rate:7.1f} pages/s")
    results: dict = {"extract_pages_per_second": [rate], **{f"workers_{w}": [] for _, w in MODES}}
    for _ in range(args.rounds):
        for label, workers in MODES:
            load = os.getloadavg()[0]
            with tempfile.TemporaryDirectory() as tmp:
                crawl = end_to_end(site, Path(tmp), workers)
            after, cpu_after = extract_only()
            reference = (rate + after) / 2
            ratio = crawl["per_second"] / reference
            # On idle cores the crawl goes as fast as its main thread, or as all its processes and
            # the site's server share the cores, whichever is slower: what its CPU times allow.
            cpu, extract_ms = crawl["cpu_ms"], (extract_cpu + cpu_after) / 2 * 1000
            cores = 1 if workers == 0 else (os.cpu_count() or 1)
            bound = extract_ms / max(cpu["main_thread"], (cpu["crawl"] + cpu["site"]) / cores)
            results["extract_pages_per_second"].append(after)
            results[f"workers_{workers}"].append({**crawl, "ratio": ratio, "idle_ratio": bound})
            print(f"end to end, {label} (load average {load:.1f}): {crawl['per_second']:7.1f} articles/s "
                  f"({crawl['articles']} archived in {crawl['seconds']:.1f}s)")
            print(f"extract() alone, one core:  {after:7.1f} pages/s")
            print(f"    ratio to extract-only (mean {reference:.1f} pages/s): {ratio:.2f}")
            print(f"    CPU per article: extract() alone {extract_ms:.1f} ms; crawl {cpu['crawl']:.1f} ms (crawler "
                  f"{cpu['crawler']:.1f}, its main thread {cpu['main_thread']:.1f}; fork server and extraction "
                  f"workers {cpu['workers']:.1f}; after the last look, its exit {cpu['unseen']:.1f}), "
                  f"the site {cpu['site']:.1f} ms: ratio on {cores} idle core(s) {bound:.2f}")
            if workers:
                # The ceiling: the crawl if the crawler cost no more than Scrapy fetching the pages.
                bare = bare_scrapy_ms(site)
                ceiling = extract_ms / ((bare + cpu["workers"] + cpu["site"]) / cores)
                results[f"workers_{workers}"][-1].update(bare_scrapy_ms=bare, ceiling=ceiling)
                print(f"    Scrapy alone fetching the same pages: {bare:.1f} ms a page; with the workers and "
                      f"the site as measured, the crawl's ratio on idle cores could reach at most {ceiling:.2f}")
            rate, extract_cpu = after, cpu_after
    print()
    for label, workers in MODES:
        bounds = [run["idle_ratio"] for run in results[f"workers_{workers}"]]
        print(f"{label}: ratio its CPU times allow on idle cores: median {statistics.median(bounds):.2f} "
              f"(range {min(bounds):.2f}-{max(bounds):.2f})")
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
