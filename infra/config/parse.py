"""From what the engine hands the program (or the stack file) to a validated StackConfig, every error at once."""

import datetime as dt
import difflib
import json
import os
from typing import Any

from pydantic import TypeAdapter, ValidationError, create_model

from catalog import regions
from infra import naming
from infra.config.model import KINDS, DeclaredModel, Deployment, Parsed, StackConfig, _Deployment, _Section
from infra.config.rules import Rules
from infra.config.types import (
    ENCRYPTED,
    KNOWN_NAMESPACES,
    NAMESPACE,
    SECRET_KEYS,
    ConfigError,
    key_for,
    shown,
)


def _other_kinds(kind: str, field: str) -> list[str]:
    return [k for k, model in KINDS.items() if k != kind and any(f.alias == field for f in model.model_fields.values())]


def _describe(error: dict[str, Any], prefix: tuple[Any, ...]) -> str:
    loc = list(prefix) + [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    kind, value, msg = error["type"], error.get("input"), error["msg"]
    # A discriminated union puts the kind in the location (deployments, 0, managed, vmSku): drop it.
    tag = next((p for p in loc[2:3] if p in KINDS), None) if loc[:1] == ["deployments"] else None
    if tag:
        loc.remove(tag)
    key = key_for(*loc)
    if kind == "extra_forbidden" and tag and (others := _other_kinds(tag, str(loc[-1]))):
        return f"{key}: only for kind {' or '.join(repr(k) for k in others)}, this deployment is {tag!r}"
    if kind == "extra_forbidden":
        return f"{key}: unknown key (a typo?)"
    if kind == "missing":
        return f"{key}: required key is missing"
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        allowed = ", ".join(KINDS)
        if kind == "union_tag_not_found":
            return f"{key}.kind: required key is missing; one of {allowed}"
        return f"{key}.kind: {shown(error.get('ctx', {}).get('tag'))} is not allowed; one of {allowed}"
    if kind == "too_short":
        return f"{key}: is empty; list at least one entry"
    if kind == "string_type" and isinstance(value, int | float):
        return f'{key}: {shown(value)} is a number; text expected (quote it in the stack file: "{value}")'
    if kind in ("bool_type", "bool_parsing"):
        return f"{key}: {shown(value)} is not allowed; true or false"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(error.get("ctx", {}).values()), "")
        word = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most"}
        return f"{key}: {shown(value)} is not allowed; {word.get(kind, 'less than')} {bound}"
    if kind == "value_error":
        return f"{key}: {msg.removeprefix('Value error, ')}"
    if kind in ("dict_type", "list_type", "model_type", "model_attributes_type"):
        expected = {"list_type": "a list", "model_type": "a map of keys", "model_attributes_type": "a map of keys"}
        return f"{key}: {shown(value)} is not allowed; expected {expected.get(kind, 'a map')}"
    return f"{key}: {shown(value)} is not allowed; {msg.removeprefix('Input should be ')}"


_FIELDS: dict[str, Any] = {f.alias or name: f for name, f in StackConfig.model_fields.items()}
_NAMES = {f.alias or name: name for name, f in StackConfig.model_fields.items()}
_ONE_KEY: dict[str, type[_Section]] = {}
_DEPLOYMENT: TypeAdapter[Any] = TypeAdapter(Deployment)
_MODEL: TypeAdapter[Any] = TypeAdapter(DeclaredModel)
_EACH = {"deployments": _DEPLOYMENT, "models": _MODEL}
"""Lists whose entries are validated one by one: a bad entry leaves the others to the rules."""


def _one_key(alias: str) -> type[_Section]:
    """A model of just one top-level key, with the stack model's rules for it (strict, aliases, bounds)."""
    if alias not in _ONE_KEY:
        _ONE_KEY[alias] = create_model(
            f"Key_{alias}", __base__=_Section, **{_NAMES[alias]: (_FIELDS[alias].annotation, _FIELDS[alias])}
        )
    return _ONE_KEY[alias]


def _errors(exc: ValidationError, prefix: tuple[Any, ...]) -> list[str]:
    return [_describe(e, prefix) for e in exc.errors(include_url=False)]


def _validate_parts(raw: dict[str, Any], given: frozenset[str] = frozenset()) -> tuple[dict[str, Any], list[str]]:
    """Each key, and each deployment, validated on its own, so that one type error never hides another."""
    parts: dict[str, Any] = {}
    errors: list[str] = []
    for alias, value in raw.items():
        if alias not in _FIELDS:
            errors.append(f"{key_for(alias)}: unknown key (a typo?)")
        elif alias in _EACH and isinstance(value, list) and value:
            parts[alias] = []
            for i, item in enumerate(value):
                try:
                    parts[alias].append((i, _EACH[alias].validate_python(item)))
                except ValidationError as exc:
                    errors += _errors(exc, (alias, i))
                    parts.setdefault("_failed", set()).add(f"{alias}[{i}]")
                    if alias == "deployments" and (partial := _partial(item)):
                        parts.setdefault("_partial", []).append((i, partial))
                    elif alias == "models" and isinstance(item, dict) and isinstance(item.get("name"), str):
                        parts.setdefault("_failed_models", set()).add(item["name"])
        else:
            try:
                parts[alias] = getattr(_one_key(alias).model_validate({alias: value}), _NAMES[alias])
            except ValidationError as exc:
                errors += _errors(exc, ())
                # Rules skip a section that failed: its defaults would give made-up errors.
                parts.setdefault("_failed", set()).add(alias)
    # A key given but refused before validation (an encrypted value) is reported once, not as missing too.
    missing = [a for a, f in _FIELDS.items() if f.is_required() and a not in raw and a not in given]
    errors += [f"{key_for(a)}: required key is missing" for a in missing]
    return parts, errors


