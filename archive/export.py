"""Exports that outlive the tool: JSON Lines and CSV of the articles, WARC of the raw captures."""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import logging
import os
import shutil
import stat
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import IO, BinaryIO, TextIO
from urllib.parse import urlsplit

import sqlite_utils

from archive.captures import CaptureDecoder, CaptureError
from crawler import __version__

logger = logging.getLogger(__name__)

ARTICLE_COLUMNS = ("id", "site", "section", "url", "title", "declared_title", "description", "authors",
                   "published_at", "published_raw", "modified_at", "language", "tags", "categories", "image",
                   "word_count", "version", "first_seen_at", "last_fetched_at", "text")
JSON_COLUMNS = {"authors", "tags", "categories"}


@contextlib.contextmanager
def replaced_whole(path: str, binary: bool) -> Iterator[IO]:
    """``path`` opened for an export, so that a file there is replaced only once the export is
    whole: written beside it (``.NAME.partial-PID``) and renamed over it at the end, with the
    earlier file's mode and owner; an export that fails (a full disk, Ctrl-C) leaves the earlier
    file as it was. A symbolic link keeps pointing at the file, now the new one. What is no
    regular file (``/dev/stdout``, a pipe), and a file in a folder this process may not write in,
    are written as the export goes. A partial file that an export killed outright (``kill -9``, a
    power cut) left beside the file is removed by the next export to it (``_remove_stale``)."""
    def opened(name: str | Path) -> IO:
        return open(name, "wb") if binary else open(name, "w", encoding="utf-8", newline="")

    try:
        earlier: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        earlier = None
    target = Path(os.path.realpath(path))
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    _remove_stale(target)
    try:
        out = opened(partial) if earlier is None or stat.S_ISREG(earlier.st_mode) else None
    except PermissionError:
        out = None
    if out is None:
        with opened(path) as direct:
            yield direct
        return
    try:
        with out:
            yield out
        if earlier is not None:
            shutil.copymode(target, partial)
            with contextlib.suppress(PermissionError):
                os.chown(partial, earlier.st_uid, earlier.st_gid)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


STALE_AFTER = 600  # seconds without a write: a partial file of an export still running is written to


def _remove_stale(target: Path) -> None:
    """Remove the partial files of exports to ``target`` that died: their process is gone and
    they have not been written to for ``STALE_AFTER`` seconds (a process of the same number on
    another machine sharing the folder would still be writing)."""
    from archive.store import pid_alive

    for stale in target.parent.glob(f".{glob.escape(target.name)}.partial-*"):
        pid = stale.name.rpartition("-")[2]
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove: left as it is
            if pid.isdigit() and not pid_alive(int(pid)) and time.time() - stale.stat().st_mtime > STALE_AFTER:
                stale.unlink()
                logger.info("removed %s, left by an export that was killed", stale)


def _articles(db: sqlite_utils.Database, site: str | None, since: str | None) -> Iterator[dict]:
    sql = (f"select {', '.join(ARTICLE_COLUMNS)} from articles where (:site is null or site = :site) "
           "and (:since is null or published_at >= :since) order by published_at, id")
    cursor = db.execute(sql, {"site": site, "since": since})
    for row in cursor:
        record = dict(zip(ARTICLE_COLUMNS, row))
        for column in JSON_COLUMNS:
            record[column] = json.loads(record[column] or "[]")
        yield record


def export_jsonl(db: sqlite_utils.Database, out: TextIO, *, site: str | None = None, since: str | None = None) -> int:
    count = 0
    for count, record in enumerate(_articles(db, site, since), 1):  # noqa: B007 - the count is the result
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count


def export_csv(db: sqlite_utils.Database, out: TextIO, *, site: str | None = None, since: str | None = None) -> int:
    writer = csv.DictWriter(out, fieldnames=ARTICLE_COLUMNS)
    writer.writeheader()
    count = 0
    for count, record in enumerate(_articles(db, site, since), 1):  # noqa: B007
        writer.writerow({k: "; ".join(v) if k in JSON_COLUMNS else v for k, v in record.items()})
    return count


def export_warc(db: sqlite_utils.Database, out: BinaryIO, *, site: str | None = None, since: str | None = None,
                skipped: list[str] | None = None) -> int:
    """Each capture as a WARC request + response pair (gzip per record), after a warcinfo record. A
    capture that cannot be decoded is left out, said in the log, and its URL added to ``skipped``."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("newsarchive-export.warc.gz", {
        "software": f"newsarchive/{__version__}", "format": "WARC File Format 1.1",
        "description": "Raw captures of archived news articles",
    }))
    cursor = db.execute(
        "select url, fetched_at, status, headers, compressed_body, codec, dictionary_id from captures"
        " where (:site is null or site = :site) and (:since is null or fetched_at >= :since) order by id",
        {"site": site, "since": since})
    decode = CaptureDecoder(db)
    count = 0
    for url, fetched_at, status, headers, compressed_body, codec, dictionary_id in cursor:
        try:
            body = decode(compressed_body, codec, dictionary_id)
        except CaptureError as error:
            logger.warning("capture of %s (%s) left out of the WARC: %s", url, fetched_at, error)
            if skipped is not None:
                skipped.append(url)
            continue
        stored = json.loads(headers or "{}")
        http_headers = [(name.title(), value) for name, value in stored.items()]
        http_headers.append(("Content-Length", str(len(body))))
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Unknown"
        warc_date = fetched_at.replace("+00:00", "Z")
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(f"{status} {reason}", http_headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": warc_date})
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        request = writer.create_warc_record(
            url, "request", payload=None,
            http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)],
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": warc_date})
        writer.write_request_response_pair(request, response)
        count += 1
    return count
