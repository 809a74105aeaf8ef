"""A small hostile web server for tests: on 127.0.0.1 and a free port, it answers what a test
scripts (redirects away and in circles, bombs, endless bodies, pages with too many links) and
records every request it gets, with the ``Host`` it was asked for.

Bounded: each connection times out after ``TIMEOUT`` seconds, a streamed body ends after the
size it was given, and the server stops (its threads with it) when the ``with`` block ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

TIMEOUT = 10.0
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""  # bytes, or a function giving the chunks to stream
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)
    content_length: bool = True  # False: the body ends when the connection closes


def html(text: str, status: int = 200) -> Answer:
    return Answer(status, text.encode("utf-8"))


def redirect(location: str, status: int = 302) -> Answer:
    return Answer(status, headers=(("Location", location),))


def streamed(size: int, head: bytes = b"", filler: bytes = b"<p>more</p>\n", content_type: str = "text/html") -> Answer:
    """``head``, then ``filler`` up to ``size`` bytes, sent in chunks with no Content-Length."""
    def chunks() -> Iterable[bytes]:
        yield head
        sent, block = len(head), filler * (CHUNK // len(filler) + 1)
        while sent < size:
            piece = block[:size - sent]
            sent += len(piece)
            yield piece

    return Answer(200, chunks, headers=(("Content-Type", content_type),), content_length=False)


class HostileServer:
    """``routes`` (path -> Answer; anything else is a 404) served from a background thread.

    ``requests`` lists each request as ``(host, path)``; ``host`` is the Host header sent, so a
    request for another host name that resolves here (``localhost``) shows as such.
    """

    def __init__(self, routes: dict[str, Answer] | None = None) -> None:
        self.routes: dict[str, Answer] = dict(routes or {})
        self.requests: list[tuple[str, str]] = []
        self.agents: list[str] = []  # each request's User-Agent
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-server", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def paths(self) -> list[str]:
        with self._lock:
            return [path for _, path in self.requests]

    def _record(self, host: str, path: str, agent: str) -> None:
        with self._lock:
            self.requests.append((host, path))
            self.agents.append(agent)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = TIMEOUT

            def do_GET(self) -> None:
                server._record(self.headers.get("Host", ""), self.path, self.headers.get("User-Agent", ""))
                answer = server.routes.get(urlsplit(self.path).path, Answer(404, b"not here"))
                body = answer.body if isinstance(answer.body, bytes) else None
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if body is not None and answer.content_length:
                    self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for chunk in [body] if body is not None else answer.body():
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client had enough: that is the point

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=TIMEOUT)
