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
PLUS_NINE = timezone(timedelta(hours=9))  # Japan and Korea: no DST either
TEMPLATES = ("blogger", "wordpress", "newsroom")
SECTIONS = ("world", "politics", "business", "technology")
GERMAN_SECTION = "welt"  # served in ISO-8859-1, declared only in <meta>
ALL_SECTIONS = (*SECTIONS, GERMAN_SECTION)
# From this many articles on, three of them are stories in other languages (``other_languages``).
OTHER_LANGUAGES_FROM = 20

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
    """Lowercase words joined by hyphens, as news CMSs build URL slugs: umlauts spelt out in ASCII,
    other scripts kept as they are ("홍길동"; percent-encode it in a URL)."""
    return re.sub(r"[\W_]+", "-", text.translate(UMLAUTS).lower()).strip("-")


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
    language: str = "en"
    url_path: str | None = None  # a CMS's own URL scheme ("/news_view.html?idx=123"), not /YYYY/MM/slug.html

    @property
    def path(self) -> str:
        """The story's URL on the site: its path, and for some CMSs a query."""
        return self.url_path or f"/{self.published:%Y}/{self.published:%m}/{self.slug}.html"

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
        slug=f"{slugify(title)}-{number}", description=blocks[0].text.split(". ")[0] + ".", language="de",
    )


