"""The GitHub workflows: actionlint-clean, and wired the way the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

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
