"""extract() on the sample site's pages: every template, the seed article, and pages that are not articles."""

from __future__ import annotations

import json
from datetime import UTC
from types import SimpleNamespace

import pytest
from trafilatura import bare_extraction, load_html

from crawler.demo_site import DemoSite
from crawler.demo_site.content import load_seed
from crawler.extraction import cascade as extract_module
from crawler.extraction.cascade import NotAnArticle, clean_title, extract
from crawler.sites import ExtractionRules
from tests.conftest import page_html

SITE = DemoSite()
SEED = next(a for a in SITE.stories if a.number == 0)
BOILERPLATE = ["Tags:", "Previous Post", "Next Post", "Share", "Popular Posts", "Facebook", "WhatsApp",
               "Related posts", "Leave a Reply", "Great reporting", "Sign up for", "Subscribe",
               "About us", "All rights reserved", "Staff memo"]


CLEAN = [a for a in SITE.stories if a.path != SITE.truncated_path]
LEGACY = [a for a in SITE.stories if a.template == "legacy"]


@pytest.mark.parametrize("story", [*CLEAN[:30], *LEGACY[:2], SEED], ids=lambda a: f"{a.template}-{a.number}")
def test_article_fields_match_the_page(demo_app, demo_config, story):
    reply = demo_app.respond(story.path, 2)
    article = extract(reply.body, "http://127.0.0.1/x" + story.path, demo_config.extraction, demo_config.timezone,
                      reply.content_type)
    assert article.title == story.title
    assert article.text == story.body_text
    assert article.authors == story.authors
    assert article.published_at == story.published.astimezone(UTC).isoformat()
    assert article.published_raw
    assert set(article.tags) == set(story.tags)
    for furniture in BOILERPLATE:
        assert furniture not in article.text


def test_seed_article_is_exactly_the_seed_text(demo_app, demo_config):
    """The real page from shared/seeds: the article and nothing else (issue 2)."""
    title, blocks, _tags = load_seed()
    article = extract(page_html(demo_app, SEED.path), "http://127.0.0.1" + SEED.path,
                      demo_config.extraction, demo_config.timezone)
    assert article.title == title
    assert article.text.splitlines() == [b.text for b in blocks]
    assert article.tags == ("International news", "North Korea", "Russia News")
    assert article.published_at == "2024-06-20T03:45:00+00:00"  # 09:15 at +05:30
    assert "Tags:" not in article.text and "Previous Post Next Post" not in article.text


def test_generic_rules_alone_strip_the_seed_furniture(demo_app):
    """Without the demo site's drop_selectors, generic cleaning still gives the clean seed text."""
    article = extract(page_html(demo_app, SEED.path), "http://127.0.0.1" + SEED.path)
    assert article.text == SEED.body_text


@pytest.mark.parametrize(("path", "reason"), [
    ("/", "listing"),
    ("/section/world/", "listing"),
    ("/section/business/page/2/", "listing"),
    ("/tag/economy/", "listing"),
    ("/author/staff-reporter/", "not_article_type"),
    ("/search/label/Russia%20News", "not_article_type"),
    ("/calendar/?page=3", "too_short"),
])
def test_pages_that_are_not_articles_are_rejected(demo_app, demo_config, path, reason):
    with pytest.raises(NotAnArticle) as raised:
        extract(page_html(demo_app, path), "http://127.0.0.1" + path, demo_config.extraction, demo_config.timezone)
    assert raised.value.reason == reason


def test_listing_without_og_type_is_rejected_by_its_headlines(demo_app):
    html = page_html(demo_app, "/section/world/").replace(b'<meta property="og:type" content="website">', b"")
    with pytest.raises(NotAnArticle) as raised:
        extract(html, "http://127.0.0.1/section/world/")
    assert raised.value.reason == "listing"


@pytest.mark.parametrize("html", [b"", b"   ", b"<html><body></body></html>", b"\x00\x01\x02 binary"])
def test_empty_or_garbage_input_is_not_an_article(html):
    with pytest.raises(NotAnArticle):
        extract(html, "http://127.0.0.1/x.html")


def test_short_page_is_too_short():
    html = b"<html><head><meta property='og:type' content='article'></head><body><article><h1>Hi</h1>" \
           b"<p>Only a few words here.</p></article></body></html>"
    with pytest.raises(NotAnArticle) as raised:
        extract(html, "http://127.0.0.1/x.html")
    assert raised.value.reason == "too_short"


def test_drop_selectors_and_drop_lines_apply(demo_app):
    story = next(a for a in SITE.stories if a.template == "wordpress")
    html = page_html(demo_app, story.path)
    first_line = story.body_text.splitlines()[0]
    rules = ExtractionRules(drop_selectors=("h2",), drop_lines=(first_line,))
    article = extract(html, "http://127.0.0.1" + story.path, rules)
    assert first_line not in article.text
    assert all(b.text not in article.text for b in story.blocks if b.kind == "h2")
    assert story.blocks[-1].text in article.text


def test_naive_page_dates_take_the_site_timezone(demo_app):
    story = next(a for a in SITE.stories if a.template == "wordpress")
    html = page_html(demo_app, story.path)
    kolkata = extract(html, "http://127.0.0.1" + story.path, timezone="Asia/Kolkata")
    utc = extract(html, "http://127.0.0.1" + story.path, timezone="UTC")
    assert kolkata.published_raw == utc.published_raw == story.published.replace(tzinfo=None).isoformat()
    assert kolkata.published_at == story.published.astimezone(UTC).isoformat()
    assert utc.published_at != kolkata.published_at


def test_json_ld_metadata_wins(demo_app):
    story = next(a for a in SITE.stories if a.template == "newsroom" and len(a.authors) > 1)
    article = extract(page_html(demo_app, story.path), "http://127.0.0.1" + story.path)
    assert article.authors == story.authors
    assert article.categories == story.categories
    assert article.description == story.description
    assert article.site_name == "Demo Daily"


@pytest.mark.parametrize(("title", "site", "expected"), [
    ("Budget stalls in Delhi | Demo Daily", "Demo Daily", "Budget stalls in Delhi"),
    ("Demo Daily - Budget stalls in Delhi", "Demo Daily", "Budget stalls in Delhi"),
    ("Budget stalls in Delhi \u2013 The Paper", None, "Budget stalls in Delhi"),
    ("Budget stalls: what comes next", None, "Budget stalls: what comes next"),
    ("Putin - Kim summit: a pact is signed", None, "Putin - Kim summit: a pact is signed"),
    ("How babies sleep through the night | Patient Education | City Hospital", None,
     "How babies sleep through the night"),
    (None, None, None),
])
def test_clean_title(title, site, expected):
    assert clean_title(title, site) == expected


def test_charset_declared_only_in_meta_is_honoured(demo_app):
    story = LEGACY[0]
    reply = demo_app.respond(story.path, 1)
    assert reply.content_type == "text/html" and b"charset=iso-8859-1" in reply.body
    article = extract(reply.body, "http://127.0.0.1" + story.path, content_type=reply.content_type)
    assert article.title == story.title and article.text == story.body_text


def test_truncated_page_keeps_what_arrived(demo_app):
    story = next(a for a in SITE.stories if a.path == SITE.truncated_path)
    article = extract(demo_app.respond(story.path, 1).body, "http://127.0.0.1" + story.path)
    assert article.title == story.title and article.text.startswith(story.blocks[0].text)


@pytest.mark.parametrize(("canonical", "expected"), [
    ("/2024/06/the-real-one.html", "http://127.0.0.1/2024/06/the-real-one.html"),
    ("http://www.127.0.0.1/2024/06/x.html?utm_source=a", "http://127.0.0.1/2024/06/x.html"),
    ("https://elsewhere.example/2024/06/x.html", "http://127.0.0.1/2024/06/copy.html"),
    ("https://127.0.0.1/2024/06/x.html", "https://127.0.0.1/2024/06/x.html"),  # moved to https
    ("http://127.0.0.1:18802/2024/06/x.html", "http://127.0.0.1/2024/06/copy.html"),  # another port: another site
    # a template's canonical, the home page or a section's front, is not a story's address (an
    # adversarial review: every story so marked was stored as one page, each a version of the other)
    ("/", "http://127.0.0.1/2024/06/copy.html"),
    ("http://127.0.0.1/", "http://127.0.0.1/2024/06/copy.html"),
    ("/news/", "http://127.0.0.1/2024/06/copy.html"),
])
def test_rel_canonical_on_the_same_site_names_the_article(demo_app, canonical, expected):
    link = f'<link rel="canonical" href="{canonical}"></head>'.encode()
    html = page_html(demo_app, SEED.path).replace(b"</head>", link)
    assert extract(html, "http://127.0.0.1/2024/06/copy.html?utm_source=x").url == expected


URL = "https://daily.example/2024/06/budget-approved-roads"
STORY = " ".join(["The council approved the new budget for rural roads after weeks of talks."] * 12)


def _page(head: str, body: str) -> str:
    return (f"<html><head><title>Budget approved for rural roads | Daily</title>{head}</head><body>"
            f"<nav><h1>Daily</h1></nav><article>{body}<p>{STORY}</p><p>{STORY}</p></article></body></html>")


def test_the_headline_is_the_h1_that_matches_the_declared_title():
    article = extract(_page("", "<h1>Budget approved for rural roads, at last</h1>"),
                      URL)
    assert article.title == "Budget approved for rural roads, at last"  # not "Daily", not the <title>


def test_an_h1_that_names_the_site_is_not_the_headline():
    # a blog's name in the only other <h1>; <title> puts it before the headline the page declares
    html = ("<html><head><title>Roads Weekly: Budget approved for rural roads</title>"
            '<meta property="og:title" content="Budget approved for rural roads"></head><body>'
            f"<header><h1>Roads Weekly</h1></header><article><h2>Budget approved for rural roads</h2>"
            f"<p>{STORY}</p><p>{STORY}</p></article></body></html>")
    article = extract(html, "https://roads.example/2024/06/budget-approved-roads")
    assert article.title == "Budget approved for rural roads"


