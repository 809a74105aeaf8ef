"""Named reads of the archive, shared by the CLI and the Datasette canned queries."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import sqlite_utils

from archive.fulltext import register_search_functions
from archive.serve import canned_query
from crawler.urls import canonical_url

# The canned "search" query of the Datasette metadata, with the CLI's own limit around it.
SEARCH_SQL = f"select * from ({canned_query('search')}) limit :limit"

SITE_STATS_SQL = """
select a.site, count(*) as articles, sum(a.version - 1) as changes,
       min(a.published_at) as oldest, max(a.published_at) as newest,
       (select count(*) from captures c where c.site = a.site) as captures,
       (select max(started_at) from crawl_runs r where r.site = a.site) as last_run
from articles a group by a.site order by a.site
"""

# The canned "rejected_by_reason" query: pages extraction rejected, kept, per site and reason.
REJECTED_SQL = canned_query("rejected_by_reason")

RUNS_SQL = """
select id, site, started_at, finished_at, outcome, pages, articles_new, articles_changed,
       articles_unchanged, articles_not_modified, skipped, errors, error
from crawl_runs where (:site is null or site = :site) order by id desc limit :limit
"""


class SearchError(ValueError):
    """A full-text query SQLite cannot parse."""


@dataclass(frozen=True)
class SearchHit:
    id: int
    site: str
    title: str
    url: str
    published_at: str | None
    authors: list[str]
    tags: list[str]
    snippet: str


def search(db: sqlite_utils.Database, text: str, *, site: str | None = None, since: str | None = None,
           until: str | None = None, limit: int = 20) -> list[SearchHit]:
    """Articles matching every word of ``text``, best first: English or any other language written
    with spaces, and Chinese, Japanese or Thai words (see archive.fulltext), mixed as they come."""
    if not text.strip():
        raise SearchError("the search query is empty")
    register_search_functions(db.conn)
    try:
        rows = db.execute(SEARCH_SQL, {"q": text, "site": site, "since": since, "until": until,
                                       "limit": limit}).fetchall()
    except sqlite3.OperationalError as error:
        raise SearchError(f"cannot search for {text!r}: {error}") from None
    return [SearchHit(id=r[0], site=r[1], title=r[2], url=r[3], published_at=r[4],
                      authors=json.loads(r[5] or "[]"), tags=json.loads(r[6] or "[]"), snippet=r[7])
            for r in rows]


def site_stats(db: sqlite_utils.Database) -> list[dict]:
    return [dict(zip(("site", "articles", "changes", "oldest", "newest", "captures", "last_run"), row))
            for row in db.execute(SITE_STATS_SQL).fetchall()]


def rejected_stats(db: sqlite_utils.Database) -> list[dict]:
    """How many rejected pages the archive keeps, per site and reason, most first."""
    cursor = db.execute(REJECTED_SQL)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def recent_runs(db: sqlite_utils.Database, *, site: str | None = None, limit: int = 10) -> list[dict]:
    cursor = db.execute(RUNS_SQL, {"site": site, "limit": limit})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class KnownArticle:
    """What a re-crawl needs to know of an archived article: its age, last fetch and validators."""

    url: str
    published_at: str | None
    last_fetched_at: str | None
    etag: str | None
    last_modified: str | None


KNOWN_SQL = """
select a.url, coalesce(a.published_at, a.first_seen_at), a.last_fetched_at, c.etag, c.last_modified
from articles a left join captures c on c.id = a.last_capture_id
where a.site = :site
"""


def known_articles(db: sqlite_utils.Database, site: str) -> dict[str, KnownArticle]:
    """Every archived article of ``site``, keyed by its canonical URL."""
    return {row[0]: KnownArticle(*row) for row in db.execute(KNOWN_SQL, {"site": site}).fetchall()}


@dataclass(frozen=True)
class Version:
    version: int
    fetched_at: str
    title: str
    text: str


# The current version's text is the article's own (article_versions holds no second copy).
VERSIONS_SQL = """
select v.version, v.fetched_at, v.title, coalesce(v.text, a.text) as text
from article_versions v join articles a on a.id = v.article_id
where v.article_id = ? order by v.version
"""


class NoSuchArticle(LookupError):
    """No archived article has that URL."""


def article_history(db: sqlite_utils.Database, url: str) -> tuple[str, list[Version]]:
    """The stored URL of an article (given any variant of it) and all its versions, oldest first."""
    row = db.execute("select id, url from articles where url in (?, ?)", [url, canonical_url(url)]).fetchone()
    if row is None:
        raise NoSuchArticle(f"no archived article at {url}")
    versions = db.execute(VERSIONS_SQL, [row[0]]).fetchall()
    return row[1], [Version(*v) for v in versions]
