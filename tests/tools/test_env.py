"""`llama-on-azure env`: the official OpenAI SDK (and curl), configured only from what env prints, calls the local
stand-in of every kind; keys never leave without --show-secrets; what it writes is its owner's only."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import stat
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from catalog import endpoints as facts
from clients.redact import FRAGMENT, SECRET
from tests.support.llama_server import KEY, TOKEN, VLLM_MODEL, LlamaServer
from tests.support.outputs import unwrapped
from tests.support.stacks import LLAMA33, MAVERICK, ROOT, foundry, managed, run, serverless, stack_config
from tools import cli
from tools.env import build_env, variable_prefix

VAULT_URI = "https://kv-llama.vault.azure.net/secrets/chat-key"
SDK_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_CUSTOM_HEADERS", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


class FakeCredential:
    """Stands in for DefaultAzureCredential: hands out TOKEN, records the scopes it is asked for."""

    scopes: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        FakeCredential.scopes += scopes
        return AccessToken(TOKEN, 4102444800)


@pytest.fixture(scope="module")
def server():
    with LlamaServer() as s:
        yield s


@pytest.fixture
def calls(server):
    """The calls the stand-in gets during one test."""
    server.calls.clear()
    return server.calls


@pytest.fixture(autouse=True)
def no_sdk_settings(monkeypatch):
    """Nothing from the machine reaches the SDK: no OPENAI_* variables, no proxy for loopback."""
    for name in SDK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    FakeCredential.scopes = []


def stack_outputs(server: LlamaServer) -> dict[str, Any]:
    """What `pulumi stack output --json --show-secrets` gives for one endpoint of each kind, served locally."""
    base = {"api": "chat", "auth": "key"}
    return {
        "region": "eastus2",
        "endpoints": {
            "chat": {
                **base,
                "kind": "serverless",
                "model": LLAMA33,
                "url": server.url_for("chat", "chat"),
                "name": "c",
            },
            "maverick": {
                **base,
                "kind": "foundry",
                "model": MAVERICK,
                "url": server.foundry_url("maverick"),
                "name": "maverick",
                "deployment": "maverick",
            },
            "maverick-entra": {
                **base,
                "kind": "foundry",
                "model": MAVERICK,
                "url": server.foundry_url("maverick-entra"),
                "name": "maverick-entra",
                "deployment": "maverick-entra",
                "auth": "entra",
            },
            "vllm": {
                **base,
                "kind": "managed",
                "model": VLLM_MODEL,
                "url": server.scoring_url("vllm"),
                "name": "vllm-x",
                "deployments": {"blue": {"model": VLLM_MODEL, "traffic": 100}},
            },
        },
        "endpointKeys": {"chat": KEY, "maverick": KEY, "vllm": KEY},
        "endpointKeySecrets": {"chat": VAULT_URI},
    }


def env(capsys, *args: str) -> tuple[int, str, str]:
    """`llama-on-azure env *args` in this process: exit code, stdout, stderr."""
    code = cli.main(["env", *args])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


@pytest.fixture(scope="module")
def outputs_file(server, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("env") / "outputs.json"
    path.write_text(json.dumps(stack_outputs(server)))
    return path


@pytest.fixture(scope="module")
def printed(outputs_file) -> dict[str, str]:
    """env's output in each format, with and without --show-secrets: one run each, read by many tests."""
    found = {}
    for fmt in ("dotenv", "shell", "json"):
        for secrets in (False, True):
            args = ["env", "--outputs", str(outputs_file), "--format", fmt] + (["--show-secrets"] if secrets else [])
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                assert cli.main(args) == 0, err.getvalue()
            found[fmt + ("+secrets" if secrets else "")] = out.getvalue()
    return found


def variables(printed: dict[str, str], secrets: bool = True) -> dict[str, str]:
    return json.loads(printed["json+secrets" if secrets else "json"])["variables"]


