"""The stacks tests run: the shipped ones, crafted ones, each run once per distinct input under the mock engine."""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import yaml

from catalog.tokens import COGNITIVE_TYPES, ML_TYPES
from clients.retail_prices import ENDPOINT_VARIABLE as PRICES_ENDPOINT_VARIABLE
from infra.config.parse import TODAY_VARIABLE
from tests.support import runs
from tests.support.paths import ROOT, SCENARIO_NAMES, SCENARIOS, SHIPPED
from tools.engine import LlamaMocks, Registration, RunResult, run_here, warm_program

__all__ = ["ROOT", "SCENARIOS", "SCENARIO_NAMES", "SHIPPED", "RunResult"]  # from tests.support.paths, as before
ML, CS = ML_TYPES, COGNITIVE_TYPES
TODAY = "2026-12-03"
# Lifecycle checks compare with "today": fixed, so that a test means the same thing every day. Child
# processes (plan, policy pack) inherit it.
os.environ[TODAY_VARIABLE] = TODAY
# No test reaches Azure's Retail Prices API: unless a test points it at a stand-in, it is a closed loopback port.
os.environ[PRICES_ENDPOINT_VARIABLE] = "http://127.0.0.1:9/api/retail/prices"
warm_program()  # once per test process, before the first forked run
LLAMA33 = "Llama-3.3-70B-Instruct"
MAVERICK = "Llama-4-Maverick-17B-128E-Instruct-FP8"


def token(name: str) -> str:
    return f"llama-on-azure:index:{name}"


def shipped_config(stack: str) -> dict[str, Any]:
    return _config_of(ROOT / f"Pulumi.{stack}.yaml")


def _config_of(path: Path) -> dict[str, Any]:
    """A stack file's config, a copy of its own for each caller (tests edit theirs), parsed once per content."""
    return copy.deepcopy(_parsed(path.read_text()))


@functools.cache
def _parsed(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)["config"]


def stack_config(**keys: Any) -> dict[str, Any]:
    """A crafted stack: the dev stack's config with `llama-on-azure:<key>` entries replaced (None removes)."""
    config = copy.deepcopy(shipped_config("dev"))
    for key, value in keys.items():
        full = key if ":" in key else f"llama-on-azure:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return config


def serverless(name: str, model: str = LLAMA33, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "serverless", "model": model, **extra}


def managed(name: str, model: str = LLAMA33, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "managed", "model": model, "vmSku": "Standard_NC96ads_A100_v4"} | extra


def foundry(name: str, model: str = MAVERICK, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "foundry", "model": model, **extra}


def run(
    stack: str,
    config: dict[str, Any],
    *,
    preview: bool = False,
    subscription: str | None = None,
    today: str = TODAY,
) -> RunResult:
    """Run the program once per distinct input (runs are deterministic, so results are shared, across workers too)."""
    mock = LlamaMocks(preview=preview, **({"subscription_id": subscription} if subscription else {}))
    os.environ[TODAY_VARIABLE] = today  # the run reads it
    try:
        digest = runs.key(stack, config, preview, mock)
        return runs.shared(digest, lambda: run_here(stack, config, preview=preview, mock=mock))
    finally:
        os.environ[TODAY_VARIABLE] = TODAY


def registered(result: RunResult) -> list[tuple[str, str, str]]:
    """What a run registered, as sorted lines: the engine registers concurrently, so only the order may differ."""
    return sorted((r.urn, r.type, repr(r.inputs)) for r in result.registrations)


def hub_workspace(result: RunResult) -> Registration:
    return next(r for r in result.by_type(f"{ML}:Workspace") if r.inputs["kind"] == "Hub")


def project_workspace(result: RunResult) -> Registration:
    return next(r for r in result.by_type(f"{ML}:Workspace") if r.inputs["kind"] == "Project")


def scenario(name: str) -> dict[str, Any]:
    """A named scenario stack (tests/scenarios/<name>.yaml): defaults, managed, max, ..."""
    return _config_of(SCENARIOS / f"{name}.yaml")


def _run_decrypted(conn: Any, stack: str, config: dict[str, Any], secret_keys: list[str]) -> None:
    from tools import engine

    values, _ = engine.stack_config_values(config)
    engine.stack_config_values = lambda _config: (values, secret_keys)  # this forked child only
    conn.send(engine.run_program(stack, config, preview=False).to_json())
    conn.close()


def run_decrypted(stack: str, config: dict[str, Any], secret_keys: list[str]) -> RunResult:
    """A run as `pulumi up` hands the program a decrypted value: plain text, its key among the secret ones."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run_decrypted, args=(child_end, stack, config, secret_keys))
    proc.start()
    child_end.close()
    payload = parent_end.recv()
    proc.join()
    return RunResult.from_json(payload)