def test_a_blog_name_in_the_only_h1_is_not_confirmed_by_trafilatura_copying_it():
    # trafilatura takes its title from that <h1>; only <title> names the post
    html = ("<html><head><title>rustc_codegen_gcc: Progress Report #39</title></head><body>"
            "<header><h1>Antoyo's Blog</h1></header><article>"
            f"<p>{STORY}</p><p>{STORY}</p></article></body></html>")
    article = extract(html, "https://blog.example/2025/12/progress-report-39")
    assert article.title == "rustc_codegen_gcc: Progress Report #39"


def test_an_h1_that_lost_characters_to_a_wrong_encoding_gives_way_to_the_declared_title():
    head = "<meta property=\"og:title\" content=\"Budget approved: the council's plan\">"
    article = extract(_page(head, "<h1>Budget approved? the council? plan</h1>"),
                      URL)
    assert article.title == "Budget approved: the council's plan"
    asked = extract(_page(head, "<h1>Budget approved? Ask the council</h1>"),
                    URL)
    assert asked.title == "Budget approved? Ask the council"  # a real question mark stays


def test_a_label_before_the_headline_in_the_h1_is_not_part_of_it():
    head = '<meta property="og:title" content="Budget approved for rural roads">'
    article = extract(_page(head, "<h1><strong>Blog:</strong> Budget approved for rural roads</h1>"),
                      URL)
    assert article.title == "Budget approved for rural roads"
    kept = extract(_page(head, "<h1>Roads: Budget approved for rural roads, at last</h1>"),
                   URL)
    assert kept.title == "Roads: Budget approved for rural roads, at last"  # no declared title behind the label


def test_a_structured_headline_cut_at_its_length_limit_gives_way_to_the_whole_title():
    whole = ("Budget approved for rural roads after weeks of talks between the council, the farmers' union "
             "and the regional transport office")
    cut = whole[:105]
    head = (f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{cut}"}}</script>'
            f'<meta property="og:title" content="{whole} - Daily">')
    html = _page(head, "").replace("<nav><h1>Daily</h1></nav>", "")
    assert extract(html, URL).title == whole


@pytest.mark.parametrize(("heading", "declared", "title"), [
    # capitals for display give way to the title as written
    ("BUDGET APPROVED FOR RURAL ROADS IN 2026", "Budget Approved for Rural Roads 2026",
     "Budget Approved for Rural Roads 2026"),
    # the count or the year that the declared title adds
    ("Roads the Budget Will Mend", "8 Roads the Budget Will Mend", "8 Roads the Budget Will Mend"),
    ("Best Rural Roads for Cycling", "Best Rural Roads for Cycling in 2026", "Best Rural Roads for Cycling in 2026"),
    # words, not a count or a year: the heading as shown
    ("Budget approved for rural roads", "Budget approved for rural roads after weeks of talks",
     "Budget approved for rural roads"),
])
def test_a_heading_that_shows_the_declared_title_imperfectly_gives_way_to_it(heading, declared, title):
    html = _page(f'<meta property="og:title" content="{declared}">', f"<h1>{heading}</h1>")
    assert extract(html, URL).title == title


@pytest.mark.parametrize(("heading", "declared", "title"), [
    # a dash or a colon in the headline the page shows is the headline's own, declared or not
    ("Budget approved \u2013 what it means", "Budget approved \u2013 what it means",
     "Budget approved \u2013 what it means"),
    ("Budget approved \u2013 what it means", "Budget approved - what it means - Daily",
     "Budget approved \u2013 what it means"),
    ("Budget approved for the rural roads - a summary", None, "Budget approved for the rural roads - a summary"),
    # a pipe still sets off a label
    ("Budget approved for the rural roads | Opinion", None, "Budget approved for the rural roads"),
    # soft hyphens and word joiners are invisible, and not kept
    ("Bud\u00adget ap\u00adproved\u2060 for roads", None, "Budget approved for roads"),
])
def test_the_headline_the_page_shows_keeps_its_own_ending(heading, declared, title):
    head = f'<meta property="og:title" content="{declared}">' if declared else ""
    assert extract(_page(head, f"<h1>{heading}</h1>"), URL).title == title


def test_soft_hyphens_leave_the_text_and_the_description():
    html = _page('<meta name="description" content="Road\u00adworks start">',
                 "<h1>Budget approved for roads</h1><p>The Ver\u00adkehrs\u00adamt said so.</p>")
    article = extract(html, URL)
    assert "The Verkehrsamt said so." in article.text and "\u00ad" not in article.text
    assert article.description == "Roadworks start"


def test_the_first_heading_that_matches_is_the_headline_not_a_later_teasers():
    teasers = "".join(f"<div><h1>{t}</h1></div>" for t in ("Where to cycle near the rural roads", "Roads of 2025"))
    html = _page('<meta property="og:title" content="Where the new rural roads will run">',
                 f"<h1>Budget approved: new rural roads</h1><p>{STORY}</p>{teasers}")
    assert extract(html, URL).title == "Budget approved: new rural roads"


LATER = " ".join(["Work on the first roads starts in the spring, the transport office said."] * 6)


RESURFACE = "Crews then resurface the worst stretches of road before the winter rains arrive, the office said."


@pytest.mark.parametrize(("panel", "wrap"), [
    # the ARIA pattern: a region labelled by its button, styled hidden until opened
    ('<div><a id="h{n}" role="button">Step {n}</a></div>'
     '<div id="p{n}" role="region" aria-labelledby="h{n}" style="display:none;"><p>{text}</p></div>', "{}"),
    # an accordion whose classes read to trafilatura as hidden ("-hidden") or as a widget ("-icon")
    ('<div class="kt-accordion-pane"><button>Step {n}</button>'
     '<div class="kt-accordion-panel kt-accordion-panel-hidden"><p>{text}</p></div></div>',
     '<div class="kt-accordion-wrap kt-accordion-icon-side-right">{}</div>'),
    # a disclosure: a panel hidden after the button that opens it (inside a CMS's "embed" section)
    ('<h3><button aria-expanded="false">Step {n}</button></h3><div hidden aria-hidden="true"><p>{text}</p></div>',
     '<section class="embed">{}</section>'),
])
def test_the_collapsed_panels_of_an_accordion_are_read_and_other_hidden_boxes_are_not(panel, wrap):
    steps = wrap.format("".join(panel.format(n=n, text=text) for n, text in enumerate((LATER, RESURFACE), 1)))
    popup = '<div class="newsletter-modal" style="display: none"><p>Sign up for the Daily briefing today.</p></div>'
    menu = ('<nav><div class="accordion-menu" hidden><a href="/a">Sections</a><a href="/b">Weather and traffic'
            ' for the whole region</a></div></nav>')
    text = extract(_page("", f"{menu}<h1>Budget approved</h1>{steps}{popup}"), URL).text
    assert LATER in text and RESURFACE in text
    assert "Daily briefing" not in text and "Weather and traffic" not in text


def test_a_table_or_profile_in_an_embed_block_is_part_of_the_story():
    table = ('<div class="w-embed"><table><tr><th>Service</th><th>Tip</th></tr>'
             '<tr><td>Full service restaurant</td><td>20%</td></tr></table></div>')
    profile = ('<div class="mover-profile embed"><p>Road Crew Co. has resurfaced county roads for thirty years and'
               ' answers calls within a day, its customers say.</p></div>')
    tweet = '<div class="twitter-embed"><blockquote>Roads! Finally!</blockquote></div>'
    player = ('<div class="audio-embed"><button>Embed</button><textarea>&lt;iframe src="https://daily.example/player'
              '"&gt;&lt;/iframe&gt; Copy this code to put the Daily player on your site</textarea></div>')
    text = extract(_page("", f"<h1>Budget approved</h1><p>{LATER}</p>{table}{profile}{tweet}{player}"), URL).text
    assert "Full service restaurant" in text and "Road Crew Co." in text
    assert "Finally" not in text and "player" not in text  # an embedded post and a player stay out


@pytest.mark.parametrize(("top", "kept"), [
    ("<p><b>The Daily Blog</b></p><p><i>Roads</i></p>", ""),  # a masthead and a section label go with the headline
    # so does one line of any length over it: a promo, a disclosure, a kicker
    ("<p>All products featured are independently selected by our editors, who may earn a commission.</p>", ""),
    # paragraphs before the headline are the story's (and the line after them no headline to drop)
    (f"<p>{LATER}</p><p>{RESURFACE}</p>", f"{LATER}\n{RESURFACE}\nBudget approved for rural roads\n"),
])
def test_the_headline_goes_from_the_text_with_the_masthead_above_it(top, kept):
    html = (f"<html><head><title>Budget approved for rural roads | Daily</title></head><body>"
            f"<article>{top}<h2>Budget approved for rural roads</h2><p>{STORY}</p></article></body></html>")
    assert extract(html, URL).text == f"{kept}{STORY}"


HEAD = "<html><head><title>Budget approved for rural roads | Daily</title></head><body>"
STORY_BLOCK = f"<h1>Budget approved for rural roads</h1><p>{STORY}</p><p>{LATER}</p>"


@pytest.mark.parametrize(("html", "misbuilt"), [
    # A popup's <aside> is never closed, so the parser puts the whole story inside it, and
    # trafilatura's balanced mode deletes every paragraph with it; its recall mode keeps them.
    (f"{HEAD}<aside class='popup-overlay'><div class='popup'>Subscribe</div><div><article>{STORY_BLOCK}"
     "</article></div></body></html>", "//aside//article"),
    # The menu <button> closes before its <div>s do, so lxml keeps it open and puts <main> inside
    # the header; trafilatura would drop the header and fall back to the page's bare text on one
    # line. A browser would have closed the button.
    (f'{HEAD}<header><div class="menu-container"><button class="menu-button"><span>Menu</span>'
     '<div class="menu-inner"><div></button></div><nav><a href="/">Home</a> <a href="/weather">Weather and'
     f' traffic</a></nav></header><main><article>{STORY_BLOCK}</article></main></body></html>',
     "//main/ancestor::button"),
    # The template closes </body></html> before the story: lxml makes what follows a second
    # document element, which trafilatura never reads; a browser shows it as the rest of the body.
    (f"{HEAD}<header><a href='/'>Daily</a></header></body></html><div class='post'>{STORY_BLOCK}</div>"
     "<footer>About us</footer>", "/html[2]//p"),
])
def test_a_story_the_parser_builds_otherwise_than_a_browser_is_read(html, misbuilt):
    assert load_html(html).xpath(misbuilt)  # the parser's reading, as on the real pages
    article = extract(html, URL)
    assert article.title == "Budget approved for rural roads"
    assert article.text == f"{STORY}\n{LATER}"


