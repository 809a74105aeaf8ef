"""``newsarchive import``: web archives (WARC 1.0 and 1.1, gzip per record or plain; WACZ; folders
of them) into the archive, each HTML page as a crawl would have stored it.

The files are read as streams (warcio), one record at a time. Each HTML response goes through the
crawl's own extraction (``extract_for_archive``, in ``jobs`` worker processes) with the rules of
the site whose scope holds its host (or a site named after the host), and is stored by this one
process as a crawled page: article row, version, capture with the record's payload, status and
headers, fetched at the record's WARC-Date; a page extraction rejects is kept in ``rejected_pages``.
Everything else is counted by reason and passed over: requests, metadata, revisits, non-HTML,
truncated, oversized and malformed records (a malformed one is stepped over to the next record).

Resuming: each file's progress (``import_files``: every record before ``done_offset`` is done) is
saved as records finish; an import started again seeks there, and a record stored just before an
interruption is known by its capture (``capture_stored``), so each record is imported once.
With ``--redis``, pages go to ``newsarchive writer`` through the distributed crawl's item list
instead, and the progress lives in Redis beside it.
"""

from __future__ import annotations

import concurrent.futures
import fnmatch
import os
import re
import sys
import time
import uuid
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO
from urllib.parse import urlsplit

from archive.store import (
    Outcome,
    capture_stored,
    close_abandoned_runs,
    finish_run,
    start_run,
    store_page,
    transaction,
    utc_now,
)
from crawler.extraction import Capture
from crawler.pool import extraction_pool
from crawler.settings import default_workers
from crawler.sites import ExtractionRules, SiteConfig, origin
from crawler.stats import draw_line
from crawler.workers import Extracted, extract_for_archive, failed_extraction, time_limit

try:  # ISA-L's inflate: the records of a gzipped WARC in half zlib's time (the importer inflates them all)
    from isal.isal_zlib import decompressobj as _isal_inflater
except ImportError:  # a platform without its wheel: zlib, as warcio reads
    _isal_inflater = None

IMPORT_RUN_SITE = "(import)"  # the crawl_runs row of a local import: no site file can be named so
MAX_PAGE_BYTES = 10 * 1024 * 1024  # as a crawl's DOWNLOAD_MAXSIZE: larger pages are traps, not stories
EXTRACT_TIMEOUT = 30.0  # as a crawl's ARCHIVE_EXTRACT_TIMEOUT
SAVE_EVERY = 1.0  # seconds between saves of a file's progress
GZIP_WINDOW = zlib.MAX_WBITS | 16  # zlib reads a gzip header and trailer around the deflate stream
GZIP_START = b"\x1f\x8b\x08"  # a gzip member's magic bytes and its method, deflate
MAX_GZIP_MEMBERS = 10_000  # a gzip body in more parts than this is a trap (empty members cost no output)
INFLATE_PIECE = 1 << 16  # bytes of compressed data fed to zlib at a time
BATCH_PAGES = 32  # extracted pages stored in one transaction (each in its own savepoint)
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
PAGE_RECORDS = ("response", "resource", "revisit")
SCAN_CHUNK = 1 << 20
MAX_URL = 8192  # characters: a longer Target-URI is no page's address (browsers and servers stop near here)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # in a Target-URI: a damaged record, not an address
MAX_LINE = 1 << 20  # longest header line read: a stretch without newlines (zeros after a crash) is no header
EARLIEST_CAPTURE = datetime(1990, 1, 1, tzinfo=UTC)  # before the first web server
FUTURE_CAPTURE = timedelta(days=1)  # a clock a little ahead is still a capture's


class WarcImportError(Exception):
    """The import cannot start (no such file, no WARC in it, a bad pattern); the message says why."""


