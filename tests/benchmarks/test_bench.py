"""benchmarks/bench.py times only commands that succeed: a failing plan stops the bench with its stderr."""

import sys

import pytest

from tests.support.modules import load
from tests.support.stacks import ROOT


@pytest.fixture(scope="module")
def bench():
    return load(ROOT / "benchmarks" / "bench.py")


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


@pytest.fixture(scope="module")
def fresh():
    yield load(ROOT / "benchmarks" / "fresh_test.py", register=True)
    del sys.modules["fresh_test"]


@pytest.mark.parametrize(
    ("line", "counts", "seconds"),
    [
        ("===== 1329 passed in 61.01s (0:01:01) =====", {"passed": 1329}, 61.01),
        ("== 3 failed, 1200 passed, 2 skipped in 28.50s ==", {"failed": 3, "passed": 1200, "skipped": 2}, 28.5),
        ("no summary here", {}, None),
    ],
)
def test_the_fresh_benchmark_reads_pytests_summary_line(fresh, line, counts, seconds):
    assert fresh.summary(f"collected\n{line}\n") == (counts, seconds)


def test_the_fresh_benchmark_times_each_phase_and_stops_on_a_failure(fresh, tmp_path):
    script = (
        "print('uv sync'); print('.venv/bin/ruff check .'); print('.venv/bin/python -m pytest');"
        "print('== 5 passed in 0.10s ==')"
    )
    run, _ = fresh.run_make([sys.executable, "-c", script], tmp_path, {})
    assert set(run.phases_s) == {"install", "lint", "pytest"} and run.tests == {"passed": 5}
    assert run.pytest_reported_s == 0.1
    with pytest.raises(SystemExit, match="exited 2; the end of its output:\nboom"):
        fresh.run_make([sys.executable, "-c", "print('boom'); raise SystemExit(2)"], tmp_path, {})


@pytest.fixture(scope="module")
def dev_preview():
    """The dev stack's preview run, which the bench's floor follows."""
    from tests.support.stacks import run, shipped_config

    return run("dev", shipped_config("dev"), preview=True)


def test_the_floor_loads_the_class_of_every_azure_type_the_dev_plan_registers(bench, dev_preview):
    types = {r.type for r in dev_preview.registrations}
    script = bench.floor_script(types | {"pulumi:pulumi:Stack", "llama-on-azure:index:AiHub"})
    azure = {t for t in types if t.startswith("azure-native:")}
    assert {"azure-native:monitor:DiagnosticSetting", "azure-native:cognitiveservices:Project"} <= azure
    touched = set(script.splitlines()[1:])
    assert touched == {".".join(t.split(":")[1:]) for t in azure} | {"authorization.get_client_config_output"}
    exec(compile(script, "floor", "exec"), {})  # every name it touches exists


def test_the_floor_reads_the_types_off_the_plans_json(bench, dev_preview, monkeypatch):
    import json
    import subprocess

    from tools.engine import PLACEHOLDER_SUBSCRIPTION
    from tools.plan import Plan, plan_document

    document = json.dumps(plan_document(Plan(dev_preview, PLACEHOLDER_SUBSCRIPTION, None, None)))
    asked = []

    def run_ok(command, cwd=None):
        asked.append(command)
        return subprocess.CompletedProcess(command, 0, document.encode(), b"")

    monkeypatch.setattr(bench, "run_ok", run_ok)
    # The plan's steps are the run's registrations plus the stack itself.
    assert bench.plan_types("dev") == {r.type for r in dev_preview.registrations} | {"pulumi:pulumi:Stack"}
    assert asked[0][-4:] == ["--stack", "dev", "--format", "json"]
