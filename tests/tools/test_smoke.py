"""`llama-on-azure smoke` against a local server speaking the Llama API and Foundry's OpenAI v1 API, both kinds."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import endpoints
from clients.errors import UserError
from clients.http import MAX_ATTEMPTS, MAX_BODY_BYTES, MAX_RETRY_AFTER, Client, check_url, retry_delay
from clients.http import HttpFailure as Failed
from clients.redact import FRAGMENT, SECRET
from clients.status import Status
from tests.support.llama_server import KEY, TOKEN, LlamaServer
from tests.support.tls import certificates, server_context
from tools.smoke import SmokeError, load_outputs, parse_timeout, run_smoke


@pytest.fixture
def server():
    with LlamaServer() as s:
        yield s


class FakeCredential:
    """Stands in for clients.credential.credential_from_env(): records the scopes it is asked for."""

    def __init__(self, token: str = TOKEN, error: Exception | None = None) -> None:
        self.scopes: list[str] = []
        self.token, self.error = token, error

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.scopes += scopes
        if self.error:
            raise self.error
        return type("AccessToken", (), {"token": self.token, "expires_on": 0})()


def endpoint(url: str, kind: str = "serverless", api: str = "chat", auth: str = "key", **extra: Any) -> dict:
    return {"kind": kind, "model": "Meta-Llama-3-8B", "api": api, "url": url, "name": "x", "auth": auth, **extra}


def outputs(server: LlamaServer, *names: tuple[str, str], kind: str = "serverless", auth: str = "key") -> dict:
    return {
        "endpoints": {name: endpoint(server.url_for(name, api), kind, api, auth) for name, api in names},
        "endpointKeys": {name: KEY for name, _ in names},
    }


def foundry_outputs(server: LlamaServer, *names: str, auth: str = "key") -> dict:
    endpoints = {n: endpoint(server.foundry_url(n), "foundry", auth=auth, deployment=f"{n}-dep") for n in names}
    return {"endpoints": endpoints, "endpointKeys": {n: KEY for n in names} if auth == "key" else {}}


def smoke(data: dict, timeout: float = 5, credential: FakeCredential | None = None, loopback: bool = True) -> dict:
    sleeps: list[float] = []
    client = Client(timeout, allow_http_loopback=loopback, sleep=sleeps.append)
    results = run_smoke(data, client, None if credential is None else lambda: credential)
    return {(r.endpoint, r.mode): r for r in results} | {"sleeps": sleeps}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("llama-on-azure")
    return subprocess.run([str(script), "smoke", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def in_process(capsys, *args: str, credential: Any = None) -> tuple[int, str, str]:
    """The command in this process (no interpreter start-up): exit code, stdout, stderr."""
    from tools.cli import main

    code = main(["smoke", *args], credential=credential)
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def fragments(secret: str) -> list[str]:
    return [secret[i : i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1)]


def assert_no_fragment(text: str, secret: str = KEY) -> None:
    leaked = [f for f in fragments(secret) if f in text]
    assert not leaked, f"secret fragments printed: {leaked}"


# -- The three kinds --------------------------------------------------------------------------------------------


def test_good_chat_and_completion_endpoints_pass_plain_and_streaming(server):
    found = smoke(outputs(server, ("good", "chat"), ("base", "completions")))
    for key in [("good", "plain"), ("good", "stream"), ("base", "plain"), ("base", "stream")]:
        assert found[key].status == "ok", found[key]
    assert found[("good", "plain")].prompt_tokens == 21 and found[("good", "plain")].completion_tokens == 2
    assert found[("good", "stream")].detail == "2 chunks, ends with [DONE]"
    chat = next(c for c in server.calls if c["endpoint"] == "good" and not c["body"]["stream"])
    assert chat["route"] == "/v1/chat/completions"
    assert chat["headers"]["Authorization"] == f"Bearer {KEY}"
    assert chat["body"]["messages"][-1]["role"] == "user"
    completion = next(c for c in server.calls if c["endpoint"] == "base")
    assert completion["route"] == "/v1/completions" and isinstance(completion["body"]["prompt"], str)


def test_foundry_endpoints_speak_openai_v1_with_the_deployment_as_model(server):
    found = smoke(foundry_outputs(server, "maverick"))
    assert found[("maverick", "plain")].status == "ok", found[("maverick", "plain")]
    assert found[("maverick", "stream")].status == "ok", found[("maverick", "stream")]
    assert found[("maverick", "stream")].detail == "3 chunks, ends with [DONE]"  # the prompt-filter chunk too
    calls = [c for c in server.calls if c["endpoint"] == "maverick"]
    assert {c["route"] for c in calls} == {"/openai/v1/chat/completions"}
    assert {c["body"]["model"] for c in calls} == {"maverick-dep"}
    assert [c["body"]["stream"] for c in calls] == [False, True]
    assert {c["headers"]["Authorization"] for c in calls} == {f"Bearer {KEY}"}


def test_foundry_with_entra_id_sends_a_token_for_the_foundry_scope_asked_once(server):
    credential = FakeCredential()
    found = smoke(foundry_outputs(server, "a", "b", auth="entra"), credential=credential)
    assert all(found[(n, m)].status == "ok" for n in "ab" for m in ("plain", "stream"))
    assert credential.scopes == [endpoints.FOUNDRY_TOKEN_SCOPE]
    assert {c["headers"]["Authorization"] for c in server.calls} == {f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UserError("not signed in to Azure: run `az login`"), "no Entra ID token: not signed in to Azure"),
        (RuntimeError("token service down\nsecond line"), "no Entra ID token (RuntimeError): token service down"),
    ],
)
def test_a_failed_sign_in_fails_the_foundry_endpoint_in_one_line(server, error, expected):
    found = smoke(foundry_outputs(server, "a", auth="entra"), credential=FakeCredential(error=error))
    assert found[("a", "plain")].status == "fail"
    assert found[("a", "plain")].detail == expected or found[("a", "plain")].detail.startswith(expected)
    assert "\n" not in found[("a", "plain")].detail and server.calls == []


def test_an_entra_token_goes_to_foundry_hosts_only(server):
    credential = FakeCredential()
    data = foundry_outputs(server, "a", auth="entra")
    data["endpoints"]["a"]["url"] = "https://collector.example.com/openai/v1/chat/completions"
    found = smoke(data, credential=credential)
    assert found[("a", "plain")].status == "fail"
    assert "sent only to Foundry hosts (*.services.ai.azure.com" in found[("a", "plain")].detail
    assert credential.scopes == [], "the credential was not even asked"


def test_managed_endpoints_are_checked_for_reachability_only(server):
    found = smoke(outputs(server, ("good", "chat"), kind="managed"))
    assert found[("good", "plain")].status == "ok" and "schema not checked" in found[("good", "plain")].detail
    assert ("good", "stream") not in found


@pytest.mark.parametrize("auth", ["entra", "token"])
def test_managed_endpoints_without_a_key_are_not_checked_never_ok(server, auth):
    found = smoke(outputs(server, ("good", "chat"), kind="managed", auth=auth))
    assert found[("good", "plain")].status == "not checked"
    assert server.calls == []


# -- Broken endpoints -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("badkey", "HTTP 401: authentication refused"),
        ("missing", "HTTP 404: not found"),
        ("malformed", "usage is missing"),
        ("badtotal", "total_tokens 99 is not prompt + completion"),
        ("html", "the answer is not JSON (text/html, line 1, column 1: Expecting value): '<html><body>Sign in</body>"),
        ("huge", f"the answer is larger than {MAX_BODY_BYTES} bytes"),
    ],
)
def test_broken_endpoints_fail_naming_the_problem(server, name, expected):
    found = smoke(outputs(server, (name, "chat")))
    assert found[(name, "plain")].status == "fail"
    assert expected in found[(name, "plain")].detail


DEEP = "[" * 50_000 + "]" * 50_000
"""100 KB of nesting: Python's parser raises RecursionError on it."""