# --- what to read ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """One WARC file, or one WARC inside a WACZ; ``key`` names it in the import's progress."""

    path: Path
    member: str | None = None  # the WARC's name inside a WACZ
    size: int = 0

    @property
    def key(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The WARC's bytes, seekable (a WACZ stores its WARCs as they are, uncompressed by zip)."""
        if self.member is None:
            with open(self.path, "rb") as stream:
                yield stream
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as stream:
            yield stream


def _is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def find_sources(paths: Iterable[Path | str]) -> list[Source]:
    """The WARCs to read: each file given, each WARC in a WACZ (``archive/*.warc[.gz]``), and each
    WARC or WACZ under a folder (sorted, so a re-run meets them in the same order)."""
    sources: list[Source] = []
    for given in paths:
        path = Path(given).resolve()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and (_is_warc(p) or p.suffix.lower() == ".wacz"))
        elif path.is_file():
            found = [path]
        else:
            raise WarcImportError(f"{given}: no such file or folder")
        for file in found:
            if file.suffix.lower() == ".wacz" or (not _is_warc(file) and zipfile.is_zipfile(file)):
                try:
                    with zipfile.ZipFile(file) as archive:
                        members = sorted((info.filename, info.file_size) for info in archive.infolist()
                                         if info.filename.startswith("archive/") and _is_warc(Path(info.filename)))
                except zipfile.BadZipFile as error:
                    raise WarcImportError(f"{file}: not a WACZ ({error})") from None
                if not members:
                    raise WarcImportError(f"{file}: a WACZ without WARC files under archive/")
                sources += [Source(file, name, size) for name, size in members]
            else:
                with open(file, "rb") as stream:
                    named_no_warc = file == path and not _starts_a_record(stream, 0)
                if named_no_warc:  # named by the user: say so, don't "import" it
                    raise WarcImportError(f"{file}: not a WARC or ARC file (it starts with no record)")
                sources.append(Source(file, None, file.stat().st_size))
    if not sources:
        raise WarcImportError(f"no WARC or WACZ files in {', '.join(map(str, paths))}")
    return sources


def host_matcher(patterns: str | None) -> Callable[[str], bool]:
    """``--hosts``: comma-separated host patterns; ``*`` and ``?`` as in file names, and a plain name
    matches the host and its subdomains (``example.com`` takes ``www.example.com``)."""
    if not patterns:
        return lambda host: True
    wanted = [p.strip().lower() for p in patterns.split(",") if p.strip()]
    if not wanted:
        raise WarcImportError(f"--hosts {patterns!r} names no host")

    def matches(host: str) -> bool:
        host = host.lower()
        for pattern in wanted:
            if any(c in pattern for c in "*?["):
                if fnmatch.fnmatchcase(host, pattern):
                    return True
            elif host == pattern or host.endswith("." + pattern):
                return True
        return False
    return matches


def warc_date(value: str | None, now: datetime | None = None) -> str | None:
    """A WARC-Date (``2024-06-01T12:00:00Z``, fractions allowed) as the archive writes times, or
    None, also for a date no capture can have: before the web (``EARLIEST_CAPTURE``) or in the
    future. (A capture dated 2999 would stay every later capture's newer version for good.)"""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if not EARLIEST_CAPTURE <= parsed <= (now or datetime.now(UTC)) + FUTURE_CAPTURE:
        return None
    return parsed.isoformat(timespec="seconds")


# --- reading records ---------------------------------------------------------------------------

@dataclass
class Page:
    """An HTML page found in a record, ready for extraction."""

    url: str
    fetched_at: str
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), None)

    def capture(self, extracted: Extracted | None = None) -> Capture:
        """This fetch as the archive keeps it; with the digest extraction computed of it."""
        return Capture(url=self.url, body=self.body, status=self.status, headers=self.headers,
                       fetched_at=self.fetched_at, body_digest=extracted.digest if extracted else None)


@dataclass(frozen=True)
class Entry:
    """One record read: where it starts and ends in its file, and a page or why it is none."""

    offset: int
    end: int
    page: Page | None = None
    reason: str | None = None  # skipped/<reason>, filtered/<reason> or errors/<reason>


@dataclass(frozen=True)
class Filters:
    hosts: Callable[[str], bool] = lambda host: True
    since: str | None = None  # ISO 8601 UTC
    max_bytes: int = MAX_PAGE_BYTES


def _looks_like_html(content_type: str, body_start: bytes) -> bool:
    if content_type:
        return "html" in content_type.lower()
    start = body_start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<!--"))


def _record_entry(record: Any, filters: Filters) -> tuple[Page | None, str | None]:
    """The page a record holds, or the reason it holds none (before its payload is read, when the
    headers tell: a filtered record costs no reading)."""
    kind = record.rec_type
    if kind not in PAGE_RECORDS:
        return None, f"records/{kind}"
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip()
    length = record.rec_headers.get_header("Content-Length") or ""
    if not url or not length.strip().isdigit():
        return None, "errors/malformed"
    if not url.startswith(("http://", "https://")):
        return None, f"records/{kind}"  # a resource of a tool (urn:..., dns:), no page
    fetched_at = warc_date(record.rec_headers.get_header("WARC-Date"))
    if fetched_at is None:
        return None, "errors/malformed"
    # (origin is None for a URL without a host, or with a port out of range)
    if origin(url) is None or len(url) > MAX_URL or _CONTROL.search(url):
        return None, "errors/malformed"
    host = (urlsplit(url).hostname or "").lower()
    if not filters.hosts(host):
        return None, "filtered/hosts"
    if filters.since and fetched_at < filters.since:
        return None, "filtered/since"
    if kind == "revisit":
        return None, "skipped/revisit"
    http = record.http_headers
    if kind == "response" and http is None:
        return None, "errors/malformed"
    status = 200
    headers: dict[str, str] = {}
    if http is not None and kind == "response":
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            return None, "errors/malformed"
        headers = {name: value for name, value in http.headers}
    elif record.content_type:
        headers = {"Content-Type": record.content_type}
    if 300 <= status < 400:
        return None, "skipped/redirect"
    if status != 200:
        return None, "skipped/http_error"
    if record.rec_headers.get_header("WARC-Truncated"):
        return None, "skipped/truncated"
    return Page(url=url, fetched_at=fetched_at, status=status, headers=headers, body=b""), None


