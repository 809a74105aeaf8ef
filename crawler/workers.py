"""The extraction pool: what a fetched page costs besides its write, done where extraction runs.

A crawl (``crawler.pipelines.ExtractionPipeline``) and an import (``archive.warcimport``) send
each page to ``extract_for_archive`` in worker processes, which hands back everything the archive
computes from a page (the article with its content hash and word count, the capture's SHA-256
digest), so that the process that writes the archive does little more than the write and the
capture's compression (with its site's dictionary, known where it is stored: ``archive.captures``).

The workers are started by ``crawler.pool``'s fork server, which imports this module once. It
imports neither Scrapy nor the database, so a worker loads only what it needs.
"""

from __future__ import annotations

import concurrent.futures
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from crawler.extraction.article import Article, NotAnArticle, Rejection, page_digest

# The reason a page is kept in ``rejected_pages`` when extraction did not finish with it (its
# worker died, it took too long, the extractor raised): the page is kept, ``reextract`` tries again.
EXTRACTION_FAILED = "extraction_failed"
EXTRACTION_TIMEOUT = "extract_timeout"
TIMER_SLACK = 0.001  # seconds: a timer signal may come this early


@dataclass(frozen=True)
class Extracted:
    article: Article | None  # None: extraction rejected the page, ``rejection`` says why
    rejection: Rejection | None = None
    mended_charset: bool = False  # the page's bytes were not in the charset it declared (or UTF-8)
    digest: str | None = None  # the capture's digest (``page_digest`` of the body)


def extract_for_archive(body: bytes, url: str, rules: Any, timezone: str, content_type: str | None) -> Extracted:
    """``extract()``, plus what the archive computes from each page (content hash, word count,
    digest), all where extraction runs: in a worker process, off the core of
    the process that writes. A page that is not an article comes back with its rejection, since
    the archive keeps it too."""
    from crawler.extraction import decode_page, extract  # (loaded once; the writer never needs them)

    html, mended = decode_page(body, content_type)
    try:
        article = extract(html, url, rules, timezone)
    except NotAnArticle as error:
        return Extracted(None, Rejection.of(error), mended, page_digest(body))
    _ = article.content_hash, article.word_count  # cached on the article, pickled back with it
    return Extracted(article, mended_charset=mended, digest=page_digest(body))


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop what runs inside after ``seconds`` with a ``TimeoutError``, where extraction runs in
    this process (``import --jobs 0``, ``add-site``'s samples): worker processes are stopped by
    their pool instead. A timer signal, so only in the main thread of a Unix process (elsewhere
    nothing is limited); a timer already set (a test runner's, a caller's) keeps its moment and
    its handler, and is set again afterwards with the time it has left."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    started = time.monotonic()
    deadline = started + seconds
    earlier_handler = signal.getsignal(signal.SIGALRM)
    earlier_delay, earlier_interval = signal.getitimer(signal.ITIMER_REAL)
    earlier_due = started + earlier_delay if earlier_delay > 0 else None

    def expired(signum: int, frame: Any) -> None:
        nonlocal earlier_due
        now = time.monotonic()
        if now >= deadline - TIMER_SLACK:
            raise TimeoutError(f"extraction took over {seconds:g} s")
        if earlier_due is not None and now >= earlier_due - TIMER_SLACK:  # the earlier timer's moment
            earlier_due = None
            signal.setitimer(signal.ITIMER_REAL, deadline - now)  # (before its handler, which may raise)
            if callable(earlier_handler):
                earlier_handler(signum, frame)
        else:
            signal.setitimer(signal.ITIMER_REAL, max(deadline - now, TIMER_SLACK))

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, earlier_delay) if earlier_delay > 0 else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, earlier_handler)
        if earlier_due is not None:
            signal.setitimer(signal.ITIMER_REAL, max(earlier_due - time.monotonic(), TIMER_SLACK), earlier_interval)


def failed_extraction(body: bytes, error: BaseException) -> Extracted:
    """What the archive keeps of a page whose extraction did not finish, for ``reextract`` to
    retry: the capture, under ``extract_timeout`` when it ran out of time, else (a worker that
    died, an extractor bug) under ``extraction_failed``, with the error as the detail."""
    timed_out = isinstance(error, (TimeoutError, concurrent.futures.TimeoutError))
    detail = f"{error.__class__.__name__}: {error}"[:500]
    return Extracted(None, Rejection(EXTRACTION_TIMEOUT if timed_out else EXTRACTION_FAILED, detail),
                     digest=page_digest(body))
