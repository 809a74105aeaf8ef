"""The few words extraction reads in a page's language, in one place, a small list per language.

Everything else extraction decides from signals that carry across languages (structure,
position, link density, schema.org, repetition). These lists only tell a byline's label, a
follow or share button and a photo credit from a name. Add a language by adding its words here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# "By Jane Roe": the word a byline starts with.
BYLINE_LABELS = {
    "en": ("by", "written by", "posted by", "words by", "author", "authors", "authored by"),
    "de": ("von", "autor", "autorin", "autoren"),
    "fr": ("par",), "es": ("por",), "pt": ("por",), "it": ("di", "a cura di"), "nl": ("door",),
    "sv": ("av",), "nb": ("av",), "da": ("af",), "pl": ("autor", "autorka"), "cs": ("autor",),
}
# "Jane Roe and John Doe": the word that joins two names in a byline. Single letters that join
# names in some languages are left out where they are part of names too ("Silva e Souza"), as are
# words that also mean "in" ("en").
CONJUNCTIONS = {
    "en": ("and", "&"), "de": ("und",), "fr": ("et",), "es": ("y",), "sv": ("och",),
    "nb": ("og",), "da": ("og",),
}
# Buttons beside a name: "Folgen", "Follow", "Share".
BUTTONS = {
    "en": ("follow", "share", "subscribe"), "de": ("folgen", "teilen", "abonnieren"),
    "fr": ("suivre", "partager"), "es": ("seguir", "compartir"), "pt": ("seguir", "partilhar", "compartilhar"),
    "it": ("segui", "condividi"), "nl": ("volgen", "delen"), "sv": ("följ", "dela"), "nb": ("følg", "del"),
    "da": ("følg", "del"), "pl": ("obserwuj", "udostępnij"),
}
# A photo's credit, not the story's: "Foto: Mads Rasmussen".
PHOTO_LABELS = {
    "en": ("photo", "photos", "image", "images", "picture", "illustration"), "de": ("foto", "fotos", "bild"),
    "fr": ("photo", "crédit"), "es": ("foto", "imagen"), "it": ("foto",), "nl": ("foto", "beeld"),
    "sv": ("foto", "bild"), "nb": ("foto",), "da": ("foto",), "pl": ("fot", "zdjęcie"),
}
# A job title written after the name ("홍길동 기자": Hong Gil-dong, reporter).
TITLES_AFTER_NAME = {"ko": ("기자", "특파원", "논설위원"), "ja": ("記者", "特派員", "編集委員"), "zh": ("記者", "记者")}
# Social networks whose names share a byline's box ("Twitter Facebook"): never an author.
NETWORKS = ("twitter", "facebook", "instagram", "linkedin", "whatsapp", "telegram", "youtube", "tiktok",
            "mastodon", "bluesky", "threads", "xing", "e-mail", "email", "rss")
# News agencies, credited beside (or instead of) a person: kept as credited.
AGENCIES = ("AP", "AFP", "Reuters", "dpa", "APA", "ANP", "EFE", "ANSA", "AAP", "PA", "SDA", "Keystone-SDA", "KNA",
            "epd", "Kyodo", "Xinhua", "Yonhap", "TASS", "Ritzau", "NTB", "TT", "Belga", "Lusa", "PAP", "CTK",
            "MTI", "Bloomberg", "dts", "AA", "IANS", "PTI", "UPI", "Europa Press", "Associated Press",
            "Agence France-Presse", "Deutsche Presse-Agentur")


def alternation(words: Iterable[str]) -> str:
    """``words`` as a regular expression's alternatives, longest first (so that "written by" is
    tried before "by")."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


def every(table: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """All the words of a table, in every language (casefolded)."""
    return frozenset(word.casefold() for words in table.values() for word in words)