def _read_payload(record: Any, page: Page, filters: Filters) -> str | None:
    """Read the record's payload into ``page.body`` (content encodings undone); the reason it
    cannot be a page, if any."""
    try:
        body = _payload(record, filters.max_bytes)
    except Exception:  # a broken chunked, gzip or brotli payload: the record, not the import
        return "errors/malformed"
    if len(body) > filters.max_bytes:
        return "skipped/too_large"
    raw = record.raw_stream
    while raw.read(1 << 16):
        pass
    if getattr(raw, "limit", 0) > 0:  # the file ended before the record's Content-Length did
        return "skipped/truncated"
    content_type = page.content_type or record.rec_headers.get_header("WARC-Identified-Payload-Type") or ""
    if not _looks_like_html(content_type, body[:512]):
        return "skipped/not_html"
    page.body = body
    return None


def _payload(record: Any, limit: int) -> bytes:
    """The record's payload, Transfer- and Content-Encoding undone: at most ``limit`` + 1 bytes."""
    http = record.http_headers
    stream = record.raw_stream
    if http is None:
        return stream.read(limit + 1)
    if (http.get_header("Transfer-Encoding") or "").strip().lower() == "chunked":
        from warcio.bufferedreaders import ChunkedDataReader

        stream = ChunkedDataReader(stream)
    return decode_content(stream.read(limit + 1), http.get_header("Content-Encoding") or "", limit)


def decode_content(data: bytes, encoding: str, limit: int) -> bytes:
    """``data`` with its Content-Encoding undone (``gzip``, ``deflate``, ``br``, ``zstd``, in the
    order applied: "gzip, br" is brotli of gzip), at most ``limit`` + 1 bytes of it: a few
    kilobytes can hold gigabytes. Data cut short gives what it holds, as Scrapy reads a response
    cut short; ValueError for data that is not in its encoding (damaged midway). An encoding not
    known leaves the data as it is. (warcio's own decoding prints zlib's errors and keeps what it
    decoded before them, and its brotli reader fails with brotli 1.2.)"""
    for coding in reversed([part.strip().lower() for part in encoding.split(",")]):
        try:
            data = _decoded(data, coding, limit)[:limit + 1]
        except ValueError:
            if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                raise
            # stored decoded under the header it was served with (as some tools write WARCs): as it is
    return data


def _inflated(data: bytes, window: int, limit: int) -> bytes:
    """zlib's inflate of ``data``, at most ``limit`` + 1 bytes; a gzip body of several members (a
    server that compresses as it sends, or files joined) is decoded whole, as browsers and Scrapy
    read it (zlib stops at the first member's end), up to ``MAX_GZIP_MEMBERS`` members. What
    follows the last member is not read; a damaged member after the first ends the body there.
    The data is fed in pieces, so that what follows a member is not copied once per member."""
    view, parts, size, at = memoryview(data), [], 0, 0
    for member in range(MAX_GZIP_MEMBERS):
        inflater, kept = zlib.decompressobj(window), len(parts)
        try:
            while not inflater.eof and size <= limit:
                tail = inflater.unconsumed_tail  # (left when the output reached the limit)
                piece = tail or view[at:at + INFLATE_PIECE]
                if not piece:
                    break  # the data ends inside the member: what it held is kept
                at += 0 if tail else len(piece)
                parts.append(inflater.decompress(piece, limit + 1 - size))
                size += len(parts[-1])
        except zlib.error:
            if member == 0:
                raise
            del parts[kept:]  # a damaged member after the first: the body is the members before it
            break
        at -= len(inflater.unused_data)
        if not (inflater.eof and window == GZIP_WINDOW and size <= limit and view[at:at + 2] == b"\x1f\x8b"):
            break  # one stream (deflate), cut short, at the limit, or no other gzip member after it
    return b"".join(parts)


