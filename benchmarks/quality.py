"""Extraction quality and speed on the WCXB development corpus, against plain trafilatura.

    python benchmarks/quality.py [CORPUS_DIR] [--limit N] [--worst N] [--jobs N]

A wrapper around `newsarchive eval --baseline`: prints mean and median word F1, precision,
recall, snippets found and leaked, title / author / date accuracy, the article-vs-not decision
and pages per second for both extractors, measured in the same run, the throughput ratio, and
why newsarchive did not take pages for articles (non-articles and articles, reason by reason).
Corpus: WCXB, the Web Content eXtraction Benchmark (Murrough Foley, 2026), CC-BY-4.0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler import evaluation  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="processes (pages per second stays per core)")
    args = parser.parse_args()
    # side by side: each page read by both extractors in turn, so machine drift favours neither
    ours, theirs = evaluation.evaluate_side_by_side(
        args.corpus, (evaluation.newsarchive_extractor, evaluation.trafilatura_extractor),
        limit=args.limit, jobs=args.jobs)
    summaries = [evaluation.summarise("newsarchive", ours), evaluation.summarise("trafilatura", theirs)]
    print(evaluation.format_table(summaries))
    ratio = summaries[0].pages_per_second / summaries[1].pages_per_second
    print(f"\nthroughput newsarchive / trafilatura: {ratio:.2f} (target >= 0.80)")
    print("\n" + evaluation.format_rejections(summaries[0]))
    for page in evaluation.worst(ours, args.worst):
        print(f"\n{page.id} {page.page_type} {page.url}")
        for problem in page.problems:
            print(f"    {problem}")


if __name__ == "__main__":
    main()
