"""Smoke test: call every deployed endpoint once plain and once streaming, and check the answer's schema."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.errors import UserError

FINISH_REASONS = {"stop", "length", "content_filter", "content_filter_error", None}
CHAT_BODY = {
    "messages": [
        {"role": "system", "content": "You are a smoke test. Answer in one word."},
        {"role": "user", "content": "Say OK."},
    ],
    "max_tokens": 16,
    "temperature": 0,
}
COMPLETION_BODY = {"prompt": "The capital of France is", "max_tokens": 16, "temperature": 0}


class SmokeError(UserError):
    """The outputs could not be read: a message for the user."""


class Failed(Exception):
    """One call failed; the message names what, never the key."""


@dataclass
class SmokeResult:
    endpoint: str
    mode: str
    """plain or stream."""
    status: str
    """ok or fail."""
    latency_ms: int
    prompt_tokens: int | None
    completion_tokens: int | None
    detail: str


def load_outputs(stack: str | None, outputs_file: Path | None, run=subprocess.run) -> dict[str, Any]:
    """`pulumi stack output --json --show-secrets` of a stack, or the same JSON from a file."""
    if outputs_file is not None:
        try:
            return json.loads(outputs_file.read_text())
        except (OSError, ValueError) as exc:
            raise SmokeError(f"cannot read outputs from {outputs_file}: {exc}") from None
    command = ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", str(stack)]
    try:
        done = run(command, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise SmokeError("the pulumi CLI is not installed: install it, or pass --outputs FILE") from None
    if done.returncode != 0:
        raise SmokeError(f"pulumi stack output failed: {done.stderr.strip().splitlines()[-1] if done.stderr else ''}")
    return json.loads(done.stdout)


class Caller:
    """POSTs JSON with a bearer key; retries 429 with backoff; never lets the key into a message."""

    def __init__(self, timeout: float = 60, attempts: int = 4, sleep: Callable[[float], None] = time.sleep) -> None:
        self.timeout, self.attempts, self.sleep = timeout, attempts, sleep

    def post(self, url: str, key: str, body: dict[str, Any]) -> tuple[int, Any]:
        """(status, open response); the caller reads and closes it (a stream is read as it arrives)."""
        data = json.dumps(body).encode()
        for attempt in range(self.attempts):
            request = urllib.request.Request(url, data=data, method="POST")
            request.add_header("Authorization", f"Bearer {key}")
            request.add_header("Content-Type", "application/json")
            request.add_header("Accept", "text/event-stream" if body.get("stream") else "application/json")
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)
                return response.status, response
            except urllib.error.HTTPError as err:
                if err.code == 429 and attempt + 1 < self.attempts:
                    retry_after = err.headers.get("Retry-After")
                    err.close()
                    self.sleep(float(retry_after) if retry_after and retry_after.isdigit() else 2.0 * 2**attempt)
                    continue
                return err.code, err
            except TimeoutError:
                raise Failed(f"no answer within {self.timeout:g} s") from None
            except urllib.error.URLError as err:
                if isinstance(err.reason, (TimeoutError, socket.timeout)):
                    raise Failed(f"no answer within {self.timeout:g} s") from None
                raise Failed(f"cannot connect: {err.reason}") from None
        raise AssertionError("unreachable")  # pragma: no cover


def _read_json(response: Any) -> Any:
    raw = response.read()
    try:
        return json.loads(raw)
    except ValueError:
        raise Failed(f"the answer is not JSON: {raw[:80]!r}") from None


def _http_failure(status: int, response: Any) -> None:
    """Raise Failed for an error status; return for a content-filter refusal (the endpoint works)."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = json.loads(response.read() or b"null")
    code = ((body or {}).get("error") or {}).get("code") if isinstance(body, dict) else None
    if status == 400 and code == "content_filter":
        return
    reasons = {
        401: "authentication refused",
        403: "access denied",
        404: "not found (wrong URL or endpoint gone)",
        429: "still throttled after retries",
    }
    raise Failed(f"HTTP {status}: {reasons.get(status, 'error')}" + (f" ({code})" if code else ""))


def _usage(body: dict[str, Any]) -> tuple[int, int]:
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise Failed("usage is missing")
    counts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if not all(isinstance(c, int) and c >= 0 for c in counts):
        raise Failed(f"usage counts are not non-negative integers: {usage}")
    if counts[0] + counts[1] != counts[2]:
        raise Failed(f"usage total_tokens {counts[2]} is not prompt + completion ({counts[0]} + {counts[1]})")
    return counts[0], counts[1]


def check_completion(api: str, body: Any) -> tuple[int, int, str]:
    """The documented response schema: id, object, created, choices with finish_reason, usage."""
    if not isinstance(body, dict):
        raise Failed("the answer is not a JSON object")
    expected = "chat.completion" if api == "chat" else "text_completion"
    if not isinstance(body.get("id"), str) or not body["id"]:
        raise Failed("id is missing")
    if body.get("object") != expected:
        raise Failed(f"object is {body.get('object')!r}, expected {expected!r}")
    if not isinstance(body.get("created"), int):
        raise Failed("created is not a unix time")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise Failed("choices is missing or empty")
    filtered = False
    for choice in choices:
        if "finish_reason" not in choice or choice["finish_reason"] not in FINISH_REASONS:
            raise Failed(f"finish_reason {choice.get('finish_reason')!r} is not one of the documented values")
        filtered |= str(choice["finish_reason"]).startswith("content_filter")
        if api == "chat":
            message = choice.get("message") or {}
            if message.get("role") != "assistant" or not isinstance(message.get("content"), str):
                raise Failed("choices[].message is not an assistant message with content")
        elif not isinstance(choice.get("text"), str):
            raise Failed("choices[].text is missing")
    prompt, completion = _usage(body)
    return prompt, completion, "content filtered" if filtered else "schema ok"