@pytest.mark.parametrize(
    ("status", "kind", "body", "plain", "stream"),
    [
        (200, "application/json", DEEP, "nested deeper than 100 levels", "did not end with data: [DONE]"),
        (500, "application/json", '{"error": ' + DEEP + "}", "HTTP 500: error", "HTTP 500: error"),
        (200, "text/event-stream", f"data: {DEEP}\n\n", "not JSON", "a stream event is not JSON (nested deeper"),
        (200, "application/json", '{"id": "x", "created": NaN}', "NaN is not a JSON number", "did not end"),
        (200, "text/event-stream", 'data: {"x": Infinity}\n\n', "not JSON", "Infinity is not a JSON number"),
    ],
)
def test_answers_nested_too_deeply_or_not_finite_fail_in_one_line(server, status, kind, body, plain, stream):
    server.scripts["deep"] = (status, {"Content-Type": kind}, body.encode())
    found = smoke(outputs(server, ("deep", "chat")))
    for mode, expected in (("plain", plain), ("stream", stream)):
        result = found[("deep", mode)]
        assert result.status == "fail" and expected in result.detail, result
        assert "\n" not in result.detail and len(result.detail) <= 300


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"endpoints": ' + '{"a": ' * 60_000 + "1" + "}" * 60_001,
        '{"endpoints": {}, "endpointKeys": {"a": NaN}}',
    ],
)
def test_an_outputs_file_nested_too_deeply_is_one_error_line(capsys, tmp_path, text):
    path = tmp_path / "outputs.json"
    path.write_text(text)
    code, out, err = in_process(capsys, "--outputs", str(path))
    assert code == 1 and out == ""
    assert err.startswith(f"error: {path} is not JSON (") and err.count("\n") == 1, err[:300]