CONSENT = ("Necessary cookies are absolutely essential for the website to function properly. These cookies"
           " ensure basic functionalities and security features of the website, anonymously.")


@pytest.mark.parametrize("banner", [  # as consent platforms name theirs (trafilatura drops those named "cookie")
    f'<div id="onetrust-consent-sdk"><div class="ot-sdk-container"><p>{CONSENT}</p></div></div>',
    f'<div id="wpconsent-root"><p>{CONSENT}</p><button>Accept</button></div>',
    f'<div id="qc-cmp2-ui"><p>{CONSENT}</p></div>',
])
def test_a_cookie_consent_banner_is_no_part_of_the_story(banner):
    # Inside the story's block (where consent plugins may put themselves) it would read as prose.
    html = f"{HEAD}<article>{STORY_BLOCK}{banner}</article></body></html>"
    assert CONSENT in extract(html.replace(banner, f"<div>{banner[banner.index('<p>'):]}"), URL).text
    assert extract(html, URL).text == f"{STORY}\n{LATER}"


@pytest.mark.parametrize("classes", [
    "post tag-cookies category-cookie-recipes",  # WordPress classes a post by its tags and categories
    "site-wrapper has-cookie-bar",  # a theme marks the page's state on its wrapper
])
def test_a_story_classed_for_cookies_is_no_banner(classes):
    html = (f'{HEAD}<h1>Budget approved for rural roads</h1><div id="post-7" class="{classes}"><div'
            f' class="entry-content"><p>{STORY}</p><p>{LATER}</p></div></div></body></html>')
    assert extract(html, URL).text == f"{STORY}\n{LATER}"


WRITTEN = ("The council’s budget isn’t final yet — the mayor’s office said the vote on the rural roads"
           " would come after the summer’s consultation with the villages.")


def _misdecoded(text: str) -> str:
    return text.encode("utf-8").decode("cp1252")  # "isn’t" -> "isnâ€™t", as a broken CMS stores it


def test_a_page_whose_encoding_is_broken_throughout_is_archived_as_written():
    html = (f"<html><head><title>{_misdecoded('The council’s budget')}</title></head><body><article><h1>"
            f"{_misdecoded('The council’s budget')}</h1><p>{_misdecoded(WRITTEN)}</p><p>{STORY}</p></article>"
            "</body></html>")
    article = extract(html.encode("utf-8"), URL, content_type="text/html; charset=utf-8")
    assert article.title == "The council’s budget"
    assert article.text == f"{WRITTEN}\n{STORY}"


def test_a_story_quoting_one_misdecoded_word_keeps_it():
    quoted = f"Old forms printed {_misdecoded('café')} where they meant café, the clerk said, laughing."
    html = f"{HEAD}<article>{STORY_BLOCK}<p>{quoted}</p></article></body></html>"
    assert extract(html, URL).text == f"{STORY}\n{LATER}\n{quoted}"


def test_authors_come_from_the_pages_own_story_not_the_teasers_in_its_json_ld():
    json_ld = ('<script type="application/ld+json">[{"@type": "NewsArticle", "headline": "Budget approved",'
               ' "author": {"@type": "Person", "name": "Asha Menon"}},'
               ' {"@type": "NewsArticle", "headline": "Roads closed",'
               ' "author": {"@type": "Person", "name": "Ravi Kapoor"}}]</script>')
    article = extract(_page(json_ld, "<h1>Budget approved</h1>"), URL)
    assert article.authors == ("Asha Menon",)
    # the page's story credits its publisher only: a teased story's writer is still not its author
    by_paper = json_ld.replace('{"@type": "Person", "name": "Asha Menon"}',
                               '{"@type": "NewsMediaOrganization", "name": "Daily Media Group"}')
    assert extract(_page(by_paper, "<h1>Budget approved</h1>"), URL).authors == ("Daily Media Group",)


def test_microdata_credits_of_teased_stories_and_comments_are_not_the_authors():
    credit = '<span itemprop="author">{}</span>'
    body = (f'<article><h1>Budget approved</h1>{credit.format("Asha Menon")}<p>{STORY}</p><p>{LATER}</p></article>'
            f'<aside><article>{credit.format("Ravi Kapoor")}<h2>Roads closed</h2></article></aside>'
            f'<div class="related-stories">{credit.format("Lena Brandt")}</div>'
            f'<div class="comment-list">{credit.format("Tom Reader")}</div>')
    html = (f"<html><head><title>Budget approved | Daily</title></head><body itemscope "
            f'itemtype="https://schema.org/Article">{body}</body></html>')
    assert extract(html, URL).authors == ("Asha Menon",)


STEPS = [f"Step {n}: the council will resurface the road between the two villages before the winter."
         for n in range(1, 9)]


def test_a_storys_list_that_the_balanced_reading_leaves_out_is_read_again():
    # trafilatura's balanced mode drops a list inside a table cell; its recall mode keeps it
    steps = "".join(f"<li>{step}</li>" for step in STEPS)
    body = f"<h1>Budget approved</h1><p>{STORY}</p><table><tr><td><ul>{steps}</ul></td></tr></table><p>{LATER}</p>"
    article = extract(_page("", body), URL)
    assert all(step in article.text for step in STEPS)
    assert article.text.startswith(STORY) and LATER in article.text


BARE = ["Crews then resurface the worst stretches of road before the winter rains arrive, the office said. " * 4,
        "The villages along the route asked for safer crossings near their schools, and the council agreed. " * 4]


def _bare_text_sections(texts: list[str]) -> str:
    return "".join(f'<section class="editorial"><div class="title-wrapper"><h2 class="title">Part {n}</h2></div>'
                   f'<div class="description rich-text-editor">{text}</div></section>' for n, text in enumerate(texts))


def test_a_storys_prose_held_bare_in_divs_is_read_again():
    # trafilatura's balanced mode reads a section's <p>s but not the prose that a <div> holds bare
    story = f'<section class="editorial"><div class="description rich-text-editor"><p>{STORY}</p></div></section>'
    html = f"{HEAD}<h1>Budget approved for rural roads</h1>{story}{_bare_text_sections(BARE)}</body></html>"
    assert not any(text.strip() in bare_extraction(html, url=URL).text for text in BARE)
    assert extract(html, URL).text == "\n".join([STORY, *(text.strip() for text in BARE)])


@pytest.mark.parametrize("outside", [
    "<nav><ul>{}</ul></nav>".format("".join(f"<li>{step}</li>" for step in STEPS)),  # a menu's list
    f'<div id="comments">{_bare_text_sections(BARE)}</div>',  # readers' comments, in bare text
    '<div class="more-stories"><ul>{}</ul></div>'.format(  # other stories' teasers, away from the story's prose
        "".join(f"<li>{step}</li>" for step in STEPS)),
])
def test_items_outside_the_story_are_no_reason_to_read_again(monkeypatch, outside):
    html = _page("", f"<h1>Budget approved</h1><p>{LATER}</p>").replace("<nav>", f"{outside}<nav>")
    readings = []
    real = extract_module.bare_extraction
    monkeypatch.setattr(extract_module, "bare_extraction", lambda *a, **k: readings.append(k) or real(*a, **k))
    article = extract(html, URL)
    assert len(readings) == 1 and STEPS[0] not in article.text and BARE[0][:40] not in article.text


def test_a_text_with_little_of_the_pages_prose_is_read_again(monkeypatch):
    tree = load_html(f"<html><body><p>{STORY}</p><p>{LATER}</p></body></html>")
    calls = []

    def recall_reading(_tree, **options):
        calls.append(options)
        return SimpleNamespace(text=f"{STORY}\n{LATER}")

    monkeypatch.setattr(extract_module, "bare_extraction", recall_reading)
    prose = len(STORY.split()) + len(LATER.split())
    # the balanced reading kept one short line of the page's prose: read again, keep the longer text
    assert extract_module._fuller_text(tree, "https://x.example/a", "Budget approved", prose) == f"{STORY}\n{LATER}"
    assert calls[0]["favor_recall"] is True
    # it kept most of it: no second reading
    assert extract_module._fuller_text(tree, "https://x.example/a", f"{STORY}\n{LATER}", prose) is None
    assert len(calls) == 1
    # the recall mode found no main block either and ran the page's bare text together: not taken
    run_on = SimpleNamespace(text=f"Home Menu {STORY} {LATER}")
    monkeypatch.setattr(extract_module, "bare_extraction", lambda *_, **__: run_on)
    assert extract_module._fuller_text(tree, "https://x.example/a", "Budget approved", prose) is None


def test_a_story_block_dropped_for_its_classes_is_read_without_them(monkeypatch):
    page = (f'<html><body><nav class="menu"><p>{LATER}</p></nav><div class="story-slides" id="s">'
            f'<p class="slide">{STORY}</p><p class="slide">{STORY}</p></div></body></html>')
    tree = load_html(page)

    def reading(tree, **options):  # trafilatura, dropping whatever is classed "slide"
        kept = [p.text for p in tree.iter("p") if "slide" not in (p.get("class") or "")]
        return SimpleNamespace(text="\n".join(kept))

    monkeypatch.setattr(extract_module, "bare_extraction", reading)
    prose = 2 * len(STORY.split()) + len(LATER.split())
    assert extract_module._fuller_text(tree, "https://x.example/a", "Budget approved", prose) == \
        f"{LATER}\n{STORY}\n{STORY}"
    assert tree.find(".//nav").get("class") == "menu"  # only the story's block loses its classes


