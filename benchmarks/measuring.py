"""What the throughput benchmarks measure the same way: the processes a command starts (their
CPU, reaping, peak RSS), pinning to one core, and the one-core ``extract()`` rate they compare with.

``crawl_throughput.py``, ``import_throughput.py``, ``bigwarc_memory.py`` and ``recrawl.py`` use it.
"""

from __future__ import annotations

import ctypes
import os
import resource
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


def extract_rate(pages: list[Page], rules: Any = None, timezone: str = "UTC") -> tuple[float, float]:
    """Pages per second through ``extract()`` alone, pinned to one core, and CPU seconds per page:
    the rate a crawl or an import is compared with. A page extraction rejects costs its time too."""
    from crawler.extraction import NotAnArticle, extract

    with pinned(0):
        started, cpu = time.perf_counter(), time.process_time()
        for body, url, content_type in pages:
            try:
                extract(body, url, rules, timezone, content_type)
            except NotAnArticle:
                continue
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(pages) / elapsed, cpu / len(pages)
