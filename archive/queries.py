"""Named reads of the archive, shared by the CLI and the Datasette canned queries."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import sqlite_utils

from archive.fulltext import register_search_functions
from archive.serve import SQL_TIME_LIMIT_MS, canned_query
from crawler.urls import canonical_url

# The canned "search" query of the Datasette metadata, with the CLI's own limit around it.
SEARCH_SQL = f"select * from ({canned_query('search')}) limit :limit"
SEARCH_MAX_HITS = 100  # the canned query returns the best 100 (its `limit 100`)

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
    """A full-text query SQLite cannot parse, or one that ran over its time limit."""


class SearchTooSlow(SearchError):
    """The search ran longer than its time limit and was stopped."""


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


class SearchHits(list[SearchHit]):
    """The hits of a search, best first, and how many articles match in all (``matches``)."""

    def __init__(self, hits: list[SearchHit], matches: int) -> None:
        super().__init__(hits)
        self.matches = matches


def search(db: sqlite_utils.Database, text: str, *, site: str | None = None, since: str | None = None,
           until: str | None = None, limit: int = 20, time_limit_ms: int = SQL_TIME_LIMIT_MS) -> SearchHits:
    """Articles matching every word of ``text``, best first: English or any other language written
    with spaces, and Chinese, Japanese or Thai words (see archive.fulltext), mixed as they come.

    At most ``limit`` hits (and never more than ``SEARCH_MAX_HITS``); ``.matches`` counts them all.
    A search running longer than ``time_limit_ms`` is stopped (``SearchTooSlow``), as Datasette
    stops its queries."""
    from datasette.utils import sqlite_timelimit

    if not text.strip():
        raise SearchError("the search query is empty")
    register_search_functions(db.conn)
    try:
        with sqlite_timelimit(db.conn, time_limit_ms):
            rows = db.execute(SEARCH_SQL, {"q": text, "site": site, "since": since, "until": until,
                                           "limit": limit}).fetchall()
    except sqlite3.OperationalError as error:
        if str(error) == "interrupted":
            raise SearchTooSlow(f"the search ran over its time limit ({time_limit_ms / 1000:g} s) and was "
                                f"stopped: {len(text.split())} word(s) to look up; try fewer or more distinctive "
                                "words") from None
        raise SearchError(f"cannot search for {_shortened(text)!r}: {error}") from None
    return SearchHits([SearchHit(id=r[0], site=r[1], title=r[2], url=r[3], published_at=r[4],
                                 authors=json.loads(r[5] or "[]"), tags=json.loads(r[6] or "[]"), snippet=r[7])
                       for r in rows], matches=rows[0][8] if rows else 0)


def _shortened(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[:length] + "…"


class NoSuchSite(LookupError):
    """The archive holds nothing of that site."""


def archived_sites(db: sqlite_utils.Database) -> list[str]:
    """Every site the archive has articles, rejected pages or crawl runs of."""
    return [row[0] for row in db.execute("select site from articles union select site from rejected_pages"
                                         " union select site from crawl_runs order by 1").fetchall()]


def require_site(db: sqlite_utils.Database, site: str | None) -> None:
    """Raise ``NoSuchSite`` when ``site`` is given and the archive knows nothing of it (a typo
    would otherwise read as "no matches", "nothing to export")."""
    if site is not None and not db.execute("select 1 from articles where site = ? union all select 1 from"
                                           " rejected_pages where site = ? union all select 1 from crawl_runs"
                                           " where site = ? limit 1", [site, site, site]).fetchone():
        known = ", ".join(archived_sites(db)) or "none yet"
        raise NoSuchSite(f"no site {site!r} in this archive (its sites: {known})")


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


class NoSuchArticle(LookupError):
    """No archived article has that URL."""


def article_history(db: sqlite_utils.Database, url: str) -> tuple[str, list[Version]]:
    """The stored URL of an article (given any variant of it) and all its versions, oldest first."""
    row = db.execute("select id, url from articles where url in (?, ?)", [url, canonical_url(url)]).fetchone()
    if row is None:
        raise NoSuchArticle(f"no archived article at {url}")
    versions = db.execute("select version, fetched_at, title, text from article_versions where article_id = ? "
                          "order by version", [row[0]]).fetchall()
    return row[1], [Version(*v) for v in versions]
