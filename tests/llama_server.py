"""A local server on 127.0.0.1 that implements the serverless Llama API as Microsoft's how-to documents it.

Each endpoint lives under its own path prefix (`/<name>/v1/chat/completions`); the name picks a
behaviour: good ones, and broken ones (wrong key, unknown route, slow, malformed, throttled,
content-filtered, a stream without [DONE], an error that echoes the key).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.local_server import JsonHandler, LocalServer

KEY = "sk-test-1234567890"


class _Handler(JsonHandler):
    server_version = "llama-test"
    throttled: dict[str, int]
    calls: list[dict[str, Any]]

    def do_POST(self) -> None:
        name, _, route = self.path.lstrip("/").partition("/")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.calls.append({"endpoint": name, "route": "/" + route, "headers": dict(self.headers), "body": body})
        if self.headers.get("Authorization") != f"Bearer {KEY}" or name == "badkey":
            return self.send_json(401, {"error": {"code": "Unauthorized", "message": "invalid key"}})
        if name == "echokey":
            return self.send_json(500, {"error": {"code": "Internal", "message": f"boom for key {KEY}"}})
        if route not in ("v1/chat/completions", "v1/completions") or name == "missing":
            return self.send_json(404, {"error": {"code": "NotFound", "message": "no such route"}})
        if name == "throttled" and self.throttled.get(name, 0) < 2:
            self.throttled[name] = self.throttled.get(name, 0) + 1
            return self.send_json(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "0"})
        if name == "slow":
            time.sleep(2)
        if name == "filtered":
            return self.send_json(400, {"error": {"code": "content_filter", "message": "filtered"}})
        chat = route == "v1/chat/completions"
        if body.get("stream"):
            return self._stream(chat, done=name != "nodone")
        answer: dict[str, Any] = {
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
        if name == "malformed":
            del answer["usage"]
        if name == "badtotal":
            answer["usage"]["total_tokens"] = 99
        self.send_json(200, answer)

    def _stream(self, chat: bool, done: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = ["O", "K"]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            choice: dict[str, Any] = {"index": 0, "finish_reason": "stop" if last else None}
            if chat:
                choice["delta"] = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            else:
                choice["text"] = piece
            chunk = {"id": "c1", "object": "chat.completion.chunk" if chat else "text_completion", "choices": [choice]}
            if last:
                chunk["usage"] = {"prompt_tokens": 21, "completion_tokens": 2, "total_tokens": 23}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        if done:
            self.wfile.write(b"data: [DONE]\n\n")


class LlamaServer(LocalServer):
    """Context manager: `with LlamaServer() as s: s.url_for("good", "chat")`."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        super().__init__(type("Handler", (_Handler,), {"throttled": {}, "calls": self.calls}))

    def url_for(self, name: str, api: str) -> str:
        return f"{self.url}/{name}" + ("/v1/chat/completions" if api == "chat" else "/v1/completions")