def test_lines_before_the_outputs_are_skipped_a_bounded_number_of_times(monkeypatch, tmp_path):
    """Each line that starts with `{` is tried as the outputs' start; unbounded, this file took 33 s."""
    from clients import json_input
    from tools import smoke as module

    tries = []
    decode = json_input.decode_at
    monkeypatch.setattr(json_input, "decode_at", lambda *args: tries.append(args[1:]) or decode(*args))
    path = tmp_path / "outputs.json"
    path.write_text('{"a": [\n' * 500_000)
    with pytest.raises(SmokeError, match="is not JSON"):
        load_outputs(None, path)
    assert 1 < len(tries) <= module.MAX_PREAMBLE_TRIES + 1
    path.write_text("A newer version of Pulumi is available.\n\n" + json.dumps({"endpoints": {}}))
    assert load_outputs(None, path) == {"endpoints": {}}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([1, 2], "not a JSON object"),
        ({"id": "x", "object": "chat.completion", "created": True}, "created is not a unix time"),
        ({"id": "x", "object": "chat.completion", "created": 1, "choices": ["ok"]}, "a choice has no finish_reason"),
        (
            {
                "id": "x",
                "object": "chat.completion",
                "created": 1,
                "choices": [{"finish_reason": "stop", "message": 3}],
            },
            "not an assistant message",
        ),
        (
            {"id": "x", "object": "chat.completion", "created": 1, "choices": [{"finish_reason": ["stop"]}]},
            "is not one of the documented values",
        ),
        (
            {**json.loads(json.dumps({"id": "x", "object": "chat.completion", "created": 1})), "choices": []},
            "choices is missing or empty",
        ),
    ],
)
def test_wrong_json_shapes_fail_without_a_traceback(server, answer, expected):
    server.answers["shape"] = answer
    found = smoke(outputs(server, ("shape", "chat")))
    assert found[("shape", "plain")].status == "fail"
    assert expected in found[("shape", "plain")].detail


def test_a_stream_without_done_fails(server):
    found = smoke(outputs(server, ("nodone", "chat")))
    assert found[("nodone", "plain")].status == "ok"
    assert found[("nodone", "stream")].status == "fail"
    assert "did not end with data: [DONE]" in found[("nodone", "stream")].detail


def test_a_content_filter_answer_means_reachable(server):
    found = smoke(outputs(server, ("filtered", "chat")))
    assert found[("filtered", "plain")].status == "ok"
    assert "content filtered" in found[("filtered", "plain")].detail


def test_a_missing_key_fails_that_endpoint(server):
    data = outputs(server, ("good", "chat"))
    data["endpointKeys"] = {}
    found = smoke(data)
    assert found[("good", "plain")].status == "fail" and "no key" in found[("good", "plain")].detail


# -- Nothing hangs ----------------------------------------------------------------------------------------------


def test_a_slow_answer_fails_at_the_deadline(server):
    found = smoke(outputs(server, ("slow", "chat")), timeout=0.2)
    assert found[("slow", "plain")].status == "fail"
    assert found[("slow", "plain")].detail == "no complete answer within 0.2 s"


