"""CLI commands that do not crawl, in-process through click's CliRunner."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.store import store_article
from tests.conftest import REPO
from tests.unit.test_store import ARTICLE

VALID = 'name = "{name}"\nbase_url = "https://{name}.example/"\nsections = ["/news/"]\nevery = "2h"\n'


@pytest.fixture
def runner():
    return CliRunner()


def test_sites_lists_and_validates(runner, tmp_path):
    (tmp_path / "alpha.toml").write_text(VALID.format(name="alpha"))
    (tmp_path / "beta.toml").write_text(VALID.format(name="beta") + "bogus = 1\n")
    result = runner.invoke(cli, ["sites", "--sites-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert re.search(r"ok\s+alpha\s+https://alpha.example/", result.output)
    assert f"{tmp_path / 'beta.toml'}: bogus: unknown key" in result.output
    assert "1 of 2 site files are broken" in result.output


def test_sites_dir_from_environment(runner, tmp_path):
    (tmp_path / "alpha.toml").write_text(VALID.format(name="alpha"))
    result = runner.invoke(cli, ["sites"], env={"NEWSARCHIVE_SITES_DIR": str(tmp_path)})
    assert result.exit_code == 0 and "alpha" in result.output


def test_search_and_stats_on_an_archive(runner, tmp_path, archive):
    store_article(archive, ARTICLE, site="demo")
    db = str(tmp_path / "archive.db")
    result = runner.invoke(cli, ["search", "Pyongyang", "--db", db])
    assert result.exit_code == 0 and ARTICLE.title in result.output and "[Pyongyang]" in result.output
    assert "No articles match" in runner.invoke(cli, ["search", "Vladivostok", "--db", db]).output
    stats = runner.invoke(cli, ["stats"], env={"NEWSARCHIVE_DB": db})
    assert stats.exit_code == 0 and "demo: 1 articles" in stats.output


def test_search_quotes_fts_syntax(runner, tmp_path, archive):
    store_article(archive, ARTICLE, site="demo")
    result = runner.invoke(cli, ["search", 'pact" OR (', "--db", str(tmp_path / "archive.db")])
    assert result.exit_code == 0, result.output


def test_missing_archive_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(cli, ["stats", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no such archive" in result.output


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_and_shared_options_and_is_documented(runner, command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "--db" in result.output and "--sites-dir" in result.output
    assert f"newsarchive {command}" in (REPO / "README.md").read_text()


def test_set_option_needs_key_value(runner, tmp_path):
    (tmp_path / "alpha.toml").write_text(VALID.format(name="alpha"))
    result = runner.invoke(cli, ["crawl", "alpha", "--sites-dir", str(tmp_path), "--set", "NOEQUALS"])
    assert result.exit_code == 2 and "is not KEY=VALUE" in result.output


@pytest.mark.parametrize("extra", [[], ["--distributed", "--redis", "redis://127.0.0.1:1/0"]])
def test_a_bad_recheck_policy_is_named_before_anything_starts(runner, tmp_path, extra):
    (tmp_path / "alpha.toml").write_text(VALID.format(name="alpha"))
    result = runner.invoke(cli, ["crawl", "alpha", "--sites-dir", str(tmp_path), "--db", str(tmp_path / "a.db"),
                                 "--set", "ARCHIVE_RECHECK=bogus", *extra])
    assert result.exit_code == 2 and "ARCHIVE_RECHECK: recheck step 'bogus' is not AGE=INTERVAL" in result.output
    assert not (tmp_path / "a.db").exists()  # nothing crawled, nothing created


def test_a_bad_listing_safety_depth_is_named_before_anything_starts(runner, tmp_path):
    (tmp_path / "alpha.toml").write_text(VALID.format(name="alpha"))
    result = runner.invoke(cli, ["crawl", "alpha", "--sites-dir", str(tmp_path), "--db", str(tmp_path / "a.db"),
                                 "--set", "ARCHIVE_LISTING_SAFETY_DEPTH=-1"])
    assert result.exit_code == 2 and "ARCHIVE_LISTING_SAFETY_DEPTH must be a whole number of pages" in result.output
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize(("setting", "problem"), [
    ("DOWNLOAD_DELAY=abc", "must be a number"), ("DOWNLOAD_TIMEOUT=-1", "not negative"),
    ("AUTOTHROTTLE_MAX_DELAY=inf", "finite"), ("CLOSESPIDER_PAGECOUNT=x", "whole number"),
    ("ARCHIVE_EXTRACT_WORKERS=-1", "not negative"), ("ARCHIVE_PROGRESS=maybe", "true or false"),
    ("LOG_LEVEL=LOUD", "must be one of"), ("LOG_FILE=/nonexistent/x.log", "does not exist"),
    ("ARCHIVE_DB=/tmp/other.db", "chosen with --db"),
])
def test_a_set_value_of_the_wrong_type_is_named_before_anything_starts(runner, tmp_path, setting, problem):
    """A user's review: each of these was a traceback from inside the crawl, exit 1 (or a run elsewhere)."""
    (tmp_path / "alpha.toml").write_text(VALID.format(name="alpha"))
    result = runner.invoke(cli, ["crawl", "alpha", "--sites-dir", str(tmp_path), "--db", str(tmp_path / "a.db"),
                                 "--set", setting])
    assert result.exit_code == 2 and setting.split("=")[0] in result.output and problem in result.output
    assert not (tmp_path / "a.db").exists()


