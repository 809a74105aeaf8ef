"""What the throughput benchmarks measure the same way: the processes a command starts (their
CPU, reaping, peak RSS), pinning to one core, and the one-core ``extract()`` rate they compare with.

``crawl_throughput.py``, ``import_throughput.py``, ``bigwarc_memory.py`` and ``recrawl.py`` use it.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Page = tuple[bytes, str, str | None]  # body, url, content type


def adopt_orphans() -> None:
    """Become the subreaper of this benchmark's descendants (Linux): a command's fork server and
    extraction workers, orphaned when the command exits, are reaped here and their CPU counted."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def children_cpu() -> float:
    """CPU seconds of the reaped descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def children_peak_rss_mb() -> float:
    """Peak RSS of the largest reaped descendant so far (MB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def children() -> set[int]:
    """This process's living children (and orphans it adopted), from every thread's list."""
    found: set[int] = set()
    for task in Path("/proc/self/task").glob("*"):
        try:
            found |= {int(pid) for pid in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (a command's fork server, its workers, ...)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                below = {int(child) for child in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += below - found
            found |= below
    return found


def reap(keep: Iterable[int] = (), deadline: float = 30.0) -> None:
    """Reap every child but ``keep`` (a server the benchmark still needs), waiting for a command's
    orphans (fork server, workers) to end, so that their CPU is counted."""
    keep = set(keep)
    until = time.monotonic() + deadline
    while time.monotonic() < until and (children() - keep):
        for pid in children() - keep:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.05)


def cpu_of(pid: int, thread: int | None = None) -> float | None:
    """CPU seconds of a live process (all its threads), or of one of its threads; None once it is gone."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb_of(pid: int) -> float | None:
    """A live process's peak RSS so far (VmHWM, MB); None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Watched:
    """What a command's processes used, read from /proc while they lived (every ``every`` seconds:
    what the command did after the last look, its exit, is in none of these)."""

    cpu: float = 0.0  # the command's process, all its threads
    main_thread_cpu: float = 0.0
    peak_rss_mb: float = 0.0  # the command's process alone
    descendants_cpu: dict[int, float] = field(default_factory=dict)  # fork server, workers, ...
    descendants_peak_rss_mb: float = 0.0  # the largest of them

    @property
    def below_cpu(self) -> float:
        return sum(self.descendants_cpu.values())


def watch(process: subprocess.Popen, every: float = 0.2) -> Watched:
    """Follow ``process`` and its descendants until it ends."""
    seen = Watched()
    while process.poll() is None:
        seen.cpu = cpu_of(process.pid) or seen.cpu
        seen.main_thread_cpu = cpu_of(process.pid, process.pid) or seen.main_thread_cpu
        seen.peak_rss_mb = max(seen.peak_rss_mb, rss_mb_of(process.pid) or 0.0)
        for pid in descendants(process.pid):
            seen.descendants_cpu[pid] = cpu_of(pid) or seen.descendants_cpu.get(pid, 0.0)
            seen.descendants_peak_rss_mb = max(seen.descendants_peak_rss_mb, rss_mb_of(pid) or 0.0)
        time.sleep(every)
    return seen


def pin(core: int) -> None:
    """Run this process on ``core`` only (where the machine has more than one)."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > core:
        os.sched_setaffinity(0, {core})


@contextmanager
def pinned(core: int = 0) -> Iterator[None]:
    everywhere = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    pin(core)
    try:
        yield
    finally:
        if everywhere is not None:
            os.sched_setaffinity(0, everywhere)


def _extract_all(pages: list[Page], rules: Any, timezone: str) -> None:
    from crawler.extraction import NotAnArticle, extract

    for body, url, content_type in pages:
        try:
            extract(body, url, rules, timezone, content_type)
        except NotAnArticle:
            continue


def extract_rate(pages: list[Page], rules: Any = None, timezone: str = "UTC") -> tuple[float, float]:
    """Pages per second through ``extract()`` alone, pinned to one core, and CPU seconds per page:
    the rate a crawl or an import is compared with. A page extraction rejects costs its time too."""
    with pinned(0):
        started, cpu = time.perf_counter(), time.process_time()
        _extract_all(pages, rules, timezone)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(pages) / elapsed, cpu / len(pages)


def _extract_share(pages: list[Page], core: int, start: Any, rules: Any, timezone: str) -> None:
    pin(core)
    start.wait()
    _extract_all(pages, rules, timezone)


def side_by_side_rate(pages: list[Page], cores: int, rules: Any = None, timezone: str = "UTC") -> float:
    """Pages per second through ``extract()`` alone in ``cores`` processes at once, each pinned to
    its core with its share of the pages, started together: what the cores give extraction when
    all of them work (shared caches, memory and, on a virtual machine, the host's own load make
    it less than ``cores`` times one core's rate), and so the most any arrangement of that many
    extraction processes can reach, with nothing to read, feed or store. Forked from this process,
    extraction already imported and warm (call ``extract_rate`` first)."""
    import multiprocessing

    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(cores))
    context = multiprocessing.get_context("fork")
    start = context.Barrier(cores + 1, timeout=120)  # a process that dies before it breaks the wait
    workers = [context.Process(target=_extract_share, args=(pages[n::cores], usable[n % len(usable)], start, rules,
                                                            timezone)) for n in range(cores)]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failed := [worker.exitcode for worker in workers if worker.exitcode != 0]:
        raise RuntimeError(f"extract() side by side: {len(failed)} process(es) failed (exit codes {failed})")
    return len(pages) / elapsed


def corpus_pages(corpus: Path, count: int) -> list[tuple[str, bytes, str]]:
    """``count`` pages of a corpus in the WCXB layout (URL, body, content type), each page again
    under its URL + ``/copy-N`` until there are ``count``."""
    from crawler.extraction.evaluation import corpus_pages as read_corpus

    bodies = [(entry["url"].split("?")[0].rstrip("/"), html) for entry, _, html in read_corpus(corpus)]
    return [(f"{url}/copy-{n // len(bodies)}", body, "text/html")
            for n, (url, body) in ((n, bodies[n % len(bodies)]) for n in range(count))]
