"""How a capture's body is kept: zstd, with a dictionary trained per site from its first captures.

A news site's pages share most of their markup (head, menus, footer, scripts), so a dictionary
trained on a few of them compresses the others several times better than gzip does (about 9 % of
the raw bytes on the sample site, against 35 % with gzip). Each capture records its ``codec``
(``zstd``; ``gzip`` for rows older than schema migration 10, which converts them) and the
``dictionary_id`` it was compressed with (NULL: none). A site's first ``DICTIONARY_SAMPLES``
captures are zstd alone until they train its dictionary, then are compressed again with it.
Dictionaries live in ``capture_dictionaries``, one row each, never changed nor deleted: a site
trained again gets a new row, newer captures use it, older ones keep theirs.

Every reader of captures decodes through ``CaptureDecoder`` (``decode_body`` or ``capture_body``
for one capture); every writer encodes through ``encoder_for``.
"""

from __future__ import annotations

import gzip
import logging
import sqlite3
import weakref
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils
import zstandard

logger = logging.getLogger(__name__)

ZSTD = "zstd"
GZIP = "gzip"  # captures stored before schema migration 10
# Level 3: with a site's dictionary 8.7 % of the raw bytes on the sample site (level 9: 6.6 %),
# without one 14.2 % of WCXB's (level 9: 12.7 %), at four to five times level 9's speed
# (``benchmarks/captures.py``); the writer compresses every page a crawl or an import stores, and
# at level 9 that was the largest part of its work on a page. Dictionaries are trained for it.
ZSTD_LEVEL = 3
DICTIONARY_SAMPLES = 64  # a site's dictionary is trained once it has this many captures, from them
MAX_SAMPLE_BYTES = 8 << 20  # what training reads at most (a few large pages are enough)
MAX_DICTIONARY_BYTES = 112_640  # zstd's usual dictionary size; a smaller one for small samples
# zstd's fastCover trainer with these parameters, rather than its search for the best ones: a
# third to a fifth of the time (0.05 s instead of 0.17 s on 64 WCXB pages; an import of many sites
# trains one per site), for dictionaries as good within 0.1 % of the raw bytes on the sample site
# and WCXB.
TRAINING = {"k": 1024, "d": 8}
MIGRATION_BATCH = 200  # captures converted per transaction by migration 10


class CaptureError(Exception):
    """A capture's body cannot be decoded (unknown codec, missing dictionary, corrupt bytes)."""


@dataclass(frozen=True)
class Encoded:
    body: bytes  # compressed
    codec: str
    dictionary_id: int | None


class CaptureDecoder:
    """Decodes the captures read from one connection, loading each dictionary once."""

    def __init__(self, conn: sqlite3.Connection | sqlite_utils.Database) -> None:
        self.conn = conn.conn if isinstance(conn, sqlite_utils.Database) else conn
        self._decompressors: dict[int | None, zstandard.ZstdDecompressor] = {}

    def _decompressor(self, dictionary_id: int | None) -> zstandard.ZstdDecompressor:
        if dictionary_id not in self._decompressors:
            if dictionary_id is None:
                self._decompressors[None] = zstandard.ZstdDecompressor()
            else:
                row = self.conn.execute("SELECT dictionary FROM capture_dictionaries WHERE id = ?",
                                        [dictionary_id]).fetchone()
                if row is None:
                    raise CaptureError(f"capture dictionary {dictionary_id} is missing from the archive")
                dictionary = zstandard.ZstdCompressionDict(row[0])
                self._decompressors[dictionary_id] = zstandard.ZstdDecompressor(dict_data=dictionary)
        return self._decompressors[dictionary_id]

    def __call__(self, body: bytes, codec: str, dictionary_id: int | None) -> bytes:
        """A capture's raw bytes, from its ``compressed_body``, ``codec`` and ``dictionary_id``."""
        if body is None:
            raise CaptureError("capture has no stored body")
        try:
            if codec == ZSTD:
                return self._decompressor(dictionary_id).decompress(body)
            if codec == GZIP:
                return gzip.decompress(body)
        except (zstandard.ZstdError, OSError, EOFError, zlib.error) as error:
            raise CaptureError(f"capture body ({codec}, dictionary {dictionary_id}) cannot be decoded: {error}"
                               ) from None
        raise CaptureError(f"unknown capture codec {codec!r}")


