"""Scrapy's ``crawl`` and ``parse`` commands, with a spider that cannot start said in one line.

A site file that does not load, a site that does not exist or a spider argument that makes no
sense raises while Scrapy builds the spider; Scrapy then exits 1 and asyncio prints the
exception's traceback. Here the exception is taken from the crawl's task and said as
``Error: <file>: <key>: <problem>``; any other exception keeps its traceback.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from crawler.sites import SiteConfigError
from crawler.spiders.news import SpiderArgumentError

logger = logging.getLogger(__name__)
ONE_LINE = (SiteConfigError, SpiderArgumentError)


def say_in_one_line(task: asyncio.Task) -> None:
    """A done crawl task's ``ONE_LINE`` exception, printed as one line (and so retrieved)."""
    if task.cancelled():
        return
    error = task.exception()  # retrieved: asyncio no longer prints it with its traceback
    if isinstance(error, ONE_LINE):
        print(f"Error: {error}", file=sys.stderr)
    elif error is not None:
        logger.error("the crawl could not start", exc_info=error)


class OneLineErrors:
    """Mixed into a Scrapy command that starts a crawl with ``self.crawler_process.crawl``."""

    crawler_process: Any

    def run(self, args: list[str], opts: Any) -> None:
        process = self.crawler_process
        crawl = process.crawl

        def crawl_saying_errors(*crawl_args: Any, **kwargs: Any) -> Any:
            started = crawl(*crawl_args, **kwargs)
            if isinstance(started, asyncio.Task):
                started.add_done_callback(say_in_one_line)
            return started

        process.crawl = crawl_saying_errors
        try:
            super().run(args, opts)
        finally:
            del process.crawl
