"""Lean captures (issue 26, item 3): zstd with a dictionary trained per site from its first
captures; schema migration 10 converts an archive's gzip captures in place, killed or not."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import sqlite_utils
import zstandard
from warcio.archiveiterator import ArchiveIterator

from archive.captures import (
    DICTIONARY_SAMPLES,
    MAX_DICTIONARY_BYTES,
    TRAINING,
    ZSTD_LEVEL,
    CaptureDecoder,
    CaptureError,
    capture_body,
    decode_body,
    encoder_for,
)
from archive.db import SCHEMA_VERSION, migrate, open_archive, schema_version
from archive.export import export_warc
from archive.store import store_rejected, transaction
from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.extraction import Capture
from tests.conftest import REPO

SITE = DemoSite(articles=DICTIONARY_SAMPLES + 40)
APP = DemoSiteApp(SITE)
PAGES = [(f"http://127.0.0.1:8765{story.path}", APP.render(story.path)[2].encode("utf-8")) for story in SITE.stories]


def keep(db, url: str, body: bytes, site: str = "demo", minute: int = 0) -> int:
    capture = Capture(url=url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                      fetched_at=f"2024-06-01T08:{minute % 60:02d}:{minute // 60:02d}+00:00")
    return store_rejected(db, url, site=site, capture=capture, reason="listing")


def captures(db) -> list[sqlite3.Row]:
    return list(db.query("select id, site, size, codec, dictionary_id, length(compressed_body) as stored"
                         " from captures order by id"))


def test_a_site_gets_a_dictionary_from_its_first_captures_and_later_ones_use_it(archive):
    for minute, (url, body) in enumerate(PAGES):
        keep(archive, url, body, minute=minute)
    rows = captures(archive)
    dictionary = archive.execute("select id, site, samples from capture_dictionaries").fetchall()
    assert dictionary == [(1, "demo", DICTIONARY_SAMPLES)]
    # the first ones (its samples) too: compressed again with it as it was stored
    assert {(row["codec"], row["dictionary_id"]) for row in rows} == {("zstd", 1)}
    # the dictionary pays: a third of the bytes zstd alone needs for such pages, at most
    ratio = sum(row["stored"] for row in rows) / sum(row["size"] for row in rows)
    plain = sum(len(zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)) for _, body in PAGES)
    assert ratio < 0.15 and ratio < plain / sum(row["size"] for row in rows) / 3
    for row, (_, body) in zip(rows, PAGES):
        assert capture_body(archive, row["id"]) == body


def test_captures_are_compressed_at_the_fast_level_with_or_without_a_dictionary(archive):
    """zstd level 3 (``ZSTD_LEVEL``), four to five times faster than level 9, which made the
    writer's compression the largest cost of an imported page (issues 26 and 27); a dictionary is
    trained for that level, quickly."""
    assert ZSTD_LEVEL == 3
    url, body = PAGES[0]
    first = archive["captures"].get(keep(archive, url, body))
    assert first["dictionary_id"] is None
    assert first["compressed_body"] == zstandard.ZstdCompressor(level=3, write_checksum=False).compress(body)
    for minute, (url, body) in enumerate(PAGES[1:DICTIONARY_SAMPLES + 1], 1):
        keep(archive, url, body, minute=minute)
    trained, level = archive.execute("select dictionary, level from capture_dictionaries").fetchone()
    assert level == 3
    # by zstd's fastCover with fixed parameters (TRAINING), a fraction of the time of its search for them
    samples = [body for _, body in PAGES[:DICTIONARY_SAMPLES]]
    size = min(MAX_DICTIONARY_BYTES, max(1024, sum(map(len, samples)) // 8))
    assert trained == zstandard.train_dictionary(size, samples, level=3, **TRAINING).as_bytes()
    dictionary = zstandard.ZstdCompressionDict(trained)
    url, body = PAGES[-1]
    stored = archive["captures"].get(keep(archive, url, body, minute=999))
    assert stored["dictionary_id"] == 1
    assert stored["compressed_body"] == zstandard.ZstdCompressor(level=3, dict_data=dictionary,
                                                                 write_checksum=False).compress(body)
    assert capture_body(archive, stored["id"]) == body


def test_captures_stored_before_the_dictionary_are_not_lost_while_it_is_trained(archive):
    """A site's first captures are compressed again with its new dictionary, in the dictionary's
    transaction: the one stored just before it and the one just after read back as they were."""
    for minute, (url, body) in enumerate(PAGES[:DICTIONARY_SAMPLES - 1]):
        keep(archive, url, body, minute=minute)
    assert archive.execute("select count(*) from capture_dictionaries").fetchone()[0] == 0
    assert {row["dictionary_id"] for row in captures(archive)} == {None}
    for minute, (url, body) in enumerate(PAGES[DICTIONARY_SAMPLES - 1:DICTIONARY_SAMPLES + 1], DICTIONARY_SAMPLES):
        keep(archive, url, body, minute=minute)
    rows = captures(archive)
    assert [row["dictionary_id"] for row in rows] == [1] * (DICTIONARY_SAMPLES + 1)
    assert [capture_body(archive, row["id"]) for row in rows] == [body for _, body in PAGES[:DICTIONARY_SAMPLES + 1]]


def test_a_dictionary_that_cannot_be_stored_now_is_trained_later(archive, monkeypatch, caplog):
    """The capture that made training due is stored whatever befalls the training (a busy archive)."""
    encoder = encoder_for(archive)
    real = encoder.train

    def busy(site, *, latest=True):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(encoder, "train", busy)
    for minute, (url, body) in enumerate(PAGES[:DICTIONARY_SAMPLES]):
        keep(archive, url, body, minute=minute)
    assert archive["captures"].count == DICTIONARY_SAMPLES
    assert "not trained now: database is locked" in caplog.text
    monkeypatch.setattr(encoder, "train", real)
    for minute, (url, body) in enumerate(PAGES[DICTIONARY_SAMPLES:], DICTIONARY_SAMPLES):
        keep(archive, url, body, minute=minute)
    assert archive.execute("select count(*) from capture_dictionaries").fetchone()[0] == 0  # not at each capture
    for minute, (url, body) in enumerate(PAGES, len(PAGES)):
        keep(archive, url + "?again", body, minute=minute)
    assert archive.execute("select count(*) from capture_dictionaries").fetchone()[0] == 1  # at twice as many


def test_a_dictionary_due_in_any_transaction_is_trained_after_its_commit(archive):
    """Review: training after the outermost commit was a hook of each writer (the group writer,
    the import's batch); ``archive.store.transaction`` does it now, for any batch of writes."""
    with transaction(archive):
        for minute, (url, body) in enumerate(PAGES[:DICTIONARY_SAMPLES]):
            keep(archive, url, body, minute=minute)
        assert archive.execute("select count(*) from capture_dictionaries").fetchone()[0] == 0  # not committed
    assert archive.execute("select count(*) from capture_dictionaries").fetchone()[0] == 1
    assert {row["dictionary_id"] for row in captures(archive)} == {1}


def test_a_training_that_fails_after_the_commit_does_not_fail_the_write(archive, monkeypatch, caplog):
    """The look for a dictionary another process trained meanwhile raised out of the write that
    had just been committed (and, in the group writer, stopped its thread)."""
    encoder = encoder_for(archive)
    keep(archive, *PAGES[0])

    def busy(site):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(encoder, "_load", busy)
    for minute, (url, body) in enumerate(PAGES[1:DICTIONARY_SAMPLES], 1):
        keep(archive, url, body, minute=minute)
    assert archive["captures"].count == DICTIONARY_SAMPLES
    assert "not trained now: database is locked" in caplog.text
    assert archive.execute("select count(*) from capture_dictionaries").fetchone()[0] == 0


def test_sites_do_not_share_dictionaries(archive):
    for minute, (url, body) in enumerate(PAGES[:DICTIONARY_SAMPLES]):
        keep(archive, url, body, site="one", minute=minute)
    url, body = PAGES[-1]
    keep(archive, url, body, site="two")
    assert captures(archive)[-1]["dictionary_id"] is None  # "two" has one capture: no dictionary of its own


def test_a_retrained_dictionary_serves_new_captures_and_old_ones_still_read(archive):
    for minute, (url, body) in enumerate(PAGES[:DICTIONARY_SAMPLES + 5]):
        keep(archive, url, body, minute=minute)
    retrained = encoder_for(archive).train("demo")  # from the latest captures
    assert retrained == 2
    url, body = PAGES[-1]
    newest = keep(archive, url, body, minute=999)
    assert archive["captures"].get(newest)["dictionary_id"] == 2
    rows = captures(archive)
    assert {row["dictionary_id"] for row in rows} == {1, 2}
    for row, (_, body) in zip(rows, [*PAGES[:DICTIONARY_SAMPLES + 5], PAGES[-1]]):
        assert capture_body(archive, row["id"]) == body


def test_a_capture_that_cannot_be_decoded_is_a_clear_error(archive):
    url, body = PAGES[0]
    capture_id = keep(archive, url, body)
    stored = archive["captures"].get(capture_id)
    with pytest.raises(CaptureError, match="cannot be decoded"):
        decode_body(archive, stored["compressed_body"][:-5], "zstd", None)
    with pytest.raises(CaptureError, match="unknown capture codec 'brotli'"):
        decode_body(archive, stored["compressed_body"], "brotli", None)
    with pytest.raises(CaptureError, match="dictionary 7 is missing"):
        decode_body(archive, stored["compressed_body"], "zstd", 7)


# --- migration 10 ---------------------------------------------------------------------------------

def schema_9_archive(path, pages: list[tuple[str, bytes]], site: str = "demo") -> None:
    """An archive as newsarchive's schema 9 left it: captures gzip-compressed in ``body_gzip``."""
    db = sqlite_utils.Database(path)
    migrate(db, to=9)
    with db.conn:
        for minute, (url, body) in enumerate(pages):
            db.execute("INSERT INTO captures (url, site, fetched_at, status, content_type, headers, digest, size,"
                       " body_gzip) VALUES (?, ?, ?, 200, 'text/html', '{\"content-type\": \"text/html\"}', ?, ?, ?)",
                       [url, site, f"2024-06-01T08:{minute % 60:02d}:{minute // 60:02d}+00:00",
                        "sha256:" + hashlib.sha256(body).hexdigest(), len(body),
                        gzip.compress(body, compresslevel=6, mtime=0)])
    db.close()


def test_migration_10_converts_gzip_captures_in_place(tmp_path):
    schema_9_archive(tmp_path / "old.db", PAGES)
    with sqlite3.connect(tmp_path / "old.db") as old:
        gzip_bytes = old.execute("select sum(length(body_gzip)) from captures").fetchone()[0]
    db = open_archive(tmp_path / "old.db")
    assert schema_version(db) == SCHEMA_VERSION
    rows = captures(db)
    assert {(row["codec"], row["dictionary_id"]) for row in rows} == {("zstd", 1)}  # trained first, then used
    assert sum(row["stored"] for row in rows) < gzip_bytes / 3
    decode = CaptureDecoder(db)
    for (body, codec, dictionary_id), (_, page) in zip(
            db.execute("select compressed_body, codec, dictionary_id from captures order by id"), PAGES):
        assert decode(body, codec, dictionary_id) == page
    url, body = PAGES[0]
    assert db["captures"].get(keep(db, url + "?again", body))["dictionary_id"] == 1  # new captures too


def warc_records(db) -> list[tuple[str, str, bytes, str]]:
    """Each response of the archive's WARC export: URL, date, payload, payload digest; the
    digests checked by warcio as it reads."""
    out = io.BytesIO()
    export_warc(db, out)
    out.seek(0)
    records = []
    for record in ArchiveIterator(out, check_digests="raise"):
        if record.rec_type == "response":
            payload = record.content_stream().read()
            records.append((record.rec_headers["WARC-Target-URI"], record.rec_headers["WARC-Date"], payload,
                            record.rec_headers["WARC-Payload-Digest"]))
    return records


def test_a_migrated_archive_exports_the_same_warc_payloads(tmp_path):
    pages = PAGES[:DICTIONARY_SAMPLES + 3]
    schema_9_archive(tmp_path / "old.db", pages)
    fresh = open_archive(tmp_path / "fresh.db")
    with sqlite3.connect(tmp_path / "old.db") as old:
        for url, site, fetched_at, body in old.execute(
                "select url, site, fetched_at, body_gzip from captures order by id").fetchall():
            capture = Capture(url=url, body=gzip.decompress(body), headers={"Content-Type": "text/html"},
                              fetched_at=fetched_at)
            store_rejected(fresh, url, site=site, capture=capture, reason="listing")
    migrated = warc_records(open_archive(tmp_path / "old.db"))
    assert [record[2] for record in migrated] == [body for _, body in pages]  # byte for byte
    assert migrated == warc_records(fresh)


def test_migration_10_killed_mid_batch_leaves_whole_captures_and_goes_on(tmp_path):
    path = tmp_path / "old.db"
    schema_9_archive(path, PAGES)
    marker = tmp_path / "in-third-batch"
    # The child converts batches of 10 and stops for good halfway through its third (inside its
    # transaction); it is then killed outright.
    child = subprocess.Popen([sys.executable, "-c", f"""
import threading
import archive.captures as captures
from archive.db import open_archive
captures.MIGRATION_BATCH = 10
real, done = captures._recompress, []
def recompress(*args):
    done.append(1)
    if len(done) == 25:
        open({str(marker)!r}, "w").close()
        threading.Event().wait()
    return real(*args)
captures._recompress = recompress
open_archive({str(path)!r})
"""], cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline, "the migration did not get that far"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with sqlite3.connect(path) as half:
        assert half.execute("pragma user_version").fetchone()[0] == 9
        codecs = dict(half.execute("select codec, count(*) from captures group by codec").fetchall())
        assert codecs == {"zstd": 20, "gzip": len(PAGES) - 20}  # two whole batches, not a row more
        decode = CaptureDecoder(half)
        bodies = [decode(*row) for row in half.execute(
            "select compressed_body, codec, dictionary_id from captures order by id")]
    assert bodies == [body for _, body in PAGES]  # every capture readable, half way through
    assert not os.path.exists(f"{path}-journal")
    db = open_archive(path)  # run again: it goes on
    assert schema_version(db) == SCHEMA_VERSION
    rows = captures(db)
    assert {row["codec"] for row in rows} == {"zstd"}
    assert db.execute("select count(*) from capture_dictionaries").fetchone()[0] == 1  # not trained twice
    assert [capture_body(db, row["id"]) for row in rows] == [body for _, body in PAGES]


def test_the_captures_command_shows_retrains_and_gives_space_back(tmp_path):
    from click.testing import CliRunner

    from archive.cli import cli

    path = tmp_path / "old.db"
    schema_9_archive(path, PAGES)
    db = open_archive(path)  # migrated: the gzip bodies' pages are free, inside the file
    db.close()
    runner = CliRunner()
    shown = runner.invoke(cli, ["captures", "--db", str(path)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"demo: {len(PAGES)} captures, ") and "dictionary 1 (1 trained)" in shown.output
    retrained = runner.invoke(cli, ["captures", "--db", str(path), "--retrain", "--site", "demo"])
    assert "demo: dictionary 2 trained" in retrained.output and "dictionary 2 (2 trained)" in retrained.output
    def on_disk() -> int:
        return sum(os.path.getsize(name) for name in (path, f"{path}-wal") if os.path.exists(name))

    size = on_disk()
    vacuumed = runner.invoke(cli, ["captures", "--db", str(path), "--vacuum"])
    assert vacuumed.exit_code == 0 and " MiB -> " in vacuumed.output
    assert on_disk() < size * 0.6
    unknown = runner.invoke(cli, ["captures", "--db", str(path), "--site", "nowhere"])
    assert unknown.exit_code == 1 and "no site 'nowhere'" in unknown.output


def test_a_capture_that_cannot_be_decoded_is_left_out_of_the_warc_and_said(tmp_path):
    from click.testing import CliRunner

    from archive.cli import cli

    db = open_archive(tmp_path / "a.db")
    ids = [keep(db, url, body, minute=n) for n, (url, body) in enumerate(PAGES[:3])]
    with db.conn:
        db.execute("update captures set compressed_body = x'00ff' where id = ?", [ids[0]])  # damaged
        db.execute("update captures set compressed_body = null where id = ?", [ids[1]])  # lost
    skipped: list[str] = []
    assert export_warc(db, io.BytesIO(), skipped=skipped) == 1
    assert skipped == [PAGES[0][0], PAGES[1][0]]
    assert [record[0] for record in warc_records(db)] == [PAGES[2][0]]
    result = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "a.db"), "--format", "warc",
                                      "-o", str(tmp_path / "out.warc.gz")])
    assert result.exit_code == 1  # cron hears of it
    assert "2 capture(s) could not be decoded and were left out" in result.output