def test_a_person_in_the_byline_wins_over_an_organisation_credited_in_json_ld():
    json_ld = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Budget approved",'
               ' "author": {"@type": "Organization", "name": "Daily Media Group"}}</script>')
    byline = '<h1>Budget approved</h1><div class="post-author">By Asha Menon, Senior Reporter</div>'
    article = extract(_page(json_ld, byline), URL)
    assert article.authors == ("Asha Menon",)
    alone = extract(_page(json_ld, "<h1>Budget approved</h1>"), URL)
    assert alone.authors == ("Daily Media Group",)  # no person named anywhere: the organisation


def test_a_follow_buttons_words_and_hidden_widgets_are_no_byline():
    widget = ('<h1>Budget approved</h1><div class="follow"><button class="followAuthorBtn">Abbruch</button>'
              '</div><div style="display: none"><span class="author-topics">Themen bearbeiten</span></div>')
    assert extract(_page("", widget), URL).authors == ()
    shown = '<h1>Budget approved</h1><div class="author-name">Asha Menon</div>'
    assert extract(_page("", shown), URL).authors == ("Asha Menon",)


def test_the_copyright_holder_beside_a_writer_is_no_author():
    head = '<meta name="author" content="Rachel Riederer"><meta name="author" content="Conde Nast">'
    body = f"<h1>Budget approved</h1><p>{STORY}</p><footer><p>\u00a9 2023 Conde Nast. All rights reserved.</p></footer>"
    assert extract(_page(head, body), URL).authors == ("Rachel Riederer",)


def test_written_by_in_an_author_box_far_below_the_headline():
    box = f"<h1>Budget approved</h1><p>{STORY}</p><div><h3>Written by Asha Menon</h3><p>Asha covers roads.</p></div>"
    assert extract(_page("", box), URL).authors == ("Asha Menon",)
    label = "<h1>Budget approved</h1><div><span>Written by</span><span>Ravi Kapoor</span></div>"
    assert extract(_page("", label), URL).authors == ("Ravi Kapoor",)
    prose = f"<h1>Budget approved</h1><p>The plan, written by the finance team over a long winter, {STORY}</p>"
    assert extract(_page("", prose), URL).authors == ()


def test_scholarly_metadata_names_each_author_given_name_first():
    head = ('<meta name="citation_title" content="Budget approved">'
            '<meta name="citation_author" content="Menon, Asha"><meta name="citation_author" content="Kapoor, Ravi">'
            '<meta name="citation_author" content="Tanaka, Mei, MD"><meta name="citation_date" content="2024-06-20">')
    article = extract(_page(head, "<h1>Budget approved</h1>"), URL)
    assert article.authors == ("Asha Menon", "Ravi Kapoor", "Mei Tanaka, MD")
    assert article.published_at == "2024-06-20T00:00:00+00:00"


def test_a_by_heading_in_the_sites_menu_is_no_author_box():
    menu = ('<nav><h4>By Industry</h4><ul><li><a href="/media/">For Media</a></li></ul></nav>'
            f'<h1>Budget approved</h1><p>{STORY}</p>')
    assert extract(_page("", menu), URL).authors == ()
    box = f'<h1>Budget approved</h1><p>{STORY}</p><div><h4>By Asha Menon</h4></div>'
    assert extract(_page("", box), URL).authors == ("Asha Menon",)


def test_names_listed_after_a_written_by_label_stay_apart():
    byline = ('<h1>Budget approved</h1><div><span>Written by: <ul><li><a href="/a/">Emily Walker</a></li>'
              '<li><a href="/b/">Casey McDevitt</a></li></ul></span></div>')
    assert extract(_page("", byline), URL).authors == ("Emily Walker", "Casey McDevitt")


def test_trafilaturas_pieces_of_a_credited_organisation_give_way_to_its_whole_name(monkeypatch):
    json_ld = ('<script type="application/ld+json">{"@type": "Article", "headline": "Budget approved",'
               ' "author": {"@type": "Organization", "name": "Center for Drug Evaluation and Research"}}</script>')
    tree = load_html(_page(json_ld, "<h1>Budget approved</h1>"))
    meta = extract_module.read_metadata(tree)
    monkeypatch.setattr(extract_module.trafilatura_metadata, "extract_author", lambda tree: "Center; Research")
    assert extract_module._guessed_authors(tree, meta) == []
    monkeypatch.setattr(extract_module.trafilatura_metadata, "extract_author", lambda tree: "Asha Menon")
    assert extract_module._guessed_authors(tree, meta) == ["Asha Menon"]
    monkeypatch.undo()
    assert extract(_page(json_ld, "<h1>Budget approved</h1>"), URL).authors == (
        "Center for Drug Evaluation and Research",)


@pytest.mark.parametrize(("json_ld", "read"), [
    ('{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Asha Menon"}}', False),
    ('{"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Daily"}}', True),  # no person
    ('{"@type": "NewsArticle"}', True),
])
def test_the_markups_credits_are_read_only_when_structured_data_names_no_one(json_ld, read):
    markup = ('<span class="byline">By Ravi Patel</span><a href="/author/ravi-patel/">Ravi Patel</a>'
               "<div><p>Written by Ravi Patel</p></div>")
    html = _page(f'<script type="application/ld+json">{json_ld}</script>', f"<h1>Budget</h1>{markup}")
    lazy, full = extract_module.analyse(html, URL).meta, extract_module.read_metadata(load_html(html))
    assert full.byline_authors and full.written_by and full.profile_authors
    assert (lazy.byline_authors, lazy.written_by, lazy.profile_authors) == (
        (full.byline_authors, full.written_by, full.profile_authors) if read else ([], [], []))


@pytest.mark.parametrize(("link", "authors"), [
    ('<a href="/author/asha-menon/">Asha Menon</a>', ("Asha Menon",)),
    ('<a href="https://daily.example/authors/ravi">View all posts by Ravi Kapoor</a>', ("Ravi Kapoor",)),
    ('<a href="/people/faculty/">Our Faculty</a>', ()),  # a menu, not a person
    ('<a href="/author/asha-menon/">Read more</a>', ()),  # the address does not spell the text
])
def test_a_link_to_an_authors_page_names_the_author(link, authors):
    html = _page("", f"<h1>Budget approved</h1><div>{link}</div>")
    assert extract(html, URL).authors == authors


def test_the_site_credited_as_the_author_is_the_author_when_no_one_else_is():
    head = '<meta property="og:site_name" content="Daily">'
    article = extract(_page(head, '<h1>Budget approved</h1><div class="post-author">By Daily</div>'),
                      URL)
    assert article.authors == ("Daily",)
    both = extract(_page(head, '<h1>Budget approved</h1><div class="post-author">By Daily</div>'
                               '<div class="post-author">By Asha Menon</div>'),
                   URL)
    assert both.authors == ("Asha Menon",)
    # a person who is the site ("Rick Steves" on Rick Steves' site), credited in structured data
    brand = ('<meta property="og:site_name" content="Asha Menon">'
             '<script type="application/ld+json">{"@type": "Article", "author": {"@type": "Person",'
             ' "name": "Asha Menon"}}</script>')
    assert extract(_page(brand, "<h1>Budget approved</h1>"),
                   URL).authors == ("Asha Menon",)


@pytest.mark.parametrize(("dateline", "authors"), [
    ("<p>Aaron Ricadela | Senior Writer | July 2, 2025</p>", ("Aaron Ricadela",)),
    ("<p>Dec 26, 2025 <span>\u2022</span> <img src='a.png'> Mahua Das in <a href='/c'>Project Management</a></p>",
     ("Mahua Das",)),
    ("<p>July 2, 2025 | Personal finance</p>", ()),  # a section, not a person
])
def test_a_person_named_in_the_dateline_is_the_author(dateline, authors):
    assert extract(_page("", f"<h1>Budget approved</h1>{dateline}"), URL).authors == authors


@pytest.mark.parametrize(("box", "authors"), [
    ("<p><em>This post was written by <a href='/p/v'>Vanessa Mendez, MD</a>, gastroenterologist, Daily Health."
     "</em></p>",
     ("Vanessa Mendez, MD",)),  # not her employer
    ("<div><button><span>All articles by Elliot Raba</span></button></div>", ("Elliot Raba",)),
])
def test_a_credit_below_the_story_names_the_author(box, authors):
    html = _page("", f"<h1>Budget approved</h1><p>{STORY}</p>{box}")
    assert extract(html, URL).authors == authors


@pytest.mark.parametrize(("url", "head", "footer", "authors"), [
    ("https://tobyhede.example/blog/agents", "", "© 2025 Toby Hede. All rights reserved.", ("Toby Hede",)),
    ("https://pollybarks.example/blog/waste", '<meta property="og:site_name" content="Polly Barks">', "",
     ("Polly Barks",)),
    # a first name that the list of first names lacks: no credit (a brand is the likelier reading)
    ("https://owain.blog.example/post", '<meta property="og:site_name" content="Owain Brennan">', "", ()),
    # a business, though its first word is a first name; a person whom the address does not spell
    ("https://austinhardware.example/tips", "", "© 2024 Austin Hardware", ()),
    ("https://daily.example/2024/06/budget", '<meta property="og:site_name" content="Toby Hede">', "", ()),
])
def test_a_personal_sites_owner_writes_its_unsigned_posts(url, head, footer, authors):
    html = _page(head, "<h1>Budget approved</h1>").replace("</body>", f"<footer><p>{footer}</p></footer></body>")
    assert extract(html, url).authors == authors
    signed = _page(head, '<h1>Budget approved</h1><p class="byline">By Asha Menon</p>')
    assert extract(signed.replace("</body>", f"<footer><p>{footer}</p></footer></body>"), url).authors == (
        "Asha Menon",)


