"""Writes to the archive: one transaction per article, so a crawl killed at any moment leaves
either the whole article (row, version, capture, FTS entry) or none of it. A page that extraction
rejected is kept too (its capture and a ``rejected_pages`` row), so no fetched page is lost.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlite_utils

from archive.captures import encoder_for
from archive.fulltext import index_article
from crawler.extraction import Article, Capture, Rejection
from crawler.urls import canonical_url

# Headers worth keeping with a capture: enough for conditional re-fetches and for WARC export.
KEPT_HEADERS = ("content-type", "etag", "last-modified", "content-language", "date", "location")


class Outcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"  # a conditional request answered 304


@dataclass(frozen=True)
class Stored:
    article_id: int
    outcome: Outcome
    version: int
    capture_id: int | None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error; then the work that waits for
    a commit (``_after_commit``).

    Inside another transaction (a batch of writes committed together, ``GroupWriter``) it is a
    savepoint of that one: rolled back alone on error, committed with the batch.
    Plain SQL inside: sqlite-utils' write helpers commit on their own, which would split the unit.
    """
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT unit")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO unit")
            conn.execute("RELEASE unit")
            raise
        conn.execute("RELEASE unit")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()  # a COMMIT that fails (a deferred constraint, a full disk) leaves it open
        raise
    _after_commit(db)


def _after_commit(db: sqlite_utils.Database) -> None:
    """What waits for the outermost commit, the one place it runs: a site's capture dictionary
    that fell due is trained from the captures now committed (in a transaction of its own; it
    never raises, so a committed write is never reported failed)."""
    encoder_for(db).train_due()


def _insert_capture(db: sqlite_utils.Database, capture: Capture, site: str, run_id: int | None) -> int:
    """The capture's row, its body compressed as ``archive.captures`` does for the site."""
    headers = {k.lower(): v for k, v in capture.headers.items() if k.lower() in KEPT_HEADERS}
    encoded = encoder_for(db).encode(site, capture.body)
    cursor = db.conn.execute(
        "INSERT INTO captures (url, site, crawl_run_id, fetched_at, status, content_type, etag,"
        " last_modified, headers, digest, size, compressed_body, codec, dictionary_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (capture.url, site, run_id, capture.fetched_at or utc_now(), capture.status,
         headers.get("content-type"), headers.get("etag"), headers.get("last-modified"),
         json.dumps(headers, sort_keys=True), capture.digest, len(capture.body),
         encoded.body, encoded.codec, encoded.dictionary_id),
    )
    return cursor.lastrowid


def _article_values(article: Article) -> dict[str, object]:
    return {
        "title": article.title, "description": article.description,
        "authors": json.dumps(list(article.authors), ensure_ascii=False),
        "published_at": article.published_at, "published_raw": article.published_raw,
        "modified_at": article.modified_at, "modified_raw": article.modified_raw,
        "language": article.language, "tags": json.dumps(list(article.tags), ensure_ascii=False),
        "categories": json.dumps(list(article.categories), ensure_ascii=False), "image": article.image,
        "site_name": article.site_name, "text": article.text, "word_count": article.word_count,
        "content_hash": article.content_hash, "uncertain": int(article.uncertain),
        "declared_title": article.declared_title,
    }


def section_name(section: str | None) -> str | None:
    """A section as stored: white space folded and case-folded, so that a listing's "business" and
    a page's own category "Business" are one facet."""
    name = " ".join((section or "").split()).casefold()
    return name or None


