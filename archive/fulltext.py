"""Full-text search that finds words of every script, Chinese, Japanese and Thai included.

``articles_fts`` (FTS5, porter over unicode61) cuts words at spaces and punctuation, so a Japanese
clause is one token there and 東京 inside it cannot be found. ``articles_bigrams`` is a second FTS5
index holding, for each article with any character of a script written without spaces, its title,
description and text rewritten: each run of such characters becomes its overlapping two-character
pieces and its last character (東京都では -> 東京 京都 都で では は); other words stay as they are, so
an article's row there finds everything ``articles_fts`` finds in it. A query's run becomes the
phrase of its pieces (大阪府 -> "大阪 阪府"): any string of two characters or more is found where it
occurs, and one character is a prefix query (each character of a run starts a piece or ends it).

An article without such characters has no row there and costs nothing. The search query (the
"search" query of archive/datasette/metadata.yml) takes the hits of ``articles_fts``, ranked there,
and adds those that only ``articles_bigrams`` finds, ranked there; its SQL functions are registered
by ``register_search_functions`` (on the CLI's connection, and on Datasette's by the plugin).
``store_article`` keeps the rows in step, in the article's transaction; triggers drop a row when
its article is deleted or its text edited by other means.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable
from functools import lru_cache

BIGRAM_TABLE = "articles_bigrams"
INDEXED_COLUMNS = ("title", "description", "text")

# Letters and marks of scripts written without spaces (after NFKC): Han with its iteration marks
# and compatibility ideographs, Hiragana, Katakana (not ・ or ゠), Thai (not ฿, ๏ or its digits).
UNSPACED_RUN = re.compile(
    "[\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3041-\u3096\u3099-\u309f\u30a1-\u30fa"
    "\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003ffff\u0e01-\u0e3a\u0e40-\u0e4e]+"
)
_UNSPACED_SPLIT = re.compile(f"({UNSPACED_RUN.pattern})")  # keeps the runs among the parts
_WORD_ENDING = re.compile(r"(?<=\w\w\w)(?:e?s|ed|ing)$", re.IGNORECASE)  # the commonest, for snippets only
_LATIN_LETTERS = "a-z\u00c0-\u024f"  # what a word around a match is made of (not the Japanese beside it)
_WORD_CHAR = re.compile(f"[0-9{_LATIN_LETTERS}]", re.IGNORECASE)
_REST_OF_WORD = re.compile(f"[0-9{_LATIN_LETTERS}]*\\s*", re.IGNORECASE)
SNIPPET_CHARS = 64  # about as much as the 16 tokens of articles_fts' snippets
SNIPPET_LEAD = 16  # characters shown before the first match
ELLIPSIS = " … "
MAX_QUERY_WORDS = 32  # more words find nothing more and make FTS5 (and snippets) slow: the rest are ignored


def normalise(text: str) -> str:
    """NFKC, so that half-width katakana and full-width letters are indexed and asked for alike."""
    return unicodedata.normalize("NFKC", text)


def has_unspaced_script(*values: str | None) -> bool:
    return any(value and UNSPACED_RUN.search(normalise(value)) for value in values)


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def index_text(text: str | None) -> str | None:
    """``text`` as ``articles_bigrams`` holds it: each run of unspaced script as its pieces."""
    if not text:
        return text
    return UNSPACED_RUN.sub(lambda run: " " + " ".join([*_bigrams(run.group()), run.group()[-1]]) + " ",
                            normalise(text))


def index_article(conn: sqlite3.Connection, article_id: int, title: str | None, description: str | None,
                  text: str | None) -> None:
    """Bring an article's ``articles_bigrams`` row in step with its columns, in the caller's
    transaction: written when they hold unspaced script, absent when they do not."""
    conn.execute(f"DELETE FROM {BIGRAM_TABLE} WHERE rowid = ?", (article_id,))
    if has_unspaced_script(title, description, text):
        conn.execute(f"INSERT INTO {BIGRAM_TABLE} (rowid, {', '.join(INDEXED_COLUMNS)}) VALUES (?, ?, ?, ?)",
                     (article_id, index_text(title), index_text(description), index_text(text)))


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def query_words(text: str) -> list[str]:
    """The words of a user's query that search uses: the first ``MAX_QUERY_WORDS``."""
    return text.split()[:MAX_QUERY_WORDS]