def _decoded(data: bytes, coding: str, limit: int) -> bytes:
    if coding in ("gzip", "x-gzip", "deflate"):
        # deflate comes zlib-wrapped, or raw from some servers (as Scrapy reads it, both)
        windows = (zlib.MAX_WBITS, -zlib.MAX_WBITS) if coding == "deflate" else (GZIP_WINDOW,)
        for window in windows:
            try:
                return _inflated(data, window, limit)
            except zlib.error as error:
                problem = error
        raise ValueError(f"not {coding}: {problem}")
    if coding == "br":
        import brotli

        decoder, parts, size = brotli.Decompressor(), [], 0
        try:
            chunk = decoder.process(data, output_buffer_limit=limit + 1)
            while chunk:
                parts.append(chunk)
                size += len(chunk)
                if size > limit or decoder.is_finished():
                    break
                chunk = decoder.process(b"", output_buffer_limit=limit + 1 - size)
        except brotli.error as error:
            raise ValueError(f"not brotli: {error}") from None
        return b"".join(parts)  # (brotli's output limit is a soft one: decode_content cuts it)
    if coding == "zstd":
        import io

        import zstandard

        parts, size = [], 0
        try:
            # every frame, said outright: a body written in parts (a streaming server's flushes) has several
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as reader:
                while size <= limit and (chunk := reader.read(min(1 << 16, limit + 1 - size))):
                    parts.append(chunk)
                    size += len(chunk)
        except zstandard.ZstdError as error:
            raise ValueError(f"not zstd: {error}") from None
        if data and not parts:
            raise ValueError("no zstd frame it could read")
        return b"".join(parts)
    return data  # identity, or an encoding not known: as it is


class _GzipMember:
    """ISA-L's inflate of one gzip member, refusing data that starts no member at its first bytes,
    as zlib does. ISA-L judges only a whole ten-byte header and takes fewer bytes without a word:
    warcio, which reads what follows a member as plain when a member's first inflate fails, lost
    the start of a plain record that followed a gzip one within ten bytes of a block's end."""

    __slots__ = ("_inflater", "_start")

    def __init__(self) -> None:
        self._inflater = _isal_inflater(GZIP_WINDOW)
        self._start = b""  # the member's first bytes, until there are enough to judge

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        if len(self._start) < len(GZIP_START):
            self._start += bytes(data[:len(GZIP_START) - len(self._start)])
            if not GZIP_START.startswith(self._start):
                raise zlib.error("incorrect header check")
        return self._inflater.decompress(data, max_length)

    def __getattr__(self, name: str) -> Any:  # unused_data, eof, flush: the inflater's
        return getattr(self._inflater, name)


def _record_inflater() -> Any:
    """What inflates one gzip member of a WARC: ISA-L where it is installed, else zlib."""
    return _GzipMember() if _isal_inflater is not None else zlib.decompressobj(GZIP_WINDOW)


def _quiet_iterator(stream: BinaryIO) -> Any:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import DecompressingBufferedReader

    class LineCappedReader(DecompressingBufferedReader):
        """warcio's reader, reading a line no longer than ``MAX_LINE``: its own reads a stretch
        without a newline whole, in time that grows with the square of its length."""

        def readline(self, length: int | None = None) -> bytes:
            return super().readline(MAX_LINE if not length or length < 0 else min(length, MAX_LINE))

    LineCappedReader.DECOMPRESSORS = {**DecompressingBufferedReader.DECOMPRESSORS,
                                      "gzip": lambda: _record_inflater()}

    class QuietIterator(ArchiveIterator):
        # warcio's note about a record not followed by its blank lines: ``err_count`` counts it
        # (``read_entries`` makes the record malformed), nothing is printed
        INC_RECORD = ""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.reader = LineCappedReader(self.fh, block_size=self.reader.block_size)

    return QuietIterator(stream, arc2warc=True)


def _next_record_start(stream: BinaryIO, after: int, gzipped: bool) -> int | None:
    """Where the next record may start after a malformed one: a gzip member that holds a record's
    start, or a ``WARC/1.`` line."""
    marker = GZIP_START if gzipped else b"\nWARC/1."
    while True:
        stream.seek(after)
        position, tail, start = after, b"", None
        while start is None and (chunk := stream.read(SCAN_CHUNK)):
            window = tail + chunk
            found = window.find(marker)
            if found >= 0:
                start = position - len(tail) + found + (0 if gzipped else 1)
            tail = window[-(len(marker) - 1):]
            position += len(chunk)
        if start is None or not gzipped or _starts_a_record(stream, start):
            return start
        after = start + 1  # those bytes only looked like a gzip member, inside another one


def _starts_a_record(stream: BinaryIO, offset: int) -> bool:
    """Whether a WARC or ARC record starts at ``offset``, plain or in a gzip member."""
    stream.seek(offset)
    head = stream.read(1 << 16)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(GZIP_WINDOW).decompress(head, 64)
        except zlib.error:
            return False
    return head.lstrip(b"\r\n").startswith((b"WARC/", b"filedesc://"))


