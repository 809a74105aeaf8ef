"""``newsarchive import`` of web archives (issue 27), in this process (``jobs=0``): what a
CC-NEWS-shaped WARC turns into, filters, sites, resuming, WACZ, versions, and the CLI."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_archive
from archive.warcimport import IMPORT_RUN_SITE, Filters, find_sources, import_archives, read_entries
from tests.warcs import (
    EXPECTED_ARTICLES,
    EXPECTED_REJECTED,
    HOSTS,
    CCNewsWarc,
    cc_news_file,
    demo_fetches,
    wacz_file,
)


@pytest.fixture(scope="module")
def fetches():
    return demo_fetches()


def rows(db_path: Path, sql: str) -> list[tuple]:
    db = open_archive(db_path)
    try:
        return [tuple(row) for row in db.execute(sql).fetchall()]
    finally:
        db.close()


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip-per-record", "plain"])
def test_a_cc_news_warc_imports_with_the_right_counts(tmp_path, fetches, gzip):
    warc = cc_news_file(tmp_path / ("cc.warc.gz" if gzip else "cc.warc"), gzip=gzip, fetches=fetches)
    result = import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    counts = result.counts
    assert result.outcome == "finished"
    assert counts["saved/new"] == EXPECTED_ARTICLES and counts["rejected"] == EXPECTED_REJECTED
    assert (counts["skipped/revisit"], counts["skipped/truncated"], counts["skipped/not_html"],
            counts["skipped/http_error"], counts["errors/malformed"]) == (1, 1, 1, 1, 1)
    assert (counts["records/request"], counts["records/metadata"], counts["records/warcinfo"]) == (11, 11, 1)
    db = tmp_path / "a.db"
    assert rows(db, "select site, count(*) from articles group by site order by site") == [
        ("blog.example", 1), ("citynews.example", 3), ("worldnews.example", 3)]
    assert rows(db, "select reason, site from rejected_pages") == [("listing", "blog.example")]
    # Each page as a crawled one: a capture with the record's payload, status, headers and WARC-Date.
    first = fetches[HOSTS[0]][0]
    capture = rows(db, f"select status, fetched_at, content_type from captures where url = '{first.url}'")
    assert capture == [(200, "2024-06-01T10:00:00+00:00", "text/html; charset=utf-8")]
    assert rows(db, f"select first_seen_at from articles where url = '{first.url.replace('www.', '')}'") == [
        ("2024-06-01T10:00:00+00:00",)]
    assert rows(db, "select count(*) from captures") == [(EXPECTED_ARTICLES + EXPECTED_REJECTED,)]
    # The German story, in ISO-8859-1 declared only in its <meta>, is stored as the right Unicode.
    assert rows(db, "select title from articles where url like '%nuernberg%'") == [
        ("Nürnberg: Der Gemeinderat verschiebt die Sanierung des Freibads",)]
    run = rows(db, "select site, outcome, pages, articles_new, skipped, errors, stats from crawl_runs")
    assert run[0][:6] == (IMPORT_RUN_SITE, "finished", 12, EXPECTED_ARTICLES, 5, 1)
    assert json.loads(run[0][6])["skipped/revisit"] == 1


def test_hosts_limits_the_import_to_one_host(tmp_path, fetches):
    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    result = import_archives([warc], db_path=tmp_path / "a.db", jobs=0, hosts="citynews.example")
    assert rows(tmp_path / "a.db", "select distinct site from articles") == [("citynews.example",)]
    assert result.counts["saved/new"] == 3
    # the other hosts' pages (5), and worldnews' revisit and truncated record, never read
    assert result.counts["filtered/hosts"] == 7
    assert result.counts["skipped/revisit"] == 0
    import_archives([warc], db_path=tmp_path / "b.db", jobs=0, hosts="*.worldnews.example,blog.*")
    assert rows(tmp_path / "b.db", "select count(*) from articles") == [(4,)]


def test_since_skips_records_fetched_before_it(tmp_path, fetches):
    from crawler.extraction import parse_since

    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    result = import_archives([warc], db_path=tmp_path / "a.db", jobs=0, since=parse_since("2024-06-02"))
    assert result.counts["pages"] == 4 and result.counts["saved/new"] == 0  # revisit, truncated, PDF, 404
    assert result.counts["filtered/since"] == 8


def test_a_site_file_whose_scope_holds_the_host_names_the_site_and_gives_its_rules(tmp_path, fetches):
    from crawler.sites import load_site_file

    (tmp_path / "worldnews.toml").write_text('name = "worldnews"\nbase_url = "https://www.worldnews.example/"\n'
                                              'sections = ["/world/"]\n'
                                              '[extraction]\ndrop_lines = ["re:.*"]\n')
    config = load_site_file(tmp_path / "worldnews.toml")
    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    result = import_archives([warc], db_path=tmp_path / "a.db", jobs=0, sites=[config])
    # Its rule drops every line: its pages are rejected (and kept), under the site's name.
    assert rows(tmp_path / "a.db", "select site, count(*) from rejected_pages group by site order by site") == [
        ("blog.example", 1), ("worldnews", 3)]
    assert result.counts["saved/new"] == 4
    import_archives([warc], db_path=tmp_path / "b.db", jobs=0, site=dataclasses.replace(config, name="all"))
    assert rows(tmp_path / "b.db", "select distinct site from rejected_pages") == [("all",)]


def test_an_import_started_again_imports_nothing_twice(tmp_path, fetches):
    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    again = import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    assert again.files_done_before == 1 and again.counts["records"] == 0
    # The same file under another name is read, but every fetch in it is known already.
    copy = tmp_path / "copy.warc.gz"
    copy.write_bytes(warc.read_bytes())
    other = import_archives([copy], db_path=tmp_path / "a.db", jobs=0)
    assert other.counts["already_imported"] == EXPECTED_ARTICLES + EXPECTED_REJECTED
    assert rows(tmp_path / "a.db", "select count(*) from captures") == [(EXPECTED_ARTICLES + EXPECTED_REJECTED,)]


def test_an_interrupted_import_goes_on_where_it_stopped(tmp_path, fetches):
    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    seen = []

    def stop_after_twelve_looks() -> bool:
        seen.append(1)
        return len(seen) > 12

    first = import_archives([warc], db_path=tmp_path / "a.db", jobs=0, should_stop=stop_after_twelve_looks)
    assert first.outcome == "interrupted" and 0 < first.counts["saved/new"] < EXPECTED_ARTICLES
    done = rows(tmp_path / "a.db", "select done_offset, finished_at from import_files")
    assert done[0][0] > 0 and done[0][1] is None
    second = import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    assert first.counts["saved/new"] + second.counts["saved/new"] == EXPECTED_ARTICLES
    assert second.counts["already_imported"] == 0  # resumed at the saved offset, not from the start
    assert rows(tmp_path / "a.db", "select count(*), count(distinct url) from captures") == [
        (EXPECTED_ARTICLES + EXPECTED_REJECTED,) * 2]
    assert rows(tmp_path / "a.db", "select outcome from crawl_runs order by id") == [("interrupted",), ("finished",)]


def test_a_wacz_imports_like_its_warc(tmp_path, fetches):
    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    wacz = wacz_file(tmp_path / "crawl.wacz", [warc])
    from_warc = import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    from_wacz = import_archives([wacz], db_path=tmp_path / "b.db", jobs=0)
    ignore = ("records", "already_imported")
    assert {k: v for k, v in from_wacz.counts.items() if k not in ignore} == {
        k: v for k, v in from_warc.counts.items() if k not in ignore}
    columns = "url, site, title, text, published_at, authors, tags"
    assert rows(tmp_path / "a.db", f"select {columns} from articles order by url") == rows(
        tmp_path / "b.db", f"select {columns} from articles order by url")
    assert rows(tmp_path / "b.db", "select source from import_files") == [(f"{wacz}!archive/cc.warc.gz",)]


def test_a_folder_is_searched_for_warcs_and_waczs(tmp_path, fetches):
    folder = tmp_path / "crawls"
    (folder / "deep").mkdir(parents=True)
    warc = cc_news_file(folder / "deep" / "a.warc.gz", fetches=fetches)
    wacz_file(folder / "b.wacz", [warc])
    (folder / "notes.txt").write_text("not an archive")
    assert [s.key.removeprefix(str(folder)) for s in find_sources([folder])] == [
        "/b.wacz!archive/a.warc.gz", "/deep/a.warc.gz"]


def test_a_file_cut_short_counts_its_last_record_as_truncated(tmp_path, fetches):
    whole = tmp_path / "whole.warc"
    with CCNewsWarc(whole, gzip=False) as warc:
        for fetch in fetches[HOSTS[0]]:
            warc.fetch(fetch.url, fetch.body, "2024-06-01T10:00:00Z", content_type=fetch.content_type)
    cut = tmp_path / "cut.warc"
    data = whole.read_bytes()
    cut.write_bytes(data[: data.rfind(b"WARC-Type: response") + 1500])  # mid-payload of the last page
    result = import_archives([cut], db_path=tmp_path / "a.db", jobs=0)
    assert (result.counts["saved/new"], result.counts["skipped/truncated"]) == (2, 1)
    assert result.outcome == "finished"


def test_older_captures_imported_after_newer_ones_keep_versions_in_fetch_order(tmp_path, fetches):
    page = fetches[HOSTS[0]][0]
    edited = page.body.replace(b"</p>", b" A correction was added.</p>", 1)
    for name, body, date in (("new.warc.gz", edited, "2024-07-01T00:00:00Z"),
                             ("old.warc.gz", page.body, "2024-06-01T00:00:00Z")):
        with CCNewsWarc(tmp_path / name) as warc:
            warc.fetch(page.url, body, date, content_type=page.content_type)
    import_archives([tmp_path / "new.warc.gz"], db_path=tmp_path / "a.db", jobs=0)
    import_archives([tmp_path / "old.warc.gz"], db_path=tmp_path / "a.db", jobs=0)
    versions = rows(tmp_path / "a.db", "select v.version, v.fetched_at, coalesce(v.text, a.text) like '%correction%',"
                                       " v.text is null from article_versions v join articles a on a.id = v.article_id"
                                       " order by v.version")
    # the older capture keeps its own text; the current version's is the article's (migration 8)
    assert versions == [(1, "2024-06-01T00:00:00+00:00", 0, 0), (2, "2024-07-01T00:00:00+00:00", 1, 1)]
    assert rows(tmp_path / "a.db", "select version, text like '%correction%', first_seen_at from articles") == [
        (2, 1, "2024-06-01T00:00:00+00:00")]


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip-per-record", "plain"])
def test_entries_resume_at_a_saved_offset(tmp_path, fetches, gzip):
    warc = cc_news_file(tmp_path / ("cc.warc.gz" if gzip else "cc.warc"), gzip=gzip, fetches=fetches)
    source = find_sources([warc])[0]
    entries = list(read_entries(source, 0, Filters()))
    assert all(e.end == after.offset for e, after in itertools.pairwise(entries))  # each ends where the next starts
    for middle in entries[1::5]:
        assert [(e.offset, e.reason) for e in read_entries(source, middle.end, Filters())] == [
            (e.offset, e.reason) for e in entries if e.offset >= middle.end]


def test_the_import_command_prints_one_summary_line_and_exits_like_crawl(tmp_path, fetches):
    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    runner = CliRunner()
    result = runner.invoke(cli, ["import", str(warc), "--db", str(tmp_path / "a.db"), "--jobs", "0",
                                 "--sites-dir", str(tmp_path / "no-sites")])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1 and f"{EXPECTED_ARTICLES} new" in result.stdout  # one line
    (tmp_path / "empty").mkdir()
    missing = runner.invoke(cli, ["import", str(tmp_path / "empty"), "--db", str(tmp_path / "a.db")])
    assert missing.exit_code == 1 and "no WARC or WACZ files" in missing.output
    bad_site = runner.invoke(cli, ["import", str(warc), "--db", str(tmp_path / "a.db"), "--site", "nosuch",
                                   "--sites-dir", str(tmp_path)])
    assert bad_site.exit_code == 1 and "no such site file" in bad_site.output


def test_the_import_command_starts_the_fork_server_with_its_jobs(tmp_path, fetches, monkeypatch):
    """The extraction pool's fork server is started by the command itself, first thing, so its
    warm-up runs on another core meanwhile; none for an import that extracts in its own process."""
    import crawler.pool

    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    started: list[int] = []
    monkeypatch.setattr(crawler.pool, "start_fork_server", started.append)
    for jobs in ("0", "2"):
        result = CliRunner().invoke(cli, ["import", str(warc), "--db", str(tmp_path / f"{jobs}.db"), "--jobs", jobs,
                                          "--sites-dir", str(tmp_path / "no-sites")])
        assert result.exit_code == 0, result.output
        assert f"{EXPECTED_ARTICLES} new" in result.stdout
    assert started == [0, 2]


def test_the_progress_bar_shows_share_rate_eta_and_what_was_stored():
    import io
    from collections import Counter

    from archive.warcimport import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(4_000_000, stream, every=0)
    bar.show(1_000_000, Counter({"pages": 10, "saved/new": 7, "rejected": 2}))
    line = stream.getvalue()
    assert line.startswith("\r\x1b[Kimport [#####") and " 25% 1.0/4.0 MB" in line
    assert "pages/s, ETA " in line and "7 new, 0 changed, 0 unchanged, 2 rejected, 0 errors" in line
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")
    quiet = ProgressBar(1, None)
    quiet.show(1, Counter())  # no stream (not a terminal): draws nothing, and does not fail


def test_a_broken_site_file_does_not_stop_an_import(tmp_path, fetches):
    """As crawl and schedule do: the broken file is reported, the import runs, the exit says so."""
    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "broken.toml").write_text('name = "broken"\nbogus = 1\n')
    result = CliRunner().invoke(cli, ["import", str(warc), "--db", str(tmp_path / "a.db"), "--jobs", "0",
                                      "--sites-dir", str(sites)])
    assert result.exit_code == 1 and "broken.toml" in result.output
    assert f"{EXPECTED_ARTICLES} new" in result.output  # the import itself ran


def three_stories(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    pages = {f"https://news.example/story-{n}.html": (f"<html><head><title>Story {n}</title></head><body><article>"
                                                     f"<h1>Story {n}</h1><p>{'A sentence of the story. ' * 60}</p>"
                                                     "</article></body></html>").encode() for n in range(1, 4)}
    warc = tmp_path / "three.warc.gz"
    with CCNewsWarc(warc) as writer:
        for n, (url, body) in enumerate(pages.items()):
            writer.fetch(url, body, f"2024-06-01T10:0{n}:00Z")
    return warc, pages


def import_with(tmp_path: Path, warc: Path, extract, jobs: int):
    """The archive and the result of importing ``warc`` with ``extract`` standing in for extraction."""
    from archive.warcimport import ArchiveSink, Importer, SiteResolver

    db = open_archive(tmp_path / "a.db")
    sink = ArchiveSink(db)
    importer = Importer(sink, SiteResolver([], None, sink.learned_lines), Filters(), jobs=jobs)
    importer.extract = extract
    return db, importer.run(find_sources([warc]))


def test_a_page_whose_write_fails_in_a_batch_leaves_nothing_and_the_others_are_stored(tmp_path, monkeypatch):
    """Pages are stored 32 to a transaction, each in its own savepoint: whole or not at all."""
    import sqlite3

    import archive.store

    real = archive.store.store_article  # as store_page calls it, in the page's savepoint

    def fails_after_writing_story_2(db, article, **kwargs):
        stored = real(db, article, **kwargs)
        if article.url.endswith("/story-2.html"):
            raise sqlite3.OperationalError("disk I/O error")
        return stored

    monkeypatch.setattr(archive.store, "store_article", fails_after_writing_story_2)
    warc, _ = three_stories(tmp_path)
    result = import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    assert (result.outcome, result.counts["errors/store"], result.counts["saved/new"]) == ("finished", 1, 2)
    assert rows(tmp_path / "a.db", "select url from articles order by url") == [
        ("https://news.example/story-1.html",), ("https://news.example/story-3.html",)]
    assert rows(tmp_path / "a.db", "select count(*) from captures") == [(2,)]  # story 2's capture went with it
    # the command says so in its exit code, for cron
    failed = CliRunner().invoke(cli, ["import", str(warc), "--db", str(tmp_path / "b.db"), "--jobs", "0"])
    assert failed.exit_code == 1 and "1 page(s) could not be stored" in failed.output
    # not skipped for good: the file's progress stayed before it, and the next import stores it
    monkeypatch.setattr(archive.store, "store_article", real)
    again = import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    assert (again.counts["saved/new"], again.counts["already_imported"]) == (1, 1)
    assert len(rows(tmp_path / "a.db", "select url from articles")) == 3


def test_a_worker_that_dies_on_a_page_costs_its_extraction_not_the_page(tmp_path):
    """The page is counted in errors and kept in rejected_pages with its capture; the others are stored."""
    from tests.unit import slow_extract

    warc, pages = three_stories(tmp_path)
    db, result = import_with(tmp_path, warc, slow_extract.dies_on_the_second_story, jobs=1)
    assert (result.counts["errors"], result.counts["errors/extraction"], result.counts["failed_kept"]) == (1, 1, 1)
    assert sorted(row["url"] for row in db["articles"].rows) == [
        "https://news.example/story-1.html", "https://news.example/story-3.html"]
    kept = next(db["rejected_pages"].rows)
    assert (kept["url"], kept["reason"]) == ("https://news.example/story-2.html", "extraction_failed")
    assert "ProcessExpired" in kept["detail"]
    from archive.captures import capture_body

    assert capture_body(db, kept["capture_id"]) == pages[kept["url"]]
    assert db.execute("SELECT finished_at IS NOT NULL FROM import_files").fetchone() == (1,)


@pytest.mark.parametrize(("given", "usable", "workers"), [
    (["--jobs", "3"], {0, 1}, 3),
    ([], {0, 1}, 2),  # one per core this process may use
    ([], {0}, 1),  # on one core, one worker still: the import reads and extracts in turn
])
def test_jobs_sets_the_extraction_workers_by_default_one_per_core(tmp_path, monkeypatch, given, usable, workers):
    import os

    import archive.warcimport as warcimport

    asked = []

    def pool_of(count: int):
        asked.append(count)
        return None  # extraction then runs in this process: the count asked for is what is tested

    monkeypatch.setattr(warcimport, "extraction_pool", pool_of)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: usable, raising=False)
    warc, _ = three_stories(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(warc), "--db", str(tmp_path / "a.db"), *given,
                                      "--sites-dir", str(tmp_path / "no-sites")])
    assert result.exit_code == 0, result.output
    assert asked == [workers]


def test_a_capture_dictionary_due_inside_a_batch_is_trained_after_its_commit(tmp_path):
    """A site's dictionary falls due in the middle of a batch of writes: training, which writes in
    a transaction of its own, waits for the batch's commit (inside it, it rolled the batch back)."""
    from archive.captures import DICTIONARY_SAMPLES, capture_body
    from archive.warcimport import ArchiveSink, Importer, SiteResolver

    count = DICTIONARY_SAMPLES + 10
    pages = {f"https://news.example/2024/06/story-{n}.html": (
        f"<html><head><title>Story {n} of the council</title></head><body><article><h1>Story {n} of the "
        f"council</h1><p>{f'The council met on day {n} and talked about the roads. ' * 30}</p></article>"
        "</body></html>").encode() for n in range(count)}
    warc = tmp_path / "many.warc.gz"
    with CCNewsWarc(warc) as writer:
        for n, (url, body) in enumerate(pages.items()):
            writer.fetch(url, body, f"2024-06-01T10:{n // 60:02d}:{n % 60:02d}Z")
    db = open_archive(tmp_path / "a.db")
    sink = ArchiveSink(db)
    result = Importer(sink, SiteResolver([], None, sink.learned_lines), Filters(), jobs=1).run(find_sources([warc]))
    assert (result.outcome, result.counts["saved/new"]) == ("finished", count)
    assert db["capture_dictionaries"].count == 1
    assert db.execute("select count(*) from captures where dictionary_id is not null").fetchone()[0] > 0
    assert all(capture_body(db, row["id"]) == pages[row["url"]] for row in db["captures"].rows)