@pytest.mark.parametrize("name", ["trickle", "slowheaders"])
def test_a_trickling_server_fails_at_the_deadline(server, name):
    found = smoke(outputs(server, (name, "chat")), timeout=0.15)
    assert found[(name, "stream")].detail == "no complete answer within 0.15 s"
    assert found[(name, "plain")].status == "fail"
    # The plain call's client hung up while the server was still trickling (it stops by itself after seconds).
    assert server.hung_up[:1] == [name]


def test_a_never_ending_stream_fails_at_the_byte_cap_or_the_deadline(server):
    found = smoke(outputs(server, ("endless", "chat")), timeout=3)
    detail = found[("endless", "stream")].detail
    assert found[("endless", "stream")].status == "fail"
    assert detail.startswith(("the stream passed", "the stream sent more than")) or detail.startswith("no complete")


def test_throttling_is_retried_with_the_servers_delay(server):
    found = smoke(outputs(server, ("throttled", "chat")))
    assert found[("throttled", "plain")].status == "ok"
    assert found["sleeps"] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("name", "sleep"), [("retry86400", MAX_RETRY_AFTER), ("retryneg", 2.0), ("retrynan", 2.0), ("retrydate", 30.0)]
)
def test_retry_after_is_honoured_but_bounded(server, name, sleep):
    found = smoke(outputs(server, (name, "chat")), timeout=100)
    assert found[(name, "plain")].status == "ok"
    assert found["sleeps"] == [sleep]


def test_a_wait_longer_than_the_deadline_fails_at_once(server):
    found = smoke(outputs(server, ("retry86400", "chat")), timeout=5)
    assert found[("retry86400", "plain")].detail.startswith("throttled (HTTP 429): the endpoint asks to wait 30 s")
    assert found["sleeps"] == []


@pytest.mark.parametrize(
    ("value", "attempt", "expected"),
    [
        ("7", 0, 7.0),
        (" 12 ", 0, 12.0),
        ("86400", 0, MAX_RETRY_AFTER),
        ("99999999999999999999", 0, 2.0),  # more digits than any real answer: a backoff
        ("-1", 1, 4.0),
        ("NaN", 0, 2.0),
        ("inf", 0, 2.0),
        ("1.5", 0, 2.0),
        ("", 2, 8.0),
        (None, 5, MAX_RETRY_AFTER),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0, 0.0),  # in the past: no wait
        ("Wed, 21 Oct 2099 07:28:00 GMT", 0, MAX_RETRY_AFTER),
        ("Wed, 21 Oct 2099 07:28:00", 0, 2.0),  # no zone: not an HTTP date
    ],
)
def test_retry_delay_is_always_a_bounded_number(value, attempt, expected):
    assert retry_delay(value, attempt, now=lambda: 1_700_000_000.0) == expected


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "-inf", "1e9", "901", "abc", "", "0x10"])
def test_odd_timeouts_are_refused(text):
    with pytest.raises(SmokeError, match="--timeout"):
        parse_timeout(text)


def test_sane_timeouts_are_kept_and_attempts_capped():
    assert parse_timeout("0.5") == 0.5 and parse_timeout(" 900 ") == 900.0
    assert Client(attempts=100).attempts == MAX_ATTEMPTS and Client(attempts=0).attempts == 1


# -- Secrets never leave ----------------------------------------------------------------------------------------


def test_a_redirect_to_another_origin_never_receives_the_key():
    with LlamaServer() as sink, LlamaServer(redirect_to=sink.url.replace("127.0.0.1", "localhost")) as server:
        found = smoke(outputs(server, ("redirect", "chat")))
        assert sink.calls == []
    detail = found[("redirect", "plain")].detail
    assert found[("redirect", "plain")].status == "fail"
    assert detail.startswith("HTTP 307: the endpoint redirects to http://localhost; redirects are never followed")
    assert [c["headers"]["Authorization"] for c in server.calls] == [f"Bearer {KEY}", f"Bearer {KEY}"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("data:text/plain,hello", "scheme 'data' is not allowed"),
        ("ftp://example.com/x", "scheme 'ftp' is not allowed"),
        ("javascript:alert(1)", "scheme 'javascript' is not allowed"),
        ("http://example.com/v1/chat/completions", "plain http: a key is sent over https only"),
        ("https://user:pass@example.com/x", "carries a user name or password"),
        ("https://exa mple.com/x", "spaces or control characters"),
        ("https://example.com:99999/x", "cannot be parsed"),
        ("https:///x", "has no host"),
    ],
)
def test_urls_a_key_must_not_go_to_are_refused_before_any_connection(url, expected):
    data = {"endpoints": {"e": endpoint(url)}, "endpointKeys": {"e": KEY}}
    found = smoke(data)
    assert found[("e", "plain")].status == "fail"
    assert expected in found[("e", "plain")].detail


