"""The project's stacks: discovered from the stack files, the deploy opt-out, and `stacks` listing them."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from clients.errors import UserError
from tests.support.cli import command
from tests.support.stacks import ROOT, SHIPPED
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
