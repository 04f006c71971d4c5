"""HTTP that cannot hang and cannot leak: one deadline per call, capped bytes, no redirects, https only."""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import math
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from clients.deadline import Deadline
from clients.identifiers import LOOPBACK_HOSTS
from clients.redact import printable

MAX_ATTEMPTS = 4
MAX_RETRY_AFTER = 30.0
"""Longest wait between two attempts, whatever Retry-After asks (86400, a date next year)."""
MAX_BODY_BYTES = 1 << 20
MAX_STREAM_BYTES = 4 << 20
MAX_LINE_BYTES = 256 << 10


class HttpFailure(Exception):
    """One call failed; the message says what, never a credential or what the server echoed."""


def _timed_out(deadline: Deadline) -> HttpFailure:
    return HttpFailure(f"no complete answer within {deadline.seconds:g} s")


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def check_url(url: Any, allow_http_loopback: bool = False) -> Target:
    """Where a credential may go: https, or plain http to this machine when the flag allows it; nothing else."""
    if not isinstance(url, str) or not url or _UNSAFE_URL.search(url):
        raise HttpFailure("the url is empty or has spaces or control characters")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise HttpFailure("the url cannot be parsed") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme == "http" and not (allow_http_loopback and host in LOOPBACK_HOSTS):
        hint = " (--allow-http-loopback allows it for 127.0.0.1 only)" if host in LOOPBACK_HOSTS else ""
        raise HttpFailure(f"the url is plain http: a key is sent over https only{hint}")
    if scheme not in ("https", "http"):
        raise HttpFailure(f"the url's scheme {printable(scheme, 20)!r} is not allowed: https:// URLs only")
    if not host or parts.username is not None or parts.password is not None:
        raise HttpFailure("the url has no host, or carries a user name or password")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")


def retry_delay(value: str | None, attempt: int, now: Callable[[], float] = time.time) -> float:
    """Seconds to wait before the next attempt: Retry-After (seconds or an HTTP date), capped; else a backoff."""
    backoff = min(2.0 * 2**attempt, MAX_RETRY_AFTER)
    text = (value or "").strip()
    if re.fullmatch(r"[0-9]{1,12}", text):
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return backoff
    seconds = when.timestamp() - now() if when.tzinfo else math.nan
    return min(max(seconds, 0.0), MAX_RETRY_AFTER) if math.isfinite(seconds) else backoff


