"""`llama-on-azure plan`: the README's main command, run as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT, serverless, stack_config


def plan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("llama-on-azure")
    return subprocess.run([str(script), "plan", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def crafted_project(tmp_path: Path, stack: str, config: dict) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def test_plan_of_dev_prints_the_tree_and_masked_exports():
    done = plan("--stack", "dev")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "llama-on-azure:ai:Hub  hub",
        "azure-native:machinelearningservices:Workspace  hub-workspace  name=hub-llama-dev",
        "kind=Hub",
        "azure-native:machinelearningservices:MarketplaceSubscription",
        "properties.contentSafety.contentSafetyStatus=Enabled",
        "endpointKeys: [secret]",
        "url: (known after apply)",
        "Resources: 13 to create",
    ):
        assert expected in out, expected
    # Components come in creation order: the hub before the project before the endpoint.
    assert out.index("ai:Hub") < out.index("ai:Project") < out.index("ai:ServerlessEndpoint")


def test_plan_of_prod_marks_protected_resources():
    done = plan("--stack", "prod")
    assert done.returncode == 0, done.stderr
    assert "llama-on-azure:ai:Hub  hub [protected]" in done.stdout
    assert "api: completions" in done.stdout


def test_plan_json_lists_resources_and_masks_secrets():
    done = plan("--stack", "dev", "--format", "json")
    data = json.loads(done.stdout)
    assert data["stack"] == "dev"
    types = [r["type"] for r in data["resources"]]
    assert "azure-native:machinelearningservices:ServerlessEndpoint" in types
    assert data["outputs"]["endpointKeys"] == "[secret]"


def test_subscription_id_changes_only_global_names():
    sub = "11111111-2222-3333-4444-555555555555"
    a, b = plan("--format", "json"), plan("--format", "json", "--subscription-id", sub)

    def names(done):
        return {r["name"]: r["settings"].get("name") for r in json.loads(done.stdout)["resources"]}

    left, right = names(a), names(b)
    assert left["hub-st"] != right["hub-st"] and left["hub-kv"] != right["hub-kv"]
    assert left["hub-workspace"] == right["hub-workspace"]


def test_bad_stack_exits_1_with_the_message_and_no_traceback(tmp_path):
    config = stack_config(deployments=[serverless("chat8b", "Llama-9-Giant")])
    done = plan("--stack", "bad", cwd=crafted_project(tmp_path, "bad", config))
    assert done.returncode == 1
    assert "llama-on-azure:deployments[0].model: 'Llama-9-Giant' is not in the Llama catalog" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""


def test_missing_stack_file_names_the_stacks_there():
    done = plan("--stack", "nope")
    assert done.returncode == 1
    assert "Pulumi.nope.yaml" in done.stderr and "dev" in done.stderr and "prod" in done.stderr


def test_bad_subscription_id_is_refused():
    done = plan("--subscription-id", "not-a-guid")
    assert done.returncode == 2
    assert "not a GUID" in done.stderr