def test_plain_http_to_loopback_needs_the_flag(server):
    found = smoke(outputs(server, ("good", "chat")), loopback=False)
    assert "--allow-http-loopback allows it for 127.0.0.1 only" in found[("good", "plain")].detail
    assert server.calls == []
    assert check_url("http://[::1]:8080/x", allow_http_loopback=True).origin == "http://::1:8080"


def test_a_key_with_a_trailing_newline_is_stripped_and_never_shown(server, tmp_path, capsys):
    data = outputs(server, ("good", "chat"), ("echokey", "chat"))
    data["endpointKeys"] = {name: f"  {KEY}\n" for name in data["endpointKeys"]}
    found = smoke(data)
    assert found[("good", "plain")].status == "ok"
    assert {c["headers"]["Authorization"] for c in server.calls} == {f"Bearer {KEY}"}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    for fmt in ("text", "json"):
        code, out, err = in_process(capsys, "--outputs", str(path), "--allow-http-loopback", "--format", fmt)
        assert code == 1 and "echokey" in out
        assert_no_fragment(out + err)


def test_a_key_with_characters_a_header_cannot_carry_fails_without_showing_it(server):
    data = outputs(server, ("good", "chat"))
    data["endpointKeys"]["good"] = "sk-abc\r\nX-Injected: 1"
    found = smoke(data)
    assert found[("good", "plain")].status == "fail" and "not a key" in found[("good", "plain")].detail
    assert "sk-abc" not in found[("good", "plain")].detail and server.calls == []


@pytest.mark.parametrize("name", ["echokey", "echoencoded"])
def test_answers_that_echo_part_of_the_key_are_masked(server, name):
    found = smoke(outputs(server, (name, "chat")))
    detail = found[(name, "plain")].detail
    assert found[(name, "plain")].status == "fail" and SECRET in detail
    assert_no_fragment(detail)
    assert_no_fragment(detail, json.dumps(KEY)[1:-1])


def test_the_command_reads_an_outputs_file_and_never_prints_keys(server, tmp_path):
    path = tmp_path / "outputs.json"
    data = outputs(server, ("good", "chat"), ("base", "completions"), ("echokey", "chat"), ("echoencoded", "chat"))
    path.write_text(json.dumps(data))
    done = cli("--outputs", str(path), "--allow-http-loopback")
    assert done.returncode == 1
    assert "failed: echoencoded, echokey" in done.stdout
    assert_no_fragment(done.stdout + done.stderr)
    lines = {line.split()[0] + " " + line.split()[1]: line for line in done.stdout.splitlines()[1:9]}
    assert " OK " in lines["good plain"] and " OK " in lines["base stream"]


def test_the_command_exits_0_when_every_endpoint_answers(server, tmp_path, capsys):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs(server, ("good", "chat"), ("base", "completions"))))
    code, out, err = in_process(capsys, "--outputs", str(path), "--allow-http-loopback")
    assert code == 0, out + err
    assert "4 calls: all endpoints answer" in out
    code, out, _ = in_process(capsys, "--outputs", str(path), "--format", "json", "--allow-http-loopback")
    assert code == 0 and json.loads(out)["ok"] is True and len(json.loads(out)["results"]) == 4


def test_the_command_signs_in_to_foundry_with_the_injected_credential(server, tmp_path, capsys):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(foundry_outputs(server, "maverick", auth="entra")))
    args = ("--outputs", str(path), "--allow-http-loopback", "--format", "json")
    code, out, err = in_process(capsys, *args, credential=FakeCredential())
    assert code == 0, out + err
    assert json.loads(out)["ok"] is True
    assert_no_fragment(out + err, TOKEN)


