"""Shared fixtures; the stacks and servers they use live in tests/support.

This file imports nothing of the program at its top: pytest-xdist's controller loads it too, and runs no test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.paths import ROOT, RUNS_VARIABLE, SHIPPED

if TYPE_CHECKING:
    from tests.support.stacks import RunResult


def pytest_configure(config):
    # One folder of program runs for the session, made by the first process (the controller under xdist) and
    # inherited by the workers it starts; a worker or a nested session keeps the one it was given.
    if RUNS_VARIABLE not in os.environ:
        config._llama_runs = tempfile.mkdtemp(prefix="llama-runs-")
        os.environ[RUNS_VARIABLE] = config._llama_runs


def pytest_unconfigure(config):
    folder = getattr(config, "_llama_runs", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get(RUNS_VARIABLE) == folder:
            del os.environ[RUNS_VARIABLE]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the repository's stacks to run a command in (tests add crafted stacks to it)."""
    for name in ["Pulumi.yaml", *(f"Pulumi.{stack}.yaml" for stack in SHIPPED)]:
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session", autouse=True)
def _session_policy_pack():
    yield
    from tests.support.cli import stop_session_pack

    stop_session_pack()


@pytest.fixture(params=SHIPPED)
def shipped(request) -> RunResult:
    from tests.support.stacks import run, shipped_config

    result = run(request.param, shipped_config(request.param))
    assert result.error is None, result.error
    return result
