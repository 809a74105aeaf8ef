"""The archive database: open or create it, in WAL mode, with its schema brought up to date.

Schema changes are numbered migrations recorded in ``PRAGMA user_version``, so an archive made by
an older newsarchive opens in a newer one.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from archive.fulltext import has_unspaced_script, index_article

SCHEMA_VERSION_PRAGMA = "user_version"
BUSY_TIMEOUT_MS = 30_000


class ArchiveError(Exception):
    """The archive cannot be opened or used; the message says why."""


def _v1_initial(db: sqlite_utils.Database) -> None:
    db["crawl_runs"].create({
        "id": int, "site": str, "started_at": str, "finished_at": str, "outcome": str,
        "error": str, "pid": int, "pages": int, "articles_new": int, "articles_changed": int,
        "articles_unchanged": int, "skipped": int, "errors": int, "stats": str,
    }, pk="id", not_null={"site", "started_at", "outcome"}, defaults={
        "pages": 0, "articles_new": 0, "articles_changed": 0, "articles_unchanged": 0,
        "skipped": 0, "errors": 0, "outcome": "running",
    })
    db["articles"].create({
        "id": int, "site": str, "section": str, "url": str, "title": str, "description": str,
        "authors": str, "published_at": str, "published_raw": str, "modified_at": str,
        "modified_raw": str, "language": str, "tags": str, "categories": str, "image": str,
        "site_name": str, "text": str, "word_count": int, "content_hash": str,
        "first_seen_at": str, "last_fetched_at": str, "last_changed_at": str, "version": int,
        "last_capture_id": int,
    }, pk="id", not_null={"site", "url", "title", "text", "content_hash", "first_seen_at", "version"},
        defaults={"authors": "[]", "tags": "[]", "categories": "[]", "version": 1})
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["site", "published_at"])
    db["articles"].create_index(["published_at"])
    db["articles"].enable_fts(["title", "description", "text"], create_triggers=True, tokenize="porter")
    db["article_versions"].create({
        "id": int, "article_id": int, "version": int, "title": str, "text": str,
        "content_hash": str, "fetched_at": str, "capture_id": int, "crawl_run_id": int,
    }, pk="id", foreign_keys=[("article_id", "articles", "id")],
        not_null={"article_id", "version", "title", "text", "content_hash", "fetched_at"})
    db["article_versions"].create_index(["article_id", "version"], unique=True)
    db["captures"].create({
        "id": int, "url": str, "site": str, "crawl_run_id": int, "fetched_at": str, "status": int,
        "content_type": str, "etag": str, "last_modified": str, "headers": str, "digest": str,
        "size": int, "body_gzip": bytes,
    }, pk="id", foreign_keys=[("crawl_run_id", "crawl_runs", "id")],
        not_null={"url", "site", "fetched_at", "status", "digest", "size"})
    db["captures"].create_index(["url", "fetched_at"])
    db["captures"].create_index(["digest"])


def _v2_recheck(db: sqlite_utils.Database) -> None:
    """Conditional re-checks: count 304s per run; find an article's captures by URL quickly."""
    db["crawl_runs"].add_column("articles_not_modified", int, not_null_default=0)


def _v3_learned_boilerplate(db: sqlite_utils.Database) -> None:
    """Lines learned as a site's furniture: kept once learned, so stripping them from the stored
    texts does not make the archive forget them."""
    db["boilerplate_lines"].create({
        "site": str, "line": str, "articles": int, "sample": int, "learned_at": str,
    }, pk=("site", "line"), not_null={"site", "line", "learned_at"})