def store_article(db: sqlite_utils.Database, article: Article, *, site: str, section: str | None = None,
                  capture: Capture | None = None, run_id: int | None = None,
                  fetched_at: str | None = None, capture_id: int | None = None) -> Stored:
    """Insert or update one article, its capture and (when the content changed) a new version.

    ``capture_id`` names a capture already stored that the article comes from (a rejected page
    that re-extraction now takes for an article). A page kept in ``rejected_pages`` under the
    article's URL or its capture's leaves it: it is an article now.
    A new article found through a feed or sitemap has no listing section: its own first category is
    used. Sections are stored as ``section_name`` gives them.
    """
    section = section_name(section or next(iter(article.categories), None))
    fetched_at = fetched_at or (capture.fetched_at if capture and capture.fetched_at else utc_now())
    values = _article_values(article)
    return _store_article(db, article, site, section, values, capture, run_id, fetched_at, capture_id)


def _store_article(db: sqlite_utils.Database, article: Article, site: str, section: str | None,
                   values: dict[str, object], capture: Capture | None, run_id: int | None, fetched_at: str,
                   capture_id: int | None) -> Stored:
    """``store_article``'s one transaction."""
    with transaction(db) as conn:
        if capture:
            capture_id = _insert_capture(db, capture, site, run_id)
        conn.execute("DELETE FROM rejected_pages WHERE url IN (?, ?) OR capture_id = ?",
                     (article.url, canonical_url(capture.url) if capture else article.url, capture_id))
        row = conn.execute(
            "SELECT id, content_hash, version, last_fetched_at,"
            " title IS NOT ? OR description IS NOT ? OR text IS NOT ? FROM articles WHERE url = ?",
            (article.title, article.description, article.text, article.url)).fetchone()
        if row is not None and row[3] and fetched_at < row[3]:  # an older fetch arriving late (an import)
            outcome, version = _store_earlier_fetch(conn, row[0], article, fetched_at, capture_id, run_id)
            return Stored(article_id=row[0], outcome=outcome, version=version, capture_id=capture_id)
        if row is None:
            columns = {**values, "site": site, "section": section, "url": article.url, "version": 1,
                       "first_seen_at": fetched_at, "last_fetched_at": fetched_at,
                       "last_changed_at": fetched_at, "last_capture_id": capture_id}
            article_id = conn.execute(
                f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                tuple(columns.values()),
            ).lastrowid
            outcome, version = Outcome.NEW, 1
        else:
            article_id, old_hash, version, _, indexed_changed = row
            if old_hash == article.content_hash:
                # Metadata (tags, dates) may still have been corrected; the text is the same.
                columns = {**values, "last_fetched_at": fetched_at,
                           "last_capture_id": capture_id if capture_id else None}
                outcome = Outcome.UNCHANGED
            else:
                version += 1
                columns = {**values, "version": version, "last_fetched_at": fetched_at,
                           "last_changed_at": fetched_at, "last_capture_id": capture_id}
                outcome = Outcome.CHANGED
            if columns["last_capture_id"] is None:
                del columns["last_capture_id"]
            assignments = ", ".join(f"{name} = ?" for name in columns)
            conn.execute(f"UPDATE articles SET {assignments} WHERE id = ?", (*columns.values(), article_id))
        if row is None or indexed_changed:  # an unchanged re-fetch leaves the search indexes alone
            index_article(conn, article_id, article.title, article.description, article.text)
        if outcome is not Outcome.UNCHANGED:
            # The current version's text is the article's: NULL here until a newer version replaces it
            conn.execute(
                "INSERT INTO article_versions (article_id, version, title, text, content_hash, fetched_at,"
                " capture_id, crawl_run_id) VALUES (?,?,?,NULL,?,?,?,?)",
                (article_id, version, article.title, article.content_hash, fetched_at,
                 capture_id, run_id),
            )
    return Stored(article_id=article_id, outcome=outcome, version=version, capture_id=capture_id)