# -- Outputs of the wrong shape, and the pulumi CLI --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"endpoints": {"a": endpoint("https://a")}, "endpointKeys": "[secret]"},
            "save the outputs with --show-secrets",
        ),
        ([1, 2], "the outputs are not a JSON object"),
        ({"endpoints": {}}, "the outputs have no endpoints"),
        ({"endpoints": {"a": "https://a"}}, "endpoints.a is not an object"),
        ({"endpoints": {"a": endpoint("https://a", kind="vm")}}, "endpoints.a.kind is 'vm'"),
        ({"endpoints": {"a": endpoint(None)}}, "endpoints.a.url is missing"),
        ({"endpoints": {"a": endpoint("https://a", kind="foundry")}}, "endpoints.a.deployment is missing"),
        ({"endpoints": {"a": endpoint("https://a")}, "endpointKeys": {"a": 5}}, "not a map of endpoint name to key"),
    ],
)
def test_outputs_of_the_wrong_shape_are_one_clear_error(data, expected):
    with pytest.raises(UserError, match=None) as caught:
        run_smoke(data, Client())
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        ('{"endpoints": {}}', {"endpoints": {}}),
        ('warning: A new version of Pulumi is available.\n{\n  "endpoints": {}\n}\n', {"endpoints": {}}),
        ('warning: {not json}\n{"a": 1}\n', {"a": 1}),
    ],
)
def test_outputs_come_from_the_pulumi_cli_even_after_a_warning(stdout, expected):
    seen = {}

    def fake_run(command, **kwargs):
        seen["command"] = command
        return subprocess.CompletedProcess(command, 0, stdout=stdout, stderr="")

    assert load_outputs("prod", None, run=fake_run) == expected
    assert seen["command"] == ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", "prod"]


def _failing(exc=None, code=0, stdout="", stderr=""):
    def run(command, **kwargs):
        if exc is not None:
            raise exc
        return subprocess.CompletedProcess(command, code, stdout=stdout, stderr=stderr)

    return run


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (_failing(FileNotFoundError("pulumi")), "the pulumi CLI is not installed: install it, or pass --outputs FILE"),
        (_failing(PermissionError(13, "Permission denied")), "cannot run the pulumi CLI"),
        (_failing(subprocess.TimeoutExpired("pulumi", 120)), "did not finish within 120 s"),
        (_failing(code=255, stderr="error: no stack named 'prod' found\n"), "failed (exit 255): error: no stack named"),
        (_failing(code=1), "failed (exit 1): no message"),
        (_failing(stdout=f'{{"endpointKeys": {{"a": "{KEY}"'), "is not JSON"),
    ],
)
def test_a_missing_or_failing_pulumi_cli_is_one_clear_error(run, expected):
    with pytest.raises(SmokeError) as caught:
        load_outputs("prod", None, run=run)
    assert expected in str(caught.value)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("stack", ["--show-secrets", "a b", "../x", ""])
def test_odd_stack_names_never_reach_the_pulumi_cli(stack):
    with pytest.raises(UserError, match="is not a stack name"):
        load_outputs(stack, None, run=_failing(AssertionError("ran")))


def test_outputs_files_that_cannot_be_read_are_one_clear_error(tmp_path):
    cases = {
        "missing.json": None,
        "latin1.json": '{"a": "caf\xe9"}'.encode("latin-1"),
        "text.json": f"endpointKeys: {KEY}".encode(),
        "big.json": b" " * (16 << 20) + b"{}",
    }
    expected = {
        "missing.json": "outputs file",
        "latin1.json": "is not UTF-8 text",
        "text.json": "is not JSON",
        "big.json": "larger than",
    }
    for name, data in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(SmokeError) as caught:
            load_outputs(None, tmp_path / name)
        assert expected[name] in str(caught.value) and KEY not in str(caught.value)


def test_the_command_says_to_use_show_secrets_for_masked_outputs(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"endpoints": {"a": endpoint("https://a")}, "endpointKeys": "[secret]"}))
    done = cli("--outputs", str(path))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "error: endpointKeys is masked ('[secret]'): save the outputs with --show-secrets\n"


# -- Over TLS, as in Azure --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A certificate authority and a certificate for localhost/127.0.0.1 it signed (cryptography, offline)."""
    return certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(tls):
    server = LlamaServer()
    server.httpd.socket = server_context(tls).wrap_socket(server.httpd.socket, server_side=True)
    with server:
        yield server


