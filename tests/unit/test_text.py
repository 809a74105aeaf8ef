"""Lengths and tokens in any script (issue 28: Japanese and Chinese stories were "1 word")."""

from __future__ import annotations

import pytest

from crawler.extraction import Article
from crawler.extraction.text import tokens, word_count

JAPANESE = "東京都議会は五日、新しい条例を可決した。"  # 18 characters and 2 marks, no spaces


@pytest.mark.parametrize(("text", "count"), [
    ("The council approved the budget.", 5),  # spaced scripts: what white space separates
    ("web.dev is a site", 4),
    (JAPANESE, 18),  # one unit a character, as Japanese and Chinese publishers count (marks aside)
    ("NHKによると", 5),  # a Latin word inside a Japanese clause counts once
    ("「東京」は、晴れ。", 5),  # the punctuation between runs is no word
    ("서울시는 5일 새 조례를 통과시켰다.", 5),  # Korean is written with spaces
    ("", 0), (None, 0),
])
def test_word_count(text, count):
    assert word_count(text) == count


def test_a_long_japanese_story_is_long():
    article = Article(url="https://x.example/a", title="条例", text=JAPANESE * 115)
    assert article.word_count == 2070  # 2,300 characters: was 1 word, and rejected as too short


def test_tokens_split_unspaced_scripts_into_characters_for_the_word_f1():
    assert tokens("NHKによると 東京") == ["nhk", "に", "よ", "る", "と", "東", "京"]
    assert tokens("The Council, approved!") == ["the", "council", "approved"]
