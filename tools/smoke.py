"""Smoke test: call every deployed endpoint once plain and once streaming, and check the answer's schema."""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import math
import re
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clients import json_input
from clients.deadline import Deadline
from clients.errors import SettingError, UserError
from clients.http import Client, Response, Target, addresses, check_url
from clients.http import HttpFailure as Failed
from clients.identifiers import LOOPBACK_HOSTS
from clients.redact import MIN_SECRET, SECRET, Redactor, clean_secret, printable
from clients.status import Status
from infra.exports import ENDPOINT_KEYS, NETWORK, read_endpoints
from infra.kinds import KINDS
from infra.kinds.base import CallSpec, Protocol
from tools import stacks
from tools.files import read_capped
from tools.tables import render_rows

DEFAULT_TIMEOUT = 120.0
MAX_TIMEOUT = 900.0
"""Seconds one call (connect, answer, stream, retries) may take at most: a model answering 16 tokens is far faster."""
MAX_EVENTS = 10_000
MAX_OUTPUTS_BYTES = 16 << 20
MAX_PREAMBLE_TRIES = 20
"""Lines starting with `{` tried as the start of the outputs after what the CLI printed before them."""
PULUMI_TIMEOUT = 120
FINISH_REASONS = {"stop", "length", "content_filter", "content_filter_error", "tool_calls", None}
CHAT_BODY = {
    "messages": [
        {"role": "system", "content": "You are a smoke test. Answer in one word."},
        {"role": "user", "content": "Say OK."},
    ],
    "max_tokens": 16,
    "temperature": 0,
}
COMPLETION_BODY = {"prompt": "The capital of France is", "max_tokens": 16, "temperature": 0}
OK, FAIL, NOT_CHECKED = Status.OK, Status.FAIL, Status.NOT_CHECKED


class SmokeError(UserError):
    """The outputs could not be read, or a flag is wrong: a message for the user."""


@dataclass
class SmokeResult:
    endpoint: str
    mode: str
    """plain or stream."""
    status: Status
    latency_ms: int
    prompt_tokens: int | None
    completion_tokens: int | None
    detail: str


# ---------------------------------------------------------------------------------------------------------------
# Flags and outputs.


def parse_timeout(text: str | float) -> float:
    """--timeout: seconds per call, positive, finite and at most MAX_TIMEOUT."""
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        raise SmokeError(f"--timeout {text!r} is not a number of seconds; give e.g. 60") from None
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT:
        raise SmokeError(f"--timeout {text!r} is not allowed: more than 0 and at most {MAX_TIMEOUT:g} seconds")
    return seconds


def _outputs_json(text: str, source: str) -> Any:
    """The JSON object in `text`; lines the CLI prints before it (an update notice, a warning) are skipped."""
    try:
        return json_input.loads(text)
    except json_input.NotJson as err:
        reason = err
    for match in itertools.islice(re.finditer(r"^[ \t]*\{", text, re.MULTILINE), MAX_PREAMBLE_TRIES):
        with contextlib.suppress(json_input.NotJson):
            value, _ = json_input.decode_at(text, match.end() - 1)
            if isinstance(value, dict):
                return value
    # Never quote the text: it is the output of --show-secrets (the reason only says where and why).
    raise SmokeError(
        f"{source} is not JSON ({reason}); expected the output of `pulumi stack output --json --show-secrets`"
    )


