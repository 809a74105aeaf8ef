"""``newsarchive serve`` as a user meets it: in a real browser, and while a crawl writes."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from crawler.demo_site import DemoSite
from tests.browser import CHROMIUM_FLAGS
from tests.conftest import REPO
from tests.e2e.test_commands import run, tool
from tests.services import Unavailable, debian_binary, free_port

ARTIFACTS = REPO / "test-artifacts"
SEED_TITLE = "Now America will lose its sleep"


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def served(db: Path):
    port = free_port()
    process = subprocess.Popen([tool("newsarchive"), "serve", "--db", str(db), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/-/versions.json")
    except AssertionError:
        process.kill()
        raise
    return process, base


def chromium() -> str:
    """Debian's Chromium, installed here when it is missing (root and apt needed)."""
    try:
        return debian_binary("chromium", "chromium", "chromium-browser")
    except Unavailable as reason:
        pytest.skip(str(reason))


def browse(browser: str, profile: Path, url: str, *extra: str) -> str:
    result = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
                            capture_output=True, text=True, timeout=120)
    return result.stdout


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("serve") / "archive.db"
    assert run(tool("newsarchive"), "demo", "--db", str(db), "--articles", "40").returncode == 0
    return db


def test_browser_searches_opens_the_seed_and_sees_title_and_tags(demo_db, tmp_path):
    browser = chromium()
    process, base = served(demo_db)
    try:
        results = browse(browser, tmp_path / "profile", f"{base}/archive/articles?_search=Pyongyang", "--dump-dom")
        assert SEED_TITLE in results
        # Open the result the way a reader would: the link in the rendered row that shows its title.
        row = next(tr for tr in results.split("<tr")[1:] if SEED_TITLE in tr)
        row_url = base + re.search(r'href="(/archive/articles/\d+)"', row)[1]
        page = browse(browser, tmp_path / "profile", row_url, "--dump-dom")
        assert SEED_TITLE in page
        for tag in ("International news", "North Korea", "Russia News"):
            assert f'<span class="tag">{tag}</span>' in page
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "seed-article.png"
        browse(browser, tmp_path / "profile", row_url, f"--screenshot={screenshot}", "--window-size=1280,1400")
        assert screenshot.exists() and screenshot.stat().st_size > 10_000
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_pages_keep_answering_while_a_crawl_writes(tmp_path):
    db = tmp_path / "archive.db"
    assert run(tool("newsarchive"), "demo", "--db", str(db), "--articles", "20").returncode == 0
    process, base = served(db)
    try:
        crawl = subprocess.Popen([tool("newsarchive"), "demo", "--db", str(db), "--articles", "400"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        statuses, counts = [], []
        while crawl.poll() is None:
            for path in ("/archive/articles.json?_shape=array&_size=5", "/archive/search.json?q=options&_shape=array",
                         "/archive/crawl_health.json?_shape=array"):
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    statuses.append(response.status)
                    if "articles.json" in path:
                        counts.append(len(json.loads(response.read())))
            time.sleep(0.05)
        _, errors = crawl.communicate()
        assert crawl.returncode == 0, errors[-2000:]
        assert len(statuses) >= 9 and set(statuses) == {200}
        final = json.loads(urllib.request.urlopen(base + "/archive/articles.json?_shape=objects").read())
        # Both demos' sites at one address (issue 23, item 15): the stories the two editions share are stored once
        stories = {story.path for n in (20, 400) for story in DemoSite(articles=n).stories}
        assert final["filtered_table_rows_count"] == len(stories) > 400
    finally:
        process.terminate()
        process.wait(timeout=30)
