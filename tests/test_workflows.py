"""The GitHub workflows: actionlint-clean, and wired the way the README says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.support.stacks import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def lint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, timeout=120)


def test_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert len(files) >= 4
    done = lint(*files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_actionlint_does_catch_mistakes(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt }}\n"
    )
    done = lint(broken)
    assert done.returncode == 1 and "evnt" in done.stdout


def test_pull_requests_get_tests_and_an_offline_plan_per_stack_without_secrets():
    wf = load("pull-request.yml")
    assert "pull_request" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    assert any("make test" in step.get("run", "") for step in wf["jobs"]["test"]["steps"])
    plan = wf["jobs"]["offline-plan"]
    assert plan["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    text = "\n".join(step.get("run", "") for step in plan["steps"])
    assert "llama-on-azure plan" in text and "--format markdown" in text
    assert "secrets." not in yaml.safe_dump(plan), "the offline plan must work on forks, without secrets"


def test_previews_use_oidc_pulumi_actions_and_the_policy_pack():
    job = load("pull-request.yml")["jobs"]["preview"]
    assert job["permissions"]["id-token"] == "write"
    assert "github.repository" in job["if"], "forks get no preview"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"
    assert job["env"]["ARM_USE_OIDC"] == "true"


def test_the_comment_workflow_posts_fork_plans_from_artifacts_only():
    wf = load("pull-request-comment.yml")
    assert wf["on"]["workflow_run"]["workflows"] == ["pull-request"]
    assert wf["permissions"]["pull-requests"] == "write"
    steps = wf["jobs"]["comment"]["steps"]
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in steps), "never run fork code here"


def test_merges_deploy_dev_then_prod_behind_its_environment():
    deploy, stack = load("deploy.yml"), load("deploy-stack.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["jobs"]["prod"]["needs"] == "dev"
    assert deploy["jobs"]["dev"]["with"]["stack"] == "dev" and deploy["jobs"]["prod"]["with"]["stack"] == "prod"
    up = stack["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"
    pulumi = next(s for s in up["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "up"
    assert stack["permissions"]["id-token"] == "write"


def test_no_client_secret_anywhere():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "client-secret" not in text and "ARM_CLIENT_SECRET" not in text, path.name


def pulumi_steps() -> list[tuple[str, dict, int]]:
    """(workflow, job, index) of every pulumi/actions step."""
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in load(path.name)["jobs"].values():
            for i, step in enumerate(job.get("steps", [])):
                if step.get("uses", "").startswith("pulumi/actions@"):
                    found.append((path.name, job, i))
    return found


def test_the_cli_is_the_version_the_sdk_pin_expects():
    version = (ROOT / ".pulumi-version").read_text().strip()
    locked = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    assert locked["pulumi"] == version, "the CLI and the Python SDK are released together"
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pulumi=={version.rsplit('.', 1)[0]}.*" in pins
    assert len(pulumi_steps()) >= 2
    for name, job, i in pulumi_steps():
        assert job["steps"][i]["with"].get("pulumi-version-file") == ".pulumi-version", name
        assert "pulumi-version" not in job["steps"][i]["with"], name


def test_a_new_environment_is_created_from_its_stack_file_with_its_secrets_provider():
    for name, job, i in pulumi_steps():
        steps, pulumi = job["steps"], job["steps"][i]["with"]
        assert pulumi["upsert"] is True, f"{name}: pulumi/actions selects only stacks that exist"
        assert pulumi["secrets-provider"] == "${{ steps.secrets.outputs.provider }}", name
        secrets = next(s for s in steps[:i] if s.get("id") == "secrets")
        assert f'.ci/secrets-provider "{pulumi["stack-name"]}"' in secrets["run"], name
        before = "\n".join(s.get("run", "") for s in steps[:i])
        assert 'echo "$PWD/.uv/bin" >> "$GITHUB_PATH"' in before, f"{name}: the CLI's uv toolchain needs uv on PATH"
        assert "ln -sfn ../.venv policy/.venv" in before, f"{name}: the pack runs in the locked project venv"
        assert job["env"]["UV_LOCKED"] == "1", name


def test_every_install_is_from_the_lock():
    syncs = [line for line in (ROOT / "Makefile").read_text().splitlines() if "$(UV) sync" in line]
    assert syncs and all("--locked" in line for line in syncs)
    for path in WORKFLOWS.glob("*.yml"):
        assert "pip install" not in path.read_text(), path.name


def secrets_provider(
    tmp_path: Path, stack_file: str | None, stack: str = "dev", backend: str | None = None, project: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The script in a copy of the project (its Pulumi.yaml names a file:// backend) or with `project` instead."""
    (tmp_path / "Pulumi.yaml").write_text(project if project is not None else (ROOT / "Pulumi.yaml").read_text())
    if stack_file is not None:
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(stack_file)
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_BACKEND_URL"} | (
        {"PULUMI_BACKEND_URL": backend} if backend is not None else {}
    )
    script = ROOT / ".ci" / "secrets-provider"
    return subprocess.run(
        ["bash", str(script), stack], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )


SALT = "encryptionsalt: v1:9RXZdX/jBWI=:v1:mUVP0Ck0EdNzQyW6:TnS5hj6oZKkE9Kj9Ymgpl1Zv2X4HvA==\n"
KEY_URL = "azurekeyvault://kv-llama.vault.azure.net/keys/pulumi"
VAULT = f"secretsprovider: {KEY_URL}\n"
KEY = "encryptedkey: Y2lwaGVydGV4dA==\n"


