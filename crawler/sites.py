"""Site files: ``settings/sites/<name>.toml`` loaded and validated into a typed ``SiteConfig``.

A wrong file fails at load time with one message that names the file, the key and the problem,
before anything is crawled.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError

from crawler.urls import DEFAULT_PORTS

DEFAULT_SITES_DIR = Path("settings/sites")
BUILT_IN_SITES = Path(__file__).parent / "demo_site"  # the sample site's file ships with the package
INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
INTERVAL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")  # BCP 47, as pages declare theirs: en, pt-BR
LONGEST_INTERVAL = timedelta(days=366)  # a site re-crawled less often than yearly is no schedule (and overflows dates)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")


class SiteConfigError(ValueError):
    """A site file that cannot be used; the message names file, key and problem."""

    def __init__(self, path: Path | str, key: str | None, problem: str) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + problem)


SOURCES = ("sections", "feeds", "sitemaps")


@dataclass(frozen=True)
class Section:
    name: str
    url: str
    max_pages: int | None = None  # overrides the site's max_listing_pages


PATTERN_PREFIX = "re:"  # a ``drop_lines`` entry that is a regular expression, not a literal line


def drop_line_pattern(line: str) -> re.Pattern[str] | None:
    """A ``drop_lines`` entry's regular expression (searched case-insensitively), None for a
    literal line; ``re.error`` for one that does not compile."""
    return re.compile(line[len(PATTERN_PREFIX):], re.IGNORECASE) if line.startswith(PATTERN_PREFIX) else None


@dataclass(frozen=True)
class ExtractionRules:
    """Per-site extraction rules: CSS selectors removed before extraction, text lines dropped after."""

    drop_selectors: tuple[str, ...] = ()
    drop_lines: tuple[str, ...] = ()
    min_words: int = 40

    def with_drop_lines(self, lines: tuple[str, ...]) -> ExtractionRules:
        """These rules, dropping ``lines`` too (lines learned from the archive, say)."""
        extra = tuple(line for line in lines if line not in self.drop_lines)
        return replace(self, drop_lines=self.drop_lines + extra) if extra else self


@dataclass(frozen=True)
class SiteConfig:
    name: str
    base_url: str
    timezone: str = "UTC"
    language: str | None = None
    sections: tuple[Section, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article_urls: tuple[re.Pattern[str], ...] = ()
    exclude_urls: tuple[re.Pattern[str], ...] = ()
    max_listing_pages: int = 5
    every: timedelta = timedelta(hours=1)
    download_delay: float | None = None
    concurrent_requests: int | None = None
    user_agent: str | None = None
    download_timeout: float | None = None
    max_page_bytes: int | None = None
    sources: tuple[str, ...] = SOURCES
    domains: tuple[str, ...] = ()  # other hosts of the same site (e.g. a separate feeds host)
    extraction: ExtractionRules = field(default_factory=ExtractionRules)
    path: str | None = None

    def in_scope(self, url: str) -> bool:
        """Whether ``url`` belongs to this site, and may be fetched for it.

        A site is its base URL's scheme, host and port (the host's ``www.`` and subdomains
        included; https on its default port too where the base is http on its own, as a site that
        moved to https), plus its ``domains``: each a host (and its subdomains) on the default
        port of http or https, or ``host:port`` for that port alone. Another port on the same
        host is another site.
        """
        target = origin(url)
        if target is None:
            return False
        scheme, host, port = target
        base_scheme, base_host, base_port = self._scope[0]
        if _within(host, base_host) and (
                (scheme, port) == (base_scheme, base_port)
                or (base_scheme, base_port, scheme, port) == ("http", 80, "https", 443)):
            return True
        return any(_within(host, name) and (port == wanted if wanted else port == DEFAULT_PORTS[scheme])
                   for name, wanted in self._scope[1])

    @cached_property
    def _scope(self) -> tuple[tuple[str, str, int], tuple[tuple[str, int], ...]]:
        """The base URL's origin and each domain's (host, port or 0), read once: ``in_scope`` runs
        for every link, feed entry and request of a crawl."""
        domains = tuple((name.removeprefix("www."), int(wanted) if wanted else 0)
                        for name, _, wanted in (domain.partition(":") for domain in self.domains))
        return origin(self.base_url) or ("", "", 0), domains

    @property
    def scope(self) -> str:
        """The site's scope in words, for messages."""
        base = urlsplit(self.base_url)
        return f"{base.scheme}://{base.netloc}" + (f" and {', '.join(self.domains)}" if self.domains else "")

    def with_base_url(self, base_url: str) -> SiteConfig:
        """The same site served elsewhere: every URL that was relative to ``base_url`` moves with it."""
        def move(url: str) -> str:
            return urljoin(base_url, url[len(self.base_url):]) if url.startswith(self.base_url) else url

        return replace(
            self,
            base_url=base_url,
            sections=tuple(replace(s, url=move(s.url)) for s in self.sections),
            feeds=tuple(move(u) for u in self.feeds),
            sitemaps=tuple(move(u) for u in self.sitemaps),
        )


