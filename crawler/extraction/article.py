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


# Characters that show nothing: soft hyphens, zero-width spaces, word joiners, byte-order marks
# (zero-width joiners and non-joiners shape scripts and emoji, and stay). Inside a word they
# split it for search.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
_SHOWN_FIELDS = ("title", "text", "description", "site_name", "declared_title")
# Longest stored metadata, in characters; lists: (most values, longest value).
FIELD_CHARACTERS = {"title": 1000, "declared_title": 1000, "description": 5000, "published_raw": 200,
                    "modified_raw": 200, "language": 35, "image": 2000, "site_name": 200}
LIST_LIMITS = {"authors": (50, 200), "tags": (100, 200), "categories": (100, 200)}


def _cut(value: str, limit: int) -> str:
    """``value`` within ``limit`` characters, cut at a word where one is near, marked with an ellipsis."""
    cut = value[:limit - 1]
    space = cut.rfind(" ", limit // 2)
    return (cut[:space] if space > 0 else cut).rstrip() + "\u2026"


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
    # The headline the page declares for search engines and sharing (schema.org headline, else
    # og:title), without the site's name, when it is not the one the page shows (``title``)
    declared_title: str | None = None

    def __post_init__(self) -> None:
        """The fields as a reader sees them: without invisible marks (``INVISIBLE``), and metadata
        cut to sane lengths: a hostile or broken page may put megabytes in a title or thousands of
        tags, which the archive would store and index (the text is bounded by the download's size
        limit)."""
        for name in _SHOWN_FIELDS:
            if isinstance(value := getattr(self, name), str):
                object.__setattr__(self, name, value.translate(INVISIBLE))
        for name in LIST_LIMITS:
            object.__setattr__(self, name, tuple(value.translate(INVISIBLE) for value in getattr(self, name)))
        for name, limit in FIELD_CHARACTERS.items():
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > limit:
                object.__setattr__(self, name, _cut(value, limit))
        for name, (count, limit) in LIST_LIMITS.items():
            values = getattr(self, name)
            if len(values) > count or any(len(value) > limit for value in values):
                object.__setattr__(self, name, tuple(_cut(value, limit) if len(value) > limit else value
                                                     for value in values[:count]))

    @cached_property  # as content_hash: counted where extraction runs
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
    body_digest: str | None = field(default=None, repr=False, compare=False)  # when already computed

    @property
    def digest(self) -> str:
        return self.body_digest or page_digest(self.body)


def page_digest(body: bytes) -> str:
    """A capture's digest, as the archive keeps it and WARC export writes it."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


class NotAnArticle(Exception):
    """The page is not an article (a listing, a tag or author page, an empty page...): ``reason`` is
    its short name, ``detail`` says more, ``score`` is the page-type score where one was computed."""

    def __init__(self, reason: str, detail: str = "", score: float | None = None) -> None:
        super().__init__(reason, detail, score)  # all in args, so the exception survives pickling
        self.reason, self.detail, self.score = reason, detail, score

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass(frozen=True)
class Rejection:
    """Why extraction did not take a fetched page for an article (``NotAnArticle``'s reason, detail
    and page-type score), as plain values that pickle and travel between processes."""

    reason: str
    detail: str = ""
    score: float | None = None

    @classmethod
    def of(cls, error: NotAnArticle) -> Rejection:
        return cls(error.reason, error.detail or "", error.score)

    def __str__(self) -> str:
        return str(NotAnArticle(self.reason, self.detail, self.score))
