"""Named reads of the archive, shared by the CLI and the Datasette canned queries."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.fulltext import query_words, register_search_functions
from archive.serve import SQL_TIME_LIMIT_MS, canned_query
from crawler.urls import canonical_url

if TYPE_CHECKING:
    import sqlite_utils  # not loaded by a search (archive.db.read_archive)

SEARCH_MAX_HITS = 100  # the most hits `newsarchive search` shows at once (its --limit); more words or --site narrow it

SITE_STATS_SQL = """
select a.site, count(*) as articles, sum(a.version - 1) as changes,
       min(a.published_at) as oldest, max(a.published_at) as newest,
       (select count(*) from captures c where c.site = a.site) as captures,
       (select max(started_at) from crawl_runs r where r.site = a.site) as last_run
from articles a group by a.site order by a.site
"""

RUNS_SQL = """
select id, site, started_at, finished_at, outcome, pages, articles_new, articles_changed,
       articles_unchanged, articles_not_modified, skipped, errors, error
from crawl_runs where (:site is null or site = :site) and (:id is null or id = :id) order by id desc limit :limit
"""


class SearchError(ValueError):
    """A full-text query SQLite cannot parse, or one that ran over its time limit."""


class SearchTooSlow(SearchError):
    """The search ran longer than its time limit and was stopped."""


@dataclass
class Limit:
    stopped: bool = False  # the time limit stopped the statement: its error says so, in its own words


@contextmanager
def time_limit(conn: sqlite3.Connection, ms: float | None, *, every: int = 1_000) -> Iterator[Limit]:
    """Stop what ``conn`` runs inside after ``ms`` milliseconds (None: no limit), as Datasette's
    ``sqlite_timelimit`` does (SQLite's progress handler, asked every ``every`` steps). The
    statement then fails ("interrupted", or "vtable constructor failed" when it was stopped while
    opening a full-text index): the ``Limit`` yielded tells that it was stopped."""
    limit = Limit()
    if ms is None:
        yield limit
        return
    deadline = time.monotonic() + ms / 1000

    def over() -> int:
        limit.stopped = limit.stopped or time.monotonic() > deadline
        return int(limit.stopped)

    conn.set_progress_handler(over, 1 if ms <= 20 else every)
    try:
        yield limit
    finally:
        conn.set_progress_handler(None, 0)


CANDIDATES = 1_000  # matches taken newest first; relevance (bm25) orders these, never every match
COUNT_BUDGET_MS = 100  # a total beside the hits only when counting them is this quick
# How a search with filters is run (``search_plan``), from what each step costs at 1M articles
# (benchmarks/reading_at_scale.py): checking a match against its article row, ~1.8 µs; listing an
# article of a filter's index once, ~0.3 µs (a match is then checked against the list, ~0.15 µs).
PROBE_COST, LIST_COST = 6, 1  # their ratio
LIST_MAX = 300_000  # a list this long takes ~0.1 s: counted no further, and not listed to count
SAMPLE = 2_000  # the newest matches checked against the filters to see how many pass


@dataclass(frozen=True)
class Filters:
    """What narrows a search or a list of articles; each is optional. ``since`` and ``until`` are
    UTC ISO dates or times (``until`` excluded); ``tag`` matches a tag or a category, any case."""

    site: str | None = None
    section: str | None = None
    tag: str | None = None
    language: str | None = None
    since: str | None = None
    until: str | None = None

    def clauses(self) -> list[str]:
        """SQL conditions on ``articles a``, only for the filters given (so each can use its index),
        with named parameters from ``params()``; a tag's lists the tag's articles."""
        return self._conditions(_TAG_LISTED)

    def checks(self, listed: str | None = None) -> list[str]:
        """The conditions on ``articles a`` that one article is checked against, each a lookup (a
        tag by its key in ``article_tags``, not by listing the tag's articles), leaving out those
        the list ``listed`` (a name of ``lists()``) already holds."""
        return self._conditions(_TAG_CHECKED, frozenset({listed, "since", "until"}) if listed else frozenset())

    def _conditions(self, tag: str, covered: frozenset[str | None] = frozenset()) -> list[str]:
        """Each given filter's condition but those ``covered``, a tag's as ``tag`` says."""
        given = self.params()
        return [_CONDITIONS.get(name, tag) for name in _CONDITIONS | {"tag": ""}
                if name in given and name not in covered]

    def lists(self) -> dict[str, str]:
        """For each filter one index answers with the dates (site, section, language, tag; the
        dates alone when none is given): the SQL listing the ids of the articles passing it."""
        given = self.params()
        dates = [condition for name, condition in (("since", "published_at >= :since"),
                                                   ("until", "published_at < :until")) if name in given]

        def dated(table: str) -> str:
            return "".join(f" and {table}.{condition}" for condition in dates)

        lists = {name: f"select a.id from articles a where a.{name} = :{name}{dated('a')}"
                 for name in ("site", "section", "language") if name in given}
        if "tag" in given:
            lists["tag"] = f"select t.article_id from article_tags t where t.tag = :tag{dated('t')}"
        if not lists and dates:
            lists["dates"] = "select a.id from articles a where " + " and ".join(f"a.{c}" for c in dates)
        return lists

    def params(self) -> dict[str, str]:
        return {name: value for name, value in self.__dict__.items() if value}


# Each filter's condition on ``articles a``; a tag's two ways: its articles listed, or the pair looked up.
_CONDITIONS = {"site": "a.site = :site", "section": "a.section = :section", "language": "a.language = :language",
               "since": "a.published_at >= :since", "until": "a.published_at < :until"}
_TAG_LISTED = "a.id in (select article_id from article_tags where tag = :tag)"
_TAG_CHECKED = "exists (select 1 from article_tags t where t.tag = :tag and t.article_id = a.id)"


def _matches(rowid_filter: str = "", *, limit: str | None, ranked: bool = True) -> str:
    """The matches of ``q`` newest first (FTS5 walks its index by rowid: the latest archived
    first), ``rowid_filter`` (SQL with ``{rowid}``) applied to each, at most ``limit``: hits of
    ``articles_fts`` and those only ``articles_bigrams`` finds (Chinese, Japanese, Thai; see
    archive.fulltext). ``limit`` None: all of them, in no order (to count them). ``ranked``: with each
    match's ``rank`` (bm25), which costs a little each."""
    rank = " rank," if ranked else ""
    fts_kept, bigrams_kept = (rowid_filter.format(rowid=f"{table}.rowid")
                              for table in ("articles_fts", "articles_bigrams"))
    return f"""
  select rowid,{rank} 0 as unspaced from articles_fts
  where articles_fts match words_query(:q) {fts_kept}
  union all
  select rowid,{rank} 1 from articles_bigrams
  where articles_bigrams match bigram_query(:q)
    and not exists (select 1 from articles_fts where articles_fts match words_query(:q)
                    and articles_fts.rowid = articles_bigrams.rowid) {bigrams_kept}
  {f"order by rowid desc limit {limit}" if limit else ""}"""


def kept_sql(checks: list[str], listed: str | None = None) -> str:
    """What a match must pass (SQL with ``{rowid}``, for ``search_sql``): be in the list
    ``listed`` (SQL selecting the ids of the articles passing some filters, listed once; None: no
    list), and its article pass ``checks`` (conditions on ``articles a``, looked up for each match)."""
    kept = f"and +{{rowid}} in ({listed})" if listed else ""  # + : a filter, not a lookup
    if checks:
        kept += f" and exists (select 1 from articles a where a.id = {{rowid}} and {' and '.join(checks)})"
    return kept


def canned_kept_sql() -> str:
    """``kept_sql`` for the canned query "search", whose ``site``, ``since`` and ``until`` may
    each be empty: a site's articles in the dates are listed (a site that does not write the
    word's language would make each match be checked: 0.8 s at a million articles); without a
    site, each match is checked against the dates given, if any."""
    dates = ("(coalesce(:since, '') = '' or a.published_at >= :since)"
             " and (coalesce(:until, '') = '' or a.published_at < :until)")
    return (f"and case when coalesce(:site, '') != ''"
            f" then +{{rowid}} in (select a.id from articles a where a.site = :site and {dates})"
            f" when coalesce(:since, '') != '' or coalesce(:until, '') != ''"
            f" then exists (select 1 from articles a where a.id = {{rowid}} and {dates}) else 1 end")


def search_sql(kept: str) -> str:
    """The search statement (parameters ``q``, ``sort``, ``limit``, ``offset``, ``candidates`` and
    the filters'): matches newest first, the first ``CANDIDATES`` that pass the filters (``kept``,
    from ``kept_sql``), ordered by ``sort`` (``newest`` or ``relevance``: bm25 among those), one
    page of them with snippets."""
    return f"""
with matches as ({_matches(kept, limit=f"coalesce(nullif(:candidates, ''), {CANDIDATES})")}
), page as (
  select * from matches order by case when :sort = 'relevance' then rank else -rowid end
  limit coalesce(nullif(:limit, ''), 20) offset coalesce(nullif(:offset, ''), 0)
)
select articles.id, articles.site, articles.title, articles.url, articles.published_at,
       articles.authors, articles.tags,
       case when page.unspaced
         then bigram_snippet(articles.title, articles.description, articles.text, :q, :mark_open, :mark_close)
         else (select snippet(articles_fts, -1, :mark_open, :mark_close, ' … ', 16) from articles_fts
               where articles_fts match words_query(:q) and articles_fts.rowid = page.rowid)
       end as snippet,
       articles.section, articles.description, articles.language
from page join articles on articles.rowid = page.rowid
order by case when :sort = 'relevance' then page.rank else -page.rowid end"""


def count_sql(kept: str) -> str:
    """How many articles match ``q`` and pass the filters (``kept``) (for a total beside the hits)."""
    return f"select count(*) from ({_matches(kept, limit=None, ranked=False)})"


def latest_sql(conditions: list[str], *, by_tag: bool = False) -> str:
    """The newest articles by publication date passing ``conditions``: a list without words.
    ``by_tag``: walk the tag's own index by date (``article_tags``), not every article's."""
    if by_tag:
        conditions = [c for c in conditions if ":tag" not in c]
        return f"""
select a.id, a.site, a.title, a.url, a.published_at, a.authors, a.tags, a.description as snippet,
       a.section, a.description, a.language
from article_tags t join articles a on a.id = t.article_id
where t.tag = :tag {''.join(' and ' + c for c in conditions)}
order by t.published_at desc
limit coalesce(nullif(:limit, ''), 20) offset coalesce(nullif(:offset, ''), 0)"""
    where = f"where {' and '.join(conditions)}" if conditions else ""
    return f"""
select a.id, a.site, a.title, a.url, a.published_at, a.authors, a.tags, a.description as snippet,
       a.section, a.description, a.language
from articles a {where}
order by a.published_at desc
limit coalesce(nullif(:limit, ''), 20) offset coalesce(nullif(:offset, ''), 0)"""


# How many articles a site or a tag has, kept by triggers (site_counts, tag_counts)
_COUNTED = {"site": "select articles from site_counts where site = :site",
            "tag": "select articles from tag_counts where tag = :tag"}


@dataclass(frozen=True)
class PlanSizes:
    """What ``search_plan`` weighs, read from the archive: the size of each of the filters' lists
    (up to ``LIST_MAX``) and, unless one is small, how many of the newest ``SAMPLE`` matches pass
    the filters (``passed`` of ``walked``)."""

    lists: dict[str, int]
    walked: int | None = None
    passed: int = 0


def measure_plan(conn: sqlite3.Connection, text: str, filters: Filters) -> PlanSizes | None:
    """``PlanSizes`` for a search of ``text`` with ``filters``; None when they give no list."""
    lists = filters.lists()
    if not lists:
        return None
    params = {**filters.params(), "q": text}
    sizes = {name: conn.execute(f"select count(*) from ({sql} limit {LIST_MAX})", params).fetchone()[0]
             if name not in _COUNTED or {"since", "until"} & params.keys()
             else (conn.execute(_COUNTED[name], params).fetchone() or (0,))[0] for name, sql in lists.items()}
    if min(sizes.values()) <= SAMPLE:
        return PlanSizes(sizes)  # listed in less time than the sample would take
    sample = _matches(limit=str(SAMPLE), ranked=False)
    walked, passed = conn.execute(
        f"select count(*), coalesce(sum(exists (select 1 from articles a where a.id = sample.rowid and"
        f" {' and '.join(filters.checks())})), 0) from ({sample}) as sample", params).fetchone()
    return PlanSizes(sizes, walked, passed)


_UNMEASURED: Any = object()


def search_plan(conn: sqlite3.Connection, text: str, filters: Filters, needed: float,
                sizes: PlanSizes | None = _UNMEASURED) -> str | None:
    """Which of ``filters.lists()`` a search lists once, each match then looked up in that list
    (None: each match is checked against its article), so that finding ``needed`` matches that
    pass the filters (``math.inf``: all of them, to count) costs least: the smallest list, sized
    through its index, against walking the matches, as many as the share of the newest
    ``SAMPLE`` matches passing the filters says it takes. A word in another language than the
    site's passes none: its every match would be walked. ``sizes``: ``measure_plan``'s, if read."""
    sizes = measure_plan(conn, text, filters) if sizes is _UNMEASURED else sizes
    if sizes is None:
        return None
    listed = min(sizes.lists, key=sizes.lists.__getitem__)
    if sizes.walked is None:
        return listed
    if sizes.walked < SAMPLE:
        return None  # these are all the matches there are: checking each is cheapest
    walking = needed * sizes.walked / sizes.passed * PROBE_COST if sizes.passed else math.inf
    # A list of LIST_MAX or more costs more than counting can wait for, but less than walking
    # every match of a word no article passing the filters holds (a language's, another's word).
    listed_size = sizes.lists[listed]
    return None if walking < listed_size * LIST_COST or (math.isinf(needed) and listed_size >= LIST_MAX) else listed


class Planner:
    """The plans of one search's page and its total: what they weigh (``measure_plan``) is read
    once, by whichever asks first, within its own time limit."""

    def __init__(self, conn: sqlite3.Connection, text: str, filters: Filters) -> None:
        self.conn, self.text, self.filters = conn, text, filters
        self._sizes: PlanSizes | None = _UNMEASURED

    def kept_sql(self, needed: float) -> str:
        """``kept_sql`` for the filters as ``search_plan`` chooses for ``needed`` matches."""
        if self._sizes is _UNMEASURED:
            self._sizes = measure_plan(self.conn, self.text, self.filters)
        listed = search_plan(self.conn, self.text, self.filters, needed, sizes=self._sizes)
        return kept_sql(self.filters.checks(listed), self.filters.lists().get(listed))


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
    section: str | None = None
    description: str | None = None
    language: str | None = None


def _hits(cursor: sqlite3.Cursor) -> list[SearchHit]:
    return [SearchHit(id=r[0], site=r[1], title=r[2], url=r[3], published_at=r[4],
                      authors=json.loads(r[5] or "[]"), tags=json.loads(r[6] or "[]"), snippet=r[7] or "",
                      section=r[8], description=r[9], language=r[10])
            for r in cursor.fetchall()]


def find_articles(conn: sqlite3.Connection, text: str, filters: Filters = Filters(), *, sort: str = "newest",
                  limit: int = 20, offset: int = 0, marks: tuple[str, str] = ("[", "]"),
                  time_limit_ms: float | None = None, planner: Planner | None = None) -> list[SearchHit]:
    """One page of articles matching every word of ``text`` (the first ``MAX_QUERY_WORDS``) and
    passing ``filters``; with no words, the newest articles passing them. ``sort``: ``newest`` (the
    latest archived first) or ``relevance``; snippets mark the words found with ``marks``. A search
    running longer than ``time_limit_ms`` is stopped (``SearchTooSlow``). ``planner``: shared with
    the ``count_articles`` of the same search, so that its plan is weighed once."""
    params = {**filters.params(), "q": text, "sort": sort, "limit": limit, "offset": offset,
              "mark_open": marks[0], "mark_close": marks[1],
              # newest first needs no more matches than the page's; relevance ranks the CANDIDATES
              "candidates": CANDIDATES if sort == "relevance" else min(offset + limit, CANDIDATES)}
    if not text.strip():
        return _hits(conn.execute(latest_sql(filters.clauses(), by_tag=bool(filters.tag)), params))
    register_search_functions(conn)
    with time_limit(conn, time_limit_ms) as limit:
        try:
            planner = planner or Planner(conn, text, filters)
            return _hits(conn.execute(search_sql(planner.kept_sql(params["candidates"])), params))
        except sqlite3.OperationalError as error:
            if limit.stopped:
                words, given = len(query_words(text)), len(text.split())
                raise SearchTooSlow(
                    f"the search ran over its time limit ({time_limit_ms / 1000:g} s) and was stopped: "
                    f"{words} word(s) to look up{f' (the first of {given})' if given > words else ''};"
                    " try fewer or more distinctive words") from None
            raise SearchError(f"cannot search for {_shortened(text)!r}: {error}") from None


def count_articles(conn: sqlite3.Connection, text: str, filters: Filters = Filters(), *,
                   budget_ms: float = COUNT_BUDGET_MS, planner: Planner | None = None) -> int | None:
    """How many articles ``find_articles`` would list over all its pages, or None when counting
    takes longer than ``budget_ms`` (a common word in a million articles)."""
    if text.strip():
        register_search_functions(conn)
        sql = None  # planned within the budget
    elif len(filters.params()) == 1 and filters.params().keys() <= _COUNTED.keys():
        sql = f"select coalesce(({_COUNTED[next(iter(filters.params()))]}), 0)"
    elif not filters.params():
        sql = "select sum(articles) from site_counts"
    else:
        conditions = filters.clauses()
        sql = f"select count(*) from articles a where {' and '.join(conditions)}"
    with time_limit(conn, budget_ms, every=10_000) as limit:
        try:
            if sql is None:
                sql = count_sql((planner or Planner(conn, text, filters)).kept_sql(math.inf))
            return conn.execute(sql, {**filters.params(), "q": text}).fetchone()[0]
        except sqlite3.OperationalError:
            if limit.stopped:
                return None
            raise


class SearchHits(list[SearchHit]):
    """The hits of a search, newest first, and how many articles match in all (``matches``; None
    when there are too many to count quickly)."""

    def __init__(self, hits: list[SearchHit], matches: int | None) -> None:
        super().__init__(hits)
        self.matches = matches


def search(db: sqlite_utils.Database | sqlite3.Connection, text: str, *, site: str | None = None,
           since: str | None = None, until: str | None = None, limit: int = 20,
           time_limit_ms: int = SQL_TIME_LIMIT_MS) -> SearchHits:
    """Articles matching every word of ``text``, the latest archived first: English or any other
    language written with spaces, and Chinese, Japanese or Thai words (see archive.fulltext), mixed
    as they come.

    At most ``limit`` hits; ``.matches`` counts them all (``count_articles``; None when counting
    would take too long). A search running longer than ``time_limit_ms`` is stopped
    (``SearchTooSlow``), as Datasette stops its queries. ``db``: the archive, or a plain
    connection to it (``archive.db.read_archive``)."""
    if not text.strip():
        raise SearchError("the search query is empty")
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
    filters = Filters(site=site, since=since, until=until)
    planner = Planner(conn, text, filters)
    hits = find_articles(conn, text, filters, limit=limit, time_limit_ms=time_limit_ms, planner=planner)
    # Newest first takes no more matches than it shows: fewer hits than asked for are all there are.
    matches = len(hits) if len(hits) < min(limit, CANDIDATES) else count_articles(
        conn, text, filters, budget_ms=min(COUNT_BUDGET_MS, time_limit_ms), planner=planner)
    return SearchHits(hits, matches=matches)


def _shortened(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[:length] + "…"


class NoSuchSite(LookupError):
    """The archive holds nothing of that site."""


def archived_sites(db: sqlite_utils.Database | sqlite3.Connection) -> list[str]:
    """Every site the archive has articles, rejected pages or crawl runs of."""
    return [row[0] for row in db.execute("select site from articles union select site from rejected_pages"
                                         " union select site from crawl_runs order by 1").fetchall()]


def require_site(db: sqlite_utils.Database | sqlite3.Connection, site: str | None) -> None:
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
    cursor = db.execute(canned_query("rejected_by_reason"))  # pages extraction rejected, kept
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def recent_runs(db: sqlite_utils.Database, *, site: str | None = None, limit: int = 10,
                run_id: int | None = None) -> list[dict]:
    """The latest ``limit`` runs (of ``site``), newest first; with ``run_id``, that run alone."""
    cursor = db.execute(RUNS_SQL, {"site": site, "limit": limit, "id": run_id})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


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