# --- damaged and hostile records (each costs its record, never the others) ---------------------

def _lying_record(fetch, claimed_extra: int) -> bytes:
    """A plain WARC response record for ``fetch`` whose Content-Length claims ``claimed_extra``
    bytes more (or fewer) than its block holds."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(writer.create_warc_record(
        fetch.url.replace("/20", "/lie/20", 1), "response", payload=io.BytesIO(fetch.body), length=len(fetch.body),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": "2024-06-01T11:00:00Z"}))
    data = out.getvalue()
    start = data.index(b"Content-Length: ") + len(b"Content-Length: ")
    end = data.index(b"\r\n", start)
    return data[:start] + str(int(data[start:end]) + claimed_extra).encode() + data[end:]


@pytest.mark.parametrize("extra", [500, -300], ids=["runs-into-the-next", "cut-short"])
def test_a_record_whose_content_length_lies_is_malformed_and_the_next_record_still_imports(tmp_path, fetches, extra):
    world = fetches[HOSTS[0]]
    path = tmp_path / "lie.warc"
    with CCNewsWarc(path, gzip=False) as warc:
        warc.fetch(world[0].url, world[0].body, "2024-06-01T10:00:00Z", content_type=world[0].content_type)
        warc.raw(_lying_record(world[1], extra))
        warc.fetch(world[2].url, world[2].body, "2024-06-01T12:00:00Z", content_type=world[2].content_type)
    result = import_archives([path], db_path=tmp_path / "a.db", jobs=0)
    assert result.counts["errors/malformed"] == 1
    assert result.counts["saved/new"] == 2  # the pages on either side; the lying one is no page
    assert rows(tmp_path / "a.db", "select count(*) from captures where url like '%/lie/%'") == [(0,)]
    stored = rows(tmp_path / "a.db", "select url from articles order by url")
    assert [url for (url,) in stored] == sorted(f.url.replace("www.", "") for f in (world[0], world[2]))


def _entries_with_and_without_isa_l(path: Path, monkeypatch) -> tuple[list[tuple], list[tuple]]:
    """Every entry of the WARC at ``path`` (offsets, reason, page) read with ISA-L's inflate, and
    again with zlib's; checks that the first reading did use ISA-L."""
    import zlib

    from archive import warcimport

    pytest.importorskip("isal")
    source = find_sources([path])[0]
    inflaters: list[object] = []
    isa_l = warcimport._record_inflater

    def read() -> list[tuple]:
        return [(e.offset, e.end, e.reason, e.page and (e.page.url, e.page.body)) for e in
                read_entries(source, 0, Filters())]

    monkeypatch.setattr(warcimport, "_record_inflater", lambda: inflaters.append(isa_l()) or inflaters[-1])
    with_isa_l = read()
    assert inflaters and all(isinstance(inflater, warcimport._GzipMember) for inflater in inflaters)
    monkeypatch.setattr(warcimport, "_record_inflater", lambda: zlib.decompressobj(warcimport.GZIP_WINDOW))
    return with_isa_l, read()


