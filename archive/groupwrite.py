"""One thread that owns the archive's connection and commits what is waiting together.

Each write (``store_article``, ``store_rejected``, ...) still is one unit, whole or not at all: it
runs in its own savepoint (``archive.store.transaction`` inside a transaction), so one that fails
leaves nothing of itself and reports its error alone. The writes waiting when the thread gets to
them share one transaction and one commit (group commit): a writer that keeps up commits each
write alone, one that falls behind commits many at once. A write's future is answered only once
its transaction is committed, so nothing is counted stored that a crash could still take back.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import Any

import sqlite_utils

from archive.store import transaction

logger = logging.getLogger(__name__)

MAX_GROUP = 64  # writes per commit at most: bounds what one commit holds, and its latency


class GroupWriter:
    """Runs ``function(db, *args)`` calls in its own thread, on the connection ``open_db`` returns
    there. ``write`` groups calls into shared commits; ``call`` runs one alone, outside any
    transaction (opening runs, closing them)."""

    def __init__(self, open_db: Callable[[], sqlite_utils.Database], max_group: int = MAX_GROUP,
                 name: str = "archive-writer") -> None:
        self.max_group = max_group
        self.db: sqlite_utils.Database | None = None
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.commits = 0  # transactions committed by ``write`` groups (for tests and benchmarks)
        self.in_flight: list[tuple] = []  # the jobs the thread has taken and not all answered
        self.failed: BaseException | None = None  # why the thread stopped, if it did
        self.thread = threading.Thread(target=self._run, args=(open_db,), name=name, daemon=True)
        self.thread.start()

    def write(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """``function(db, *args, **kwargs)`` in a savepoint of the next group commit."""
        return self._put(True, function, args, kwargs)

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """``function(db, *args, **kwargs)`` alone, after every write given before it."""
        return self._put(False, function, args, kwargs)

    def close(self) -> None:
        """Finish what was given, close the connection and end the thread."""
        self.jobs.put(None)
        self.thread.join()

    def _put(self, grouped: bool, function: Callable[..., Any], args: tuple, kwargs: dict) -> Future:
        future: Future = Future()
        self.jobs.put((future, grouped, function, args, kwargs))
        if self.failed is not None:  # (set before the thread answers what waits: nothing is missed)
            self._answer_all(self.failed)
        return future

    def _run(self, open_db: Callable[[], sqlite_utils.Database]) -> None:
        try:
            self.db = open_db()
        except BaseException as error:  # every job is answered with why there is no archive
            while (job := self.jobs.get()) is not None:
                job[0].set_exception(error)
            return
        try:
            ahead: list[tuple | None] = []  # a call or close() met while gathering a group: next, after its commit
            while (job := ahead.pop() if ahead else self.jobs.get()) is not None:  # None: close()
                group = self.in_flight = [job]
                if not job[1]:
                    self._alone(job)
                    continue
                while len(group) < self.max_group:  # the writes waiting behind it join its commit
                    try:
                        following = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                    if following is None or not following[1]:
                        ahead.append(following)
                        break
                    group.append(following)
                self._commit(group)
        except BaseException as error:  # the thread's own failure: no job given to it may wait forever
            logger.exception("the archive's writer thread stopped")
            self.failed = error
            self._answer_all(error)
        finally:
            self.db.close()
            self.db = None

    def _answer_all(self, error: BaseException) -> None:
        """Fail every job not answered: those taken for a group, and those still waiting."""
        waiting = list(self.in_flight)
        while True:
            try:
                waiting.append(self.jobs.get_nowait())
            except queue.Empty:
                break
        for job in waiting:
            if job is not None:
                with contextlib.suppress(InvalidStateError):  # answered meanwhile by the other thread
                    job[0].set_exception(error)

    def _alone(self, job: tuple) -> None:
        future, _, function, args, kwargs = job
        try:
            future.set_result(function(self.db, *args, **kwargs))
        except BaseException as error:
            future.set_exception(error)

    def _commit(self, group: list[tuple]) -> None:
        results: list[tuple[Future, bool, Any]] = []
        try:
            with transaction(self.db):
                for future, _, function, args, kwargs in group:
                    try:
                        with transaction(self.db):  # a savepoint: this write whole or not at all
                            results.append((future, True, function(self.db, *args, **kwargs)))
                    except Exception as error:
                        results.append((future, False, error))
        except BaseException as error:  # the commit failed: none of the group is stored
            for future, *_ in group:
                future.set_exception(error)
            return
        self.commits += 1
        for future, ok, value in results:
            future.set_result(value) if ok else future.set_exception(value)