def test_https_endpoints_are_called_over_tls_without_the_loopback_flag(tls, tls_server):
    import ssl

    url = tls_server.url_for("good", "chat").replace("http://", "https://")
    data = {"endpoints": {"good": endpoint(url)}, "endpointKeys": {"good": KEY}}
    client = Client(5, context=ssl.create_default_context(cafile=str(tls / "ca.pem")))
    found = {(r.endpoint, r.mode): r for r in run_smoke(data, client)}
    assert found[("good", "plain")].status == "ok" and found[("good", "stream")].status == "ok"
    assert {c["headers"]["Authorization"] for c in tls_server.calls} == {f"Bearer {KEY}"}


def test_a_certificate_nobody_trusts_fails_before_the_key_is_sent(tls_server):
    url = tls_server.url_for("good", "chat").replace("http://", "https://")
    found = smoke({"endpoints": {"good": endpoint(url)}, "endpointKeys": {"good": KEY}}, loopback=False)
    assert found[("good", "plain")].status == "fail"
    assert found[("good", "plain")].detail.startswith("the TLS certificate was refused")
    assert tls_server.calls == []


# An endpoint that echoes the key in an escaped form: what smoke prints decodes to no fragment of it.

_CHUNKS = [KEY[i : i + 5] for i in range(0, len(KEY), 5)]
ECHOED = {
    "u-escapes": "".join(f"\\u{ord(c):04x}" for c in KEY),
    "x-escapes": "".join(f"\\x{ord(c):02X}" for c in KEY),
    "octal-escapes": "".join(f"\\{ord(c):03o}" for c in KEY),
    "percent": "".join(f"%{ord(c):02x}" for c in KEY),
    "html-references": "".join(f"&#{ord(c)};" for c in KEY),
    "base64": base64.b64encode(KEY.encode()).decode(),
    "base64url-shifted": base64.urlsafe_b64encode(b"\xfb\xff" + KEY.encode()).decode(),
    "base64-in-lines": "\n".join(base64.b64encode(KEY.encode()).decode()[i : i + 8] for i in range(0, 32, 8)),
    "hex": KEY.encode().hex(),
    "json-in-json": json.dumps(json.dumps({"key": KEY}))[1:-1],
    "split-lines": "\n".join(_CHUNKS),
    "split-crlf-indented": "\r\n    ".join(_CHUNKS),
    "split-escaped-lines": "\\n".join(_CHUNKS),
}
"""Each form a careless server echoes the key in: every one decodes back to it."""


def _places(form: str) -> dict[str, Any]:
    """Where an answer can carry the form to what smoke prints: an error code, a body, a field, a stream event."""
    answer = {"id": "x", "object": "chat.completion", "created": 1, "choices": [{"finish_reason": form}]}
    return {
        "error": (500, json.dumps({"error": {"code": form, "message": form}}).encode(), "application/json"),
        "page": (200, f"<p>your key: {form}</p>".encode(), "text/html"),
        "field": (200, json.dumps(answer).encode(), "application/json"),
        "event": (200, f"data: {form}\n\ndata: [DONE]\n\n".encode(), "text/event-stream"),
    }


def _shown_parts(form: str, printed: str) -> list[str]:
    """Runs of the form that would carry 8 or more of the key's characters, found in what was printed (as it is,
    with its control characters escaped as smoke escapes them, or quoted once more)."""
    leaked = []
    for variant in {form, form.replace("\r", "\\r").replace("\n", "\\n")}:
        for shown in {variant, variant.replace("\\", "\\\\")}:
            unit = len(shown) * 12 // len(KEY)  # 12 of the key's characters, so an odd alignment is not a leak
            leaked += [shown[i : i + unit] for i in range(len(shown) - unit + 1) if shown[i : i + unit] in printed]
    return leaked


@pytest.fixture(scope="module")
def echoing():
    from tests.support.hostile_server import HostileServer

    with HostileServer() as server:
        yield server


JSON_TOO = ("u-escapes", "base64-in-lines", "hex", "split-crlf-indented")


