"""The shared Redis state of a distributed crawl, and the single archive writer that drains it.

No Scrapy here: the crawler side (``crawler/distributed.py``) builds on scrapy-redis and calls
these functions; the writer and ``newsarchive status`` need only Redis and the archive.

Keys, all under one prefix (``newsarchive`` unless configured):

``<p>:requests``          scrapy-redis' priority queue (a sorted set) of serialised requests
``<p>:seen``              fingerprints of article requests ever queued: an article is fetched once
``<p>:seen:run:<run>``    fingerprints of listing, feed and sitemap requests of one seeding (expire)
``<p>:due:run:<run>``     archived articles due for a re-check in one seeding: fingerprint -> the
                          conditional headers to send (expires); the seeder reads them from the archive
``<p>:boilerplate``       each site's furniture lines learned from the archive (site -> JSON list)
``<p>:seeded``            when each site was last seeded (site -> ISO 8601 UTC), for the scheduler
``<p>:workers``           ids of workers that ever registered (a set)
``<p>:worker:<id>``       a live worker's heartbeat (JSON, expires unless refreshed)
``<p>:inflight:<id>``     requests a worker has popped and not finished: token -> request
``<p>:items``             finished pages waiting for the writer (a list, JSON): articles, 304s,
                          and pages extraction rejected (kept in ``rejected_pages``)
``<p>:items:writing``     the item the writer is storing (moved back if the writer dies)
``<p>:writer``            the writer's heartbeat
``<p>:runs``              counter of seedings; ``<p>:stats`` worker counters
``<p>:site_stats``        workers' per-site counters (pages, skips, errors) not yet in a ``crawl_runs`` row
``<p>:imports``           ``newsarchive import --redis``'s progress per WARC file (source -> JSON)
``<p>:drain_epoch``       bumped by the writer when the frontier drains; a worker's heartbeat says
                          which epoch its pushed counters are complete for

A request moves from the queue to its worker's in-flight hash in one Lua script; it leaves it only
once its results are safe in Redis (child requests queued, or the article on the item list, in the
same transaction as the removal). Work of a worker whose heartbeat expired goes back to the queue.
So a worker killed at any moment loses nothing; at worst a page is fetched again, and the writer
recognises a capture it already stored.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import zstandard

try:
    import redis
except ImportError:  # without the "distributed" extra: only distributed mode needs Redis
    redis = None

from archive.db import open_archive
from archive.store import (
    Outcome,
    blocked_by,
    close_abandoned_runs,
    finish_run,
    pid_alive,
    run_counts,
    start_run,
    store_page,
    utc_now,
)
from crawler.extraction import Article, Capture, Rejection

DEFAULT_PREFIX = "newsarchive"
HEARTBEAT_TTL = 30.0  # seconds without a heartbeat after which a worker's work is handed to others
RUN_SEEN_TTL = 7 * 24 * 3600
PUBLISH_BATCH = 10_000  # fingerprints per Redis command when the seeder publishes the archive


class FrontierError(Exception):
    """Redis cannot be reached or holds something unexpected."""


MISSING_EXTRA = ('distributed mode needs Redis\'s client and scrapy-redis, which are not installed: '
                 'pip install -e ".[distributed]" (or "newsarchive[distributed]")')


@dataclass(frozen=True)
class Keys:
    prefix: str = DEFAULT_PREFIX

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def seen(self) -> str:
        return f"{self.prefix}:seen"

    def run_seen(self, run: str | None) -> str:
        return f"{self.prefix}:seen:run:{run or 'none'}"

    def run_due(self, run: str | None) -> str:
        return f"{self.prefix}:due:run:{run or 'none'}"

    @property
    def boilerplate(self) -> str:
        return f"{self.prefix}:boilerplate"

    @property
    def seeded(self) -> str:
        return f"{self.prefix}:seeded"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"

    def inflight(self, worker_id: str) -> str:
        return f"{self.prefix}:inflight:{worker_id}"

    @property
    def items(self) -> str:
        return f"{self.prefix}:items"

    @property
    def items_writing(self) -> str:
        return f"{self.prefix}:items:writing"

    @property
    def writer(self) -> str:
        return f"{self.prefix}:writer"

    @property
    def runs(self) -> str:
        return f"{self.prefix}:runs"

    @property
    def stats(self) -> str:
        return f"{self.prefix}:stats"

    @property
    def site_stats(self) -> str:
        return f"{self.prefix}:site_stats"

    @property
    def drain_epoch(self) -> str:
        return f"{self.prefix}:drain_epoch"

    @property
    def imports(self) -> str:
        return f"{self.prefix}:imports"


def connect(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://host:port/db``), checked with a PING."""
    if redis is None:
        raise FrontierError(MISSING_EXTRA)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30, retry_on_timeout=True)
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise FrontierError(f"cannot reach Redis at {url}: {error}") from None
    return client


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