def origin(url: str) -> tuple[str, str, int] | None:
    """An http(s) URL's scheme, host (lower case, without ``www.``) and port; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # no URL urllib can split ("http://[::1"), a port out of range or not a number
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().removeprefix("www."), port or DEFAULT_PORTS[scheme]


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


# key -> (expected Python types, human name of the type)
_TOP_LEVEL = {
    "name": ((str,), "a string"),
    "base_url": ((str,), "a string"),
    "timezone": ((str,), "a string"),
    "language": ((str,), "a string"),
    "sections": ((list,), "an array of { name, url } tables"),
    "feeds": ((list,), "an array of URLs"),
    "sitemaps": ((list,), "an array of URLs"),
    "article_urls": ((list,), "an array of regular expressions"),
    "exclude_urls": ((list,), "an array of regular expressions"),
    "max_listing_pages": ((int,), "an integer"),
    "every": ((str,), 'a string such as "30m"'),
    "download_delay": ((int, float), "a number of seconds"),
    "concurrent_requests": ((int,), "an integer"),
    "user_agent": ((str,), "a string"),
    "download_timeout": ((int, float), "a number of seconds"),
    "max_page_bytes": ((int,), "a number of bytes"),
    "sources": ((list,), 'an array of "sections", "feeds", "sitemaps"'),
    "domains": ((list,), "an array of host names"),
    "extraction": ((dict,), "a table"),
}
_EXTRACTION = {
    "drop_selectors": ((list,), "an array of CSS selectors"),
    "drop_lines": ((list,), "an array of strings"),
    "min_words": ((int,), "an integer"),
}


def parse_sources(text: str | None) -> set[str] | None:
    """``"sections,feeds"`` as a set of discovery sources; None (all of them) for an empty value."""
    chosen = {part.strip() for part in (text or "").split(",") if part.strip()}
    if not chosen:
        if text and text.strip():  # "," names no source: not "all of them" by accident
            raise ValueError(f"sources {text!r} names no source: each must be one of {', '.join(SOURCES)}")
        return None
    if not chosen <= set(SOURCES):
        raise ValueError(f"sources {text!r}: each must be one of {', '.join(SOURCES)}")
    return chosen


def parse_interval(text: str) -> timedelta:
    """``"90s"``, ``"30m"``, ``"2h"``, ``"1d"``, ``"1w"`` as a positive ``timedelta``."""
    match = INTERVAL.match(text)
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not an interval like 30m, 2h or 1d")
    try:
        interval = timedelta(**{INTERVAL_UNITS[match[2]]: int(match[1])})
    except OverflowError:
        interval = timedelta.max
    if interval > LONGEST_INTERVAL:
        raise ValueError(f"{text!r} is longer than a year (the longest interval)")
    return interval


def _check_types(path: Path, table: dict[str, Any], schema: dict, prefix: str = "") -> None:
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise SiteConfigError(path, prefix + key, f"unknown key (known keys: {known})")
        types, described = schema[key]
        if isinstance(value, bool) or not isinstance(value, types):
            raise SiteConfigError(path, prefix + key, f"must be {described}, not {type(value).__name__}")


def _url(path: Path, key: str, value: Any, base_url: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SiteConfigError(path, key, "must be a non-empty URL string")
    try:
        url = urljoin(base_url, value.strip()) if base_url else value.strip()
        parts = urlsplit(url)
        parts.port  # noqa: B018 (read to check it: out of range or no number raises)
    except ValueError as error:  # "http://[::1/", a port 99999
        raise SiteConfigError(path, key, f"{value!r} is no URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise SiteConfigError(path, key, f"{value!r} is not an absolute http(s) URL")
    return url


def _patterns(path: Path, key: str, values: list[Any]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise SiteConfigError(path, f"{key}[{index}]", "must be a string")
        try:
            compiled.append(re.compile(value))
        except re.error as error:
            raise SiteConfigError(path, f"{key}[{index}]", f"bad regular expression {value!r}: {error}") from None
    return tuple(compiled)


def _strings(path: Path, key: str, values: list[Any]) -> tuple[str, ...]:
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise SiteConfigError(path, f"{key}[{index}]", "must be a non-empty string")
    return tuple(values)


def parse_site(data: dict[str, Any], path: Path | str) -> SiteConfig:
    """Validate the parsed TOML of one site file; raise ``SiteConfigError`` on the first problem."""
    path = Path(path)
    _check_types(path, data, _TOP_LEVEL)
    for required in ("name", "base_url"):
        if required not in data:
            raise SiteConfigError(path, required, "is required")
    name = data["name"]
    if not NAME.match(name):
        raise SiteConfigError(path, "name", f"{name!r} must be lowercase letters, digits, '-' or '_'")
    if name != path.stem and path.suffix == ".toml":
        raise SiteConfigError(path, "name", f"{name!r} must match the file name {path.stem!r}")
    base_url = _url(path, "base_url", data["base_url"])
    timezone = data.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):  # (OSError: a name too long for a file)
        problem = f"unknown timezone {timezone!r} (use an IANA name like 'Europe/Paris')"
        raise SiteConfigError(path, "timezone", problem) from None

    domains = tuple(d.lower() for d in _strings(path, "domains", data.get("domains", [])))
    for index, domain in enumerate(domains):
        if not DOMAIN.match(domain):
            raise SiteConfigError(path, f"domains[{index}]", f"{domain!r} is not a host name or host:port "
                                                             "(like feeds.example.org)")
    scope = SiteConfig(name=name, base_url=base_url, domains=domains)

    def on_site(key: str, value: Any) -> str:
        url = _url(path, key, value, base_url)
        if not scope.in_scope(url):
            raise SiteConfigError(path, key, f"{url!r} is off the site: it must be on {scope.scope}")
        return url

    sections = []
    for index, entry in enumerate(data.get("sections", [])):
        key = f"sections[{index}]"
        if isinstance(entry, str):
            entry = {"name": urlsplit(urljoin(base_url, entry)).path.strip("/") or "home", "url": entry}
        if not isinstance(entry, dict):
            raise SiteConfigError(path, key, "must be a URL or a { name, url } table")
        extra = set(entry) - {"name", "url", "max_pages"}
        if extra:
            raise SiteConfigError(path, f"{key}.{sorted(extra)[0]}", "unknown key (known keys: max_pages, name, url)")
        section_pages = entry.get("max_pages")
        if section_pages is not None and (isinstance(section_pages, bool) or not isinstance(section_pages, int)
                                          or section_pages < 1):
            raise SiteConfigError(path, f"{key}.max_pages", "must be an integer of at least 1")
        if "url" not in entry:
            raise SiteConfigError(path, f"{key}.url", "is required")
        section_name = entry.get("name") or urlsplit(urljoin(base_url, entry["url"])).path.strip("/")
        if not isinstance(section_name, str):
            raise SiteConfigError(path, f"{key}.name", "must be a string")
        sections.append(Section(section_name, on_site(f"{key}.url", entry["url"]), section_pages))

    feeds = tuple(on_site(f"feeds[{i}]", u) for i, u in enumerate(data.get("feeds", [])))
    sitemaps = tuple(on_site(f"sitemaps[{i}]", u) for i, u in enumerate(data.get("sitemaps", [])))
    if not (sections or feeds or sitemaps):
        raise SiteConfigError(path, "sections", "a site needs at least one of sections, feeds or sitemaps")

    max_pages = data.get("max_listing_pages", 5)
    if max_pages < 1:
        raise SiteConfigError(path, "max_listing_pages", "must be at least 1")
    try:
        every = parse_interval(data.get("every", "1h"))
    except ValueError as error:
        raise SiteConfigError(path, "every", str(error)) from None
    for key in ("download_delay", "download_timeout"):
        if key in data and not math.isfinite(data[key]):
            raise SiteConfigError(path, key, f"must be a finite number, not {data[key]}")
    delay = data.get("download_delay")
    if delay is not None and delay < 0:
        raise SiteConfigError(path, "download_delay", "must not be negative")
    concurrency = data.get("concurrent_requests")
    if concurrency is not None and concurrency < 1:
        raise SiteConfigError(path, "concurrent_requests", "must be at least 1")
    for key in ("download_timeout", "max_page_bytes"):
        if key in data and data[key] <= 0:
            raise SiteConfigError(path, key, "must be positive")
    sources = _strings(path, "sources", data.get("sources", list(SOURCES)))
    for index, source in enumerate(sources):
        if source not in SOURCES:
            raise SiteConfigError(path, f"sources[{index}]", f"{source!r} is not one of {', '.join(SOURCES)}")

    rules = data.get("extraction", {})
    _check_types(path, rules, _EXTRACTION, "extraction.")
    selectors = _strings(path, "extraction.drop_selectors", rules.get("drop_selectors", []))
    for index, selector in enumerate(selectors):
        try:
            GenericTranslator().css_to_xpath(selector)
        except SelectorError as error:
            problem = f"bad CSS selector {selector!r}: {error}"
            raise SiteConfigError(path, f"extraction.drop_selectors[{index}]", problem) from None
    drop_lines = _strings(path, "extraction.drop_lines", rules.get("drop_lines", []))
    for index, line in enumerate(drop_lines):
        try:
            drop_line_pattern(line)  # as extraction compiles it
        except re.error as error:
            problem = f"bad regular expression {line!r}: {error}"
            raise SiteConfigError(path, f"extraction.drop_lines[{index}]", problem) from None
    if rules.get("min_words", 0) < 0:
        raise SiteConfigError(path, "extraction.min_words", "must not be negative")
    if "language" in data and not LANGUAGE_TAG.match(data["language"]):
        raise SiteConfigError(path, "language", f"{data['language']!r} is not a language tag like 'en' or 'pt-BR'")
    if "user_agent" in data and not data["user_agent"].strip():
        raise SiteConfigError(path, "user_agent", "must not be empty (leave it out for the default)")
    extraction = ExtractionRules(
        drop_selectors=selectors,
        drop_lines=drop_lines,
        min_words=rules.get("min_words", ExtractionRules.min_words),
    )
    return SiteConfig(
        name=name, base_url=base_url, timezone=timezone, language=data.get("language"),
        sections=tuple(sections), feeds=feeds, sitemaps=sitemaps,
        article_urls=_patterns(path, "article_urls", data.get("article_urls", [])),
        exclude_urls=_patterns(path, "exclude_urls", data.get("exclude_urls", [])),
        max_listing_pages=max_pages, every=every, download_delay=delay, concurrent_requests=concurrency,
        user_agent=data.get("user_agent"), download_timeout=data.get("download_timeout"),
        max_page_bytes=data.get("max_page_bytes"), sources=sources, extraction=extraction, path=str(path),
        domains=domains,
    )


def load_site_file(path: Path | str) -> SiteConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # (an editor's byte-order mark is no TOML error)
    except FileNotFoundError:
        raise SiteConfigError(path, None, "no such site file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SiteConfigError(path, None, f"cannot read: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SiteConfigError(path, None, f"not valid TOML: {error}") from None
    return parse_site(data, path)


def site_files(sites_dir: Path | str) -> list[Path]:
    """The site files directly in ``sites_dir`` (``examples/`` below it is not included)."""
    directory = Path(sites_dir)
    if not directory.is_dir():
        raise SiteConfigError(directory, None, "no such sites directory")
    return sorted(directory.glob("*.toml"))


def load_site(name_or_path: str, sites_dir: Path | str = DEFAULT_SITES_DIR) -> SiteConfig:
    """A site by name (``<sites_dir>/<name>.toml``, ``examples/<name>.toml``, or the built-in ``demo``)
    or by file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml":
        return load_site_file(candidate)
    directory = Path(sites_dir)
    for path in (directory / f"{name_or_path}.toml", directory / "examples" / f"{name_or_path}.toml",
                 BUILT_IN_SITES / f"{name_or_path}.toml"):
        if path.exists():
            return load_site_file(path)
    return load_site_file(directory / f"{name_or_path}.toml")


def load_sites(names: list[str] | tuple[str, ...] = (), sites_dir: Path | str = DEFAULT_SITES_DIR) -> list[SiteConfig]:
    """The named sites, or every site file in ``sites_dir`` when no name is given."""
    if names:
        return [load_site(name, sites_dir) for name in names]
    files = site_files(sites_dir)
    if not files:
        raise SiteConfigError(sites_dir, None, no_site_files(sites_dir))
    return [load_site_file(path) for path in files]


def no_site_files(sites_dir: Path | str) -> str:
    """Why a sites directory gives no site: none at all, or files in a format it does not read."""
    others = sorted(p.name for p in Path(sites_dir).glob("*") if p.suffix.lower() in (".yaml", ".yml", ".json"))
    if not others:
        return "no site files (*.toml) in this directory"
    shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
    return f"no site files (*.toml) in this directory (found {shown}: site files are TOML)"
