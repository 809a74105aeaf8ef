"""A real headless Chromium driven over the DevTools protocol through a pipe (no extra package):
open pages, run JavaScript in them, click, take screenshots, and list every request the browser
made (the DevTools events and Chromium's own net log, which sees every frame's)."""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage",
                  "--disable-features=Translate,MediaRouter,OptimizationHints,IsolateOrigins,site-per-process",
                  "--disable-site-isolation-trials",  # frames in the page's process: its DOM and its requests
                  # Chromium's own calls home (updates, time, accounts) never leave the machine: only
                  # loopback names resolve, so a page's request elsewhere fails at once and stays in the log
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]


class Browser:
    """Chromium with one page; a context manager. ``requests`` holds every URL its frames asked
    for, ``blocked`` those the browser refused to send."""

    def __init__(self, binary: str, profile: Path, *, width: int = 1280, height: int = 800) -> None:
        self.net_log = profile / "netlog.json"
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def child_fds() -> None:  # the browser reads commands on fd 3 and writes answers on fd 4
            reading, writing = os.dup(to_browser_read), os.dup(from_browser_write)  # neither may be 3 or 4 now
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--log-net-log={self.net_log}", "--net-log-capture-mode=Default",
             f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=child_fds,  # kept open through the exec: the pipe's ends
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.requests: list[str] = []  # every URL a frame asked for, whether it was sent or not
        self.blocked: dict[str, str] = {}  # URL: why the browser did not send it ("csp", ...)
        self._urls: dict[str, str] = {}
        target = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed = json.loads(message)
        if "method" in parsed:
            self.events.append(parsed)
            if parsed["method"] == "Network.requestWillBeSent":
                self.requests.append(parsed["params"]["request"]["url"])
                self._urls[parsed["params"]["requestId"]] = parsed["params"]["request"]["url"]
            elif parsed["method"] == "Network.loadingFailed" and parsed["params"].get("blockedReason"):
                self.blocked[self._urls.get(parsed["params"]["requestId"], "")] = parsed["params"]["blockedReason"]
        return parsed

    def call(self, method: str, *, session: bool = False, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def wait_for_event(self, method: str, *, since: int, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[since:]:
                if event["method"] == method:
                    return event
            self._read_message(deadline)

    def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event (its frames' included)."""
        mark = len(self.events)
        self.call("Page.navigate", session=True, url=url)
        self.wait_for_event("Page.loadEventFired", since=mark)

    def run(self, script: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=script, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{script!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click_and_wait(self, selector: str) -> None:
        """Click the element (a link or a submit button) and wait for the page it leads to."""
        mark = len(self.events)
        self.run(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for_event("Page.loadEventFired", since=mark)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"]))

    def frame_documents(self) -> list[str]:
        """The HTML of the page and of every frame in it, as the browser holds them now."""
        root = self.call("DOM.getDocument", session=True, depth=-1, pierce=True)["root"]
        documents = []

        def walk(node: dict[str, Any]) -> None:
            if node.get("nodeName") == "#document":
                documents.append(self.call("DOM.getOuterHTML", session=True, nodeId=node["nodeId"])["outerHTML"]
                                 if node.get("nodeId") else "")
            for child in node.get("children", []) + ([node["contentDocument"]] if "contentDocument" in node else []):
                walk(child)
        walk(root)
        return documents

    def close(self) -> list[str]:
        """Stop the browser; every URL its network stack was asked for (from the net log)."""
        try:
            self.call("Browser.close", timeout=10)
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        return net_log_urls(self.net_log)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.close()


def net_log_urls(path: Path) -> list[str]:
    """The URLs of the requests in a Chromium net log (a file Chromium may leave without its end)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        log = json.loads(text)
    except ValueError:  # a log cut short: close the events list after its last whole event
        try:
            log = json.loads(text.rstrip().rstrip(",").rsplit("},", 1)[0] + "}]}")
        except ValueError:
            return []
    urls = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        url = params.get("url")
        if isinstance(url, str):
            urls.append(url)
    return urls
