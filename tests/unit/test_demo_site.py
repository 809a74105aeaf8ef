"""The sample news site: deterministic, complete listings, real HTTP on loopback."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.demo_site.content import ALL_SECTIONS, OTHER_LANGUAGES_FROM
from crawler.spiders.news import looks_like_article

OTHER_LANGUAGES = {"ja_newsroom": "ja", "ko_cms": "ko", "de_regional": "de"}


def other_languages(site: DemoSite) -> dict[str, object]:
    return {OTHER_LANGUAGES[a.template]: a for a in site.stories if a.template in OTHER_LANGUAGES}


def test_content_is_deterministic():
    assert [a.body_text for a in DemoSite(articles=50).stories] == [a.body_text for a in DemoSite(articles=50).stories]
    assert DemoSite(articles=50, seed=1).stories[3].title != DemoSite(articles=50, seed=2).stories[3].title


def test_size_on_demand_and_unique_paths():
    site = DemoSite(articles=500)
    assert len(site.stories) == 500
    assert len({a.path for a in site.stories}) == 500


def _links(html: str) -> set[str]:
    """The pages a page links to, without fragments and tracking parameters (a story's own query stays)."""
    links = set()
    for href in re.findall(r'href="([^"]+)"', html):
        path, _, query = href.split("#")[0].partition("?")
        kept = "&".join(p for p in query.split("&") if p and not p.startswith("utm_"))
        links.add(f"{path}?{kept}" if kept else path)
    return links


def test_every_article_is_listed_in_its_section_pages(demo_site, demo_app):
    listed = set()
    for section in ALL_SECTIONS:
        for number in range(1, demo_site.pages(demo_site.in_section(section)) + 1):
            path = f"/section/{section}/" + (f"page/{number}/" if number > 1 else "")
            status, _, html = demo_app.render(path)
            assert status == 200
            listed |= _links(html)
    assert {a.path for a in demo_site.stories} <= listed


def test_all_templates_and_the_seed_are_present(demo_site):
    assert {a.template for a in demo_site.stories} == {"blogger", "wordpress", "newsroom", "legacy",
                                                       "ja_newsroom", "ko_cms", "de_regional"}
    seed = next(a for a in demo_site.stories if a.number == 0)
    assert seed.template == "blogger" and seed.published.utcoffset().total_seconds() == 5.5 * 3600


def test_server_answers_and_records_requests(demo_server):
    with urllib.request.urlopen(demo_server.base_url + "robots.txt") as response:
        assert "Disallow: /private/" in response.read().decode()
    try:
        urllib.request.urlopen(demo_server.base_url + "no/such/page")
    except urllib.error.HTTPError as error:
        assert error.code == 404
    assert demo_server.requests["/robots.txt"] == 1
    assert demo_server.requests["/no/such/page"] == 1


def test_unknown_listing_pages_are_404(demo_app: DemoSiteApp):
    assert demo_app.render("/section/world/page/999/")[0] == 404
    assert demo_app.render("/section/sport/")[0] == 404


def test_gzipped_sitemap_without_content_encoding_is_read(demo_app):
    import gzip

    from crawler.discovery import parse_sitemap

    plain = demo_app.respond("/sitemap-news.xml", 1).body
    assert parse_sitemap(gzip.compress(plain)).urls == parse_sitemap(plain).urls != []


def test_three_stories_in_other_languages_count_among_the_n():
    for articles in (OTHER_LANGUAGES_FROM - 1, OTHER_LANGUAGES_FROM, 120, 500):
        site = DemoSite(articles=articles)
        assert len(site.stories) == articles
        assert len(other_languages(site)) == (3 if articles >= OTHER_LANGUAGES_FROM else 0)
        # The German section keeps its stories: their numbers seed their content.
        german = sorted(a.number for a in site.stories if a.template == "legacy")
        assert german == list(range(articles - articles // 20, articles))
    small, large = other_languages(DemoSite(articles=OTHER_LANGUAGES_FROM)), other_languages(DemoSite(articles=500))
    assert {k: (a.path, a.title, a.body_text, a.published) for k, a in small.items()} == \
           {k: (a.path, a.title, a.body_text, a.published) for k, a in large.items()}
    edited = other_languages(DemoSite(articles=120).next_edition().next_edition())
    assert edited == other_languages(DemoSite(articles=120))  # later editions leave them as they are


def test_japanese_page_is_shift_jis_declared_only_in_its_meta(demo_site, demo_app):
    story = other_languages(demo_site)["ja"]
    reply = demo_app.respond(story.path, 1)
    assert (reply.status, reply.content_type) == (200, "text/html")  # no charset in the HTTP header
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")  # Shift_JIS bytes
    html = reply.body.decode("shift_jis")
    assert '<meta charset="Shift_JIS">' in html and '<html lang="ja">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
    assert data["@type"] == "NewsArticle" and data["headline"] == story.title
    assert data["author"] == [{"@type": "Person", "name": "山田太郎"}]
    assert (data["datePublished"], data["dateModified"]) == ("2024-06-05T10:30:00+09:00", "2024-06-05T18:00:00+09:00")
    assert 600 <= len(story.body_text) <= 1200 and " " not in story.body_text
    assert story.body_text.count("東京") >= 3


def test_korean_story_lives_at_a_query_string_url(demo_site, demo_app, demo_config):
    story = other_languages(demo_site)["ko"]
    assert story.path == "/news_view.html?idx=123"
    status, _, html = demo_app.render(story.path)
    assert status == 200 and story.title in html
    assert re.sub(r"<[^>]+>", "", html).count("홍길동 기자") == 2  # under the headline and under the story
    assert len(story.body_text.split()) >= 150
    assert demo_app.render(story.path + "&utm_source=newsletter")[2] == html  # tracking parameters aside
    for other in ("/news_view.html", "/news_view.html?idx=124"):
        assert demo_app.render(other)[0] == 404
    assert looks_like_article(f"http://127.0.0.1:8765{story.path}", demo_config)  # demo.toml's article_urls
    month = demo_app.render("/sitemap-2024-06.xml")[2]
    assert "/news_view.html?idx=123</loc>" in month


def test_german_page_prints_its_only_date(demo_site, demo_app):
    story = other_languages(demo_site)["de"]
    status, content_type, html = demo_app.render(story.path)
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    for structured in ("<time", "ld+json", "datePublished", "published_time", "itemprop"):
        assert structured not in html
    assert html.index("5. Juni 2024") < html.index("<h1") < html.index("Von Anna Schmidt") \
        < html.index(story.blocks[0].text)
    assert len(story.body_text.split()) >= 200


@pytest.mark.parametrize("edition", [1, 2])
def test_the_sites_lookups_are_what_going_through_every_story_finds(edition):
    """Session 19: a page served went through every story for its section, place and month (3.5 ms
    a page at 20,000 articles); the lookups made once must find the same stories, in order."""
    from crawler.demo_site.content import slugify

    site = DemoSite(articles=300, edition=edition)
    stories = site.stories
    for section in {story.section for story in stories}:
        assert site.in_section(section) == [s for s in stories if s.section == section]
    for month in {f"{story.published:%Y-%m}" for story in stories}:
        assert site.in_month(month) == [s for s in stories if f"{s.published:%Y-%m}" == month]
    for tag in {slugify(t) for story in stories[:40] for t in story.tags}:
        assert site.with_tag(tag) == [s for s in stories if tag in {slugify(t) for t in s.tags}]
    for author in {slugify(a) for story in stories[:40] for a in story.authors}:
        assert site.by_author(author) == [s for s in stories if author in {slugify(a) for a in s.authors}]
    assert [site.position(story) for story in stories] == list(range(len(stories)))
    assert site.in_section("no-such-section") == [] and site.with_tag("no-such-tag") == []
