"""`llama-on-azure smoke` against a local server implementing the documented Llama API, good and broken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.llama_server import KEY, LlamaServer
from tools.smoke import Caller, SmokeError, load_outputs, run_smoke


@pytest.fixture
def server():
    with LlamaServer() as s:
        yield s


def outputs(server: LlamaServer, *names: tuple[str, str], kind: str = "serverless") -> dict:
    return {
        "endpoints": {
            name: {"kind": kind, "model": "Meta-Llama-3-8B", "api": api, "url": server.url_for(name, api)}
            for name, api in names
        },
        "endpointKeys": {name: KEY for name, _ in names},
    }


def smoke(data: dict, timeout: float = 5) -> dict:
    sleeps: list[float] = []
    results = run_smoke(data, Caller(timeout=timeout, sleep=sleeps.append))
    return {(r.endpoint, r.mode): r for r in results} | {"sleeps": sleeps}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("llama-on-azure")
    return subprocess.run([str(script), "smoke", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


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


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("badkey", "HTTP 401: authentication refused"),
        ("missing", "HTTP 404: not found"),
        ("malformed", "usage is missing"),
        ("badtotal", "total_tokens 99 is not prompt + completion"),
    ],
)
def test_broken_endpoints_fail_naming_the_problem(server, name, expected):
    found = smoke(outputs(server, (name, "chat")))
    assert found[(name, "plain")].status == "fail"
    assert expected in found[(name, "plain")].detail


def test_a_stream_without_done_fails(server):
    found = smoke(outputs(server, ("nodone", "chat")))
    assert found[("nodone", "plain")].status == "ok"
    assert found[("nodone", "stream")].status == "fail"
    assert "did not end with data: [DONE]" in found[("nodone", "stream")].detail


def test_timeouts_fail(server):
    found = smoke(outputs(server, ("slow", "chat")), timeout=0.5)
    assert found[("slow", "plain")].status == "fail"
    assert "no answer within 0.5 s" in found[("slow", "plain")].detail


def test_throttling_is_retried_with_the_servers_delay(server):
    found = smoke(outputs(server, ("throttled", "chat")))
    assert found[("throttled", "plain")].status == "ok"
    assert found["sleeps"] == [0.0, 0.0]


def test_a_content_filter_answer_means_reachable(server):
    found = smoke(outputs(server, ("filtered", "chat")))
    assert found[("filtered", "plain")].status == "ok"
    assert "content filtered" in found[("filtered", "plain")].detail


def test_a_missing_key_fails_that_endpoint(server):
    data = outputs(server, ("good", "chat"))
    data["endpointKeys"] = {}
    found = smoke(data)
    assert found[("good", "plain")].status == "fail" and "no key" in found[("good", "plain")].detail


def test_managed_endpoints_are_checked_for_reachability_only(server):
    found = smoke(outputs(server, ("good", "chat"), kind="managed"))
    assert found[("good", "plain")].status == "ok" and "schema not checked" in found[("good", "plain")].detail
    assert ("good", "stream") not in found


def test_the_command_reads_an_outputs_file_and_never_prints_keys(server, tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs(server, ("good", "chat"), ("base", "completions"), ("echokey", "chat"))))
    done = cli("--outputs", str(path))
    assert done.returncode == 1
    assert "echokey" in done.stdout and "failed: echokey" in done.stdout
    assert KEY not in done.stdout + done.stderr, "a key was printed"
    assert "HTTP 500: error" in done.stdout and "***" not in done.stdout.split("echokey")[0]
    lines = {line.split()[0] + " " + line.split()[1]: line for line in done.stdout.splitlines()[1:7]}
    assert " OK " in lines["good plain"] and " OK " in lines["base stream"]


def test_the_command_exits_0_when_every_endpoint_answers(server, tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs(server, ("good", "chat"), ("base", "completions"))))
    done = cli("--outputs", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 calls: all endpoints answer" in done.stdout
    as_json = json.loads(cli("--outputs", str(path), "--format", "json").stdout)
    assert as_json["ok"] is True and len(as_json["results"]) == 4


def test_outputs_come_from_the_pulumi_cli_for_a_stack():
    seen = {}

    def fake_run(command, **kwargs):
        seen["command"] = command
        return subprocess.CompletedProcess(command, 0, stdout='{"endpoints": {}}', stderr="")

    assert load_outputs("prod", None, run=fake_run) == {"endpoints": {}}
    assert seen["command"] == ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", "prod"]


def test_without_the_pulumi_cli_the_hint_names_outputs_file():
    def missing(command, **kwargs):
        raise FileNotFoundError(command[0])

    with pytest.raises(SmokeError, match="--outputs FILE"):
        load_outputs("prod", None, run=missing)


def test_outputs_without_endpoints_are_an_error():
    with pytest.raises(SmokeError, match="no endpoints"):
        run_smoke({"endpoints": {}}, Caller())
