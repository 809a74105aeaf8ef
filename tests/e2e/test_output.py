"""What a crawl prints (issue 23, items 20 and 21): in a terminal the progress line and log lines
never run together, and without -v only the progress line and the summary show; under cron only
the summary. The demo's deliberate traps are summarised as expected; -v shows them."""

from __future__ import annotations

import os
import re
import subprocess

from crawler.demo_site import DemoServer, DemoSite, write_site_file
from tests.e2e.test_commands import TIMEOUT, run, tool

LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")
CLEAR = "\r\x1b[K"


def in_a_terminal(*args: str) -> tuple[int, str]:
    """Run a command with a pseudo-terminal for its standard output and error; its exit code and output."""
    main, child = os.openpty()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=TIMEOUT), b"".join(chunks).decode("utf-8", "replace")


def crawl_in_a_terminal(tmp_path, *options: str) -> str:
    with DemoServer(DemoSite(articles=20), slow_seconds=0.1) as server:
        write_site_file(tmp_path / "sites", server.base_url)
        code, output = in_a_terminal(tool("newsarchive"), "crawl", "demo", "--sites-dir", str(tmp_path / "sites"),
                                     "--db", str(tmp_path / "archive.db"), *options)
    assert code == 0, output[-3000:]
    return output


def starts_a_line(output: str, index: int) -> bool:
    return index == 0 or output[index - 1] == "\n" or output[:index].endswith(CLEAR)


def test_in_a_terminal_only_the_progress_line_and_the_summary_show(tmp_path):
    output = crawl_in_a_terminal(tmp_path)
    assert not LOG_LINE.search(output), output[-3000:]
    assert CLEAR + "demo: " in output  # the progress line was drawn
    summary = output.index("demo: finished")
    assert starts_a_line(output, summary), repr(output[summary - 80:summary + 20])
    assert "Log: " in output and "-v shows them" in output


def test_in_a_terminal_log_lines_never_run_into_the_progress_line(tmp_path):
    output = crawl_in_a_terminal(tmp_path, "--set", "LOG_LEVEL=WARNING")
    starts = [match.start() for match in LOG_LINE.finditer(output)]
    assert starts, output[-3000:]  # the traps were logged, as asked
    assert all(starts_a_line(output, i) for i in starts), [repr(output[max(0, i - 60):i + 30]) for i in starts
                                                            if not starts_a_line(output, i)]


def test_under_cron_the_demo_prints_only_its_summary_and_calls_the_traps_expected(tmp_path):
    quiet = run(tool("newsarchive"), "demo", "--db", str(tmp_path / "quiet.db"), "--articles", "20")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert quiet.stderr == ""
    assert re.search(r"^Log: \d+ warnings and errors from the sample site's deliberate traps \(.*\): expected; "
                     r"-v shows them\.$", quiet.stdout, re.MULTILINE), quiet.stdout
    verbose = run(tool("newsarchive"), "demo", "--db", str(tmp_path / "verbose.db"), "--articles", "20", "-v")
    assert verbose.returncode == 0
    assert "ERROR: Gave up retrying" in verbose.stderr and "WARNING: fetch failed" in verbose.stderr
    assert "Log: " not in verbose.stdout
