"""Datasette on an archive: the project's metadata, canned queries and cell rendering.

The metadata file names the database ``archive``; an archive file with another name gets the
same configuration under its own name.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

DATASETTE_DIR = Path(__file__).parent / "datasette"
METADATA_FILE = DATASETTE_DIR / "metadata.yml"
PLUGINS_DIR = DATASETTE_DIR / "plugins"
TEMPLATE_DATABASE = "archive"
SQL_TIME_LIMIT_MS = 3000  # a query that runs longer is stopped, in Datasette and in `newsarchive search`


@cache
def _metadata_template() -> dict[str, Any]:
    import yaml  # only when asked: `newsarchive search` starts without it

    return yaml.safe_load(METADATA_FILE.read_text(encoding="utf-8"))


def canned_query(name: str) -> str:
    """The SQL of one canned query: the CLI runs the same queries Datasette offers."""
    return _metadata_template()["databases"][TEMPLATE_DATABASE]["queries"][name]["sql"]


def datasette_metadata(db_path: str | Path) -> dict[str, Any]:
    """The metadata for this archive file, keyed by the database name Datasette will use."""
    metadata = copy.deepcopy(_metadata_template())
    metadata["databases"] = {Path(db_path).stem: metadata["databases"][TEMPLATE_DATABASE]}
    return metadata


def datasette_settings(allow_sql: bool) -> dict[str, Any]:
    """Read-only for visitors: no arbitrary SQL unless asked, no file download, short cells; on a
    large archive, no facet suggestions and each facet given up after a tenth of a second."""
    return {"default_allow_sql": allow_sql, "allow_download": False, "truncate_cells_html": 280,
            "sql_time_limit_ms": SQL_TIME_LIMIT_MS, "suggest_facets": False, "facet_time_limit_ms": 100}


def datasette_serve_args(db_path: str | Path, metadata_file: str | Path, *, host: str, port: int,
                         allow_sql: bool, immutable: bool = False) -> list[str]:
    """Arguments for ``datasette serve`` on this archive; ``immutable`` for one this process may
    not write (Datasette's ``-i``: opened read-only, without the files a live WAL database needs)."""
    args = ["serve", *(["-i"] if immutable else []), str(db_path), "--metadata", str(metadata_file),
            "--plugins-dir", str(PLUGINS_DIR), "--host", host, "--port", str(port)]
    for key, value in datasette_settings(allow_sql).items():
        args += ["--setting", key, str(value).lower() if isinstance(value, bool) else str(value)]
    return args
