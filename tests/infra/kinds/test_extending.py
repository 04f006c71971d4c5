"""The README's "Extending" example is a working kind: one module and one registry line, no other file changed."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.support.stacks import ROOT

README = (ROOT / "README.md").read_text()
SECTION = README.split("## Extending: a new deployment kind", 1)[1].split("\n## ", 1)[0]
MODULE = re.search(r"```python\n(.*?)```", SECTION, re.S).group(1)
DEPLOYMENTS = yaml.safe_load(re.search(r"```yaml\n(.*?)```", SECTION, re.S).group(1))["llama-on-azure:deployments"]
PACKAGES = ("catalog", "clients", "components", "infra", "policy", "tools")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The program copied, with the README's module and the one registry line it asks for."""
    root = tmp_path_factory.mktemp("extended")
    for package in PACKAGES:
        # symlinks=True: infra/.venv is the committed link to ../.venv; followed, it copies the whole venv.
        shutil.copytree(ROOT / package, root / package, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "infra" / "kinds" / "existing.py").write_text(MODULE)
    registry = root / "infra" / "kinds" / "__init__.py"
    text = registry.read_text()
    line = "for kind in (SERVERLESS, MANAGED, FOUNDRY)"
    assert line in text, "the README's registry line no longer matches infra/kinds/__init__.py"
    text = text.replace(line, "for kind in (SERVERLESS, MANAGED, FOUNDRY, EXISTING)")
    text = text.replace(
        "from infra.kinds.foundry import FOUNDRY\n",
        "from infra.kinds.existing import EXISTING\nfrom infra.kinds.foundry import FOUNDRY\n",
    )
    registry.write_text(text)
    return root


def cli(project, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project), "PULUMI_STACK": ""}
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


def stack(project, name: str, deployments: list) -> None:
    config = {
        "azure-native:location": "eastus2",
        "llama-on-azure:region": "eastus2",
        "llama-on-azure:deployments": deployments,
    }
    (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))


def test_the_example_kind_plans_exports_and_hands_its_endpoint_to_applications(project, tmp_path):
    stack(project, "ext", DEPLOYMENTS)
    done = cli(project, "plan", "--stack", "ext", "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    (shared,) = plan["outputs"]["endpoints"].values()
    assert shared["kind"] == "existing" and shared["deployment"] == "llama33" and shared["auth"] == "entra"
    created = {s["type"] for s in plan["steps"] if s["newState"].get("custom")}
    assert created == {"azure-native:resources:ResourceGroup"}, "the stack builds nothing for it"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"endpoints": plan["outputs"]["endpoints"], "endpointKeys": {}}))
    done = cli(project, "env", "--outputs", str(outputs), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "https://aif-central.services.ai.azure.com/openai/v1/" in done.stdout
    assert "https://ai.azure.com/.default" in done.stdout


def test_its_rules_and_the_catalogs_apply(project):
    bad = [{**DEPLOYMENTS[0], "url": "http://example.com/v1/chat/completions", "model": "Llama-9-Giant"}]
    stack(project, "bad", bad)
    done = cli(project, "plan", "--stack", "bad")
    assert done.returncode == 1
    assert "llama-on-azure:deployments[0].url: 'http://example.com/v1/chat/completions' is not allowed" in done.stderr
    assert "llama-on-azure:deployments[0].model: 'Llama-9-Giant' is not in the Llama catalog" in done.stderr
    assert "Traceback" not in done.stderr
