"""Recorded outputs and inputs seen the two ways that matter: as `--show-secrets` prints them, and in plain text."""

from __future__ import annotations

from typing import Any

from tools.engine import is_secret


def unwrapped(value: Any) -> Any:
    """Values as `pulumi stack output --json --show-secrets` prints them: secrets as their values."""
    if is_secret(value):
        return unwrapped(value["secret"])
    if isinstance(value, dict):
        return {k: unwrapped(v) for k, v in value.items()}
    return [unwrapped(v) for v in value] if isinstance(value, list) else value


def plain_parts(value: Any) -> Any:
    """What state or a preview shows in plain text: the value without its secret parts (each one None)."""
    if is_secret(value):
        return None
    if isinstance(value, dict):
        return {k: plain_parts(v) for k, v in value.items()}
    return [plain_parts(v) for v in value] if isinstance(value, list) else value
