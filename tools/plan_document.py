"""The plan document (`plan --format json`) as `diff` reads it: each part it reads has the type it needs.

A plan comes from a file a pull request's job hands over, so any of it may be wrong: checked whole before any of
it is read, a wrong part is named by its path (`cost.lines[1].monthly: a number expected`), never a traceback.
Parts `diff` does not read are left as they are (extra keys allowed), so a plan keeps its other fields.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictStr, ValidationError

MAX_PROBLEMS = 5


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)


MAX_NUMBER = 1e15
"""Larger than any cost or count a plan writes, and still a float: 10**400 would overflow where it is summed."""
Number = (
    Annotated[int, Strict(), Field(ge=-MAX_NUMBER, le=MAX_NUMBER)]
    | Annotated[float, Strict(), Field(ge=-MAX_NUMBER, le=MAX_NUMBER, allow_inf_nan=False)]
)


class _State(_Part):
    inputs: dict[str, Any]
    type: StrictStr = ""
    custom: StrictBool = False
    protect: StrictBool = False


class _Step(_Part):
    urn: StrictStr
    type: StrictStr | None = None
    new_state: _State = Field(alias="newState")
    settings: dict[str, Any] | None = None


class _Violation(_Part):
    level: StrictStr | None = None
    policy: StrictStr | None = None
    resource: StrictStr | None = None
    message: StrictStr | None = None


class _QuotaRow(_Part):
    region: StrictStr | None = None
    family: StrictStr | None = None
    vcpus: Number | None = None
    deployments: list[StrictStr] = []


class _Monthly(_Part):
    fixed: Number | None = None
    fixed_complete: StrictBool = Field(True, alias="fixedComplete")
    usage: Number | None = None
    total: Number | None = None
    unknown: list[StrictStr] = []
    undeclared: list[StrictStr] = []


class _CostLine(_Part):
    key: StrictStr
    resource: StrictStr | None = None
    deployment: StrictStr | None = None
    what: StrictStr | None = None
    billing: StrictStr | None = None
    quantity: Number | None = None
    unit: StrictStr | None = None
    unit_price: Number | None = Field(None, alias="unitPrice")
    monthly: Number | None = None


class _Budget(_Part):
    amount: Number | None = None
    currency: StrictStr | None = None


class _Cost(_Part):
    currency: StrictStr | None = None
    live: StrictBool = False
    monthly: _Monthly | None = None
    lines: list[_CostLine] = []
    budget: _Budget | None = None
    notice: StrictStr | None = None


class _Policies(_Part):
    skipped: StrictBool = False
    config: StrictStr | None = None


class PlanDocument(_Part):
    stack: StrictStr
    steps: list[_Step]
    outputs: dict[str, Any] = {}
    warnings: list[Any] = []
    violations: list[_Violation] = []
    policies: _Policies = _Policies()
    quota: list[_QuotaRow] | None = None
    cost: _Cost | None = None


def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _expected(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required, missing"
    if kind in ("int_type", "float_type", "finite_number"):
        return "a number expected"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"a number within ±{MAX_NUMBER:g} expected"
    if kind == "bool_type":
        return "true or false expected"
    if kind == "string_type":
        return "text expected"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "an object expected"
    if kind == "list_type":
        return "a list expected"
    return "not allowed here"


def document_problems(plan: dict[str, Any]) -> list[str]:
    """What is wrong with a plan document's parts `diff` reads, at most MAX_PROBLEMS, each with its path."""
    try:
        document = PlanDocument.model_validate(plan)
    except ValidationError as exc:
        by_path: dict[str, str] = {}
        for error in exc.errors():  # a union reports each member: a bound beats "not this type"
            path, said = _path(tuple(p for p in error["loc"] if not _is_member(p))), _expected(error)
            if path not in by_path or said.startswith("a number within"):
                by_path[path] = said
        return [f"{path}: {said}" for path, said in by_path.items()][:MAX_PROBLEMS]
    seen: dict[str, int] = {}
    problems = _control_characters(plan, ())
    for i, step in enumerate(document.steps):
        if step.urn in seen:
            problems.append(f"steps[{i}]: the urn of steps[{seen[step.urn]}] again")
        seen.setdefault(step.urn, i)
    return problems[:MAX_PROBLEMS]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FREE_TEXT = frozenset({"inputs", "outputs", "warnings", "message"})
"""Values diff prints JSON-escaped or cut to one cell: a line break there is data. Names and keys are printed as
they are, so a control character in one (an escape sequence, a line break) could draw a fake line."""


def _control_characters(value: Any, path: tuple[Any, ...], keys_only: bool = False) -> list[str]:
    if isinstance(value, dict):
        found = [f"{_path(path) or 'the plan'}: a key with a control character" for k in value if _CONTROL.search(k)]
        inner = [p for k, v in value.items() for p in _control_characters(v, (*path, k), keys_only or k in _FREE_TEXT)]
        return found[:1] + inner
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _control_characters(v, (*path, i), keys_only)]
    if keys_only or not (isinstance(value, str) and _CONTROL.search(value)):
        return []
    return [f"{_path(path)}: a control character in the text"]


def _is_member(part: Any) -> bool:
    # pydantic names a union member in the location (`int`, `float`, `list[str]`, `_Monthly`...).
    return isinstance(part, str) and (
        part in ("int", "float", "str", "bool", "none")
        or "[" in part
        or part[:1] == "_"
        or part.startswith("constrained-")
    )
