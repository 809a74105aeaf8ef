"""HTML of the sample news site: three article templates and the listing pages around them.

The templates copy the shape of real CMS output (Blogger, WordPress, a newsroom with JSON-LD),
including the boilerplate that extraction must leave out.
"""

from __future__ import annotations

import json
from datetime import UTC
from html import escape
from urllib.parse import quote

from .content import ALL_SECTIONS, DemoArticle, DemoSite, slugify

SITE_NAME = "Demo Daily"


def _page(title: str, body: str, *, head: str = "", og_type: str = "website", lang: str = "en",
          charset_meta: str = '<meta charset="utf-8">') -> str:
    nav = "".join(f'<li><a href="/section/{s}/">{s.title()}</a></li>' for s in ALL_SECTIONS)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
{charset_meta}
<title>{escape(title)}</title>
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:type" content="{og_type}">
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="/feed.xml">
{head}
</head>
<body>
<header class="site-header">
<a class="logo" href="/">{SITE_NAME}</a>
<nav class="main-nav"><ul><li><a href="/">Home</a></li>{nav}<li><a href="/about.html">About us</a></li></ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"></form>
</header>
<main id="main">
{body}
</main>
<footer class="site-footer">
<p>&copy; 2024 {SITE_NAME}. All rights reserved. <a href="/about.html">About</a> &middot;
<a href="/private/">Staff area</a></p>
</footer>
</body>
</html>
"""


def author_href(name: str) -> str:
    return f"/author/{quote(slugify(name))}/"


def tag_href(tag: str) -> str:
    return f"/tag/{quote(slugify(tag))}/"


def with_query(path: str, query: str) -> str:
    """``path`` with ``query`` added, after the query it may already have."""
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _iso(article: DemoArticle) -> str:
    return article.published.isoformat()


def _body_html(article: DemoArticle) -> str:
    return "\n".join(f"<{b.kind}>{escape(b.text)}</{b.kind}>" for b in article.blocks)


def _popular(site: DemoSite, article: DemoArticle) -> str:
    others = [a for a in site.stories[:5] if a is not article][:4]
    items = "".join(
        f'<li><a href="{a.path}">{escape(a.title)}</a><p class="snippet">{escape(a.description)}</p></li>'
        for a in others
    )
    return f'<aside id="sidebar"><div class="widget PopularPosts"><h2>Popular Posts</h2><ul>{items}</ul></div></aside>'


def _neighbours(site: DemoSite, article: DemoArticle) -> tuple[DemoArticle | None, DemoArticle | None]:
    index = site.position(article)
    newer = site.stories[index - 1] if index > 0 else None
    older = site.stories[index + 1] if index + 1 < len(site.stories) else None
    return newer, older


def blogger(site: DemoSite, article: DemoArticle) -> str:
    newer, older = _neighbours(site, article)
    labels = ", ".join(
        f'<a href="/search/label/{quote(t)}" rel="tag">{escape(t)}</a>' for t in article.tags
    )
    share = "".join(
        f'<a class="share-button {cls}" href="https://{host}/share?u={quote(article.path)}">{label}</a>'
        for cls, host, label in (("facebook", "www.facebook.com", "Facebook"),
                                 ("twitter", "twitter.com", "Twitter"),
                                 ("whatsapp", "wa.me", "WhatsApp"))
    )
    pager = (
        f'<a class="blog-pager-newer-link" href="{newer.path if newer else "/"}">Previous Post</a> '
        f'<a class="blog-pager-older-link" href="{older.path if older else "/"}">Next Post</a>'
    )
    body = f"""<div class="blog-posts hfeed">
