"""Words in any script: how long a text is and what its tokens are.

Japanese, Chinese and Thai are written without spaces between words, so counting what white space
separates makes 2,000 characters of Japanese "one word". Here each character of such a script is
one unit, as Chinese and Japanese publishers count a text's length (字数); every other script counts
its words. One definition serves ``Article.word_count``, the too-short check, the page-type features
and the evaluation's word F1.
"""

from __future__ import annotations

import re

# Scripts written without spaces between words: kana, CJK ideographs (and their extensions),
# half-width kana, Thai, Lao, Myanmar, Khmer.
_UNSPACED = ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
             "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\U00020000-\U0003134f")
UNSPACED_CHARACTER = re.compile(f"[{_UNSPACED}]")
UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
_WORDISH = re.compile(r"\w")
TOKEN = re.compile(f"[{_UNSPACED}]|[^\\W{_UNSPACED}]+")  # one unspaced character, or a word of any other script


def tokens(text: str | None) -> list[str]:
    """The text's words, lowercased; each character of a script without spaces is one token."""
    return TOKEN.findall((text or "").lower())


def word_count(text: str | None) -> int:
    """How long a text is, in words (a character for each character of a script without spaces)."""
    if not text:
        return 0
    if text.isascii() or not UNSPACED_CHARACTER.search(text):
        return len(text.split())  # the common case, and the cheap one
    # one for each unspaced character, and the words between the runs ("NHKによると": 5); the
    # punctuation between runs (、。「」) is no word
    unspaced = sum(len(run) for run in UNSPACED_RUN.findall(text))
    return sum(1 for chunk in UNSPACED_RUN.sub(" ", text).split() if _WORDISH.search(chunk)) + unspaced


LANGUAGE_PROBE = 3000  # characters of the text a language is told from
LANGUAGE_MIN_WORDS = 15  # fewer words say too little


def detect_language(text: str | None) -> str | None:
    """The language of a text (ISO 639-1, by py3langid), for pages that do not declare theirs;
    None when the text is too short to tell. py3langid loads its model on first use (~2 s, once
    per process), so only pages without a declared language pay for it."""
    if word_count(text) < LANGUAGE_MIN_WORDS:
        return None
    from py3langid import classify

    return classify(text[:LANGUAGE_PROBE])[0]
