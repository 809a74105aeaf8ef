"""A site's own furniture, learned from its archived articles (no Scrapy).

Lines that recur across many of a site's stored texts ("Support our journalism: become a member")
are recorded in ``boilerplate_lines`` once learned, and extraction drops them like a site file's
``drop_lines``: crawls and ``reextract`` both use them.
"""

from __future__ import annotations

import sqlite_utils

from archive.store import transaction, utc_now
from crawler.extraction.boilerplate import recurring_lines

LEARN_SAMPLE = 500  # the site's newest articles that are read

RECENT_TEXTS_SQL = """
select text from articles where site = :site
order by coalesce(last_fetched_at, first_seen_at) desc limit :limit
"""


def learned_lines(db: sqlite_utils.Database, site: str) -> tuple[str, ...]:
    """The lines learned so far for ``site``."""
    return tuple(row[0] for row in db.execute("select line from boilerplate_lines where site = ? order by line",
                                              [site]).fetchall())


def learn_boilerplate(db: sqlite_utils.Database, site: str, *, save: bool = True,
                      sample: int = LEARN_SAMPLE) -> tuple[str, ...]:
    """Learn ``site``'s recurring lines from its newest articles; every line learned so far.

    With ``save`` the new ones are recorded (in one transaction) for later crawls.
    """
    texts = [row[0] or "" for row in db.execute(RECENT_TEXTS_SQL, {"site": site, "limit": sample}).fetchall()]
    known = set(learned_lines(db, site))
    new = {line: count for line, count in recurring_lines(texts).items() if line not in known}
    if new and save:
        now = utc_now()
        with transaction(db) as conn:
            conn.executemany(
                "insert or replace into boilerplate_lines (site, line, articles, sample, learned_at)"
                " values (?, ?, ?, ?, ?)",
                [(site, line, count, len(texts), now) for line, count in new.items()])
    return tuple(sorted(known | set(new)))
