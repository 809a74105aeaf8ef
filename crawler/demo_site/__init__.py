"""The sample news site: deterministic content, real-shaped HTML, a loopback server."""

from importlib import resources
from pathlib import Path

from .content import DemoArticle, DemoSite
from .server import DemoServer, DemoSiteApp

SITE_FILE_BASE_URL = 'base_url = "http://127.0.0.1:8765/"'


def write_site_file(directory: Path, base_url: str) -> Path:
    """``directory/demo.toml``: the sample site's file, pointing at a live server on ``base_url``
    (for a crawl in another process, which reads site files from a folder)."""
    text = resources.files(__name__).joinpath("demo.toml").read_text("utf-8")
    assert SITE_FILE_BASE_URL in text
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.toml"
    path.write_text(text.replace(SITE_FILE_BASE_URL, f'base_url = "{base_url}"'), "utf-8")
    return path


__all__ = ["DemoArticle", "DemoServer", "DemoSite", "DemoSiteApp", "write_site_file"]
