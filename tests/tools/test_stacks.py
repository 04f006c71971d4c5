"""The project's stacks: discovered from the stack files, the deploy opt-out, `stacks` and `new-stack`."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

from clients.errors import UserError
from tests.support.cli import command
from tests.support.stacks import LLAMA33, MAVERICK, ROOT, SHIPPED
from tools import cli, engine, stacks
from tools.stack_file import load_stack_file

DEV = (ROOT / "Pulumi.dev.yaml").read_text()


def project(tmp_path: Path, **stack_files: str) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for name, text in stack_files.items():
        (tmp_path / f"Pulumi.{name}.yaml").write_text(text)
    return tmp_path


def test_the_shipped_stacks_are_the_committed_stack_files():
    assert sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml")) == SHIPPED
    assert {"dev", "prod"} <= set(SHIPPED)


def test_a_stack_opts_out_of_deploys_never_out_of_the_listing(tmp_path):
    off, on = DEV + "  llama-on-azure:deploy: false\n", DEV + "  llama-on-azure:deploy: true\n"
    root = project(tmp_path, dev=DEV, lab=off, on=on)
    (tmp_path / "Pulumi.yaml.bak").write_text("")  # not a stack file
    assert stacks.listed([root]) == ["dev", "lab", "on"]
    assert stacks.listed([root], deployable=True) == ["dev", "on"]
    assert stacks.deploys(load_stack_file(root / "Pulumi.lab.yaml")) is False
    (tmp_path / "Pulumi.odd.yaml").write_text(DEV + "  llama-on-azure:deploy: maybe\n")
    with pytest.raises(UserError, match=r"Pulumi\.odd\.yaml: llama-on-azure:deploy: 'maybe' is not allowed; true or"):
        stacks.listed([root], deployable=True)


def test_every_unreadable_stack_file_is_named_at_once_and_a_folder_is_no_stack(tmp_path):
    root = project(tmp_path, dev=DEV, odd=DEV + "  llama-on-azure:deploy: maybe\n", bad="config: [1\n")
    (tmp_path / "Pulumi.folder.yaml").mkdir()
    assert stacks.listed([root]) == ["bad", "dev", "odd"]
    with pytest.raises(UserError) as refused:
        stacks.listed([root], deployable=True)
    assert "Pulumi.bad.yaml" in str(refused.value) and "Pulumi.odd.yaml" in str(refused.value)


def test_the_listing_joins_a_head_and_a_base(tmp_path):
    (tmp_path / "head").mkdir()
    (tmp_path / "base").mkdir()
    head = project(tmp_path / "head", dev=DEV, new=DEV)
    base = project(tmp_path / "base", dev=DEV, removed=DEV)
    assert stacks.listed([head, base]) == ["dev", "new", "removed"]
    with pytest.raises(UserError, match=r"no Pulumi\.yaml here"):
        stacks.listed([head, tmp_path / "nowhere"])


def test_the_command_prints_the_list_for_a_matrix(tmp_path):
    root = project(tmp_path, b=DEV, a=DEV + "  llama-on-azure:deploy: false\n")
    text, as_json, deployable = (
        command("stacks", cwd=root),
        command("stacks", "--format", "json", cwd=root),
        command("stacks", "--format", "json", "--deployable", ".", cwd=root),
    )
    assert (text.returncode, text.stdout) == (0, "a\nb\n")
    assert as_json.stdout == '["a", "b"]\n' and "\n" not in as_json.stdout.rstrip(), "one line for $GITHUB_OUTPUT"
    assert json.loads(deployable.stdout) == ["b"]


def test_the_command_line_starts_without_the_engine_and_agrees_with_it():
    assert cli.PLACEHOLDER_SUBSCRIPTION == engine.PLACEHOLDER_SUBSCRIPTION


def test_the_version_is_the_installed_packages():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = command("--version", cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"llama-on-azure {version}\n", "")


# --- new-stack ---

STAGING = ["new-stack", "staging", "--region", "swedencentral", "--kind", "serverless", "--model", LLAMA33]


def test_new_stack_writes_a_stack_file_that_plans(tmp_path):
    root = project(tmp_path)
    args = [*STAGING, "--kind", "foundry", "--model", MAVERICK, "--kind", "managed", "--model", LLAMA33]
    done = command(
        *args, "--name", "chat", "--vm-sku", "Standard_NC96ads_A100_v4", "--instance-count", "3",
        "--tag", "owner=platform-team", "--no-deploy", "--protect", cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote Pulumi.staging.yaml" in done.stdout and "llama-on-azure plan --stack staging" in done.stdout
    config = yaml.safe_load((root / "Pulumi.staging.yaml").read_text())["config"]
    assert config["azure-native:location"] == config["llama-on-azure:region"] == "swedencentral"
    assert config["llama-on-azure:deployments"] == [
        {"name": "chat", "kind": "serverless", "model": LLAMA33},
        {"name": "foundry", "kind": "foundry", "model": MAVERICK},
        {"name": "managed", "kind": "managed", "model": LLAMA33}
        | {"vmSku": "Standard_NC96ads_A100_v4", "instanceCount": 3},
    ]
    assert config["llama-on-azure:tags"] == {"owner": "platform-team"} and config["llama-on-azure:protect"] is True
    assert stacks.listed([root], deployable=True) == []
    planned = command("plan", "--stack", "staging", "--skip-policies", "--format", "json", cwd=root)
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["outputs"]["region"] == "swedencentral"


def test_new_stack_refuses_to_overwrite_and_writes_nothing_invalid(tmp_path):
    root = project(tmp_path, staging="# mine\n")
    done = command(*STAGING, cwd=root)
    assert done.returncode == 1 and "Pulumi.staging.yaml exists already" in done.stderr
    assert (root / "Pulumi.staging.yaml").read_text() == "# mine\n"
    bad = command("new-stack", "x", "--region", "mars", "--kind", "managed", "--model", "Llama-9", cwd=root)
    assert bad.returncode == 1 and not (root / "Pulumi.x.yaml").exists()
    for says in ("'mars' is not an Azure region", "deployments[0].vmSku: required key is missing", "'Llama-9'"):
        assert says in bad.stderr, says
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--kind", "foundry"], "--kind and --model come in pairs"),
        (["--vm-sku", "Standard_NC96ads_A100_v4"], "only for deployments of kind managed"),
        (["--tag", "owner"], "--tag 'owner': give KEY=VALUE"),
        (["--name", "a", "--name", "b"], "--name: 2 names for 1 deployments"),
        (["--kind", "vm", "--model", LLAMA33], "deployments[1].kind: 'vm' is not allowed; one of serverless, managed"),
    ],
)
def test_new_stack_names_a_bad_answer(tmp_path, args, says):
    done = command(*STAGING, *args, cwd=project(tmp_path))
    assert done.returncode == 1 and says in done.stderr and done.stderr.count("error:") == 1, done.stderr
    assert not (tmp_path / "Pulumi.staging.yaml").exists()


def test_new_stack_refuses_a_name_pulumi_would_not_take(tmp_path):
    root = project(tmp_path)
    for name in ("../x", "org/project/x"):
        done = command("new-stack", name, *STAGING[2:], cwd=root)
        assert done.returncode == 1 and "NAME" in done.stderr, done.stderr
    assert sorted(p.name for p in root.iterdir()) == ["Pulumi.yaml"]
