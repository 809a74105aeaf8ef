"""The sample news site: deterministic, complete listings, real HTTP on loopback."""

from __future__ import annotations

import re
import urllib.request

from crawler.demo_site import DemoSite, DemoSiteApp
from crawler.demo_site.content import ALL_SECTIONS


def test_content_is_deterministic():
    assert [a.body_text for a in DemoSite(articles=50).stories] == [a.body_text for a in DemoSite(articles=50).stories]
    assert DemoSite(articles=50, seed=1).stories[3].title != DemoSite(articles=50, seed=2).stories[3].title


def test_size_on_demand_and_unique_paths():
    site = DemoSite(articles=500)
    assert len(site.stories) == 500
    assert len({a.path for a in site.stories}) == 500


def test_every_article_is_listed_in_its_section_pages(demo_site, demo_app):
    listed = set()
    for section in ALL_SECTIONS:
        for number in range(1, demo_site.pages(demo_site.in_section(section)) + 1):
            path = f"/section/{section}/" + (f"page/{number}/" if number > 1 else "")
            status, _, html = demo_app.render(path)
            assert status == 200
            listed |= set(re.findall(r'href="(/\d{4}/\d{2}/[^"?#]+\.html)[?#"]', html))
    assert {a.path for a in demo_site.stories} <= listed


def test_all_three_templates_and_the_seed_are_present(demo_site):
    assert {a.template for a in demo_site.stories} == {"blogger", "wordpress", "newsroom", "legacy"}
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