def decode_body(conn: sqlite3.Connection | sqlite_utils.Database, body: bytes, codec: str,
                dictionary_id: int | None) -> bytes:
    """One capture's raw bytes (a reader of many captures keeps one ``CaptureDecoder``)."""
    return CaptureDecoder(conn)(body, codec, dictionary_id)


def capture_body(conn: sqlite3.Connection | sqlite_utils.Database, capture_id: int) -> bytes | None:
    """The raw bytes of capture ``capture_id``; None when there is no such capture (or it has no body)."""
    row = conn.execute("SELECT compressed_body, codec, dictionary_id FROM captures WHERE id = ?",
                       [capture_id]).fetchone()
    if row is None or row[0] is None:
        return None
    return decode_body(conn, *row)


@dataclass
class _SiteCodec:
    dictionary_id: int | None
    dictionary: zstandard.ZstdCompressionDict | None
    undictionaried: int  # the site's captures without a dictionary, as far as this encoder knows
    next_training: int  # train once ``undictionaried`` reaches it (doubled after a failed training)


class CaptureEncoder:
    """Compresses captures for the archive ``db``: zstd with the site's latest dictionary, trained
    once the site has ``samples`` captures (``encoder_for`` gives one per archive)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.samples = DICTIONARY_SAMPLES
        self.level = ZSTD_LEVEL
        self._sites: dict[str, _SiteCodec] = {}
        self._due: set[str] = set()  # sites whose first dictionary is due once their captures are committed

    def _site(self, site: str) -> _SiteCodec:
        if site not in self._sites:
            self._sites[site] = self._load(site)
        return self._sites[site]

    def _load(self, site: str) -> _SiteCodec:
        row = self.db.execute("SELECT id, dictionary FROM capture_dictionaries WHERE site = ? ORDER BY id DESC"
                              " LIMIT 1", [site]).fetchone()
        if row is not None:
            return _SiteCodec(row[0], self._prepared(row[1]), 0, 0)
        count = self.db.execute("SELECT count(*) FROM captures WHERE site = ?", [site]).fetchone()[0]
        return _SiteCodec(None, None, count, self.samples)

    def _prepared(self, dictionary: bytes) -> zstandard.ZstdCompressionDict:
        prepared = zstandard.ZstdCompressionDict(dictionary)
        prepared.precompute_compress(level=self.level)
        return prepared

    def encode(self, site: str, body: bytes) -> Encoded:
        codec = self._site(site)
        compressor = zstandard.ZstdCompressor(level=self.level, dict_data=codec.dictionary, write_checksum=False)
        if codec.dictionary_id is None:
            codec.undictionaried += 1
            if codec.undictionaried >= codec.next_training:
                self._due.add(site)
        return Encoded(compressor.compress(body), ZSTD, codec.dictionary_id)

    def train_due(self) -> None:
        """Train each site's first dictionary that fell due as its captures were encoded.
        ``archive.store.transaction`` calls it after each commit: training reads the captures that
        commit stored and writes in a transaction of its own, and a capture may point at the
        dictionary only once that is committed. Within a transaction it does nothing (the commit
        that ends it trains). It never raises: a dictionary is not worth a write reported failed
        once committed; one that cannot be trained now is logged, and tried again once the site
        has twice as many captures without one."""
        if self.db.conn.in_transaction:
            return
        while self._due:
            site = self._due.pop()
            codec = self._sites[site]
            try:
                stored = self._load(site)  # another process may have trained one meanwhile: take it
                if stored.dictionary_id is not None:
                    self._sites[site] = stored
                    continue
                dictionary_id = self.train(site, latest=False)
            except Exception as error:  # the captures that made it due are stored: the dictionary can wait
                logger.warning("capture dictionary for %s not trained now: %s", site, error)
                dictionary_id = None
            if dictionary_id is None:
                codec.next_training = max(codec.next_training, codec.undictionaried) * 2

    def train(self, site: str, *, latest: bool = True) -> int | None:
        """Train a dictionary for ``site`` from its latest (or first) captures and make it the one
        its next captures use; None when the site has too few captures, or zstd cannot train on them."""
        samples = _samples(self.db, site, self.samples, latest=latest)
        if len(samples) < min(self.samples, 8):
            return None
        sample_bytes = sum(map(len, samples))
        size = min(MAX_DICTIONARY_BYTES, max(1024, sample_bytes // 8))
        try:
            trained = zstandard.train_dictionary(size, samples, level=self.level, **TRAINING)
        except zstandard.ZstdError as error:
            logger.warning("no capture dictionary for %s: zstd could not train one on %d captures (%s)",
                           site, len(samples), error)
            return None
        dictionary = trained.as_bytes()
        prepared = self._prepared(dictionary)
        with self.db.conn:
            self.db.conn.execute("BEGIN IMMEDIATE")
            dictionary_id = self.db.conn.execute(
                "INSERT INTO capture_dictionaries (site, trained_at, samples, sample_bytes, level, dictionary)"
                " VALUES (?, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), ?, ?, ?, ?)",
                (site, len(samples), sample_bytes, self.level, dictionary),
            ).lastrowid
            self._recompress_first(site, dictionary_id, prepared)
        # Only once the row is committed may captures point at it.
        self._sites[site] = _SiteCodec(dictionary_id, prepared, 0, 0)
        logger.info("trained capture dictionary %d for %s: %d bytes from %d captures", dictionary_id, site,
                    len(dictionary), len(samples))
        return dictionary_id


    def _recompress_first(self, site: str, dictionary_id: int, dictionary: zstandard.ZstdCompressionDict) -> None:
        """The site's captures stored before it had any dictionary (its first ones, the samples),
        compressed again with the new one, in the transaction that stores it: a small site gains
        as much as a large one."""
        decompressor = zstandard.ZstdDecompressor()
        compressor = zstandard.ZstdCompressor(level=self.level, dict_data=dictionary, write_checksum=False)
        rows = self.db.conn.execute(
            "SELECT id, compressed_body FROM captures WHERE site = ? AND codec = ? AND dictionary_id IS NULL"
            " AND compressed_body IS NOT NULL LIMIT ?", (site, ZSTD, 4 * self.samples)).fetchall()
        with_dictionary = zstandard.ZstdDecompressor(dict_data=dictionary)
        for capture_id, body in rows:
            try:
                raw = decompressor.decompress(body)
            except zstandard.ZstdError:
                continue  # left as it is: its reader reports it
            again = compressor.compress(raw)
            if len(again) < len(body) and with_dictionary.decompress(again) == raw:
                self.db.conn.execute("UPDATE captures SET compressed_body = ?, dictionary_id = ? WHERE id = ?",
                                     (again, dictionary_id, capture_id))


def _samples(db: sqlite_utils.Database, site: str, count: int, *, latest: bool) -> list[bytes]:
    order = "DESC" if latest else "ASC"
    decode = CaptureDecoder(db)
    samples: list[bytes] = []
    total = 0
    for body, codec, dictionary_id in db.execute(
            f"SELECT compressed_body, codec, dictionary_id FROM captures WHERE site = ? AND compressed_body IS NOT NULL"
            f" ORDER BY id {order} LIMIT ?", [site, count]):
        try:
            sample = decode(body, codec, dictionary_id)
        except CaptureError:
            continue
        if sample:
            samples.append(sample)
            total += len(sample)
        if total >= MAX_SAMPLE_BYTES:
            break
    return samples


_encoders: weakref.WeakKeyDictionary[sqlite_utils.Database, CaptureEncoder] = weakref.WeakKeyDictionary()


def encoder_for(db: sqlite_utils.Database) -> CaptureEncoder:
    """The archive's one encoder: it remembers each site's dictionary between captures."""
    if db not in _encoders:
        _encoders[db] = CaptureEncoder(db)
    return _encoders[db]


CAPTURE_STATS_SQL = """
select c.site, count(*) as captures, sum(c.size) as raw_bytes, sum(length(c.compressed_body)) as stored_bytes,
  sum(c.codec = 'gzip') as gzip_captures, sum(c.dictionary_id is not null) as with_dictionary,
  (select max(d.id) from capture_dictionaries d where d.site = c.site) as dictionary_id,
  (select count(*) from capture_dictionaries d where d.site = c.site) as dictionaries
