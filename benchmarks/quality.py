"""Extraction quality and speed on the three development corpora, each side by side with plain trafilatura.

    python benchmarks/quality.py [CORPUS_DIR...] [--limit N] [--worst N] [--jobs N] [--save FILE]

For each corpus (default: ``wcxb``, ``news-fundus`` and ``trafeval`` in ../shared/corpus), both
extractors read every page in the same run, one after the other: body F1 (snippet precision,
recall and F1 on trafeval), articles returned empty, title, authors, day and minute, tags, the
article-vs-not decision, pages per CPU-second and the throughput ratio; then why newsarchive did
not take pages for articles, and on corpora made only of articles, each such page by reason.
A closing table puts the corpora side by side. ``--save`` writes every page's result as JSON, to
compare two runs page by page.

Corpora: WCXB, the Web Content eXtraction Benchmark (Murrough Foley, 2026, CC-BY-4.0); news pages
from the parser test fixtures of fundus (flairNLP/fundus, MIT); trafilatura's evaluation set
(adbar/trafilatura, Apache-2.0).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extraction import evaluation  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpus"
DEFAULT_CORPORA = [CORPORA / name for name in ("wcxb", "news-fundus", "trafeval")]
# (label, Summary field, higher is better) for the closing table
OVERVIEW = [("body F1", "mean_f1", True), ("snippet F1", "snippet_f1", True),
            ("with found", "with_found", True), ("leaking", "pages_leaking", False),
            ("empty", "empty_articles", False), ("title", "title_accuracy", True),
            ("authors", "author_accuracy", True), ("day", "date_accuracy", True),
            ("minute", "minute_accuracy", True), ("tags", "tags_overlap", True),
            ("non-art. rej.", "non_articles_rejected", True)]


def _cell(value: float | int | None) -> str:
    return "-" if value is None else str(value) if isinstance(value, int) else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="processes (pages per CPU-second stays per core)")
    parser.add_argument("--save", type=Path, help="write every page's result here (JSON)")
    args = parser.parse_args()
    overview: list[tuple[str, evaluation.Summary, evaluation.Summary, float]] = []
    saved: dict[str, dict[str, list[dict]]] = {}
    for corpus in args.corpora:
        # side by side: each page read by both extractors in turn, so machine drift favours neither
        ours, theirs = evaluation.evaluate_side_by_side(
            corpus, (evaluation.newsarchive_extractor, evaluation.trafilatura_extractor),
            limit=args.limit, jobs=args.jobs)
        summaries = [evaluation.summarise("newsarchive", ours), evaluation.summarise("trafilatura", theirs)]
        ratio = summaries[0].pages_per_second / summaries[1].pages_per_second
        overview.append((corpus.name, *summaries, ratio))
        saved[corpus.name] = {"newsarchive": [asdict(r) for r in ours], "trafilatura": [asdict(r) for r in theirs]}
        print(f"== {corpus.name}: {summaries[0].pages} pages, {summaries[0].articles} articles")
        print(evaluation.format_table(summaries))
        print(f"\nthroughput newsarchive / trafilatura (pages per CPU-second): {ratio:.2f} (target >= 1.00)")
        if summaries[0].rejections:
            print("\n" + evaluation.format_rejections(summaries[0]))
        if summaries[0].pages == summaries[0].articles:  # every page is an article: list each one lost
            for page in sorted((r for r in ours if not r.is_article), key=lambda r: (r.rejected_as, r.id)):
                print(f"    {page.rejected_as:<18} {page.id:<40} {page.url}")
        for page in evaluation.worst(ours, args.worst):
            print(f"\n{page.id} {page.page_type} {page.url}")
            for problem in page.problems:
                print(f"    {problem}")
        print()
    print("== all corpora: newsarchive / trafilatura (ratio: pages per CPU-second)")
    width = max(len(name) for name, *_ in overview)
    print(f"{'':<{width}}  " + "  ".join(f"{label:>15}" for label, _, _ in OVERVIEW) + f"  {'speed':>6}")
    for name, ours_summary, theirs_summary, ratio in overview:
        cells = [f"{_cell(getattr(ours_summary, key)) + ' / ' + _cell(getattr(theirs_summary, key)):>15}"
                 for _, key, _ in OVERVIEW]
        print(f"{name:<{width}}  " + "  ".join(cells) + f"  {ratio:>6.2f}")
    if args.save:
        args.save.write_text(json.dumps(saved))


if __name__ == "__main__":
    main()
