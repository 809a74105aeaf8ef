"""A read-only archive (issue 23, item 13): on a read-only mount the reading commands work, and
create nothing beside the archive (they failed creating ``archive.db.lock``).

The mount is a read-only bind mount in a private user and mount namespace (``unshare -rm``), so
the test needs neither root nor a real read-only disk; it skips where namespaces are not allowed.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import urllib.request

import pytest

from archive.db import open_archive
from archive.store import finish_run, start_run, store_article
from tests.e2e.test_commands import TIMEOUT, tool
from tests.e2e.test_serve import wait_for
from tests.services import free_port
from tests.unit.test_store import ARTICLE, CAPTURE

# Mount the archive's folder read-only over itself, then run the command given.
READ_ONLY = 'mount --bind -o ro "$0" "$0" && exec "$@"'


def read_only(folder, *command: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(["unshare", "-rm", "sh", "-c", READ_ONLY, str(folder), *command], text=True, **popen)


@pytest.fixture
def archive_dir(tmp_path):
    if not shutil.which("unshare"):
        pytest.skip("needs unshare (util-linux) for a read-only mount")
    check = read_only(tmp_path, "sh", "-c", f"! touch {tmp_path}/probe", stderr=subprocess.DEVNULL)
    if check.wait(timeout=30) != 0:
        pytest.skip("cannot make a read-only mount here (user namespaces not allowed)")
    db = open_archive(tmp_path / "archive.db")
    run_id = start_run(db, "demo")
    store_article(db, ARTICLE, site="demo", capture=CAPTURE, run_id=run_id)
    store_article(db, dataclasses.replace(ARTICLE, text=ARTICLE.text + "\nA correction."), site="demo",
                  capture=CAPTURE, run_id=run_id)
    finish_run(db, run_id, "finished", {"pages": 2, "articles_new": 1, "articles_changed": 1})
    db.close()
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "demo.toml").write_text('name = "demo"\nbase_url = "https://news.example/"\nsections = ["/news/"]\n')
    return tmp_path


@pytest.mark.parametrize(("command", "expected"), [
    (["stats"], "demo: 1 articles"),
    (["search", "Pyongyang"], "Leaders sign a pact in Pyongyang"),
    (["export", "--format", "jsonl"], ARTICLE.url),
    (["status", "--sites-dir", "{dir}/sites"], "finished"),
    (["history", ARTICLE.url, "--diff"], "+A correction."),
])
def test_reading_commands_work_on_a_read_only_mount(archive_dir, command, expected):
    before = sorted(p.name for p in archive_dir.iterdir())
    args = [part.format(dir=archive_dir) for part in command]
    process = read_only(archive_dir, tool("newsarchive"), *args, "--db", str(archive_dir / "archive.db"),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err[-2000:]
    assert expected in out, out
    assert sorted(p.name for p in archive_dir.iterdir()) == before  # nothing created beside it


def test_serve_works_on_a_read_only_mount(archive_dir):
    port = free_port()
    process = read_only(archive_dir, tool("newsarchive"), "serve", "--db", str(archive_dir / "archive.db"),
                        "--port", str(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/articles.json?_shape=array") as response:
            rows = json.load(response)
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert [row["url"] for row in rows] == [ARTICLE.url]
