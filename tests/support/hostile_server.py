"""A local server on 127.0.0.1 that answers whatever a test scripts: bad JSON, redirects, trickles, endless bodies."""

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.local_server import JsonHandler, LocalServer

Answer = Callable[["HostileHandler"], None]


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None


@dataclass
class Script:
    routes: dict[str, Answer] = field(default_factory=dict)
    """Path (without query) -> answer; `*` answers every other path."""
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


class HostileHandler(JsonHandler):
    script: Script
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers written in two parts would wait 40 ms for an ACK

    def _any(self) -> None:
        path = self.path.partition("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.script.seen.append(Seen(self.command, path, self.headers.get("Authorization")))
        answer = self.script.routes.get(path) or self.script.routes.get("*") or (lambda h: h.json(404, {}))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
            answer(self)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _any

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that stops reading a huge body
            super().handle()

    @property
    def base(self) -> str:
        return f"http://{self.headers['Host']}"

    def json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.raw(status, json.dumps(body).encode() if body is not None else b"", headers)

    def raw(self, status: int, data: bytes, headers: dict[str, str] | None = None, kind: str = "application/json"):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def trickle(self, every: float = 0.05) -> None:
        """Headers at once, then one byte now and then until the test ends: a body that never completes."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        while not self.script.stop.wait(every):
            self.wfile.write(b" ")
            self.wfile.flush()

    def endless(self) -> None:
        """A chunked body that never ends, as fast as the client reads it."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"[" + b"1," * 32768
        deadline = time.monotonic() + 5
        while not self.script.stop.is_set() and time.monotonic() < deadline:
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")


class HostileServer(LocalServer):
    """Context manager: `with HostileServer() as s: s.script.routes[path] = lambda h: h.json(200, {...})`."""

    def __init__(self) -> None:
        self.script = Script()
        super().__init__(type("Handler", (HostileHandler,), {"script": self.script}))

    def __exit__(self, *exc: Any) -> None:
        self.script.stop.set()
        super().__exit__(*exc)


class FakeClock:
    """A clock and a sleep for a Deadline: sleeping moves the clock, so waits cost no real time."""

    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