<div class="post hentry" itemscope itemtype="http://schema.org/BlogPosting">
<h1 class="post-title entry-title" itemprop="headline">{escape(article.title)}</h1>
<div class="post-header">
<span class="post-author vcard">Posted by {" and ".join(f'<span class="fn" itemprop="author">{escape(n)}</span>' for n in article.authors)}</span>
<abbr class="published" itemprop="datePublished" title="{_iso(article)}">{article.published:%B %d, %Y}</abbr>
</div>
<div class="post-share-buttons">Share: {share}</div>
<div class="post-body entry-content" itemprop="articleBody">
{_body_html(article)}
</div>
<div class="post-footer"><div class="post-labels">Tags: {labels}</div></div>
<div class="blog-pager" id="blog-pager">{pager}</div>
</div>
</div>
{_popular(site, article)}"""
    return _page(f"{article.title}", body, og_type="article",
                 head=f'<meta name="description" content="{escape(article.description)}">')


def wordpress(site: DemoSite, article: DemoArticle) -> str:
    authors = ", ".join(
        f'<span class="author vcard"><a class="url fn n" href="{author_href(n)}">{escape(n)}</a></span>'
        for n in article.authors
    )
    categories = ", ".join(
        f'<a href="/section/{slugify(c)}/" rel="category tag">{escape(c)}</a>' for c in article.categories
    )
    tags = ", ".join(f'<a href="{tag_href(t)}" rel="tag">{escape(t)}</a>' for t in article.tags)
    related = "".join(
        f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in site.in_section(article.section)[:3]
        if a is not article
    )
    # Themes often print the local wall-clock time without a zone: the site's timezone applies.
    naive = article.published.replace(tzinfo=None).isoformat()
    body = f"""<div id="primary" class="content-area">
<article id="post-{article.number}" class="post type-post status-publish format-standard hentry">
<header class="entry-header">
<h1 class="entry-title">{escape(article.title)}</h1>
<div class="entry-meta">
<span class="posted-on">Posted on <time class="entry-date published" datetime="{naive}">{article.published:%B %d, %Y}</time></span>
<span class="byline"> by {authors}</span>
</div>
</header>
<div class="entry-content">
{_body_html(article)}
<div class="sharedaddy"><h3 class="sd-title">Share this:</h3><ul><li><a href="https://twitter.com/intent/tweet">Twitter</a></li><li><a href="https://www.facebook.com/sharer.php">Facebook</a></li></ul></div>
</div>
<footer class="entry-footer">
<span class="cat-links">Posted in {categories}</span>
<span class="tags-links">Tagged {tags}</span>
</footer>
</article>
<nav class="navigation post-navigation"><h2 class="screen-reader-text">Post navigation</h2></nav>
<div class="jp-relatedposts"><h3>Related posts</h3><ul>{related}</ul></div>
<div id="comments" class="comments-area">
<h2 class="comments-title">2 thoughts on &ldquo;{escape(article.title)}&rdquo;</h2>
<ol class="comment-list">
<li class="comment"><div class="comment-author">Ravi K.</div><div class="comment-content"><p>Great reporting, thanks for keeping us informed about this story.</p></div></li>
<li class="comment"><div class="comment-author">M. Silva</div><div class="comment-content"><p>I would like to know what the opposition thinks about all of this.</p></div></li>
</ol>
<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form><textarea name="comment"></textarea></form></div>
</div>
</div>"""
    return _page(f"{article.title} &#8211; {SITE_NAME}".replace("&#8211;", "\u2013"), body,
                 og_type="article")


def newsroom(site: DemoSite, article: DemoArticle) -> str:
    published_utc = article.published.astimezone(UTC).isoformat().replace("+00:00", "Z")
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.description,
        "datePublished": published_utc,
        "author": [{"@type": "Person", "name": n, "url": author_href(n)} for n in article.authors],
        "keywords": list(article.tags),
        "articleSection": article.categories[0],
        "publisher": {"@type": "Organization", "name": SITE_NAME},
    }
    if article.modified:
        data["dateModified"] = article.modified.isoformat()
    byline = " and ".join(
        f'<a rel="author" href="{author_href(n)}">{escape(n)}</a>' for n in article.authors
    )
    blocks = _body_html(article).split("\n")
    newsletter = ('<aside class="newsletter-signup"><h3>Sign up for The Morning Brief</h3>'
                  '<p>Get the day\u2019s top stories in your inbox every morning.</p>'
                  '<form><input type="email" placeholder="Email address"><button>Subscribe</button></form></aside>')
    blocks.insert(min(2, len(blocks)), newsletter)
    tags = "".join(f'<li><a href="{tag_href(t)}">{escape(t)}</a></li>' for t in article.tags)
    head = (
        f'<script type="application/ld+json">{json.dumps(data)}</script>\n'
        f'<meta property="og:title" content="{escape(article.title)} | {SITE_NAME}">\n'
        f'<meta property="article:section" content="{escape(article.categories[0])}">\n'
        f'<meta name="description" content="{escape(article.description)}">'
    )
    body = f"""<article class="story">
