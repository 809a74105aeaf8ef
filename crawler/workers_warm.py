"""Imported by the extraction pool's fork server (``crawler.pool``): loads extraction (trafilatura,
lxml, the date readers: ``crawler.workers`` itself loads them only with its first page) and what
extraction otherwise loads on a worker's first page (py3langid's model), once for every worker."""

from crawler.extraction import extract  # noqa: F401  (imported for the workers forked after it)
from crawler.extraction.text import detect_language

detect_language("A sentence in English, long enough for the language model to be asked about it.")