@pytest.mark.parametrize("damage", ["none", "cut", "corrupt"])
def test_records_inflated_with_isa_l_read_as_with_zlib(tmp_path, fetches, monkeypatch, damage):
    """The importer inflates gzipped records with ISA-L where it is installed: every entry (offsets,
    pages, reasons) is the one zlib's inflate gives, on a whole file and on damaged ones."""
    warc = cc_news_file(tmp_path / "cc.warc.gz", gzip=True, fetches=fetches)
    data = warc.read_bytes()
    if damage == "cut":
        warc.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "corrupt":
        middle = data.find(b"\x1f\x8b", len(data) // 2)
        warc.write_bytes(data[: middle + 40] + bytes(64) + data[middle + 104:])
    with_isa_l, with_zlib = _entries_with_and_without_isa_l(warc, monkeypatch)
    assert with_isa_l == with_zlib
    assert sum(1 for entry in with_isa_l if entry[3]) >= (2 if damage != "none" else len(HOSTS))
    if damage != "none":
        assert any(reason in ("errors/malformed", "skipped/truncated") for _, _, reason, _ in with_isa_l)


@pytest.mark.parametrize("gap", [1, 5, 8, 9])
def test_a_plain_record_after_a_gzip_one_near_a_block_end_reads_whole_with_isa_l(tmp_path, fetches, monkeypatch,
                                                                                   gap):
    """A gzipped WARC with plain records after its gzip ones (files joined): warcio reads on as
    plain when a member's first inflate fails. ISA-L judged only a whole gzip header, so when a gzip
    member ended ``gap`` bytes before the end of one of warcio's blocks, it took those first bytes
    of the plain record without a word and the record was lost. zlib's reading, and every page."""
    import random

    from warcio.bufferedreaders import BUFF_SIZE

    world = fetches[HOSTS[0]]
    plain = tmp_path / "plain.warc"
    with CCNewsWarc(plain, gzip=False) as warc:
        warc.fetch(world[1].url, world[1].body, "2024-06-01T11:00:00Z", content_type=world[1].content_type)
    noise = random.Random(gap).randbytes(2 * BUFF_SIZE).hex().encode()  # about half a byte a character, gzipped
    path = tmp_path / "joined.warc.gz"

    def written(pad: int) -> int:  # the first page with a comment of ``pad`` characters: the file's size
        body = world[0].body.replace(b"</body>", b"<!--" + noise[:pad] + b"--></body>")
        with CCNewsWarc(path) as warc:
            warc.fetch(world[0].url, body, "2024-06-01T10:00:00Z", content_type=world[0].content_type)
        return path.stat().st_size

    target = 2 * BUFF_SIZE - gap  # the gzip members end ``gap`` bytes before the end of warcio's second block
    low, high = 0, len(noise)
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if written(middle) < target else (low, middle)
    if not any(written(pad) == target for pad in range(max(0, low - 40), low + 40)):
        pytest.fail("no padding ends the gzip members there")
    with open(path, "ab") as joined:
        joined.write(plain.read_bytes())
    with CCNewsWarc(tmp_path / "last.warc.gz") as warc:
        warc.fetch(world[2].url, world[2].body, "2024-06-01T12:00:00Z", content_type=world[2].content_type)
    with open(path, "ab") as joined:
        joined.write((tmp_path / "last.warc.gz").read_bytes())
    with_isa_l, with_zlib = _entries_with_and_without_isa_l(path, monkeypatch)
    assert with_isa_l == with_zlib
    assert [entry[3][0] for entry in with_isa_l if entry[3]] == [world[0].url, world[1].url, world[2].url]


def test_a_long_stretch_without_newlines_is_one_malformed_stretch_and_reading_goes_on(tmp_path, fetches):
    world = fetches[HOSTS[0]]
    path = tmp_path / "zeros.warc"
    with CCNewsWarc(path, gzip=False) as warc:
        warc.fetch(world[0].url, world[0].body, "2024-06-01T10:00:00Z", content_type=world[0].content_type)
        warc.raw(b"\0" * (3 << 20))  # a file's zero-filled tail after a crash, longer than any header line
        warc.fetch(world[1].url, world[1].body, "2024-06-01T12:00:00Z", content_type=world[1].content_type)
    entries = list(read_entries(find_sources([path])[0], 0, Filters()))
    malformed = [e for e in entries if e.reason == "errors/malformed"]
    assert len(malformed) == 1 and malformed[0].end - malformed[0].offset >= 3 << 20
    assert [e.page.url for e in entries if e.page] == [world[0].url, world[1].url]


def test_records_with_an_impossible_url_or_date_are_malformed(tmp_path, fetches):
    world = fetches[HOSTS[0]]
    path = tmp_path / "odd.warc.gz"
    with CCNewsWarc(path) as warc:
        warc.fetch("https://news.example:99999/2024/06/port", world[0].body, "2024-06-01T10:00:00Z")
        warc.fetch("https://news.example/2024/06/" + "x" * 10_000, world[0].body, "2024-06-01T10:00:00Z")
        warc.fetch("https://news.example/2024/06/nul\x00", world[0].body, "2024-06-01T10:00:00Z")
        warc.fetch(world[1].url, world[1].body, "2999-01-01T00:00:00Z")  # would be every capture's newest
        warc.fetch(world[1].url.replace("/20", "/old/20", 1), world[1].body, "1970-01-01T00:00:00Z")
        warc.fetch(world[2].url, world[2].body, "2024-06-01T12:00:00Z", content_type=world[2].content_type)
    result = import_archives([path], db_path=tmp_path / "a.db", jobs=0)
    assert result.outcome == "finished"
    assert (result.counts["errors/malformed"], result.counts["saved/new"]) == (5, 1)
    assert rows(tmp_path / "a.db", "select finished_at is not null from import_files") == [(1,)]


ENCODERS = {
    "br": lambda data: __import__("brotli").compress(data),
    "zstd": lambda data: __import__("zstandard").ZstdCompressor(write_checksum=True).compress(data),
    "gzip": lambda data: __import__("gzip").compress(data),
    "deflate": lambda data: __import__("zlib").compress(data),
    "gzip, gzip": lambda data: __import__("gzip").compress(__import__("gzip").compress(data)),
}


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_an_encoded_page_is_decoded_and_a_damaged_one_is_malformed(tmp_path, fetches, encoding):
    page = fetches[HOSTS[0]][0]
    encoded = ENCODERS[encoding](page.body)
    middle = len(encoded) // 2
    damaged = encoded[:middle] + bytes(byte ^ 0xA5 for byte in encoded[middle:middle + 64]) + encoded[middle + 64:]
    path = tmp_path / "encoded.warc.gz"
    with CCNewsWarc(path) as warc:
        warc.fetch(page.url, encoded, "2024-06-01T10:00:00Z", content_type=page.content_type,
                   http_headers={"Content-Encoding": encoding})
        warc.fetch(page.url.replace("/20", "/damaged/20", 1), damaged, "2024-06-01T11:00:00Z",
                   content_type=page.content_type, http_headers={"Content-Encoding": encoding})
    result = import_archives([path], db_path=tmp_path / "a.db", jobs=0)
    assert (result.counts["saved/new"], result.counts["errors/malformed"]) == (1, 1)
    assert rows(tmp_path / "a.db", "select size from captures") == [(len(page.body),)]


def test_a_page_cut_short_in_its_encoding_gives_what_it_holds():
    import gzip

    from archive.warcimport import decode_content

    body = b"<html><body>" + b"".join(b"<p>Vote %d: %d for, %d against.</p>" % (n, n * 7 % 13, n * 3 % 11)
                                      for n in range(2000)) + b"</body></html>"
    encoded = gzip.compress(body)
    cut = decode_content(encoded[: len(encoded) // 2], "gzip", 1 << 20)
    assert 0 < len(cut) < len(body) and body.startswith(cut)  # as Scrapy reads a response cut short


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_a_body_encoded_in_parts_is_decoded_whole(encoding):
    """A server that compresses as it sends writes a gzip member (a zstd frame) per flush: every
    part is the page (zlib and zstandard stop after the first), what follows the last is not."""
    import gzip

    import zstandard

    from archive.warcimport import decode_content

    parts = [b"<html><body><h1>Budget passes</h1>", b"<p>The vote was 51 to 49.</p>" * 50, b"</body></html>"]
    encode = gzip.compress if encoding == "gzip" else zstandard.ZstdCompressor().compress
    encoded = b"".join(encode(part) for part in parts)
    assert decode_content(encoded, encoding, 1 << 20) == b"".join(parts)
    assert decode_content(encoded, encoding, 100) == b"".join(parts)[:101]  # the limit holds across parts
    if encoding == "gzip":  # padding after the last member is no member; a damaged one ends the body
        assert decode_content(encoded + b"\0" * 64, encoding, 1 << 20) == b"".join(parts)
        assert decode_content(encoded + b"\x1f\x8b\x08\x00" + b"damaged" * 9, encoding, 1 << 20) == b"".join(parts)


def test_a_gzip_body_of_endless_empty_members_is_read_to_a_bound():
    """A review: a body of 500,000 empty members (20 bytes each, nothing out of them, so no output
    limit stops it) kept the reader busy for a minute. Members past the bound are not read."""
    import gzip

    from archive.warcimport import MAX_GZIP_MEMBERS, decode_content

    empty = gzip.compress(b"", mtime=0)
    assert decode_content(empty * MAX_GZIP_MEMBERS + gzip.compress(b"<p>late</p>"), "gzip", 1 << 20) == b""
    assert decode_content(empty * 3 + gzip.compress(b"<p>early</p>"), "gzip", 1 << 20) == b"<p>early</p>"


def test_a_brotli_bomb_is_too_large_without_being_decoded_whole():
    import brotli

    from archive.warcimport import decode_content

    bomb = brotli.compress(b"\0" * (64 << 20))  # 64 MB in a few hundred bytes
    assert len(bomb) < 10_000
    assert len(decode_content(bomb, "br", 1 << 20)) == (1 << 20) + 1  # cut at the limit, + 1 to tell
    with pytest.raises(ValueError):
        decode_content(b"not brotli at all", "br", 1 << 20)


def test_a_file_imported_cut_short_is_read_again_once_whole(tmp_path, fetches):
    """A download cut short, imported, then completed at the same path: the pages it lacked are
    imported, none twice (a user's review: the file was 'finished' by its path, the rest lost)."""
    whole = tmp_path / "whole.warc.gz"
    pages = [f for each in fetches.values() for f in each]
    with CCNewsWarc(whole) as warc:
        for index, fetch in enumerate(pages):
            warc.fetch(fetch.url, fetch.body, f"2024-06-01T10:{index:02d}:00Z", content_type=fetch.content_type)
    data = whole.read_bytes()
    path = tmp_path / "download.warc.gz"
    path.write_bytes(data[: len(data) // 2])
    first = import_archives([path], db_path=tmp_path / "a.db", jobs=0)
    assert first.outcome == "finished" and first.counts["skipped/truncated"] >= 1
    assert first.counts["errors/malformed"] == 0  # the cut, not damage
    again = import_archives([path], db_path=tmp_path / "a.db", jobs=0)
    assert again.files_done_before == 1 and again.counts["pages"] == 0  # unchanged: done
    path.write_bytes(data)
    completed = import_archives([path], db_path=tmp_path / "a.db", jobs=0)
    assert first.counts["saved/new"] + completed.counts["saved/new"] == EXPECTED_ARTICLES
    assert completed.counts["already_imported"] == first.counts["saved/new"] + first.counts["rejected"]
    assert rows(tmp_path / "a.db", "select count(*), count(distinct url) from captures") == [
        (EXPECTED_ARTICLES + EXPECTED_REJECTED, EXPECTED_ARTICLES + EXPECTED_REJECTED)]


def test_a_file_named_that_is_no_warc_is_an_error_not_an_empty_import(tmp_path, fetches):
    """A user's review: the archive itself, a text file or an empty file 'imported' with exit 0."""
    from archive.warcimport import WarcImportError

    (tmp_path / "notes.txt").write_text("not an archive")
    (tmp_path / "empty.warc").write_bytes(b"")
    (tmp_path / "fake.warc.gz").write_bytes(__import__("gzip").compress(b"<html>a page</html>"))
    for name in ("notes.txt", "empty.warc", "fake.warc.gz"):
        with pytest.raises(WarcImportError, match="not a WARC or ARC file"):
            find_sources([tmp_path / name])
    warc = cc_news_file(tmp_path / "cc.warc", gzip=False, fetches=fetches)
    assert [s.path for s in find_sources([warc])] == [warc]
    runner = CliRunner()
    result = runner.invoke(cli, ["import", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 1 and "not a WARC or ARC file" in result.output


def test_an_import_that_extracts_nothing_starts_no_workers(tmp_path, monkeypatch):
    """Workers stopped while still starting made the forkserver print a traceback (a user's review)."""
    import archive.warcimport as warcimport

    asked: list[int] = []
    monkeypatch.setattr(warcimport, "extraction_pool", lambda count: asked.append(count))
    with CCNewsWarc(tmp_path / "info-only.warc.gz"):
        pass  # a warcinfo record alone
    result = import_archives([tmp_path / "info-only.warc.gz"], db_path=tmp_path / "a.db", jobs=2)
    assert result.outcome == "finished" and result.counts["records/warcinfo"] == 1 and asked == []


def test_a_record_held_twice_in_one_file_is_stored_once(tmp_path, fetches):
    page = fetches[HOSTS[0]][0]
    with CCNewsWarc(tmp_path / "twice.warc.gz") as warc:
        for _ in range(3):  # the same fetch three times (an adversarial review: three captures)
            warc.fetch(page.url, page.body, "2024-06-01T10:00:00Z", content_type=page.content_type)
    result = import_archives([tmp_path / "twice.warc.gz"], db_path=tmp_path / "a.db", jobs=0)
    assert (result.counts["saved/new"], result.counts["already_imported"]) == (1, 2)
    assert rows(tmp_path / "a.db", "select count(*) from captures") == [(1,)]


def test_a_page_stored_decoded_under_its_encoding_header_imports_as_it_is(tmp_path, fetches):
    """Some tools write the decoded body with the header it was served with (a review: such pages
    became malformed when the importer started decoding every encoding itself)."""
    page = fetches[HOSTS[0]][0]
    with CCNewsWarc(tmp_path / "decoded.warc.gz") as warc:
        warc.fetch(page.url, page.body, "2024-06-01T10:00:00Z", content_type=page.content_type,
                   http_headers={"Content-Encoding": "gzip"})
    result = import_archives([tmp_path / "decoded.warc.gz"], db_path=tmp_path / "a.db", jobs=0)
    assert (result.counts["saved/new"], result.counts["errors/malformed"]) == (1, 0)


def test_progress_saved_without_a_size_counts_a_finished_file_as_done(tmp_path, fetches, monkeypatch):
    """Progress that Redis kept before sizes were saved has none: the file is not read again."""
    import archive.warcimport as warcimport

    warc = cc_news_file(tmp_path / "cc.warc.gz", fetches=fetches)
    monkeypatch.setattr(warcimport.ArchiveSink, "progress", lambda self, key: (0, 0, True, None))
    result = import_archives([warc], db_path=tmp_path / "a.db", jobs=0)
    assert result.files_done_before == 1 and result.counts["records"] == 0


def test_an_extraction_in_this_process_is_stopped_at_its_time_limit_and_the_page_kept(tmp_path, monkeypatch):
    """``--jobs 0`` extracts in the importing process: a page that traps the extractor is stopped
    there as a worker's would be by its pool (an adversarial review: it stalled the import)."""
    import archive.warcimport as warcimport
    from tests.unit import slow_extract

    monkeypatch.setattr(warcimport, "EXTRACT_TIMEOUT", 0.5)
    warc, _ = three_stories(tmp_path)
    db, result = import_with(tmp_path, warc, slow_extract.loops_on_the_second_story, jobs=0)
    assert (result.counts["errors/extraction"], result.counts["saved/new"]) == (1, 2)
    kept = next(db["rejected_pages"].rows)
    assert (kept["url"], kept["reason"]) == ("https://news.example/story-2.html", "extract_timeout")


def test_the_time_limit_leaves_a_timer_already_set_as_it_found_it():
    """A test runner's (pytest-timeout's) or a caller's timer keeps its handler and its moment."""
    import signal

    from crawler.workers import time_limit

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    before = signal.setitimer(signal.ITIMER_REAL, 600)
    try:
        with time_limit(30):
            pass
        delay, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 590 < delay <= 600 and signal.getsignal(signal.SIGALRM)(0, None) is None and fired == [0]
        with pytest.raises(TimeoutError), time_limit(0.2):
            while True:
                pass
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 600 and fired == [0]
        signal.setitimer(signal.ITIMER_REAL, 0.1)  # an earlier timer due inside the limit: both happen
        with pytest.raises(TimeoutError), time_limit(0.4):
            while True:
                pass
        assert fired == [0, signal.SIGALRM] and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, *before)
        signal.signal(signal.SIGALRM, previous)
