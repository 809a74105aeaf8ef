"""The archive database: open or create it, in WAL mode, with its schema brought up to date.

Schema changes are numbered migrations recorded in ``PRAGMA user_version``, so an archive made by
an older newsarchive opens in a newer one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from archive.fulltext import has_unspaced_script, index_article

if TYPE_CHECKING:
    import sqlite_utils  # loaded when an archive is opened: a command that only reads need not (read_archive)

logger = logging.getLogger(__name__)

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


def _v6_section_case(db: sqlite_utils.Database) -> None:
    """Sections stored one way (``archive.store.section_name``): a listing's "business" and a
    page's category "Business" split Datasette's section facet in two."""
    from archive.store import section_name

    for table in ("articles", "rejected_pages"):
        for (section,) in db.execute(f"SELECT DISTINCT section FROM {table} WHERE section IS NOT NULL").fetchall():
            if section_name(section) != section:
                db.execute(f"UPDATE {table} SET section = ? WHERE section = ?", [section_name(section), section])


# The tags and categories of the article a trigger fires for, as article_tags rows.
_NEW_LABELS = ("SELECT value, new.id, new.published_at FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags"
               " ELSE '[]' END) WHERE typeof(value) = 'text' UNION SELECT value, new.id, new.published_at FROM"
               " json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END)"
               " WHERE typeof(value) = 'text'")


def _changed(*columns: str) -> str:
    """A trigger's WHEN: one of ``columns`` holds another value (``UPDATE OF`` fires when a column is
    set, changed or not, and an unchanged re-fetch sets them all)."""
    return " OR ".join(f"old.{column} IS NOT new.{column}" for column in columns)


def _v7_reading_at_scale(db: sqlite_utils.Database) -> None:
    """What the reading pages need to stay fast at millions of articles: ``article_tags`` (each tag
    and category of each article, one row, with its publication time for a tag's newest) and ``site_counts``
    (articles per site), both kept by triggers whatever writes ``articles``; indexes for the
    filters (language, section) and for each site's last crawl."""
    db.execute("CREATE TABLE article_tags (tag TEXT NOT NULL COLLATE NOCASE, article_id INTEGER NOT NULL"
               " REFERENCES articles(id), published_at TEXT, PRIMARY KEY (tag, article_id)) WITHOUT ROWID")
    db.execute("CREATE INDEX article_tags_article ON article_tags (article_id)")
    db.execute("CREATE INDEX article_tags_published ON article_tags (tag, published_at)")  # a tag's newest
    db.execute(f"CREATE TRIGGER article_tags_ai AFTER INSERT ON articles BEGIN"
               f" INSERT OR IGNORE INTO article_tags (tag, article_id, published_at) {_NEW_LABELS}; END")
    db.execute(f"CREATE TRIGGER article_tags_au AFTER UPDATE OF tags, categories, published_at ON articles BEGIN"
               f" DELETE FROM article_tags WHERE article_id = old.id;"
               f" INSERT OR IGNORE INTO article_tags (tag, article_id, published_at) {_NEW_LABELS}; END")
    db.execute("CREATE TRIGGER article_tags_ad AFTER DELETE ON articles BEGIN"
               " DELETE FROM article_tags WHERE article_id = old.id; END")
    db.execute("INSERT OR IGNORE INTO article_tags (tag, article_id, published_at)"
               " SELECT tag.value, articles.id, articles.published_at FROM articles, json_each(articles.tags) AS tag"
               " WHERE json_valid(articles.tags) AND typeof(tag.value) = 'text'"
               " UNION SELECT category.value, articles.id, articles.published_at"
               " FROM articles, json_each(articles.categories) AS category"
               " WHERE json_valid(articles.categories) AND typeof(category.value) = 'text'")
    db.execute("CREATE TABLE site_counts (site TEXT PRIMARY KEY, articles INTEGER NOT NULL)")
    db.execute("INSERT INTO site_counts SELECT site, count(*) FROM articles GROUP BY site")
    db.execute("CREATE TRIGGER site_counts_ai AFTER INSERT ON articles BEGIN"
               " INSERT INTO site_counts (site, articles) VALUES (new.site, 1)"
               " ON CONFLICT (site) DO UPDATE SET articles = articles + 1; END")
    db.execute("CREATE TRIGGER site_counts_ad AFTER DELETE ON articles BEGIN"
               " UPDATE site_counts SET articles = articles - 1 WHERE site = old.site; END")
    db.execute("CREATE TRIGGER site_counts_au AFTER UPDATE OF site ON articles WHEN old.site IS NOT new.site BEGIN"
               " UPDATE site_counts SET articles = articles - 1 WHERE site = old.site;"
               " INSERT INTO site_counts (site, articles) VALUES (new.site, 1)"
               " ON CONFLICT (site) DO UPDATE SET articles = articles + 1; END")
    db["articles"].create_index(["language", "published_at"], if_not_exists=True)
    db["articles"].create_index(["section", "published_at"], if_not_exists=True)
    db["crawl_runs"].create_index(["site", "started_at"], if_not_exists=True)


def _v8_versions_without_current_text(db: sqlite_utils.Database) -> None:
    """``article_versions`` stops holding a second copy of each article's current text: the row of
    the current version has ``text`` NULL (it is ``articles.text``), and a trigger writes the old
    text into it when the article's text is replaced. Readers take ``coalesce(v.text, a.text)``."""
    db["article_versions"].transform(not_null={"text": False})
    db.execute("CREATE TRIGGER IF NOT EXISTS article_versions_keep_old_text BEFORE UPDATE OF text ON articles"
               " WHEN old.text IS NOT new.text BEGIN"
               " UPDATE article_versions SET text = old.text"
               " WHERE article_id = old.id AND version = old.version AND text IS NULL; END")
    db.execute("UPDATE article_versions SET text = NULL WHERE id IN (SELECT v.id FROM article_versions v"
               " JOIN articles a ON a.id = v.article_id AND a.version = v.version AND a.text = v.text)")


def _v9_import_progress(db: sqlite_utils.Database) -> None:
    """``newsarchive import``'s progress per WARC file (a WACZ's each WARC): every record before
    ``done_offset`` is imported, so an interrupted import resumes there; ``finished_at`` once whole.

    Before main's migrations 6-8 were merged into the import's branch this was migration 6: an
    archive made then already has the table, and lacks the section folding of main's 6."""
    if db["import_files"].exists():
        _v6_section_case(db)
        return
    db["import_files"].create({
        "source": str, "size": int, "done_offset": int, "records": int, "started_at": str, "updated_at": str,
        "finished_at": str, "run_id": int,
    }, pk="source", not_null={"source", "done_offset", "records", "started_at"},
        defaults={"done_offset": 0, "records": 0})


def _v10_zstd_captures(db: sqlite_utils.Database) -> None:
    """Captures in zstd with a dictionary per site (archive.captures): ``body_gzip`` becomes
    ``compressed_body``, beside its ``codec`` and ``dictionary_id``; dictionaries go in
    ``capture_dictionaries``; then every gzip capture is converted, in batches, each its own
    transaction. Every step can be killed and run again: the schema step checks what is there, a
    batch converts whole captures, and each capture says how it is stored. The space the gzip
    bodies took is free inside the file; ``newsarchive captures --vacuum`` gives it back."""
    from archive.captures import migrate_gzip_captures

    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("CREATE TABLE IF NOT EXISTS capture_dictionaries (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                        " site TEXT NOT NULL, trained_at TEXT NOT NULL, samples INTEGER NOT NULL,"
                        " sample_bytes INTEGER NOT NULL, level INTEGER NOT NULL, dictionary BLOB NOT NULL)")
        db.conn.execute("CREATE INDEX IF NOT EXISTS capture_dictionaries_site ON capture_dictionaries (site, id)")
        columns = {row[1] for row in db.conn.execute("PRAGMA table_info(captures)")}
        if "body_gzip" in columns:
            db.conn.execute("ALTER TABLE captures RENAME COLUMN body_gzip TO compressed_body")
        if "codec" not in columns:
            db.conn.execute("ALTER TABLE captures ADD COLUMN codec TEXT NOT NULL DEFAULT 'gzip'")
        if "dictionary_id" not in columns:
            db.conn.execute("ALTER TABLE captures ADD COLUMN dictionary_id INTEGER"
                            " REFERENCES capture_dictionaries(id)")
        db.conn.execute("CREATE INDEX IF NOT EXISTS captures_site ON captures (site)")  # a site's first captures
    migrate_gzip_captures(db, progress=_conversion_progress)


def _conversion_progress(converted: int, total: int) -> None:
    logger.info("migration 10: %d of %d captures converted from gzip to zstd", converted, total)


def _v11_discovery_sources(db: sqlite_utils.Database) -> None:
    """What a re-crawl needs of each feed and sitemap it read (issue 26): the validators it answered
    with (asked for conditionally next time, so an unchanged one costs a 304), the ``lastmod`` its
    sitemap index gave it (a child not modified since is not fetched again) and the index it came from.
    One row per site and URL: two site files may read the same host's feed or sitemap."""
    db.execute("CREATE TABLE IF NOT EXISTS discovery_sources (url TEXT NOT NULL, site TEXT NOT NULL,"
               " kind TEXT NOT NULL, parent TEXT, etag TEXT, last_modified TEXT, lastmod TEXT,"
               " fetched_at TEXT NOT NULL, PRIMARY KEY (site, url))")


_TEXT_CHANGED = _changed("title", "description", "text")


def _v12_index_only_changed_text(db: sqlite_utils.Database) -> None:
    """The full-text indexes are written again only when an article's indexed columns change: an
    unchanged re-fetch (which updates ``last_fetched_at`` and rewrites the same title and text)
    re-indexed the whole text, in both ``articles_fts`` (sqlite-utils' trigger fires on any
    UPDATE) and ``articles_bigrams`` (``UPDATE OF`` fires when a column is set, changed or not)."""
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("DROP TRIGGER IF EXISTS articles_au")
        db.conn.execute(
            f"CREATE TRIGGER articles_au AFTER UPDATE OF title, description, text ON articles WHEN {_TEXT_CHANGED}"
            " BEGIN INSERT INTO articles_fts (articles_fts, rowid, title, description, text)"
            " VALUES ('delete', old.rowid, old.title, old.description, old.text);"
            " INSERT INTO articles_fts (rowid, title, description, text)"
            " VALUES (new.rowid, new.title, new.description, new.text); END")
        db.conn.execute("DROP TRIGGER IF EXISTS articles_bigrams_au")
        db.conn.execute(
            f"CREATE TRIGGER articles_bigrams_au AFTER UPDATE OF title, description, text ON articles"
            f" WHEN {_TEXT_CHANGED} BEGIN DELETE FROM articles_bigrams WHERE rowid = old.rowid; END")


def _v13_tags_only_when_changed(db: sqlite_utils.Database) -> None:
    """An article's rows in ``article_tags`` are rewritten only when its tags, categories or
    publication time change, not on every re-fetch that sets them to the same values."""
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("DROP TRIGGER IF EXISTS article_tags_au")
        db.conn.execute(
            "CREATE TRIGGER article_tags_au AFTER UPDATE OF tags, categories, published_at ON articles"
            f" WHEN {_changed('tags', 'categories', 'published_at')} BEGIN"
            f" DELETE FROM article_tags WHERE article_id = old.id;"
            f" INSERT OR IGNORE INTO article_tags (tag, article_id, published_at) {_NEW_LABELS}; END")


def _v14_reading_at_a_million(db: sqlite_utils.Database) -> None:
    """What Datasette's canned queries and search's plans need not to read a whole table at a
    million articles: ``tag_counts`` (articles per tag or category, kept by triggers on
    ``article_tags``: the ``tag_counts`` query, and a tag's size when search plans), an index of
    the stories that changed by their last change (``changed_stories``), one of each day's
    articles per site, newest day first (``articles_per_day``), and one of rejected pages by site
    and reason holding their last fetch (``rejected_by_reason``)."""
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("CREATE TABLE IF NOT EXISTS tag_counts (tag TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,"
                        " articles INTEGER NOT NULL) WITHOUT ROWID")
        db.conn.execute("DELETE FROM tag_counts")
        db.conn.execute("INSERT INTO tag_counts (tag, articles) SELECT tag, count(*) FROM article_tags GROUP BY tag")
        db.conn.execute("CREATE INDEX IF NOT EXISTS tag_counts_articles ON tag_counts (articles DESC, tag)")
        counted = ("INSERT INTO tag_counts (tag, articles) VALUES (new.tag, 1)"
                   " ON CONFLICT (tag) DO UPDATE SET articles = articles + 1;")
        uncounted = ("UPDATE tag_counts SET articles = articles - 1 WHERE tag = old.tag;"
                     " DELETE FROM tag_counts WHERE tag = old.tag AND articles <= 0;")
        for name, event, body in (("ai", "INSERT", counted), ("ad", "DELETE", uncounted)):
            db.conn.execute(f"CREATE TRIGGER IF NOT EXISTS tag_counts_{name} AFTER {event} ON article_tags"
                            f" BEGIN {body} END")
        db.conn.execute("CREATE TRIGGER IF NOT EXISTS tag_counts_au AFTER UPDATE OF tag ON article_tags"
                        f" WHEN old.tag IS NOT new.tag BEGIN {uncounted} {counted} END")
        db.conn.execute("CREATE INDEX IF NOT EXISTS articles_changed ON articles (last_changed_at) WHERE version > 1")
        db.conn.execute("CREATE INDEX IF NOT EXISTS articles_day_site ON articles (substr(published_at, 1, 10) DESC,"
                        " site) WHERE published_at IS NOT NULL")
        # rejected_by_reason reads the index alone, not each page's row (the index it replaces was its prefix)
        db.conn.execute("CREATE INDEX IF NOT EXISTS rejected_pages_reason_latest ON rejected_pages"
                        " (site, reason, last_fetched_at)")
        db.conn.execute("DROP INDEX IF EXISTS idx_rejected_pages_site_reason")


def _v15_declared_title(db: sqlite_utils.Database) -> None:
    """``articles.declared_title``: the headline a page declares for search and sharing when it is
    not the one it shows (filled for articles stored or re-extracted from now on)."""
    if "declared_title" not in db["articles"].columns_dict:  # (an archive whose version was set back has it)
        db["articles"].add_column("declared_title", str)


# Append only: each entry turns version N into N + 1. Never edit one that has shipped.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial, _v2_recheck, _v3_learned_boilerplate, _v4_rejected_pages, _v5_bigram_search, _v6_section_case,
    _v7_reading_at_scale, _v8_versions_without_current_text, _v9_import_progress, _v10_zstd_captures,
    _v11_discovery_sources, _v12_index_only_changed_text, _v13_tags_only_when_changed, _v14_reading_at_a_million,
    _v15_declared_title,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    return db.execute(f"PRAGMA {SCHEMA_VERSION_PRAGMA}").fetchone()[0]


def migrate(db: sqlite_utils.Database, to: int = SCHEMA_VERSION) -> int:
    """Apply the migrations this archive lacks, each in its own transaction, up to version ``to``
    (an older schema: what tests and benchmarks of migrations start from); return the version."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise ArchiveError(f"archive schema version {current} is newer than this newsarchive "
                           f"understands ({SCHEMA_VERSION}); upgrade newsarchive")
    for number in range(current, to):
        with db.conn:
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA {SCHEMA_VERSION_PRAGMA} = {number + 1}")
    return max(current, to)


def open_archive(path: str | Path, *, create: bool = True, read_only: bool = False) -> sqlite_utils.Database:
    """The archive at ``path`` in WAL mode with foreign keys on and its schema up to date.

    ``read_only``: the caller only reads (and ``create`` is off). An archive it may not write (a
    read-only mount, a copy without write rights) is then opened as it is, read-only, with no
    lock file and no migration; an older schema than this newsarchive's is an ``ArchiveError``."""
    path = Path(path)
    if (not create or read_only) and not path.exists():
        raise ArchiveError(NO_ARCHIVE.format(path=path))
    if path.parent and not path.parent.exists():
        raise ArchiveError(f"{path}: folder {path.parent} does not exist")
    if not path.exists() and not os.access(path.parent, os.W_OK):
        raise ArchiveError(f"{path}: cannot create the archive: folder {path.parent} is not writable")
    if read_only and not writable(path):
        return _open_read_only(path)
    import sqlite_utils

    try:
        db = sqlite_utils.Database(_connect(path))
        _refuse_other_databases(db, path)  # before anything is written beside it, its lock file too
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


NO_ARCHIVE = "{path}: no such archive (run a crawl first, or check --db)"
ARCHIVE_TABLES = {"articles", "crawl_runs", "captures"}  # the first migration's: one is enough to be ours


def _refuse_other_databases(db: sqlite_utils.Database, path: Path) -> None:
    """Another program's SQLite database is no archive to migrate into one: a mistyped ``--db``
    would add the archive's tables to it and switch it to WAL."""
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                           " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    if tables and not ARCHIVE_TABLES & set(tables):  # whatever its user_version says: other programs set theirs
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise ArchiveError(f"{path}: a SQLite database but no newsarchive archive (its tables: {shown}); check --db")


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to the archive file that waits for a writer's lock as long as every one does."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def writable(path: str | Path) -> bool:
    """Whether this process may write the archive at ``path``, and beside it (its WAL and locks)."""
    path = Path(path)
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def read_only_uri(path: str | Path) -> str:
    """How SQLite opens an archive it may not write. A WAL archive needs its ``-shm`` file, which
    a read-only folder without one cannot get: such an archive is opened as immutable (nothing
    writes it: it is on a read-only mount, or a copy)."""
    path = Path(path)
    shared_memory = Path(f"{path}-shm")
    immutable = not shared_memory.exists() and not os.access(path.parent, os.W_OK)
    return f"{path.absolute().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")