<p class="kicker"><a href="/section/{article.section}/">{article.section.title()}</a></p>
<h1 class="headline">{escape(article.title)}</h1>
<p class="byline">By {byline}</p>
<p class="dateline"><time datetime="{published_utc}">{article.published:%d %B %Y, %H:%M} IST</time></p>
<div class="story-body">
{chr(10).join(blocks)}
</div>
<ul class="story-tags">{tags}</ul>
</article>
<section class="more-stories"><h2>More from {SITE_NAME}</h2><ul>{''.join(
        f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in site.stories[:5])}</ul></section>"""
    return _page(f"{article.title} | {SITE_NAME}", body, head=head, og_type="article")


def legacy(site: DemoSite, article: DemoArticle) -> str:
    """A German regional paper's old CMS: ISO-8859-1, declared only in a <meta http-equiv>."""
    body = f"""<div id="artikel">
<h1>{escape(article.title)}</h1>
<p class="autor">Von {escape(article.authors[0])} &middot;
<span class="datum" itemprop="datePublished" content="{_iso(article)}">{article.published:%d.%m.%Y, %H:%M} Uhr</span></p>
<div class="artikeltext">
{_body_html(article)}
</div>
<p class="schlagworte">Schlagworte: {", ".join(f'<a href="{tag_href(t)}" rel="tag">{escape(t)}</a>' for t in article.tags)}</p>
</div>
<div class="weitere"><h3>Weitere Artikel</h3><ul>{''.join(
        f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in site.in_section(article.section)[:3] if a is not article)}</ul></div>"""
    return _page(f"{article.title} - {SITE_NAME}", body, og_type="article", lang="de",
                 charset_meta='<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')


def ja_newsroom(site: DemoSite, article: DemoArticle) -> str:
    """A Japanese newsroom: Shift_JIS, declared only in <meta charset>; JSON-LD dates at +09:00.

    Only what Shift_JIS can spell goes on the page (no teasers of other stories: Korean has no place in it).
    """
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.description,
        "datePublished": article.published.isoformat(),
        "dateModified": (article.modified or article.published).isoformat(),
        "author": [{"@type": "Person", "name": n} for n in article.authors],
        "keywords": list(article.tags),
        "inLanguage": "ja",
        "publisher": {"@type": "Organization", "name": SITE_NAME},
    }
    head = (
        f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>\n'
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f'<meta name="description" content="{escape(article.description)}">'
    )
    when = article.published
    authors = "、".join(escape(n) for n in article.authors)
    keywords = "".join(f'<li><a href="{tag_href(t)}">{escape(t)}</a></li>' for t in article.tags)
    body = f"""<article class="article">
<div class="article-header">
<p class="category"><a href="/section/{article.section}/">国際</a></p>
<h1 class="article-title">{escape(article.title)}</h1>
<div class="article-info"><span class="author">{authors}</span>
<time datetime="{when.isoformat()}">{when.year}年{when.month}月{when.day}日 {when:%H:%M}</time></div>
</div>
<div class="article-body">
{_body_html(article)}
</div>
<div class="share">この記事をシェア: <a href="https://twitter.com/share">X</a> <a href="https://www.facebook.com/sharer.php">Facebook</a> <a href="https://line.me/R/msg/text/">LINE</a></div>
<ul class="keywords">{keywords}</ul>
</article>"""
    return _page(f"{article.title} - {SITE_NAME}", body, head=head, og_type="article", lang="ja",
                 charset_meta='<meta charset="Shift_JIS">')


