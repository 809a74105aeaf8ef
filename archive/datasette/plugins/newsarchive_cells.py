"""Datasette plugin: article text as paragraphs, and JSON arrays (tags, authors) as plain lists."""

from __future__ import annotations

import json
from urllib.parse import quote

from datasette import hookimpl
from markupsafe import Markup, escape

TEXT_COLUMNS = {("articles", "text"), ("article_versions", "text")}
LIST_COLUMNS = {"tags", "authors", "categories"}
# Row pages show the whole story; in tables the cell stays a few lines high.
CSS = (".article-text p { margin: 0 0 0.8em; max-width: 42em; line-height: 1.5 } "
       "body.table .article-text, body.query .article-text { max-height: 6em; overflow: hidden }")


@hookimpl
def render_cell(value, column, table):
    if not isinstance(value, str) or not value:
        return None
    if (table, column) in TEXT_COLUMNS:
        paragraphs = "".join(f"<p>{escape(line)}</p>" for line in value.splitlines() if line.strip())
        return Markup(f'<div class="article-text">{paragraphs}</div>')
    if column in LIST_COLUMNS and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return None
        if isinstance(items, list):
            return Markup(", ".join(f'<span class="{column[:-1]}">{escape(str(item))}</span>' for item in items))
    return None


@hookimpl
def extra_css_urls():
    return ["data:text/css," + quote(CSS)]