def test_bad_sources_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["crawl", "--sources", "feeds,rumours", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "each must be one of" in result.output


def test_demo_on_a_taken_port_says_so_in_one_line(runner, tmp_path):  # issue 23, item 12
    import socket
    import threading

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = threading.active_count()
        result = runner.invoke(cli, ["demo", "--port", str(port), "--db", str(tmp_path / "a.db"), "--articles", "3"])
    assert result.exit_code == 1
    assert f"cannot serve the sample site on 127.0.0.1:{port}" in result.output and "--port 0" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert threading.active_count() == before  # the server's thread is not left running
    assert not (tmp_path / "a.db").exists()


def test_demo_reads_the_demo_site_file_of_the_sites_folder_as_crawl_demo_does(runner, tmp_path):
    """A review: `crawl demo` read <sites-dir>/demo.toml, `demo` the built-in file only."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "demo.toml").write_text('name = "demo"\nbase_url = "http://demo.example/"\nsections = ["/world/"]\n'
                                     'download_delay = -1\n')
    for command in (["demo"], ["crawl", "demo"]):
        result = runner.invoke(cli, [*command, "--sites-dir", str(sites), "--db", str(tmp_path / "a.db")])
        assert result.exit_code == 1, (command, result.output)  # the site file's error, before anything runs
        assert "demo.toml" in result.output and "download_delay" in result.output
    assert not (tmp_path / "a.db").exists()


def test_serve_on_a_port_in_use_is_one_error_line(runner, tmp_path):
    """A user's review: Datasette's server failed with exit 3 (a bot wall's code) after "Serving"."""
    import socket

    from archive.db import open_archive

    open_archive(tmp_path / "a.db").close()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = runner.invoke(cli, ["serve", "--db", str(tmp_path / "a.db"), "--port", str(port)])
    assert result.exit_code == 1 and f"cannot serve on 127.0.0.1:{port}" in result.output
    assert "Serving" not in result.output


def test_sites_notes_two_site_files_that_share_pages(runner, tmp_path):
    """A user's review: import took the first of two such files, silently."""
    (tmp_path / "alpha.toml").write_text(VALID.format(name="alpha"))
    (tmp_path / "beta.toml").write_text(VALID.format(name="alpha").replace('name = "alpha"', 'name = "beta"'))
    (tmp_path / "gamma.toml").write_text(VALID.format(name="gamma"))
    result = runner.invoke(cli, ["sites", "--sites-dir", str(tmp_path)])
    assert result.exit_code == 0
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert notes == ["note: alpha and beta share pages (https://alpha.example/ and https://alpha.example/): "
                     "an imported page goes to alpha"]


def test_set_values_that_scrapy_reads_are_taken_as_it_reads_them():
    """A review: DOWNLOAD_TIMEOUT=7.5 was refused (its default is a whole number, Scrapy reads
    seconds), and LOG_LEVEL=info passed, then failed inside the crawl (logging wants capitals)."""
    from archive.cli import scrapy_settings

    assert scrapy_settings(("DOWNLOAD_TIMEOUT=7.5", "DNS_TIMEOUT=2.5", "DOWNLOAD_DELAY=0.25", "LOG_LEVEL=info",
                            "LOG_LEVEL=warn")) == {"DOWNLOAD_TIMEOUT": "7.5", "DNS_TIMEOUT": "2.5",
                                                   "DOWNLOAD_DELAY": "0.25", "LOG_LEVEL": "WARN"}
    with pytest.raises(click.BadParameter, match="whole number"):
        scrapy_settings(("CONCURRENT_REQUESTS=7.5",))


def test_serve_checks_an_ipv6_address_too():
    import socket

    from archive.cli import _usable_port

    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    assert _usable_port("::1", 0) > 0  # (a review: it was checked as an IPv4 address and refused)


def test_a_writer_that_loses_redis_says_so_in_one_line(runner, tmp_path, monkeypatch):
    """An adversarial review: Redis stopped while the writer ran, and it died with a raw
    redis.exceptions.ConnectionError traceback."""
    import redis

    from archive import cli as cli_module
    from archive import frontier

    class LosesRedis:
        def __init__(self, *args, **kwargs):
            pass

        def run(self, **kwargs):
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

        def close(self):
            pass

    monkeypatch.setattr(cli_module, "_frontier", lambda *args: object())
    monkeypatch.setattr(frontier, "ArchiveWriter", LosesRedis)
    result = runner.invoke(cli, ["writer", "--redis", "redis://127.0.0.1:6390/0", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 1
    assert "Error: lost Redis: Error 111 connecting" in result.output and "Traceback" not in result.output
