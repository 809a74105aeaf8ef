"""Stand-ins for extract() that worker processes import by name (see test_pipelines.py)."""

import os
import time


def hangs(html, url, rules, timezone, content_type=None):
    time.sleep(60)


def explodes(html, url, rules, timezone, content_type=None):
    raise RuntimeError("parser bug")


def dies(html, url, rules, timezone, content_type=None):
    os._exit(3)  # as a worker killed by a segfault in a parser or by the kernel's OOM killer


def dies_on_the_second_story(html, url, rules, timezone, content_type=None):
    """A worker that dies on one page and extracts the others."""
    from crawler.workers import extract_for_archive

    if url.endswith("/story-2.html"):
        os._exit(3)
    return extract_for_archive(html, url, rules, timezone, content_type)


def loops_on_the_second_story(html, url, rules, timezone, content_type=None):
    """An extractor caught in a loop on one page (as trafilatura on a trap page), fine on the others."""
    from crawler.workers import extract_for_archive

    while url.endswith("/story-2.html"):
        pass
    return extract_for_archive(html, url, rules, timezone, content_type)