def words_query(text: str) -> str:
    """A user's words as a safe FTS5 query of ``articles_fts``: each word quoted, all required."""
    return " ".join(_quoted(word) for word in query_words(text)) or '""'  # '""' matches nothing; '' is an error


def _word_parts(word: str) -> list[str]:
    """A query word cut into its runs of unspaced script and the parts between them."""
    return [part for part in _UNSPACED_SPLIT.split(word) if part]


def bigram_query(text: str) -> str:
    """A user's words as a safe FTS5 query of ``articles_bigrams``, all required: a run of unspaced
    script as the phrase of its two-character pieces (one character: a prefix), any other part of
    a word quoted as it is."""
    parts = []
    for word in map(normalise, query_words(text)):
        for part in _word_parts(word):
            if not UNSPACED_RUN.fullmatch(part):
                parts.append(_quoted(part))
            elif len(part) == 1:
                parts.append(_quoted(part) + "*")
            else:
                parts.append(_quoted(" ".join(_bigrams(part))))
    return " ".join(parts) or '""'


def _marked(part: str) -> str:
    """The pattern marking one part of a query word in a snippet: a run of unspaced script wherever
    it occurs; another word as a whole word, give or take the endings the porter index ignores."""
    if UNSPACED_RUN.fullmatch(part):
        return re.escape(part)
    return rf"(?<![0-9{_LATIN_LETTERS}]){re.escape(_WORD_ENDING.sub('', part))}(?:e?s|ed|ing)?(?![0-9{_LATIN_LETTERS}])"


@lru_cache(maxsize=64)
def _snippet_pattern(query: str) -> re.Pattern[str] | None:
    parts = {part for word in map(normalise, query_words(query)) for part in _word_parts(word)}
    alternatives = [_marked(part) for part in sorted(parts, key=len, reverse=True)]
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def bigram_snippet(title: str | None, description: str | None, text: str | None, query: str | None,
                   mark_open: str = "[", mark_close: str = "]") -> str:
    """A few words of the column where ``query``'s words occur most, from just before the first,
    each occurrence between ``mark_open`` and ``mark_close``: what ``snippet()`` gives for an
    ``articles_fts`` hit, which it cannot give for ``articles_bigrams``, whose columns hold pieces, not words."""
    columns = [normalise(value) for value in (title, description, text) if value]
    if not columns:
        return ""
    pattern = _snippet_pattern(query or "")
    best = max(columns, key=lambda value: len(pattern.findall(value)) if pattern else 0)
    first = pattern.search(best) if pattern else None
    start, end = _window(best, first.start() if first else 0, first.end() if first else 0)
    window = (pattern.sub(lambda match: f"{mark_open}{match.group()}{mark_close}", best[start:end]) if pattern
              else best[start:end])
    return (ELLIPSIS if start else "") + window + (ELLIPSIS if end < len(best) else "")


def _window(text: str, first_start: int, first_end: int) -> tuple[int, int]:
    """About ``SNIPPET_CHARS`` characters of ``text`` around a match, not cutting a word written with spaces."""
    start = max(0, first_start - SNIPPET_LEAD)
    if start and _WORD_CHAR.match(text[start - 1]) and _WORD_CHAR.match(text[start]):
        start = min(_REST_OF_WORD.match(text, start).end(), first_start)
    end = min(len(text), max(start + SNIPPET_CHARS, first_end))
    if end < len(text) and _WORD_CHAR.match(text[end - 1]) and _WORD_CHAR.match(text[end]):
        space = text.rfind(" ", first_end, end)
        end = space if space > start else end
    return start, end


def _text_or_empty(function: Callable[[str], str]) -> Callable[[str | None], str]:
    return lambda text: function(text or "")


def register_search_functions(conn: sqlite3.Connection) -> None:
    """The search query's SQL functions on ``conn``: ``words_query(q)``, ``bigram_query(q)``,
    ``bigram_snippet(title, description, text, q[, mark_open, mark_close])``."""
    conn.create_function("words_query", 1, _text_or_empty(words_query), deterministic=True)
    conn.create_function("bigram_query", 1, _text_or_empty(bigram_query), deterministic=True)
    conn.create_function("bigram_snippet", 4, bigram_snippet, deterministic=True)
    conn.create_function("bigram_snippet", 6, bigram_snippet, deterministic=True)
