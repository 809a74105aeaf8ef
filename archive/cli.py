"""The ``newsarchive`` command: each command parses its options, makes one library call and prints.

``--db`` and ``--sites-dir`` mean the same on every command and can be set once in the
environment (``NEWSARCHIVE_DB``, ``NEWSARCHIVE_SITES_DIR``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.db import ArchiveError, open_archive, read_archive, writable
from archive.queries import (
    SEARCH_MAX_HITS,
    NoSuchArticle,
    NoSuchSite,
    SearchError,
    SearchTooSlow,
    article_history,
    recent_runs,
    rejected_stats,
    require_site,
    search,
    site_stats,
)
from archive.serve import SQL_TIME_LIMIT_MS
from crawler import __version__
from crawler.sites import SiteConfigError, load_site, load_sites, parse_sources

if TYPE_CHECKING:
    from archive.schedule import SiteFiles

DEFAULT_DB = "archive.db"
DEFAULT_SITES_DIR = "settings/sites"

# Exit codes, for cron and systemd (README: "Exit codes"); 2 is click's usage error.
EXIT_PROBLEM = 1  # a run failed, timed out or was interrupted, or an error stopped the command
SEARCH_MAX_SECONDS = 3600  # --time-limit: longer is no search a terminal waits for
EXIT_BLOCKED = 3  # nothing failed, but a site's run stopped at a bot wall
WRITER_LOCK = "(writer)"  # the lock the one writer of an archive holds, beside the sites' crawl locks


def exit_code(outcomes: Iterable[str]) -> int:
    """The exit code that tells cron how the runs went: 0 when every one finished (a
    ``CLOSESPIDER_*`` limit included)."""
    outcomes = set(outcomes)
    if outcomes - {"finished", "blocked", "locked", "not due", "seeded"}:  # failed, timeout, interrupted...
        return EXIT_PROBLEM
    return EXIT_BLOCKED if "blocked" in outcomes else 0


def archive_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--db`` and ``--sites-dir``, identical on every command."""
    command = click.option("--db", "db_path", default=DEFAULT_DB, envvar="NEWSARCHIVE_DB", show_default=True,
                           type=click.Path(dir_okay=False, path_type=Path),
                           help="The SQLite archive (env NEWSARCHIVE_DB).")(command)
    command = click.option("--sites-dir", default=DEFAULT_SITES_DIR, envvar="NEWSARCHIVE_SITES_DIR",
                           show_default=True, type=click.Path(file_okay=False, path_type=Path),
                           help="Folder of site files, one <name>.toml per site (env NEWSARCHIVE_SITES_DIR).")(command)
    return command


def parse_since(value: str | None) -> Any:
    if value is None:  # (no --since given: the date readers are not loaded for nothing)
        return None
    from crawler.extraction import parse_since as parse  # dateparser & co: only when a date is given

    return parse(value)


def load_usable_sites(names: tuple[str, ...], sites_dir: Path, db_path: Path | None = None) -> SiteFiles:
    from archive.schedule import load_usable_sites as load  # trafilatura & co (archive.store): only when needed

    return load(names, sites_dir, db_path)


def _known_errors() -> tuple[type[Exception], ...]:
    frontier = sys.modules.get("archive.frontier")  # Redis & co: imported by the commands that use it
    return (SiteConfigError, ArchiveError, SearchError, NoSuchArticle, NoSuchSite,
            *([frontier.FrontierError] if frontier else []), *_redis_errors())


def _redis_errors() -> tuple[type[Exception], ...]:
    redis = sys.modules.get("redis")
    return (redis.RedisError,) if redis is not None else ()


def clear_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Known failures become one ``Error: ...`` line and exit status 1, never a traceback (Redis
    lost while a writer or a worker runs too: the work it held goes back to the frontier)."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except _known_errors() as error:
            lost = isinstance(error, _redis_errors())
            raise click.ClickException(f"lost Redis: {error}" if lost else str(error)) from None
    return wrapper


@click.group()
@click.version_option(__version__, prog_name="newsarchive")
def cli() -> None:
    """Crawl news sites into a clean, searchable SQLite archive."""