def _store_earlier_fetch(conn: sqlite3.Connection, article_id: int, article: Article, fetched_at: str,
                         capture_id: int | None, run_id: int | None) -> tuple[Outcome, int]:
    """Place a fetch older than the article's latest among its versions, by fetch time: the row
    keeps the newest text; a text not seen at that time becomes a version of its own (later ones
    renumbered), a text equal to the next version's moves that version's first sighting back. A
    fetch later than every version but earlier than the article's latest fetch is a story that
    changed and changed back: the latest fetch becomes the newest version, after this one."""
    conn.execute("UPDATE articles SET first_seen_at = min(first_seen_at, ?) WHERE id = ?", (fetched_at, article_id))
    versions = conn.execute("SELECT version, content_hash, fetched_at FROM article_versions WHERE article_id = ?"
                            " ORDER BY version", (article_id,)).fetchall()
    before = [v for v in versions if v[2] <= fetched_at]
    after = [v for v in versions if v[2] > fetched_at]
    if before and before[-1][1] == article.content_hash:
        return Outcome.UNCHANGED, before[-1][0]
    if after and after[0][1] == article.content_hash:
        conn.execute("UPDATE article_versions SET fetched_at = ?, capture_id = ?, crawl_run_id = ?"
                     " WHERE article_id = ? AND version = ?", (fetched_at, capture_id, run_id, article_id, after[0][0]))
        if after[0] == versions[-1]:
            conn.execute("UPDATE articles SET last_changed_at = ? WHERE id = ?", (fetched_at, article_id))
        return Outcome.UNCHANGED, after[0][0]
    number = before[-1][0] + 1 if before else 1
    if not after:
        # Every version is older than this fetch, yet the article was fetched since with its current
        # text (a story changed and changed back): that later sighting becomes a version of its own,
        # the newest, after this one. The version before keeps its text in its row, since only the
        # current version's row has text NULL (migration 8).
        conn.execute("UPDATE article_versions SET text = (SELECT text FROM articles WHERE id = ?)"
                     " WHERE article_id = ? AND version = ? AND text IS NULL", (article_id, article_id, number - 1))
        conn.execute(
            "INSERT INTO article_versions (article_id, version, title, text, content_hash, fetched_at, capture_id,"
            " crawl_run_id) VALUES (?,?,?,?,?,?,?,?)",
            (article_id, number, article.title, article.text, article.content_hash, fetched_at, capture_id, run_id))
        conn.execute(
            "INSERT INTO article_versions (article_id, version, title, text, content_hash, fetched_at, capture_id,"
            " crawl_run_id) SELECT id, ?, title, NULL, content_hash, last_fetched_at, last_capture_id,"
            " (SELECT crawl_run_id FROM captures WHERE id = last_capture_id) FROM articles WHERE id = ?",
            (number + 1, article_id))
        conn.execute("UPDATE articles SET version = ?, last_changed_at = last_fetched_at WHERE id = ?",
                     (number + 1, article_id))
        return Outcome.CHANGED, number
    # two steps, as the unique (article_id, version) index is checked row by row
    conn.execute("UPDATE article_versions SET version = -(version + 1) WHERE article_id = ? AND version >= ?",
                 (article_id, number))
    conn.execute("UPDATE article_versions SET version = -version WHERE article_id = ? AND version < 0", (article_id,))
    conn.execute(
        "INSERT INTO article_versions (article_id, version, title, text, content_hash, fetched_at, capture_id,"
        " crawl_run_id) VALUES (?,?,?,?,?,?,?,?)",
        (article_id, number, article.title, article.text, article.content_hash, fetched_at, capture_id, run_id))
    conn.execute("UPDATE articles SET version = version + 1 WHERE id = ?", (article_id,))
    return Outcome.CHANGED, number


def capture_stored(db: sqlite_utils.Database, capture: Capture) -> bool:
    """Whether the archive holds this very fetch already (same URL, fetch time and body): a
    replayed hand-off, or a record imported again after an interruption."""
    # the body is hashed only when a capture of that URL at that time exists (rarely)
    found = {digest for digest, in db.execute("SELECT digest FROM captures WHERE url = ? AND fetched_at = ?",
                                               (capture.url, capture.fetched_at))}
    return bool(found) and capture.digest in found


