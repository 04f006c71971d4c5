"""Every subcommand turns a user's mistake into exit 1 and one `error:` line: never a traceback, never a usage dump."""

from __future__ import annotations

import errno
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import INSTALLED, command, installed
from tests.support.stacks import ROOT
from tools.cli import main

GUID = "00000000-0000-0000-0000-000000000000"


def project(tmp_path: Path, stack_text: str | None = None, policy: str | None = None) -> Path:
    """A copy of the project's Pulumi.yaml, with a stack file `x` and a policy config of the test's own."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    if stack_text is not None:
        (tmp_path / "Pulumi.x.yaml").write_text(stack_text)
    if policy is not None:
        (tmp_path / "policy.json").write_text(policy)
    (tmp_path / "outputs-list.json").write_text("[1, 2]")
    (tmp_path / "outputs-masked.json").write_text(json.dumps({"endpoints": {"a": {}}, "endpointKeys": "[secret]"}))
    (tmp_path / "outputs-bad.json").write_text(json.dumps({"endpoints": {"a": {"kind": "vm", "url": 5}}}))
    return tmp_path


def assert_one_error(code: int, err: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and err.startswith("error: "), err


DEV = (ROOT / "Pulumi.dev.yaml").read_text()
CASES = {
    # The command line itself.
    "no command": [],
    "unknown command": ["deploy"],
    "unknown flag": ["plan", "--verbose"],
    "flag without value": ["plan", "--stack"],
    # plan
    "plan: odd stack name": ["plan", "--stack", "../x"],
    "plan: no stack file": ["plan", "--stack", "nope"],
    "plan: subscription not a GUID": ["plan", "--stack", "x", "--subscription-id", "sub"],
    "plan: unknown format": ["plan", "--format", "xml"],
    # preflight and purge (checked before any sign-in)
    "preflight: subscription not a GUID": ["preflight", "--stack", "x", "--subscription-id", "sub"],
    "preflight: no stack file": ["preflight", "--stack", "nope", "--subscription-id", GUID],
    "preflight: odd stack name": ["preflight", "--stack", "-x", "--subscription-id", GUID],
    "purge: no stack": ["purge"],
    "purge: no stack file": ["purge", "--stack", "nope", "--subscription-id", GUID],
    # smoke
    "smoke: no source": ["smoke"],
    "smoke: two sources": ["smoke", "--stack", "dev", "--outputs", "x.json"],
    "smoke: timeout not a number": ["smoke", "--outputs", "outputs-list.json", "--timeout", "soon"],
    "smoke: timeout zero": ["smoke", "--outputs", "outputs-list.json", "--timeout", "0"],
    "smoke: timeout nan": ["smoke", "--outputs", "outputs-list.json", "--timeout", "nan"],
    "smoke: timeout huge": ["smoke", "--outputs", "outputs-list.json", "--timeout", "1e9"],
    "smoke: outputs missing": ["smoke", "--outputs", "missing.json"],
    "smoke: outputs not an object": ["smoke", "--outputs", "outputs-list.json"],
    "smoke: outputs masked": ["smoke", "--outputs", "outputs-masked.json"],
    "smoke: outputs of the wrong shape": ["smoke", "--outputs", "outputs-bad.json"],
    "smoke: odd stack name": ["smoke", "--stack", "--x"],
    # env
    "env: no source": ["env"],
    "env: two sources": ["env", "--stack", "dev", "--outputs", "x.json"],
    "env: unknown format": ["env", "--outputs", "outputs-list.json", "--format", "yaml"],
    "env: outputs missing": ["env", "--outputs", "missing.json"],
    "env: outputs not an object": ["env", "--outputs", "outputs-list.json"],
    "env: outputs of the wrong shape": ["env", "--outputs", "outputs-bad.json"],
    "env: masked keys shown": ["env", "--outputs", "outputs-masked.json", "--show-secrets"],
    "env: odd stack name": ["env", "--stack", "--x"],
    "env: no pulumi CLI": ["env", "--stack", "dev"],
}
STACK_FILES = {
    "plan: duplicate key": DEV + "  llama-on-azure:region: westus\n",
    "plan: tab indentation": "config:\n\tllama-on-azure:region: eastus2\n",
    "plan: latin-1": "config:\n  llama-on-azure:tags: {owner: caf\xe9}\n",
    "plan: alias bomb": "config:\n  a: &a [" + "x," * 200 + "]\n  b: [" + "*a," * 500 + "]\n",
    "plan: .inf": DEV + "  llama-on-azure:hub: {keyVaultRetentionDays: .inf}\n",
}


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_a_mistake_on_the_command_line_is_one_error_line(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(project(tmp_path, DEV))
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi CLI here
    code = main(args, credential=object())
    assert_one_error(code, capsys.readouterr().err)


@pytest.mark.parametrize("text", STACK_FILES.values(), ids=STACK_FILES.keys())
def test_a_stack_file_pulumi_would_refuse_is_one_error_line(tmp_path, monkeypatch, capsys, text):
    monkeypatch.chdir(project(tmp_path))
    (tmp_path / "Pulumi.x.yaml").write_bytes(text.encode("latin-1" if "latin-1" in text or "\xe9" in text else "utf-8"))
    code = main(["plan", "--stack", "x", "--skip-policies"])
    assert_one_error(code, capsys.readouterr().err)
    code = main(["preflight", "--stack", "x", "--subscription-id", GUID], credential=object())
    assert_one_error(code, capsys.readouterr().err)


def test_the_installed_command_turns_a_mistake_into_one_error_line(tmp_path):
    done = installed("plan", "--stack", "x", "--skip-policies", cwd=project(tmp_path, DEV.replace("eastus2", "mars")))
    assert_one_error(done.returncode, done.stderr)
    assert "llama-on-azure:region: 'mars' is not an Azure region" in done.stderr and done.stdout == ""


class _FailingOutput(io.StringIO):
    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def fileno(self) -> int:
        return 1


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "error: cannot write the output: No space left on device\n"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "error: cannot write the output: Disk quota exceeded\n"),
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), ""),  # the reader left (`| head`): nothing to tell it
    ],
)
def test_output_that_cannot_be_written_ends_in_one_line_or_none(project, monkeypatch, capsys, error, said):
    monkeypatch.setattr("sys.stdout", _FailingOutput(error))
    dup2: list[int] = []
    monkeypatch.setattr("os.dup2", lambda _devnull, fd: dup2.append(fd))  # the test's own stdout stays
    assert main(["stacks"]) == 1
    assert capsys.readouterr().err == said
    assert dup2 == ([1] if isinstance(error, BrokenPipeError) else [])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["stacks", "--help"]])
def test_help_and_version_that_cannot_be_written_end_in_one_line(project, monkeypatch, capsys, args):
    monkeypatch.setattr("sys.stdout", _FailingOutput(OSError(errno.ENOSPC, "No space left on device")))
    assert main(args) == 1
    assert capsys.readouterr().err == "error: cannot write the output: No space left on device\n"


def test_another_os_error_is_a_bug_and_keeps_its_traceback(project, monkeypatch):
    monkeypatch.setattr("sys.stdout", _FailingOutput(OSError(errno.EBADF, "Bad file descriptor")))
    with pytest.raises(OSError, match="Bad file descriptor"):
        main(["stacks"])


def test_the_installed_command_writing_to_a_full_disk_says_so_in_one_line(tmp_path):
    cwd = project(tmp_path, DEV)
    with open("/dev/full", "w") as full:
        done = subprocess.run([str(INSTALLED), "stacks"], cwd=cwd, stdout=full, stderr=subprocess.PIPE, text=True)
    assert (done.returncode, done.stderr) == (1, "error: cannot write the output: No space left on device\n")


def test_outside_a_project_the_error_says_where_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert_one_error(main(["plan"]), capsys.readouterr().err)


SKIP = ["--skip-policies"]
CONFIG = ["--policy-config", "policy.json"]


@pytest.mark.parametrize(
    ("stack", "policy", "flags", "expected"),
    [
        (DEV + "  llama-on-azure:region: mars\n", None, SKIP, "mapping key"),  # a duplicate: before the program runs
        (DEV.replace("eastus2", "mars"), None, SKIP, "llama-on-azure:region: 'mars' is not an Azure region"),
        (DEV, "{not json", CONFIG, "not JSON"),
        (DEV, None, ["--policy-config", "missing.json"], "missing.json: cannot read it"),
        (DEV, '{"required-tags": {"tags": "owner"}}', CONFIG, 'required-tags.tags: "owner" is not allowed; expected'),
    ],
    ids=["duplicate", "bad region", "policy config not JSON", "policy config missing", "policy config's schema"],
)
def test_a_plan_that_runs_the_program_exits_1_with_one_error_line(tmp_path, stack, policy, flags, expected):
    # In a child process: these run the program, whose Pulumi runtime must not live in the test process
    # (a later fork of it would inherit its threads).
    done = command("plan", "--stack", "x", *flags, cwd=project(tmp_path, stack, policy))
    assert_one_error(done.returncode, done.stderr)
    assert expected in done.stderr and done.stdout == ""