class _Watchdog:
    """Closes the connection's socket when the deadline passes: a trickling server cannot outlive it."""

    def __init__(self, deadline: Deadline) -> None:
        self.fired = False
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(max(deadline.remaining(), 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        self._socket = sock

    def _fire(self) -> None:
        self.fired = True
        if self._socket is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _resolve(host: str, port: int, deadline: Deadline) -> list[Any]:
    """getaddrinfo, bounded by the deadline (the resolver has no timeout of its own)."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            found["error"] = exc

    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(max(deadline.remaining(), 0.0))
    if thread.is_alive():
        raise _timed_out(deadline)
    if "error" in found:
        raise HttpFailure(f"cannot resolve {printable(host, 80)}: {found['error']}")
    return found["addresses"]


def addresses(host: str, deadline: Deadline) -> list[str]:
    """The addresses a host name resolves to here, within the deadline; HttpFailure when it resolves to none."""
    return list(dict.fromkeys(str(info[4][0]) for info in _resolve(host, 443, deadline)))


def _connect(target: Target, deadline: Deadline, watchdog: _Watchdog) -> Callable[..., socket.socket]:
    """http.client's socket factory: resolve and connect within the deadline, the socket under the watchdog."""

    def create(_address: Any, _timeout: Any = None, _source: Any = None) -> socket.socket:
        error: OSError | None = None
        for family, kind, proto, _, address in _resolve(target.host, target.port, deadline):
            sock = socket.socket(family, kind, proto)
            watchdog.watch(sock)  # the TLS handshake that follows is bounded too
            sock.settimeout(max(deadline.remaining(), 0.001))
            try:
                sock.connect(address)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise error or OSError("no address")

    return create


class Response:
    """An answer being read: every read bounded by the call's deadline and a byte cap."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline, watchdog):
        self.conn, self.raw, self.deadline, self.watchdog = conn, response, deadline, watchdog
        self.status = response.status
        self.content_type = response.getheader("Content-Type", "") or ""

    def header(self, name: str) -> str | None:
        return self.raw.getheader(name)

    def _guard(self, read: Callable[[], bytes]) -> bytes:
        if self.deadline.expired() or self.watchdog.fired:
            raise _timed_out(self.deadline)
        if self.conn.sock is not None:
            self.conn.sock.settimeout(max(self.deadline.remaining(), 0.001))
        try:
            data = read()
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if self.deadline.expired() or self.watchdog.fired:
                raise _timed_out(self.deadline) from None
            raise HttpFailure(f"the connection broke while reading the answer ({type(exc).__name__})") from None
        if self.watchdog.fired:
            raise _timed_out(self.deadline)
        return data

    def body(self, cap: int = MAX_BODY_BYTES) -> bytes:
        data = self._guard(lambda: self.raw.read(cap + 1))
        if len(data) > cap:
            raise HttpFailure(f"the answer is larger than {cap} bytes")
        return data

    def lines(self) -> Iterator[str]:
        total = 0
        while True:
            line = self._guard(lambda: self.raw.readline(MAX_LINE_BYTES + 1))
            if not line:
                return
            total += len(line)
            if total > MAX_STREAM_BYTES:
                raise HttpFailure(f"the stream passed {MAX_STREAM_BYTES} bytes without ending")
            if len(line) > MAX_LINE_BYTES:
                raise HttpFailure(f"a stream line is longer than {MAX_LINE_BYTES} bytes")
            yield line.decode("utf-8", "replace").rstrip("\r\n")

    def close(self) -> None:
        self.watchdog.cancel()
        with contextlib.suppress(Exception):
            self.raw.close()
        with contextlib.suppress(Exception):
            self.conn.close()


class Client:
    """Sends requests, credentials included, to their own origin only: no redirects, https, deadline, capped retries."""

    def __init__(
        self,
        timeout: float = 120.0,
        *,
        attempts: int = MAX_ATTEMPTS,
        allow_http_loopback: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout, self.attempts, self.sleep = timeout, max(1, min(attempts, MAX_ATTEMPTS)), sleep
        self.allow_http_loopback = allow_http_loopback
        self._context = context

    @property
    def context(self) -> ssl.SSLContext:
        """The system's trust store; a test passes a context that trusts its own certificate authority.

        Loaded at the first https call, not before: loading the store costs about 25 ms of CPU, which a client
        that only ever calls an http loopback address (a test's stand-in) would pay for nothing.
        """
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def post(self, target: Target, headers: dict[str, str], body: dict[str, Any], deadline: Deadline) -> Response:
        """A JSON POST."""
        headers = {**headers, "Content-Type": "application/json"}
        return self.request("POST", target, headers, json.dumps(body).encode(), deadline)

    def get(self, target: Target, headers: dict[str, str], deadline: Deadline) -> Response:
        return self.request("GET", target, headers, None, deadline)

    def request(
        self, method: str, target: Target, headers: dict[str, str], data: bytes | None, deadline: Deadline
    ) -> Response:
        """One call, throttling (429) retried as Retry-After asks within the deadline; a redirect is a failure."""
        for attempt in range(self.attempts):
            response = self._send(method, target, headers, data, deadline)
            if 300 <= response.status < 400:
                response.close()
                raise HttpFailure(_redirect_message(response))
            if response.status != 429 or attempt + 1 == self.attempts:
                return response
            delay = retry_delay(response.header("Retry-After"), attempt)
            response.close()
            if delay >= deadline.remaining():
                raise HttpFailure(f"throttled (HTTP 429): the endpoint asks to wait {delay:g} s, past the deadline")
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, method: str, target: Target, headers: dict[str, str], data: bytes | None, deadline: Deadline
    ) -> Response:
        if deadline.expired():
            raise _timed_out(deadline)
        timeout = max(deadline.remaining(), 0.001)
        if target.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                target.host, target.port, timeout=timeout, context=self.context
            )
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        watchdog = _Watchdog(deadline)
        conn._create_connection = _connect(target, deadline, watchdog)  # type: ignore[attr-defined]
        try:
            conn.connect()
            watchdog.watch(conn.sock)  # after TLS, the wrapping socket owns the connection
            conn.request(method, target.path, body=data, headers=headers)
            return Response(conn, conn.getresponse(), deadline, watchdog)
        except HttpFailure:
            watchdog.cancel()
            conn.close()
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            watchdog.cancel()
            conn.close()
            if deadline.expired() or watchdog.fired:
                raise _timed_out(deadline) from None
            raise HttpFailure(_connection_message(exc)) from None


def _connection_message(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the TLS certificate was refused: {exc.verify_message}"
    if isinstance(exc, ConnectionRefusedError):
        return "cannot connect: connection refused"
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or type(exc).__name__
    return f"cannot connect or no valid answer: {printable(str(reason), 120)}"


def _redirect_message(response: Response) -> str:
    location = response.header("Location") or ""
    try:
        parts = urllib.parse.urlsplit(location)
        where = f"{parts.scheme}://{parts.hostname}" if parts.scheme and parts.hostname else "a relative location"
    except ValueError:
        where = "an unreadable location"
    return (
        f"HTTP {response.status}: the endpoint redirects to {printable(where, 120)}; redirects are never followed, "
        "so a credential goes nowhere else"
    )
