"""The sample news site: deterministic content, real-shaped HTML, a loopback server."""

from .content import DemoArticle, DemoSite
from .server import DemoServer, DemoSiteApp

__all__ = ["DemoArticle", "DemoServer", "DemoSite", "DemoSiteApp"]
