"""Import memory while streaming multi-gigabyte WARCs (issue 27, item 2: "memory flat").

    python benchmarks/bigwarc_memory.py [--sizes 0.5,3] [--every 20] [--jobs 2] [--keep DIR]

For each size, writes a plain WARC of that many GB (CC-NEWS-shaped request, response and
metadata records) of real news pages (the news-fundus sample, 282 kB a page on average, under
numbered URLs), one page in ``--every`` on the wanted host and the others on hosts that
``--hosts`` filters out (their records are read through, as a stream, but not extracted), then
runs ``newsarchive import --hosts news.example --jobs J`` of it into an empty archive and prints
the peak RSS of the importer process alone (the one that reads the file and writes the archive),
and, separately, of the largest of its extraction processes (fork server and workers); the
files are deleted afterwards (``--keep DIR`` writes them there and keeps them).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from measuring import adopt_orphans, corpus_pages, reap, watch  # noqa: E402  (benchmarks/ is on sys.path)

from archive.db import open_archive  # noqa: E402
from tests.warcs import CCNewsWarc  # noqa: E402

WANTED = "news.example"
GB = 1e9


def write_big_warc(path: Path, size_gb: float, every: int, corpus: Path) -> int:
    """A plain WARC of about ``size_gb`` GB; returns how many pages are on the wanted host."""
    bodies = [body for _, body, _ in corpus_pages(corpus, 22)]
    wanted = 0
    with CCNewsWarc(path, gzip=False) as warc:
        number = 0
        while warc.stream.tell() < size_gb * GB:
            host = WANTED if number % every == 0 else f"other{number % 7}.example"
            wanted += host == WANTED
            warc.fetch(f"https://{host}/2024/06/story-{number}.html", bodies[number % len(bodies)],
                       f"2024-06-{1 + number // 86400 % 28:02d}T{number // 3600 % 24:02d}:{number // 60 % 60:02d}:"
                       f"{number % 60:02d}Z")
            number += 1
    return wanted


def import_watched(warc: Path, workdir: Path, jobs: int) -> dict:
    """``newsarchive import`` of ``warc``, its processes' peak RSS read from /proc while it runs."""
    db = workdir / f"import-{time.monotonic_ns()}.db"
    command = [sys.executable, "-m", "archive.cli", "import", str(warc), "--db", str(db), "--jobs", str(jobs),
               "--hosts", WANTED, "--sites-dir", str(workdir)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    seen = watch(process, every=0.1)
    elapsed = time.perf_counter() - started
    summary = process.stdout.read().strip().splitlines()
    reap()
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}): {summary[-1:] }")
    stored = open_archive(db).execute("select count(*) from captures").fetchone()[0]
    db.unlink()
    return {"seconds": elapsed, "importer_mb": seen.peak_rss_mb, "workers_mb": seen.descendants_peak_rss_mb,
            "stored": stored, "importer_cpu": seen.cpu, "summary": summary[-1] if summary else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.5,3", help="WARC sizes in GB, comma-separated")
    parser.add_argument("--every", type=int, default=20, help="one page in EVERY is on the imported host")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=REPO / "tests" / "corpus_sample" / "news-fundus")
    parser.add_argument("--keep", type=Path, help="write the WARCs here and keep them")
    args = parser.parse_args()
    adopt_orphans()
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsarchive-bigwarc-", dir=args.keep) as tmp:
        workdir = Path(tmp)
        for size in (float(s) for s in args.sizes.split(",")):
            warc = (args.keep or workdir) / f"big-{size:g}GB.warc"
            started = time.perf_counter()
            wanted = write_big_warc(warc, size, args.every, args.corpus)
            written = time.perf_counter() - started
            result = import_watched(warc, workdir, args.jobs)
            rows.append((size, result))
            print(f"{warc.stat().st_size / GB:.2f} GB WARC (written in {written:.0f}s), {wanted} pages on {WANTED}: "
                  f"imported {result['stored']} in {result['seconds']:.0f}s "
                  f"({warc.stat().st_size / GB / result['seconds'] * 1000:.0f} MB/s read, importer CPU "
                  f"{result['importer_cpu']:.0f}s); peak RSS: importer {result['importer_mb']:.0f} MB, "
                  f"largest extraction process {result['workers_mb']:.0f} MB")
            print(f"    {result['summary']}")
            if args.keep is None:
                warc.unlink()
    (small, first), (large, last) = rows[0], rows[-1]
    growth = last["importer_mb"] - first["importer_mb"]
    print(f"importer peak RSS {first['importer_mb']:.0f} MB at {small:g} GB, {last['importer_mb']:.0f} MB at "
          f"{large:g} GB ({growth:+.0f} MB for {large / small:.0f}x the file); extraction processes "
          f"{first['workers_mb']:.0f} / {last['workers_mb']:.0f} MB")


if __name__ == "__main__":
    main()