def read_entries(source: Source, start: int, filters: Filters,
                 should_stop: Callable[[], bool] = lambda: False) -> Iterator[Entry]:
    """Every record of ``source`` from byte ``start`` on, as an ``Entry``; a record that cannot be
    read is one ``errors/malformed`` entry, and reading goes on at the next record found."""
    with source.open() as stream:
        gzipped = stream.read(2) == b"\x1f\x8b"
        position: int | None = start
        while position is not None and not should_stop():
            stream.seek(position)
            records = _quiet_iterator(stream)
            try:
                for record in records:
                    page, reason = _record_entry(record, filters)
                    if reason == "errors/malformed":  # go on at the next record found, not where warcio would
                        failed_at = records.offset  # where this record began
                        break
                    if page is not None:
                        reason = _read_payload(record, page, filters)
                        if reason:
                            page = None
                    errors = records.err_count
                    offset = records.get_record_offset()  # reads the record to its end
                    if records.err_count > errors:
                        # No blank line where its Content-Length ends: the length lies, so the
                        # payload is cut short or runs on into the next record. Go on at the next
                        # record found after its start (the one it may have swallowed).
                        failed_at = offset
                        break
                    yield Entry(offset, records.offset, page, reason)
                    if should_stop():
                        return
                else:
                    return
            except Exception:  # warcio's ArchiveLoadFailed, a broken gzip member, a header it cannot parse
                failed_at = max(records.offset, position)
                if failed_at > position:  # read afresh from there: a damaged stretch before may have misled it
                    position = failed_at
                    continue
            following = _next_record_start(stream, failed_at + 1, gzipped)
            # The last record's gzip member ends before its data does: the file was cut short
            cut = following is None and gzipped and _starts_a_record(stream, failed_at)
            yield Entry(failed_at, following if following is not None else source.size,
                        reason="skipped/truncated" if cut else "errors/malformed")
            position = following


# --- where pages go ----------------------------------------------------------------------------

class Sink(Protocol):
    def batch(self) -> AbstractContextManager: ...  # the stores and progress saves within: committed together
    def already_stored(self, capture: Capture) -> bool: ...
    def store(self, page: Page, site: str, extracted: Any) -> str: ...  # returns what became of the page
    def progress(self, key: str) -> tuple[int, int, bool, int | None]: ...  # done offset, records, finished, size
    def save_progress(self, key: str, source: Source, done: int, records: int, finished: bool) -> None: ...
    def learned_lines(self, site: str) -> tuple[str, ...]: ...


