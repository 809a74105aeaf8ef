"""How far up the corpus's labels let word F1 go: a per-page oracle over several extractions.

    python benchmarks/f1_bound.py [CORPUS_DIR] [--limit N] [--jobs N]

Each WCXB article is read by newsarchive (as it archives: a page it does not take for an article
scores 0), by newsarchive's reading without the page-type decision, and by trafilatura with its
default, precision, recall and no-tables settings. The oracle then takes, page by page, whichever
text scores best against the truth — which no extractor can do, since it sees the answer. Its
mean F1 is an upper bound for any choice among these readings; where it stays below a target, the
target asks for more than choosing well. Corpus: WCXB (Murrough Foley, 2026), CC-BY-4.0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extraction import evaluation  # noqa: E402
from crawler.extraction.cascade import NotAnArticle, analyse  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb"


def read_regardless(html: bytes, url: str) -> evaluation.Extraction:
    """newsarchive's text, whatever the page-type score says (a page decided before reading has none)."""
    try:
        return evaluation.Extraction(True, analyse(html, url).text)
    except NotAnArticle as reason:
        return evaluation.Extraction(False, reason=str(reason), rejected_as=reason.reason)


def _trafilatura(html: bytes, url: str, **options: bool) -> evaluation.Extraction:
    from trafilatura import extract

    return evaluation.Extraction(True, extract(html, url=url, **options) or "")


def trafilatura_default(html: bytes, url: str) -> evaluation.Extraction:
    return _trafilatura(html, url)


def trafilatura_precision(html: bytes, url: str) -> evaluation.Extraction:
    return _trafilatura(html, url, favor_precision=True)


def trafilatura_recall(html: bytes, url: str) -> evaluation.Extraction:
    return _trafilatura(html, url, favor_recall=True)


def trafilatura_no_tables(html: bytes, url: str) -> evaluation.Extraction:
    return _trafilatura(html, url, include_tables=False)


READINGS = {"newsarchive": evaluation.newsarchive_extractor, "newsarchive, no page-type decision": read_regardless,
            "trafilatura": trafilatura_default, "trafilatura, favor_precision": trafilatura_precision,
            "trafilatura, favor_recall": trafilatura_recall, "trafilatura, no tables": trafilatura_no_tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    results = evaluation.evaluate_side_by_side(args.corpus, tuple(READINGS.values()), limit=args.limit,
                                               jobs=args.jobs)
    pages = [list(per_page) for per_page in zip(*results, strict=True) if per_page[0].page_type == "article"]
    f1 = [[r.f1 or 0.0 for r in per_page] for per_page in pages]
    kept = [per_page[0].is_article for per_page in pages]
    print(f"{len(pages)} articles; mean word F1")
    for column, name in enumerate(READINGS):
        print(f"  {name:46s} {statistics.mean(row[column] for row in f1):.4f}")
    print(f"  {'oracle: best reading of each page':46s} {statistics.mean(max(row) for row in f1):.4f}")
    rejected = kept.count(False)
    bounded = statistics.mean(max(row) if keep else 0.0 for row, keep in zip(f1, kept, strict=True))
    print(f"  {f'oracle, the {rejected} articles newsarchive rejects at 0':46s} {bounded:.4f}")


if __name__ == "__main__":
    main()
