"""Services the tests and benchmarks need, installed from Debian's packages when missing and run
on loopback for as long as they are needed: Chromium (a binary) and a throwaway Redis server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time


class Unavailable(Exception):
    """The service is not installed and cannot be installed here; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def debian_binary(package: str, *names: str) -> str:
    """The path of one of ``names``, installing ``package`` with apt-get first if none is there."""
    def found() -> str | None:
        return next((path for name in names if (path := shutil.which(name))), None)

    if path := found():
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable(f"{names[0]} is not installed and this user cannot install {package} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600, env=env)
    install = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                             capture_output=True, text=True, timeout=900, env=env)
    if path := found():
        return path
    raise Unavailable(f"{package} could not be installed: {install.stderr[-500:]}")


class RedisServer:
    """``redis-server`` on 127.0.0.1 and a free port, in memory only; a context manager."""

    def __init__(self) -> None:
        self.binary = debian_binary("redis-server", "redis-server")
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="newsarchive-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.dir.name, "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Unavailable(f"redis-server exited: {self.process.stderr.read().decode()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise Unavailable("redis-server did not answer within 30s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.dir.cleanup()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