class ArchiveSink:
    """Stores pages in the archive at ``db_path``, as the crawl's ``ArchivePipeline`` does."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.run_id: int | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        # Each store and save within is a savepoint of it; a capture dictionary due is trained after its commit.
        with transaction(self.db):
            yield

    def already_stored(self, capture: Capture) -> bool:
        return capture_stored(self.db, capture)

    def store(self, page: Page, site: str, extracted: Any) -> str:
        stored = store_page(self.db, page.capture(extracted), site=site, article=extracted.article,
                            rejection=extracted.rejection, run_id=self.run_id)
        if extracted.rejection is not None:
            return f"skipped/{extracted.rejection.reason}"
        return f"saved/{stored.article.outcome.value}"

    def progress(self, key: str) -> tuple[int, int, bool, int | None]:
        row = self.db.execute("SELECT done_offset, records, finished_at, size FROM import_files WHERE source = ?",
                              [key]).fetchone()
        return (row[0], row[1], row[2] is not None, row[3]) if row else (0, 0, False, None)

    def save_progress(self, key: str, source: Source, done: int, records: int, finished: bool) -> None:
        now = utc_now()
        with transaction(self.db) as conn:
            conn.execute(
                "INSERT INTO import_files (source, size, done_offset, records, started_at, updated_at, finished_at,"
                " run_id) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (source) DO UPDATE SET size = excluded.size,"
                " done_offset = excluded.done_offset, records = excluded.records, updated_at = excluded.updated_at,"
                " finished_at = excluded.finished_at, run_id = excluded.run_id",
                (key, source.size, done, records, now, now, now if finished else None, self.run_id))

    def learned_lines(self, site: str) -> tuple[str, ...]:
        from archive.boilerplate import learned_lines

        return learned_lines(self.db, site)


class FrontierSink:
    """Hands pages to ``newsarchive writer`` through the distributed crawl's item list (``--redis``);
    the writer recognises a page handed in twice."""

    def __init__(self, frontier: Any) -> None:
        self.frontier = frontier
        self.run = frontier.new_run()
        self.importer = f"import-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.learned = frontier.learned_lines()

    def batch(self) -> AbstractContextManager:
        return nullcontext()  # each hand-off is its own

    def already_stored(self, capture: Capture) -> bool:
        return False  # the writer checks

    def store(self, page: Page, site: str, extracted: Any) -> str:
        from archive.frontier import encode_item

        payload = encode_item(site=site, section=None, run=self.run, article=extracted.article,
                              capture=page.capture(extracted), worker=self.importer,
                              rejection=extracted.rejection)
        self.frontier.hand_off(self.importer, None, payload)
        return f"skipped/{extracted.rejection.reason}" if extracted.rejection else "handed_off"

    def progress(self, key: str) -> tuple[int, int, bool, int | None]:
        return self.frontier.import_progress(key)

    def save_progress(self, key: str, source: Source, done: int, records: int, finished: bool) -> None:
        self.frontier.save_import_progress(key, done, records, finished, source.size)

    def learned_lines(self, site: str) -> tuple[str, ...]:
        return self.learned.get(site, ())


# --- sites ---------------------------------------------------------------------------------------

class SiteResolver:
    """The site a record belongs to: ``--site`` when given, else the site file whose scope holds its
    URL, else a site named after its host (``www.`` dropped) with the default rules."""

    def __init__(self, configs: list[SiteConfig], forced: SiteConfig | None,
                 learned: Callable[[str], tuple[str, ...]]) -> None:
        self.configs, self.forced, self.learned = configs, forced, learned
        self.by_origin: dict[tuple[str, str, int] | None, tuple[str, ExtractionRules, str]] = {}

    def __call__(self, url: str) -> tuple[str, ExtractionRules, str]:
        key = origin(url)
        if key not in self.by_origin:
            config = self.forced or next((c for c in self.configs if c.in_scope(url)), None)
            if config is None:
                name = (urlsplit(url).hostname or "unknown").lower().removeprefix("www.")
                rules, timezone = ExtractionRules(), "UTC"
            else:
                name, rules, timezone = config.name, config.extraction, config.timezone
            self.by_origin[key] = (name, rules.with_drop_lines(self.learned(name)), timezone)
        return self.by_origin[key]


# --- progress --------------------------------------------------------------------------------------

class ProgressBar:
    """A progress line on a terminal (bytes read, pages per second, ETA and what was stored), drawn
    as a crawl's progress line is; nothing elsewhere."""

    def __init__(self, total_bytes: int, stream: TextIO | None = None, every: float = 0.5) -> None:
        self.total, self.stream, self.every = max(total_bytes, 1), stream, every
        self.started = self.last = time.monotonic()

    def show(self, done_bytes: int, counts: Counter, force: bool = False) -> None:
        now = time.monotonic()
        if self.stream is None or (not force and now - self.last < self.every):
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        share = min(done_bytes / self.total, 1.0)
        eta = elapsed * (1 - share) / share if share > 0 else 0
        bar = "#" * int(share * 20)
        draw_line(self.stream, f"import [{bar:<20}] {share:4.0%} {done_bytes / 1e6:.1f}/{self.total / 1e6:.1f} MB, "
                               f"{counts['pages'] / elapsed:.0f} pages/s, ETA {int(eta) // 60}:{int(eta) % 60:02d} | "
                               f"{summary_counts(counts)}")

    def close(self) -> None:
        if self.stream is not None:
            draw_line(self.stream, "")


def summary_counts(counts: Counter) -> str:
    saved = ", ".join(f"{counts[f'saved/{o.value}']} {o.value}" for o in (Outcome.NEW, Outcome.CHANGED,
                                                                           Outcome.UNCHANGED))
    handed = f", {counts['handed_off']} handed to the writer" if counts["handed_off"] else ""
    return f"{saved}{handed}, {counts['rejected']} rejected, {counts['errors']} errors"


# --- the import ----------------------------------------------------------------------------------

@dataclass
class ImportResult:
    outcome: str = "finished"  # finished, interrupted, failed
    counts: Counter = field(default_factory=Counter)
    files: int = 0
    files_done_before: int = 0
    seconds: float = 0.0
    error: str | None = None

    def run_counts(self) -> dict[str, int]:
        """The counts of the import's ``crawl_runs`` row."""
        c = self.counts
        return {
            "pages": c["pages"], "articles_new": c["saved/new"], "articles_changed": c["saved/changed"],
            "articles_unchanged": c["saved/unchanged"], "articles_not_modified": 0,
            "skipped": sum(n for k, n in c.items() if k.startswith("skipped/")),
            "errors": c["errors"],
        }

    def reasons(self, prefix: str) -> str:
        found = sorted((k.removeprefix(prefix), n) for k, n in self.counts.items() if k.startswith(prefix) and n)
        return ", ".join(f"{n} {k}" for k, n in found) or "none"

    def summary(self) -> str:
        """One line for the terminal and for cron."""
        return (f"Imported {self.files} file(s) ({self.files_done_before} done before): {self.counts['records']} "
                f"records, {self.counts['pages']} HTML pages: {summary_counts(self.counts)}; "
                f"skipped: {self.reasons('skipped/')}; filtered out: {self.reasons('filtered/')}; "
                f"{self.counts['already_imported']} already imported; in {self.seconds:.1f}s ({self.outcome})")