def ko_cms(site: DemoSite, article: DemoArticle) -> str:
    """A Korean news CMS: stories at ``news_view.html?idx=N``, bylines as "name 기자" (reporter; the
    name links to the reporter's page), dates printed as ``2024.06.12 14:20``; the zoned time is
    only in ``article:published_time``."""
    when = article.published
    reporters = ", ".join(f"{escape(n)} 기자" for n in article.authors)
    linked = ", ".join(f'<a href="{author_href(n)}" rel="author">{escape(n)}</a> 기자' for n in article.authors)
    head = (
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f'<meta property="article:published_time" content="{when.isoformat()}">\n'
        f'<meta name="description" content="{escape(article.description)}">'
    )
    related = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>'
                      for a in site.in_section(article.section)[:4] if a is not article)
    body = f"""<div id="article-view">
<header class="article-view-header">
<h1 class="heading">{escape(article.title)}</h1>
<ul class="infomation"><li>{linked}</li><li>입력 {when:%Y.%m.%d %H:%M}</li></ul>
</header>
<div class="article-body">
<article id="article-view-content-div" class="article-veiw-body view-page">
{_body_html(article)}
</article>
</div>
<div class="view-copyright">저작권자 &copy; {SITE_NAME} 무단전재 및 재배포 금지</div>
<div class="view-editors"><span class="names">{reporters}</span> <a href="mailto:desk@demo-daily.example">다른기사 보기</a></div>
</div>
<aside class="auto-article"><h2>많이 본 뉴스</h2><ul>{related}</ul></aside>"""
    return _page(f"{article.title} - {SITE_NAME}", body, head=head, og_type="article", lang="ko")


GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember")


def de_regional(site: DemoSite, article: DemoArticle) -> str:
    """A German regional paper's current CMS, in UTF-8: the day as printed ("5. Juni 2024") over the
    headline, with no date in structured data, <time> or meta tags, and "Von ..." above the text."""
    when = article.published
    printed = f"{when.day}. {GERMAN_MONTHS[when.month - 1]} {when.year}"
    more = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>'
                   for a in site.in_section(article.section)[:3] if a is not article)
    body = f"""<article class="artikel">
<p class="artikel-datum">{printed}</p>
<p class="dachzeile"><a href="/section/{article.section}/">Lokales</a></p>
<h1 class="artikel-titel">{escape(article.title)}</h1>
<div class="artikel-text">
<p class="autor">Von {" und ".join(escape(n) for n in article.authors)}</p>
{_body_html(article)}
</div>
</article>
<div class="weitere"><h3>Mehr aus der Region</h3><ul>{more}</ul></div>"""
    return _page(f"{article.title} | {SITE_NAME}", body, og_type="article", lang="de",
                 head=f'<meta name="description" content="{escape(article.description)}">')


ARTICLE_TEMPLATES = {"blogger": blogger, "wordpress": wordpress, "newsroom": newsroom, "legacy": legacy,
                     "ja_newsroom": ja_newsroom, "ko_cms": ko_cms, "de_regional": de_regional}


def article_page(site: DemoSite, article: DemoArticle) -> str:
    return ARTICLE_TEMPLATES[article.template](site, article)


def _teasers(items: list[DemoArticle]) -> str:
    # Every third link carries tracking parameters, as homepage modules do.
    return "\n".join(
        f"""<article class="teaser">
<h2><a href="{with_query(a.path, 'utm_source=section&utm_medium=web') + '#top' if a.number % 3 == 0 else a.path}">{escape(a.title)}</a></h2>
<p class="meta"><time datetime="{_iso(a)}">{a.published:%B %d, %Y}</time> by
{", ".join(f'<a href="{author_href(n)}">{escape(n)}</a>' for n in a.authors)}</p>
<p>{escape(a.description)}</p>
<p class="tags">{" ".join(f'<a href="{tag_href(t)}">{escape(t)}</a>' for t in a.tags)}</p>
</article>"""
        for a in items
    )


