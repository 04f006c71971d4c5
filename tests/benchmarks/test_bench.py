"""benchmarks/bench.py times only commands that succeed: a failing plan stops the bench with its stderr."""

import importlib.util
import sys

import pytest

from tests.support.stacks import ROOT


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("code", [1, 2])
def test_a_command_that_fails_is_not_timed_and_its_stderr_is_shown(bench, code):
    failing = python(f"import sys; print('violation: x'); sys.stderr.write('error: bench10 broke'); sys.exit({code})")
    with pytest.raises(SystemExit) as stopped:
        bench.timed(failing, runs=1)
    message = str(stopped.value.code)
    assert f"exited {code}, so it is not timed" in message
    assert "stderr:\nerror: bench10 broke" in message and "violation: x" in message


def test_a_command_that_fails_after_its_warm_up_is_not_timed(bench, tmp_path):
    flag = tmp_path / "ran"
    second_fails = python(
        f"import pathlib, sys; p = pathlib.Path({str(flag)!r}); sys.exit(1 if p.exists() else p.touch())"
    )
    with pytest.raises(SystemExit, match="exited 1"):
        bench.timed(second_fails, runs=3)


def test_a_command_that_succeeds_is_timed(bench):
    assert bench.timed(python("pass"), runs=2) > 0
