"""The session's shared program runs: one key per input the program is handed, one run per key across processes."""

import fcntl
import os

import pytest

from clients.arm import ARM_ENDPOINT_VARIABLE
from infra.config.parse import TODAY_VARIABLE
from tests.support import runs
from tests.support.paths import RUNS_VARIABLE
from tests.support.stacks import shipped_config
from tools.engine import LlamaMocks, RunResult, stack_config_values
from tools.stack_file import SecretText


def test_a_config_and_the_strings_the_cli_hands_the_program_for_it_are_one_input():
    config = shipped_config("prod")
    values, secret = stack_config_values(config)
    as_the_cli_hands_it = {k: SecretText(v) if k in secret else v for k, v in values.items()}
    mock = LlamaMocks(preview=True)
    assert runs.key("prod", config, True, mock) == runs.key("prod", as_the_cli_hands_it, True, mock)


@pytest.mark.parametrize(
    "change",
    ["stack", "value", "secret", "preview", "subscription", "today", "arm endpoint"],
)
def test_anything_the_program_reads_makes_another_input(change, monkeypatch):
    config = {"llama-on-azure:region": "eastus2"}
    before = runs.key("dev", config, False, LlamaMocks(preview=False))
    stack, mock, preview = "dev", LlamaMocks(preview=False), False
    if change == "stack":
        stack = "prod"
    elif change == "value":
        config = {"llama-on-azure:region": "swedencentral"}
    elif change == "secret":
        config = {"llama-on-azure:region": {"secure": "AAAA"}}
    elif change == "preview":
        preview = True
    elif change == "subscription":
        mock = LlamaMocks(preview=False, subscription_id="11111111-1111-1111-1111-111111111111")
    elif change == "today":
        monkeypatch.setenv(TODAY_VARIABLE, "2030-01-01")
    else:
        monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, "http://127.0.0.1:1")
    assert runs.key(stack, config, preview, mock) != before


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(RUNS_VARIABLE, str(tmp_path))
    monkeypatch.setattr(runs, "_memory", {})
    return tmp_path


def result(stack: str) -> RunResult:
    return RunResult(stack=stack, preview=False, warnings=[f"computed by {os.getpid()}"])


def in_child(task) -> int:
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 70
        try:
            code = task()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_run_computed_in_another_process_is_not_computed_again(folder):
    assert in_child(lambda: runs.shared("k", lambda: result("child")).stack == "child" and 0) == 0
    found = runs.shared("k", lambda: pytest.fail("computed twice"))
    assert found.stack == "child" and found.warnings != [f"computed by {os.getpid()}"]
    assert runs.shared("k", lambda: pytest.fail("computed twice")) is found, "then kept in memory"


def test_a_process_asking_for_a_run_being_computed_waits_for_it(folder):
    # This process holds the input's lock, as one computing it does; the child asks for it meanwhile.
    with open(folder / "k.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 70
            try:
                os.close(read)
                lock.close()  # the parent's lock, inherited: a lock of this process's own is what it waits for
                os.write(write, b"asking\n")
                code = 0 if runs.shared("k", lambda: result("child")).stack == "parent" else 1
            finally:
                os._exit(code)
        os.close(write)
        assert os.read(read, 7) == b"asking\n"
        (folder / "k.json").write_text(result("parent").to_json())
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, "the child computed it instead of waiting"


def test_a_run_that_crashes_is_not_kept(folder):
    def crash() -> RunResult:
        raise RuntimeError("the program crashed under the mock engine")

    with pytest.raises(RuntimeError):
        runs.shared("k", crash)
    assert runs.shared("k", lambda: result("again")).stack == "again"