def store_rejected(db: sqlite_utils.Database, url: str, *, site: str, section: str | None = None,
                   capture: Capture, reason: str, detail: str = "", score: float | None = None,
                   run_id: int | None = None) -> int:
    """Keep a page that extraction rejected, in one transaction: its capture, and its one
    ``rejected_pages`` row (by canonical ``url``) with the latest reason, detail, score and capture.

    A capture identical to the row's latest one is not stored twice (the row's fetch time moves
    on); an older fetch arriving late is stored but leaves the row on the newer one. Returns the
    id of the capture the row points at.
    """
    fetched_at = capture.fetched_at or utc_now()
    section = section_name(section)
    with transaction(db) as conn:
        latest = conn.execute("SELECT c.id, c.digest FROM rejected_pages r JOIN captures c ON c.id = r.capture_id"
                              " WHERE r.url = ?", (url,)).fetchone()
        digest = capture.digest  # hashed once, here or where the page was extracted
        if latest is not None and latest[1] == digest:
            capture_id = latest[0]
        else:
            capture_id = _insert_capture(
                db, dataclasses.replace(capture, fetched_at=fetched_at, body_digest=digest), site, run_id)
        conn.execute(
            "INSERT INTO rejected_pages (url, site, section, reason, detail, score, first_fetched_at, last_fetched_at,"
            " capture_id, run_id) VALUES (?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (url) DO UPDATE SET site = excluded.site, section = coalesce(excluded.section, section),"
            " reason = excluded.reason, detail = excluded.detail, score = excluded.score,"
            " last_fetched_at = excluded.last_fetched_at, capture_id = excluded.capture_id,"
            " run_id = coalesce(excluded.run_id, run_id)"
            " WHERE excluded.last_fetched_at >= rejected_pages.last_fetched_at",
            (url, site, section, reason, detail or None, score, fetched_at, fetched_at, capture_id, run_id),
        )
        row = conn.execute("SELECT capture_id FROM rejected_pages WHERE url = ?", (url,)).fetchone()
    return row[0]


@dataclass(frozen=True)
class StoredPage:
    """What ``store_page`` made of one fetched page."""

    article: Stored | None = None  # an article: its row, version and capture
    rejected_capture_id: int | None = None  # a rejected page: the capture its ``rejected_pages`` row points at
    not_modified: bool = False  # a 304 that moved an archived article's last fetch on
    replayed: bool = False  # ``unless_stored``, and the archive held this very fetch already: nothing written


def store_page(db: sqlite_utils.Database, capture: Capture, *, site: str, section: str | None = None,
               article: Article | None = None, rejection: Rejection | None = None, run_id: int | None = None,
               unless_stored: bool = False) -> StoredPage:
    """Store one fetched page, whole or not at all, as every writer does (the crawl's pipeline, the
    distributed writer, ``newsarchive import``): an ``article`` (``store_article``: its row, a version
    when its text changed, the capture); a page extraction rejected (``store_rejected``: its capture,
    and its ``rejected_pages`` row under the canonical URL, with the ``rejection``'s reason, detail
    and score); or, with neither, a conditional re-check that answered 304 (``touch_not_modified``).

    The capture's digest is the one it carries (computed where the page was read, or handed off
    with it), else hashed here, once. With ``unless_stored``, a fetch the archive already holds (a
    hand-off replayed after a writer died) is not stored again. A capture dictionary that falls due
    is trained once the page is committed (in a batch, once the batch is: ``transaction``).
    """
    if article is not None and rejection is not None:
        raise ValueError(f"{capture.url}: a page is an article or a rejected page, not both")
    if article is None and rejection is None:
        if capture.status != 304:
            raise ValueError(f"{capture.url}: a page with status {capture.status} needs an article or a rejection")
        return StoredPage(not_modified=touch_not_modified(db, capture.url, capture.fetched_at))
    with transaction(db):
        if unless_stored and capture_stored(db, capture):
            return StoredPage(replayed=True)
        if rejection is not None:
            kept = store_rejected(db, canonical_url(capture.url), site=site, section=section, capture=capture,
                                  reason=rejection.reason, detail=rejection.detail, score=rejection.score,
                                  run_id=run_id)
            page = StoredPage(rejected_capture_id=kept)
        else:
            page = StoredPage(article=store_article(db, article, site=site, section=section, capture=capture,
                                                    run_id=run_id))
    return page