@pytest.mark.parametrize(("byline", "authors"), [
    ('<div><span>By</span> <span>Asha Menon</span></div>', ("Asha Menon",)),
    ('<p>Written by Ravi Kapoor ⋅ Senior Review Editor ⋅ Updated March 5, 2025</p>', ("Ravi Kapoor",)),
    ('<p>By Mei Tanaka • 6 min read</p>', ("Mei Tanaka",)),
    ('<div><span>Written by:</span><picture><img src="a.webp"></picture><a>Asha Menon</a></div>', ("Asha Menon",)),
    ('<p>Bylines are what this story is about.</p>', ()),
])
def test_a_byline_in_plain_markup_after_the_headline(byline, authors):
    html = _page("", f"<h1>Budget approved</h1>{byline}")
    assert extract(html, URL).authors == authors


def test_a_bare_year_is_no_publication_date():
    # no date anywhere but the year in the headline: trafilatura would say January 1
    html = _page("", "<h1>The best budget laptops of 2026</h1>")
    article = extract(html, "https://daily.example/reviews/the-best-budget-laptops")
    assert article.published_at is None and article.published_raw is None


@pytest.mark.parametrize(("printed", "expected"), [
    ("December 30, 2013", "December 30, 2013"),  # a story re-published by a new CMS: first appeared then
    ("September 2, 2024", "2024-08-07T12:01:51Z"),  # later than the metadata: an update, not publication
    ("August 6, 2024", "2024-08-07T12:01:51Z"),  # a day apart: time zones, not a re-publication
])
def test_a_printed_date_earlier_than_the_metadata_is_when_the_story_first_appeared(printed, expected):
    json_ld = ('<script type="application/ld+json">{"@type": "Article",'
               ' "datePublished": "2024-08-07T12:01:51Z"}</script>')
    html = _page(json_ld, f"<h1>Budget approved</h1><p>By Asha Menon</p><p>{printed}</p>")
    assert extract(html, URL).published_raw == expected


def test_a_date_printed_under_the_headline_is_the_publication_date():
    html = _page("", "<h1>Budget approved</h1><p>By Asha Menon</p><p>June 3, 2024</p>")
    article = extract(html, URL, timezone="Asia/Kolkata")
    assert article.published_raw == "June 3, 2024"
    assert article.published_at == "2024-06-02T18:30:00+00:00"  # midnight in the site's timezone
    updated = extract(_page("", "<h1>Budget approved</h1><p>Updated June 9, 2024</p>"),
                      URL)
    assert updated.published_raw != "June 9, 2024"


def test_a_date_printed_just_above_the_headline_is_the_publication_date():
    def page(top_bar: str, kicker: str) -> str:
        return ("<html><head><title>Budget approved | Daily</title></head><body>"
                f"<div class='top-bar'><span>{top_bar}</span></div><nav><a href='/'>Home</a><a href='/news'>News</a>"
                f"<a href='/sport'>Sport</a><a href='/weather'>Weather</a></nav><article><header><h5>{kicker}</h5>"
                f"<h1>Budget approved</h1></header><p>{STORY}</p><p>{LATER}</p></article></body></html>")

    assert extract(page("Weather: sunny", "January 23, 2025"), URL).published_raw == "January 23, 2025"
    # the date the site's top bar prints is today's, not the story's: too far above the headline to
    # be read as printed (trafilatura's own guess may still find it, as a last resort)
    assert "November" not in (extract(page("Monday, November 30, 2026", "Roads"), URL).published_raw or "")


def test_page_type_weights_cover_every_feature_and_point_the_right_way():
    from dataclasses import fields

    from crawler.extraction.pagetype import WEIGHTS, PageFeatures

    assert set(WEIGHTS) == {f.name for f in fields(PageFeatures)}
    # signs the fit must keep, or the score has stopped meaning "one story"
    for name in ("schema_article", "og_article", "url_story", "paragraph_ratio", "author"):
        assert WEIGHTS[name] > 0, name
    for name in ("schema_listing", "forum_url", "docs_url", "long_link_ratio", "url_service"):
        assert WEIGHTS[name] < 0, name


def test_the_same_prose_reads_as_a_forum_thread_under_a_forum_url():
    from crawler.extraction.cascade import analyse
    from crawler.extraction.pagetype import page_type_score

    html = _page("", "<h1>Budget approved</h1>")
    story = page_type_score(analyse(html, URL).features)
    thread = page_type_score(analyse(html, "https://forum.daily.example/threads/budget-approved").features)
    assert thread < story


def test_forum_software_decides_before_the_text_is_read(monkeypatch):
    import crawler.extraction.cascade as extract_module

    def no_reading(*args, **kwargs):
        raise AssertionError("the text was read")

    monkeypatch.setattr(extract_module, "bare_extraction", no_reading)
    with pytest.raises(NotAnArticle) as raised:
        extract_module.analyse(_page('<meta name="generator" content="Discourse 3.4.0">', "<h1>Budget approved</h1>"),
                               URL)
    assert (raised.value.reason, raised.value.detail) == ("thread_or_wiki", "made by discourse")


@pytest.mark.parametrize(("generator", "feature"), [("mkdocs-1.6.1", "docs_url"), ("WordPress 6.8", None)])
def test_the_software_that_made_the_page_can_say_documentation(generator, feature):
    from crawler.extraction.cascade import analyse
    from crawler.extraction.pagetype import page_type_score

    url = URL
    plain = analyse(_page("", "<h1>Budget approved</h1>"), url)
    made = analyse(_page(f'<meta name="generator" content="{generator}">', "<h1>Budget approved</h1>"), url)
    for name in ("forum_url", "docs_url"):
        assert getattr(made.features, name) == (1.0 if name == feature else 0.0)
    assert (page_type_score(made.features) < page_type_score(plain.features)) == (feature is not None)


COSTS = [f"Average Costs for Cleaning Services in {city}" for city in ("Austin", "Boston", "Chicago", "Denver",
                                                                       "Miami")]


@pytest.mark.parametrize("schema_type", ["Product", "ProductGroup", "CollectionPage"])
def test_a_shop_or_collection_page_in_structured_data_weighs_against_a_story(schema_type):
    from crawler.extraction.cascade import analyse
    from crawler.extraction.pagetype import page_type_score

    plain = analyse(_page("", "<h1>Budget approved</h1>"), URL)
    head = f'<script type="application/ld+json">{{"@type": "{schema_type}", "name": "Wool Runners"}}</script>'
    shop = analyse(_page(head, "<h1>Budget approved</h1>"), URL)
    assert (plain.features.schema_listing, shop.features.schema_listing) == (0.0, 1.0)
    assert page_type_score(shop.features) < page_type_score(plain.features)


@pytest.mark.parametrize("generator", ["Discourse 2026.3.0-latest", "vBulletin 3.8.11", "MediaWiki 1.46.0-wmf.17"])
def test_a_page_made_by_forum_or_wiki_software_is_no_story_however_it_reads(generator):
    # The same page is a story without the generator, scored high by its structured data and byline.
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Budget approved",'
            ' "datePublished": "2024-06-03", "author": {"@type": "Person", "name": "Jane Roe"}}</script>')
    assert extract(_page(head, "<h1>Budget approved</h1>"), URL).authors == ("Jane Roe",)
    with pytest.raises(NotAnArticle) as raised:
        extract(_page(f'{head}<meta name="generator" content="{generator}">', "<h1>Budget approved</h1>"), URL)
    assert raised.value.reason == "thread_or_wiki"
    assert raised.value.detail == f"made by {generator.split()[0].lower()}"


EXPLANATION = ("<p>You are seeing this because the administrator of this website has set up a proof-of-work check"
               " to protect the server against aggressive scraping of its pages.</p><p>This can and does cause"
               " downtime for the website, which makes its resources inaccessible for everyone who reads it.</p>"
               "<p>The check is a compromise: at the scale of one reader the extra work is small, but for mass"
               " scrapers it adds up and makes scraping much more expensive than it was before.</p>")


@pytest.mark.parametrize("title", ["Making sure you&#39;re not a bot!", "Just a moment...",
                                   "Attention Required! | Cloudflare", "Access to this page has been denied."])
def test_a_bot_challenge_is_no_story_however_long_its_explanation(title):
    html = f"<html><head><title>{title}</title></head><body><main><h1>Hold on</h1>{EXPLANATION}</main></body></html>"
    assert extract(html.replace(title, "Hold on"), URL).title == "Hold on"  # the same page under a story's title
    with pytest.raises(NotAnArticle) as raised:
        extract(html, URL)
    assert raised.value.reason == "bot_challenge"


@pytest.mark.parametrize("schema_type", ["DiscussionForumPosting", "QAPage"])
def test_a_page_that_declares_itself_a_thread_is_no_story(schema_type):
    head = ('<script type="application/ld+json">[{"@type": "Article", "headline": "Budget approved"},'
            f' {{"@type": "{schema_type}", "headline": "Budget approved"}}]</script>')
    with pytest.raises(NotAnArticle) as raised:
        extract(_page(head, "<h1>Budget approved</h1>"), URL)
    assert (raised.value.reason, raised.value.detail) == ("thread_or_wiki", f"schema.org {schema_type.lower()}")


def test_documentation_software_that_also_makes_blogs_does_not_reject_a_story_alone():
    head = ('<meta name="generator" content="mkdocs-1.6.1, mkdocs-material-9.1.0">'
            '<script type="application/ld+json">{"@type": "BlogPosting", "headline": "Budget approved",'
            ' "datePublished": "2024-06-03", "author": {"@type": "Person", "name": "Jane Roe"}}</script>')
    assert extract(_page(head, "<h1>Budget approved</h1>"), URL).title == "Budget approved"