@pytest.mark.parametrize(
    ("stack_file", "provider"),
    [
        (SALT + "config:\n  llama-on-azure:region: eastus2\n", "passphrase"),
        ("secretsprovider: passphrase\n" + SALT, "passphrase"),
        (VAULT + KEY + "config: {}\n", "azurekeyvault://kv-llama.vault.azure.net/keys/pulumi"),
        (
            'secretsprovider: "azurekeyvault://kv-llama.vault.azure.net/keys/pulumi"\n' + KEY,
            VAULT.split(": ")[1].strip(),
        ),
    ],
)
def test_the_committed_secrets_provider_is_used(tmp_path, stack_file, provider):
    done = secrets_provider(tmp_path, stack_file)
    assert done.returncode == 0, done.stderr
    assert done.stdout == provider + "\n"


@pytest.mark.parametrize(
    ("stack_file", "says"),
    [
        ("config:\n  llama-on-azure:region: eastus2\n", "pulumi stack init dev --secrets-provider passphrase"),
        ("# encryptionsalt: v1:abc\nconfig: {}\n", "neither encryptionsalt"),
        (VAULT + "config: {}\n", "no encryptedkey"),
        ("secretsprovider: passphrase\n", "neither encryptionsalt"),
        (None, "Pulumi.dev.yaml does not exist"),
    ],
)
def test_a_stack_file_without_stable_secrets_is_refused(tmp_path, stack_file, says):
    done = secrets_provider(tmp_path, stack_file)
    assert done.returncode == 1 and done.stdout == ""
    assert says in done.stderr


NO_BACKEND = "name: llama-on-azure\nruntime: python\n"
CONFIG = "config:\n  llama-on-azure:region: eastus2\n"


@pytest.mark.parametrize(
    ("stack_file", "backend", "project", "provider"),
    [
        (CONFIG, "https://api.pulumi.com", None, "default"),  # PULUMI_BACKEND_URL wins over Pulumi.yaml's
        (CONFIG, None, NO_BACKEND, "default"),  # no backend anywhere: Pulumi Cloud, Pulumi's default
        (CONFIG, "https://pulumi.example.com", None, "default"),  # a self-hosted Pulumi Cloud
        ("secretsprovider: default\n" + CONFIG, None, NO_BACKEND, "default"),
        (SALT + CONFIG, "https://api.pulumi.com", None, "passphrase"),
        (VAULT + KEY, "https://api.pulumi.com", None, KEY_URL),
        (CONFIG, "", NO_BACKEND, "default"),  # an unset repository variable is an empty one
    ],
)
def test_a_pulumi_cloud_stack_needs_no_salt(tmp_path, stack_file, backend, project, provider):
    done = secrets_provider(tmp_path, stack_file, backend=backend, project=project)
    assert (done.returncode, done.stdout, done.stderr) == (0, provider + "\n", "")


@pytest.mark.parametrize(
    ("stack_file", "backend", "project", "says"),
    [
        (CONFIG, None, None, "the backend file://./.pulumi-state (backend.url of Pulumi.yaml) is self-managed"),
        (CONFIG, "azblob://pulumi-state", NO_BACKEND, "azblob://pulumi-state (PULUMI_BACKEND_URL) is self-managed"),
        ("secretsprovider: passphrase\n" + CONFIG, "https://api.pulumi.com", None, "asks for passphrase secrets"),
        (VAULT, "https://api.pulumi.com", None, "no encryptedkey"),
        (CONFIG, None, "", "no Pulumi.yaml here"),
    ],
)
def test_a_self_managed_backend_still_needs_its_salt_and_says_the_command(tmp_path, stack_file, backend, project, says):
    if project == "":
        done = subprocess.run(
            ["bash", str(ROOT / ".ci" / "secrets-provider"), "dev"], cwd=tmp_path, capture_output=True, text=True
        )
    else:
        done = secrets_provider(tmp_path, stack_file, backend=backend, project=project)
    assert done.returncode == 1 and done.stdout == ""
    assert says in " ".join(done.stderr.split()), done.stderr
    if "salt" in done.stderr:
        assert "  pulumi stack init dev --secrets-provider passphrase\n" in done.stderr, "the one command to run"


def test_the_workflow_step_stops_the_job_without_stable_secrets(tmp_path):
    """The step as GitHub runs it (bash -eo pipefail): a failing check must fail the step, not print an empty output."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "secrets-provider", tmp_path / ".ci" / "secrets-provider")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for name, job, i in pulumi_steps():
        step = next(s for s in job["steps"][:i] if s.get("id") == "secrets")
        script = step["run"].replace(job["steps"][i]["with"]["stack-name"], "dev")
        for stack_file, ok in (("config: {}\n", False), (SALT, True)):
            (tmp_path / "Pulumi.dev.yaml").write_text(stack_file)
            output = tmp_path / "github_output"
            output.write_text("")
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=tmp_path,
                env={**os.environ, "GITHUB_OUTPUT": str(output), "PULUMI_BACKEND_URL": ""},
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert (done.returncode == 0) is ok, f"{name}: {done.stderr}"
            assert output.read_text() == ("provider=passphrase\n" if ok else ""), name
