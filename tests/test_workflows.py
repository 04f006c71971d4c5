"""The GitHub workflows: actionlint-clean, and wired the way the README says."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.support.stacks import ROOT, SHIPPED

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


def matrices() -> list[tuple[str, str, str]]:
    """(workflow, job, the job and output its stack matrix comes from) of every job that runs per stack."""
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in load(path.name)["jobs"].items():
            stack = job.get("strategy", {}).get("matrix", {}).get("stack")
            if stack is not None:
                source = re.fullmatch(r"\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\) \}\}", str(stack))
                assert source, f"{path.name} {name}: the stack matrix is {stack!r}, not discovered"
                found.append((path.name, name, f"{source[1]}.{source[2]}"))
    return found


def test_every_matrix_comes_from_the_discovered_stacks():
    found = matrices()
    assert {(w, j) for w, j, _ in found} == {
        ("pull-request.yml", "offline-plan"),
        ("pull-request.yml", "preview"),
        ("deploy.yml", "deploy"),
    }
    for workflow, name, source in found:
        wf = load(workflow)
        producer, output = source.split(".")
        assert producer in wf["jobs"][name]["needs"], f"{workflow} {name}"
        guard = f"needs.{producer}.outputs.{output} != '[]'"
        assert guard in wf["jobs"][name]["if"], f"{workflow} {name}: an empty matrix is an error"
        step = matrix_step(workflow, source)
        assert "llama-on-azure stacks --format json" in step["run"], f"{workflow}: {source}"
    for path in WORKFLOWS.glob("*.yml"):
        for stack in SHIPPED:
            assert not re.search(rf"\[[^\]]*\b{stack}\b", path.read_text()), f"{path.name} lists {stack}"


def matrix_step(workflow: str, source: str) -> dict:
    """The step whose output a matrix reads (`<job>.<output>`)."""
    producer, output = source.split(".")
    job = load(workflow)["jobs"][producer]
    step_id, key = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", job["outputs"][output]).groups()
    step = next(s for s in job["steps"] if s.get("id") == step_id)
    return step | {"key": key}


def run_matrix_step(workflow: str, source: str, cwd: Path) -> dict[str, list[str]]:
    """The matrices a workflow would run in `cwd`: its listing step run as GitHub runs it (bash -e), each output."""
    step = matrix_step(workflow, source)
    output = cwd / f"github_output_{workflow}_{source}"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return {key: json.loads(value) for key, value in (line.split("=", 1) for line in output.read_text().splitlines())}


def test_pull_requests_get_tests_and_an_offline_plan_per_stack_without_secrets():
    wf = load("pull-request.yml")
    assert "pull_request" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    assert any("make test" in step.get("run", "") for step in wf["jobs"]["test"]["steps"])
    plan = wf["jobs"]["offline-plan"]
    text = "\n".join(step.get("run", "") for step in plan["steps"])
    assert '.ci/pull-request-plan "$STACK" .base' in text
    base = [s for s in plan["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert [s.get("with", {}).get("path") for s in base] == [None, ".base"], "the head, and the base beside it"
    assert base[1]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    upload = next(s for s in plan["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert "plan-${{ matrix.stack }}.md" in upload["with"]["path"]
    for job in ("stacks", "offline-plan"):
        assert "secrets." not in yaml.safe_dump(wf["jobs"][job]), "the offline plan must work on forks, without secrets"


def test_previews_use_oidc_pulumi_actions_and_the_policy_pack():
    job = load("pull-request.yml")["jobs"]["preview"]
    assert job["permissions"]["id-token"] == "write"
    assert "github.repository" in job["if"], "forks get no preview"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["policyPackConfigs"] == "${{ steps.policy.outputs.config }}"
    assert job["env"]["ARM_USE_OIDC"] == "true"


def test_the_comment_workflow_posts_fork_plans_from_artifacts_only():
    wf = load("pull-request-comment.yml")
    assert wf["on"]["workflow_run"]["workflows"] == ["pull-request"]
    assert wf["permissions"]["pull-requests"] == "write"
    steps = wf["jobs"]["comment"]["steps"]
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in steps), "never run fork code here"


def test_merges_deploy_every_deployable_stack_behind_its_environment():
    deploy, stack = load("deploy.yml"), load("deploy-stack.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    job = deploy["jobs"]["deploy"]
    assert job["uses"] == "./.github/workflows/deploy-stack.yml" and job["with"]["stack"] == "${{ matrix.stack }}"
    assert "--deployable" in matrix_step("deploy.yml", "stacks.deployable")["run"]
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


def test_a_stack_without_a_policy_config_gets_the_packs_defaults(tmp_path):
    (tmp_path / "policy" / "config").mkdir(parents=True)
    (tmp_path / "policy" / "config" / "dev.json").write_text("{}")
    script = ROOT / ".ci" / "policy-config"
    for stack, expected in (("dev", "policy/config/dev.json\n"), ("staging", "")):
        done = subprocess.run(["bash", str(script), stack], cwd=tmp_path, capture_output=True, text=True, timeout=30)
        assert (done.returncode, done.stdout) == (0, expected)
    for name, job, i in pulumi_steps():
        step = next(s for s in job["steps"][:i] if s.get("id") == "policy")
        assert ".ci/policy-config" in step["run"], name


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


FAKE_TOOL = """#!/usr/bin/env bash
# `plan --stack S ...` prints $PLANS/<folder>-S.json; anything else is the real command.
if [ "$1" = plan ]; then
  file="$PLANS/$(basename "$PWD")-$3.json"
  [ -f "$file" ] || { echo "error: stack '$3' has an invalid configuration" >&2; exit 1; }
  cat "$file"
  exit "$(cat "$file.code" 2>/dev/null || echo 0)"