def scrapy_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` pairs from ``--set``, as Scrapy's ``-s`` takes them."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
        settings[key.strip()] = value
        if key.strip() not in ("ARCHIVE_RECHECK", "ARCHIVE_LISTING_SAFETY_DEPTH"):  # (read by their own parsers below)
            settings[key.strip()] = _checked_setting(key.strip(), value)
    if "ARCHIVE_RECHECK" in settings:  # a bad policy fails here, named, not as a traceback mid-crawl
        from crawler.recheck import RecheckPolicy

        try:
            RecheckPolicy.parse(settings["ARCHIVE_RECHECK"])
        except ValueError as error:
            raise click.BadParameter(f"ARCHIVE_RECHECK: {error}", param_hint="--set") from None
    if "ARCHIVE_LISTING_SAFETY_DEPTH" in settings:
        from crawler.settings import listing_safety_depth

        try:
            listing_safety_depth(settings["ARCHIVE_LISTING_SAFETY_DEPTH"])
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--set") from None
    return settings


# Settings whose defaults are whole numbers but which Scrapy reads as seconds, fractions allowed
_READ_AS_SECONDS = ("TIMEOUT", "DELAY")


def _checked_setting(key: str, value: str) -> str:
    """A ``--set`` value of the type its default has (the project's settings, else Scrapy's), as
    it is to be set: a bad one is a usage error naming it, not a traceback from inside the crawl."""
    import logging

    from scrapy.settings import default_settings as scrapys

    import crawler.settings as ours

    def bad(problem: str) -> click.BadParameter:
        return click.BadParameter(f"{key}={value!r}: {problem}", param_hint="--set")

    if key == "ARCHIVE_DB":
        raise bad("the archive is chosen with --db")
    if key == "LOG_LEVEL":
        levels = [name for name in logging.getLevelNamesMapping() if name != "NOTSET"]
        if value.strip().upper() not in levels:
            raise bad(f"must be one of {', '.join(levels)}")
        return value.strip().upper()  # (logging knows its levels in capitals only)
    if key == "LOG_FILE" and value and not Path(value).parent.is_dir():
        raise bad(f"folder {Path(value).parent} does not exist")
    default = getattr(ours, key, getattr(scrapys, key, None))
    if isinstance(default, bool):
        if value.strip() not in ("0", "1", "True", "False", "true", "false"):
            raise bad("must be true or false (or 1 or 0)")
    elif isinstance(default, int | float):
        whole = isinstance(default, int) and not key.endswith(_READ_AS_SECONDS)
        try:
            number = int(value) if whole else float(value)
        except ValueError:
            raise bad(f"must be {'a whole number' if whole else 'a number'}") from None
        if not math.isfinite(number) or (number < 0 <= default and not key.endswith(("PRIORITY", "_ADJUST"))):
            raise bad("must be a finite number, not negative")
    return value


def checked_by(parse: Callable[[str | None], object]) -> Callable[..., str | None]:
    """A click callback: the value as given, or a usage error with ``parse``'s message."""
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        try:
            parse(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
        return value
    return check


since_option = click.option("--since", metavar="DATE", callback=checked_by(parse_since),
                            help="Skip feed and sitemap entries dated before DATE, unfetched (2024-06-01; "
                                 "2024-06 and 2024 mean the start of that month or year).")
sources_option = click.option("--sources", metavar="LIST", callback=checked_by(parse_sources),
                              help="Discovery sources to use, comma-separated: sections,feeds,sitemaps (default all).")
set_option = click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
                          help="A Scrapy setting for this crawl, e.g. --set DOWNLOAD_DELAY=2 (repeatable).")


def redis_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--redis`` and ``--redis-prefix``: where the shared frontier of a distributed crawl lives."""
    command = click.option("--redis-prefix", default="newsarchive", envvar="NEWSARCHIVE_REDIS_PREFIX",
                           show_default=True, help="Key prefix, so one Redis can serve several archives.")(command)
    command = click.option("--redis", "redis_url", metavar="URL", envvar="NEWSARCHIVE_REDIS_URL",
                           help="Redis of the shared frontier, e.g. redis://10.0.0.5:6379/0 "
                                "(env NEWSARCHIVE_REDIS_URL).")(command)
    return command


def _frontier(redis_url: str | None, prefix: str, option: str):
    from archive.frontier import Frontier, Keys, connect

    if not redis_url:
        raise click.UsageError(f"{option} needs --redis URL (or NEWSARCHIVE_REDIS_URL)")
    return Frontier(connect(redis_url), Keys(prefix))


# What the sample site's deliberate traps make Scrapy log, so that the demo can say so.
DEMO_TRAPS = "a 404, a 410, a redirect loop, a page too large, a page too slow"


def _start_extraction(overrides: dict[str, Any]) -> None:
    """Start the extraction pool's fork server before Scrapy's imports, when the crawl extracts in
    worker processes: it imports extraction on another core meanwhile (``crawler.pool``)."""
    from crawler.pool import start_fork_server
    from crawler.settings import default_workers

    start_fork_server(int(overrides.get("ARCHIVE_EXTRACT_WORKERS", default_workers())))


def _crawl(sites: list, db_path: Path, verbose: bool, settings: tuple[str, ...] = (),
           since: str | None = None, sources: str | None = None, extra: dict[str, Any] | None = None,
           demo: bool = False) -> None:
    """Crawl ``sites``, print one summary line per site, and exit with the code their runs call for.

    Without ``-v`` (and no LOG_LEVEL or LOG_FILE of one's own) Scrapy's log lines are held back,
    as the README promises: in a terminal only the progress line and the summary, under cron only
    the summary; the summary says how many lines -v would show."""
    from contextlib import ExitStack

    from archive.schedule import SiteLocked, site_lock
    from archive.store import close_interrupted

    overrides = {"LOG_LEVEL": "INFO" if verbose else "WARNING",
                 "ARCHIVE_PROGRESS": sys.stderr.isatty() and not verbose, **(extra or {}), **scrapy_settings(settings)}
    hold_back = not verbose and not {"LOG_LEVEL", "LOG_FILE", "LOG_ENABLED"} & set(scrapy_settings(settings))
    open_archive(db_path).close()  # create it (and fail clearly) before taking locks beside it
    with ExitStack() as locks:
        free = []
        for site in sites:
            try:
                locks.enter_context(site_lock(db_path, site.name))
                free.append(site)
            except SiteLocked as locked:
                click.echo(f"{site.name}: skipped, {locked}")
        if not free:
            return
        _start_extraction(overrides)
        from crawler.runner import run_crawl  # Scrapy loads only for commands that crawl

        started = time.monotonic()
        result = run_crawl(free, db_path, overrides, since=since, sources=sources, hold_back_log=hold_back)
    elapsed = time.monotonic() - started
    db = open_archive(db_path)
    # runs left open (the crawl was stopped hard, e.g. a second Ctrl-C) are closed with what they stored
    close_interrupted(db, result.runs.values(), "the crawl stopped before closing its run; counts are what it stored")
    outcomes = {}
    for site in free:
        run = recent_runs(db, run_id=result.runs[site.name]) if site.name in result.runs else []
        if not run:
            outcomes[site.name] = "failed"
            click.echo(f"{site.name}: failed - no run was recorded ({result.finish_reason})")
            continue
        r = run[0]
        outcomes[site.name] = r["outcome"]
        click.echo(f"{site.name}: {r['outcome']} - {r['pages']} pages, {r['articles_new']} new, "
                   f"{r['articles_changed']} changed, {r['articles_unchanged']} unchanged, "
                   f"{r['articles_not_modified']} not modified, "
                   f"{r['skipped']} skipped, {r['errors']} errors" + (f"; {r['error']}" if r["error"] else ""))
    if held := sum(result.held_back.values()):
        lines = f"{held} warning{'s' if held > 1 else ''} and errors" if held > 1 else "1 warning or error"
        if demo and not result.error:
            click.echo(f"Log: {lines} from the sample site's deliberate traps ({DEMO_TRAPS}): expected; "
                       "-v shows them.")
        else:
            click.echo(f"Log: {lines} about pages and sites (what they count is above); -v shows them.")
    why = f": {result.error}" if result.error else ""
    click.echo(f"Crawl {result.finish_reason} in {elapsed:.1f}s{why}; archive: {db_path}")
    code = exit_code(outcomes.values())
    if code:
        others = ", ".join(f"{name} {outcome}" for name, outcome in outcomes.items() if outcome != "finished")
        click.echo(f"Error: not every run finished: {others}", err=True)
        raise SystemExit(code)


@contextlib.contextmanager
def _serving_sample_site(sites: list, articles: int = 120, port: int = 0,
                         sample: Any = None) -> Iterator[dict[str, Any]]:
    """For a crawl of the built-in sample site (``demo``), or of ``sample`` (the site file
    ``newsarchive demo`` crawls it with), the sample site served on 127.0.0.1 while it runs, and
    the settings that route the crawl to it; nothing for other sites."""
    from archive.schedule import is_built_in

    config = sample or next((site for site in sites if is_built_in(site)), None)
    if config is None:
        yield {}
        return
    from crawler.demo_site import DemoServer, DemoSite
    from crawler.demo_site.routing import route_settings

    # Its pages keep the site file's address whatever port serves them: a second demo on the same
    # archive finds the same URLs (and re-checks them) instead of storing every article again.
    server = DemoServer(DemoSite(articles=articles), port=port, site_url=config.base_url)
    try:
        server.start()
    except OSError as error:
        raise click.ClickException(f"cannot serve the sample site on 127.0.0.1:{port}: "
                                   f"{error.strerror or error} (--port 0 takes any free port)") from None
    try:
        click.echo(f"Sample news site {config.base_url} ({articles} articles, served on {server.base_url}); "
                   "crawling it...")
        yield route_settings(config.base_url, server.base_url)
    finally:
        server.stop()


@cli.command()
@archive_options
@click.option("--articles", default=120, show_default=True, type=click.IntRange(min=1),
              help="How many articles the sample site publishes.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port for the sample site (0: any free port).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@set_option
@since_option
@sources_option
@clear_errors
def demo(db_path: Path, sites_dir: Path, articles: int, port: int, verbose: bool, settings: tuple[str, ...],
         since: str | None, sources: str | None) -> None:
    """Serve the bundled sample news site on 127.0.0.1 and archive it (no network needed)."""
    config = load_site("demo", sites_dir)  # a demo.toml in --sites-dir first, as `crawl demo` reads it
    with _serving_sample_site([config], articles, port, sample=config) as extra:
        _crawl([config], db_path, verbose, settings, since, sources, extra=extra, demo=True)
    click.echo(f"\nExplore it:\n  newsarchive search Pyongyang --db {db_path}\n"
               f"  newsarchive serve --db {db_path}      # Datasette on http://127.0.0.1:8001/")


@cli.command()
@archive_options
@click.argument("site_names", nargs=-1, metavar="[SITE]...")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@set_option
@since_option
@sources_option
@redis_options
@click.option("--distributed", is_flag=True,
              help="Seed the shared frontier with the sites' sections, feeds and sitemaps, then exit.")
@click.option("--worker", is_flag=True, help="Crawl from the shared frontier (any site), handing articles "
                                               "to `newsarchive writer`.")
@click.option("--idle-exit", default=0.0, type=click.FloatRange(min=0), metavar="SECONDS",
              help="With --worker: stop after this long with nothing to do anywhere (0: keep waiting).")
@clear_errors
def crawl(db_path: Path, sites_dir: Path, site_names: tuple[str, ...], verbose: bool,
          settings: tuple[str, ...], since: str | None, sources: str | None, redis_url: str | None,
          redis_prefix: str, distributed: bool, worker: bool, idle_exit: float) -> None:
    """Crawl the named sites (all site files when none is named) into the archive.

    Scaling out: `--distributed` seeds a shared Redis frontier, any number of `--worker`
    processes on any machines crawl it, and one `newsarchive writer` fills the archive.
    """
    if distributed and worker:
        raise click.UsageError("--distributed seeds and --worker crawls: run them as separate commands")
    if worker:
        if site_names or since or sources:
            raise click.UsageError("a --worker takes its work from the frontier: give sites, --since and "
                                   "--sources to the seeding `crawl --distributed`")
        _frontier(redis_url, redis_prefix, "--worker")  # fail fast, before Scrapy starts
        _work(load_sites((), sites_dir), sites_dir, db_path, verbose, settings, redis_url, redis_prefix, idle_exit)
        return
    # The sample site is served for a crawl here only: workers elsewhere could not reach it.
    sites = load_sites(site_names, sites_dir) if distributed else _sites_to_crawl(site_names, sites_dir, db_path)
    if distributed:
        from scrapy.settings import Settings

        from crawler.distributed import seed

        overrides = Settings(scrapy_settings(settings))
        _frontier(redis_url, redis_prefix, "--distributed")
        seeded = seed(sites, redis_url, prefix=redis_prefix, since=since, sources=sources, db_path=str(db_path),
                      recheck=overrides.get("ARCHIVE_RECHECK"),
                      learn=overrides.getbool("ARCHIVE_LEARN_BOILERPLATE", True))
        click.echo(f"Seeded run {seeded.run}: {seeded.queued} start requests queued for "
                   f"{', '.join(s.name for s in sites)} ({seeded.already_queued} already queued); "
                   f"from the archive: {seeded.due} articles due for a re-check, "
                   f"{seeded.learned} learned furniture lines.")
        return
    with _serving_sample_site(sites) as extra:
        _crawl(sites, db_path, verbose, settings, since, sources, extra=extra, demo=bool(extra))


def _sites_to_crawl(site_names: tuple[str, ...], sites_dir: Path, db_path: Path) -> list:
    """The named sites; with none named, every site file and the archive's own built-in site (the
    demo's, after ``newsarchive demo``)."""
    if site_names:
        return load_sites(site_names, sites_dir)
    from archive.schedule import built_in_sites_of

    own = built_in_sites_of(db_path, sites_dir)
    try:
        return load_sites((), sites_dir) + own
    except SiteConfigError as error:
        if own and error.key is None and Path(error.path) == Path(sites_dir):  # no folder, or no files in it
            return own
        raise


def _work(sites: list, sites_dir: Path, db_path: Path, verbose: bool, settings: tuple[str, ...], redis_url: str,
          prefix: str, idle_exit: float) -> None:
    _start_extraction(scrapy_settings(settings))
    from crawler.distributed import DistributedNewsSpider, distributed_settings
    from crawler.runner import run_crawl

    overrides = {"LOG_LEVEL": "INFO" if verbose else "WARNING", "ARCHIVE_PROGRESS": False,
                 **distributed_settings(redis_url, prefix=prefix, idle_exit=idle_exit), **scrapy_settings(settings)}
    started = time.monotonic()
    result = run_crawl(sites, db_path, overrides, spider_cls=DistributedNewsSpider)
    click.echo(f"worker {overrides['ARCHIVE_WORKER_ID']}: {result.count('news/pages')} pages, "
               f"{result.count('archive/handed_off')} articles handed to the writer, "
               f"{result.count('news/errors') + result.count('archive/errors')} errors, "
               f"in {time.monotonic() - started:.1f}s ({result.finish_reason})")
    unknown = sorted(key.rsplit("/", 1)[1] for key in result.stats if key.startswith("news/errors/unknown_site/"))
    if unknown:
        raise click.ClickException(f"the frontier holds work for site(s) {', '.join(unknown)} with no site file in "
                                   f"{sites_dir}: every worker needs every seeded site's file (work handed back)")
    if result.finish_reason not in ("finished", "shutdown"):  # shutdown: stopped on purpose, work handed back
        raise click.ClickException(f"the worker did not finish cleanly ({result.finish_reason}"
                                   + (f": {result.error})" if result.error else ")"))


@cli.command()
@archive_options
@redis_options
@click.option("--until-drained", is_flag=True,
              help="Exit once nothing is queued, in flight or waiting (for one-off crawls and tests).")
@clear_errors
def writer(db_path: Path, sites_dir: Path, redis_url: str | None, redis_prefix: str, until_drained: bool) -> None:
    """Store the articles distributed workers hand in: the one process that writes the archive."""
    import signal
    import threading

    from archive.frontier import ArchiveWriter
    from archive.schedule import SiteLocked, site_lock

    frontier = _frontier(redis_url, redis_prefix, "writer")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with site_lock(db_path, WRITER_LOCK):  # one writer an archive: two split its runs' counts
            archive_writer = ArchiveWriter(str(db_path), frontier, log=lambda line: click.echo(line, err=True))
            try:
                result = archive_writer.run(until_drained=until_drained, should_stop=stop.is_set)
            finally:
                archive_writer.close()
    except SiteLocked as locked:
        raise click.ClickException(f"another writer (pid {locked.pid or 'unknown'}) writes {db_path}: an archive "
                                   "has one writer") from None
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(result.outcomes.items())) or "nothing new"
    click.echo(f"Writer stored {result.stored} articles ({outcomes}) and kept {result.rejected} rejected pages; "
               f"{result.replayed} already archived, {result.bad} unreadable. Archive: {db_path}")


@cli.command()
@archive_options
@clear_errors
def sites(db_path: Path, sites_dir: Path) -> None:
    """List the site files and check each one; exit 1 if any is broken, or if there is none."""
    loaded = load_usable_sites((), sites_dir)
    for site in loaded.sites:
        click.echo(f"ok      {site.name:<16} {site.base_url}  sections={len(site.sections)} "
                   f"feeds={len(site.feeds)} sitemaps={len(site.sitemaps)} every={site.every}")
    for index, site in enumerate(loaded.sites):  # one page, two sites: import and the writer take the first
        for other in loaded.sites[index + 1:]:
            if other.in_scope(site.base_url) or site.in_scope(other.base_url):
                click.echo(f"note: {site.name} and {other.name} share pages ({site.base_url} and {other.base_url}): "
                           f"an imported page goes to {site.name}", err=True)
    _report_broken(loaded.broken)
    _fail_if_broken(loaded)


@cli.command()
@archive_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@clear_errors
def stats(db_path: Path, sites_dir: Path, as_json: bool) -> None:
    """Articles, changes and captures per site, rejected pages by reason, and the latest crawl runs."""
    db = open_archive(db_path, read_only=True)
    per_site, rejected, runs = site_stats(db), rejected_stats(db), recent_runs(db, limit=10)
    if as_json:
        click.echo(json.dumps({"sites": per_site, "rejected": rejected, "runs": runs}, indent=2))
        return
    if not per_site:
        click.echo("The archive has no articles yet.")
    for row in per_site:
        click.echo(f"{row['site']}: {row['articles']} articles ({row['changes']} changes), "
                   f"{row['captures']} captures, published {row['oldest']} .. {row['newest']}")
    by_site: dict[str, list[dict]] = {}
    for row in rejected:
        by_site.setdefault(row["site"], []).append(row)
    for site, rows in by_site.items():
        reasons = ", ".join(f"{row['reason']} {row['pages']}" for row in rows)
        click.echo(f"{site}: {sum(row['pages'] for row in rows)} rejected pages kept ({reasons})")
    for run in runs:
        click.echo(f"run {run['id']} {run['site']} {run['started_at']} {run['outcome']}: {run['pages']} pages, "
                   f"{run['articles_new']} new, {run['articles_changed']} changed, {run['errors']} errors")


@cli.command(name="captures")
@archive_options
@click.option("--site", help="Only this site.")
@click.option("--retrain", is_flag=True,
              help="Train each site's capture dictionary again from its latest captures: newer captures use it, "
                   "older ones keep theirs.")
@click.option("--vacuum", "reclaim", is_flag=True,
              help="Give the space freed inside the archive back to the file system (SQLite VACUUM: needs as much "
                   "free disk as the archive takes, and no crawl running).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@clear_errors
def captures_command(db_path: Path, sites_dir: Path, site: str | None, retrain: bool, reclaim: bool,
                     as_json: bool) -> None:
    """Raw captures per site: how many, raw and stored bytes, their compression dictionaries."""
    from archive.captures import capture_stats, encoder_for, vacuum

    db = open_archive(db_path, read_only=not (retrain or reclaim))
    if site is not None and not capture_stats(db, site):
        require_site(db, site)  # a site the archive does not know is an error; one without captures is not
    if retrain:
        for row in capture_stats(db, site):
            trained = encoder_for(db).train(row["site"])
            click.echo(f"{row['site']}: " + (f"dictionary {trained} trained" if trained else
                                              "too few captures to train a dictionary"), err=as_json)
    if reclaim:
        before, after = vacuum(db)
        click.echo(f"{db_path}: {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB", err=as_json)
    rows = capture_stats(db, site)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("The archive has no captures yet.")
    for row in rows:
        share = row["stored_bytes"] / row["raw_bytes"] if row["raw_bytes"] else 0
        dictionary = (f"dictionary {row['dictionary_id']} ({row['dictionaries']} trained)" if row["dictionary_id"]
                      else "no dictionary yet")
        gzipped = f", {row['gzip_captures']} still gzip" if row["gzip_captures"] else ""
        click.echo(f"{row['site']}: {row['captures']} captures, {row['raw_bytes'] / 2**20:.1f} MiB raw, "
                   f"{row['stored_bytes'] / 2**20:.1f} MiB stored ({share:.1%}), {dictionary}{gzipped}")


@cli.command(name="search")
@archive_options
@click.argument("query")
@click.option("--site", help="Only this site.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, SEARCH_MAX_HITS),
              help="Show at most this many of the matches, the latest archived first.")
@click.option("--time-limit", default=SQL_TIME_LIMIT_MS / 1000, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=0, min_open=True), help="Stop a search that runs longer than this.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines (the count of matches goes to stderr).")
@clear_errors
def search_command(db_path: Path, sites_dir: Path, query: str, site: str | None, limit: int, time_limit: float,
                   as_json: bool) -> None:
    """Full-text search over titles, descriptions and texts: every word must match, in any script
    (Chinese, Japanese and Thai words too, written without spaces)."""
    if not math.isfinite(time_limit) or time_limit > SEARCH_MAX_SECONDS:
        raise click.BadParameter(f"{time_limit} is not a number of seconds up to {SEARCH_MAX_SECONDS}",
                                 param_hint="--time-limit")
    conn = read_archive(db_path)  # no sqlite-utils: a search starts quickly
    require_site(conn, site)
    try:
        hits = search(conn, query, site=site, limit=limit, time_limit_ms=round(time_limit * 1000))
    except SearchTooSlow as error:
        raise click.ClickException(f"{error}, or allow more time with --time-limit") from None
    for hit in hits:
        if as_json:
            click.echo(json.dumps(hit.__dict__, ensure_ascii=False))
        else:
            click.echo(f"{hit.published_at or '':<26} {hit.title}\n    {hit.url}\n    {' '.join(hit.snippet.split())}")
    if not hits and not as_json:
        click.echo(f"No articles match {query!r}.")
    if hits.matches is None or len(hits) < hits.matches:
        narrow = "more words or --site narrow the search"
        if hits.matches is not None and hits.matches <= SEARCH_MAX_HITS:
            more = f"--limit {hits.matches} shows them all"
        elif len(hits) < SEARCH_MAX_HITS:
            more = f"--limit {SEARCH_MAX_HITS} shows the newest {SEARCH_MAX_HITS}; {narrow}"
        else:
            more = f"no more than the newest {SEARCH_MAX_HITS} are shown; {narrow}"
        shown = (f"{len(hits)} of {hits.matches} matching articles shown" if hits.matches is not None else
                 f"{len(hits)} matching articles shown, of more than can be counted quickly")
        click.echo(f"{shown}; {more}.", err=as_json)


@cli.command()
@archive_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--allow-sql", is_flag=True, help="Let visitors run arbitrary read-only SQL.")
@clear_errors
def serve(db_path: Path, sites_dir: Path, host: str, port: int, allow_sql: bool) -> None:
    """Browse and search the archive in Datasette, safely beside a running crawl."""
    import tempfile

    from datasette.cli import cli as datasette_cli

    from archive.serve import datasette_metadata, datasette_serve_args

    open_archive(db_path, read_only=True).close()  # a clear error for a missing or foreign file
    port = _usable_port(host, port)
    with tempfile.TemporaryDirectory() as tmp:
        metadata_file = Path(tmp) / "metadata.json"
        metadata_file.write_text(json.dumps(datasette_metadata(db_path)))
        click.echo(f"Serving {db_path} on http://{host}:{port}/ (Ctrl-C stops)")
        datasette_cli.main(datasette_serve_args(db_path, metadata_file, host=host, port=port, allow_sql=allow_sql,
                                                immutable=not writable(db_path)),
                           prog_name="datasette", standalone_mode=False)


def _usable_port(host: str, port: int) -> int:
    """``port`` when it can be listened on (a port in use is one error line, before Datasette's
    server starts and exits with its own code), or for 0 a free port, so the address shown is real."""
    import socket

    try:
        with socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            return probe.getsockname()[1]
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


@cli.command(name="reextract")
@archive_options
@click.option("--site", help="Only this site.")
@click.option("--dry-run", is_flag=True, help="Report what would change, write nothing.")
@click.option("--no-learn", is_flag=True, help="Do not learn or drop lines that recur across a site's articles.")
@clear_errors
def reextract_command(db_path: Path, sites_dir: Path, site: str | None, dry_run: bool, no_learn: bool) -> None:
    """Rebuild every article from its stored capture (no network), decide again about every
    rejected page, and report what changed."""
    from archive.boilerplate import learn_boilerplate
    from archive.reextract import reextract
    from crawler.sites import ExtractionRules, load_site

    db = open_archive(db_path, create=False, read_only=dry_run)  # a dry run writes nothing: it needs no lock
    require_site(db, site)
    configs: dict[str, tuple] = {}

    def rules_for(name: str) -> tuple:
        if name not in configs:
            try:
                config = load_site(name, sites_dir)
                rules, timezone = config.extraction, config.timezone
            except SiteConfigError as error:
                click.echo(f"warning: {error}; using default rules and UTC for {name}", err=True)
                rules, timezone = ExtractionRules(), None
            learned = () if no_learn else learn_boilerplate(db, name, save=not dry_run)
            if learned:
                click.echo(f"{name}: dropping {len(learned)} line(s) learned as the site's furniture", err=True)
            configs[name] = (rules.with_drop_lines(learned), timezone)
        return configs[name]

    report = reextract(db, rules_for, site=site, dry_run=dry_run)
    for url in report.changed:
        click.echo(f"changed  {url}")
    for url in report.now_articles:
        click.echo(f"article  {url} (was rejected)")
    for url, old_reason, new_reason in report.reason_changed:
        click.echo(f"rejected {url}: {old_reason} -> {new_reason}")
    for url, reason in report.failed + report.rejected_failed:
        click.echo(f"failed   {url}: {reason}")
    verb = "would change" if dry_run else "changed"
    click.echo(f"{report.articles} articles re-extracted: {len(report.changed)} {verb}, {report.unchanged} unchanged, "
               f"{len(report.failed)} failed, {report.without_capture} without a capture")
    became = "would become articles" if dry_run else "became articles"
    click.echo(f"{report.rejected} rejected pages decided again: {len(report.now_articles)} {became}, "
               f"{report.still_rejected} still rejected ({len(report.reason_changed)} for another reason), "
               f"{len(report.rejected_failed)} failed")
    if report.fetched_meanwhile:
        click.echo(f"{len(report.fetched_meanwhile)} page(s) fetched again by a crawl while this ran: left as the "
                   "crawl stored them")
    if report.failed or report.rejected_failed:  # the captures are kept: a fixed rule or extractor tries again
        sys.exit(EXIT_PROBLEM)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """Within: SIGTERM (a cron job's timeout, systemd stopping the command) ends the command as an
    exit (status 143) that cleans up on its way out, where by default the process ends where it
    stands (an export would leave its partial file)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():  # (signal handlers are the main thread's)
        yield
        return

    def stopped(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def export_format(output: str) -> str:
    """The format an output file's name asks for (``-o articles.csv``), JSON Lines by default."""
    name = output.lower()
    return "csv" if name.endswith(".csv") else "warc" if name.endswith((".warc", ".warc.gz")) else "jsonl"


@cli.command(name="export")
@archive_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "warc"]),
              help="jsonl, csv or warc [default: as the output file's name ends (.csv, .warc, .warc.gz), else jsonl]")
@click.option("--site", help="Only this site.")
@click.option("--since", callback=checked_by(parse_since), metavar="DATE",
              help="Articles published (WARC: captures fetched) on or after DATE.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), show_default=True,
              help="File to write (replaced once the export is complete); - is standard output.")
@clear_errors
def export_command(db_path: Path, sites_dir: Path, fmt: str, site: str | None, since: str | None, output: str) -> None:
    """Stream the archive out as JSON Lines, CSV (articles) or WARC (raw captures)."""
    from archive import export

    fmt = fmt or export_format(output)
    db = open_archive(db_path, read_only=True)
    require_site(db, site)
    since_iso = parse_since(since).isoformat(timespec="seconds") if since else None
    writers = {"jsonl": export.export_jsonl, "csv": export.export_csv, "warc": export.export_warc}
    binary = fmt == "warc"
    skipped: list[str] = []
    options = {"site": site, "since": since_iso, **({"skipped": skipped} if binary else {})}
    try:
        if output == "-":
            out = sys.stdout.buffer if binary else sys.stdout
            count = writers[fmt](db, out, **options)
            out.flush()
        else:
            with _sigterm_exits(), export.replaced_whole(output, binary) as out:
                count = writers[fmt](db, out, **options)
    except OSError as error:  # no such folder, a full disk, a closed pipe
        raise click.ClickException(f"cannot write {'standard output' if output == '-' else output}: "
                                   f"{error.strerror or error}") from None
    click.echo(f"exported {count} {'captures' if fmt == 'warc' else 'articles'} as {fmt}", err=True)
    if skipped:
        raise click.ClickException(f"{len(skipped)} capture(s) could not be decoded and were left out "
                                   f"(the first: {skipped[0]})")


@cli.command(name="import")
@archive_options
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--site", "site_name", help="Store every page under this site, with its rules (default: the site "
                                          "file whose scope holds the page, else a site named after its host).")
@click.option("--hosts", metavar="PATTERN", help="Only pages of these hosts, comma-separated: example.com (and its "
                                                 "subdomains), *.example.org.")
@click.option("--since", callback=checked_by(parse_since), metavar="DATE",
              help="Only records fetched (WARC-Date) on or after DATE.")
@click.option("--jobs", type=click.IntRange(min=0), metavar="N",
              help="Extraction worker processes (default: one per core; 0 extracts in this process).")
@redis_options
@clear_errors
def import_command(db_path: Path, sites_dir: Path, paths: tuple[Path, ...], site_name: str | None,
                   hosts: str | None, since: str | None, jobs: int | None, redis_url: str | None,
                   redis_prefix: str) -> None:
    """Import web archives (WARC, WACZ, folders of them): each HTML page extracted and stored as a
    crawl stores it; an interrupted import, started again, goes on where it stopped.

    With --redis, pages go to `newsarchive writer` through the distributed crawl's queue.
    """
    import logging
    import signal
    import threading

    from crawler.pool import start_fork_server

    start_fork_server(1 if jobs is None else jobs)  # it imports extraction on another core while this one imports
    from archive.warcimport import WarcImportError, import_archives  # warcio, trafilatura: only for an import
    from crawler.sites import load_site, site_files

    logging.getLogger("warcio").setLevel(logging.ERROR)  # its notes on damaged records: counted, not printed
    site = load_site(site_name, sites_dir) if site_name else None
    # the sites' rules for the hosts they hold; a broken site file is reported, the import goes on
    loaded = load_usable_sites((), sites_dir) if sites_dir.is_dir() and site_files(sites_dir) else None
    configs = loaded.sites if loaded else []
    _report_broken(loaded.broken if loaded else [])
    frontier = _frontier(redis_url, redis_prefix, "--redis") if redis_url else None
    stop = threading.Event()
    handlers = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = import_archives(paths, db_path=db_path, frontier=frontier, sites=configs, site=site, hosts=hosts,
                                 since=parse_since(since), jobs=jobs, should_stop=stop.is_set,
                                 progress=sys.stderr if sys.stderr.isatty() else None)
    except WarcImportError as error:
        raise click.ClickException(str(error)) from None
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    click.echo(result.summary())
    if result.outcome != "finished":
        raise click.ClickException(f"the import did not finish cleanly ({result.outcome}); run it again to go on")
    if unstored := result.counts["errors/store"]:
        raise click.ClickException(f"{unstored} page(s) could not be stored; run the import again to try them again")
    if loaded:
        _fail_if_broken(loaded)


@cli.command(name="add-site")
@archive_options
@click.argument("url")
@click.option("--name", help="The site's name and file name (default: from the address, e.g. worldnews).")
@click.option("--dry-run", is_flag=True, help="Print the site file instead of writing it.")
@click.option("--sample", default=5, show_default=True, type=click.IntRange(0, 50),
              help="How many articles to fetch and extract as a check.")
@click.option("--max-requests", default=60, show_default=True, type=click.IntRange(5, 1000),
              help="The most requests made to the site, robots.txt and the sample included.")
@click.option("--force", is_flag=True, help="Write over an existing site file of that name.")
@click.option("-v", "--verbose", is_flag=True, help="Show each request.")
@clear_errors
def add_site(db_path: Path, sites_dir: Path, url: str, name: str | None, dry_run: bool, sample: int,
             max_requests: int, force: bool, verbose: bool) -> None:
    """Find a news site's feeds, sitemaps, sections and article URLs from its address, and write
    a checked site file for it (settings/sites/<name>.toml).

    Polite: robots.txt is obeyed, one request at a time, with the contact User-Agent
    (NEWSARCHIVE_CONTACT), at most --max-requests of them.
    """
    from crawler.settings import ARCHIVE_CONTACT
    from crawler.sitefinder import AddSiteError, checked_site_file, default_fetcher, find_site
    from crawler.spiders.news import on_loopback

    if not ARCHIVE_CONTACT and not on_loopback(url):
        click.echo("note: no contact in the User-Agent: set NEWSARCHIVE_CONTACT to an e-mail or URL, so that "
                   "site operators can reach you", err=True)
    log = (lambda line: click.echo(line, err=True)) if verbose else (lambda line: None)
    try:
        findings = find_site(url, default_fetcher(max_requests, log), name=name, sample=sample)
    except AddSiteError as error:
        raise click.ClickException(str(error)) from None
    path = sites_dir / f"{findings.name}.toml"
    if path.exists() and not dry_run and not force:
        raise click.ClickException(f"{path} exists: --force writes over it, --dry-run shows the new one")
    text = checked_site_file(findings, path)  # SiteConfigError (a bad --name, say): one line, nothing written
    _print_findings(findings)
    articles = [s for s in findings.sample if s.article is not None]
    if findings.sample and not articles:
        reasons = ", ".join(sorted({s.rejected or "?" for s in findings.sample}))
        raise click.ClickException(f"none of the {len(findings.sample)} sampled pages is an article ({reasons}): "
                                   "no site file written")
    if dry_run:
        click.echo(f"\n# {path} (not written: --dry-run)\n{text}", nl=False)
        return
    sites_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    click.echo(f"\nWrote {path}. Next: newsarchive check-site {findings.name} --sites-dir {sites_dir}, "
               f"then newsarchive crawl {findings.name}")


def _print_findings(findings: Any) -> None:
    click.echo(f"{findings.base_url}: {findings.requests} requests"
               + (" (the request budget ran out: raise --max-requests to look further)" if findings.budget_spent
                  else ""))
    for kind, sources in (("feed", findings.feeds), ("sitemap", findings.sitemaps), ("section", findings.sections)):
        for source in sources:
            extra = ", paginated" if source.paginated else ""
            click.echo(f"  {kind:<8} {source.url}  {len(source.links)} article links{extra}")
    for dropped in findings.dropped:
        click.echo(f"  left out  {dropped}")
    patterns = ", ".join(findings.article_urls) or "none (the URL-shape heuristic decides)"
    click.echo(f"  article URLs: {patterns} ({findings.coverage:.0%} of {len(findings.articles)} links found)")
    if findings.pattern_note:
        click.echo(f"  note: {findings.pattern_note}")
    click.echo(f"  language: {findings.language or 'unknown'}; "
               f"timezone: {findings.timezone} ({findings.timezone_note})")
    if findings.sample:
        click.echo(f"\nSample ({len(findings.sample)} pages through the archive's extraction):")
        click.echo(f"  {'title':<50} {'published (UTC)':<20} {'authors':<24} {'words':>5}")
        for sampled in findings.sample:
            article = sampled.article
            if article is None:
                click.echo(f"  {'(not an article: ' + (sampled.rejected or '?') + ')':<50} {sampled.url}")
                continue
            click.echo(f"  {_cell(article.title, 50)} {_cell((article.published_at or '-')[:16], 20)} "
                       f"{_cell(', '.join(article.authors) or '-', 24)} {article.word_count:>5}")


def _cell(text: str, width: int) -> str:
    return (text if len(text) <= width else text[:width - 1] + "\u2026").ljust(width)


@cli.command(name="check-site")
@archive_options
@click.argument("site_names", nargs=-1, required=True, metavar="SITE...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@set_option
@clear_errors
def check_site(db_path: Path, sites_dir: Path, site_names: tuple[str, ...], as_json: bool, verbose: bool,
               settings: tuple[str, ...]) -> None:
    """What each discovery source of a site file yields now (article links per section, feed and
    sitemap, with examples) and what would be skipped and why; nothing is archived.

    The article pages listed are those a crawl of the same file would fetch now (articles in the
    archive that are not due for a re-check are left out, as a crawl leaves them).
    """
    from crawler.checksite import check_sites

    sites = load_sites(site_names, sites_dir)
    overrides = {**({"LOG_LEVEL": "INFO"} if verbose else {}), **scrapy_settings(settings)}
    if Path(db_path).exists():  # a foreign or newer archive: one error line here, not a traceback mid-crawl
        open_archive(db_path, read_only=True).close()
    report = check_sites(sites, db_path, overrides, hold_back_log=not verbose)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_site_checks(report)
    unread = [name for name, found in report.items() if not (found["listing_pages"] or found["feeds"]
                                                              or found["sitemaps"])]
    if unread:  # as a crawl of the same file would fail: cron must hear of it
        raise click.ClickException(f"nothing could be read of {', '.join(unread)} (see the errors skipped)")


def _print_site_checks(report: dict) -> None:
    for name, found in report.items():
        click.echo(f"{name}: {len(found['would_fetch'])} article pages a crawl would fetch now, from "
                   f"{found['listing_pages']} listing pages, {found['feeds']} feeds and {found['sitemaps']} sitemaps "
                   "read (nothing archived)")
        for source, given in found["sources"].items():
            click.echo(f"  {source}: {given['articles']} articles first found here")
            for url in given["examples"]:
                click.echo(f"      {url}")
            for reason, passed in given["passed_over"].items():
                click.echo(f"    passed over, {reason}: {passed['count']}, e.g. {', '.join(passed['examples'])}")
        for key, count in found["skipped"].items():
            click.echo(f"  skipped {key}: {count}")
        for url in found["robots_txt_examples"]:
            click.echo(f"      robots.txt disallows {url}")


@cli.command()
@archive_options
@click.argument("url")
@click.option("--diff", "show_diff", is_flag=True, help="Show a unified diff between two versions.")
@click.option("--from", "from_version", type=click.IntRange(min=1),
              help="Older version for --diff (default: the one before --to).")
@click.option("--to", "to_version", type=click.IntRange(min=1), help="Newer version for --diff (default: the latest).")
@clear_errors
def history(db_path: Path, sites_dir: Path, url: str, show_diff: bool, from_version: int | None,
            to_version: int | None) -> None:
    """List the versions of an article; --diff shows what changed between two of them."""
    import difflib

    stored_url, versions = article_history(open_archive(db_path, read_only=True), url)
    if not show_diff:
        click.echo(stored_url)
        for v in versions:
            click.echo(f"  v{v.version}  {v.fetched_at}  {len(v.text.split())} words  {v.title}")
        return
    by_number = {v.version: v for v in versions}
    newer = by_number.get(to_version or versions[-1].version)
    older = by_number.get(from_version or (newer.version - 1 if newer else 0))
    if len(versions) < 2:
        only = f"one version only (v{versions[0].version}, {versions[0].fetched_at})" if versions else "no version"
        raise click.ClickException(f"{stored_url} has {only}: there is nothing to compare yet")
    if newer is None or older is None:
        raise click.ClickException(f"{stored_url} has versions {', '.join(map(str, by_number))}; "
                                   "pick two of them with --from and --to")
    lines = difflib.unified_diff(
        [older.title, "", *older.text.splitlines()], [newer.title, "", *newer.text.splitlines()],
        fromfile=f"v{older.version} {older.fetched_at}", tofile=f"v{newer.version} {newer.fetched_at}", lineterm="")
    click.echo("\n".join(lines) or "no difference")


@cli.command(name="eval")
@archive_options
@click.argument("corpus_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N pages.")
@click.option("--baseline", is_flag=True, help="Also run plain trafilatura on the same pages, for comparison.")
@click.option("--worst", "worst_count", default=0, type=click.IntRange(min=0), help="List the N worst pages.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(min=1),
              help="Score pages in this many processes (pages per second stays a one-core figure).")
def eval_command(db_path: Path, sites_dir: Path, corpus_dir: Path, limit: int | None, baseline: bool,
                 worst_count: int, as_json: bool, jobs: int) -> None:
    """Measure extraction on a corpus with ground truth (WCXB layout: index.jsonl, html/, truth/)."""
    from crawler.extraction import evaluation

    extractors = {"newsarchive": evaluation.newsarchive_extractor}
    if baseline:
        extractors["trafilatura"] = evaluation.trafilatura_extractor
    try:
        scored = evaluation.evaluate_side_by_side(corpus_dir, tuple(extractors.values()), limit=limit, jobs=jobs)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    results = scored[0]
    summaries = [evaluation.summarise(name, each) for name, each in zip(extractors, scored, strict=True)]
    if as_json:
        click.echo(json.dumps({"summaries": [s.as_dict() for s in summaries],
                               "worst": [r.__dict__ for r in evaluation.worst(results, worst_count)]}, indent=2))
        return
    click.echo(evaluation.format_table(summaries))
    click.echo("\n" + evaluation.format_rejections(summaries[0]))
    for page in evaluation.worst(results, worst_count):
        click.echo(f"\n{page.id} {page.page_type} {page.url}")
        for problem in page.problems:
            click.echo(f"    {problem}")


@cli.command()
@archive_options
@click.argument("site_names", nargs=-1, metavar="[SITE]...")
@click.option("--once", is_flag=True, help="Crawl every site that is due, then exit (for cron and systemd timers).")
@click.option("--max-runtime", default="1h", show_default=True, metavar="INTERVAL",
              help="Stop a crawl that runs longer than this (e.g. 45m); it is recorded as 'timeout'.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems (for cron).")
@redis_options
@click.option("--distributed", is_flag=True,
              help="Seed the shared frontier on each site's interval instead of crawling here.")
@clear_errors
def schedule(db_path: Path, sites_dir: Path, site_names: tuple[str, ...], once: bool, max_runtime: str,
             quiet: bool, redis_url: str | None, redis_prefix: str, distributed: bool) -> None:
    """Re-crawl each site on its `every` interval, each crawl in its own process, never overlapping.

    With `--distributed`, seed each site on its interval: `crawl --worker` processes crawl it and
    `newsarchive writer` stores it.
    """
    import logging
    import signal
    import threading

    from archive.schedule import Distributed, Runner, run_due_once, run_forever
    from crawler.sites import parse_interval

    try:
        limit = parse_interval(max_runtime)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--max-runtime") from None
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(asctime)s %(message)s")
    loaded = load_usable_sites(site_names, sites_dir, db_path)
    _report_broken(loaded.broken)  # the other sites are crawled all the same
    if not loaded.sites:
        _fail_if_broken(loaded)
    sites = loaded.sites
    open_archive(db_path).close()
    shared = None
    if distributed:
        _frontier(redis_url, redis_prefix, "--distributed")  # fail fast when Redis is not there
        shared = Distributed(redis_url, redis_prefix)
    runner = Runner(db_path, sites_dir, limit, quiet=quiet, distributed=shared)
    if once:
        outcomes = run_due_once(runner, sites)
        if not outcomes and not quiet:
            click.echo("No site is due.")
        _fail_if_broken(loaded)
        raise SystemExit(exit_code(outcomes.values()))
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        click.echo("Stopping: running crawls finish their current writes...", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if not quiet:
        click.echo(f"Scheduling {len(sites)} site(s): " + ", ".join(f"{s.name} every {s.every}" for s in sites))
    run_forever(runner, sites, stop)
    _fail_if_broken(loaded)


@cli.command()
@archive_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@redis_options
@clear_errors
def status(db_path: Path, sites_dir: Path, as_json: bool, redis_url: str | None, redis_prefix: str) -> None:
    """Per site: the last run (when, outcome, counts), whether one is running, and when the next is due.

    With --redis, also the shared frontier: queue length, seen articles, workers and the writer.
    """
    from archive.schedule import SiteFiles, site_statuses

    try:
        loaded, no_files = load_usable_sites((), sites_dir, db_path), None
    except SiteConfigError as error:  # no site files: the archive's runs are still worth showing
        loaded, no_files = SiteFiles([], []), error
    statuses = site_statuses(db_path, loaded.sites, sites_dir=sites_dir)
    _report_broken(loaded.broken)
    if no_files:
        if not statuses:
            raise click.ClickException(f"{no_files}, and no runs in {db_path}: nothing to show")
        click.echo(f"note: {no_files}; showing the sites the archive has runs of", err=True)
    frontier = _frontier(redis_url, redis_prefix, "status").status() if redis_url else None
    if as_json:
        sites_json = [{**s.__dict__, "every": s.every and str(s.every),
                       "next_due": s.next_due and s.next_due.isoformat()} for s in statuses]
        click.echo(json.dumps({"sites": sites_json, "frontier": frontier} if frontier else sites_json, indent=2))
    else:
        _print_statuses(statuses, frontier, redis_prefix)
    _fail_if_broken(loaded)
    if not Path(db_path).exists() and not redis_url:  # every site "never crawled": a mistyped --db, or no crawl yet
        from archive.db import NO_ARCHIVE

        raise click.ClickException(NO_ARCHIVE.format(path=db_path))


def _report_broken(broken: list[SiteConfigError]) -> None:
    for error in broken:
        click.echo(f"BROKEN  {error}", err=True)


def _fail_if_broken(loaded: SiteFiles) -> None:
    """After the usable sites had their turn: one broken site file is a problem cron must hear of."""
    if loaded.broken:
        from archive.schedule import is_built_in

        files = len([site for site in loaded.sites if not is_built_in(site)]) + len(loaded.broken)
        raise click.ClickException(f"{len(loaded.broken)} of {files} site files "
                                   f"are broken: {', '.join(error.path for error in loaded.broken)}")


def _print_statuses(statuses: list, frontier: dict | None, redis_prefix: str) -> None:
    if frontier:
        writer = frontier["writer"]
        if not writer:
            writer_state = "not running"
        elif writer["gone"]:
            writer_state = f"gone (pid {writer['pid']} no longer runs on {writer['host']}; {writer['stored']} stored)"
        else:
            writer_state = f"alive (pid {writer['pid']} on {writer['host']}, {writer['stored']} stored)"
        active = [w for w in frontier["workers"] if not w["gone"]]
        click.echo(f"frontier {redis_prefix}: {frontier['queued']} requests queued, {frontier['seen_articles']} "
                   f"articles seen, {frontier['items_waiting']} articles waiting for the writer; "
                   f"{len(active)} worker(s) active; writer {writer_state}")
        for w in frontier["workers"]:
            gone = " - gone: no longer runs, its work is queued again once its heartbeat expires" if w["gone"] else ""
            click.echo(f"  worker {w['id']}: pid {w.get('pid', '?')} on {w.get('host', '?')}, {w.get('popped', 0)} "
                       f"requests taken, {w['in_flight']} in flight, since {w.get('started_at', '?')}{gone}")
    for s in statuses:
        state = f"running (pid {s.running_pid})" if s.running_pid else (s.last_outcome or "never crawled")
        last = f"last {s.last_started} {s.last_counts}" if s.last_started else ""
        every = f"every {s.every}" if s.every else "no site file"
        due = f"next due {s.next_due:%Y-%m-%d %H:%M:%S}Z" if s.next_due else "not scheduled"
        click.echo(f"{s.site:<16} {every:<14} {state:<22} {last}  {due}")


def main() -> None:
    cli(prog_name="newsarchive")


if __name__ == "__main__":
    main()