def _events(response: Any) -> Iterator[str]:
    for raw in response:
        line = raw.decode().strip()
        if line.startswith("data:"):
            yield line[5:].strip()


def check_stream(api: str, response: Any) -> tuple[int | None, int, str]:
    """Server-sent events: chunks with finish_reason null but the last, chat deltas, then [DONE]."""
    chunks, done = [], False
    for data in _events(response):
        if data == "[DONE]":
            done = True
            break
        try:
            chunks.append(json.loads(data))
        except ValueError:
            raise Failed(f"a stream event is not JSON: {data[:60]!r}") from None
    if not done:
        raise Failed("the stream did not end with data: [DONE]")
    if not chunks:
        raise Failed("the stream carried no chunk")
    for i, chunk in enumerate(chunks):
        choices = chunk.get("choices") or []
        if not choices:
            raise Failed(f"stream chunk {i} has no choices")
        reason = choices[0].get("finish_reason")
        last = i == len(chunks) - 1
        if not last and reason is not None:
            raise Failed(f"stream chunk {i} has finish_reason {reason!r} before the last chunk")
        if last and reason not in FINISH_REASONS - {None}:
            raise Failed(f"the last stream chunk has finish_reason {reason!r}")
        if api == "chat" and "delta" not in choices[0]:
            raise Failed(f"chat stream chunk {i} has no delta")
        if api != "chat" and not isinstance(choices[0].get("text"), str):
            raise Failed(f"completion stream chunk {i} has no text")
    usage = chunks[-1].get("usage") if isinstance(chunks[-1].get("usage"), dict) else None
    prompt = usage.get("prompt_tokens") if usage else None
    completion = usage.get("completion_tokens") if usage else len(chunks)
    return prompt, completion, f"{len(chunks)} chunks, ends with [DONE]"


def smoke_endpoint(name: str, endpoint: dict[str, Any], key: str | None, caller: Caller) -> list[SmokeResult]:
    api, url, kind = endpoint.get("api"), endpoint.get("url"), endpoint.get("kind")
    if not key:
        return [SmokeResult(name, "plain", "fail", 0, None, None, "no key in endpointKeys")]
    if not url:
        return [SmokeResult(name, "plain", "fail", 0, None, None, "no url in endpoints")]
    body = CHAT_BODY if api == "chat" else COMPLETION_BODY
    # Serverless endpoints answer with the documented Llama API; a managed endpoint answers in its
    # model container's own format, so only reachability and JSON are checked there.
    modes = [False, True] if kind != "managed" else [False]
    results = []
    for stream in modes:
        mode = "stream" if stream else "plain"
        started = time.monotonic()
        response = None
        try:
            status, response = caller.post(url, key, {**body, "stream": stream})
            if status >= 400:
                _http_failure(status, response)
                prompt, completion, detail = None, None, "reachable, content filtered (HTTP 400)"
            elif kind == "managed":
                _read_json(response)
                prompt, completion, detail = None, None, "reachable, JSON answer (managed: schema not checked)"
            elif stream:
                prompt, completion, detail = check_stream(api, response)
            else:
                prompt, completion, detail = check_completion(api, _read_json(response))
            outcome = "ok"
        except Failed as err:
            prompt, completion, detail, outcome = None, None, str(err), "fail"
        except TimeoutError:
            prompt, completion, detail, outcome = None, None, f"the answer stalled past {caller.timeout:g} s", "fail"
        finally:
            if response is not None:
                response.close()
        latency = int((time.monotonic() - started) * 1000)
        results.append(SmokeResult(name, mode, outcome, latency, prompt, completion, detail.replace(key, "***")))
    return results


def run_smoke(outputs: dict[str, Any], caller: Caller) -> list[SmokeResult]:
    endpoints = outputs.get("endpoints")
    if not isinstance(endpoints, dict) or not endpoints:
        raise SmokeError("the outputs have no endpoints: is this a llama-on-azure stack after pulumi up?")
    keys = outputs.get("endpointKeys") or {}
    return [r for name, e in endpoints.items() for r in smoke_endpoint(name, e, keys.get(name), caller)]


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def render_table(results: list[SmokeResult]) -> str:
    headers = ("endpoint", "mode", "result", "latency", "tokens in/out", "detail")
    rows = [
        (
            r.endpoint,
            r.mode,
            r.status.upper(),
            f"{r.latency_ms} ms",
            f"{_count(r.prompt_tokens)}/{_count(r.completion_tokens)}",
            r.detail,
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5] for row in [headers, *rows]
    ]
    failed = sorted({r.endpoint for r in results if r.status == "fail"})
    lines += ["", f"{len(results)} calls: " + (f"failed: {', '.join(failed)}" if failed else "all endpoints answer")]
    return "\n".join(lines) + "\n"