@dataclass
class _FileState:
    source: Source
    records: int
    read_end: int
    pending: set[int] = field(default_factory=set)
    saved_at: float = 0.0

    def done_offset(self) -> int:
        return min(self.pending) if self.pending else self.read_end


class Importer:
    """Reads the sources one record at a time, extracts pages in ``jobs`` worker processes (0: in
    this process), and stores each result here, as it comes back."""

    def __init__(self, sink: Sink, resolver: SiteResolver, filters: Filters, *, jobs: int,
                 progress: ProgressBar | None = None, should_stop: Callable[[], bool] = lambda: False) -> None:
        self.sink, self.resolver, self.filters, self.jobs = sink, resolver, filters, jobs
        self.progress, self.should_stop = progress, should_stop
        self.result = ImportResult()
        self.pending: dict[concurrent.futures.Future, tuple[_FileState, int, Page, str]] = {}
        self.batch: list[tuple[_FileState, int, Page, str, Extracted, bool]] = []  # to store together
        self.pool: Any = None
        self.pool_started = False
        self.bytes_before = 0
        self.extract = extract_for_archive  # module-level, so worker processes can import it by name

    def count(self, what: str, by: int = 1) -> None:
        self.result.counts[what] += by

    def run(self, sources: list[Source]) -> ImportResult:
        started = time.monotonic()
        self.result.files = len(sources)
        try:
            for source in sources:
                if self.should_stop():
                    break
                self._import(source)
                self.bytes_before += source.size
            self._wait(all_of_them=True)
            self._flush()
        finally:
            if self.pool is not None:
                self.pool.stop()
                self.pool.join()
            if self.progress:
                self.progress.close()
        if self.should_stop():
            self.result.outcome = "interrupted"
        self.result.seconds = time.monotonic() - started
        return self.result

    def _import(self, source: Source) -> None:
        done, records, finished, size = self.sink.progress(source.key)
        if finished and size in (source.size, None):  # (progress saved before sizes were kept has none)
            self.result.files_done_before += 1
            return
        if finished:  # the file changed since (a download completed, a crawl appended): read it again, whole;
            done, records = 0, 0  # the records imported before are known by their captures
        state = _FileState(source, records, done)
        for entry in read_entries(source, done, self.filters, self.should_stop):
            self.count("records")
            state.read_end = entry.end
            if entry.page is None:
                self._count_reason(entry.reason)
                state.records += 1
            else:
                self._submit(state, entry.offset, entry.page)
            self._save(state)
            if self.progress:
                self.progress.show(self.bytes_before + entry.end, self.result.counts)
        self._wait(all_of_them=True)
        self._save(state, force=True, finished=not self.should_stop())

    def _count_reason(self, reason: str | None) -> None:
        if reason is None:
            return
        self.count(reason)
        if reason.startswith("errors/"):
            self.count("errors")
        if reason.startswith("skipped/"):
            self.count("pages")  # a page record, counted as a crawl counts a fetched page it skips

    def _submit(self, state: _FileState, offset: int, page: Page) -> None:
        self.count("pages")
        if self.sink.already_stored(page.capture()):
            self.count("already_imported")
            state.records += 1
            return
        site, rules, timezone = self.resolver(page.url)
        args = (page.body, page.url, rules, timezone, page.content_type)
        if self.jobs and not self.pool_started:
            # Started with the first page: an import that extracts nothing starts no workers (stopping
            # them while they still start made the forkserver print a traceback)
            self.pool, self.pool_started = extraction_pool(self.jobs), True
        if self.pool is None:
            future: concurrent.futures.Future = concurrent.futures.Future()
            try:
                with time_limit(EXTRACT_TIMEOUT):  # as a worker's page is stopped by its pool
                    future.set_result(self.extract(*args))
            except Exception as error:
                future.set_exception(error)
        else:
            future = self.pool.schedule(self.extract, args=args, timeout=EXTRACT_TIMEOUT)
        state.pending.add(offset)
        self.pending[future] = (state, offset, page, site)
        self._wait(all_of_them=False)

    def _wait(self, all_of_them: bool) -> None:
        """Store finished extractions; wait while more than the workers can take are under way."""
        limit = 0 if all_of_them else max(self.jobs * 2, 1)
        while self.pending:
            done = [f for f in self.pending if f.done()]
            if not done:
                if len(self.pending) <= limit:
                    return
                done, _ = concurrent.futures.wait(self.pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                self._store(future)

    def _store(self, future: concurrent.futures.Future) -> None:
        """Take a finished extraction for the next batch of writes (stored at once when it is full)."""
        state, offset, page, site = self.pending.pop(future)
        try:
            extracted = future.result()
        except Exception as error:  # a page that breaks or outlasts extraction (or kills its worker): kept
            self.count("errors")
            self.count("errors/extraction")
            print(f"extraction failed for {page.url}: {error.__class__.__name__}: {error}", file=sys.stderr)
            extracted = failed_extraction(page.body, error)
            self.batch.append((state, offset, page, site, extracted, True))
        else:
            self.batch.append((state, offset, page, site, extracted, False))
        if len(self.batch) >= BATCH_PAGES:
            self._flush()

    def _save(self, state: _FileState, *, force: bool = False, finished: bool = False) -> None:
        if force or time.monotonic() - state.saved_at >= SAVE_EVERY:
            self._flush(state, finished)

    def _flush(self, current: _FileState | None = None, finished: bool = False) -> None:
        """Store the batch of extracted pages and save the progress of their files in one
        transaction: each page whole or not at all (a savepoint each), the progress saved with them."""
        batch, self.batch = self.batch, []
        states = {id(item[0]): item[0] for item in batch}
        if current is not None:
            states[id(current)] = current
        with self.sink.batch():
            for state, offset, page, site, extracted, failed in batch:
                if self._store_one(page, site, extracted, failed):
                    state.pending.discard(offset)
                    state.records += 1
                # else it stays pending: the file's progress stays before it, the next import tries it again
            now = time.monotonic()
            for state in states.values():
                self.sink.save_progress(state.source.key, state.source, state.done_offset(), state.records,
                                        finished and state is current and not state.pending)
                state.saved_at = now

    def _store_one(self, page: Page, site: str, extracted: Extracted, failed: bool) -> bool:
        """Store one page; ``failed``: its extraction failed (counted already), it is only kept.
        False when it could not be stored."""
        if self.sink.already_stored(page.capture(extracted)):  # the same fetch earlier in this batch (a file
            self.count("already_imported")  # holding a record twice): checked before extraction, not yet stored
            return True
        try:
            became = self.sink.store(page, site, extracted)
        except Exception as error:  # this page's write is rolled back alone (its savepoint); the rest go on
            self.count("errors")
            self.count("errors/store")
            print(f"could not store {page.url}: {error.__class__.__name__}: {error}", file=sys.stderr)
            return False
        if failed:
            self.count("failed_kept")
            return True
        self.count(became)
        if extracted.rejection is not None:
            self.count("rejected")
        return True


def import_archives(paths: Iterable[Path | str], *, db_path: Path | str | None = None, frontier: Any = None,
                    sites: list[SiteConfig] = (), site: SiteConfig | None = None, hosts: str | None = None,
                    since: datetime | None = None, jobs: int | None = None, progress: TextIO | None = None,
                    should_stop: Callable[[], bool] = lambda: False) -> ImportResult:
    """Import the WARC and WACZ files at ``paths`` into the archive at ``db_path`` (recorded as one
    ``crawl_runs`` row), or hand their pages to the writer of ``frontier`` (a ``Frontier``)."""
    from archive.db import open_archive

    sources = find_sources(paths)
    filters = Filters(hosts=host_matcher(hosts),
                      since=since.astimezone(UTC).isoformat(timespec="seconds") if since else None)
    jobs = (default_workers() or 1) if jobs is None else jobs
    db = None
    if frontier is not None:
        sink: Any = FrontierSink(frontier)
    else:
        db = open_archive(db_path)
        close_abandoned_runs(db)
        sink = ArchiveSink(db)
        sink.run_id = start_run(db, IMPORT_RUN_SITE)
    resolver = SiteResolver(list(sites), site, sink.learned_lines)
    bar = ProgressBar(sum(s.size for s in sources), progress) if progress is not None else None
    importer = Importer(sink, resolver, filters, jobs=jobs, progress=bar, should_stop=should_stop)
    try:
        result = importer.run(sources)
    except BaseException as error:
        if db is not None:
            result = importer.result
            outcome = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            finish_run(db, sink.run_id, outcome, result.run_counts(), error=f"{error.__class__.__name__}: {error}",
                       stats=dict(result.counts))
            db.close()
        raise
    if db is not None:
        finish_run(db, sink.run_id, result.outcome, result.run_counts(), stats=dict(result.counts),
                   error=None if result.outcome == "finished" else "the import was stopped")
        db.close()
    return result
