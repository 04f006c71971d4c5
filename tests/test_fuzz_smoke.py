"""Fuzzing, bounded: whatever a hostile server answers, smoke reports ok or fail in one line, never a key."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.redact import FRAGMENT, Redactor
from tests.llama_server import KEY, LlamaServer
from tools.smoke import Client, run_smoke

BOUNDED = settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
LEAKS = [KEY[4:16], urllib.parse.quote(KEY), base64.b64encode(f"user:{KEY}".encode()).decode(), json.dumps(KEY)]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
# Documented-looking answers with one part broken, so that the checks past the first are reached too.
shapes = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["cmpl-1", "", 5]),
        "object": st.sampled_from(["chat.completion", "text_completion", None]),
        "created": st.sampled_from([1700000000, -1, True, "now"]),
        "choices": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "finish_reason": st.sampled_from(["stop", "length", None, "weird", 3]),
                    "message": st.sampled_from([{"role": "assistant", "content": "OK"}, {"role": "user"}, "OK", None]),
                    "text": st.sampled_from(["x", None, 1]),
                    "delta": st.sampled_from([{"content": "O"}, "O", None]),
                },
            )
            | json_values,
            max_size=2,
        ),
        "usage": st.fixed_dictionaries(
            {},
            optional={
                k: st.sampled_from([0, 2, 21, 23, -1, True, "2", None])
                for k in ("prompt_tokens", "completion_tokens", "total_tokens")
            },
        )
        | json_values,
        "error": st.fixed_dictionaries({"code": st.sampled_from(["content_filter", f"x{KEY[2:14]}", 5, None])}),
    },
)
sse = st.lists(
    st.sampled_from(["data: [DONE]", "", ": keep-alive", "event: x", "data: {", "retry: 5"])
    | shapes.map(lambda s: "data: " + json.dumps(s))
    | st.text(max_size=20),
    max_size=8,
).map(lambda lines: ("\n".join(lines) + "\n").encode())
# Nesting past the parser's recursion limit, and numbers JSON does not have (json.dumps writes NaN, Infinity).
NESTS = {"[": "]", '{"a":1,"b":': "}", '{"choices":[': "]}"}
deep = st.tuples(st.integers(1, 5000), st.sampled_from(sorted(NESTS))).map(
    lambda d: d[1] * d[0] + "null" * d[1].endswith(":") + NESTS[d[1]] * d[0]
)
not_finite = shapes.map(lambda s: {**s, "created": float("nan")}) | st.sampled_from(["[Infinity]", '{"x": 1e999}'])
hostile_json = deep | not_finite.map(lambda v: v if isinstance(v, str) else json.dumps(v))
bodies = (
    shapes.map(lambda s: json.dumps(s).encode())
    | hostile_json.map(str.encode)
    | hostile_json.map(lambda text: f"data: {text}\n\ndata: [DONE]\n\n".encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | sse
    | st.binary(max_size=200)
    | st.sampled_from(LEAKS).map(lambda leak: f"<html>denied {leak}</html>".encode())
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(["application/json", "text/event-stream", "text/html", "", "x/\x7f"]),
        "Retry-After": st.sampled_from(["0", "-1", "NaN", "86400", "1e9", "Wed, 21 Oct 2099 07:28:00 GMT", "soon"])
        | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
        "Location": st.sampled_from(["http://localhost:9/x", "//evil.example/x", "data:,x", "::::"]),
    },
)
answers = st.tuples(st.sampled_from([200, 200, 200, 201, 204, 301, 307, 400, 401, 404, 429, 500, 503]), headers, bodies)


@pytest.fixture(scope="module")
def server():
    with LlamaServer() as s:
        yield s


def check(server: LlamaServer, kind: str, auth: str = "key") -> None:
    url = server.foundry_url("fuzz") if kind == "foundry" else server.url_for("fuzz", "chat")
    endpoint = {"kind": kind, "model": "m", "api": "chat", "url": url, "name": "n", "auth": auth, "deployment": "d"}
    outputs = {"endpoints": {"fuzz": endpoint}, "endpointKeys": {"fuzz": f"{KEY}\n"}}
    client = Client(1.0, allow_http_loopback=True, sleep=lambda seconds: None)
    for result in run_smoke(outputs, client):
        assert result.status in ("ok", "fail"), result
        assert "\n" not in result.detail and result.detail.isprintable(), result.detail
        leaked = [
            KEY[i : i + FRAGMENT] for i in range(len(KEY) - FRAGMENT + 1) if KEY[i : i + FRAGMENT] in result.detail
        ]
        assert not leaked, result.detail


@BOUNDED
@given(answer=answers, kind=st.sampled_from(["serverless", "foundry", "managed"]))
def test_any_answer_is_ok_or_fail_in_one_line_without_the_key(server, answer, kind):
    server.scripts["fuzz"] = answer
    check(server, kind)


@BOUNDED
@given(
    text=hostile_json,
    status=st.sampled_from([200, 400, 500]),
    stream=st.booleans(),
    kind=st.sampled_from(["serverless", "foundry", "managed"]),
)
def test_json_nested_too_deeply_or_not_finite_is_ok_or_fail_in_one_line(server, text, status, stream, kind):
    body = f"data: {text}\n\ndata: [DONE]\n\n" if stream else text
    kind_header = "text/event-stream" if stream else "application/json"
    server.scripts["fuzz"] = (status, {"Content-Type": kind_header}, body.encode())
    check(server, kind)


@BOUNDED
@given(answer=shapes)
def test_documented_looking_answers_are_checked_without_a_traceback(server, answer):
    server.scripts["fuzz"] = (200, {"Content-Type": "application/json"}, json.dumps(answer).encode())
    check(server, "serverless")


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    secret=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=FRAGMENT, max_size=64),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
    form=st.sampled_from(["plain", "url", "json", "base64", "basic", "slice", "padded"]),
)
def test_no_fragment_of_a_secret_survives_redaction(secret, before, after, form):
    encoded = {
        "plain": secret,
        "url": urllib.parse.quote(secret, safe=""),
        "json": json.dumps(secret)[1:-1],
        "base64": base64.b64encode(secret.encode()).decode(),
        "basic": base64.b64encode(f"{before}:{secret}".encode()).decode(),
        "slice": secret[1:-1],
        "padded": f"  {secret}\n",
    }[form]
    redact = Redactor([f" {secret}\n"])
    shown = redact(before + encoded + after)
    if form in ("base64", "basic"):
        # Inside base64, the characters that come from the secret alone (whole 3-byte groups) must be gone.
        offset = len(f"{before}:".encode()) if form == "basic" else 0
        own = base64.b64encode(secret.encode()[(3 - offset % 3) % 3 :]).decode().rstrip("=")[:-3]
        assert not any(own[i : i + FRAGMENT] in shown for i in range(len(own) - FRAGMENT + 1)), shown
    else:
        assert not any(secret[i : i + FRAGMENT] in shown for i in range(len(secret) - FRAGMENT + 1)), shown
