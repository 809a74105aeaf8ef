"""Stand-ins for extract() that worker processes import by name (see test_pipelines.py)."""

import time


def hangs(html, url, rules, timezone, content_type=None):
    time.sleep(60)


def explodes(html, url, rules, timezone, content_type=None):
    raise RuntimeError("parser bug")
