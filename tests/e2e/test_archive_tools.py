"""reextract, export and history on an archive made by a real crawl of the sample site."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import socket
from base64 import b32encode

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.cli import cli
from archive.db import open_archive
from tests.e2e.test_commands import run, tool

SEED_SLUG = "now-america-will-lose-its-sleep"

@pytest.fixture(scope="module")
def crawled_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("tools") / "crawled.db"
    assert run(tool("newsarchive"), "demo", "--db", str(db), "--articles", "40").returncode == 0
    return db

@pytest.fixture
def db(crawled_db, tmp_path):
    copy = tmp_path / "archive.db"
    shutil.copy(crawled_db, copy)
    return copy

@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("re-extraction opened a socket")

    for method in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, method, refuse)

def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout

def rows(db) -> dict[str, tuple]:
    return {r["url"]: (r["title"], r["text"], r["tags"], r["authors"], r["published_at"], r["version"])
            for r in open_archive(db)["articles"].rows}

def test_reextract_gives_the_crawls_articles_without_a_socket(db, no_network):
    before = rows(db)
    output = invoke("reextract", "--db", str(db))
    assert "40 articles re-extracted: 0 changed, 40 unchanged, 0 failed" in output
    assert rows(db) == before

def test_reextract_reports_and_versions_a_rule_change(db, tmp_path, no_network):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "demo.toml").write_text('name = "demo"\nbase_url = "http://127.0.0.1:8765/"\nsections = ["/"]\n'
                                     'timezone = "Asia/Kolkata"\n[extraction]\ndrop_selectors = ["h2"]\n')
    dry = invoke("reextract", "--db", str(db), "--sites-dir", str(sites), "--dry-run")
    changed = [line for line in dry.splitlines() if line.startswith("changed")]
    assert changed and f"{len(changed)} would change" in dry
    assert all(v[5] == 1 for v in rows(db).values())  # a dry run writes nothing
    invoke("reextract", "--db", str(db), "--sites-dir", str(sites))
    versions = {url: v[5] for url, v in rows(db).items()}
    assert sorted(url for url, v in versions.items() if v == 2) == sorted(line.split()[1] for line in changed)

def test_export_jsonl_and_csv(db):
    lines = invoke("export", "--db", str(db)).splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(records) == 40
    seed = next(r for r in records if SEED_SLUG in r["url"])
    assert seed["tags"] == ["International news", "North Korea", "Russia News"]
    table = list(csv.DictReader(io.StringIO(invoke("export", "--db", str(db), "--format", "csv",
                                                   "--since", "2024-06-20"))))
    assert 0 < len(table) < 40 and all(r["published_at"] >= "2024-06-20" for r in table)
    assert any(r["tags"] == "International news; North Korea; Russia News" for r in table)

def test_warc_export_reads_back_with_valid_digests(db, tmp_path):
    out = tmp_path / "archive.warc.gz"
    invoke("export", "--db", str(db), "--format", "warc", "-o", str(out))
    captures = open_archive(db)["captures"].count
    responses, requests = [], 0
    with out.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "request":
                requests += 1
            if record.rec_type == "response":
                payload = record.content_stream().read()
                algorithm, digest = record.rec_headers.get_header("WARC-Payload-Digest").split(":")
                assert algorithm == "sha1" and digest == b32encode(hashlib.sha1(payload).digest()).decode()
                assert record.http_headers.get_statuscode() == "200"
                responses.append((record.rec_headers.get_header("WARC-Target-URI"), payload))
    assert len(responses) == captures == requests == 40
    seed = next(payload for uri, payload in responses if SEED_SLUG in uri)
    assert b"Pyongyang (North Korea)." in seed and b"Previous Post" in seed  # the raw page, as fetched

def test_history_lists_versions_and_diffs(db, tmp_path):

    archive = open_archive(db)
    url = next(r["url"] for r in archive["articles"].rows if SEED_SLUG in r["url"])
    before = invoke("history", url + "?utm_source=x", "--db", str(db))
    assert before.splitlines()[0] == url and "v1" in before and "v2" not in before
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "demo.toml").write_text('name = "demo"\nbase_url = "http://127.0.0.1:8765/"\nsections = ["/"]\n'
                                     '[extraction]\ndrop_lines = ["re:According to Russian news agency.*"]\n')
    invoke("reextract", "--db", str(db), "--sites-dir", str(sites))
    after = invoke("history", url, "--db", str(db))
    assert "v2" in after
    diff = invoke("history", url, "--db", str(db), "--diff")
    assert "-According to Russian news agency TASS" in diff and diff.count("\n+") <= 2

def test_history_of_an_unknown_url_is_a_clear_error(db):
    result = CliRunner().invoke(cli, ["history", "http://nowhere.example/x", "--db", str(db)])
    assert result.exit_code == 1 and "no archived article" in result.output

def test_reextract_exits_1_when_a_page_fails_and_keeps_its_row(db, monkeypatch, no_network):
    """cron must see that pages could not be re-extracted (their captures stay for the next try)."""
    import archive.reextract

    def fails_on_one(body, url, *args):
        if SEED_SLUG in url:
            raise RuntimeError("an extractor's bug")
        return real(body, url, *args)

    real = archive.reextract.extract
    monkeypatch.setattr(archive.reextract, "extract", fails_on_one)
    before = rows(db)
    result = CliRunner().invoke(cli, ["reextract", "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert "39 unchanged, 1 failed" in result.output and "failed   " in result.output
    assert rows(db) == before


def test_export_that_cannot_write_and_a_search_limit_of_inf_are_one_error_line(db, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(cli, ["export", "--db", str(db), "-o", str(tmp_path / "no" / "x.jsonl")])
    assert missing.exit_code == 1 and "cannot write" in missing.output and "No such file" in missing.output
    assert isinstance(missing.exception, SystemExit)  # a message, no traceback
    for value in ("inf", "nan"):
        endless = runner.invoke(cli, ["search", "Pyongyang", "--db", str(db), "--time-limit", value])
        assert endless.exit_code == 2 and "--time-limit" in endless.output


def test_a_dry_run_reextract_reads_an_archive_it_may_not_write(db, monkeypatch, no_network):
    """A user's review: --dry-run ('write nothing') failed for a user who may not write beside the
    archive (its lock file). As root, permissions cannot be taken away: the archive is said unwritable."""
    import archive.db

    before = rows(db)
    lock = db.with_name(db.name + ".lock")
    lock.unlink(missing_ok=True)
    monkeypatch.setattr(archive.db, "writable", lambda path: False)
    output = invoke("reextract", "--db", str(db), "--dry-run", "--no-learn")
    assert "40 articles re-extracted: 0 would change, 40 unchanged, 0 failed" in output
    assert not lock.exists() and rows(db) == before


def test_history_versions_start_at_1(db):
    url = next(iter(rows(db)))
    result = CliRunner().invoke(cli, ["history", url, "--db", str(db), "--diff", "--from", "0"])
    assert result.exit_code == 2 and "--from" in result.output  # 0 was read as "the default" (a user's review)


def test_export_takes_its_format_from_the_output_files_name(db, tmp_path):
    invoke("export", "--db", str(db), "-o", str(tmp_path / "articles.csv"))
    invoke("export", "--db", str(db), "-o", str(tmp_path / "captures.warc.gz"))
    invoke("export", "--db", str(db), "-o", str(tmp_path / "articles.txt"), "--format", "csv")  # said: as said
    header = (tmp_path / "articles.csv").read_text().splitlines()[0]
    assert header.startswith("url,") or ",title," in header  # CSV, not JSON Lines (a user's review)
    assert (tmp_path / "captures.warc.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "articles.txt").read_text().splitlines()[0] == header
    assert json.loads(invoke("export", "--db", str(db)).splitlines()[0])["url"]  # standard output: JSON Lines


def test_an_export_that_fails_midway_leaves_the_earlier_file_whole(db, tmp_path, monkeypatch):
    """A review: ``-o`` wrote over the file as it went, so an export that failed (a full disk, an
    interruption) destroyed the earlier export and left half of a new one."""
    import archive.export

    earlier = tmp_path / "articles.jsonl"
    invoke("export", "--db", str(db), "-o", str(earlier))
    before = earlier.read_bytes()
    assert before.count(b"\n") == 40

    def disk_full(db, out, **options):
        out.write('{"url": "half a line')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive.export, "export_jsonl", disk_full)
    failed = CliRunner().invoke(cli, ["export", "--db", str(db), "-o", str(earlier)])
    assert failed.exit_code == 1 and "No space left on device" in failed.output
    assert earlier.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "articles" in p.name) == ["articles.jsonl"]  # no leftover
    monkeypatch.undo()
    invoke("export", "--db", str(db), "-o", str(earlier), "--since", "2024-06-20")  # a whole export replaces it
    assert 0 < earlier.read_bytes().count(b"\n") < 40


def test_an_export_replaces_a_linked_file_and_writes_into_a_pipe(db, tmp_path):
    """A review of the above: written beside and renamed, the export replaced what the name was, a
    symbolic link (its file kept the old export), a named pipe (its reader got nothing) or a device
    (``-o /dev/stdout`` made a file of it, as root), and the file's mode."""
    import os
    import stat
    import threading

    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    invoke("export", "--db", str(db), "-o", str(link))
    assert link.is_symlink() and real.read_text().count("\n") == 40
    assert stat.S_IMODE(real.stat().st_mode) == 0o640

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()))
    reader.start()
    invoke("export", "--db", str(db), "-o", str(fifo))
    reader.join(timeout=60)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and read and read[0].count(b"\n") == 40
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_the_partial_file_of_an_export_killed_outright_is_removed_by_the_next_export(db, tmp_path):
    """``kill -9`` leaves ``.NAME.partial-PID`` beside the file: the next export to the same file
    removes it once its process is gone and it has not been written to for a while; a partial
    file of a live process, or one written to just now, is another export's, and stays."""
    import os
    import subprocess
    import sys

    from archive.export import STALE_AFTER

    target = tmp_path / "articles.jsonl"
    gone, also_gone = (subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                      text=True, check=True).stdout.strip() for _ in range(2))
    dead = tmp_path / f".articles.jsonl.partial-{gone}"
    fresh = tmp_path / f".articles.jsonl.partial-{also_gone}"  # (its process gone too, but written just now)
    living = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    alive = tmp_path / f".articles.jsonl.partial-{living.pid}"  # (not this process's: the export writes its own)
    other = tmp_path / f".other.jsonl.partial-{gone}"
    for path in (dead, fresh, alive, other):
        path.write_text("half an export")
        if path is not fresh:
            os.utime(path, (0, path.stat().st_mtime - 2 * STALE_AFTER))
    try:
        invoke("export", "--db", str(db), "-o", str(target))
    finally:
        living.communicate(b"")  # it reads to the end of its input, and ends
    assert target.read_text().count("\n") == 40
    assert sorted(p.name for p in tmp_path.iterdir() if ".partial-" in p.name) == sorted(
        p.name for p in (fresh, alive, other))


def test_an_export_stopped_by_sigterm_leaves_no_partial_file(db, tmp_path, monkeypatch):
    """A cron job's timeout or systemd stopping it: the export ends as an exit (143) that removes
    its partial file, and the earlier export stays whole."""
    import os
    import signal

    import archive.export

    earlier = tmp_path / "articles.jsonl"
    earlier.write_text("earlier\n")

    def stopped_midway(db, out, **options):
        out.write('{"url": "half a line')
        os.kill(os.getpid(), signal.SIGTERM)
        out.write(" and more")  # the handler runs before this
        return 1

    monkeypatch.setattr(archive.export, "export_jsonl", stopped_midway)
    before = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(cli, ["export", "--db", str(db), "-o", str(earlier)])
    assert result.exit_code == 128 + signal.SIGTERM
    assert earlier.read_text() == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "articles" in p.name) == ["articles.jsonl"]  # no partial
    assert signal.getsignal(signal.SIGTERM) == before  # the command's handler is gone with it
