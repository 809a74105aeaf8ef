"""Items that travel from the spider to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from .extraction import Article, Capture, Rejection


@dataclass
class ArticlePage:
    """A fetched page that looks like an article; the pipelines extract and archive it."""

    url: str  # the URL that answered (after redirects)
    site: str
    body: bytes = field(repr=False)  # never in logs
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: str | None = None
    section: str | None = None
    article: Article | None = field(default=None, repr=False)  # set by ExtractionPipeline
    rejection: Rejection | None = None  # set by ExtractionPipeline when the page is no article
    digest: str | None = None  # the body's digest, by ExtractionPipeline
    # Distributed mode only: the frontier entry released once the page is handed on, and its seeding.
    frontier_token: str | None = None
    frontier_run: str | None = None

    def capture(self) -> Capture:
        """This fetch, as the archive keeps it."""
        return Capture(url=self.url, body=self.body, status=self.status, headers=self.headers,
                       fetched_at=self.fetched_at, body_digest=self.digest)

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), None)