def listing_page(site: DemoSite, title: str, base_path: str, items: list[DemoArticle], number: int,
                 intro: str = "", extra: str = "") -> str:
    """A paginated list of teasers: a section front, a tag page or an author page."""
    pages = site.pages(items)
    links = []
    if number > 1:
        previous = base_path if number == 2 else f"{base_path}page/{number - 1}/"
        links.append(f'<a class="prev" rel="prev" href="{previous}">Newer posts</a>')
    if number < pages:
        links.append(f'<a class="next" rel="next" href="{base_path}page/{number + 1}/">Older posts</a>')
    body = f"""<h1 class="page-title">{escape(title)}</h1>
{intro}
<div class="post-list">
{_teasers(site.page(items, number))}
</div>
<nav class="pagination">{" ".join(links)} <span>Page {number} of {pages}</span></nav>
{extra}
{_staff_links(site)}"""
    suffix = f" \u2013 Page {number}" if number > 1 else ""
    return _page(f"{title}{suffix} \u2013 {SITE_NAME}", body)


def author_intro(name: str) -> str:
    return (f'<div class="author-bio"><p>{escape(name)} is a correspondent for {SITE_NAME} who '
            "covers public policy, regional economies and the people affected by them. Before "
            "joining the newsroom they reported for several local papers and a radio station, and "
            "they studied economics and journalism. Send tips and story ideas by email; "
            "encrypted messages are welcome.</p></div>")


def about_page() -> str:
    body = f"""<div class="page"><h1>About us</h1>
<p>{SITE_NAME} is an independent newsroom that reports on politics, business, technology and
world affairs. Our reporters work from a dozen cities and our editors check every story before it
is published. We correct our mistakes openly and explain how we report.</p>
<p>We are funded by readers and by advertising that never influences our journalism. To contact the
newsroom, write to the editors; to advertise, contact our commercial team. Our offices are open
Monday to Friday.</p></div>"""
    return _page(f"About us \u2013 {SITE_NAME}", body)


def private_page(path: str) -> str:
    body = f"""<article class="story"><h1 class="headline">Internal memo {escape(path.rsplit("-", 1)[-1].removesuffix(".html"))}</h1>
<p class="dateline"><time datetime="2024-06-21T10:00:00+05:30">21 June 2024</time></p>
<div class="story-body"><p>This page is for staff only and robots.txt asks crawlers to stay away.
It looks like an article on purpose, so that a crawler which ignores robots.txt would archive it.
Editors should not share this note outside the newsroom under any circumstances.</p></div>
</article>"""
    return _page("Internal memo", body, og_type="article")


def _staff_links(site: DemoSite) -> str:
    """Links into the robots.txt-disallowed area, on every listing: a polite crawler skips them."""
    staff = "".join(f'<li><a href="{p}">Staff memo</a></li>' for p in site.private_paths())
    return f'<aside class="staff"><h2>Staff links</h2><ul>{staff}</ul></aside>'


def home_page(site: DemoSite) -> str:
    body = f"""<h1 class="page-title">Latest news</h1>
<div class="post-list">{_teasers(site.stories[:site.page_size])}</div>
{_staff_links(site)}"""
    return _page(f"{SITE_NAME} \u2013 News from around the world", body)


def not_found_page() -> str:
    return _page(f"Page not found \u2013 {SITE_NAME}", "<h1>Page not found</h1>")


def bot_wall_page() -> str:
    """What a site behind an anti-bot service answers a crawler it has started to challenge."""
    return ("<!DOCTYPE html><html lang=\"en\"><head><title>Just a moment...</title></head><body>"
            "<h1>Checking if the site connection is secure</h1><p>Enable JavaScript and cookies to continue.</p>"
            "</body></html>")


def robots_txt(base_url: str, crawl_delay: float | None = None) -> str:
    delay = f"Crawl-delay: {crawl_delay:g}\n" if crawl_delay else ""
    return (f"User-agent: *\n{delay}Disallow: /private/\nDisallow: /search\n\n"
            f"Sitemap: {base_url.rstrip('/')}/sitemap.xml\n")


