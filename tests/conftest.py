"""Shared fixtures: the sample news site (content, server, site config) and fresh archives."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from archive.db import open_archive
from crawler.demo_site import DemoServer, DemoSite, DemoSiteApp
from crawler.sites import SiteConfig, load_site_file

REPO = Path(__file__).resolve().parent.parent


def demo_config_file() -> Path:
    return Path(str(resources.files("crawler.demo_site").joinpath("demo.toml")))


@pytest.fixture(scope="session")
def demo_site() -> DemoSite:
    return DemoSite()


@pytest.fixture(scope="session")
def demo_app(demo_site: DemoSite) -> DemoSiteApp:
    return DemoSiteApp(demo_site)


@pytest.fixture(scope="session")
def demo_config() -> SiteConfig:
    return load_site_file(demo_config_file())


@pytest.fixture
def demo_server():
    with DemoServer(DemoSite()) as server:
        yield server


@pytest.fixture
def archive(tmp_path):
    db = open_archive(tmp_path / "archive.db")
    yield db
    db.close()


def old_archive(path: Path, version: int) -> Path:
    """An archive of schema ``version`` holding one article, as that version's newsarchive left it:
    for the tests of what the later migrations make of it."""
    import sqlite_utils

    from archive.db import migrate

    old = sqlite_utils.Database(path)
    migrate(old, to=version)
    old.execute("INSERT INTO articles (site, url, title, text, content_hash, first_seen_at) "
                "VALUES ('demo', 'https://news.example/a', 'A', 'Text', 'h', '2024-01-01')")
    old.conn.commit()
    old.close()
    return path


def page_html(app: DemoSiteApp, path: str) -> bytes:
    status, _, body = app.render(path)
    assert status == 200, path
    return body.encode("utf-8")


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on 127.0.0.1 for the session (installed with apt when missing)."""
    from tests.services import RedisServer, Unavailable

    try:
        server = RedisServer().start()
    except Unavailable as reason:
        pytest.skip(f"distributed mode needs Redis: {reason}")
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url