# --- the request frontier ----------------------------------------------------------------------

# KEYS: queue, inflight hash; ARGV: token prefix. Returns {token, data} or nil.
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return nil end
local token = ARGV[1] .. ':' .. popped[2]
redis.call('HSET', KEYS[2], token, popped[1])
return {token, popped[1]}
"""

# KEYS: queue, seen set, inflight hash; ARGV: request, score, fingerprint ('' = do not filter),
# seen-set TTL (0 = for good), token to release ('' = none). Marking seen, queueing and releasing
# the request this one replaces happen together or not at all. Returns 1 if queued, 0 if seen before.
_PUSH = """
local queued = 1
if ARGV[3] ~= '' then
  queued = redis.call('SADD', KEYS[2], ARGV[3])
  if tonumber(ARGV[4]) > 0 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
end
if queued == 1 then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
if ARGV[5] ~= '' then redis.call('HDEL', KEYS[3], ARGV[5]) end
return queued
"""

# KEYS: queue, inflight hash. Every in-flight request goes back with its score. Returns how many.
_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local score = string.match(entries[i], ':([^:]*)$')
  redis.call('ZADD', KEYS[1], tonumber(score) or 0, entries[i + 1])
end
redis.call('DEL', KEYS[2])
return #entries / 2
"""

# KEYS: queue, items, items_writing, workers set; ARGV: inflight prefix. 1 when nothing is left to do.
_DRAINED = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
if redis.call('LLEN', KEYS[2]) > 0 or redis.call('LLEN', KEYS[3]) > 0 then return 0 end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if redis.call('HLEN', ARGV[1] .. id) > 0 then return 0 end
end
return 1
"""


class Frontier:
    """One client's view of the shared frontier: popping, acknowledging, recovering, reporting."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None, heartbeat_ttl: float = HEARTBEAT_TTL) -> None:
        self.redis = client
        self.keys = keys or Keys()
        self.heartbeat_ttl = heartbeat_ttl
        self._pop = client.register_script(_POP)
        self._push = client.register_script(_PUSH)
        self._requeue = client.register_script(_REQUEUE)
        self._drained = client.register_script(_DRAINED)

    # workers
    def register(self, worker_id: str, info: dict[str, Any]) -> None:
        self.redis.sadd(self.keys.workers, worker_id)
        self.beat(worker_id, info)

    def beat(self, worker_id: str, info: dict[str, Any]) -> None:
        self.redis.set(self.keys.worker(worker_id), json.dumps(info), px=int(self.heartbeat_ttl * 1000))

    def retire(self, worker_id: str) -> int:
        """A worker leaves: whatever it still holds goes back to the queue. Returns how many."""
        returned = self.requeue(worker_id)
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.worker(worker_id))
        pipe.srem(self.keys.workers, worker_id)
        pipe.execute()
        return returned

    def live_workers(self) -> dict[str, dict[str, Any]]:
        ids = sorted(m.decode() for m in self.redis.smembers(self.keys.workers))
        beats = self.redis.mget([self.keys.worker(i) for i in ids]) if ids else []
        return {i: json.loads(b) for i, b in zip(ids, beats) if b is not None}

    def busy_elsewhere(self, worker_id: str) -> bool:
        """Whether another live worker holds requests (whose children may still be queued)."""
        return any(self.redis.hlen(self.keys.inflight(other)) for other in self.live_workers() if other != worker_id)

    def recover_orphans(self) -> int:
        """Put the in-flight work of workers whose heartbeat expired back on the queue."""
        returned = 0
        ids = [m.decode() for m in self.redis.smembers(self.keys.workers)]
        for worker_id in ids:
            if not self.redis.exists(self.keys.worker(worker_id)):
                returned += self.requeue(worker_id)
                self.redis.srem(self.keys.workers, worker_id)
        return returned

    # requests
    def pop(self, worker_id: str) -> tuple[str, bytes] | None:
        """The most urgent request, recorded as held by ``worker_id`` until acknowledged."""
        result = self._pop(keys=[self.keys.requests, self.keys.inflight(worker_id)], args=[uuid.uuid4().hex])
        if not result:
            return None
        token, data = result
        return token.decode(), data

    def push(self, data: bytes, score: float, *, seen: tuple[str, str, int] | None = None,
             worker_id: str = "", releases: str | None = None) -> bool:
        """Queue a serialised request unless ``seen = (set key, fingerprint, ttl)`` knows it, and
        release the in-flight entry it replaces (a redirect or retry), all in one step."""
        seen_key, fingerprint, ttl = seen or (self.keys.seen, "", 0)
        keys = [self.keys.requests, seen_key, self.keys.inflight(worker_id)]
        return bool(self._push(keys=keys, args=[data, score, fingerprint, ttl, releases or ""]))

    def ack(self, worker_id: str, token: str) -> None:
        self.redis.hdel(self.keys.inflight(worker_id), token)

    def requeue(self, worker_id: str) -> int:
        return int(self._requeue(keys=[self.keys.requests, self.keys.inflight(worker_id)]))

    def drained(self) -> bool:
        """Nothing queued, nothing in flight, nothing waiting for the writer (one atomic look)."""
        keys = [self.keys.requests, self.keys.items, self.keys.items_writing, self.keys.workers]
        return bool(self._drained(keys=keys, args=[self.keys.inflight("")]))

    def new_run(self) -> str:
        return str(self.redis.incr(self.keys.runs))

    def ever_seeded(self) -> bool:
        """Whether any seeding has started on this frontier."""
        return bool(self.redis.exists(self.keys.runs))

    # what the archive knows, published by the seeder
    def publish_archive(self, run: str, *, fetched: list[str], due: dict[str, dict[str, str]],
                        learned: dict[str, tuple[str, ...]]) -> None:
        """Before a seeding's requests are queued: the fingerprints of articles the archive holds
        (fetched for good, unless ``due`` for a re-check in this seeding, with its conditional
        headers) and each site's learned furniture lines."""
        pipe = self.redis.pipeline(transaction=False)
        for start in range(0, len(fetched), PUBLISH_BATCH):
            pipe.sadd(self.keys.seen, *fetched[start:start + PUBLISH_BATCH])
        due_items = [(fp, json.dumps(headers)) for fp, headers in due.items()]
        for start in range(0, len(due_items), PUBLISH_BATCH):
            pipe.hset(self.keys.run_due(run), mapping=dict(due_items[start:start + PUBLISH_BATCH]))
        if due_items:
            pipe.expire(self.keys.run_due(run), RUN_SEEN_TTL)
        for site, lines in learned.items():
            pipe.hset(self.keys.boilerplate, site, json.dumps(list(lines)))
        pipe.execute()

    def mark_seeded(self, sites: list[str], when: str) -> None:
        if sites:
            self.redis.hset(self.keys.seeded, mapping=dict.fromkeys(sites, when))

    def last_seeded(self, site: str) -> str | None:
        """When ``site`` was last seeded (ISO 8601 UTC), or None if never."""
        when = self.redis.hget(self.keys.seeded, site)
        return when.decode() if when is not None else None

    def due_headers(self, run: str | None, fingerprint: str) -> dict[str, str] | None:
        """The conditional headers of an archived article due for a re-check in ``run``, else None."""
        raw = self.redis.hget(self.keys.run_due(run), fingerprint)
        return json.loads(raw) if raw is not None else None

    def learned_lines(self) -> dict[str, tuple[str, ...]]:
        """Each site's furniture lines, as the last seeding published them."""
        stored = self.redis.hgetall(self.keys.boilerplate)
        return {site.decode(): tuple(json.loads(lines)) for site, lines in stored.items()}

    # items
    def hand_off(self, worker_id: str, token: str | None, payload: bytes) -> None:
        """Queue a finished article for the writer and release its request, in one transaction."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(self.keys.items, payload)
        if token:
            pipe.hdel(self.keys.inflight(worker_id), token)
        pipe.execute()

    def add_stats(self, counts: dict[str, int]) -> None:
        if counts:
            pipe = self.redis.pipeline()
            for key, value in counts.items():
                pipe.hincrby(self.keys.stats, key, value)
            pipe.execute()

    # per-site counters on their way to crawl_runs
    def push_site_stats(self, deltas: dict[str, int]) -> None:
        if deltas:
            pipe = self.redis.pipeline()
            for key, value in deltas.items():
                pipe.hincrby(self.keys.site_stats, key, value)
            pipe.execute()

    def take_site_stats(self) -> dict[str, int]:
        """The counters workers pushed since the last call, emptied in the same transaction."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(self.keys.site_stats)
        pipe.delete(self.keys.site_stats)
        stored, _ = pipe.execute()
        return {key.decode(): int(value) for key, value in stored.items()}

    def drain_epoch(self) -> int:
        return int(self.redis.get(self.keys.drain_epoch) or 0)

    # web archives imported through the writer (``newsarchive import --redis``)
    def import_progress(self, source: str) -> tuple[int, int, bool, int | None]:
        """How far a WARC's import got: the offset before which every record was handed on, the
        records done, whether it is finished, and the file's size then."""
        raw = self.redis.hget(self.keys.imports, source)
        if raw is None:
            return 0, 0, False, None
        saved = json.loads(raw)
        return int(saved["done_offset"]), int(saved["records"]), bool(saved["finished"]), saved.get("size")

    def save_import_progress(self, source: str, done_offset: int, records: int, finished: bool,
                             size: int | None = None) -> None:
        self.redis.hset(self.keys.imports, source, json.dumps(
            {"done_offset": done_offset, "records": records, "finished": finished, "size": size, "at": utc_now()}))

    def next_drain_epoch(self) -> int:
        return int(self.redis.incr(self.keys.drain_epoch))

    def counters_complete(self, epoch: int) -> bool:
        """Whether every live worker pushed its counters after ``epoch`` began."""
        return all(info.get("pushed_epoch", -1) >= epoch for info in self.live_workers().values())

    def status(self) -> dict[str, Any]:
        workers = self.live_workers()
        inflight = {i: self.redis.hlen(self.keys.inflight(i)) for i in workers}
        writer = json.loads(self.redis.get(self.keys.writer) or "null")
        return {
            "queued": self.redis.zcard(self.keys.requests),
            "seen_articles": self.redis.scard(self.keys.seen),
            "items_waiting": self.redis.llen(self.keys.items) + self.redis.llen(self.keys.items_writing),
            "workers": [{"id": i, **info, "in_flight": inflight[i], "gone": _gone(info)}
                        for i, info in workers.items()],
            "writer": {**writer, "gone": _gone(writer)} if writer else None,
            "runs": int(self.redis.get(self.keys.runs) or 0),
        }


