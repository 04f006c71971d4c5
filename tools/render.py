"""Plan documents (the JSON of `plan --format json`) as text and markdown: what the plan and the diff share."""

from __future__ import annotations

from typing import Any

UNKNOWN = "(known after apply)"
"""How a plan document writes a value Azure assigns on create (a preview's unknown)."""
SCHEMA_VERSION = 1
"""Of `plan --format json` (README, "Plans as data"): a new version only when a field changes meaning or goes."""
COMMENT_LIMIT = 65_536
"""Characters GitHub takes in one issue or pull-request comment."""
MARKDOWN_LIMIT = 60_000
"""A stack's markdown stays under this: one comment holds it with room for its marker and notes."""
VALUE_CHARS = 120
"""A setting or output longer than this is cut in markdown: a reviewer reads the start, the JSON has it all."""


def show(value: Any) -> str:
    """A masked value (see tools.engine.masked) in one line."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def cut(text: str, limit: int = VALUE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cell(text: str, limit: int = VALUE_CHARS) -> str:
    """Text for a markdown table cell: one line, cut, pipes escaped."""
    return cut(text, limit).replace("|", "\\|")


def setting_text(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key}={cut(show(value))}" for key, value in settings.items())


def mandatory(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in document.get("violations", []) if v.get("level") == "mandatory"]


def verdict(document: dict[str, Any]) -> str:
    if document.get("policies", {}).get("skipped"):
        return "policies skipped"
    return "blocked by mandatory policy violations" if mandatory(document) else "passes the mandatory policies"


def warning_section(document: dict[str, Any]) -> list[str]:
    warnings = document.get("warnings", [])
    return ["", "#### Warnings", "", *(f"- {cell(str(w), 600)}" for w in warnings)] if warnings else []


def policy_section(document: dict[str, Any]) -> list[str]:
    if document.get("policies", {}).get("skipped"):
        return []
    found = [v for v in document.get("violations", []) if v.get("level") != "not-evaluated"]
    strict = mandatory(document)
    config = document.get("policies", {}).get("config") or "default config"
    lines = ["", f"#### Policy violations ({len(strict)} mandatory, {len(found) - len(strict)} advisory; {config})"]
    if not found:
        return [*lines, "", "None."]
    lines += ["", "| level | policy | resource | message |", "|---|---|---|---|"]
    for v in sorted(found, key=lambda v: (v.get("level") != "mandatory", v.get("policy"), v.get("resource"))):
        message = cell(str(v.get("message")))
        lines.append(f"| {v.get('level')} | `{v.get('policy')}` | `{v.get('resource')}` | {message} |")
    return lines


def quota_section(document: dict[str, Any]) -> list[str]:
    rows = document.get("quota") or []
    if not rows:
        return []
    lines = ["", f"#### vCPU quota needed in `{rows[0].get('region')}`", "", "| VM family | vCPUs | deployments |"]
    lines.append("|---|---:|---|")
    for row in rows:
        lines.append(f"| `{row.get('family')}` | {row.get('vcpus')} | {cell('; '.join(row.get('deployments', [])))} |")
    return lines


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested value as property path -> leaf (`sku.name`, `tags["managed-by"]`, `actions[0]`), as Pulumi
    writes paths; an empty map or list is a leaf."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            part = f".{key}" if key.isidentifier() else f'["{key}"]'
            out |= flatten(item, f"{prefix}{part}" if prefix else part.removeprefix("."))
        return out
    if isinstance(value, list) and value:
        return {k: v for i, item in enumerate(value) for k, v in flatten(item, f"{prefix}[{i}]").items()}
    return {prefix: value}


def output_section(outputs: dict[str, Any]) -> list[str]:
    leaves = flatten(outputs)
    if not leaves:
        return []
    lines = ["", "#### Outputs", "", "| output | value |", "|---|---|"]
    return lines + [f"| `{cell(path)}` | {cell(show(value))} |" for path, value in sorted(leaves.items())]


def fit(lines: list[str], limit: int, full: str) -> str:
    """The lines as one text of at most `limit` characters: cut at a line, with a note of what was left out."""
    text = "\n".join(lines) + "\n"
    if len(text) <= limit:
        return text
    kept, size = [], 0
    budget = limit - 300  # room for the note
    for line in lines:
        if size + len(line) + 1 > budget:
            break
        kept.append(line)
        size += len(line) + 1
    note = f"_Cut here to stay under {limit:,} characters: {len(lines) - len(kept)} more lines; {full}._"
    return "\n".join([*kept, "", note]) + "\n"