@pytest.mark.parametrize(("url", "detail"), [
    ("https://docs.daily.example/guides/budget-approved-roads", "docs.daily.example/guides/budget-approved-roads"),
    ("https://daily.example/docs/guides/budget-approved-roads", "daily.example/docs/guides/budget-approved-roads"),
])
def test_a_page_in_documentation_is_no_story(url, detail):
    html = _page("", "<h1>Budget approved for rural roads</h1>")
    with pytest.raises(NotAnArticle) as raised:
        extract(html, url)
    assert (raised.value.reason, raised.value.detail) == ("documentation", detail)


@pytest.mark.parametrize("og_type", ["product", "product.group", "product.item"])
def test_a_page_that_declares_itself_a_product_is_no_story(og_type):
    head = ('<script type="application/ld+json">{"@type": "Article", "headline": "Budget approved",'
            ' "author": {"@type": "Person", "name": "Jane Roe"}}</script>')
    assert extract(_page(f'{head}<meta property="og:type" content="website">', "<h1>Budget approved</h1>"), URL)
    with pytest.raises(NotAnArticle) as raised:
        extract(_page(f'{head}<meta property="og:type" content="{og_type}">', "<h1>Budget approved</h1>"), URL)
    assert (raised.value.reason, raised.value.detail) == ("product", f"og:type {og_type}")


@pytest.mark.parametrize("path", ["/news", "/why-us/testimonials/"])
def test_a_section_front_page_is_no_story_however_it_reads(path):
    html = _page("", "<h1>Budget approved for rural roads</h1>")
    assert extract(html, URL).title == "Budget approved for rural roads"  # the same page at a story's URL
    with pytest.raises(NotAnArticle) as raised:
        extract(html, f"https://daily.example{path}")
    assert (raised.value.reason, raised.value.detail) == ("section_front", path)


def test_paragraphs_that_are_each_one_link_are_a_list_of_other_pages():
    # As a site builder sets "see also" lists: trafilatura tests link density on lists and on
    # short paragraphs only, so it reads most of these as the story's last lines.
    links = "".join(f'<p><a href="/blog/{n}"><strong>{title}</strong></a></p>' for n, title in enumerate(COSTS))
    html = f"{HEAD}<article>{STORY_BLOCK}{links}</article></body></html>"
    assert extract(html, URL).text == f"{STORY}\n{LATER}"


def test_a_few_linked_paragraphs_or_paragraphs_with_more_than_a_link_stay():
    few = "".join(f'<p><a href="/blog/{n}">{title}</a></p>' for n, title in enumerate(COSTS[:3]))
    linked = "".join(f'<p><a href="/blog/{n}">{title}</a>, where prices rose.</p>' for n, title in enumerate(COSTS))
    for links, kept in ((few, COSTS[0]), (linked, f"{COSTS[-1]}, where prices rose.")):
        html = f"{HEAD}<article>{STORY_BLOCK}{links}</article></body></html>"
        assert kept in extract(html, URL).text.splitlines()


def _card(href: str, headline: str, lead: str) -> str:
    return f'<li><a href="{href}"><h3>{headline}</h3><p>{lead}</p></a></li>'


def test_cards_of_the_sites_other_stories_leave_the_text():  # issue 28
    # A box of related stories set as cards: a link around a headline and the first lines of
    # another story. trafilatura weighs the links inside an element, not one around it, and
    # keeps them as the story's last lines.
    other = "The mayor opened the new bridge over the river on Monday, ahead of the holiday traffic"
    cards = "".join(_card(f"/2024/06/story-{n}", f"Bridge opens in {city}", f"{other} in {city}")
                    for n, city in enumerate(("Austin", "Boston", "Chicago")))
    html = f"{HEAD}<article>{STORY_BLOCK}<ul>{cards}</ul></article></body></html>"
    assert extract(html, URL).text == f"{STORY}\n{LATER}"


@pytest.mark.parametrize("href", ["https://shop.example/bread-maker", "#costs", f"{URL}#costs"])
def test_a_heading_linked_to_another_site_or_to_this_page_stays(href):
    # a product on another site, a part of this page: no card of another story
    part = (f'<a href="{href}"><h3>The bread maker we chose</h3></a><p>It bakes a loaf in three hours, '
            "quietly, and costs less than the others we tried this year.</p>")
    html = f"{HEAD}<article>{STORY_BLOCK}{part}</article></body></html>"
    assert "The bread maker we chose" in extract(html, URL).text.splitlines()


def test_the_storys_own_card_under_another_url_keeps_its_lines():
    # a box of related stories that lists the story itself, at its URL with a campaign query
    own = _card(f"{URL}?from=related", "Budget approved for rural roads", STORY)  # its lead: the first lines
    html = f"{HEAD}<article>{STORY_BLOCK}<ul>{own}</ul></article></body></html>"
    assert extract(html, URL).text.startswith(STORY)


def test_a_page_that_does_not_declare_its_language_has_it_detected():  # issue 28
    german = ("Der Stadtrat hat am Mittwoch nach langer Debatte den Haushalt für die Sanierung der Straßen "
              "auf dem Land beschlossen. Die Opposition kritisierte die hohen Kosten und forderte mehr Geld "
              "für Schulen und Kindergärten in den Gemeinden. ") * 3
    html = ("<html><head><title>Haushalt beschlossen</title></head><body><article><h1>Haushalt beschlossen</h1>"
            f"<p>{german}</p><p>{german}</p></article></body></html>")
    assert extract(html, URL).language == "de"
    assert extract(html.replace("<html>", '<html lang="de-AT">'), URL).language == "de-AT"  # declared wins


def test_a_brief_on_a_page_that_plainly_reads_as_a_story_is_kept_flagged_uncertain():  # issue 28
    brief = ("Der Stadtrat hat am Mittwoch den Haushalt beschlossen. Die Opposition stimmte dagegen, "
             "die Debatte war kurz und endete vor dem Mittag.")  # 24 words: a brief
    json_ld = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Haushalt beschlossen",'
               ' "datePublished": "2024-06-05T10:00:00+02:00", "author": {"@type": "Person", "name": "Anna Schmidt"}}'
               '</script><meta property="og:type" content="article">')
    html = (f"<html><head><title>Haushalt beschlossen</title>{json_ld}</head><body><article>"
            f"<h1>Haushalt beschlossen</h1><p>{brief}</p></article></body></html>")
    url = "https://news.example/2024/06/05/haushalt-beschlossen-stadtrat-debatte"
    article = extract(html, url)
    assert article.uncertain and article.word_count < 40 and article.authors == ("Anna Schmidt",)
    with pytest.raises(NotAnArticle) as short:  # the same words on a page with no sign of a story
        extract(f"<html><head><title>Haushalt</title></head><body><div><p>{brief}</p></div></body></html>",
                "https://news.example/haushalt")
    assert short.value.reason == "too_short" and short.value.score is not None
    assert not extract(_page("", "<h1>Budget approved</h1>"), URL).uncertain


def test_the_pages_box_of_labels_gives_its_tags_and_categories_when_the_metadata_declares_none():
    body = ('<nav><a href="/tag/trending/">Trending</a></nav><h1>Budget approved for roads</h1>'
            f'<p>{STORY}</p><div class="entry-meta"><a href="/category/politics/">Politics</a></div>'
            '<div class="post-tags"><span>Tags:</span> <a href="/tag/roads/">roads</a>'
            '<a href="/tags/budget-2026/">#budget 2026</a><a href="/about/">About us</a></div>'
            '<div class="related"><a href="/tag/roads/the-next-big-plan-for-every-road-in-the-county">'
            'The next big plan for every road in the county</a></div>')
    article = extract(_page("", body), URL)
    assert article.tags == ("roads", "budget 2026")  # not the menu's, not a teaser's headline
    assert article.categories == ("Politics",)
    declared = extract(_page('<meta property="article:tag" content="council">', body), URL)
    assert declared.tags == ("council",)


def test_the_documents_title_is_read_wherever_the_parser_put_it():
    # an ad network's box before <html> makes the parser put the head's elements in the body
    html = ('<div id="ads"><script>var preroll = 1;</script></div><html><head><title>Briefe - Budget approved'
            f' for roads - Blog</title></head><body><svg><title>Share</title></svg><div><p>{STORY}</p></div>'
            '</body></html>')
    url = "https://daily.example/blog/briefe/2010-10-26-18"
    assert extract(html, url).title == "Briefe - Budget approved for roads"


@pytest.mark.parametrize(("line", "published"), [
    # a date line printed earlier than the metadata's date: the story first appeared then
    ("<p>5. Juni 2024</p>", "2024-06-05T00:00:00+00:00"),
    # a date inside a sentence or a citation after the headline is no date line
    ("<p>Protokoll der letzten Sitzung vom 5.6.2024 akzeptiert</p>", "2024-06-20T09:15:00+00:00"),
])
def test_an_earlier_printed_date_wins_only_on_a_line_of_its_own(line, published):
    head = '<meta property="article:published_time" content="2024-06-20T09:15:00Z">'
    html = _page(head, f"<h1>Budget approved for roads</h1>{line}")
    assert extract(html, URL).published_at == published


def test_metadata_is_cut_to_sane_lengths():  # issue 23, item 5: a hostile page's 2,000,000-character title
    from crawler.extraction.article import FIELD_CHARACTERS, LIST_LIMITS

    huge = "word " * 20_000
    tags = "".join(f'<meta property="article:tag" content="tag {n}">' for n in range(500))
    head = f'<meta property="og:title" content="{huge}"><meta name="description" content="{huge}">{tags}'
    article = extract(_page(head, f"<h1>{huge}</h1>"), URL)
    assert len(article.title) <= FIELD_CHARACTERS["title"] and article.title.endswith("\u2026")
    assert len(article.description) <= FIELD_CHARACTERS["description"]
    assert len(article.tags) == LIST_LIMITS["tags"][0] and article.tags[0] == "tag 0"
    short = extract(_page("", "<h1>Budget approved for roads</h1>"), URL)
    assert short.title == "Budget approved for roads"  # what fits is kept as it is


