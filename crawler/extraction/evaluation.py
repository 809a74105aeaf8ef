"""Extraction quality on the development corpora, side by side with plain trafilatura.

Three layouts share one shape (``index.jsonl``, ``html/<id>.html.gz``, ``truth/<id>.json``) and
differ in what their truth holds; each figure is scored where the truth has it:
- ``wcxb/``: the clean text (word F1), must-have and must-not-have snippets, title, author (a
  string), publication day, and page types (are non-articles rejected?);
- ``news-fundus/``: the clean text, title, authors as credited (a list: exact set), publication
  datetime with its UTC offset (to the day and to the minute), the publisher's topics;
- ``trafeval/``: snippets only (``with`` / ``without``: precision, recall and F1 summed over the
  pages, as trafilatura's own evaluation does), title, authors, day, tags and categories.

Measures the project's real ``extract()`` — or plain trafilatura, for comparison — page by page,
each page timed in CPU seconds.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dateutil import parser as dateutil_parser

from .cascade import NotAnArticle, extract
from .dates import own_day
from .text import tokens

words = tokens  # the evaluation's words are the project's: one token a character in CJK and Thai


def word_scores(predicted: str, reference: str) -> tuple[float, float, float]:
    """Precision, recall and F1 over bags of lowercased word tokens."""
    guess, truth = Counter(words(predicted)), Counter(words(reference))
    overlap = sum((guess & truth).values())
    if not guess or not truth:
        return (1.0, 1.0, 1.0) if not guess and not truth else (0.0, 0.0, 0.0)
    precision, recall = overlap / sum(guess.values()), overlap / sum(truth.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def _squash(text: str | None) -> str:
    return " ".join(words(text))


NAME_JOINERS = {"and", "und", "et", "y", "amp"}


def _name_words(text: str | None) -> list[str]:
    """The words of a list of names, in order, without the joiners ("A, B and C" == "A; B; C")."""
    return [w for w in words(text) if w not in NAME_JOINERS]


def page_day(raw: str | None, iso_utc: str | None) -> str | None:
    """The calendar day a page gives for publication, in the page's own timezone when it has one
    (``dates.own_day``); a date printed without a zone as printed. Else the UTC day."""
    day = own_day(raw)
    return day.isoformat() if day else (iso_utc[:10] if iso_utc else None)


@dataclass(frozen=True)
class Extraction:
    """What one extractor said of one page, reduced to what is scored."""

    is_article: bool
    text: str = ""
    title: str | None = None
    authors: tuple[str, ...] = ()
    day: str | None = None
    reason: str | None = None  # why it is not an article, or what failed
    rejected_as: str | None = None  # the short name of that reason ("listing", "too_short"), for counting
    published_at: str | None = None  # UTC ISO 8601 with the time, where the extractor gives one
    tags: tuple[str, ...] = ()  # tags and categories


Extractor = Callable[[bytes, str], Extraction]


def newsarchive_extractor(html: bytes, url: str) -> Extraction:
    try:
        article = extract(html, url)
    except NotAnArticle as reason:
        return Extraction(False, reason=str(reason), rejected_as=reason.reason)
    return Extraction(True, article.text, article.title, article.authors,
                      page_day(article.published_raw, article.published_at),
                      published_at=article.published_at, tags=article.tags + article.categories)


def trafilatura_extractor(html: bytes, url: str) -> Extraction:
    """Plain trafilatura, as the issue measured it: bare_extraction with metadata."""
    from trafilatura import bare_extraction

    document = bare_extraction(html, url=url, with_metadata=True)
    if document is None:
        return Extraction(False, reason="no document", rejected_as="no_document")
    authors = tuple(a.strip() for a in (document.author or "").split(";") if a.strip())
    return Extraction(True, document.text or "", document.title, authors, document.date,
                      tags=tuple(document.tags or ()) + tuple(document.categories or ()))


@dataclass
class PageResult:
    id: str
    url: str
    page_type: str
    is_article: bool
    seconds: float
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    with_found: int = 0
    with_total: int = 0
    without_leaked: int = 0
    without_total: int = 0
    title_ok: bool | None = None
    author_ok: bool | None = None
    date_ok: bool | None = None
    minute_ok: bool | None = None  # where the truth has a time and a UTC offset
    tags_overlap: float | None = None  # Jaccard of the tag sets, where the truth has tags
    empty: bool = False  # an article that came back without text: a story lost
    rejected_as: str | None = None  # why the extractor did not take it for an article
    problems: list[str] = field(default_factory=list)


def _minute(value: str | None) -> datetime | None:
    """A datetime with its offset, in UTC, to the minute (None without a time or an offset)."""
    if not value or len(value) <= 10:
        return None
    try:
        moment = dateutil_parser.isoparse(value.replace(" ", "T", 1))
    except (ValueError, OverflowError):
        return None
    return moment.astimezone(UTC).replace(second=0, microsecond=0) if moment.tzinfo else None


def _truth_authors(truth: dict) -> list[str] | None:
    return [a for a in truth.get("authors") or [] if a and a.strip()] or None


def _truth_tags(truth: dict) -> set[str]:
    return {t.casefold().strip() for t in [*(truth.get("topics") or []), *(truth.get("tags") or []),
                                           *(truth.get("categories") or [])] if t and t.strip()}


def score_page(entry: dict, truth: dict, result: Extraction, seconds: float) -> PageResult:
    page = PageResult(entry["id"], entry["url"], entry["page_type"], result.is_article, seconds,
                      rejected_as=None if result.is_article else result.rejected_as or "unnamed")
    if entry["page_type"] != "article":
        if result.is_article:
            page.problems.append(f"a {entry['page_type']} page taken for an article")
        return page
    if not result.is_article:
        page.problems.append(f"article rejected: {result.reason}")
    page.empty = not (result.is_article and result.text.strip())
    if truth.get("main_content"):
        page.precision, page.recall, page.f1 = word_scores(result.text, truth["main_content"])
    squashed = _squash(result.text)
    page.with_total = len(truth.get("with") or [])
    page.with_found = sum(1 for s in truth.get("with") or [] if _squash(s) in squashed)
    page.without_total = len(truth.get("without") or [])
    leaked = [s for s in truth.get("without") or [] if _squash(s) and f" {_squash(s)} " in f" {squashed} "]
    page.without_leaked = len(leaked)
    if truth.get("title"):
        page.title_ok = _squash(result.title) == _squash(truth.get("title"))
    if people := _truth_authors(truth):
        page.author_ok = {_squash(a) for a in result.authors} == {_squash(a) for a in people}
    elif truth.get("author"):
        page.author_ok = _name_words(" ".join(result.authors)) == _name_words(truth["author"])
    if truth.get("publish_date"):
        page.date_ok = result.day == str(truth["publish_date"])[:10]
        if (moment := _minute(str(truth["publish_date"]))) is not None:
            page.minute_ok = _minute(result.published_at) == moment
    if wanted := _truth_tags(truth):
        found = {t.casefold().strip() for t in result.tags if t.strip()}
        page.tags_overlap = len(found & wanted) / len(found | wanted)
    if page.f1 is not None and page.f1 < 0.8:
        page.problems.append(f"text F1 {page.f1:.2f} (P {page.precision:.2f}, R {page.recall:.2f})")
    if page.with_found < page.with_total:
        page.problems.append(f"missed {page.with_total - page.with_found} of {page.with_total} snippets")
    if leaked:
        page.problems.append(f"leaked boilerplate: {leaked[:2]}")
    if page.title_ok is False:
        page.problems.append(f"title {result.title!r} != {truth.get('title')!r}")
    if page.author_ok is False:
        page.problems.append(f"author {result.authors!r} != {people or truth.get('author')!r}")
    if page.date_ok is False:
        page.problems.append(f"date {result.day!r} != {truth.get('publish_date')!r}")
    elif page.minute_ok is False:
        page.problems.append(f"time {result.published_at!r} != {truth.get('publish_date')!r}")
    return page


def corpus_pages(corpus: Path, limit: int | None = None,
                 ids: set[str] | None = None) -> Iterator[tuple[dict, dict, bytes]]:
    """(index entry, truth, HTML bytes) for each page of a WCXB-layout corpus."""
    index = corpus / "index.jsonl"
    if not index.exists():
        raise FileNotFoundError(f"{corpus}: no index.jsonl (expected the WCXB layout: index.jsonl, html/, truth/)")
    count = 0
    for line in index.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if ids is not None and entry["id"] not in ids:
            continue
        truth = json.loads((corpus / "truth" / f"{entry['id']}.json").read_text(encoding="utf-8"))
        html = gzip.decompress((corpus / "html" / f"{entry['id']}.html.gz").read_bytes())
        yield entry, truth, html
        count += 1
        if limit and count >= limit:
            return


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


@dataclass
class Summary:
    extractor: str
    pages: int
    articles: int
    mean_f1: float | None
    median_f1: float | None
    mean_precision: float | None
    mean_recall: float | None
    with_found: float | None  # share of must-have snippets found
    pages_leaking: float | None  # share of article pages leaking a must-not-have snippet
    title_accuracy: float | None
    author_accuracy: float | None
    date_accuracy: float | None
    minute_accuracy: float | None  # publication time to the minute, where the truth has one
    tags_overlap: float | None
    snippet_precision: float | None  # over all pages' snippets: found `with` against leaked `without`
    snippet_recall: float | None
    snippet_f1: float | None
    empty_articles: int  # articles that came back without text (rejected, or nothing read)
    articles_kept: float | None  # share of articles recognised as articles
    non_articles_rejected: float | None
    pages_per_second: float  # per CPU-second of the process that read them
    # Why pages were not taken for articles: reason -> (non-articles, articles) rejected so.
    rejections: dict[str, tuple[int, int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(name: str, results: list[PageResult]) -> Summary:
    articles = [r for r in results if r.page_type == "article"]
    others = [r for r in results if r.page_type != "article"]
    f1s = [r.f1 for r in articles if r.f1 is not None]
    seconds = sum(r.seconds for r in results)
    found = sum(r.with_found for r in articles)
    missed = sum(r.with_total for r in articles) - found
    leaked = sum(r.without_leaked for r in articles)
    snippet_precision = found / (found + leaked) if found + leaked else None
    snippet_recall = found / (found + missed) if found + missed else None

    def share(flags: list[bool | None]) -> float | None:
        known = [f for f in flags if f is not None]
        return sum(known) / len(known) if known else None

    return Summary(
        extractor=name, pages=len(results), articles=len(articles),
        mean_f1=_mean(f1s), median_f1=statistics.median(f1s) if f1s else None,
        mean_precision=_mean([r.precision for r in articles if r.precision is not None]),
        mean_recall=_mean([r.recall for r in articles if r.recall is not None]),
        with_found=(sum(r.with_found for r in articles) / total) if (total := sum(r.with_total for r in articles))
        else None,
        pages_leaking=share([r.without_leaked > 0 for r in articles if r.without_total]),
        title_accuracy=share([r.title_ok for r in articles]),
        author_accuracy=share([r.author_ok for r in articles]),
        date_accuracy=share([r.date_ok for r in articles]),
        minute_accuracy=share([r.minute_ok for r in articles]),
        tags_overlap=_mean([r.tags_overlap for r in articles if r.tags_overlap is not None]),
        snippet_precision=snippet_precision, snippet_recall=snippet_recall,
        snippet_f1=(2 * snippet_precision * snippet_recall / (snippet_precision + snippet_recall)
                    if snippet_precision and snippet_recall else None),
        empty_articles=sum(r.empty for r in articles),
        articles_kept=share([r.is_article for r in articles]),
        non_articles_rejected=share([not r.is_article for r in others]),
        pages_per_second=len(results) / seconds if seconds else 0.0,
        rejections=_rejections(results),
    )


def _rejections(results: list[PageResult]) -> dict[str, tuple[int, int]]:
    """How many non-articles and how many articles each reason rejected, most used first."""
    counts: dict[str, list[int]] = {}
    for r in results:
        if r.rejected_as is not None:
            counts.setdefault(r.rejected_as, [0, 0])[1 if r.page_type == "article" else 0] += 1
    return {reason: (others, articles) for reason, (others, articles)
            in sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))}


def _score(page: tuple[Extractor, dict, dict, bytes]) -> PageResult:
    extractor, entry, truth, html = page
    started = time.process_time()  # CPU time: a busy machine slows the wall clock, not this
    try:
        result = extractor(html, entry["url"])
    except Exception as error:  # an extractor crash is a scored failure, not the end of the run
        result = Extraction(False, reason=f"crashed: {error!r}", rejected_as="crashed")
    return score_page(entry, truth, result, max(time.process_time() - started, 1e-9))


def _score_side_by_side(page: tuple[tuple[Extractor, ...], dict, dict, bytes, int]) -> list[PageResult]:
    extractors, entry, truth, html, number = page
    order = list(range(len(extractors)))
    if number % 2:
        order.reverse()  # take turns going first: warm caches and a busy machine favour no extractor
    results = {index: _score((extractors[index], entry, truth, html)) for index in order}
    return [results[index] for index in range(len(extractors))]


# A story in no declared language, read by each extractor once before any page is timed: what an
# extractor loads on first use (a language model, stop lists) is a cost per process, not per page.
_WARM_UP_URL = "https://warm-up.example/2024/06/the-council-approves-the-budget"
_WARM_UP_PAGE = ("<html><head><title>The council approves the budget</title></head><body><h1>The council "
                 "approves the budget</h1>" + "<p>The council approved the new budget for the rural roads "
                 "after weeks of talks, and work on the first of them starts in the spring.</p>" * 12
                 + "</body></html>").encode()


def _warm_up(extractors: tuple[Extractor, ...]) -> None:
    for extractor in extractors:
        _score((extractor, {"id": "warm-up", "url": _WARM_UP_URL, "page_type": "article"}, {}, _WARM_UP_PAGE))


def evaluate_side_by_side(corpus: Path, extractors: tuple[Extractor, ...], *, limit: int | None = None,
                          ids: set[str] | None = None, jobs: int = 1) -> list[list[PageResult]]:
    """Each extractor's results, every page scored in corpus order. All extractors read a page one
    after the other in the same process, so their pages per second compare even on a machine whose
    speed drifts. With ``jobs`` > 1 pages are scored in that many processes; each page is still
    timed on its own, so pages per second stays a one-core figure. Each process first warms both
    extractors up on one page of its own (``_warm_up``), untimed."""
    pages = ((extractors, entry, truth, html, number)
             for number, (entry, truth, html) in enumerate(corpus_pages(corpus, limit, ids)))
    if jobs <= 1:
        _warm_up(extractors)
        scored = [_score_side_by_side(page) for page in pages]
    else:
        with multiprocessing.get_context("spawn").Pool(jobs, initializer=_warm_up, initargs=(extractors,)) as pool:
            scored = list(pool.imap(_score_side_by_side, pages, chunksize=4))
    return [[results[index] for results in scored] for index in range(len(extractors))]


def evaluate(corpus: Path, extractor: Extractor = newsarchive_extractor, *, limit: int | None = None,
             ids: set[str] | None = None, jobs: int = 1) -> list[PageResult]:
    """Every page scored by one extractor, in corpus order (see ``evaluate_side_by_side``)."""
    return evaluate_side_by_side(corpus, (extractor,), limit=limit, ids=ids, jobs=jobs)[0]


def worst(results: list[PageResult], count: int) -> list[PageResult]:
    """The pages that went most wrong: misclassified first, then the lowest text F1."""
    def badness(r: PageResult) -> tuple:
        misclassified = (r.page_type == "article") != r.is_article
        return (not misclassified, r.f1 if r.f1 is not None else 1.0, -len(r.problems))

    return sorted([r for r in results if r.problems], key=badness)[:count]


SUMMARY_ROWS = [
    ("mean word F1", "mean_f1"), ("median word F1", "median_f1"), ("mean precision", "mean_precision"),
    ("mean recall", "mean_recall"), ("snippet precision", "snippet_precision"),
    ("snippet recall", "snippet_recall"), ("snippet F1", "snippet_f1"), ("`with` snippets found", "with_found"),
    ("pages leaking `without`", "pages_leaking"), ("articles returned empty", "empty_articles"),
    ("title exact", "title_accuracy"), ("authors exact", "author_accuracy"), ("publication day", "date_accuracy"),
    ("publication minute", "minute_accuracy"), ("tags overlap", "tags_overlap"),
    ("articles kept as articles", "articles_kept"), ("non-articles rejected", "non_articles_rejected"),
    ("pages per CPU-second", "pages_per_second"),
]
_WHOLE_NUMBERS = {"empty_articles"}
_ONE_DECIMAL = {"pages_per_second"}


def format_table(summaries: list[Summary]) -> str:
    """The figures side by side, one row each; a row no extractor has a value for is left out."""
    width = max(len(label) for label, _ in SUMMARY_ROWS)
    lines = [f"{'':<{width}}  " + "  ".join(f"{s.extractor:>13}" for s in summaries)]
    for label, key in SUMMARY_ROWS:
        values = [getattr(s, key) for s in summaries]
        if all(value is None for value in values):
            continue
        cells = [f"{'-':>13}" if value is None else f"{value:>13d}" if key in _WHOLE_NUMBERS
                 else f"{value:>13.1f}" if key in _ONE_DECIMAL else f"{value:>13.3f}" for value in values]
        lines.append(f"{label:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def format_rejections(summary: Summary) -> str:
    """Why ``summary``'s extractor did not take pages for articles, reason by reason."""
    width = max([len("rejected as"), *map(len, summary.rejections)])
    lines = [f"{'rejected as':<{width}}  {'non-articles':>12}  {'articles':>8}   ({summary.extractor})"]
    for reason, (others, articles) in summary.rejections.items():
        lines.append(f"{reason:<{width}}  {others:>12}  {articles:>8}")
    return "\n".join(lines)
