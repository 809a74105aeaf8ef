"""What the archive knows of a site's URLs, asked of SQLite when a crawl needs it (issue 26).

A crawl used to load every archived URL of its sites into a dict before it started: its memory grew
with the archive (about 390 MB more at a million articles). Here the candidate URLs of one listing
page, feed or sitemap are looked up together, in one indexed query per batch of ``LOOKUP_BATCH``,
and the archived articles due for a re-check are read in chunks, so a crawl holds only what it is
working on. Also here: each feed's and sitemap's validators and ``lastmod`` (``discovery_sources``),
so that a re-crawl asks for them conditionally and skips sitemaps that did not change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from archive.store import transaction


def _iso(when: datetime) -> str:
    """As the archive writes times (``archive.store.utc_now``), so that they compare as text."""
    return when.astimezone(UTC).isoformat(timespec="seconds")


LOOKUP_BATCH = 500  # URLs per query: well under SQLite's limit on bound parameters
SCAN_CHUNK = 2000  # archived articles read at a time when looking for those due


@dataclass(frozen=True)
class KnownArticle:
    """What a re-crawl needs to know of an archived article: its age, last fetch and validators."""

    url: str
    published_at: str | None
    last_fetched_at: str | None
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class DiscoverySource:
    """A feed or sitemap as last read: its validators and, for a sitemap an index listed, the
    index (``parent``) and the ``lastmod`` the index gave it then."""

    url: str
    site: str
    kind: str  # "feed" or "sitemap"
    parent: str | None
    etag: str | None
    last_modified: str | None
    lastmod: str | None
    fetched_at: str


_ARTICLE_COLUMNS = ("a.id, a.url, coalesce(a.published_at, a.first_seen_at), a.last_fetched_at, c.etag,"
                    " c.last_modified from articles a left join captures c on c.id = a.last_capture_id")


class KnownUrls:
    """Read-only lookups of one archive's articles and discovery sources; without an archive
    (``KnownUrls(None)``: a first crawl, a distributed worker) nothing is known."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        if path is not None:
            # Its own connection: short reads beside the pipeline's writes (WAL), never a transaction held open.
            self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA query_only = ON")
            self._conn.execute("PRAGMA busy_timeout = 30000")

    def __bool__(self) -> bool:
        return self._conn is not None

    def lookup(self, site: str, urls: Iterable[str]) -> dict[str, KnownArticle]:
        """The archived articles of ``site`` among ``urls`` (canonical URLs), by URL."""
        if self._conn is None:
            return {}
        urls = list(dict.fromkeys(urls))
        found: dict[str, KnownArticle] = {}
        for start in range(0, len(urls), LOOKUP_BATCH):
            batch = urls[start:start + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            # "+a.site": by the URL's unique index; SQLite otherwise picks the site's and reads all its rows
            rows = self._conn.execute(f"select {_ARTICLE_COLUMNS} where a.url in ({marks}) and +a.site = ?",
                                      [*batch, site])
            found.update((row[1], KnownArticle(*row[1:])) for row in rows)
        return found

    def get(self, site: str, url: str) -> KnownArticle | None:
        return self.lookup(site, [url]).get(url)

    def count(self, site: str) -> int:
        if self._conn is None:
            return 0
        return self._conn.execute("select count(*) from articles where site = ?", [site]).fetchone()[0]

    def of_site(self, site: str, where: str = "", params: Iterable[object] = ()) -> Iterator[KnownArticle]:
        """Every archived article of ``site`` (that ``where``, an SQL condition on ``a``, holds for),
        read ``SCAN_CHUNK`` at a time."""
        if self._conn is None:
            return
        after, params = 0, list(params)
        while True:
            rows = self._conn.execute(f"select {_ARTICLE_COLUMNS} where a.site = ? and a.id > ? {where}"
                                      f" order by a.id limit {SCAN_CHUNK}", [site, after, *params]).fetchall()
            if not rows:
                return
            yield from (KnownArticle(*row[1:]) for row in rows)
            after = rows[-1][0]

    def due(self, site: str, is_due: Callable[[KnownArticle], bool],
            windows: Iterable[tuple[datetime | None, datetime | None, datetime]]) -> Iterator[KnownArticle]:
        """The archived articles of ``site`` that ``is_due`` says are due, looked for only in the
        ``windows`` where due ones can be (``RecheckPolicy.windows``): (published from, published
        until, last fetched before), so that the database, not Python, passes over the others."""
        conditions, params = [], []
        for oldest, newest, fetched_before in windows:
            parts = ["a.last_fetched_at < ?"]
            params.append(_iso(fetched_before))
            for bound, operator in ((oldest, ">="), (newest, "<")):
                if bound is not None:
                    parts.append(f"coalesce(a.published_at, a.first_seen_at, a.last_fetched_at) {operator} ?")
                    params.append(_iso(bound))
            conditions.append("(" + " and ".join(parts) + ")")
        if not conditions:
            return iter(())
        where = "and (a.last_fetched_at is null or " + " or ".join(conditions) + ")"
        return (known for known in self.of_site(site, where, params) if is_due(known))

    def sources(self, site: str) -> dict[str, DiscoverySource]:
        """The feeds and sitemaps of ``site`` as last read, by URL."""
        if self._conn is None:
            return {}
        rows = self._conn.execute("select url, site, kind, parent, etag, last_modified, lastmod, fetched_at"
                                  " from discovery_sources where site = ?", [site])
        return {row[0]: DiscoverySource(*row) for row in rows}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def record_sources(db: sqlite_utils.Database, sources: Iterable[DiscoverySource]) -> int:
    """Keep how each feed and sitemap answered (one transaction, or a savepoint of the caller's);
    returns how many were written."""
    rows = [astuple(source) for source in sources]
    with transaction(db):
        db.conn.executemany("insert or replace into discovery_sources (url, site, kind, parent, etag, last_modified,"
                            " lastmod, fetched_at) values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
