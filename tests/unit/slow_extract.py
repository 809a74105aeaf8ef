"""Stand-ins for extract() that worker processes import by name (see test_pipelines.py)."""

import os
import time


def hangs(html, url, rules, timezone, content_type=None):
    time.sleep(60)


def explodes(html, url, rules, timezone, content_type=None):
    raise RuntimeError("parser bug")


def dies(html, url, rules, timezone, content_type=None):
    os._exit(3)  # as a worker killed by a segfault in a parser or by the kernel's OOM killer