def update_rejection(db: sqlite_utils.Database, url: str, *, reason: str, detail: str = "",
                     score: float | None = None) -> bool:
    """Record a new decision about a kept rejected page (re-extraction); its fetches stay as they were."""
    with transaction(db) as conn:
        cursor = conn.execute("UPDATE rejected_pages SET reason = ?, detail = ?, score = ? WHERE url = ?",
                              (reason, detail or None, score, url))
    return cursor.rowcount == 1


def touch_not_modified(db: sqlite_utils.Database, url: str, fetched_at: str | None = None) -> bool:
    """Record that a conditional re-check answered 304: the article was seen, nothing changed."""
    with transaction(db) as conn:
        cursor = conn.execute("UPDATE articles SET last_fetched_at = ? WHERE url = ?", (fetched_at or utc_now(), url))
    return cursor.rowcount == 1


COUNT_COLUMNS = ("pages", "articles_new", "articles_changed", "articles_unchanged", "articles_not_modified",
                 "skipped", "errors")


def run_counts(stats: dict[str, Any], site: str) -> dict[str, int]:
    """A site's ``crawl_runs`` counts from crawl statistics (``news/<site>/...`` counted by the
    spider, ``archive/<site>/...`` by the pipelines)."""
    def value(key: str) -> int:
        return int(stats.get(key.format(site=site), 0) or 0)

    return {
        "pages": value("news/{site}/pages"),
        "articles_new": value("archive/{site}/saved/new"),
        "articles_changed": value("archive/{site}/saved/changed"),
        "articles_unchanged": value("archive/{site}/saved/unchanged"),
        "articles_not_modified": value("archive/{site}/saved/not_modified"),
        "skipped": sum(int(v) for k, v in stats.items()
                       if k.startswith((f"archive/{site}/skipped/", f"news/{site}/skipped/"))),
        "errors": value("news/{site}/errors") + value("archive/{site}/errors"),
    }


def blocked_by(stats: dict[str, Any], site: str) -> str | None:
    """Why a site's run ended ``blocked`` (its crawl stopped at a bot wall), from crawl statistics;
    None when it did not."""
    if not stats.get(f"news/{site}/stopped_at_bot_wall"):
        return None
    return (f"stopped at a bot wall: {stats.get(f'news/{site}/skipped/bot_challenge', 0)} challenge(s) answered, "
            f"{stats.get(f'news/{site}/skipped/behind_bot_wall', 0)} request(s) left unsent")


def run_outcome(finish_reason: str) -> tuple[str, str | None]:
    """A run's outcome, and the note recorded beside it, from the reason Scrapy closed the spider.

    Scrapy's CloseSpider extension stops a crawl at a limit the user set (``CLOSESPIDER_ITEMCOUNT``,
    ``_PAGECOUNT``, ``_TIMEOUT``...): such a run finished, by its limit. Its error limit
    (``CLOSESPIDER_ERRORCOUNT``) is a failure; a shutdown (SIGTERM, Ctrl-C) an interruption."""
    if finish_reason == "finished":
        return "finished", None
    if finish_reason.startswith("closespider_") and finish_reason != "closespider_errorcount":
        return "finished", f"stopped at its limit, {finish_reason.upper()}"
    if finish_reason in ("shutdown", "cancelled"):
        return "interrupted", f"crawl ended: {finish_reason}"
    return "failed", f"crawl ended: {finish_reason}"


