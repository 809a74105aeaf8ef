"""Refit the page-type weights in crawler/extraction/pagetype.py on a corpus with ground truth.

    python benchmarks/fit_page_type.py [CORPUS_DIR] [--keep 0.98] [--folds 5]

Reads every page with the project's real ``analyse()``, fits an L2-regularised logistic
regression (article or not) on the features of ``crawler.extraction.pagetype.PageFeatures``, prints the
cross-validated share of non-articles rejected at the threshold that keeps ``--keep`` of the
articles, then the weights, bias and threshold fitted on the whole corpus, as Python to paste.
Needs numpy (``pip install numpy``), which newsarchive itself does not.
Corpus: WCXB, the Web Content eXtraction Benchmark (Murrough Foley, 2026), CC-BY-4.0.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from dataclasses import fields
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extraction.cascade import NotAnArticle, analyse  # noqa: E402
from crawler.extraction.evaluation import corpus_pages  # noqa: E402
from crawler.extraction.pagetype import PageFeatures  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb"
NAMES = [f.name for f in fields(PageFeatures)]


def _features(page: tuple[dict, dict, bytes]) -> tuple[bool, list[float] | None]:
    entry, _, html = page
    try:
        return entry["page_type"] == "article", analyse(html, entry["url"]).features.as_list()
    except NotAnArticle:  # nothing to read, or a sign that decides alone: rejected whatever the weights
        return entry["page_type"] == "article", None


def fit(x, y, penalty: float, iterations: int = 3000):
    import numpy as np

    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / scale
    weights, bias = np.zeros(z.shape[1]), 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(z @ weights + bias)))
        weights -= (z.T @ (p - y) + penalty * weights) / len(y)
        bias -= (p - y).mean()
    return weights / scale, bias - (weights / scale) @ mean


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", type=float, default=0.98, help="share of articles to keep")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--penalty", type=float, default=20.0, help="L2 strength")
    args = parser.parse_args()
    with multiprocessing.Pool() as pool:
        rows = pool.map(_features, corpus_pages(args.corpus), chunksize=8)
    unreadable = [is_article for is_article, features in rows if features is None]
    rows = [(is_article, features) for is_article, features in rows if features is not None]
    x = np.array([features for _, features in rows])
    y = np.array([1.0 if is_article else 0.0 for is_article, _ in rows])
    print(f"{len(rows)} pages read ({int(y.sum())} articles); {len(unreadable)} unreadable or "
          f"decided by a sign alone ({sum(unreadable)} of them articles)")

    order = np.random.default_rng(0).permutation(len(y))
    scores = np.zeros(len(y))
    for test in np.array_split(order, args.folds):
        train = np.setdiff1d(order, test)
        weights, bias = fit(x[train], y[train], args.penalty)
        scores[test] = x[test] @ weights + bias
    threshold = np.quantile(scores[y == 1], 1 - args.keep)
    print(f"cross-validated ({args.folds} folds): keeping {args.keep:.0%} of articles rejects "
          f"{np.mean(scores[y == 0] < threshold):.1%} of non-articles")

    weights, bias = fit(x, y, args.penalty)
    scores = x @ weights + bias
    threshold = np.quantile(scores[y == 1], 1 - args.keep)
    print("\nWEIGHTS = {")
    for name, weight in zip(NAMES, weights, strict=True):
        print(f'    "{name}": {weight:+.3f},')
    print("}")
    print(f"BIAS = {bias:+.3f}")
    print(f"THRESHOLD = {threshold:+.3f}")


if __name__ == "__main__":
    main()
