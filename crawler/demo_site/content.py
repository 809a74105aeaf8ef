"""Deterministic content of the sample news site.

Everything here is a pure function of ``(seed, article count)``: the same call gives the same
stories, byte for byte, so tests and benchmarks can assert exact results.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from importlib import resources

SITE_TIMEZONE = timezone(timedelta(hours=5, minutes=30))  # Asia/Kolkata has no DST
TEMPLATES = ("blogger", "wordpress", "newsroom")
SECTIONS = ("world", "politics", "business", "technology")
GERMAN_SECTION = "welt"  # served in ISO-8859-1, declared only in <meta>
ALL_SECTIONS = (*SECTIONS, GERMAN_SECTION)

PLACES = ["Pyongyang", "Seoul", "Tokyo", "Delhi", "Berlin", "Nairobi", "Lima", "Oslo", "Cairo",
          "Jakarta", "Lagos", "Madrid", "Ottawa", "Hanoi", "Quito", "Dhaka", "Accra", "Riga"]
SUBJECTS = ["The finance ministry", "Local farmers", "The central bank", "Opposition leaders",
            "A group of engineers", "City officials", "The port authority", "Union members",
            "Independent auditors", "The health department", "Regional airlines",
            "University researchers", "The election commission", "Small retailers",
            "The coast guard", "Energy regulators", "Hospital staff", "The transport minister"]
VERBS = ["announced", "rejected", "questioned", "welcomed", "delayed", "approved", "criticised",
         "reviewed", "defended", "expanded", "postponed", "examined", "proposed", "challenged"]
OBJECTS = ["a new budget for rural roads", "the proposed water tariff", "plans for a second runway",
           "the draft data protection law", "a programme of school repairs",
           "the latest inflation figures", "a deal with foreign lenders", "the flood defence scheme",
           "new rules for ride-hailing firms", "the pension reform bill", "a solar power tender",
           "the fishing quota agreement", "changes to the tax code", "the vaccine rollout plan",
           "a merger of two state banks", "the metro extension", "limits on export credit"]
CLAUSES = ["after weeks of talks", "despite strong objections", "ahead of the monsoon season",
           "on Tuesday evening", "following a court ruling", "amid rising costs",
           "before the end of the fiscal year", "in a statement to reporters",
           "during a televised address", "after a review by independent experts",
           "as protests continued outside", "with support from several provinces"]
QUOTES = ["We have listened carefully and we will act", "This decision affects every household",
          "The numbers simply do not add up", "Nobody expected the talks to move so quickly",
          "We will publish every document", "It is too early to say what comes next"]
TITLE_NOUNS = ["budget", "tariff", "runway", "reform", "tender", "treaty", "strike", "inquiry",
               "merger", "election", "harvest", "outage", "summit", "recall", "verdict"]
TITLE_VERBS = ["stalls", "sparks debate", "wins backing", "faces review", "draws protest",
               "moves ahead", "is delayed", "splits council", "surprises markets", "gets green light"]
FIRST = ["Asha", "Daniel", "Mei", "Tomas", "Priya", "Kwame", "Elena", "Ravi", "Sofia", "Jonas",
         "Amara", "Lucas", "Nadia", "Omar"]
LAST = ["Menon", "Okafor", "Lindqvist", "Tanaka", "Haddad", "Petrov", "Silva", "Novak", "Kapoor",
        "Mensah", "Duarte", "Brandt"]
TAGS = ["Economy", "Elections", "Climate", "Transport", "Health", "Energy", "Trade", "Courts",
        "Education", "Agriculture", "Housing", "Labour"]


DE_PLACES = ["München", "Köln", "Düsseldorf", "Nürnberg", "Lübeck", "Görlitz", "Saarbrücken", "Würzburg"]
DE_SUBJECTS = ["Die Landesregierung", "Der Stadtrat", "Die Bürgerinitiative", "Der Gemeinderat",
               "Die Verkehrsbetriebe", "Die Industrie- und Handelskammer", "Der Bürgermeister"]
DE_VERBS = ["prüft", "verschiebt", "begrüßt", "kritisiert", "genehmigt", "überarbeitet", "blockiert"]
DE_OBJECTS = ["den Ausbau der Straßenbahn", "die Erhöhung der Müllgebühren", "das neue Schulgesetz",
              "die Förderung für Wärmepumpen", "den Neubau der Brücke", "die Sanierung des Freibads",
              "die Öffnungszeiten der Bürgerämter", "den Haushalt für das nächste Jahr"]
DE_CLAUSES = ["nach langen Gesprächen", "trotz heftiger Kritik", "am Dienstagabend",
              "vor der Sommerpause", "auf Druck der Anwohner", "mit knapper Mehrheit"]
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens, as news CMSs build URL slugs."""
    return re.sub(r"[^a-z0-9]+", "-", text.translate(UMLAUTS).lower()).strip("-")


