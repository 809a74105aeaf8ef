"""Scrapy settings for newsarchive: polite by default; every archive knob carries ``ARCHIVE_``.

A site file can tune its own delay and concurrency (``download_delay``, ``concurrent_requests``).
"""

import os

from crawler import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"  # crawl and parse, with a site file's error in one line


def contact_user_agent(contact: str | None) -> str:
    """The User-Agent that names the archive's operator: ``newsarchive/0.1.0 (+you@example.org)``."""
    return f"newsarchive/{__version__}" + (f" (+{contact})" if contact else "")


# Who we are and how to reach the operator: sites block anonymous bots, and rightly so. The spider
# builds USER_AGENT from ARCHIVE_CONTACT (-s ARCHIVE_CONTACT=... or this variable) unless USER_AGENT
# itself is set, and warns when there is no contact.
ARCHIVE_CONTACT = os.environ.get("NEWSARCHIVE_CONTACT", "")
USER_AGENT = contact_user_agent(ARCHIVE_CONTACT)

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Politeness: one or two requests at a time per site, adapting to the server's latency.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # an article page over 10 MiB is a trap, not a story
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5

DOWNLOADER_MIDDLEWARES = {
    # Each site's scope is its scheme, host and port (and its domains): Scrapy's knows host names only.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.SiteScopeMiddleware": 50,
    # Scrapy's redirects, with a redirect back to a URL already visited counted as a loop.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.RedirectMiddleware": 600,
    # Scrapy's own lets requests that wait for robots.txt through unchecked (see the class).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
    # Every article request passes here, the ones a redirect makes included.
    "crawler.middlewares.RecheckMiddleware": 650,
    # Slows down for 429, 503 and bot walls, and stops at a wall that stays: it reads responses once
    # they are decompressed (590) and before a 429 or 503 is retried (550).
    "crawler.middlewares.BackOffMiddleware": 560,
}
# What one response may make us do: links read from one listing page, feed or sitemap (the rest are
# counted as news/<site>/cut/links), and the bytes of robots.txt read (Google reads 500 KiB; the rest
# is cut, news/<site>/cut/robots_txt).
ARCHIVE_MAX_LINKS_PER_PAGE = 5000
# A re-crawl stops walking a section's listing pages after one that offers no story new to the
# archive, and this many more such pages (a site that pins old stories to the top of its pages).
ARCHIVE_LISTING_SAFETY_DEPTH = 1
ARCHIVE_ROBOTSTXT_MAX_BYTES = 500 * 1024

# A site that answers this many bot challenges in a row is left alone for the rest of the crawl (0: never).
ARCHIVE_BOT_WALL_LIMIT = 5

# Idle connections kept per host follow the most concurrent site, not CONCURRENT_REQUESTS_PER_DOMAIN.
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.KeepAliveDownloadHandler",
    "https": "crawler.handlers.KeepAliveDownloadHandler",
}

EXTENSIONS = {"crawler.extensions.ProgressLine": 500}
ARCHIVE_PROGRESS = False  # the CLI turns the progress line on for terminals

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractionPipeline": 300,
    "crawler.pipelines.ArchivePipeline": 800,
}



def default_workers() -> int:
    """Extraction workers when none are asked for (a crawl's ``ARCHIVE_EXTRACT_WORKERS``, an
    import's ``--jobs``): one per core this process may use, since the process that fetches or
    reads and writes needs little of a core once each page's work is done in the workers; 0
    (extraction inline) on one core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


# Extraction is the CPU-heavy step: with spare cores it runs in worker processes, each page under a
# time limit, while the reactor keeps downloading. 0 runs it inline (and without a time limit).
ARCHIVE_EXTRACT_WORKERS = default_workers()
ARCHIVE_EXTRACT_TIMEOUT = 30.0
CONCURRENT_ITEMS = 8  # items per response in parallel: more only adds scheduling overhead here
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Known articles are re-checked on a back-off by age (see crawler/recheck.py), with conditional
# requests; "always" re-checks all of them, "never" none.
ARCHIVE_RECHECK = "1h=15m,1d=1h,7d=6h,30d=1d,*=7d"

# Lines that recur across many of a site's archived articles are learned as its furniture and
# dropped from new extractions (see archive/boilerplate.py).
ARCHIVE_LEARN_BOILERPLATE = True

ARCHIVE_DB = os.environ.get("NEWSARCHIVE_DB", "archive.db")
ARCHIVE_SITES_DIR = os.environ.get("NEWSARCHIVE_SITES_DIR", "settings/sites")

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"


def listing_safety_depth(value: object) -> int:
    """``ARCHIVE_LISTING_SAFETY_DEPTH`` as a number of pages; a ``ValueError`` that names it if it is not one."""
    try:
        depth = int(str(value).strip())
    except ValueError:
        depth = -1
    if depth < 0:
        raise ValueError(f"ARCHIVE_LISTING_SAFETY_DEPTH must be a whole number of pages, 0 or more, not {value!r}")
    return depth
