"""Datasette plugin: the archive as a news library. Pages made for reading beside Datasette's own:

- ``/``: each site with its article count, latest stories and last crawl, and the latest stories;
- ``/search``: search with filters, snippets, sort and pages (no words: the latest stories);
  ``/search.atom``: the same list as an Atom feed;
- ``/article/<id>``: one story to read, its tags, its versions and what changed between them;
- ``/capture/<id>``: an archived page as it was fetched, in a sandboxed frame (``/capture/<id>/raw``:
  the stored HTML without what would fetch by itself, under a Content-Security-Policy that lets no
  script run and nothing load from elsewhere).

The reads are archive/queries.py's, the formatting archive/reading.py's; templates are in
archive/datasette/templates (added to Datasette's loader at start-up, so no ``--template-dir``). The
canned query "search" comes from here too, built by archive/queries.py.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlencode

from datasette import Response, hookimpl
from datasette.utils.asgi import NotFound
from jinja2 import ChoiceLoader, FileSystemLoader

from archive import queries
from archive.captures import CaptureError, capture_body
from archive.fulltext import MAX_QUERY_WORDS, query_words
from archive.reading import (
    FeedEntry,
    atom_feed,
    marked_snippet,
    paragraphs,
    sandboxed_html,
    shown_time,
    version_diff,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAGE_SIZE = 20
MARKS = ("\ue000", "\ue001")  # private-use characters: snippet markers no text contains
SORTS = {"newest": "Newest first", "relevance": "Most relevant"}
# What a capture may do in the reader's browser: show itself with its inline styles and inline images.
CAPTURE_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
               "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
FILTERS = ("site", "section", "tag", "language")


def _archive(datasette):
    """The database holding the archive (the first with an ``articles`` table)."""
    for name, database in datasette.databases.items():
        if name != "_internal" and not database.is_memory:
            return database
    raise NotFound("no archive is served")


async def _render(datasette, request, name: str, context: dict) -> Response:
    context = {**context, "database_name": _archive(datasette).name}
    return Response.html(await datasette.render_template(name, context, request=request))


@hookimpl
def startup(datasette):
    """The project's templates (all named news_*) after any the user's --template-dir holds."""
    loader = datasette.jinja_env.loader
    if not any(isinstance(each, FileSystemLoader) and str(TEMPLATES) in each.searchpath
               for each in getattr(loader, "loaders", [])):
        datasette.jinja_env.loader = ChoiceLoader([loader, FileSystemLoader(str(TEMPLATES))])


def _json_list(value: str | None) -> list[str]:
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class Listing:
    """A search or list request as the reader wrote it, checked: what to ask and what to tell."""

    def __init__(self, args) -> None:
        self.q = (args.get("q") or "").strip()
        self.values = {name: (args.get(name) or "").strip() for name in FILTERS}
        self.messages: list[str] = []
        self.since, self.until = _day(args.get("from")), _day(args.get("to"))
        for name in ("from", "to"):
            if args.get(name) and _day(args.get(name)) is None:
                self.messages.append(f"“{args.get(name)}” is not a date (YYYY-MM-DD): that limit is left out.")
        self.sort = args.get("sort") if args.get("sort") in SORTS else "newest"
        try:
            self.page = min(max(int(args.get("page") or 1), 1), queries.CANDIDATES // PAGE_SIZE)
        except ValueError:
            self.page = 1
        if len(query_words(self.q)) < len(self.q.split()):
            self.messages.append(f"Only the first {MAX_QUERY_WORDS} words are searched.")

    @property
    def filters(self) -> queries.Filters:
        until = self.until + timedelta(days=1) if self.until else None
        return queries.Filters(**{name: value or None for name, value in self.values.items()},
                               since=self.since.isoformat() if self.since else None,
                               until=until.isoformat() if until else None)

    def query_string(self, **changes) -> str:
        params = {"q": self.q, **self.values, "from": self.since.isoformat() if self.since else "",
                  "to": self.until.isoformat() if self.until else "", "sort": self.sort, "page": self.page}
        params.update(changes)
        defaults = {"sort": "newest", "page": 1}
        return urlencode({name: value for name, value in params.items() if value and defaults.get(name) != value})


def _run(listing: Listing, limit: int = PAGE_SIZE, *, count: bool = True):
    def read(conn: sqlite3.Connection):
        planner = queries.Planner(conn, listing.q, listing.filters)  # the page's and the total's plans, weighed once
        hits = queries.find_articles(conn, listing.q, listing.filters, sort=listing.sort, limit=limit,
                                     offset=(listing.page - 1) * limit, marks=MARKS, planner=planner)
        total = queries.count_articles(conn, listing.q, listing.filters, planner=planner) if count else None
        return hits, total
    return read


async def search_page(datasette, request):
    listing = Listing(request.args)
    hits, total, error = [], None, None
    try:
        hits, total = await _archive(datasette).execute_fn(_run(listing))
    except (queries.SearchError, sqlite3.Error) as problem:
        error = f"That search could not be run ({problem}). Try other words."
    if not listing.q:
        heading = "Latest stories"
    elif total == 0 or (not hits and listing.page == 1):
        heading = f"No articles match “{listing.q}”"
    else:
        heading = f"Articles matching “{listing.q}”"
    more = len(hits) == PAGE_SIZE and listing.page < queries.CANDIDATES // PAGE_SIZE and (
        total is None or listing.page * PAGE_SIZE < min(total, queries.CANDIDATES if listing.q else total))
    return await _render(datasette, request, "news_search.html", {
        "listing": listing, "heading": heading, "error": error, "total": total,
        "candidates": queries.CANDIDATES, "sorts": SORTS, "page_size": PAGE_SIZE,
        "hits": [{**hit.__dict__, "snippet_html": marked_snippet(hit.snippet, *MARKS),
                  "published": shown_time(hit.published_at)} for hit in hits],
        "previous": listing.query_string(page=listing.page - 1) if listing.page > 1 else None,
        "next": listing.query_string(page=listing.page + 1) if more else None,
        "feed": "/search.atom" + ("?" + listing.query_string(page=1) if listing.query_string(page=1) else ""),
    })


async def search_feed(datasette, request):
    listing = Listing(request.args)
    listing.sort, listing.page = "newest", 1
    try:
        hits, _ = await _archive(datasette).execute_fn(_run(listing, count=False))
    except (queries.SearchError, sqlite3.Error):
        hits = []
    described = ", ".join(f"{name} {value}" for name, value in listing.values.items() if value)
    title = f"newsarchive: {listing.q or 'latest stories'}" + (f" ({described})" if described else "")
    page_url = datasette.absolute_url(request, "/search" + ("?" + request.query_string if request.query_string else ""))
    entries = [FeedEntry(id=datasette.absolute_url(request, f"/article/{hit.id}"), title=hit.title,
                         link=datasette.absolute_url(request, f"/article/{hit.id}"), original=hit.url,
                         updated=hit.published_at, summary=hit.snippet.replace(MARKS[0], "").replace(MARKS[1], ""),
                         authors=hit.authors, categories=hit.tags) for hit in hits]
    self_url = datasette.absolute_url(request, request.full_path)
    body = atom_feed(feed_id=self_url, title=title, self_link=self_url, html_link=page_url, entries=entries)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


ARTICLE_SQL = """
select id, site, section, url, title, declared_title, description, authors, published_at, published_raw, modified_at,
       modified_raw, language, tags, categories, image, site_name, text, word_count, first_seen_at,
       last_fetched_at, last_changed_at, version, last_capture_id