@dataclass(frozen=True)
class Block:
    """One block of an article body: a paragraph (``p``) or a subheading (``h2``)."""

    kind: str
    text: str


@dataclass(frozen=True)
class DemoArticle:
    number: int
    section: str
    template: str
    title: str
    blocks: tuple[Block, ...]
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    published: datetime
    slug: str
    description: str = ""
    modified: datetime | None = None

    @property
    def path(self) -> str:
        return f"/{self.published:%Y}/{self.published:%m}/{self.slug}.html"

    @property
    def body_text(self) -> str:
        """The article body as clean extraction should give it: one block per line."""
        return "\n".join(block.text for block in self.blocks)

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.section.title(),)


def load_seed() -> tuple[str, tuple[Block, ...], tuple[str, ...]]:
    """The real article from ``shared/seeds``: its title, body blocks and tags.

    The file is the page's text as a naive scraper left it; its last lines (``Tags: ...``,
    ``Previous Post Next Post``) are boilerplate that the Blogger template re-creates.
    """
    raw = resources.files(__package__).joinpath("seed_article.txt").read_text("utf-8")
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    title, body = lines[0], lines[1:]
    tags_line = next(line for line in body if line.startswith("Tags:"))
    tags = tuple(tag.strip() for tag in tags_line.removeprefix("Tags:").split(","))
    body = body[: body.index(tags_line)]
    # Short lines without final punctuation are the page's subheadings.
    blocks = tuple(
        Block("h2" if len(line) < 60 and not line.endswith(".") else "p", line) for line in body
    )
    return title, blocks, tags


SEED_PUBLISHED = datetime(2024, 6, 20, 9, 15, tzinfo=SITE_TIMEZONE)
SEED_SLUG = "now-america-will-lose-its-sleep-putin-kim-jong-joined-hands"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _sentence(rng: random.Random) -> str:
    sentence = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(CLAUSES)}"
    if rng.random() < 0.3:
        sentence += f", according to officials in {rng.choice(PLACES)}"
    return sentence + "."


def _paragraph(rng: random.Random) -> str:
    sentences = [_sentence(rng) for _ in range(rng.randint(3, 5))]
    if rng.random() < 0.35:
        sentences.insert(rng.randint(0, len(sentences)), f"\u201c{rng.choice(QUOTES)},\u201d "
                                                         f"said {_person(rng)}.")
    return " ".join(sentences)


def _generated(number: int, rng: random.Random, start: datetime) -> DemoArticle:
    place = rng.choice(PLACES)
    title = f"{place} {rng.choice(TITLE_NOUNS)} {rng.choice(TITLE_VERBS)} as {rng.choice(SUBJECTS).lower()} weigh options"
    blocks: list[Block] = [Block("p", _paragraph(rng)) for _ in range(rng.randint(4, 7))]
    if rng.random() < 0.5:
        blocks.insert(2, Block("h2", f"What happens next in {place}"))
    authors = tuple(dict.fromkeys(_person(rng) for _ in range(rng.choice((1, 1, 2, 3)))))
    tags = tuple(rng.sample(TAGS, rng.randint(1, 3)))
    published = start - timedelta(hours=7 * number, minutes=rng.randint(0, 59))
    modified = published + timedelta(hours=rng.randint(1, 20)) if rng.random() < 0.3 else None
    return DemoArticle(
        number=number,
        section=SECTIONS[number % len(SECTIONS)],
        template=TEMPLATES[number % len(TEMPLATES)],
        title=title,
        blocks=tuple(blocks),
        authors=authors,
        tags=tags,
        published=published,
        modified=modified,
        slug=f"{slugify(title)}-{number}",
        description=blocks[0].text.split(". ")[0] + ".",
    )


def _german(number: int, rng: random.Random, start: datetime) -> DemoArticle:
    place = rng.choice(DE_PLACES)
    title = f"{place}: {rng.choice(DE_SUBJECTS)} {rng.choice(DE_VERBS)} {rng.choice(DE_OBJECTS)}"

    def sentence() -> str:
        return f"{rng.choice(DE_SUBJECTS)} {rng.choice(DE_VERBS)} {rng.choice(DE_OBJECTS)} {rng.choice(DE_CLAUSES)}."

    blocks = tuple(Block("p", " ".join(sentence() for _ in range(rng.randint(3, 5)))) for _ in range(rng.randint(4, 6)))
    published = start - timedelta(hours=11 * number + 3, minutes=rng.randint(0, 59))
    return DemoArticle(
        number=number, section=GERMAN_SECTION, template="legacy", title=title, blocks=blocks,
        authors=(_person(rng),), tags=("Kommunalpolitik", place), published=published,
        slug=f"{slugify(title)}-{number}", description=blocks[0].text.split(". ")[0] + ".",
    )


