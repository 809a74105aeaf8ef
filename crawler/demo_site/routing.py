"""Where the demo's crawl reaches the sample site: its pages keep the address its site file gives
(``http://127.0.0.1:8765/``) whatever port the server really listens on, so that a second
``newsarchive demo`` on the same archive finds the articles it archived the first time.

A downloader middleware hands every request for the site's address to the server as an HTTP
proxy (Scrapy's own ``HttpProxyMiddleware`` sends it on): the server answers proxy requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

# Before Scrapy's HttpProxyMiddleware (750), which reads the proxy from the request's meta.
PRIORITY = 740
MIDDLEWARE = f"{__name__}.DemoRoute"


def route_settings(site_url: str, server_url: str) -> dict[str, Any]:
    """Scrapy settings that send requests for ``site_url`` to the server at ``server_url``."""
    return {"DOWNLOADER_MIDDLEWARES": {MIDDLEWARE: PRIORITY}, "ARCHIVE_DEMO_SITE_URL": site_url,
            "ARCHIVE_DEMO_SERVER_URL": server_url}


class DemoRoute:
    def __init__(self, site_url: str, server_url: str) -> None:
        self.site_origin, self.server = _origin(site_url), server_url.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler: Any) -> DemoRoute:
        site_url = crawler.settings.get("ARCHIVE_DEMO_SITE_URL")
        server_url = crawler.settings.get("ARCHIVE_DEMO_SERVER_URL")
        if not site_url or not server_url or _origin(site_url) == _origin(server_url):
            raise NotConfigured("the sample site is served at its own address")
        return cls(site_url, server_url)

    def process_request(self, request: Any, spider: Any = None) -> None:
        if _origin(request.url) == self.site_origin:
            request.meta["proxy"] = self.server


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()