fi
exec "$REAL" "$@"
"""


def pull_request_plan(tmp_path: Path, stack: str, head: dict | None, base: dict | str | None, code: int = 0):
    """.ci/pull-request-plan with plans made up (the diff is the real one): a head and a base beside it."""
    plans = tmp_path / "plans"
    plans.mkdir(exist_ok=True)
    for name, plan in (("head", head), ("base", base)):
        folder = tmp_path / name
        (folder / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
        tool = folder / ".venv" / "bin" / "llama-on-azure"
        tool.write_text(FAKE_TOOL)
        tool.chmod(0o755)
        if plan is not None:
            (folder / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
            if plan != "refused":
                (plans / f"{name}-{stack}.json").write_text(plan if isinstance(plan, str) else json.dumps(plan))
                (plans / f"{name}-{stack}.json.code").write_text(str(code if name == "head" else 0))
    env = {**os.environ, "PLANS": str(plans), "REAL": str(Path(sys.executable).with_name("llama-on-azure"))}
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "pull-request-plan"), stack, "../base"],
        cwd=tmp_path / "head",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, (tmp_path / "head" / f"plan-{stack}.md").read_text()


def made_up(stack: str, capacity: int, mandatory: bool = False) -> dict:
    urn = f"urn:pulumi:{stack}::llama-on-azure::azure-native:cognitiveservices:Deployment::chat"
    state = {"urn": urn, "type": urn.split("::")[2], "custom": True, "inputs": {"sku": {"capacity": capacity}}}
    violation = {"policy": "p", "level": "mandatory", "resource": "chat", "type": "t", "message": "too big"}
    return {
        "schemaVersion": 1,
        "stack": stack,
        "steps": [{"op": "create", "urn": urn, "type": state["type"], "newState": state, "settings": {}}],
        "outputs": {},
        "violations": [violation] if mandatory else [],
        "policies": {"pack": "p", "config": None, "skipped": False},
    }


def test_the_pull_request_script_diffs_the_base_and_the_head(tmp_path):
    out, comment = pull_request_plan(tmp_path, "dev", made_up("dev", 20, mandatory=True), made_up("dev", 10), code=1)
    assert out == "exit-code=1\n", "a mandatory violation fails the job once the comment is posted"
    assert "| update | `chat` | `azure-native:cognitiveservices:Deployment` | sku.capacity: 10 -> 20 |" in comment
    assert "| mandatory | `p` | `chat` | too big |" in comment


@pytest.mark.parametrize(
    ("head", "base", "says"),
    [
        (None, made_up("dev", 10), "> **Warning**: Pulumi.dev.yaml is removed, and CI destroys nothing"),
        (made_up("dev", 10), None, "Pulumi.dev.yaml is new: every resource is created."),
        (made_up("dev", 10), "refused", "The base commit's plan failed, so every resource shows as created: error:"),
        (made_up("dev", 10), '{"stack": "dev", "resources": []}', "The base commit's plan cannot be compared"),
        (None, '{"stack": "dev"}', "The stack file is removed, and CI destroys nothing; the base commit's plan cannot"),
        ("refused", made_up("dev", 10), "### `llama-on-azure`: stack `dev` cannot be planned"),
    ],
    ids=["removed", "new", "base refused", "base too old", "removed, base too old", "head refused"],
)
def test_the_pull_request_script_says_what_it_could_not_compare(tmp_path, head, base, says):
    out, comment = pull_request_plan(tmp_path, "dev", head, base)
    assert says in comment, comment
    assert out == ("exit-code=1\n" if head == "refused" else "exit-code=0\n")
    if head == "refused":
        assert "invalid configuration" in comment, "the head's error is the comment"


def test_the_comment_fits_github_and_cuts_with_a_note(tmp_path):
    """The comment workflow's script, with `gh` answering like GitHub: several stacks, one far too long."""
    step = next(s for s in load("pull-request-comment.yml")["jobs"]["comment"]["steps"] if "run" in s)
    (tmp_path / "pr-number.txt").write_text("42\n")
    (tmp_path / "plan-dev.md").write_text("### dev\n\nsmall\n")
    (tmp_path / "plan-prod.md").write_text("### prod\n" + "| a row of a long table |\n" * 10_000)
    (tmp_path / "bin").mkdir()
    gh = tmp_path / "bin" / "gh"
    gh.write_text('#!/usr/bin/env bash\necho "$*" >> "$CALLS"\n')
    gh.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "CALLS": str(tmp_path / "calls")}
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env | {"REPO": "o/r"}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    body = (tmp_path / "body.md").read_text()
    assert len(body) < 65_536 and body.startswith("<!-- llama-on-azure-offline-plan -->\n### dev\n\nsmall\n")
    assert "_Cut to fit the comment: the whole of plan-prod.md is in the job summary" in body
    assert body.count("| a row of a long table |\n") > 1000, "cut at a line, not at a character"
    assert "--method POST repos/o/r/issues/42/comments -F body=@body.md" in (tmp_path / "calls").read_text()


def _repository(tmp_path: Path, subjects: list[str]) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("commit", "-q", "--allow-empty", "-m", "x" * 90)  # before the pull request: never judged
    base = git("rev-parse", "HEAD").strip()
    for subject in subjects:
        git("commit", "-q", "--allow-empty", "-m", subject, "-m", "the why")
    return repo, base


@pytest.mark.parametrize("length", [72, 73])
def test_a_pull_requests_commit_subjects_are_at_most_72_characters(tmp_path, length):
    repo, base = _repository(tmp_path, ["short and honest", "y" * length])
    done = subprocess.run([ROOT / ".ci" / "commit-subjects", base], cwd=repo, capture_output=True, text=True)
    if length <= 72:
        assert done.returncode == 0 and done.stderr == ""
    else:
        assert done.returncode == 1
        (line,) = done.stderr.splitlines()
        assert line.startswith("error: commit ") and f"has {length} characters, at most 72" in line


def test_the_pull_request_workflow_checks_the_commit_subjects():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yml").read_text())
    steps = workflow["jobs"]["commits"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0, "the base must be in the clone to list the new commits"
    assert steps[-1]["run"] == '.ci/commit-subjects "$BASE" "$HEAD"'
