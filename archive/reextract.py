"""Re-extraction: rebuild every article from its stored capture, with no network.

After upgrading trafilatura or changing a site's rules, the archive catches up from the HTML it
already holds; a changed result becomes a new version like any edit would.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlite_utils

from archive.store import decompress, store_article
from crawler.extraction import NotAnArticle, extract
from crawler.sites import ExtractionRules

RulesForSite = Callable[[str], tuple[ExtractionRules, str | None]]

CAPTURES_SQL = """
select a.id, a.site, a.section, a.url, c.url, c.body_gzip, c.headers
from articles a join captures c on c.id = a.last_capture_id
where (:site is null or a.site = :site)
order by a.id
"""


@dataclass
class ReextractReport:
    articles: int = 0
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    without_capture: int = 0


def reextract(db: sqlite_utils.Database, rules_for_site: RulesForSite, *, site: str | None = None,
              dry_run: bool = False) -> ReextractReport:
    """Extract every article (of ``site``) again from its latest capture and store what changed."""
    report = ReextractReport()
    total = db.execute("select count(*) from articles where (:site is null or site = :site)", {"site": site})
    rows = db.execute(CAPTURES_SQL, {"site": site}).fetchall()
    report.without_capture = total.fetchone()[0] - len(rows)
    for article_id, site_name, section, url, capture_url, body, headers in rows:
        report.articles += 1
        rules, timezone = rules_for_site(site_name)
        content_type = json.loads(headers or "{}").get("content-type")
        try:
            article = extract(decompress(body), capture_url, rules, timezone, content_type)
        except NotAnArticle as reason:
            report.failed.append((url, f"no longer an article: {reason}"))
            continue
        except Exception as error:  # a page that breaks the new extractor is reported, not fatal
            report.failed.append((url, f"extraction failed: {error}"))
            continue
        article = dataclasses.replace(article, url=url)  # the row keeps its identity
        current, last_fetched = db.execute("select content_hash, last_fetched_at from articles where id = ?",
                                           [article_id]).fetchone()
        if current == article.content_hash:
            report.unchanged += 1
        else:
            report.changed.append(url)
        if not dry_run:
            # Metadata may improve even when the text does not; the fetch times stay as they were.
            store_article(db, article, site=site_name, section=section, fetched_at=last_fetched)
    return report
