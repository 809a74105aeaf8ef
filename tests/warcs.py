"""Web archives for the import tests, written with warcio as Common Crawl writes CC-NEWS: a
warcinfo record, then request + response + metadata records for each fetch, with CC's headers
(WARC-IP-Address, WARC-Identified-Payload-Type, digests, X-Crawler-* HTTP headers); pages from
the sample news site, served under several hosts."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.demo_site import DemoSite, DemoSiteApp

CC_NEWS_INFO = {
    "software": "StormCrawler 2.10 https://stormcrawler.net/",
    "isPartOf": "CC-NEWS",
    "operator": "Common Crawl Admin (info@commoncrawl.org)",
    "description": "News crawl for Common Crawl",
    "robots": "checked via crawler-commons 1.4 (https://github.com/crawler-commons/crawler-commons)",
    "format": "WARC File Format 1.1",
    "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
}


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


class CCNewsWarc:
    """A WARC file written record by record; ``gzip`` per record (as CC) or plain."""

    def __init__(self, path: Path, gzip: bool = True) -> None:
        self.path = path
        self.stream = open(path, "wb")
        self.writer = WARCWriter(self.stream, gzip=gzip, warc_version="WARC/1.1")
        info = self.writer.create_warcinfo_record(path.name, CC_NEWS_INFO)
        self.info_id = info.rec_headers.get_header("WARC-Record-ID")
        self.writer.write_record(info)

    def fetch(self, url: str, body: bytes, date: str, *, content_type: str | None = "text/html; charset=utf-8",
              status: str = "200 OK", warc_headers: dict[str, str] | None = None,
              http_headers: dict[str, str] | None = None) -> None:
        """A request, its response and CC's metadata record about the fetch (``http_headers`` added
        to the response's)."""
        host = url.split("/")[2]
        common = {"WARC-Date": date, "WARC-IP-Address": "192.0.2.7", "WARC-Warcinfo-ID": self.info_id}
        request = self.writer.create_warc_record(url, "request", http_headers=StatusAndHeaders(
            f"GET /{url.split('/', 3)[3]} HTTP/1.1", [("Host", host), ("User-Agent", "CCBot/2.0")],
            is_http_request=True), warc_headers_dict=dict(common))
        headers = [("Date", "Sat, 01 Jun 2024 10:00:00 GMT"), ("Server", "nginx"),
                   ("X-Crawler-Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        if content_type:
            headers.insert(1, ("Content-Type", content_type))
        headers += list((http_headers or {}).items())
        payload_type = (content_type or "text/html").split(";")[0]
        response = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            warc_headers_dict={**common, "WARC-Identified-Payload-Type": payload_type, **(warc_headers or {})})
        self.writer.write_record(request)
        self.writer.write_record(response)
        metadata = self.writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 112\r\n"), length=18,
            warc_headers_dict={**common, "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                               "Content-Type": "application/warc-fields"})
        self.writer.write_record(metadata)

    def revisit(self, url: str, body: bytes, date: str, refers_to_date: str) -> None:
        """An identical-payload revisit: the page again, its payload only referred to."""
        record = self.writer.create_revisit_record(
            url, sha1(body), url, refers_to_date,
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date})
        self.writer.write_record(record)

    def raw(self, data: bytes) -> None:
        """Bytes that are no record (a damaged stretch of the file)."""
        self.stream.write(data)

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> CCNewsWarc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Fetch:
    url: str
    body: bytes
    content_type: str | None
    host: str


HOSTS = ("https://www.worldnews.example", "https://citynews.example", "https://blog.example")


def demo_fetches(site: DemoSite | None = None) -> dict[str, list[Fetch]]:
    """Sample-site pages under three hosts: worldnews 3 stories, citynews 2 stories and a German
    story in ISO-8859-1 (declared only in its ``<meta>``), blog 1 story and a section front."""
    site = site or DemoSite()
    stories = [s for s in site.stories if s.template not in ("legacy", "ja_newsroom")]
    german = next(s for s in site.stories if s.template == "legacy")
    plan = {HOSTS[0]: [s.path for s in stories[:3]],
            HOSTS[1]: [s.path for s in stories[3:5]] + [german.path],
            HOSTS[2]: [stories[5].path, "/section/world/"]}
    fetches: dict[str, list[Fetch]] = {}
    for base, paths in plan.items():
        app = DemoSiteApp(site, base_url=base + "/")
        fetches[base] = []
        for path in paths:
            reply = app.respond(path, 2)
            assert reply.status == 200, path
            fetches[base].append(Fetch(base + path, reply.body, reply.content_type, base.split("//")[1]))
    return fetches


# What the CC-NEWS-shaped file holds, for the tests to check against.
EXPECTED_ARTICLES = 7  # 3 + 3 + 1
EXPECTED_REJECTED = 1  # the blog's section front


def cc_news_file(path: Path, *, gzip: bool = True, fetches: dict[str, list[Fetch]] | None = None) -> Path:
    """The CC-NEWS-shaped WARC of the tests: every sample fetch, plus a revisit, a truncated
    record, a PDF, a 404 and a damaged stretch between records."""
    fetches = fetches or demo_fetches()
    world, city, _ = (fetches[h] for h in HOSTS)
    with CCNewsWarc(path, gzip=gzip) as warc:
        for index, fetch in enumerate(f for each in fetches.values() for f in each):
            warc.fetch(fetch.url, fetch.body, f"2024-06-01T10:{index:02d}:00Z", content_type=fetch.content_type)
            if index == 2:
                warc.raw(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: banana\r\n\r\n"
                         b"<html>damaged</html>\r\n\r\n")
        warc.revisit(world[0].url, world[0].body, "2024-06-02T10:00:00Z", "2024-06-01T10:00:00Z")
        warc.fetch(world[0].url.replace(".html", "-more.html"), world[1].body[:2000], "2024-06-02T10:01:00Z",
                   warc_headers={"WARC-Truncated": "length"})
        warc.fetch(city[0].url.rsplit("/", 1)[0] + "/annual-report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" * 50,
                   "2024-06-02T10:02:00Z", content_type="application/pdf")
        warc.fetch(city[0].url.rsplit("/", 1)[0] + "/gone.html", b"<html><h1>Not found</h1></html>",
                   "2024-06-02T10:03:00Z", status="404 Not Found")
    return path


def wacz_file(path: Path, warcs: list[Path]) -> Path:
    """A WACZ (as Browsertrix writes one): the WARCs under ``archive/``, stored, with a datapackage."""
    resources = []
    with zipfile.ZipFile(path, "w") as wacz:
        for warc in warcs:
            wacz.write(warc, f"archive/{warc.name}", compress_type=zipfile.ZIP_STORED)
            resources.append({"name": warc.name, "path": f"archive/{warc.name}",
                              "hash": "sha256:" + hashlib.sha256(warc.read_bytes()).hexdigest(),
                              "bytes": warc.stat().st_size})
        wacz.writestr("indexes/index.cdx", "")
        wacz.writestr("pages/pages.jsonl", json.dumps({"format": "json-pages-1.0", "id": "pages"}) + "\n")
        wacz.writestr("datapackage.json", json.dumps({"profile": "data-package", "wacz_version": "1.1.1",
                                                      "resources": resources}))
    return path
