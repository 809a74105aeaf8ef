"""Issue 23, item 24: Redis's client and scrapy-redis are the "distributed" extra, not everyone's."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.conftest import REPO

# Runs the CLI as if neither package were installed (None in sys.modules makes an import fail).
WITHOUT_REDIS = ("import sys; sys.modules['redis'] = sys.modules['scrapy_redis'] = None; "
                 "from archive.cli import main; sys.argv[0] = 'newsarchive'; main()")


def newsarchive_without_redis(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_REDIS, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_redis_and_scrapy_redis_are_an_extra_that_the_tests_include():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {requirement.split(">")[0].split("<")[0].strip() for requirement in project["dependencies"]}
    assert not names & {"redis", "scrapy-redis"}
    assert {r.split(">")[0] for r in project["optional-dependencies"]["distributed"]} == {"scrapy-redis", "redis"}
    assert "newsarchive[distributed]" in project["optional-dependencies"]["test"]


def test_the_rest_works_without_them(tmp_path):
    (tmp_path / "local.toml").write_text('name = "local"\nbase_url = "http://127.0.0.1:9/"\nsections = ["/news/"]\n')
    result = newsarchive_without_redis("sites", "--sites-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "local" in result.stdout


@pytest.mark.parametrize("args", [
    ("crawl", "--worker", "--redis", "redis://127.0.0.1:9/0"),
    ("crawl", "--distributed", "demo", "--redis", "redis://127.0.0.1:9/0"),
    ("writer", "--redis", "redis://127.0.0.1:9/0"),
])
def test_distributed_mode_without_them_says_what_to_install(tmp_path, args):
    result = newsarchive_without_redis(*args, "--db", str(tmp_path / "a.db"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install -e ".[distributed]"' in lines[0], result.stderr