@pytest.mark.parametrize(("form", "fmt"), [(form, "text") for form in ECHOED] + [(form, "json") for form in JSON_TOO])
def test_a_key_echoed_in_any_escaped_form_is_masked(echoing, tmp_path, capsys, form, fmt):
    places = _places(ECHOED[form])
    for place, (status, body, kind) in places.items():
        answer = lambda h, s=status, b=body, k=kind: h.raw(s, b, None, k)  # noqa: E731
        echoing.script.routes[f"/{place}/v1/chat/completions"] = answer
    urls = {place: f"{echoing.url}/{place}/v1/chat/completions" for place in places}
    data = {"endpoints": {p: endpoint(url) for p, url in urls.items()}, "endpointKeys": dict.fromkeys(urls, KEY)}
    (tmp_path / "outputs.json").write_text(json.dumps(data))
    args = ("--outputs", str(tmp_path / "outputs.json"), "--allow-http-loopback", "--format", fmt)
    code, out, err = in_process(capsys, *args)
    assert code == 1 and "Traceback" not in err
    assert not _shown_parts(ECHOED[form], out + err), out
    assert_no_fragment(out + err)
    assert_no_fragment(re.sub(r"(\?|\\+[rn]|\s)+", "", out + err))  # a key's lines read together


# Bounded fuzzing of the smoke client.
# Fuzzing, bounded: whatever a hostile server answers, smoke reports ok or fail in one line, never a key.

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
def fuzz_server():
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
def test_any_answer_is_ok_or_fail_in_one_line_without_the_key(fuzz_server, answer, kind):
    fuzz_server.scripts["fuzz"] = answer
    check(fuzz_server, kind)


@BOUNDED
@given(
    text=hostile_json,
    status=st.sampled_from([200, 400, 500]),
    stream=st.booleans(),
    kind=st.sampled_from(["serverless", "foundry", "managed"]),
)
def test_json_nested_too_deeply_or_not_finite_is_ok_or_fail_in_one_line(fuzz_server, text, status, stream, kind):
    body = f"data: {text}\n\ndata: [DONE]\n\n" if stream else text
    kind_header = "text/event-stream" if stream else "application/json"
    fuzz_server.scripts["fuzz"] = (status, {"Content-Type": kind_header}, body.encode())
    check(fuzz_server, kind)


@BOUNDED
@given(answer=shapes)
def test_documented_looking_answers_are_checked_without_a_traceback(fuzz_server, answer):
    fuzz_server.scripts["fuzz"] = (200, {"Content-Type": "application/json"}, json.dumps(answer).encode())
    check(fuzz_server, "serverless")


# A private stack: a failed call says where its endpoints can be reached from, by what the name resolves to here.
def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_outputs(url: str) -> dict:
    data = {"endpoints": {"chat": endpoint(url)}, "endpointKeys": {"chat": KEY}}
    return data | {"network": {"private": True, "subnetId": "/subscriptions/x/subnets/y", "dnsZones": []}}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (["20.50.1.2"], "resolves to the public address 20.50.1.2 here"),
        (Failed("cannot resolve chat.swedencentral.inference.ai.azure.com: no such name"), "does not resolve here"),
    ],
    ids=["public address", "no address"],
)
def test_a_private_stack_that_fails_from_here_says_to_run_from_its_network(answer, expected):
    def resolve(host: str) -> list[str]:
        if isinstance(answer, Exception):
            raise answer
        return answer

    data = private_outputs(f"http://127.0.0.1:{closed_port()}/v1/chat/completions")
    results = run_smoke(data, Client(2, allow_http_loopback=True), resolve=resolve)
    assert {r.status for r in results} == {Status.FAIL}
    for result in results:
        assert expected in result.detail and "run smoke from inside that network" in result.detail, result.detail


def test_a_private_name_that_resolves_privately_gets_no_hint_and_a_public_stack_none_either():
    url = f"http://127.0.0.1:{closed_port()}/v1/chat/completions"
    client = Client(2, allow_http_loopback=True)
    (private, *_) = run_smoke(private_outputs(url), client, resolve=lambda h: ["10.42.0.4"])
    assert private.status is Status.FAIL and "network.private" not in private.detail
    public = private_outputs(url)
    del public["network"]
    (result, *_) = run_smoke(public, client, resolve=lambda h: ["20.50.1.2"])
    assert "network.private" not in result.detail
