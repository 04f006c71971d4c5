"""Environments are data: a third stack file dropped into a clean clone is planned, diffed, in every matrix, and
picked up by the tests that iterate the shipped stacks, with nothing else changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import command
from tests.support.stacks import LLAMA33, MAVERICK, ROOT, SHIPPED
from tests.test_workflows import matrices, matrix_step, run_matrix_step

STAGING = f"""# Staging, Sweden Central: a hidden third environment, committed and nothing else.
config:
  azure-native:location: swedencentral
  llama-on-azure:region: swedencentral
  llama-on-azure:deployments:
    - name: chat
      kind: serverless
      model: {LLAMA33}
    - name: maverick
      kind: foundry
      model: {MAVERICK}
  llama-on-azure:tags:
    owner: platform-team
"""


def clone(source: Path, target: Path, files: list[str]) -> Path:
    """The tracked files as a clean clone has them, with the checkout's venv (a clone would `make install`)."""
    for name in files:
        path = source / name
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            (target / name).symlink_to(os.readlink(path))
        elif path.is_file():
            shutil.copy2(path, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A clean clone with Pulumi.staging.yaml added, and the base commit beside it in .base (without staging)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    files = [f for f in listed.stdout.split("\0") if f]
    head = clone(ROOT, tmp_path_factory.mktemp("clone"), files)
    clone(ROOT, head / ".base", [f for f in files if not f.startswith("tests/")])
    (head / "Pulumi.staging.yaml").write_text(STAGING)
    assert not (head / "policy" / "config" / "staging.json").exists(), "no policy config: the pack's defaults"
    return head


def test_the_discovery_command_lists_it(checkout):
    done = command("stacks", "--format", "json", cwd=checkout)
    assert json.loads(done.stdout) == sorted([*SHIPPED, "staging"])
    assert json.loads(command("stacks", "--deployable", "--format", "json", cwd=checkout).stdout) == sorted(
        [*SHIPPED, "staging"]
    )


def test_every_matrix_includes_it(checkout):
    found = matrices()
    assert found, "no matrix found"
    runs: dict[str, dict[str, list[str]]] = {}  # each listing step once, for all the matrices it feeds
    for workflow, job, source in found:
        step = matrix_step(workflow, source)
        if step["run"] not in runs:
            runs[step["run"]] = run_matrix_step(workflow, source, checkout)
        matrix = runs[step["run"]][step["key"]]
        assert "staging" in matrix and set(SHIPPED) <= set(matrix), f"{workflow} {job}: {matrix}"


def test_the_pull_request_script_plans_it_with_the_policies_and_shows_it_new(checkout):
    done = subprocess.run(
        ["bash", ".ci/pull-request-plan", "staging", ".base"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, "exit-code=0\n"), done.stderr
    head = json.loads((checkout / "plan-staging.head.json").read_text())
    assert head["stack"] == "staging" and head["outputs"]["region"] == "swedencentral"
    assert head["policies"]["config"] is None and not head["policies"]["skipped"]
    assert (checkout / "plan-staging.base.json").read_text() == ""
    comment = (checkout / "plan-staging.md").read_text()
    assert "### `llama-on-azure`: what this pull request changes in stack `staging`" in comment
    assert "**24 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged**" in comment
    assert "Pulumi.staging.yaml is new: every resource is created." in comment
    assert "the head passes the mandatory policies" in comment and "default config" in comment


def pytest_in(folder: Path, *args: str) -> dict[str, str]:
    """The clone's own tests, run by pytest in a fork of this warm process: test id -> outcome.

    The child forgets the `tests` package, so conftest, the support modules and the test modules are the clone's
    (its ROOT, its stack files); the SDK stays imported, so the run costs the tests, not the imports.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 70
        try:
            os.close(read)
            os.chdir(folder)
            sys.path.insert(0, str(folder))
            for name in [m for m in sys.modules if m == "tests" or m.startswith("tests.")]:
                del sys.modules[name]

            class Outcomes:
                def pytest_runtest_logreport(self, report):
                    if report.when == "call" or report.outcome != "passed":
                        os.write(write, f"{report.nodeid}\t{report.outcome}\n".encode())

            options = ["-q", "-o", "addopts=", "-p", "no:cacheprovider", "-p", "no:randomly", *args]
            code = int(pytest.main(options, plugins=[Outcomes()]))
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as lines:
        outcomes = dict(line.rstrip("\n").split("\t") for line in lines)
    os.waitpid(pid, 0)
    return outcomes


def test_the_tests_of_the_shipped_stacks_run_it(checkout):
    """The repository's own tests, run in the clone: each test of "the shipped stacks" gets a staging case, and
    it passes (with no test, script or workflow changed for it)."""
    modules = [
        "tests/infra/test_program.py",
        "tests/infra/kinds/test_serverless.py",
        "tests/infra/config/test_model.py",
    ]
    outcomes = pytest_in(checkout, "-k", "staging", *modules)
    assert outcomes and set(outcomes.values()) == {"passed"}, outcomes
    assert len(outcomes) >= 13 and all("[staging]" in test for test in outcomes), outcomes
