"""newsarchive's crawler: the Scrapy project (spiders, pipelines) and pure extraction."""

__version__ = "0.1.0"
