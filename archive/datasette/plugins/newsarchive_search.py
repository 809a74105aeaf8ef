"""Datasette plugin: the SQL functions that the "search" query calls, so that it finds Chinese,
Japanese and Thai words as ``newsarchive search`` does (archive/fulltext.py)."""

from __future__ import annotations

from datasette import hookimpl

from archive.fulltext import register_search_functions


@hookimpl
def prepare_connection(conn):
    register_search_functions(conn)