def client_for(values: dict[str, str], endpoint: str, **kwargs: Any) -> tuple[Any, str]:
    """An OpenAI client from nothing but env's variables of one endpoint, and the model to send."""
    from openai import OpenAI  # imported where used: only the worker that runs these tests pays for it

    p = variable_prefix(endpoint)
    api_key = kwargs.pop("api_key", None) or values[p + "API_KEY"]
    client = OpenAI(base_url=values[p + "BASE_URL"], api_key=api_key, max_retries=0, timeout=2.0, **kwargs)
    return client, values[p + "MODEL"]


def chat(client: Any, model: str) -> tuple[str, str]:
    """One plain and one streaming chat: what each answered."""
    messages = [{"role": "user", "content": "Say OK."}]
    plain = client.chat.completions.create(model=model, messages=messages, max_tokens=16)
    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=16, stream=True)
    pieces = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    return plain.choices[0].message.content or "", pieces


def assert_no_key(text: str, key: str = KEY) -> None:
    """No run of FRAGMENT characters of the key, as printed or decoded the usual ways."""
    runs = [key[i : i + FRAGMENT] for i in range(len(key) - FRAGMENT + 1)]
    decoded = [text, urllib.parse.unquote(text)]
    for run_ in re.findall(r"[A-Za-z0-9+/=_-]{12,}", text):
        for skip in range(4):
            try:
                decoded.append(base64.b64decode(run_[skip:] + "==", altchars=b"-_").decode("latin-1"))
                decoded.append(base64.b64decode(run_[skip:] + "==").decode("latin-1"))
            except ValueError:
                pass
    leaked = [r for r in runs for d in decoded if r in d]
    assert not leaked, leaked


# -- The SDK apps run, configured from env's output -------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["chat", "maverick", "vllm"])
def test_the_openai_sdk_chats_plain_and_streaming_with_a_key_from_env_json(printed, calls, endpoint):
    values = variables(printed)
    client, model = client_for(values, endpoint)
    assert chat(client, model) == ("OK", "OK")
    assert len(calls) == 2 and {c["endpoint"] for c in calls} == {endpoint}
    assert {c["headers"]["user-agent"].split()[0] for c in calls} == {"OpenAI/Python"}, "the SDK itself called"
    assert {c["headers"]["authorization"] for c in calls} == {f"Bearer {KEY}"}
    assert [bool(c["body"].get("stream")) for c in calls] == [False, True]
    assert {c["body"]["model"] for c in calls} == {values[variable_prefix(endpoint) + "MODEL"]}


def test_each_kind_gets_the_base_url_and_model_azure_documents(printed, server):
    values = variables(printed)
    assert values["LLAMA_CHAT_BASE_URL"] == f"{server.url}/chat/v1/", "serverless: the inference URI's /v1"
    assert values["LLAMA_CHAT_MODEL"] == LLAMA33, "one model per endpoint: its name (the endpoint ignores it)"
    assert values["LLAMA_MAVERICK_BASE_URL"] == f"{server.url}/maverick/openai/v1/", "Foundry: the OpenAI v1 base"
    assert values["LLAMA_MAVERICK_MODEL"] == "maverick", "Foundry: the deployment name"
    assert values["LLAMA_VLLM_BASE_URL"] == f"{server.url}/vllm/v1/", "managed: the scoring host's /v1/"
    assert values["LLAMA_VLLM_URL"] == server.scoring_url("vllm")
    notes = json.loads(printed["json"])["endpoints"]["vllm"]["notes"]
    assert any("only if the deployment's container serves the OpenAI API" in n for n in notes), notes
    assert "# base URL: only if the deployment's container serves the OpenAI API" in printed["dotenv"]


def test_a_managed_container_that_does_not_serve_the_model_name_is_refused_by_it(printed, calls):
    from openai import NotFoundError

    client, _ = client_for(variables(printed), "vllm")
    with pytest.raises(NotFoundError, match="does not exist"):
        client.chat.completions.create(model="another", messages=[{"role": "user", "content": "hi"}])


