"""What the reading pages show, apart from Datasette: times as a reader wants them, what changed
between two versions of a story, an Atom feed of a list of articles. Pure functions (no Datasette,
no database), used by the plugin in archive/datasette/plugins/newsarchive_reading.py."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape as xml_escape

from markupsafe import Markup, escape

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class ShownTime:
    """A stored time for a reader: in UTC, and as the page printed it when that was another offset."""

    utc: str  # "20 June 2024, 03:45 UTC"
    iso: str  # for <time datetime="...">
    local: str | None  # "09:15 +05:30 on the page", or the raw string when it is not a time


def shown_time(stored: str | None, raw: str | None = None) -> ShownTime | None:
    """``stored`` (UTC ISO 8601) for reading, with ``raw`` (the page's own string) beside it when the
    page gave another offset, or gave something that is not an ISO time (kept as printed)."""
    if not stored:
        return None
    try:
        moment = datetime.fromisoformat(stored)
    except ValueError:
        return ShownTime(utc=stored, iso=stored, local=None)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    shown = ShownTime(utc=f"{utc.day} {utc:%B %Y, %H:%M} UTC", iso=utc.isoformat(), local=None)
    if not raw or raw == stored:
        return shown
    try:
        printed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return ShownTime(utc=shown.utc, iso=shown.iso, local=f"printed “{raw.strip()}”")
    if printed.tzinfo is None or printed.utcoffset() == utc.utcoffset():
        return shown
    offset = printed.strftime("%z")
    local = f"{printed.day} {printed:%B %Y, %H:%M} {offset[:3]}:{offset[3:]} on the page"
    return ShownTime(utc=shown.utc, iso=shown.iso, local=local)


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of a stored text (one per line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _word_diff(old: str, new: str) -> Markup:
    old_words, new_words = _WORDS.findall(old), _WORDS.findall(new)
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(escape("".join(old_words[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Markup("<del>{}</del>").format("".join(old_words[i1:i2])))
        if j2 > j1:
            pieces.append(Markup("<ins>{}</ins>").format("".join(new_words[j1:j2])))
    return Markup("").join(pieces)


@dataclass(frozen=True)
class ChangedParagraph:
    kind: str  # "same", "changed", "added", "removed"
    html: Markup


def version_diff(old_title: str, old_text: str | None, new_title: str, new_text: str | None,
                 *, context: int = 1) -> list[ChangedParagraph]:
    """What changed from one version of a story to the next, paragraph by paragraph (the headline
    first), words struck out and inserted within a changed paragraph; unchanged paragraphs are
    kept only within ``context`` of a change (the others become one "…")."""
    old, new = [old_title, *paragraphs(old_text)], [new_title, *paragraphs(new_text)]
    changes: list[ChangedParagraph] = []
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    for number, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            same = old[i1:i2]
            keep_head = context if number > 0 else 0
            keep_tail = context if number < len(opcodes) - 1 else 0
            if len(same) > keep_head + keep_tail:
                changes += [ChangedParagraph("same", escape(p)) for p in same[:keep_head]]
                changes.append(ChangedParagraph("same", Markup("…")))
                changes += [ChangedParagraph("same", escape(p)) for p in same[len(same) - keep_tail:]]
            else:
                changes += [ChangedParagraph("same", escape(p)) for p in same]
        elif op == "replace" and i2 - i1 == j2 - j1:
            changes += [ChangedParagraph("changed", _word_diff(a, b)) for a, b in zip(old[i1:i2], new[j1:j2])]
        else:
            changes += [ChangedParagraph("removed", Markup("<del>{}</del>").format(p)) for p in old[i1:i2]]
            changes += [ChangedParagraph("added", Markup("<ins>{}</ins>").format(p)) for p in new[j1:j2]]
    return changes


def marked_snippet(snippet: str | None, mark_open: str, mark_close: str) -> Markup:
    """A search snippet as HTML: escaped, the words found between the two markers in ``<mark>``."""
    html = str(escape(snippet or ""))
    return Markup(html.replace(str(escape(mark_open)), "<mark>").replace(str(escape(mark_close)), "</mark>"))


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    link: str
    original: str
    updated: str
    summary: str
    authors: Sequence[str] = ()
    categories: Sequence[str] = ()


def _atom_time(value: str | None) -> str:
    if not value:
        return datetime.now(UTC).isoformat(timespec="seconds")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return datetime.now(UTC).isoformat(timespec="seconds")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def atom_feed(*, feed_id: str, title: str, self_link: str, html_link: str, entries: Iterable[FeedEntry]) -> str:
    """An Atom 1.0 document (RFC 4287) of ``entries``, newest first as given."""
    entries = list(entries)
    updated = max((_atom_time(entry.updated) for entry in entries), default=_atom_time(None))
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
             f"  <id>{xml_escape(feed_id)}</id>", f"  <title>{xml_escape(title)}</title>",
             f"  <updated>{updated}</updated>",
             f'  <link rel="self" type="application/atom+xml" href="{xml_escape(self_link, {chr(34): "&quot;"})}"/>',
             f'  <link rel="alternate" type="text/html" href="{xml_escape(html_link, {chr(34): "&quot;"})}"/>',
             "  <author><name>newsarchive</name></author>", '  <generator>newsarchive</generator>']
    quote = {'"': "&quot;"}
    for entry in entries:
        lines += ["  <entry>", f"    <id>{xml_escape(entry.id)}</id>", f"    <title>{xml_escape(entry.title)}</title>",
                  f"    <updated>{_atom_time(entry.updated)}</updated>",
                  f'    <link rel="alternate" type="text/html" href="{xml_escape(entry.link, quote)}"/>',
                  f'    <link rel="related" type="text/html" href="{xml_escape(entry.original, quote)}"/>']
        lines += [f"    <author><name>{xml_escape(name)}</name></author>" for name in entry.authors]
        lines += [f'    <category term="{xml_escape(term, quote)}"/>' for term in entry.categories]
        lines += [f"    <summary>{xml_escape(entry.summary)}</summary>", "  </entry>"]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


# What a browser fetches, or connects to in advance, without the page's scripts and before any
# Content-Security-Policy can stop it (a frame's navigation, resource hints, a refresh): removed.
_FETCHING_ELEMENTS = ("script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "base", "link")


def sandboxed_html(body: bytes) -> bytes:
    """An archived page made safe to show (UTF-8): without scripts, frames, ``<base>``, resource
    hints (preconnect, dns-prefetch, preload...), stylesheets from elsewhere or a refresh; whatever
    else it points at is for the Content-Security-Policy it is served with to refuse."""
    import lxml.html
    from lxml import etree

    try:
        document = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return b"<!doctype html><meta charset=utf-8><p>This capture holds no HTML that can be shown.</p>"
    for element in document.iter(*_FETCHING_ELEMENTS):
        element.drop_tree()
    for meta in document.iter("meta"):
        if meta.get("charset") or meta.get("http-equiv", "").lower() in {"refresh", "content-type", "set-cookie"}:
            meta.drop_tree()
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        for name in list(element.attrib):
            if name.lower().startswith("on") or name.lower() == "ping":
                del element.attrib[name]
    head = document.find("head")
    if head is None:
        head = etree.Element("head")
        document.insert(0, head)
    head.insert(0, etree.Element("meta", charset="utf-8"))
    return lxml.html.tostring(document, encoding="utf-8", doctype="<!DOCTYPE html>")
