"""Program runs shared by every process of a test session: each distinct input runs once, whichever asks first.

A run is deterministic in what the program is handed (stack, config values and secret keys, preview, the mock
engine's answers, the few variables it reads), so its result is kept under a hash of exactly that: in memory
for this process, and in a folder the session's processes share (xdist workers, and the forked children of
`tests.support.cli.command`), with a lock per input so that two workers never run the same input twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clients.arm import ARM_ENDPOINT_VARIABLE
from clients.retail_prices import ENDPOINT_VARIABLE as PRICES_ENDPOINT_VARIABLE
from infra.config.parse import TODAY_VARIABLE
from tests.support.paths import RUNS_VARIABLE
from tools.engine import PROGRAM_DIR, RunResult, stack_config_values

PROGRAM_VARIABLES = (TODAY_VARIABLE, ARM_ENDPOINT_VARIABLE, PRICES_ENDPOINT_VARIABLE)
"""The variables the program reads besides its config (PULUMI_CONFIG* too: the SDK's config)."""

_memory: dict[str, RunResult] = {}


def key(stack: str, config: dict[str, Any], preview: bool, mock: Any) -> str:
    """A hash of what the program is handed: the same for a test's YAML config and the CLI's engine config.

    The program's folder is part of it: a session of a copy of the checkout (tests that run a clone's tests)
    runs that copy's program.
    """
    try:
        values, secret = stack_config_values(config)
        handed: Any = [values, sorted(secret)]
    except TypeError:  # a value JSON cannot hold: the run will say so; keyed by its text
        handed = repr(sorted(config.items(), key=str))
    env = {name: value for name, value in os.environ.items() if name.startswith("PULUMI_CONFIG")}
    env |= {name: os.environ.get(name) for name in PROGRAM_VARIABLES}
    answers = [type(mock).__module__, type(mock).__qualname__, sorted(vars(mock).items())]
    text = json.dumps([str(PROGRAM_DIR), stack, handed, preview, answers, env], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def shared(digest: str, compute: Callable[[], RunResult]) -> RunResult:
    """The run under `digest`: from this process, from the session's folder, or computed now and kept in both."""
    if digest in _memory:
        return _memory[digest]
    folder = os.environ.get(RUNS_VARIABLE)  # unset: this process only
    if not folder:
        result = compute()
    else:
        path = Path(folder) / f"{digest}.json"
        with open(path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process computing this input: wait for its result
            if path.exists():
                result = RunResult.from_json(path.read_text())
            else:
                result = compute()
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                partial.write_text(result.to_json())
                os.replace(partial, path)
    _memory[digest] = result
    return result
