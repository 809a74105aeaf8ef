"""The HTTP download handler, with connections kept alive for as many requests as a site may run.

Scrapy's handler keeps ``CONCURRENT_REQUESTS_PER_DOMAIN`` idle connections per host. A site file
that allows more concurrent requests than that (``concurrent_requests``) would otherwise have the
surplus connections closed after every response and a new one opened for the next request:
slower for us, and a TCP handshake per page for the site.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler


def persistent_per_host(settings: Any) -> int:
    """The largest number of requests any download slot may run at once."""
    slots = settings.getdict("DOWNLOAD_SLOTS")
    return max([settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
                *(int(slot.get("concurrency", 0)) for slot in slots.values())])


class KeepAliveDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._pool.maxPersistentPerHost = persistent_per_host(crawler.settings)