SHOWN = ("The council approved the new budget for rural roads on Tuesday after weeks of talks. "
         "Farmers had asked for repairs since the floods of the spring washed out two bridges. "
         "The mayor said the vote showed that the villages had been heard at last, and thanked the crews. "
         "Opponents said the money would have been better spent on the bus service to the valley towns.")
HIDDEN = ("The second half of the story explains how the money will be spent on each road in the county. "
          "Work starts in the north, where the school buses cannot pass after heavy rain. "
          "The western villages follow in the summer, once the new gravel pits are open. "
          "Crews will then resurface the worst stretches before the winter rains arrive. "
          "The office expects every road to be done within three years, if prices hold.")


OTHER = ("Elsewhere in the region, the harbour authority reopened the eastern pier after repairs that "
         "took most of the winter. Fishing boats returned on Monday morning, and the market hall opened "
         "its doors again to buyers from the inland towns, who had waited months for the fresh catch.")


def _paywalled(declared: str) -> str:
    """A story page that shows its first paragraphs and declares the whole text in its JSON-LD."""
    data = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                       "headline": "Budget approved for rural roads", "articleBody": declared})
    return (f'<html><head><title>Budget approved for rural roads | Daily</title>'
            f'<script type="application/ld+json">{data}</script></head><body><nav><a href="/">Daily</a></nav>'
            f'<article><h1>Budget approved for rural roads</h1><p>{SHOWN}</p>'
            '<div class="paywall">Subscribe to read on</div></article></body></html>')


@pytest.mark.parametrize("markup", [
    # Markdown, with a CMS's directives
    '{shown}\n\n+++dropcap\n\n[#image: /photos/1]|||A road|||\n\n'
    '{hidden} [More](https://daily.example/x){{: target="_blank"}}\n\n{hidden}',
    "<p>{shown}</p><h2>{hidden}</h2><p>{hidden}</p>",  # HTML
])
def test_a_story_the_page_shows_only_in_part_is_read_whole_from_its_declared_article_body(markup):
    text = extract(_paywalled(markup.format(shown=SHOWN, hidden=HIDDEN)), URL).text
    assert HIDDEN in text  # the part the page does not show
    assert "daily.example" not in text and "+++" not in text and "#image" not in text and "<p>" not in text
    assert "Subscribe" not in text


@pytest.mark.parametrize("declared", [
    f"{HIDDEN}\n{OTHER}",  # another text than the page shows (another story's)
    f"{SHOWN}\n{HIDDEN}\n" * 2,  # the text declared twice over, as some CMSs do
    f"{SHOWN}\n{HIDDEN[:80]}",  # no more than the page shows, give or take
])
def test_a_declared_article_body_that_is_not_the_whole_shown_story_is_not_read(declared):
    text = extract(_paywalled(declared), URL).text
    assert HIDDEN[:80] not in text and SHOWN in text


@pytest.mark.parametrize(("declared", "title"), [
    ("Drivers wait for the new road", "Drivers wait for the new road"),  # the headline alone
    ("Budget row: Drivers wait for the new road", "Drivers wait for the new road"),  # behind its own kicker
    # the kicker is part of the declared title too: it is the headline's
    ("Rural roads - Drivers wait for the new road", "Rural roads - Drivers wait for the new road"),
    # the same kicker reworded: the line before the dash is part of the headline (a quote's first half)
    ("Rural and remote roads - Drivers wait for the new road", "Rural roads - Drivers wait for the new road"),
])
def test_a_kicker_before_the_headline_in_the_h1_is_not_part_of_it(declared, title):
    head = f'<meta property="og:title" content="{declared}">'
    html = _page(head, '<h1><span class="kicker">Rural roads</span> - <span>Drivers wait for the new road</span></h1>')
    assert extract(html, URL).title == title


def _credited(byline: str, credit: str = "Daily Courier", publisher: str = "Daily Courier") -> str:
    """A story whose JSON-LD credits its publisher as the author (typed as a person)."""
    data = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Budget approved",
                       "author": {"@type": "Person", "name": credit},
                       "publisher": {"@type": "Organization", "name": publisher}})
    return (f'<html><head><title>Budget approved | Courier</title><script type="application/ld+json">{data}'
            f'</script></head><body><article><h1>Budget approved</h1>{byline}<p>{SHOWN}</p><p>{HIDDEN}</p>'
            '</article></body></html>')


def test_a_publisher_credited_as_the_author_gives_way_to_the_byline_the_page_prints():
    assert extract(_credited('<p class="byline">By Jane Roe</p>'), URL).authors == ("Jane Roe",)
    # no one else named: the publisher is the credit there is
    assert extract(_credited(""), URL).authors == ("Daily Courier",)


@pytest.mark.parametrize(("credit", "publisher"), [
    ("LTO", "Legal Tribune Online"),  # its initials
    ("DailyCourier", "dailycourier.example"),  # its host name
])
def test_the_publisher_credited_by_a_short_form_of_its_name_gives_way_to_the_byline(credit, publisher):
    byline = '<p class="byline">By Jane Roe</p>'
    assert extract(_credited(byline, credit, publisher), URL).authors == ("Jane Roe",)
    assert extract(_credited("", credit, publisher), URL).authors == (credit,)
    # initials that are not the publisher's are a credit of their own
    assert extract(_credited(byline, "LTA", publisher), URL).authors == ("LTA",)


def test_a_headline_repeated_after_the_story_leaves_the_story_above_it():
    """trafeval (zeit.de): the story's first paragraph, then a paywall's box with the headline and
    the teaser. What is above a headline goes with it only when less than what follows it."""
    title = "Budget approved for rural roads"
    story = f"{SHOWN}\n{title}\nThe council approves the roads budget."
    assert extract_module._without_headline(story, title) == f"{SHOWN}\nThe council approves the roads budget."
    kicker = f"Roads\n{title}\n{SHOWN}"  # a kicker above the headline: goes with it
    assert extract_module._without_headline(kicker, title) == SHOWN


def _dated(*published: str, printed: str) -> str:
    """A story whose structured data gives ``published`` dates, in order, and that prints ``printed``."""
    items = "".join(f'<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", "datePublished": p})}'
                    "</script>" for p in published)
    return (f"<html><head><title>Budget approved</title>{items}</head><body><article><h1>Budget approved</h1>"
            f"<p>{printed}</p><p>{SHOWN}</p><p>{HIDDEN}</p></article></body></html>")


def test_the_structured_date_that_names_the_printed_day_is_the_publication_date():
    # a draft's date first, the story's second; the page prints the story's day
    article = extract(_dated("2023-11-03T10:25:56+00:00", "2023-11-06T14:25:00+00:00", printed="6. November 2023"),
                      URL)
    assert article.published_at == "2023-11-06T14:25:00+00:00"
    # the day in the date's own offset: 00:04 on the 19th in Vienna is the 18th in UTC
    article = extract(_dated("2019-10-17T08:00:00Z", "2019-10-19T00:04:00+02:00", printed="19. Oktober 2019"), URL)
    assert article.published_at == "2019-10-18T22:04:00+00:00"


def test_an_edition_date_does_not_displace_the_time_a_story_went_online():
    article = extract(_dated("2024-04-25T19:30:04+02:00", "2024-04-26", printed="26.04.2024"), URL)
    assert article.published_at == "2024-04-25T17:30:04+00:00"


def test_a_short_headline_after_a_long_line_in_the_h1_is_no_kicker_s_headline():
    # "- Roads" ends a headline; it does not follow a kicker
    heading = "County budget debate - Roads"
    assert extract_module._as_declared(heading, ["Roads"]) == heading


@pytest.mark.parametrize("page", [
    f"<!DOCTYPE html><html><body><form><input name=q><select><option>A</select></form><p>{SEED.body_text[:300]}</p>"
    "<!-- a comment --></body></html>",
    '<?xml version="1.0" encoding="utf-8"?><html><head><title>T</title></head><body><p>Körper</p></body></html>',
    "<html><body><p>a</p></html>trailing <b>text</b>",
    "<!doctype html><p>no html element, no body</p>",
], ids=["form", "xml-declaration", "trailing", "fragment"])
def test_pages_are_parsed_into_the_tree_trafilatura_reads(page):
    ours, theirs = extract_module.parse_html(page), load_html(page)
    assert theirs is not None
    assert ours is not None
    assert extract_module.etree.tostring(ours, encoding="unicode") == \
        extract_module.etree.tostring(theirs, encoding="unicode")
    assert all(isinstance(el, extract_module.lxml_html.HtmlElement) for el in ours.iter(extract_module.etree.Element))


def test_text_that_is_no_html_document_has_no_tree():
    assert extract_module.parse_html('{"json": "not a page"}') is None
    with pytest.raises(NotAnArticle, match="no HTML document"):
        extract_module.analyse('{"json": "not a page"}', URL)


@pytest.mark.parametrize("field", [
    "<ul><li><strong>Datum</strong> 28.04.2023</li><li><strong>Autorin/Autor</strong> Roman Goncharenko</li></ul>",
    "<dl><dt>Author:</dt><dd>Roman Goncharenko</dd></dl>",
])
def test_a_credit_set_out_as_a_labelled_field_names_the_author(field):
    html = (f"<html><head><title>Budget approved</title></head><body><article><h1>Budget approved</h1>"
            f"<p>{SHOWN}</p><p>{HIDDEN}</p></article><aside><a href='/other'>Other story</a></aside>"
            f"<div class='group'>{field}</div></body></html>")
    assert extract(html, URL).authors == ("Roman Goncharenko",)
    # read as a labelled field (a dl's "Author:" also reads as a byline after the headline)
    assert extract_module.read_metadata(extract_module.parse_html(html)).field_authors == ["Roman Goncharenko"]


def test_the_publisher_credited_with_its_own_address_gives_way_to_the_credit_the_page_prints():
    data = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Budget approved",
                       "author": {"@type": "Person", "name": "Deutsche Welle (www.dw.com)"}})
    page = (f'<html><head><meta property="og:site_name" content="DW.COM"><script type="application/ld+json">'
            f'{data}</script></head><body><article><h1>Budget approved</h1><p>{SHOWN}</p><p>{HIDDEN}</p>'
            "</article><ul><li><strong>Autorin/Autor</strong> Roman Goncharenko</li></ul></body></html>")
    assert extract(page, URL).authors == ("Roman Goncharenko",)
    assert extract(page.replace("Autorin/Autor", "Themen"), URL).authors == ("Deutsche Welle",)