def read_archive(path: str | Path) -> sqlite3.Connection:
    """The archive at ``path`` to read, as ``open_archive(path, read_only=True)`` opens it, but as
    a plain sqlite3 connection: a command that must start quickly (``newsarchive search``) does
    not load sqlite-utils (a fifth of a second, numpy with it) unless the archive's schema is
    older than this newsarchive's and is migrated first."""
    path = Path(path)
    if not path.exists():
        raise ArchiveError(NO_ARCHIVE.format(path=path))
    if not writable(path):
        return _connect_read_only(path)
    try:
        conn = _connect(path)
        current = schema_version(conn) == SCHEMA_VERSION
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"{path}: not a usable SQLite archive ({error})") from None
    if current:
        return conn
    conn.close()
    return open_archive(path, read_only=True).conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
        version = schema_version(conn)
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"{path}: not a usable SQLite archive, read-only ({error})") from None
    if version != SCHEMA_VERSION:
        raise ArchiveError(f"{path}: read-only, and its schema (version {version}) is not this newsarchive's "
                           f"({SCHEMA_VERSION}); open it once with write rights (or with the newsarchive that made it)")
    return conn


def _open_read_only(path: Path) -> sqlite_utils.Database:
    import sqlite_utils

    return sqlite_utils.Database(_connect_read_only(path))


@contextmanager
def _migration_lock(path: Path) -> Iterator[None]:
    with open(f"{Path(path).resolve()}.lock", "a") as handle:  # (one archive under two names: one lock)
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits for the other opener; freed if it dies
        yield
