"""A local server on 127.0.0.1 that speaks the serverless Llama API and Foundry's OpenAI v1 API, good and hostile.

Each endpoint lives under its own path prefix (`/<name>/v1/chat/completions` for the Llama API,
`/<name>/openai/v1/chat/completions` for Foundry); the name picks a behaviour: good ones, broken
ones (wrong key, unknown route, slow, malformed, throttled, content-filtered, a stream without
[DONE]) and hostile ones (a redirect to another origin, answers that echo parts of the key, trickling
or endless streams, huge or HTML bodies, wrong JSON shapes, odd Retry-After values). Foundry routes take
the key as `api-key` too, as Azure does. Names starting with `vllm` are a managed online endpoint whose
container is vLLM's OpenAI server (scoring_route path /): `/<name>/score` is not its route, `/<name>/v1/...`
is, and `model` must be the name it serves (VLLM_MODEL).
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.parse
from typing import Any

from tests.support.local_server import JsonHandler, LocalServer

KEY = "sk-test-1234567890abcdef"
TOKEN = "eyJ0eXAiOiJKV1QifQ.entra-test-token.c2lnbmF0dXJl"
"""The Entra ID token the fake credential hands out; Foundry endpoints here accept it as a bearer token."""
ROUTES = {"v1/chat/completions": "chat", "v1/completions": "completions", "openai/v1/chat/completions": "chat"}
VLLM_MODEL = "Llama-3.3-70B-Instruct"
"""The model name the vLLM stand-in serves (vLLM's --served-model-name)."""
RETRY_AFTER = {"retry86400": "86400", "retryneg": "-1", "retrynan": "NaN", "retrydate": "Wed, 21 Oct 2099 07:28:00 GMT"}
TRICKLE_SECONDS = 3.0
"""How long a trickling answer lasts at most: far longer than the deadlines the tests give the client."""
STOP = threading.Event()
"""Set when a server stops: trickling handlers end instead of writing forever."""


def chat_answer(chat: bool = True) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "chat.completion" if chat else "text_completion",
        "created": 1700000000,
        "model": "Meta-Llama-3-8B-Instruct",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}
            if chat
            else {"index": 0, "text": " Paris.", "finish_reason": "stop", "logprobs": None}
        ],
        "usage": {"prompt_tokens": 21, "completion_tokens": 2, "total_tokens": 23},
    }


def stream_chunks(chat: bool = True, foundry: bool = False) -> list[dict[str, Any]]:
    chunks: list[dict[str, Any]] = []
    if foundry:  # Azure sends the prompt's content filter results first, in a chunk without choices
        chunks.append({"id": "", "object": "", "choices": [], "prompt_filter_results": [{"prompt_index": 0}]})
    for i, piece in enumerate(["O", "K"]):
        last = i == 1
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop" if last else None}
        if chat:
            choice["delta"] = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
        else:
            choice["text"] = piece
        chunk = {"id": "c1", "object": "chat.completion.chunk" if chat else "text_completion", "choices": [choice]}
        if last:
            chunk["usage"] = {"prompt_tokens": 21, "completion_tokens": 2, "total_tokens": 23}
        chunks.append(chunk)
    return chunks