from captures c where (:site is null or c.site = :site) group by c.site order by c.site
"""


def capture_stats(db: sqlite_utils.Database, site: str | None = None) -> list[dict]:
    """Per site: captures, their raw and stored bytes, how many are still gzip or use a
    dictionary, the site's current dictionary and how many it has had."""
    return list(db.query(CAPTURE_STATS_SQL, {"site": site}))


def vacuum(db: sqlite_utils.Database) -> tuple[int, int]:
    """SQLite's VACUUM: the archive file rewritten without its free pages (those the gzip bodies
    left after migration 10, for one). Returns the file's size in bytes before and after."""
    def size() -> int:
        pages, page_size = (db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "page_size"))
        return pages * page_size

    before = size()
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in WAL mode the file shrinks once the log is copied back
    return before, size()


# --- migration 10: gzip captures become zstd ---------------------------------------------------

def migrate_gzip_captures(db: sqlite_utils.Database, *, batch: int | None = None,
                          progress: Callable[[int, int], None] | None = None) -> tuple[int, int, int]:
    """Convert every gzip capture to zstd, in place, ``batch`` captures per transaction: train each
    site's dictionary first (from its first captures), then re-encode. Killed at any moment, the
    archive holds whole captures, some gzip and some zstd, each readable; run again, it goes on.
    Returns (captures converted, their gzip bytes, their zstd bytes)."""
    batch = batch or MIGRATION_BATCH
    encoder = encoder_for(db)
    sites = [row[0] for row in db.execute(
        "SELECT site FROM captures GROUP BY site HAVING count(*) >= ?"
        " AND site NOT IN (SELECT site FROM capture_dictionaries)", [encoder.samples])]
    for site in sites:
        encoder.train(site, latest=False)
    total = db.execute("SELECT count(*) FROM captures WHERE codec = ?", [GZIP]).fetchone()[0]
    converted = before = after = 0
    last_id = 0
    decode = CaptureDecoder(db)
    while True:
        rows = db.execute("SELECT id, site, compressed_body FROM captures WHERE codec = ? AND id > ? ORDER BY id"
                          " LIMIT ?", [GZIP, last_id, batch]).fetchall()
        if not rows:
            break
        with db.conn:
            db.conn.execute("BEGIN IMMEDIATE")
            for capture_id, site, body in rows:
                encoded = _recompress(decode, encoder, capture_id, site, body)
                if encoded is None:
                    continue
                db.conn.execute("UPDATE captures SET compressed_body = ?, codec = ?, dictionary_id = ?"
                                " WHERE id = ? AND codec = ?",
                                (encoded.body, encoded.codec, encoded.dictionary_id, capture_id, GZIP))
                converted += 1
                before += len(body)
                after += len(encoded.body)
        last_id = rows[-1][0]
        if progress is not None:
            progress(converted, total)
    return converted, before, after


def _recompress(decode: CaptureDecoder, encoder: CaptureEncoder, capture_id: int, site: str,
                body: bytes | None) -> Encoded | None:
    """A gzip capture as zstd, checked to give back the very same bytes; None (left as it is,
    logged) when its gzip cannot be read."""
    if body is None:
        return None
    try:
        raw = decode(body, GZIP, None)
    except CaptureError as error:
        logger.warning("capture %d left in gzip: %s", capture_id, error)
        return None
    encoded = encoder.encode(site, raw)
    if decode(encoded.body, encoded.codec, encoded.dictionary_id) != raw:  # never trade a capture for a bad one
        raise CaptureError(f"capture {capture_id}: zstd did not give back its bytes; nothing converted")
    return encoded