def start_run(db: sqlite_utils.Database, site: str, started_at: str | None = None) -> int:
    with transaction(db) as conn:
        return conn.execute(
            "INSERT INTO crawl_runs (site, started_at, outcome, pid) VALUES (?, ?, 'running', ?)",
            (site, started_at or utc_now(), os.getpid()),
        ).lastrowid


def finish_run(db: sqlite_utils.Database, run_id: int, outcome: str, counts: dict[str, int],
               *, error: str | None = None, stats: dict | None = None) -> None:
    """Close a run with its outcome (finished, failed, interrupted…) and its counts; a run that
    "finished" without fetching a single page, only errors, failed."""
    known = {name: int(counts.get(name, 0)) for name in COUNT_COLUMNS}
    if outcome == "finished" and known["pages"] == 0 and known["errors"]:
        outcome, error = "failed", "no page could be fetched"
    with transaction(db) as conn:
        conn.execute(
            f"UPDATE crawl_runs SET finished_at = ?, outcome = ?, error = ?, stats = ?,"
            f" {', '.join(f'{name} = ?' for name in known)} WHERE id = ?",
            (utc_now(), outcome, error, json.dumps(stats or {}, default=str, sort_keys=True),
             *known.values(), run_id),
        )


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists in this process's pid namespace (a zombie too)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# What a run stored, for a run whose process died before it could write its counts: each fetch
# stored is a capture of the run; a new article, or a changed one, a version of it; a page
# extraction rejected, its rejected_pages row (while the run is still its latest fetch).
STORED_COUNTS_SQL = """
select
  (select count(*) from captures where crawl_run_id = :run) as pages,
  (select count(*) from article_versions where crawl_run_id = :run and version = 1) as articles_new,
  (select count(*) from article_versions where crawl_run_id = :run and version > 1) as articles_changed,
  (select count(*) from captures c where c.crawl_run_id = :run
     and c.id not in (select capture_id from article_versions where crawl_run_id = :run and capture_id is not null)
     and c.id not in (select capture_id from rejected_pages)) as articles_unchanged,
  (select count(*) from rejected_pages where run_id = :run) as skipped
"""


def stored_counts(db: sqlite_utils.Database, run_id: int) -> dict[str, int]:
    """A run's counts as the archive holds them (pages fetched but not stored, and errors, are
    not there: only the run's own process counted those)."""
    return next(db.query(STORED_COUNTS_SQL, {"run": run_id}))


def close_abandoned_runs(db: sqlite_utils.Database) -> int:
    """Mark runs still 'running' whose process is gone as 'interrupted', with the counts of what
    they stored (a process killed outright never wrote its counts); return how many."""
    rows = db.execute("SELECT id, pid FROM crawl_runs WHERE outcome = 'running'").fetchall()
    dead = [run_id for run_id, pid in rows if not pid_alive(pid)]
    return close_interrupted(db, dead, "the crawl process ended without closing its run; counts are what it stored")


def close_interrupted(db: sqlite_utils.Database, run_ids: Iterable[int], error: str) -> int:
    """Mark those of ``run_ids`` still 'running' as 'interrupted', with the counts of what they
    stored, and ``error`` as the reason; return how many."""
    wanted = set(run_ids)
    running = [row[0] for row in db.execute("SELECT id FROM crawl_runs WHERE outcome = 'running'")]  # (few)
    settled = {run_id: stored_counts(db, run_id) for run_id in running if run_id in wanted}
    if settled:
        with transaction(db) as conn:
            for run_id, counts in settled.items():
                conn.execute(
                    "UPDATE crawl_runs SET outcome = 'interrupted', finished_at = ?, error = ?,"
                    f" {', '.join(f'{name} = max({name}, ?)' for name in counts)}"
                    " WHERE id = ? AND outcome = 'running'",
                    (utc_now(), error, *counts.values(), run_id),
                )
    return len(settled)