# Three stories in other languages, the same in every site that has them (``OTHER_LANGUAGES_FROM``).
JAPANESE_BLOCKS = (
    Block("p", "東京都議会は5日の本会議で、夏の猛暑から都民の命を守るため、図書館や区民センターなどの公共施設を"
               "冷房の効いた休憩場所「涼み処」として開放することを定めた条例案を、賛成多数で可決した。来月1日に"
               "施行され、東京都内の約千カ所が対象となる見込みだ。"),
    Block("p", "条例は、気温が一定の基準を超える日に、都と区市町村が指定した施設を誰でも無料で利用できるように"
               "するもの。施設には飲み水と椅子を備え、職員が体調の悪そうな人に声をかけることも求めている。都に"
               "よると、昨年の夏に東京で熱中症の疑いにより救急搬送された人は8千人を超え、その半数近くが65歳以上の"
               "高齢者だった。"),
    Block("h2", "財源と運営に課題"),
    Block("p", "審議では、財源や運営体制をめぐる質問も相次いだ。野党会派の議員は「施設の職員に新たな負担を押し"
               "つけるだけでは長続きしない」と指摘し、商業施設や銀行の店舗にも協力を広げるよう求めた。これに対し"
               "都の担当者は、今年度の補正予算に冷房設備の更新費用として約12億円を計上したと説明し、民間企業との"
               "協定づくりを急ぐ考えを示した。"),
    Block("p", "東京の都心部では、建物や道路が昼間の熱をため込む「ヒートアイランド現象」により、夜になっても気温が"
               "下がりにくい。専門家は、冷房のない住宅で暮らす一人暮らしの高齢者が特に危険だと指摘しており、都は"
               "町内会や民生委員と連携して、近くの涼み処を知らせるチラシを各戸に配る計画だ。"),
    Block("p", "東京都の担当者は「暑さはもはや災害と同じだと考えている。身近な場所で一息つける場所を増やし、誰も"
               "取り残さない東京をつくりたい」と話している。"),
)
KOREAN_BLOCKS = (
    Block("p", "서울시가 올여름 폭염에 대비해 한강공원 곳곳에 무더위 쉼터 20곳을 새로 설치한다고 12일 밝혔다. "
               "쉼터에는 그늘막과 냉방 시설, 식수대가 갖춰지며 오전 10시부터 오후 8시까지 누구나 무료로 이용할 수 "
               "있다."),
    Block("p", "시는 지난해 여름 한강공원을 찾은 시민이 하루 평균 30만 명을 넘었지만, 햇볕을 피할 곳이 부족하다는 "
               "민원이 꾸준히 제기돼 왔다고 설명했다. 특히 자전거를 타거나 산책을 하는 노인과 어린이가 온열 질환에 "
               "취약하다는 지적이 많았다."),
    Block("p", "새 쉼터는 여의도, 반포, 뚝섬 등 이용객이 많은 공원을 중심으로 배치된다. 시는 쉼터마다 안전 요원을 "
               "두고, 기온이 35도를 넘는 날에는 운영 시간을 밤 10시까지 연장할 계획이다. 또 휴대전화 지도 "
               "서비스에서 가까운 쉼터의 위치와 혼잡도를 확인할 수 있도록 할 예정이다."),
    Block("p", "시민 반응은 대체로 긍정적이다. 매일 아침 반포한강공원에서 달리기를 한다는 직장인 김모 씨는 \u201c한낮에는 "
               "잠시 쉴 곳이 없어 운동을 포기한 적이 많았다\u201d며 \u201c쉼터가 생기면 가족과 함께 저녁 산책도 더 자주 "
               "나올 수 있을 것 같다\u201d고 말했다."),
    Block("p", "서울시 관계자는 \u201c기후 변화로 폭염이 해마다 길어지고 있어 시민들이 일상 속에서 더위를 피할 수 있는 "
               "공간을 늘리는 것이 중요하다\u201d며 \u201c이용 현황을 살펴 내년에는 쉼터를 더 늘리겠다\u201d고 말했다. 한편 "
               "시는 다음 달부터 취약 계층 가구를 직접 방문해 선풍기와 냉방비를 지원하는 사업도 함께 추진한다."),
)
GERMAN_BLOCKS = (
    Block("p", "Nach mehr als zwei Jahren Planung hat der Stadtrat am Dienstagabend ein neues Radwegenetz für die "
               "Innenstadt beschlossen. Mit 34 zu 19 Stimmen folgte das Gremium dem Entwurf der Verwaltung, der bis "
               "zum Jahr 2027 rund zwölf Kilometer geschützte Radwege vorsieht."),
    Block("p", "Kernstück des Plans ist eine durchgehende Verbindung vom Hauptbahnhof bis zur Universität. Auf der "
               "Ringstraße soll dafür je Richtung eine Autospur wegfallen. Außerdem sollen an allen großen Kreuzungen "
               "eigene Ampelphasen für Radfahrerinnen und Radfahrer eingerichtet werden. Die Kosten schätzt die Stadt "
               "auf knapp 18 Millionen Euro, von denen das Land etwa die Hälfte übernehmen will."),
    Block("p", "Die Debatte im Sitzungssaal war lebhaft. Vertreter des Einzelhandels befürchten, dass Kundinnen und "
               "Kunden aus dem Umland wegbleiben, wenn Parkplätze verschwinden. \u201eWir sind nicht gegen Radwege, aber "
               "die Geschäfte in der Altstadt müssen erreichbar bleiben\u201c, sagte der Vorsitzende des Gewerbevereins. "
               "Die Verwaltung verwies dagegen auf Zählungen, nach denen schon heute fast ein Drittel aller Wege in "
               "der Innenstadt mit dem Fahrrad zurückgelegt wird."),
    Block("p", "Zustimmung kam vom Fahrradclub und von mehreren Elternvertretungen, die sich seit Langem sicherere "
               "Schulwege wünschen. Die ersten Bauarbeiten sollen im Herbst an der Bahnhofstraße beginnen. Während "
               "der Arbeiten will die Stadt Umleitungen ausschildern und die Anwohner bei Informationsabenden über "
               "den Ablauf unterrichten."),
)


