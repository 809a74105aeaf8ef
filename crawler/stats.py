"""Crawl statistics: what happened to a site's pages, counted for the site and for the whole crawl.

Keys are ``<area>/<site>/<what>`` and ``<area>/<what>``: ``news`` for fetching (spider and
downloader middlewares), ``archive`` for extracting and storing (pipelines). A site's
``crawl_runs`` counts are read back from its keys (``archive.store.run_counts``).
"""

from __future__ import annotations

from typing import Any, TextIO

# The runs a crawl opened, {site: crawl_runs id}: what its summary reports, whatever runs came after.
RUNS = "archive/runs"


def count_for_site(stats: Any, area: str, site: str, what: str, by: int = 1) -> None:
    stats.inc_value(f"{area}/{site}/{what}", by)
    stats.inc_value(f"{area}/{what}", by)


def draw_line(stream: TextIO, line: str) -> None:
    """Draw ``line`` over the terminal's current line (an empty one clears it)."""
    stream.write("\r\x1b[K" + line)
    stream.flush()