@pytest.mark.parametrize(("last", "authors"), [
    ("Lê Phương", ("Lê Phương",)),  # the writer signs the story
    ("Kreole: Stella Hoops", ()),  # a label's value
    ("HAPPY NEW YEAR", ()),  # a heading in capitals
    ("Happy Christmas!", ()),  # a greeting
])
def test_a_name_alone_on_the_storys_last_line_signs_it(last, authors):
    html = (f"<html><head><title>Budget approved</title></head><body><article><h1>Budget approved</h1>"
            f"<p>{SHOWN}</p><p>{HIDDEN}</p><p style='text-align:right'><strong>{last}</strong></p></article>"
            "</body></html>")
    article = extract(html, URL)
    assert article.authors == authors
    assert article.text.splitlines()[-1] == last  # the sign-off stays in the text, as readers see it


@pytest.mark.parametrize(("element", "expected"), [
    ('<time datetime="2020-12-03T07:32:49Z">3 Dec 2020</time>', "31. Oktober 2023"),  # a teaser's, years off
    ('<time datetime="2023-10-31T09:30:10+01:00">heute</time>', "2023-10-31T09:30:10+01:00"),  # the same day
    ('<time datetime="2023-10-30T09:30:10+01:00">gestern</time>', "2023-10-30T09:30:10+01:00"),  # a day apart
])
def test_a_time_element_days_away_from_the_date_under_the_headline_is_not_the_storys(element, expected):
    html = _page("", f"<h1>Budget approved</h1><p>Von Anna Schmidt</p><p>31. Oktober 2023</p>"
                     f"<aside>{element}</aside>")
    assert extract(html, URL).published_raw == expected


@pytest.mark.parametrize(("site_name", "blog_h1", "og_title", "in_title"), [
    # another dash
    ("DaF Blog - MMF3 Spring", "DaF Blog \u2013 MMF3 Spring", "Giving advice", "DaF Blog - MMF3 Spring"),
    # the site's host name without its suffix (its og:title names the site too, and shares a word with it)
    ("Beige.de", "Beige", "Beige.de", "Beige"),
])
def test_an_h1_that_is_the_sites_name_written_otherwise_is_no_headline(site_name, blog_h1, og_title, in_title):
    html = (f'<html><head><title>Giving advice | {in_title}</title><meta property="og:site_name" '
            f'content="{site_name}"><meta property="og:title" content="{og_title}"></head><body>'
            f"<h1>{blog_h1}</h1><h1>Giving advice</h1><p>{STORY}</p><p>{STORY}</p></body></html>")
    assert extract(html, URL).title == "Giving advice"


def test_without_an_h1_an_element_classed_title_that_the_document_title_does_not_name_is_no_headline():
    html = ("<html><head><title>Malaga, the lively city of Andalusia</title></head><body>"
            "<h2 class='widget-title'>Uncategorized</h2><h2>Malaga, the lively city of Andalusia</h2>"
            f"<p>{STORY}</p><p>{STORY}</p><h3 class='comment-reply-title'>Write a Reply or Comment</h3></body></html>")
    assert extract(html, URL).title == "Malaga, the lively city of Andalusia"


def test_the_site_named_around_a_declared_headline_typed_with_another_ellipsis_is_no_headline():
    html = ('<html><head><title>Everything has its time\u2026 | Market for a good life</title>'
            '<meta property="og:title" content="Everything has its time..."></head><body>'
            "<h1>Market for a good life</h1><h1>Everything has its time\u2026</h1>"
            f"<p>{STORY}</p><p>{STORY}</p></body></html>")
    assert extract(html, URL).title == "Everything has its time\u2026"


def test_a_declared_title_that_is_the_sites_name_does_not_make_the_headline_a_site_name():
    html = ('<html><head><title>Giving advice | Beige.de</title><meta property="og:site_name" content="Beige.de">'
            '<meta property="og:title" content="Beige.de"></head><body>'
            f"<h1>Beige</h1><h1>Giving advice</h1><p>{STORY}</p><p>{STORY}</p></body></html>")
    assert extract(html, URL).title == "Giving advice"


# A bad value costs its field, never the story (found by an adversarial review): each of these
# raised out of extract() (LookupError, ValueError, OverflowError, RecursionError) or made
# trafilatura drop the whole text.
@pytest.mark.parametrize("head", [
    '<meta charset="base64">', '<meta charset="rot13">', '<meta charset="idna">',
    '<meta property="article:published_time" content="2024-06-03T10:00:00+99:00">',
    '<meta property="article:published_time" content="9999-12-31T23:59:59-05:00">',
    '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00+05:00"}'
    '</script>',
    '<script type="application/ld+json">' + "[" * 100_000 + "</script>",
    '<script type="application/ld+json">{"@type": "NewsArticle", "author": ' + "[" * 900 + '"Bob Roe"' + "]" * 900
    + ', "keywords": ' + "[" * 900 + '"roads"' + "]" * 900 + "}</script>",
    '<link rel="canonical" href="http://[::1/x">',
], ids=["base64", "rot13", "idna", "offset-99h", "year-9999", "year-1", "json-ld-100000-deep",
        "author-900-deep", "canonical-no-url"])
def test_a_bad_metadata_value_costs_its_field_not_the_story(head):
    article = extract(_page(head, "<h1>Budget approved for rural roads</h1>").encode("utf-8"), URL)
    assert article.title == "Budget approved for rural roads"
    assert article.word_count >= len(STORY.split()) and article.url == URL
    assert article.published_at is None and article.authors == ()


def test_a_reference_to_a_control_character_is_left_out_not_the_story():
    head, body = "<h1>Budget &#x1b;approved for rural roads</h1>", f"<p>Roads &#1;first.{STORY}&#xFFFF;</p>"
    article = extract(_page("", head + body), URL)
    assert article.title == "Budget approved for rural roads"
    assert "Roads first." in article.text and article.word_count > len(STORY.split())
    kept = extract(_page("", "<h1>Budget approved for rural roads</h1><p>Tab&#9;and&#10;&#8217;quotes</p>"), URL)
    assert "Tab\tand" in kept.text or "Tab and" in kept.text  # tab, line ends and other references stay


def test_a_charset_that_is_no_text_encoding_in_the_header_reads_the_page_as_utf8():
    article = extract(_page("", "<h1>Budget approved for rural roads – at last</h1>").encode("utf-8"), URL,
                      content_type="text/html; charset=zlib_codec")
    assert article.title == "Budget approved for rural roads – at last"


@pytest.mark.parametrize(("url", "stored"), [
    ("http://daily.example:99999/2024/06/budget", "http://daily.example:99999/2024/06/budget"),  # kept as written
    ("https://[::1]:8443/2024/06/budget", "https://[::1]:8443/2024/06/budget"),  # an IPv6 host keeps its brackets
])
def test_a_url_that_cannot_be_folded_is_stored_as_written(url, stored):
    assert extract(_page("", "<h1>Budget approved for rural roads</h1>"), url).url == stored


def test_a_page_of_more_elements_than_any_story_has_is_rejected_before_reading():
    """100,000 tiny paragraphs took trafilatura 11 s and 250 MB (an adversarial review); the page is
    rejected as too complex, its capture kept as every rejected page's is."""
    from crawler.extraction.cascade import MAX_ELEMENTS

    dump = _page("", "<h1>Budget approved for rural roads</h1>" + "<p>a b</p>" * MAX_ELEMENTS)
    with pytest.raises(NotAnArticle) as rejected:
        extract(dump, URL)
    assert rejected.value.reason == "too_complex" and f"{MAX_ELEMENTS:,}" in str(rejected.value)
    paragraphs = "".join(f"<p>Part {n}: the council met again on day {n} and voted on road {n}.</p>"
                         for n in range(5000))  # 10,000 elements: more than most pages, still read
    assert extract(_page("", "<h1>Budget approved for rural roads</h1>" + paragraphs), URL).word_count > 10_000


def test_the_headline_declared_for_search_and_sharing_is_kept_beside_the_shown_one():
    seo = ('<meta property="og:site_name" content="Daily">'
           '<meta property="og:title" content="Roads budget: what the council approved and when work starts | Daily">')
    article = extract(_page(seo, "<h1>Budget approved for rural roads</h1>"), URL)
    assert article.title == "Budget approved for rural roads"
    assert article.declared_title == "Roads budget: what the council approved and when work starts"
    same = '<meta property="og:title" content="Budget approved for rural roads | Daily">'
    assert extract(_page(same, "<h1>Budget approved for rural roads</h1>"), URL).declared_title is None
    assert extract(_page("", "<h1>Budget approved for rural roads</h1>"), URL).declared_title is None
    # a dash part of the shown headline is its own in the declared one too (a review: "Wahl in Bayern")
    dashed = '<meta property="og:title" content="Roads budget approved – what the council decided">'
    shown = extract(_page(dashed, "<h1>Roads budget approved – what the council decided</h1>"), URL)
    assert shown.title == "Roads budget approved – what the council decided" and shown.declared_title is None


def test_a_page_nested_past_the_parsers_depth_is_too_complex_not_too_short():
    """libxml2 stops reading at 256 levels: the story below was never read, so its length says
    nothing (an adversarial review: "too_short, 0 words"). A page nested less deep reads whole."""
    def nested(depth: int) -> str:
        return _page("", "<div>" * depth + "<h1>Budget approved for rural roads</h1>" + "</div>" * depth)

    with pytest.raises(NotAnArticle) as rejected:
        extract(nested(300), URL)
    assert rejected.value.reason == "too_complex" and "256 levels" in str(rejected.value)
    assert extract(nested(200), URL).title == "Budget approved for rural roads"