def test_foundry_with_entra_id_takes_a_token_provider_for_the_scope_env_prints(printed, calls):
    from azure.identity import get_bearer_token_provider

    values = variables(printed, secrets=False)
    scope = values["LLAMA_MAVERICK_ENTRA_TOKEN_SCOPE"]
    assert scope == facts.FOUNDRY_TOKEN_SCOPE
    assert "LLAMA_MAVERICK_ENTRA_API_KEY" not in variables(printed), "an Entra ID endpoint has no key"
    client, model = client_for(values, "maverick-entra", api_key=get_bearer_token_provider(FakeCredential(), scope))
    assert chat(client, model) == ("OK", "OK")
    assert set(FakeCredential.scopes) == {scope}
    assert {c["headers"]["authorization"] for c in calls} == {f"Bearer {TOKEN}"}


def test_the_dotenv_file_holds_the_same_variables_as_the_json(printed):
    for secrets in ("", "+secrets"):
        lines = [line for line in printed["dotenv" + secrets].splitlines() if line and not line.startswith("#")]
        parsed = dict(line.split("=", 1) for line in lines)
        parsed = {k: v[1:-1] if v.startswith("'") else v for k, v in parsed.items()}
        assert parsed == json.loads(printed["json" + secrets])["variables"]


def test_the_shell_format_evaluates_in_bash_to_the_same_variables(printed):
    script = 'eval "$ENV_SHELL"; env -0'
    done = subprocess.run(
        ["bash", "-c", script],
        env={"ENV_SHELL": printed["shell+secrets"], "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    exported = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    expected = variables(printed)
    assert {k: exported.get(k) for k in expected} == expected


# -- The README's snippets are the tested ones ------------------------------------------------------------------


def readme_blocks(language: str, marker: str, section: str = "## Applications: `llama-on-azure env`") -> list[str]:
    """The README's code blocks of a language under a section (the env one) whose text holds `marker`."""
    readme = (ROOT / "README.md").read_text()
    level = section.split(" ", 1)[0]
    section = readme.split(section, 1)[1].split(f"\n{level} ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)
    found = [b for b in blocks if marker in b]
    assert found, f"no {language} block with {marker!r} in the README's env section"
    return found


def as_endpoint(values: dict[str, str], source: str, target: str) -> dict[str, str]:
    """Variables of endpoint `source` under the names of `target`: one snippet, run against each kind."""
    src, dst = variable_prefix(source), variable_prefix(target)
    return {dst + k.removeprefix(src): v for k, v in values.items() if k.startswith(src)}


@pytest.mark.parametrize("endpoint", ["chat", "maverick", "vllm"])
def test_the_readme_python_snippet_with_a_key_runs_as_written(printed, calls, monkeypatch, capsys, endpoint):
    (snippet,) = readme_blocks("python", "LLAMA_CHAT_API_KEY")
    for name, value in as_endpoint(variables(printed), endpoint, "chat").items():
        monkeypatch.setenv(name, value)
    exec(compile(snippet, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == "OK\nOK\n"
    assert [c["endpoint"] for c in calls] == [endpoint, endpoint] and calls[1]["body"]["stream"] is True


def test_the_readme_python_snippet_with_entra_id_runs_as_written(printed, calls, monkeypatch, capsys):
    (snippet,) = readme_blocks("python", "TOKEN_SCOPE")
    for name, value in as_endpoint(variables(printed, secrets=False), "maverick-entra", "maverick").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("azure.identity.DefaultAzureCredential", FakeCredential)  # no Azure sign-in offline
    exec(compile(snippet, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == "OK\n"
    assert FakeCredential.scopes == [facts.FOUNDRY_TOKEN_SCOPE]
    assert calls[0]["endpoint"] == "maverick-entra" and calls[0]["headers"]["authorization"] == f"Bearer {TOKEN}"


def test_the_readme_curl_snippets_run_as_written_with_the_shell_format(printed, calls):
    """The README's curl lines, verbatim, in bash after `eval` of what `env --format shell --show-secrets` printed
    (the README's first block runs that command against a real stack)."""
    snippets = [s for s in readme_blocks("sh", "curl") if "llama-on-azure env" not in s]
    script = 'set -eu\neval "$ENV_SHELL"\n' + "\necho\n".join(snippets)
    done = subprocess.run(
        ["bash", "-c", script],
        env={"ENV_SHELL": printed["shell+secrets"], "PATH": os.environ["PATH"], "NO_PROXY": "127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(snippets) == 2 and [a["choices"][0]["message"]["content"] for a in answers] == ["OK", "OK"]
    assert [c["endpoint"] for c in calls] == ["chat", "maverick"]
    foundry = next(c for c in calls if c["endpoint"] == "maverick")
    assert foundry["headers"].get("api-key") == KEY and "Authorization" not in foundry["headers"], "the api-key form"


# -- Secrets ----------------------------------------------------------------------------------------------------


def test_without_show_secrets_no_format_prints_a_key(printed):
    for fmt in ("dotenv", "shell", "json"):
        assert_no_key(printed[fmt])
        assert KEY in printed[fmt + "+secrets"], "the test can fail: with --show-secrets the key is there"
    assert "# LLAMA_MAVERICK_API_KEY is printed only with --show-secrets" in printed["dotenv"]


def test_a_key_vault_reference_stands_in_for_the_key(printed):
    plain, shown = variables(printed, secrets=False), variables(printed)
    assert plain["LLAMA_CHAT_API_KEY_SECRET_URI"] == VAULT_URI and "LLAMA_CHAT_API_KEY" not in plain
    assert shown["LLAMA_CHAT_API_KEY"] == KEY and shown["LLAMA_CHAT_API_KEY_SECRET_URI"] == VAULT_URI
    assert "LLAMA_MAVERICK_API_KEY_SECRET_URI" not in plain, "no secret URI exported for it: none printed"
    assert "the key is the Key Vault secret at LLAMA_CHAT_API_KEY_SECRET_URI" in printed["dotenv"]


def leaky_outputs(server: LlamaServer) -> dict[str, Any]:
    """A key hidden in other fields: raw in a URL path, base64 in a deployment name, URL-encoded in a model."""
    data = stack_outputs(server)
    data["endpoints"]["chat"]["url"] = f"{server.url}/{KEY}/v1/chat/completions"
    data["endpoints"]["maverick"]["deployment"] = base64.b64encode(KEY.encode()).decode().rstrip("=")
    data["endpoints"]["vllm"]["model"] = urllib.parse.quote(f"m/{KEY}", safe="")
    data["endpointKeySecrets"] = {"chat": f"https://kv.vault.azure.net/secrets/{KEY}"}
    return data


@pytest.mark.parametrize("fmt", ["dotenv", "shell", "json"])
def test_a_key_hidden_in_another_field_is_masked_in_every_format(server, tmp_path, capsys, fmt):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(leaky_outputs(server)))
    code, out, err = env(capsys, "--outputs", str(path), "--format", fmt)
    assert code == 0, err
    assert_no_key(out + err)
    assert SECRET in out


def test_outputs_saved_without_show_secrets_are_enough_without_it(server, tmp_path, capsys):
    data = stack_outputs(server) | {"endpointKeys": SECRET}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    code, out, _ = env(capsys, "--outputs", str(path))
    assert code == 0 and "LLAMA_CHAT_BASE_URL=" in out
    code, _, err = env(capsys, "--outputs", str(path), "--show-secrets")
    assert code == 1 and "save the outputs with --show-secrets" in err


# -- Bad input: one clear error ---------------------------------------------------------------------------------


def bad(server: LlamaServer, change) -> dict[str, Any]:
    data = stack_outputs(server)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["endpoints"].update(CHAT=d["endpoints"]["chat"]),
            "endpoints CHAT and chat both give the variable",
        ),
        (
            lambda d: d["endpoints"].update({"chat-base": d["endpoints"]["chat"]}),
            "both give the variable LLAMA_CHAT_BASE_URL",
        ),
        (lambda d: d.update(endpointKeySecrets=["x"]), "endpointKeySecrets is not a map of endpoint name"),
        (lambda d: d.update(endpointKeySecrets={"chat": "http://kv/secrets/a"}), "not a Key Vault secret URI"),
        (lambda d: d.update(endpointKeySecrets={"nope": VAULT_URI}), "endpointKeySecrets.nope: no such endpoint"),
        (
            lambda d: d["endpoints"]["chat"].update(url="http://example.com/chat/v1/chat/completions"),
            "endpoints.chat.url is plain http",
        ),
        (lambda d: d["endpoints"]["chat"].update(url="https://h/other"), "endpoints.chat.url has no base URL"),
        (lambda d: d["endpoints"]["chat"].update(model=None), "endpoints.chat has no model"),
        (lambda d: d["endpoints"]["chat"].update(model="a\nb"), "endpoints.chat.model has control characters"),
        (lambda d: d.update(endpoints={}), "the outputs have no endpoints"),
    ],
)
def test_outputs_env_cannot_use_are_one_clear_error(server, tmp_path, capsys, change, expected):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(bad(server, change)))
    code, out, err = env(capsys, "--outputs", str(path))
    assert code == 1 and out == ""
    assert err.startswith("error: ") and expected in err, err
    assert "Traceback" not in err


def test_every_problem_is_reported_at_once(server):
    data = bad(server, lambda d: d["endpoints"]["chat"].update(model=None))
    data["endpoints"]["vllm"]["url"] = "https://h/other"
    with pytest.raises(Exception) as caught:
        build_env(data, show_secrets=False)
    assert "endpoints.chat has no model" in str(caught.value) and "endpoints.vllm.url" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read it"),
        (b"{not json", "is not JSON"),
        (b"\xff\xfe", "is not UTF-8 text"),
        (b"[1, 2]", "the outputs are not a JSON object"),
    ],
)
def test_a_missing_or_garbled_outputs_file_is_one_error_line(tmp_path, capsys, content, expected):
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_bytes(content)
    code, out, err = env(capsys, "--outputs", str(path))
    assert code == 1 and out == "" and expected in err
    assert len(err.strip().splitlines()) == 1, err


def test_the_stack_comes_from_pulumi_stack_and_the_pulumi_cli(server, tmp_path, capsys, monkeypatch):
    """Without --stack or --outputs: PULUMI_STACK names the stack and `pulumi stack output` gives the outputs."""
    (tmp_path / "outputs.json").write_text(json.dumps(stack_outputs(server)))
    fake = tmp_path / "pulumi"
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat {tmp_path}/outputs.json\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.setenv("PULUMI_STACK", "prod")
    code, out, err = env(capsys, "--format", "json")
    assert code == 0, err
    assert (tmp_path / "args").read_text().split() == ["stack", "output", "--json", "--show-secrets", "--stack", "prod"]
    assert json.loads(out)["stack"] == "prod" and "stack: prod (from PULUMI_STACK)" in err


# -- Files it writes --------------------------------------------------------------------------------------------


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_output_writes_a_file_only_its_owner_reads_even_over_a_readable_one(outputs_file, tmp_path, capsys, umask):
    target = tmp_path / ".env"
    target.write_text("OLD=1\n")
    target.chmod(0o644)
    code, out, err = env(capsys, "--outputs", str(outputs_file), "--show-secrets", "--output", str(target))
    assert code == 0 and out == "" and f"wrote {target}" in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"LLAMA_CHAT_API_KEY={KEY}" in target.read_text() and "OLD=1" not in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"], "no temporary file left"


def test_output_never_writes_through_a_symbolic_link(outputs_file, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched\n")
    link = tmp_path / ".env"
    link.symlink_to(elsewhere)
    code, _, err = env(capsys, "--outputs", str(outputs_file), "--show-secrets", "--output", str(link))
    assert code == 1 and "is a symbolic link" in err
    assert elsewhere.read_text() == "untouched\n" and link.is_symlink()
    code, _, err = env(capsys, "--outputs", str(outputs_file), "--output", str(tmp_path / "no" / ".env"))
    assert code == 1 and "cannot create it" in err


# -- The program's own exports ----------------------------------------------------------------------------------


def test_the_programs_exports_give_each_kind_its_documented_base_url():
    config = stack_config(
        deployments=[serverless("chat"), managed("big", authMode="AADToken"), foundry("maverick")],
        foundry={"localAuth": False},
    )
    result = run("dev", config)
    assert result.error is None, result.error
    found = {e.name: e for e in build_env(unwrapped(result.exports), show_secrets=False).endpoints}
    assert re.fullmatch(r"https://chat-\w+\.eastus2\.models\.ai\.azure\.com/v1/", found["chat"].fields["BASE_URL"])
    assert re.fullmatch(
        r"https://aif-llama-dev-\w+\.services\.ai\.azure\.com/openai/v1/", found["maverick"].fields["BASE_URL"]
    )
    assert found["maverick"].fields["TOKEN_SCOPE"] == facts.FOUNDRY_TOKEN_SCOPE
    assert re.fullmatch(r"https://[\w-]+\.eastus2\.inference\.ml\.azure\.com/v1/", found["big"].fields["BASE_URL"])
    assert found["big"].fields["TOKEN_SCOPE"] == facts.ONLINE_ENDPOINT_TOKEN_SCOPE
    assert found["big"].fields["MODEL"] == LLAMA33


# -- The README's Key Vault snippet, against a vault stand-in ----------------------------------------------------


def test_the_readme_key_vault_snippet_reads_the_key_with_keyvaults_own_client(
    printed, calls, monkeypatch, tmp_path, capsys
):
    """As written: the secret URI env printed, Key Vault's client (its 401 challenge, a token for the vault's
    scope) over TLS, then OpenAI with that key. The configuration holds no key: it can only come from the vault."""
    from tests.support.key_vault_server import VAULT_RESOURCE, KeyVaultServer, VaultProxy

    ((snippet,),) = [readme_blocks("python", "SecretClient", section="### Keys in Key Vault for applications")]
    plain = variables(printed, secrets=False)
    assert "LLAMA_CHAT_API_KEY" not in plain and plain["LLAMA_CHAT_API_KEY_SECRET_URI"] == VAULT_URI
    for name, value in as_endpoint(plain, "chat", "chat").items():
        monkeypatch.setenv(name, value)
    with KeyVaultServer(tmp_path, {"chat-key": KEY}, TOKEN) as vault, VaultProxy(vault) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # the vault's public name reaches the stand-in only
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(vault.ca))
        monkeypatch.setattr("azure.identity.DefaultAzureCredential", FakeCredential)  # the app's managed identity
        names: dict[str, Any] = {"__name__": "readme"}
        exec(compile(snippet, "README.md", "exec"), names)
    assert set(proxy.targets) == {"kv-llama.vault.azure.net:443"}, "reached by its public name only"
    first, second = vault.calls
    assert first["authorization"] is None and second["authorization"] == f"Bearer {TOKEN}", "the challenge, then"
    # GET {vault}/secrets/{name}/{version}, the version empty: the latest, so a rotated key is read on next start.
    assert second["path"] == "/secrets/chat-key/" and second["query"]["api-version"], second
    assert FakeCredential.scopes == [f"{VAULT_RESOURCE}/.default"]
    assert names["key"] == KEY
    client = names["client"]
    answer = client.chat.completions.create(
        model=plain["LLAMA_CHAT_MODEL"], messages=[{"role": "user", "content": "Say OK."}]
    )
    assert answer.choices[0].message.content == "OK" and calls[0]["endpoint"] == "chat"
    assert capsys.readouterr().out == ""