def _read_outputs_file(path: Path) -> Any:
    data = read_capped(path, MAX_OUTPUTS_BYTES, SmokeError, "outputs file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SmokeError(f"{path} is not UTF-8 text: save the outputs with `pulumi stack output --json`") from None
    return _outputs_json(text, str(path))


def load_outputs(stack: str | None, outputs_file: Path | None, run: Callable[..., Any] = subprocess.run) -> Any:
    """`pulumi stack output --json --show-secrets` of a stack, or the same JSON from a file."""
    if outputs_file is not None:
        return _read_outputs_file(outputs_file)
    stacks.checked(stack or "")
    command = ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack]
    try:
        done = run(command, capture_output=True, text=True, timeout=PULUMI_TIMEOUT)
    except FileNotFoundError:
        raise SmokeError("the pulumi CLI is not installed: install it, or pass --outputs FILE") from None
    except subprocess.TimeoutExpired:
        raise SmokeError(f"`pulumi stack output` did not finish within {PULUMI_TIMEOUT} s") from None
    except (OSError, ValueError) as exc:
        raise SmokeError(f"cannot run the pulumi CLI: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise SmokeError(f"`pulumi stack output` failed (exit {done.returncode}): {printable(last[0], 300)}")
    return _outputs_json(done.stdout or "", "what `pulumi stack output` printed")


def redactor_for(outputs: Any) -> Redactor:
    """A redactor that knows every string under endpointKeys, before anything else is read from the outputs."""
    redactor = Redactor()
    stack = [outputs.get(ENDPOINT_KEYS)] if isinstance(outputs, dict) else []
    while stack:
        item = stack.pop()
        if isinstance(item, str) and item != SECRET:
            redactor.add(item)
        elif isinstance(item, dict):
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
    return redactor


# ---------------------------------------------------------------------------------------------------------------
# The documented answers.


def _json_body(response: Response) -> Any:
    raw = response.body()
    try:
        return json_input.loads(raw)
    except json_input.NotJson as err:
        kind = response.content_type.split(";")[0].strip() or "no content type"
        sample = printable(raw[:60].decode("utf-8", "replace"), 60)
        raise Failed(f"the answer is not JSON ({printable(kind, 40)}, {err}): {sample!r}") from None


def _http_failure(response: Response) -> None:
    """Raise Failed for an error status; return for a content-filter refusal (the endpoint works)."""
    body: Any = None
    with contextlib.suppress(Failed, json_input.NotJson):
        body = json_input.loads(response.body() or b"null")
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    code = code if isinstance(code, str) else None
    if response.status == 400 and code in ("content_filter", "ResponsibleAIPolicyViolation"):
        return
    reasons = {
        401: "authentication refused",
        403: "access denied",
        404: "not found (wrong URL or endpoint gone)",
        429: "still throttled after retries",
    }
    suffix = f" ({printable(code, 60)})" if code else ""
    raise Failed(f"HTTP {response.status}: {reasons.get(response.status, 'error')}{suffix}")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _usage(body: dict[str, Any]) -> tuple[int, int]:
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise Failed("usage is missing")
    counts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if not all(_count(c) for c in counts):
        raise Failed("usage counts are not non-negative integers")
    if counts[0] + counts[1] != counts[2]:
        raise Failed(f"usage total_tokens {counts[2]} is not prompt + completion ({counts[0]} + {counts[1]})")
    return counts[0], counts[1]


def _check_choice(api: str, choice: Any) -> bool:
    """One choice of a completion; True when the content filter stopped it."""
    if not isinstance(choice, dict) or "finish_reason" not in choice:
        raise Failed("a choice has no finish_reason")
    reason = choice["finish_reason"]
    if not isinstance(reason, (str, type(None))) or reason not in FINISH_REASONS:
        raise Failed(f"finish_reason {printable(str(reason), 40)!r} is not one of the documented values")
    if api == "chat":
        message = choice.get("message")
        if not isinstance(message, dict) or message.get("role") != "assistant":
            raise Failed("choices[].message is not an assistant message")
        if not isinstance(message.get("content"), (str, type(None))) or (
            message.get("content") is None and reason != "content_filter"
        ):
            raise Failed("choices[].message has no content")
    elif not isinstance(choice.get("text"), str):
        raise Failed("choices[].text is missing")
    return str(reason).startswith("content_filter")


def check_completion(api: str, body: Any) -> tuple[int, int, str]:
    """The documented response schema: id, object, created, choices with finish_reason, usage."""
    if not isinstance(body, dict):
        raise Failed("the answer is not a JSON object")
    expected = "chat.completion" if api == "chat" else "text_completion"
    if not isinstance(body.get("id"), str) or not body["id"]:
        raise Failed("id is missing")
    if body.get("object") != expected:
        raise Failed(f"object is {printable(repr(body.get('object')), 40)}, expected {expected!r}")
    if not _count(body.get("created")):
        raise Failed("created is not a unix time")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise Failed("choices is missing or empty")
    filtered = any([_check_choice(api, c) for c in choices])
    prompt, completion = _usage(body)
    return prompt, completion, "content filtered" if filtered else "schema ok"


def sse_events(lines: Iterator[str]) -> Iterator[str]:
    """The data of each server-sent event (several data: lines joined), comments and other fields skipped."""
    data: list[str] = []
    count = 0
    for line in lines:
        if line == "":
            if data:
                count += 1
                if count > MAX_EVENTS:
                    raise Failed(f"the stream sent more than {MAX_EVENTS} events")
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


def _stream_chunks(events: Iterator[str]) -> list[dict[str, Any]]:
    chunks: list[dict[str, Any]] = []
    for data in events:
        if data.strip() == "[DONE]":
            return chunks
        try:
            chunk = json_input.loads(data)
        except json_input.NotJson as err:
            raise Failed(f"a stream event is not JSON ({err}): {printable(data, 60)!r}") from None
        if not isinstance(chunk, dict):
            raise Failed("a stream event is not a JSON object")
        chunks.append(chunk)
    raise Failed("the stream did not end with data: [DONE]")


def check_stream(api: str, events: Iterator[str]) -> tuple[int | None, int, str]:
    """Server-sent events: chunks with finish_reason null but the last, chat deltas, then [DONE].

    Chunks without choices (Azure's prompt filter results, a final usage chunk) are allowed anywhere.
    """
    chunks = _stream_chunks(events)
    with_choices = [c for c in chunks if isinstance(c.get("choices"), list) and c["choices"]]
    if not with_choices:
        raise Failed("the stream carried no chunk with choices")
    for i, chunk in enumerate(with_choices):
        choice = chunk["choices"][0]
        if not isinstance(choice, dict):
            raise Failed(f"stream chunk {i} has a choice that is not an object")
        reason = choice.get("finish_reason")
        if i < len(with_choices) - 1 and reason is not None:
            raise Failed(f"stream chunk {i} has finish_reason {printable(str(reason), 40)!r} before the last")
        if i == len(with_choices) - 1 and (not isinstance(reason, str) or reason not in FINISH_REASONS):
            raise Failed(f"the last stream chunk has finish_reason {printable(str(reason), 40)!r}")
        if api == "chat" and not isinstance(choice.get("delta"), dict):
            raise Failed(f"chat stream chunk {i} has no delta")
        if api != "chat" and not isinstance(choice.get("text"), str):
            raise Failed(f"completion stream chunk {i} has no text")
    usage = next((c["usage"] for c in reversed(chunks) if isinstance(c.get("usage"), dict)), None)
    prompt = usage.get("prompt_tokens") if usage and _count(usage.get("prompt_tokens")) else None
    completion = usage.get("completion_tokens") if usage and _count(usage.get("completion_tokens")) else None
    return (
        prompt,
        completion if completion is not None else len(with_choices),
        f"{len(chunks)} chunks, ends with [DONE]",
    )


# ---------------------------------------------------------------------------------------------------------------
# Credentials: a key from endpointKeys, or an Entra ID token for a Foundry resource.


class TokenSource:
    """Entra ID tokens, asked once per scope and run from a credential with get_token(scope)."""

    def __init__(self, credential_factory: Callable[[], Any] | None = None) -> None:
        self._factory = credential_factory
        self._tokens: dict[str, str] = {}
        self._errors: dict[str, str] = {}

    def token(self, scope: str, redactor: Redactor) -> str:
        if scope not in self._tokens and scope not in self._errors:
            self._fetch(scope, redactor)
        if scope in self._errors:
            raise Failed(self._errors[scope])
        return self._tokens[scope]

    def _fetch(self, scope: str, redactor: Redactor) -> None:
        try:
            if self._factory is None:
                from clients.credential import credential_from_env

                self._factory = credential_from_env
            access = self._factory().get_token(scope)
            token = getattr(access, "token", access)
        except SettingError:
            raise  # a setting that cannot work is the command's error, not one endpoint's
        except UserError as exc:
            self._errors[scope] = f"no Entra ID token: {exc}"
            return
        except Exception as exc:  # a credential library's own error: one line, never a traceback
            first = str(exc).strip().splitlines()[:1] or [""]
            self._errors[scope] = f"no Entra ID token ({type(exc).__name__}): {printable(first[0], 200)}"
            return
        redactor.add(token if isinstance(token, str) else None)
        cleaned = clean_secret(token) if isinstance(token, str) else None
        if cleaned is None:
            self._errors[scope] = "the Entra ID token has characters an HTTP header cannot carry"
        else:
            self._tokens[scope] = cleaned


@dataclass
class Call:
    """What one endpoint needs to be called: where, with which body and which Authorization header."""

    target: Target
    authorization: str
    body: dict[str, Any]
    spec: CallSpec

    @property
    def modes(self) -> tuple[bool, ...]:
        """False for plain, True for streaming; a scoring URI answers in its container's format, plainly."""
        return (False,) if self.spec.protocol is Protocol.SCORING else (False, True)


def _credential(name: str, endpoint: dict[str, Any], keys: dict[str, str], call: CallSpec, ctx: Context) -> str:
    auth = endpoint.get("auth")
    if auth == "key":
        raw = keys.get(name)
        if not raw:
            raise Failed(f"no key in endpointKeys for {name}")
        key = clean_secret(raw)
        if key is None or len(key) < MIN_SECRET:
            raise Failed(f"the key in endpointKeys.{name} is not a key (empty, or characters a header cannot carry)")
        return key
    if auth == "entra" and call.token_scope and call.token_hosts:
        host = check_url(call.url, ctx.client.allow_http_loopback).host
        loopback = ctx.client.allow_http_loopback and host in LOOPBACK_HOSTS
        if not (host.endswith(call.token_hosts) or loopback):
            hosts = ", ".join("*" + s for s in call.token_hosts)
            raise Failed(
                f"an Entra ID token is sent only to {call.token_hosts_label} ({hosts}), not to {printable(host, 80)}"
            )
        return ctx.tokens.token(call.token_scope, ctx.redactor)
    raise NotChecked(f"auth {auth!r}: smoke signs in with a key, or with Entra ID where a token scope is known")


class NotChecked(Exception):
    """An endpoint smoke cannot call: reported as not checked, never as ok."""


def plan_call(name: str, endpoint: dict[str, Any], keys: dict[str, str], ctx: Context) -> Call:
    spec = KINDS[endpoint["kind"]].call(endpoint)
    target = check_url(spec.url, ctx.client.allow_http_loopback)
    credential = _credential(name, endpoint, keys, spec, ctx)
    body = dict(CHAT_BODY if endpoint.get("api") == "chat" else COMPLETION_BODY)
    if spec.model is not None:
        body["model"] = spec.model  # the OpenAI v1 API picks the deployment by `model`
    return Call(target, f"Bearer {credential}", body, spec)


# ---------------------------------------------------------------------------------------------------------------
# Running.


@dataclass
class Context:
    client: Client
    redactor: Redactor
    tokens: TokenSource
    private: bool = False
    """The stack is private (its `network` output): a failed call says where its endpoints can be reached from."""
    resolve: Callable[[str], list[str]] = lambda host: addresses(host, Deadline(5.0))


PRIVATE_REACH = (
    "the stack is private (network.private): run smoke from inside that network, where its private DNS zones give "
    "private addresses (a VM, a self-hosted runner, a VPN)"
)


def private_hint(url: str, ctx: Context) -> str:
    """Why a call to a private stack's endpoint failed here, from what its host name resolves to on this machine."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        found = ctx.resolve(host)
    except Failed:
        return f"; {printable(host, 80)} does not resolve here: {PRIVATE_REACH}"
    public = [a for a in found if not ipaddress.ip_address(a.split("%", 1)[0]).is_private]
    if public:
        return f"; {printable(host, 80)} resolves to the public address {public[0]} here: {PRIVATE_REACH}"
    return ""


def _one_call(name: str, endpoint: dict[str, Any], call: Call, stream: bool, ctx: Context) -> SmokeResult:
    mode = "stream" if stream else "plain"
    deadline = Deadline(ctx.client.timeout)
    headers = {"Authorization": call.authorization, "Accept": "text/event-stream" if stream else "application/json"}
    response = None
    prompt = completion = None
    try:
        response = ctx.client.post(call.target, headers, {**call.body, "stream": stream}, deadline)
        if response.status >= 400:
            _http_failure(response)
            detail = "reachable, content filtered (HTTP 400)"
        elif call.spec.protocol is Protocol.SCORING:
            _json_body(response)
            detail = "reachable, JSON answer (scoring URI: schema not checked)"
        elif stream:
            prompt, completion, detail = check_stream(endpoint["api"], sse_events(response.lines()))
        else:
            prompt, completion, detail = check_completion(endpoint["api"], _json_body(response))
        status = OK
    except Failed as err:
        hint = private_hint(call.spec.url, ctx) if ctx.private else ""
        prompt, completion, detail, status = None, None, str(err) + hint, FAIL
    finally:
        if response is not None:
            response.close()
    latency = int(deadline.elapsed() * 1000)
    return SmokeResult(name, mode, status, latency, prompt, completion, ctx.redactor(printable(detail, 300)))


def smoke_endpoint(name: str, endpoint: dict[str, Any], keys: dict[str, str], ctx: Context) -> list[SmokeResult]:
    try:
        call = plan_call(name, endpoint, keys, ctx)
    except Failed as err:
        return [SmokeResult(name, "plain", FAIL, 0, None, None, ctx.redactor(printable(str(err), 300)))]
    except NotChecked as why:
        return [SmokeResult(name, "plain", NOT_CHECKED, 0, None, None, ctx.redactor(printable(str(why), 300)))]
    return [_one_call(name, endpoint, call, stream, ctx) for stream in call.modes]


def run_smoke(
    outputs: Any,
    client: Client,
    credential_factory: Callable[[], Any] | None = None,
    redactor: Redactor | None = None,
    resolve: Callable[[str], list[str]] | None = None,
) -> list[SmokeResult]:
    """Every endpoint of the outputs, plain and streaming; `credential_factory` gives an Entra ID credential."""
    redactor = redactor or redactor_for(outputs)
    endpoints, keys = read_endpoints(outputs)
    network = outputs.get(NETWORK) if isinstance(outputs, dict) else None
    private = isinstance(network, dict) and network.get("private") is True
    ctx = Context(
        client, redactor, TokenSource(credential_factory), private, **({"resolve": resolve} if resolve else {})
    )
    return [r for name, e in endpoints.items() for r in smoke_endpoint(str(name), e, keys, ctx)]


def _tokens(value: int | None) -> str:
    return "-" if value is None else str(value)


def render_table(results: list[SmokeResult]) -> str:
    headers = ("endpoint", "mode", "result", "latency", "tokens in/out", "detail")
    rows = [
        (
            printable(r.endpoint, 60),
            r.mode,
            r.status.upper(),
            f"{r.latency_ms} ms",
            f"{_tokens(r.prompt_tokens)}/{_tokens(r.completion_tokens)}",
            printable(r.detail),
        )
        for r in results
    ]
    lines = render_rows(headers, rows)
    failed = sorted({printable(r.endpoint, 60) for r in results if r.status == FAIL})
    unchecked = sorted({printable(r.endpoint, 60) for r in results if r.status == NOT_CHECKED})
    summary = f"failed: {', '.join(failed)}" if failed else "all endpoints answer"
    if unchecked and not failed:
        summary = f"the others answer; not checked: {', '.join(unchecked)}"
    lines += ["", f"{len(results)} calls: {summary}"]
    return "\n".join(lines) + "\n"
