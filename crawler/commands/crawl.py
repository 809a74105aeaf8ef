"""``scrapy crawl``, with errors in site files and spider arguments said in one line."""

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.commands import OneLineErrors


class Command(OneLineErrors, ScrapyCrawl):
    pass