def editors_picks(site: DemoSite) -> str:
    """Links to the traps real sites have, on the first page of the world section."""
    old = site.stories[-1]
    links = [
        ("/2024/01/deleted-story.html", "A story that was deleted"),
        ("/2024/01/withdrawn-story.html", "A story that was withdrawn"),
        ("/2024/02/slow-story.html", "A story on a very slow server"),
        ("/2024/03/huge-story.html", "A story with an enormous page"),
        ("/2024/05/annual-report.html", "Our annual report (PDF)"),
        ("/2024/05/photo-gallery.html", "Photo gallery"),
        ("/loop/2024/06/loop-a.html", "A story stuck in a redirect loop"),
        ("/old" + old.path, escape(old.title) + " (old link)"),
        ("https://othernews.example/2024/06/partner-story.html", "From our partners"),
        ("mailto:tips@demo-daily.example", "Send us a tip"),
    ]
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return f'<aside class="editors-picks"><h2>Editor\u2019s picks</h2><ul>{items}</ul></aside>'


def calendar_page(number: int) -> str:
    """An archive calendar that always has an older page: a crawler must bound it."""
    body = f"""<h1 class="page-title">Archive, page {number}</h1>
<p>Nothing was published on these days.</p>
<nav class="pagination"><a class="next" rel="next" href="/calendar/?page={number + 1}">Older posts</a></nav>"""
    return _page(f"Archive \u2013 Page {number} \u2013 {SITE_NAME}", body)


def _rfc822(when) -> str:
    return when.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def rss(site: DemoSite, base_url: str, count: int = 30) -> str:
    base = base_url.rstrip("/")
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}{with_query(a.path, 'utm_source=rss&amp;utm_medium=feed')}</link>"
        f"<guid isPermaLink=\"false\">demo-{a.number}</guid><pubDate>{_rfc822(a.published)}</pubDate>"
        f"<description>{escape(a.description)}</description></item>"
        for a in site.stories[:count]
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{SITE_NAME}</title>'
            f"<link>{base}/</link><description>Latest news</description>{items}</channel></rss>")


def atom(site: DemoSite, base_url: str, count: int = 30) -> str:
    base = base_url.rstrip("/")
    entries = "".join(
        f'<entry><title>{escape(a.title)}</title><link rel="alternate" href="{base}{a.path}"/>'
        f"<id>tag:demo-daily,2024:{a.number}</id><updated>{(a.modified or a.published).isoformat()}</updated>"
        f"<published>{a.published.isoformat()}</published></entry>"
        for a in site.stories[:count]
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{SITE_NAME}</title><id>{base}/</id><updated>{site.stories[0].published.isoformat()}</updated>"
            f"{entries}</feed>")


def _months(site: DemoSite) -> list[str]:
    return sorted({f"{a.published:%Y-%m}" for a in site.stories}, reverse=True)


def sitemap_index(site: DemoSite, base_url: str) -> str:
    base = base_url.rstrip("/")
    latest = {}
    for a in site.stories:
        latest.setdefault(f"{a.published:%Y-%m}", (a.modified or a.published).isoformat())
    maps = [f"<sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>{site.stories[0].published.isoformat()}</lastmod></sitemap>"]
    maps += [f"<sitemap><loc>{base}/sitemap-{month}.xml</loc><lastmod>{latest[month]}</lastmod></sitemap>"
             for month in _months(site)]
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(maps) + "</sitemapindex>")


def sitemap_month(site: DemoSite, base_url: str, month: str) -> str | None:
    base = base_url.rstrip("/")
    urls = [f"<url><loc>{base}{a.path}</loc><lastmod>{(a.modified or a.published).isoformat()}</lastmod></url>"
            for a in site.in_month(month)]
    if not urls:
        return None
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(urls) + "</urlset>")


def news_sitemap(site: DemoSite, base_url: str) -> str:
    """Google News sitemap: the stories of the last two days before the newest one."""
    base = base_url.rstrip("/")
    newest = site.stories[0].published
    recent = [a for a in site.stories if (newest - a.published).total_seconds() <= 2 * 86400]
    urls = "".join(
        f"<url><loc>{base}{a.path}</loc><news:news><news:publication><news:name>{SITE_NAME}</news:name>"
        f"<news:language>{a.language}</news:language></news:publication>"
        f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
        f"<news:title>{escape(a.title)}</news:title></news:news></url>"
        for a in recent
    )
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + urls + "</urlset>")
