"""The config parsed in the test process (no program run): what a stack's keys give, or every error they get."""

import datetime as dt
from typing import Any

from infra.config.parse import parse_stack_config
from infra.config.stack import ResolvedStack
from infra.config.types import ConfigError

TODAY = dt.date(2026, 12, 3)


def base(**keys: Any) -> dict[str, Any]:
    """A stack's `llama-on-azure:*` keys (without the namespace): eastus2 and the given ones."""
    return {"region": "eastus2", **keys}


def resolved(raw: dict[str, Any], stack: str = "dev") -> ResolvedStack:
    return parse_stack_config(raw, stack, TODAY)


def problems(raw: dict[str, Any], stack: str = "dev") -> list[str]:
    """Every error the stack gets; [] when it validates."""
    try:
        parse_stack_config(raw, stack, TODAY)
    except ConfigError as exc:
        return exc.problems
    return []


def warnings(raw: dict[str, Any], stack: str = "dev") -> list[str]:
    return list(resolved(raw, stack).warnings)
