"""What extraction produces and the archive stores: one clean article and the fetch it came from."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property

from .text import word_count

_SPACE = re.compile(r"\s+")
# "Updated: 12 June 2024, 10:15" alone is not an edit of the story.
_UPDATED_LINE = re.compile(r"^\s*(last\s+)?(updated|modified|aktualisiert|mis à jour|actualizado)\b[^.!?]{0,80}$",
                           re.IGNORECASE)


def normalise_text(text: str) -> str:
    """Text for comparing two versions of a story: white space folded, "last updated" lines gone."""
    lines = (line for line in text.splitlines() if not _UPDATED_LINE.match(line))
    return _SPACE.sub(" ", " ".join(lines)).strip()


@dataclass(frozen=True)
class Article:
    url: str
    title: str
    text: str
    description: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # UTC ISO 8601
    published_raw: str | None = None
    modified_at: str | None = None
    modified_raw: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    image: str | None = None
    site_name: str | None = None
    uncertain: bool = False  # kept as an article near the page-type decision's boundary: re-decide later

    @property
    def word_count(self) -> int:
        return word_count(self.text)

    @cached_property  # computed once, where extraction runs, and pickled back with the article
    def content_hash(self) -> str:
        """Digest of the normalised title and text: equal for versions that differ only in spacing."""
        normalised = normalise_text(self.title) + "\n" + normalise_text(self.text)
        return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Capture:
    """One fetch of a page: enough to re-extract it later without the network."""

    url: str
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: str | None = None
    body_gzip: bytes | None = field(default=None, repr=False, compare=False)  # when already compressed

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.body).hexdigest()
