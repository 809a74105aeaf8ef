"""Issue 24 in a real Chromium, as a reader meets ``newsarchive serve``: an article page in the first
screen, its archived capture in a sandbox (no script of it runs, nothing leaves 127.0.0.1), what
changed in an edited story, and a search with a site and dates whose hit leads to the story."""

from __future__ import annotations

import dataclasses
import http.server
import threading

import pytest

from archive.db import open_archive
from archive.store import store_article
from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.extraction import Capture, extract
from crawler.sites import load_site_file
from tests.browser import Browser
from tests.conftest import demo_config_file
from tests.e2e.test_serve import ARTIFACTS, SEED_TITLE, chromium, served

LIVE_SITE = "live-site.invalid"
CORRECTION = "Correction: an earlier version misspelt a name."


class Beacon:
    """A loopback server that records every path asked of it: a capture's script would call it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hostile(body: bytes, beacon: str) -> bytes:
    """The page as archived, with what a live page carries: scripts, trackers, styles and frames from elsewhere."""
    extras = (f'<script>fetch("{beacon}/script-ran"); document.title = "SCRIPT RAN";'
              f' document.body.insertAdjacentHTML("beforeend", "<p id=script-ran>ran</p>")</script>'
              f'<img src="{beacon}/image-loaded"><img src="https://{LIVE_SITE}/pixel.gif">'
              f'<link rel="stylesheet" href="https://{LIVE_SITE}/style.css">'
              f'<iframe src="https://{LIVE_SITE}/embed"></iframe>'
              f'<base href="https://{LIVE_SITE}/"><img src="relative.png">'
              f'<link rel="preconnect" href="https://{LIVE_SITE}"><link rel="dns-prefetch" href="//{LIVE_SITE}">'
              f'<link rel="prefetch" href="https://{LIVE_SITE}/next.html"><a href="x" ping="{beacon}/ping">x</a>'
              f'<meta http-equiv="refresh" content="0; url=https://{LIVE_SITE}/moved">')
    return body.replace(b"</body>", extras.encode() + b"</body>", 1)


@pytest.fixture
def reading_archive(tmp_path):
    """An archive of the sample site's 40 stories, each with its capture, the seed's capture made
    hostile, and one story edited once; and the beacon its script would call."""
    beacon = Beacon()
    db = open_archive(tmp_path / "archive.db")
    config = load_site_file(demo_config_file())
    site = DemoSite(articles=40)
    app = DemoSiteApp(site)
    ids, edited = {}, None
    for story in site.stories:
        reply = app.respond(story.path, 2)
        url = "http://127.0.0.1" + story.path
        article = extract(reply.body, url, config.extraction, config.timezone, reply.content_type)
        body = hostile(reply.body, beacon.url) if article.title.startswith(SEED_TITLE) else reply.body
        stored = store_article(db, article, site="demo", section=story.section,
                               capture=Capture(url=url, body=body, headers={"Content-Type": reply.content_type}))
        ids[article.title] = stored.article_id
        edited = article
    store_article(db, dataclasses.replace(edited, text=edited.text + "\n" + CORRECTION), site="demo")
    db.close()
    yield tmp_path / "archive.db", ids, edited, beacon
    beacon.close()


def test_a_reader_reads_opens_the_capture_sees_a_change_and_searches(reading_archive, tmp_path):
    db_path, ids, edited, beacon = reading_archive
    seed_id = next(article_id for title, article_id in ids.items() if title.startswith(SEED_TITLE))
    binary = chromium()
    process, base = served(db_path)
    browser = Browser(binary, tmp_path / "profile", width=1280, height=800)
    try:
        # 1. The story, readable in the first screen
        browser.open(f"{base}/article/{seed_id}")
        first_screen = browser.run("""(() => {
            const seen = (element) => { const box = element.getBoundingClientRect();
                return box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth; };
            const first = document.querySelector(".article-body p");
            const headline = document.querySelector("h1.headline"), byline = document.querySelector(".byline");
            return {headline: headline.innerText, headlineSeen: seen(headline),
                    byline: byline.innerText, bylineSeen: seen(byline),
                    tags: [...document.querySelectorAll(".labels a.tag")].map(a => a.innerText),
                    tagsSeen: seen(document.querySelector(".labels")),
                    firstParagraph: first.innerText, firstTop: first.getBoundingClientRect().top,
                    firstLeft: first.getBoundingClientRect().left, firstRight: first.getBoundingClientRect().right};
        })()""")
        browser.screenshot(ARTIFACTS / "reading-article.png")
        assert first_screen["headline"].startswith(SEED_TITLE) and first_screen["headlineSeen"]
        assert first_screen["byline"].startswith("By ") and first_screen["bylineSeen"]
        assert {"International news", "North Korea", "Russia News"} <= set(first_screen["tags"])
        assert first_screen["tagsSeen"]
        assert first_screen["firstParagraph"].startswith("Pyongyang (North Korea).")
        assert first_screen["firstTop"] < 800 - 40  # at least its first line in the first screen
        assert first_screen["firstLeft"] >= 0 and first_screen["firstRight"] <= 1280

        # 2. Its capture, as archived, in a sandbox
        browser.click_and_wait("a[href^='/capture/']")
        documents = browser.frame_documents()
        archived = [document for document in documents if "Previous Post" in document or SEED_TITLE[:20] in document]
        assert len(documents) >= 2 and archived, "the capture's page is shown in its frame"
        assert all('id="script-ran"' not in document for document in documents)
        assert browser.run("document.title") != "SCRIPT RAN"
        browser.screenshot(ARTIFACTS / "reading-capture.png")

        # 3. What changed in the edited story
        browser.open(f"{base}/article/{ids[edited.title]}")
        browser.click_and_wait("a[href*='version=2']")
        change = browser.run("""(() => { const details = document.querySelector("details#changes-2");
            return {open: details.open, inserted: [...details.querySelectorAll("ins")].map(i => i.innerText)}; })()""")
        assert change == {"open": True, "inserted": [CORRECTION]}
        browser.run('document.querySelector("details#changes-2").scrollIntoView()')
        browser.screenshot(ARTIFACTS / "reading-diff.png")

        # 4. A search with a site and a date range, and its hit followed
        browser.open(f"{base}/search")
        browser.run("""(() => { const form = document.querySelector("form.search-form");
            form.q.value = "Putin"; form.site.value = "demo";
            form.from.value = "2024-06-19"; form.to.value = "2024-06-20";
        })()""")
        browser.click_and_wait("form.search-form button[type=submit]")
        results = browser.run("""(() => ({url: location.href, total: document.querySelector("#total").innerText,
            hits: [...document.querySelectorAll(".hits a.title")].map(a => a.getAttribute("href")),
            marks: [...document.querySelectorAll(".hits mark")].map(m => m.innerText)}))()""")
        browser.screenshot(ARTIFACTS / "reading-search.png")
        assert all(part in results["url"] for part in ("site=demo", "from=2024-06-19", "to=2024-06-20"))
        assert results["hits"] == [f"/article/{seed_id}"] and results["total"].startswith("1 article")
        assert "Putin" in results["marks"]
        browser.click_and_wait(".hits a.title")
        assert browser.run('document.querySelector("h1.headline").innerText').startswith(SEED_TITLE)
        assert browser.run("location.pathname") == f"/article/{seed_id}"
    finally:
        asked = browser.close()
        process.terminate()
        process.wait(timeout=30)
    # Nothing the capture points at was asked for, by any frame: not the live site, not the beacon.
    assert beacon.paths == []
    assert asked, "Chromium's net log lists the pages it fetched"
    assert [url for url in asked if LIVE_SITE in url or beacon.url in url] == []
    elsewhere = {url for url in browser.requests if not url.startswith((base + "/", "data:"))}
    assert elsewhere, "the capture asks for things elsewhere"
    assert {url: browser.blocked.get(url) for url in elsewhere} == dict.fromkeys(elsewhere, "csp")