def process_place() -> dict[str, Any]:
    """Where this process runs, as its heartbeat says: its host, its pid and its pid namespace
    (containers on one host may share its name, each with pids of its own)."""
    try:
        pids = os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # no such file outside Linux: whether a pid is ours cannot be told
        pids = None
    return {"host": socket.gethostname(), "pid": os.getpid(), "pids": pids}


def _gone(info: dict[str, Any]) -> bool:
    """Whether a process whose heartbeat has not expired yet ended without saying so (killed):
    known only for a process of this host and pid namespace; any other is taken as its heartbeat
    says (as is one whose heartbeat does not say where it runs)."""
    here = process_place()
    return (info.get("pid") is not None and here["pids"] is not None and info.get("pids") == here["pids"]
            and info.get("host") == here["host"] and not pid_alive(info["pid"]))


# --- what travels from a worker to the writer ---------------------------------------------------

WIRE_LEVEL = 3  # quick: the writer compresses each capture again, with its site's dictionary


def encode_item(*, site: str, section: str | None, run: str | None, article: Article | None,
                capture: Capture, worker: str, rejection: Rejection | None = None) -> bytes:
    """An archived page as JSON; the HTML in zstd (quick, no dictionary: the writer compresses it
    with its site's dictionary as it stores it). A page extraction rejected travels with its
    ``rejection`` and no article."""
    wire_body = zstandard.ZstdCompressor(level=WIRE_LEVEL).compress(capture.body)
    return json.dumps({
        "site": site, "section": section, "run": run, "worker": worker,
        "article": asdict(article) if article else None,
        "rejection": asdict(rejection) if rejection else None,
        "capture": {"url": capture.url, "status": capture.status, "headers": capture.headers,
                    "fetched_at": capture.fetched_at, "digest": capture.digest,  # hashed by the worker
                    "body_zstd": base64.b64encode(wire_body).decode("ascii")},
    }, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class HandedOff:
    site: str
    section: str | None
    run: str | None
    worker: str | None
    article: Article | None  # None: a conditional re-check answered 304, or the page was rejected
    capture: Capture
    rejection: Rejection | None = None  # a page extraction rejected, kept in rejected_pages


def decode_item(payload: bytes) -> HandedOff:
    data = json.loads(payload)
    raw = data["capture"]
    if "body_zstd" in raw:
        body = zstandard.ZstdDecompressor().decompress(base64.b64decode(raw["body_zstd"]))
    else:  # handed off by a worker of an earlier version, still waiting in Redis
        body = gzip.decompress(base64.b64decode(raw["body_gzip"]))
    capture = Capture(url=raw["url"], body=body, status=int(raw["status"]), headers=dict(raw["headers"]),
                      fetched_at=raw["fetched_at"], body_digest=raw.get("digest"))
    article = None
    if data.get("article"):
        fields = dict(data["article"])
        for name in ("authors", "tags", "categories"):
            fields[name] = tuple(fields.get(name) or ())
        article = Article(**fields)
    rejection = Rejection(**data["rejection"]) if data.get("rejection") else None
    if article is None and rejection is None and capture.status != 304:
        raise ValueError(f"{capture.url}: status {capture.status} with neither an article nor a rejection")
    return HandedOff(site=data["site"], section=data.get("section"), run=data.get("run"),
                     worker=data.get("worker"), article=article, capture=capture, rejection=rejection)


# --- the writer ---------------------------------------------------------------------------------

@dataclass
class WriterResult:
    stored: int = 0
    replayed: int = 0  # already in the archive: a retried hand-off or a re-fetched page
    bad: int = 0
    rejected: int = 0  # pages extraction rejected, kept in rejected_pages
    outcomes: dict[str, int] = field(default_factory=dict)


class ArchiveWriter:
    """The one process that writes the archive in distributed mode.

    Items move from ``<p>:items`` to ``<p>:items:writing`` (BLMOVE) before they are stored and
    leave it only after the archive transaction committed; a writer that dies in between finds the
    item there on restart and stores it then (a capture already stored is recognised, not doubled).
    Each seeding of each site becomes one ``crawl_runs`` row, closed when the frontier is drained.
    """

    def __init__(self, db_path: str, frontier: Frontier, log: Callable[[str], None] = lambda _: None) -> None:
        self.db = open_archive(db_path)
        self.frontier = frontier
        self.keys = frontier.keys
        self.log = log
        self.runs: dict[tuple[str | None, str], int] = {}
        self.counts: dict[int, dict[str, int]] = {}
        self.result = WriterResult()
        self.drained_epoch: int | None = None  # set when the frontier drained: runs close once counters are in
        closed = close_abandoned_runs(self.db)
        if closed:
            log(f"marked {closed} earlier run(s) whose process died as interrupted")

    def _run_id(self, run: str | None, site: str) -> int:
        key = (run, site)
        if key not in self.runs:  # a run starts when its site was seeded, as a local crawl's does
            self.runs[key] = start_run(self.db, site, started_at=self.frontier.last_seeded(site))
            self.counts[self.runs[key]] = {}
        return self.runs[key]

    def _count(self, run_id: int, column: str) -> None:
        counts = self.counts[run_id]
        counts[column] = counts.get(column, 0) + 1

    def store(self, payload: bytes) -> None:
        try:
            item = decode_item(payload)
        except (ValueError, KeyError, TypeError, OSError) as error:
            self.result.bad += 1
            self.log(f"skipped an unreadable item ({error.__class__.__name__}: {error})")
            self.frontier.redis.hincrby(self.keys.stats, "writer/bad_items", 1)
            return
        run_id = self._run_id(item.run, item.site)
        self._count(run_id, "pages")
        page = store_page(self.db, item.capture, site=item.site, section=item.section, article=item.article,
                          rejection=item.rejection, run_id=run_id, unless_stored=True)
        if page.replayed:
            self.result.replayed += 1
            return
        if item.rejection is not None:
            self.result.rejected += 1
            self._count(run_id, "skipped")  # as a local crawl counts it: kept, but no article
            return
        if item.article is None:
            if page.not_modified:
                self._count(run_id, "articles_not_modified")
            return
        stored = page.article
        self.result.stored += 1
        self.result.outcomes[stored.outcome.value] = self.result.outcomes.get(stored.outcome.value, 0) + 1
        column = {Outcome.NEW: "articles_new", Outcome.CHANGED: "articles_changed",
                  Outcome.UNCHANGED: "articles_unchanged"}[stored.outcome]
        self._count(run_id, column)

    def finish_runs(self, outcome: str, error: str | None = None, worker_stats: dict[str, int] | None = None) -> None:
        """Close every open run. ``worker_stats`` (the workers' per-site counters) give each site's
        pages, skips and errors, to its latest run; a site with counters but no article stored
        (a seeding that found nothing new, or could fetch nothing) gets a run of its own."""
        latest: dict[str, int] = {site: run_id for (_, site), run_id in self.runs.items()}
        counted = {key.split("/")[1] for key in worker_stats or {} if key.count("/") == 2 and key.startswith("news/")
                   and key.endswith(("/pages", "/errors", "/stopped_at_bot_wall"))}
        for site in sorted(counted):
            if site not in latest:
                latest[site] = self._run_id(None, site)
        for (_, site), run_id in self.runs.items():
            counts, run_outcome, run_error = dict(self.counts[run_id]), outcome, error
            if worker_stats is not None and latest.get(site) == run_id:
                workers = run_counts(worker_stats, site)
                for column in ("pages", "skipped", "errors"):
                    counts[column] = max(counts.get(column, 0), workers[column])
                if why := blocked_by(worker_stats, site):
                    run_outcome, run_error = "blocked", why
            finish_run(self.db, run_id, run_outcome, counts, error=run_error)
        self.runs.clear()

    def beat(self) -> None:
        info = {**process_place(), "stored": self.result.stored, "at": utc_now()}
        self.frontier.redis.set(self.keys.writer, json.dumps(info), px=int(self.frontier.heartbeat_ttl * 1000))

    def run(self, *, until_drained: bool = False, should_stop: Callable[[], bool] = lambda: False,
            poll: float = 1.0) -> WriterResult:
        """Store items until stopped (or, with ``until_drained``, until the whole crawl is done)."""
        redis_ = self.frontier.redis
        # An item a previous writer was storing when it died comes first.
        while (left := redis_.lrange(self.keys.items_writing, -1, -1)):
            self.store(left[0])
            redis_.rpop(self.keys.items_writing)
        last_check = 0.0
        quiet_checks = 0
        while not should_stop():
            payload = redis_.blmove(self.keys.items, self.keys.items_writing, poll, "RIGHT", "LEFT")
            if payload is not None:
                self.store(payload)
                redis_.lrem(self.keys.items_writing, 1, payload)
                quiet_checks = 0
                self.drained_epoch = None
            now = time.monotonic()
            if payload is None or now - last_check >= 5:
                last_check = now
                self.beat()
                recovered = self.frontier.recover_orphans()
                if recovered:
                    self.log(f"returned {recovered} request(s) of a vanished worker to the queue")
                if payload is None and self.frontier.drained():
                    if self.drained_epoch is None:
                        # The crawl is complete: close its runs once every worker's counters are in.
                        self.drained_epoch = self.frontier.next_drain_epoch()
                    elif self.frontier.counters_complete(self.drained_epoch):
                        self.finish_runs("finished", worker_stats=self.frontier.take_site_stats())
                        quiet_checks += 1
                    if until_drained and quiet_checks >= 2:
                        break
                else:
                    self.drained_epoch = None
        self.finish_runs("interrupted", error="the writer stopped before the crawl was drained")
        redis_.delete(self.keys.writer)
        return self.result

    def close(self) -> None:
        self.db.close()