class _Handler(JsonHandler):
    server_version = "llama-test"
    protocol_version = "HTTP/1.1"
    throttled: dict[str, int]
    calls: list[dict[str, Any]]
    answers: dict[str, Any]
    """Test-set answers by endpoint name: a JSON body to send with 200 (fuzzing)."""
    streams: dict[str, bytes]
    """Test-set raw SSE bodies by endpoint name."""
    redirect_to: str
    scripts: dict[str, tuple[int, dict[str, str], bytes]]
    """Test-set raw answers by endpoint name: status, headers, body."""
    hung_up: list[str]
    """Endpoints whose client hung up while the server was still trickling."""

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client hung up: what it should do
            super().handle()

    def do_POST(self) -> None:
        name, _, route = self.path.lstrip("/").partition("/")
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.calls.append({"endpoint": name, "route": "/" + route, "headers": dict(self.headers), "body": body})
        if not self._hostile(name) and self._authorized(name, route):
            self._answer(name, route, body)

    def _authorized(self, name: str, route: str) -> bool:
        foundry = route.startswith("openai/")
        allowed = {f"Bearer {KEY}"} | ({f"Bearer {TOKEN}"} if foundry else set())
        key_header = foundry and self.headers.get("api-key") == KEY
        if (self.headers.get("Authorization") not in allowed and not key_header) or name == "badkey":
            self.send_json(401, {"error": {"code": "Unauthorized", "message": "invalid key"}})
            return False
        return True

    def _hostile(self, name: str) -> bool:
        behaviours = {
            "redirect": self._redirect,
            "echokey": lambda: self.send_json(500, {"error": {"code": f"bad-{KEY[3:15]}", "message": KEY}}),
            "echoencoded": self._echo_encoded,
            "trickle": self._trickle,
            "slowheaders": self._slow_headers,
            "endless": self._endless,
            "huge": lambda: self._raw(200, b"{" + b" " * (3 << 20) + b"}", "application/json"),
            "html": lambda: self._raw(200, b"<html><body>Sign in</body></html>", "text/html"),
        }
        if name in behaviours:
            behaviours[name]()
            return True
        if name in self.scripts:  # a test's own answer: status, headers and raw body (fuzzing)
            status, headers, data = self.scripts[name]
            self.send_response(status)
            for header, value in headers.items():
                self.send_header(header, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True
        if name in RETRY_AFTER and self.throttled.get(name, 0) < 1:
            self.throttled[name] = 1
            self.send_json(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": RETRY_AFTER[name]})
            return True
        return False

    def _answer(self, name: str, route: str, body: dict[str, Any]) -> None:
        if route not in ROUTES or name == "missing":
            return self.send_json(404, {"error": {"code": "NotFound", "message": "no such route"}})
        if route.startswith("openai/") and not isinstance(body.get("model"), str):
            return self.send_json(400, {"error": {"code": "BadRequest", "message": "model is required"}})
        if name.startswith("vllm") and body.get("model") != VLLM_MODEL:
            message = f"The model `{body.get('model')}` does not exist."  # vLLM's answer to another name
            return self.send_json(404, {"object": "error", "message": message, "type": "NotFoundError", "code": 404})
        if name == "throttled" and self.throttled.get(name, 0) < 2:
            self.throttled[name] = self.throttled.get(name, 0) + 1
            return self.send_json(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "0"})
        if name == "slow":
            time.sleep(2)
        if name == "filtered":
            return self.send_json(400, {"error": {"code": "content_filter", "message": "filtered"}})
        if name in self.answers:
            return self.send_json(200, self.answers[name])
        chat = ROUTES[route] == "chat"
        if body.get("stream"):
            return self._stream(name, chat, foundry=route.startswith("openai/"))
        answer = chat_answer(chat)
        if name.startswith("vllm"):
            answer["model"] = VLLM_MODEL
        if name == "malformed":
            del answer["usage"]
        if name == "badtotal":
            answer["usage"]["total_tokens"] = 99
        self.send_json(200, answer)

    def _stream(self, name: str, chat: bool, foundry: bool) -> None:
        if name in self.streams:
            return self._raw(200, self.streams[name], "text/event-stream")
        events = [f"data: {json.dumps(c)}\n\n" for c in stream_chunks(chat, foundry)]
        if name != "nodone":
            events.append("data: [DONE]\n\n")
        self._raw(200, "".join(events).encode(), "text/event-stream")

    def _raw(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.redirect_to + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _echo_encoded(self) -> None:
        # Parts of the key as a careless server echoes them: URL-encoded, inside base64, JSON-escaped.
        basic = base64.b64encode(f"user:{KEY}".encode()).decode()
        text = f"denied for {urllib.parse.quote(KEY[4:])} with {basic} ({json.dumps(KEY[2:14])})"
        self._raw(200, text.encode(), "text/plain")

    def _headers_then(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _trickle(self) -> None:
        """A stream that never ends and never sends a whole event: a comment byte now and then."""
        self._headers_then("text/event-stream")
        self._forever(lambda: self._chunk(b":"), pause=0.02)

    def _endless(self) -> None:
        """Valid chunks as fast as the client reads, never [DONE]."""
        self._headers_then("text/event-stream")
        chunk = f"data: {json.dumps(stream_chunks()[0])}\n\n".encode() * 50
        self._forever(lambda: self._chunk(chunk), pause=0)

    def _slow_headers(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        self._forever(lambda: (self.wfile.write(b"1"), self.wfile.flush()), pause=0.02)  # one header, never ending

    def _forever(self, write, pause: float) -> None:
        """Write until the client hangs up (recorded in `hung_up`), or for a few seconds at most, then end cleanly."""
        name = self.path.lstrip("/").partition("/")[0]
        started = time.monotonic()
        try:
            while not STOP.is_set() and time.monotonic() - started < TRICKLE_SECONDS:
                write()
                if pause:
                    time.sleep(pause)
            self.wfile.write(b"0\r\n\r\n")  # the end of a chunked body: a client still there sees a whole answer
        except OSError:
            self.hung_up.append(name)  # the client gave up first: what it should do
        self.close_connection = True


class LlamaServer(LocalServer):
    """Context manager: `with LlamaServer() as s: s.url_for("good", "chat")`."""

    def __init__(self, redirect_to: str = "http://localhost:9") -> None:
        self.calls: list[dict[str, Any]] = []
        self.answers: dict[str, Any] = {}
        self.streams: dict[str, bytes] = {}
        self.hung_up: list[str] = []
        self.scripts: dict[str, tuple[int, dict[str, str], bytes]] = {}
        attributes = {
            "scripts": self.scripts,
            "hung_up": self.hung_up,
            "throttled": {},
            "calls": self.calls,
            "answers": self.answers,
            "streams": self.streams,
            "redirect_to": redirect_to,
        }
        super().__init__(type("Handler", (_Handler,), attributes))
        STOP.clear()

    def __exit__(self, *exc: Any) -> None:
        STOP.set()
        super().__exit__(*exc)

    def url_for(self, name: str, api: str) -> str:
        return f"{self.url}/{name}" + ("/v1/chat/completions" if api == "chat" else "/v1/completions")

    def foundry_url(self, name: str) -> str:
        return f"{self.url}/{name}/openai/v1/chat/completions"

    def scoring_url(self, name: str) -> str:
        """A managed online endpoint's scoring URI (a vLLM container answers under the same prefix's /v1/)."""
        return f"{self.url}/{name}/score"
