"""The CPU of what a benchmark starts: the command it runs and every process that command starts."""

from __future__ import annotations

import ctypes
import resource


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