def _v4_rejected_pages(db: sqlite_utils.Database) -> None:
    """Pages fetched as candidate articles that extraction rejected, kept with their latest capture
    and the reason, so that ``reextract`` can decide again; articles kept near the page-type
    decision's boundary are flagged ``uncertain`` for the same reason."""
    db["rejected_pages"].create({
        "id": int, "url": str, "site": str, "section": str, "reason": str, "detail": str, "score": float,
        "first_fetched_at": str, "last_fetched_at": str, "capture_id": int, "run_id": int,
    }, pk="id", foreign_keys=[("capture_id", "captures", "id"), ("run_id", "crawl_runs", "id")],
        not_null={"url", "site", "reason", "first_fetched_at", "last_fetched_at", "capture_id"})
    db["rejected_pages"].create_index(["url"], unique=True)
    db["rejected_pages"].create_index(["site", "reason"])
    # store_article looks a page up by its capture too, on every write: an index, not a scan
    db["rejected_pages"].create_index(["capture_id"])
    db["articles"].add_column("uncertain", int, not_null_default=0)


def _v5_bigram_search(db: sqlite_utils.Database) -> None:
    """Search that finds words of scripts written without spaces (Chinese, Japanese, Thai):
    ``articles_bigrams``, a second FTS5 index of the articles that hold any (see archive.fulltext),
    filled for the articles already archived. Triggers drop an article's row when the article is
    deleted or its text edited other than by ``store_article``, which writes the row."""
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS articles_bigrams USING fts5(title, description, text,"
               " tokenize='porter')")
    db.execute("CREATE TRIGGER IF NOT EXISTS articles_bigrams_ad AFTER DELETE ON articles"
               " BEGIN DELETE FROM articles_bigrams WHERE rowid = old.rowid; END")
    db.execute("CREATE TRIGGER IF NOT EXISTS articles_bigrams_au AFTER UPDATE OF title, description, text"
               " ON articles BEGIN DELETE FROM articles_bigrams WHERE rowid = old.rowid; END")
    for article_id, title, description, text in db.conn.execute("SELECT id, title, description, text FROM articles"):
        if has_unspaced_script(title, description, text):
            index_article(db.conn, article_id, title, description, text)


def _v6_import_progress(db: sqlite_utils.Database) -> None:
    """``newsarchive import``'s progress per WARC file (a WACZ's each WARC): every record before
    ``done_offset`` is imported, so an interrupted import resumes there; ``finished_at`` once whole."""
    db["import_files"].create({
        "source": str, "size": int, "done_offset": int, "records": int, "started_at": str, "updated_at": str,
        "finished_at": str, "run_id": int,
    }, pk="source", not_null={"source", "done_offset", "records", "started_at"},
        defaults={"done_offset": 0, "records": 0})


# Append only: each entry turns version N into N + 1. Never edit one that has shipped.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial, _v2_recheck, _v3_learned_boilerplate, _v4_rejected_pages, _v5_bigram_search,
    _v6_import_progress,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute(f"PRAGMA {SCHEMA_VERSION_PRAGMA}").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations this archive lacks, each in its own transaction; return the version."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise ArchiveError(f"archive schema version {current} is newer than this newsarchive "
                           f"understands ({SCHEMA_VERSION}); upgrade newsarchive")
    for number in range(current, SCHEMA_VERSION):
        with db.conn:
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA {SCHEMA_VERSION_PRAGMA} = {number + 1}")
    return SCHEMA_VERSION


def open_archive(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """The archive at ``path`` in WAL mode with foreign keys on and its schema up to date."""
    path = Path(path)
    if not create and not path.exists():
        raise ArchiveError(f"{path}: no such archive (run a crawl first, or check --db)")
    if path.parent and not path.parent.exists():
        raise ArchiveError(f"{path}: folder {path.parent} does not exist")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        db = sqlite_utils.Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Two processes may open a new archive at the same moment (a scheduler and a cron job):
        # switching to WAL and migrating happen one process at a time, under a lock file.
        with _migration_lock(path):
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db)
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"{path}: not a usable SQLite archive ({error})") from None
    return db


@contextmanager
def _migration_lock(path: Path) -> Iterator[None]:
    with open(f"{path}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits for the other opener; freed if it dies
        yield
