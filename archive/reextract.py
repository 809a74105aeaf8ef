"""Re-extraction: rebuild every article from its stored capture, with no network, and decide again
about every page extraction once rejected.

After upgrading trafilatura or changing a site's rules, the archive catches up from the HTML it
already holds; a changed result becomes a new version like any edit would. A rejected page that is
now an article is stored as one (and leaves ``rejected_pages``); one still rejected keeps its row,
with the new reason, detail and score.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlite_utils

from archive.captures import CaptureDecoder, CaptureError
from archive.store import store_article, transaction, update_rejection
from crawler.extraction import Article, NotAnArticle, extract
from crawler.sites import ExtractionRules

RulesForSite = Callable[[str], tuple[ExtractionRules, str | None]]

CAPTURES_SQL = """
select a.id, a.site, a.section, a.url, a.last_capture_id, c.url, c.compressed_body, c.codec, c.dictionary_id,
       c.headers
from articles a join captures c on c.id = a.last_capture_id
where (:site is null or a.site = :site)
order by a.id
"""

REJECTED_SQL = """
select r.url, r.site, r.section, r.reason, r.detail, r.score, r.last_fetched_at, r.capture_id,
       c.url, c.compressed_body, c.codec, c.dictionary_id, c.headers
from rejected_pages r join captures c on c.id = r.capture_id
where (:site is null or r.site = :site)
order by r.id
"""


@dataclass
class ReextractReport:
    articles: int = 0
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    without_capture: int = 0
    rejected: int = 0  # rejected pages decided again
    now_articles: list[str] = field(default_factory=list)  # rejected pages that are articles now
    still_rejected: int = 0
    reason_changed: list[tuple[str, str, str]] = field(default_factory=list)  # (url, old reason, new reason)
    rejected_failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    # fetched again while this ran (a crawl beside it): left as the crawl stored them, not rolled back
    fetched_meanwhile: list[str] = field(default_factory=list)



def _writing(db: sqlite_utils.Database, dry_run: bool) -> contextlib.AbstractContextManager:
    """One transaction for the check that a row still points at the capture read and the write
    after it (a crawl beside this may store a newer fetch); a dry run writes nothing."""
    return contextlib.nullcontext() if dry_run else transaction(db)


def _read_again(rules_for_site: RulesForSite, site_name: str, url: str, body: bytes, headers: str | None) -> Article:
    """A kept capture's body through extraction with its site's rules as they are now (raises NotAnArticle)."""
    rules, timezone = rules_for_site(site_name)
    content_type = json.loads(headers or "{}").get("content-type")
    return extract(body, url, rules, timezone, content_type)

def reextract(db: sqlite_utils.Database, rules_for_site: RulesForSite, *, site: str | None = None,
              dry_run: bool = False) -> ReextractReport:
    """Extract every article (of ``site``) again from its latest capture and store what changed;
    then decide again about every rejected page (of ``site``) from its latest capture."""
    report = ReextractReport()
    total = db.execute("select count(*) from articles where (:site is null or site = :site)", {"site": site})
    rows = db.execute(CAPTURES_SQL, {"site": site}).fetchall()
    report.without_capture = total.fetchone()[0] - len(rows)
    decode = CaptureDecoder(db)
    for article_id, site_name, section, url, capture_id, capture_url, compressed, codec, dictionary_id, headers in rows:
        report.articles += 1
        try:
            body = decode(compressed, codec, dictionary_id)
            article = _read_again(rules_for_site, site_name, capture_url, body, headers)
        except CaptureError as error:
            report.failed.append((url, str(error)))
            continue
        except NotAnArticle as reason:
            report.failed.append((url, f"no longer an article: {reason}"))
            continue
        except Exception as error:  # a page that breaks the new extractor is reported, not fatal
            report.failed.append((url, f"extraction failed: {error}"))
            continue
        article = dataclasses.replace(article, url=url)  # the row keeps its identity
        with _writing(db, dry_run):
            current, last_fetched, latest = db.execute(
                "select content_hash, last_fetched_at, last_capture_id from articles where id = ?",
                [article_id]).fetchone()
            if latest != capture_id:  # a crawl stored a newer fetch since the rows were read
                report.fetched_meanwhile.append(url)
                continue
            if current == article.content_hash:
                report.unchanged += 1
            else:
                report.changed.append(url)
            if not dry_run:
                # Metadata may improve even when the text does not; the fetch times stay as they were.
                store_article(db, article, site=site_name, section=section, fetched_at=last_fetched)
    _redecide_rejected(db, rules_for_site, report, site=site, dry_run=dry_run)
    return report


def _redecide_rejected(db: sqlite_utils.Database, rules_for_site: RulesForSite, report: ReextractReport, *,
                       site: str | None, dry_run: bool) -> None:
    rows = db.execute(REJECTED_SQL, {"site": site}).fetchall()
    decode = CaptureDecoder(db)
    for (url, site_name, section, reason, detail, score, last_fetched, capture_id, capture_url, compressed, codec,
         dictionary_id, headers) in rows:
        report.rejected += 1
        try:
            body = decode(compressed, codec, dictionary_id)
            article = _read_again(rules_for_site, site_name, capture_url, body, headers)
        except CaptureError as error:
            report.rejected_failed.append((url, str(error)))
            continue
        except NotAnArticle as rejection:
            report.still_rejected += 1
            if rejection.reason != reason:
                report.reason_changed.append((url, reason, rejection.reason))
            if not dry_run and (rejection.reason, rejection.detail or None, rejection.score) != (reason, detail, score):
                update_rejection(db, url, reason=rejection.reason, detail=rejection.detail, score=rejection.score)
            continue
        except Exception as error:
            report.rejected_failed.append((url, f"extraction failed: {error}"))
            continue
        with _writing(db, dry_run):
            latest = db.execute("select capture_id from rejected_pages where url = ?", [url]).fetchone()
            if latest is None or latest[0] != capture_id:  # fetched again (or stored) by a crawl meanwhile
                report.fetched_meanwhile.append(url)
                continue
            report.now_articles.append(url)
            if not dry_run:
                # Under the URL a crawl would store it by (its rel=canonical), from the capture already kept.
                store_article(db, article, site=site_name, section=section, fetched_at=last_fetched,
                              capture_id=capture_id)
