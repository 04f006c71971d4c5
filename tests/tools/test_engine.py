"""tools.engine: the program run under the mock engine in this process (run_here) or in a forked one."""

import gc
import time

import pytest

from tests.support.stacks import registered, scenario
from tools import engine
from tools.engine import run_here, run_isolated, run_program


def test_a_run_here_registers_and_exports_what_a_run_in_a_fresh_process_does():
    config = scenario("defaults")
    here = run_here("defaults", config, preview=False)
    fresh = run_isolated("defaults", config, preview=False, timeout=30)
    assert here.error is None and here.registrations
    assert registered(here) == registered(fresh)
    assert (here.exports, here.invokes, here.warnings) == (fresh.exports, fresh.invokes, fresh.warnings)


def test_after_a_run_here_the_process_runs_again_and_forks_runs_that_end():
    config = scenario("defaults")
    first = run_here("defaults", config)
    assert registered(run_here("defaults", config)) == registered(first)
    # A loop left with the SDK's thread pool would make the forked run wait for threads it does not have.
    assert registered(run_isolated("defaults", config, timeout=30)) == registered(first)


def test_a_forked_run_that_sends_nothing_is_killed_and_reported(monkeypatch):
    monkeypatch.setattr(engine, "_child", lambda *args: time.sleep(60))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"sent nothing in 0.5 s: killed"):
        run_isolated("defaults", scenario("defaults"), timeout=0.5)
    assert time.monotonic() - started < 30


def test_the_collector_is_paused_for_the_run_and_left_as_it_was(monkeypatch):
    collecting_during: list[bool] = []

    def program(*args, **kwargs):
        collecting_during.append(gc.isenabled())
        return run_program(*args, **kwargs)

    monkeypatch.setattr(engine, "run_program", program)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            run_here("defaults", scenario("defaults"))
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert collecting_during == [False, False]


def test_a_crash_of_the_program_is_an_error_with_its_traceback():
    with pytest.raises(RuntimeError, match="the program crashed under the mock engine") as crash:
        run_here("dev", {"llama-on-azure:region": object()})  # a value no stack file can hold
    assert "Traceback" in str(crash.value)
    assert registered(run_here("defaults", scenario("defaults"))), "the process runs the program again after"
