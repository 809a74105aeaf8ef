"""``scrapy parse``, with errors in site files and spider arguments said in one line."""

from scrapy.commands.parse import Command as ScrapyParse

from crawler.commands import OneLineErrors


class Command(OneLineErrors, ScrapyParse):
    pass