def other_languages(first_number: int) -> list[DemoArticle]:
    """Stories in Japanese, Korean and German, each in its own CMS's template (see ``render``):

    - Japanese, Shift_JIS declared only in ``<meta charset>``, JSON-LD dates at +09:00;
    - Korean, at a query-string URL (``/news_view.html?idx=123``), by "홍길동 기자" (the reporter's
      name and the word for reporter);
    - German in UTF-8, "Von Anna Schmidt" above the text and no date but the printed "5. Juni 2024":
      with no time of day and no zone, that is midnight in the site's timezone.
    """
    japanese = DemoArticle(
        number=first_number, section="world", template="ja_newsroom",
        title="東京都議会、猛暑対策で「涼み処」条例を可決", blocks=JAPANESE_BLOCKS, authors=("山田太郎",),
        tags=("東京都議会", "猛暑"), published=datetime(2024, 6, 5, 10, 30, tzinfo=PLUS_NINE),
        modified=datetime(2024, 6, 5, 18, 0, tzinfo=PLUS_NINE), slug="tokyo-assembly-passes-heat-shelter-ordinance",
        description=JAPANESE_BLOCKS[0].text.split("。")[0] + "。", language="ja",
    )
    korean = DemoArticle(
        number=first_number + 1, section="world", template="ko_cms",
        title="서울시, 한강공원에 무더위 쉼터 20곳 새로 설치", blocks=KOREAN_BLOCKS, authors=("홍길동",),
        tags=("서울시", "폭염"), published=datetime(2024, 6, 12, 14, 20, tzinfo=PLUS_NINE), slug="news-view-123",
        description=KOREAN_BLOCKS[0].text.split(". ")[0] + ".", language="ko", url_path="/news_view.html?idx=123",
    )
    german = DemoArticle(
        number=first_number + 2, section=GERMAN_SECTION, template="de_regional",
        title="Stadtrat beschließt neues Radwegenetz für die Innenstadt", blocks=GERMAN_BLOCKS,
        authors=("Anna Schmidt",), tags=("Verkehr", "Stadtrat"), published=datetime(2024, 6, 5, tzinfo=SITE_TIMEZONE),
        slug="stadtrat-beschliesst-neues-radwegenetz-fuer-die-innenstadt",
        description=GERMAN_BLOCKS[0].text.split(". ")[0] + ".", language="de",
    )
    return [japanese, korean, german]


def _edited(story: DemoArticle, edition: int) -> DemoArticle:
    """A story as a later edition shows it: a real edit, a cosmetic change, or none (by its number)."""
    if story.template not in TEMPLATES or story.number == 0 or edition < 2:
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
        others = 3 if self.articles >= OTHER_LANGUAGES_FROM else 0  # Japanese, Korean, German: always the same
        english = self.articles - german - others
        stories = [_generated(n, rng, start) for n in range(1, english)]
        stories += other_languages(english)[:others]
        stories += [_german(n, random.Random(self.seed * 1000 + n), start)
                    for n in range(english + others, self.articles)]
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

    # Lookups made once per site (its stories never change: an edition is a new DemoSite): a page
    # served looks its neighbours up instead of going through every story (a site of 20,000 took
    # the server 3.5 ms a page, most of a core beside the crawl it served).
    @cached_property
    def _positions(self) -> dict[str, int]:
        return {article.path: number for number, article in enumerate(self.stories)}

    @cached_property
    def _groups(self) -> dict[tuple[str, str], list[DemoArticle]]:
        groups: dict[tuple[str, str], list[DemoArticle]] = {}
        for article in self.stories:
            keys = {("section", article.section), ("month", f"{article.published:%Y-%m}")}
            keys |= {("tag", slugify(tag)) for tag in article.tags}
            keys |= {("author", slugify(name)) for name in article.authors}
            for key in keys:
                groups.setdefault(key, []).append(article)
        return groups

    def position(self, article: DemoArticle) -> int:
        """The story's place among all, newest first."""
        return self._positions[article.path]

    def in_section(self, section: str) -> list[DemoArticle]:
        return list(self._groups.get(("section", section), ()))

    def in_month(self, month: str) -> list[DemoArticle]:
        """The stories published in ``month`` (YYYY-MM), newest first."""
        return list(self._groups.get(("month", month), ()))

    def with_tag(self, tag_slug: str) -> list[DemoArticle]:
        return list(self._groups.get(("tag", tag_slug), ()))

    def by_author(self, author_slug: str) -> list[DemoArticle]:
        return list(self._groups.get(("author", author_slug), ()))

    def pages(self, items: list[DemoArticle]) -> int:
        return max(1, -(-len(items) // self.page_size))

    def page(self, items: list[DemoArticle], number: int) -> list[DemoArticle]:
        return items[(number - 1) * self.page_size: number * self.page_size]

    def private_paths(self) -> list[str]:
        """Article-like pages under the robots.txt-disallowed ``/private/`` path."""
        return [f"/private/2024/06/internal-memo-{n}.html" for n in range(1, 4)]