from articles where id = ?
"""


def _one_row(conn: sqlite3.Connection, sql: str, *params: object) -> dict | None:
    """The one row ``sql`` selects, as a dict by column name; None when there is none."""
    cursor = conn.execute(sql, params)
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row))


SQLITE_MAX_ID = 2**63 - 1  # a row id SQLite can hold: a larger number names no row


def _row_id(request, name: str, what: str) -> int:
    """The row id the URL names; past what SQLite holds it is a page not found (it was a server
    error: "Python int too large to convert to SQLite INTEGER")."""
    row_id = int(request.url_vars[name])
    if row_id > SQLITE_MAX_ID:
        raise NotFound(f"No {what} {row_id}")
    return row_id


async def article_page(datasette, request):
    article_id = _row_id(request, "article_id", "article")

    def read(conn: sqlite3.Connection):
        article = _one_row(conn, ARTICLE_SQL, article_id)
        if article is None:
            return None, []
        return article, conn.execute(queries.VERSIONS_SQL, [article_id]).fetchall()

    article, versions = await _archive(datasette).execute_fn(read)
    if article is None:
        raise NotFound(f"No archived article {article_id}")
    wanted = request.args.get("version")
    changes = []
    for (old_number, _, old_title, old_text), (number, fetched_at, title, text) in pairwise(versions):
        changes.append({"from": old_number, "version": number, "fetched": shown_time(fetched_at),
                        "open": wanted == str(number), "paragraphs": version_diff(old_title, old_text, title, text)})
    return await _render(datasette, request, "news_article.html", {
        "article": article, "paragraphs": paragraphs(article["text"]),
        "authors": _json_list(article["authors"]), "tags": _json_list(article["tags"]),
        "categories": _json_list(article["categories"]),
        "published": shown_time(article["published_at"], article["published_raw"]),
        "modified": shown_time(article["modified_at"], article["modified_raw"]),
        "first_seen": shown_time(article["first_seen_at"]), "last_fetched": shown_time(article["last_fetched_at"]),
        "versions": [{"version": v[0], "fetched": shown_time(v[1]), "title": v[2]} for v in versions],
        "changes": list(reversed(changes)),
    })


CAPTURE_SQL = "select id, url, site, fetched_at, status, content_type, size from captures where id = ?"


async def capture_page(datasette, request):
    capture_id = _row_id(request, "capture_id", "capture")

    def read(conn: sqlite3.Connection):
        capture = _one_row(conn, CAPTURE_SQL, capture_id)
        if capture is None:
            return None, None
        return capture, conn.execute("select id, title from articles where last_capture_id = ?",
                                     [capture_id]).fetchone()

    capture, article = await _archive(datasette).execute_fn(read)
    if capture is None:
        raise NotFound(f"No capture {capture_id}")
    return await _render(datasette, request, "news_capture.html", {
        "capture": capture, "fetched": shown_time(capture["fetched_at"]),
        "article": {"id": article[0], "title": article[1]} if article else None})


async def capture_raw(datasette, request):
    capture_id = _row_id(request, "capture_id", "capture")

    def read(conn: sqlite3.Connection):
        try:
            body = capture_body(conn, capture_id)
        except CaptureError as error:
            raise NotFound(f"Capture {capture_id} cannot be read: {error}") from None
        if body is None:
            raise NotFound(f"No capture {capture_id}")
        return body

    body = await _archive(datasette).execute_fn(read)
    return Response(sandboxed_html(body), content_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": CAPTURE_CSP, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Cache-Control": "private, max-age=3600"})


FRONT_SITES_SQL = """
select site, sum(articles) as articles from (
  select site, articles from site_counts
  union all select site, 0 from crawl_runs group by site
) group by site order by site
"""
SITE_LATEST_SQL = "select id, title, published_at from articles where site = ? order by published_at desc limit 3"
LAST_RUN_SQL = ("select started_at, finished_at, outcome, articles_new, articles_changed, errors from crawl_runs"
                " where site = ? order by started_at desc limit 1")


async def front_page(datasette, request):
    def read(conn: sqlite3.Connection):
        sites = []
        for site, count in conn.execute(FRONT_SITES_SQL).fetchall():
            latest = conn.execute(SITE_LATEST_SQL, [site]).fetchall()
            run = conn.execute(LAST_RUN_SQL, [site]).fetchone()
            sites.append({"site": site, "articles": count,
                          "latest": [{"id": i, "title": t, "published": shown_time(p)} for i, t, p in latest],
                          "run": dict(zip(("started", "finished", "outcome", "new", "changed", "errors"),
                                          (shown_time(run[0]), shown_time(run[1]), *run[2:]))) if run else None})
        latest = queries.find_articles(conn, "", queries.Filters(), limit=10)
        return sites, latest

    sites, latest = await _archive(datasette).execute_fn(read)
    return await _render(datasette, request, "news_front.html", {
        "sites": sites, "latest": [{**hit.__dict__, "published": shown_time(hit.published_at)} for hit in latest],
        "total": sum(site["articles"] for site in sites)})


@hookimpl
def register_routes():
    return [
        (r"^/$", front_page),
        (r"^/search$", search_page),
        (r"^/search\.atom$", search_feed),
        (r"^/article/(?P<article_id>\d+)$", article_page),
        (r"^/capture/(?P<capture_id>\d+)$", capture_page),
        (r"^/capture/(?P<capture_id>\d+)/raw$", capture_raw),
    ]


@hookimpl
def canned_queries(datasette, database):
    """The "search" canned query: archive/queries.py's statement with the CLI's filters."""
    if database == "_internal":
        return {}
    sql = queries.search_sql(queries.canned_kept_sql())
    return {"search": {
        "title": "Search articles",
        "description": "Full-text search (every word must match) with highlighted snippets; optionally one site "
                       "and a date range; sort newest (the latest archived first) or relevance (bm25 among the "
                       f"{queries.CANDIDATES:,} newest matches). Finds words of every script, Chinese, Japanese "
                       "and Thai included. For reading, /search does the same with more filters.",
        "sql": sql.replace(":mark_open", "'['").replace(":mark_close", "']'").replace(":candidates", "''"),
        "hide_sql": True,
    }}


@hookimpl
def menu_links(datasette):
    return [{"href": "/", "label": "Front page"}, {"href": "/search", "label": "Search"},
            {"href": f"/{_archive(datasette).name}", "label": "Tables"}]