def _edited(story: DemoArticle, edition: int) -> DemoArticle:
    """A story as a later edition shows it: a real edit, a cosmetic change, or none (by its number)."""
    if story.template == "legacy" or story.number == 0 or edition < 2:
        return story
    later = story.published + timedelta(days=2)
    if story.number % 10 == 7:  # a real correction: a new version
        blocks = (*story.blocks, Block("p", f"Correction: an earlier version of this story misstated the "
                                            f"date of the vote. It was corrected in edition {edition}."))
        return replace(story, blocks=blocks, modified=later)
    if story.number % 10 == 8:  # only a "last updated" line: not a new version
        return replace(story, blocks=(*story.blocks, Block("p", f"Last updated: {later:%d %B %Y, %H:%M} IST")),
                       modified=later)
    return story


@dataclass
class DemoSite:
    """The whole sample site's content: articles newest first, plus lookups by path.

    ``edition`` moves the site on in time: from edition 2, some stories are corrected (see
    ``corrected_paths``), some get only a "last updated" line, and ``new_per_edition`` new stories
    appear per edition; all others stay byte for byte the same.
    """

    articles: int = 120
    seed: int = 7
    page_size: int = 10
    edition: int = 1
    _by_path: dict[str, DemoArticle] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.articles < 1:
            raise ValueError("the sample site needs at least one article")
        self._by_path = {article.path: article for article in self.stories}

    @cached_property
    def stories(self) -> list[DemoArticle]:
        rng = random.Random(self.seed)
        start = datetime(2024, 6, 28, 18, 0, tzinfo=SITE_TIMEZONE)
        german = self.articles // 20  # one story in twenty is in the German section
        english = self.articles - german
        stories = [_generated(n, rng, start) for n in range(1, english)]
        stories += [_german(n, random.Random(self.seed * 1000 + n), start) for n in range(english, self.articles)]
        title, blocks, tags = load_seed()
        seed = DemoArticle(
            number=0, section="world", template="blogger", title=title, blocks=blocks,
            authors=("Staff Reporter",), tags=tags, published=SEED_PUBLISHED, slug=SEED_SLUG,
            description=blocks[0].text[:160],
        )
        newest = max(a.published for a in stories) if stories else start
        for extra in range(self.new_per_edition * (self.edition - 1)):
            number = self.articles + extra
            story = _generated(number, random.Random(self.seed * 7919 + number), newest)
            stories.append(replace(story, published=newest + timedelta(hours=5 * (extra + 1))))
        stories = [_edited(story, self.edition) for story in stories]
        return sorted([seed, *stories], key=lambda a: a.published, reverse=True)

    @property
    def new_per_edition(self) -> int:
        return max(2, self.articles // 20)

    def next_edition(self) -> DemoSite:
        return DemoSite(articles=self.articles, seed=self.seed, page_size=self.page_size, edition=self.edition + 1)

    @property
    def corrected_paths(self) -> set[str]:
        """Stories whose text a later edition changes for real."""
        return {a.path for a in self.stories if a.modified and any(b.text.startswith("Correction:") for b in a.blocks)}

    @property
    def touched_up_paths(self) -> set[str]:
        """Stories a later edition changes only by a "last updated" line."""
        return {a.path for a in self.stories if any(b.text.startswith("Last updated:") for b in a.blocks)}

    # Stories served with a trap: the first request fails with 500, or is told to come back later
    # (429); the HTML is cut off; the markup is broken.
    @property
    def flaky_path(self) -> str:
        return self.stories[min(3, len(self.stories) - 1)].path

    @property
    def throttled_path(self) -> str | None:
        return self.stories[4].path if len(self.stories) > 8 else None

    @property
    def retried_paths(self) -> set[str]:
        """The stories whose first request fails and is retried: each is fetched twice."""
        return {self.flaky_path} | ({self.throttled_path} if self.throttled_path else set())

    @property
    def truncated_path(self) -> str | None:
        return self.stories[5].path if len(self.stories) > 8 else None

    @property
    def broken_path(self) -> str | None:
        return self.stories[6].path if len(self.stories) > 8 else None

    def article(self, path: str) -> DemoArticle | None:
        return self._by_path.get(path)

    def in_section(self, section: str) -> list[DemoArticle]:
        return [a for a in self.stories if a.section == section]

    def with_tag(self, tag_slug: str) -> list[DemoArticle]:
        return [a for a in self.stories if tag_slug in {slugify(t) for t in a.tags}]

    def by_author(self, author_slug: str) -> list[DemoArticle]:
        return [a for a in self.stories if author_slug in {slugify(n) for n in a.authors}]

    def pages(self, items: list[DemoArticle]) -> int:
        return max(1, -(-len(items) // self.page_size))

    def page(self, items: list[DemoArticle], number: int) -> list[DemoArticle]:
        return items[(number - 1) * self.page_size: number * self.page_size]

    def private_paths(self) -> list[str]:
        """Article-like pages under the robots.txt-disallowed ``/private/`` path."""
        return [f"/private/2024/06/internal-memo-{n}.html" for n in range(1, 4)]