def _partial(item: Any) -> _Deployment | None:
    """A deployment that failed validation, reduced to its kind and model, so that its model is still checked."""
    if not isinstance(item, dict) or item.get("kind") not in KINDS or not isinstance(item.get("model"), str):
        return None
    return KINDS[item["kind"]].model_construct(name=str(item.get("name")), kind=item["kind"], model=item["model"])


def _report(stack: str, lines: list[str]) -> str:
    """Every problem of a stack, one per line (ConfigError keeps them as a list too)."""
    return f"stack {stack!r} has an invalid configuration:\n  " + "\n  ".join(lines)


def parse_stack_config(
    raw: dict[str, Any], stack: str, today: dt.date | None = None, given: frozenset[str] = frozenset()
) -> Parsed:
    """Validate the namespace's keys (without the `llama-on-azure:` prefix); raise ConfigError with every error."""
    today = today or today_utc()
    parts, errors = _validate_parts(raw, given)
    check = Rules(parts, today, errors, [])
    check.run()
    if "environment" not in parts and naming.environment_for_stack(stack) is None:
        errors.append(
            f"{NAMESPACE}:environment: not set, and the stack name {stack!r} gives none "
            "(it needs a letter or digit): set it, 1-12 lowercase letters and digits"
        )
    if errors:
        raise ConfigError(_report(stack, errors), errors)
    parts["deployments"] = [d for _, d in parts["deployments"]]
    if "models" in parts:
        parts["models"] = [m for _, m in parts["models"]]
    for internal in ("_partial", "_failed", "_failed_models"):
        parts.pop(internal, None)
    fields = {_NAMES[alias]: value for alias, value in parts.items()}
    fields.setdefault("environment", naming.environment_for_stack(stack))
    config = StackConfig.model_construct(**fields)  # every part is validated above: no second pass
    return Parsed(config, check.warnings)


TODAY_VARIABLE = "LLAMA_ON_AZURE_TODAY"
"""ISO date that stands in for today in lifecycle checks: tests, or 'will this stack still plan on ...?'."""


def today_utc() -> dt.date:
    if value := os.environ.get(TODAY_VARIABLE):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{TODAY_VARIABLE}: {value!r} is not a date like 2026-11-27") from None
    return dt.datetime.now(dt.UTC).date()


def _decode(alias: str, text: str) -> Any:
    """An engine config value (always a string) as the YAML meant it: structured keys arrive as JSON."""
    field = _FIELDS.get(alias)
    if field is not None and field.annotation is bool:
        return {"true": True, "false": False}.get(text, text)
    if field is not None and _is_text(field.annotation):
        return text  # "123456" stays a string: a plain value is never JSON-decoded
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses: the text is refused
        return text


def _is_text(annotation: Any) -> bool:
    return annotation is str or str(annotation).startswith(
        ("typing.Annotated[str", "str |", "typing.Optional[typing.Annotated[str")
    )


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _namespace_errors(keys: list[str]) -> list[str]:
    errors = []
    for full in sorted(keys):
        namespace = full.partition(":")[0]
        if ":" not in full or namespace in KNOWN_NAMESPACES:
            continue
        guess = difflib.get_close_matches(namespace, KNOWN_NAMESPACES, n=1)
        hint = f"did you mean {guess[0]}:{full.partition(':')[2]}?" if guess else "it is not read by this project"
        errors.append(
            f"{full}: unknown namespace {namespace!r}: this stack reads {', '.join(KNOWN_NAMESPACES)} keys; {hint}"
        )
    return errors


def config_from_engine(
    values: dict[str, str], secret_keys: set[str], stack: str, today: dt.date | None = None
) -> Parsed:
    """The stack's config from what the engine hands the program: every namespace, values as strings."""
    errors = _namespace_errors(list(values))
    raw: dict[str, Any] = {}
    notes: list[str] = []
    for full, text in values.items():
        namespace, _, alias = full.partition(":")
        if namespace != NAMESPACE:
            continue
        if full in secret_keys and alias not in SECRET_KEYS:
            errors.append(
                f"{full}: encrypted values (secure:) are not accepted for this key: it becomes part of resource "
                "names, ids or settings that Pulumi and Azure keep in plain text; give it in plain text"
            )
            continue
        if text == "":
            # No value: Pulumi.yaml's `default: ""` of an optional key (a declared key needs a default to be
            # optional), or a key left empty in the stack file. The model's default applies.
            continue
        if text == ENCRYPTED:
            notes.append(f"{full}: encrypted (secure:), so not checked offline: its value is checked at `pulumi up`")
            continue
        raw[alias] = _decode(alias, text)
        if ENCRYPTED in _leaves(raw[alias]):
            notes.append(f"{full}: encrypted values (secure:) are not checked offline: they are checked at `pulumi up`")
    location = values.get("azure-native:location")
    region = raw.get("region")
    if location and isinstance(region, str) and regions.normalize_region(location) != regions.normalize_region(region):
        errors.append(
            f"azure-native:location: {location!r} but {NAMESPACE}:region is {region!r}: "
            "set both to the same region (every resource here is placed in the stack's region)"
        )
    try:
        given = frozenset(k.partition(":")[2] for k in values if k.startswith(f"{NAMESPACE}:"))
        parsed = parse_stack_config(raw, stack, today, given)
    except ConfigError as exc:
        raise ConfigError(_report(stack, errors + exc.problems), errors + exc.problems) from None
    if errors:
        raise ConfigError(_report(stack, errors), errors)
    parsed.config._tags_secret = f"{NAMESPACE}:tags" in secret_keys
    return Parsed(parsed.config, notes + parsed.warnings)
