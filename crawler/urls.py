"""Canonical article URLs: one story, one key, however it was linked.

Tracking parameters, fragments, default ports, ``www.`` and letter case of the host are folded;
the order of the remaining query parameters is made stable.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMETERS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|_ga|_gl|"
    r"ref|ref_src|ref_url|cmpid|ncid|ocid|sr_share|share|smid|spm|at_medium|at_campaign|"
    r"__twitter_impression|mkt_tok|s_kwcid|ito|itm_\w+|xtor)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def _without_tracking(query: str) -> str:
    return urlencode(sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                            if not TRACKING_PARAMETERS.match(k)))


def clean_url(url: str) -> str:
    """The URL to fetch: tracking parameters and fragment gone, the host left as the site wrote it."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", _without_tracking(parts.query), ""))


def canonical_url(url: str) -> str:
    """The URL under which an article is stored: same page, same string (``www.``, case, port folded)."""
    parts = urlsplit(clean_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    netloc = host if parts.port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def same_site(url: str, domains: tuple[str, ...]) -> bool:
    """Whether ``url`` is on one of ``domains`` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in domains)
