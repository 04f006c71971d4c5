"""From what the engine hands the program (or the stack file) to a resolved stack, every error at once."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from catalog import regions
from catalog.network import CLOUDS
from clients.credential import CLOUD_ALIASES
from infra import naming
from infra.config.model import DeclaredModel, StackConfig
from infra.config.stack import ResolvedStack
from infra.config.types import (
    ENCRYPTED,
    KNOWN_NAMESPACES,
    NAMESPACE,
    RECEIVER_NAME,
    SECRET_KEYS,
    WEBHOOKS,
    ConfigError,
    PartialConfig,
    Section,
    choices,
    cross_key_problems,
    key_for,
    section_type,
    shown,
)
from infra.kinds import KINDS, DeploymentConfigs, Kind
from infra.kinds.base import DeploymentConfig

FIELDS: dict[str, Any] = {f.alias or name: f for name, f in StackConfig.model_fields.items()}
"""Each top-level key (its alias, as the stack file spells it) -> its field."""
NAMES = {f.alias or name: name for name, f in StackConfig.model_fields.items()}
_DEPLOYMENT: TypeAdapter[Any] = TypeAdapter(DeploymentConfigs)
_MODEL: TypeAdapter[Any] = TypeAdapter(DeclaredModel)


@dataclass(frozen=True)
class DeploymentPart:
    """One entry of `deployments` after parsing: its kind, and its keys (all valid, or the valid ones only)."""

    index: int
    kind: Kind[Any] | None
    """None when `kind` is missing or unknown: nothing of the entry can be judged."""
    config: DeploymentConfig | PartialConfig | None
    complete: bool


@dataclass
class PartialStack:
    """The stack's keys each validated on its own: what validated, what failed, and every error so far."""

    values: dict[str, Any] = field(default_factory=dict)
    """Python field name -> validated value, for the keys but `deployments` and `models`."""
    failed: set[str] = field(default_factory=set)
    """Top-level keys (as the stack file spells them) that failed: rules skip them, their defaults would mislead."""
    deployments: list[DeploymentPart] = field(default_factory=list)
    models: list[tuple[int, DeclaredModel]] = field(default_factory=list)
    failed_models: set[str] = field(default_factory=set)
    """Names of declared models whose declaration failed: a deployment of one is not reported a second time."""
    errors: list[str] = field(default_factory=list)
    partial_sections: dict[str, PartialConfig] = field(default_factory=dict)
    """Top-level sections that failed, each with the keys that validated (for the rules across sections)."""

    def section(self, alias: str) -> Any:
        """A top-level key's validated value, or its default; None when the key failed."""
        if alias in self.failed:
            return None
        name = NAMES[alias]
        if name in self.values:
            return self.values[name]
        info = FIELDS[alias]
        return None if info.is_required() else info.get_default(call_default_factory=True)

    def judged(self, alias: str) -> Any:
        """A section as the rules judge it: its validated value (or default), or, when it failed, its keys that
        validated (reading a failed one raises FieldFailed: the rule reading it stops, its error is reported)."""
        value = self.section(alias)
        return value if value is not None else self.partial_sections.get(alias)


@cache
def field_model(model: type[BaseModel], name: str) -> type[Section]:
    """A model of one field of `model`, with its rules (strict, alias, bounds): a key checked on its own."""
    info = model.model_fields[name]
    return create_model(f"{model.__name__}_{name}", __base__=Section, **{name: (info.annotation, info)})


def _valid(model: type[BaseModel], name: str, alias: str, value: Any) -> tuple[bool, Any]:
    try:
        return True, getattr(field_model(model, name).model_validate({alias: value}), name)
    except ValidationError as exc:
        return False, exc


_NEVER_QUOTED = ("extra_forbidden", "missing", "value_error")  # kinds whose messages do not quote the value


def _describe(error: dict[str, Any], prefix: tuple[Any, ...]) -> str:
    loc = (*prefix, *error["loc"])
    quoted = error["type"] not in _NEVER_QUOTED
    if loc[: len(WEBHOOKS)] == WEBHOOKS and len(loc) > len(WEBHOOKS):
        # Under webhooks a value, and a receiver's name given where its URL belongs, may hold a credential.
        name = _receiver(loc[len(WEBHOOKS)])
        if quoted or name != loc[len(WEBHOOKS)]:
            what = "a receiver name of 1-60 letters, digits, '-' or '_'" if "[key]" in loc else "an https URL as text"
            return f"{key_for(*WEBHOOKS, name)}: is not allowed; {what} (not shown: a webhook URL is a credential)"
    elif WEBHOOKS[: len(loc)] == loc and quoted:
        # Above webhooks, a value of the wrong shape may still hold webhook URLs: never quoted back either.
        expected = "a map of keys" if len(loc) < len(WEBHOOKS) else "a map of receiver name to https URL"
        return f"{key_for(*loc)}: is not allowed; {expected} (not shown: it may hold a webhook URL, a credential)"
    text = _described(error, prefix)
    if "input" in error and error["input"] is None:  # `key:` alone in YAML: the key is there, without a value
        text = text.replace(": null is not allowed;", ": has no value;", 1)
    return text


def _described(error: dict[str, Any], prefix: tuple[Any, ...]) -> str:
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
        if kind == "union_tag_not_found":
            return f"{key}.kind: required key is missing; one of {', '.join(KINDS)}"
        tag = error.get("ctx", {}).get("tag")
        return f"{key}.kind: {shown(tag)} is not allowed; {choices(KINDS, tag, 'one of')}"
    if kind == "too_short":
        return f"{key}: is empty; list at least one entry"
    if kind == "too_long":
        ctx = error.get("ctx", {})
        return f"{key}: {ctx.get('actual_length')} entries; at most {ctx.get('max_length')}"
    if kind == "float_type":
        return f"{key}: {shown(value)} is not allowed; a number"
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
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        if isinstance(value, str) and choices(expected, value).startswith("case matters"):
            return f"{key}: {shown(value)} is not allowed; {choices(expected, value)}"
    return f"{key}: {shown(value)} is not allowed; {msg.removeprefix('Input should be ')}"


def _other_kinds(kind: str, alias: str) -> list[str]:
    return [
        k
        for k, other in KINDS.items()
        if k != kind and any(f.alias == alias for f in other.config.model_fields.values())
    ]


def _errors(exc: ValidationError, prefix: tuple[Any, ...]) -> list[str]:
    return [_describe(e, prefix) for e in exc.errors(include_url=False)]


def _deployment(partial: PartialStack, index: int, item: Any) -> DeploymentPart:
    try:
        config = _DEPLOYMENT.validate_python(item)
    except ValidationError as exc:
        partial.errors.extend(_errors(exc, ("deployments", index)))
        part = _partial_deployment(index, item)
    else:
        part = DeploymentPart(index, KINDS[config.kind], config, True)
    partial.errors.extend(cross_key_problems(part.config, ("deployments", index)))
    return part


def _partial(model: type[BaseModel], item: dict[str, Any]) -> PartialConfig:
    """A section that failed validation, each of its keys validated on its own (a section key that failed is itself
    partial, for its cross-key rules); unknown keys are left out (their error is reported already)."""
    aliases = {info.alias or name: name for name, info in model.model_fields.items()}
    values, failed, nested = {}, set(), {}
    for alias, value in item.items():
        if (name := aliases.get(alias)) is None:
            continue
        ok, result = _valid(model, name, alias, value)
        if ok:
            values[name] = result
            continue
        failed.add(name)
        inner = section_type(model.model_fields[name].annotation)
        if inner is not None and isinstance(value, dict):
            nested[name] = _partial(inner, value)
    return PartialConfig(model, values, failed, nested)


def _partial_deployment(index: int, item: Any) -> DeploymentPart:
    """A deployment that failed validation, with each of its keys validated on its own: the rules judge the valid
    ones, so a field error never hides a rule error (and never makes one up)."""
    kind = KINDS.get(item.get("kind")) if isinstance(item, dict) and isinstance(item.get("kind"), str) else None
    if kind is None:
        return DeploymentPart(index, None, None, False)
    return DeploymentPart(index, kind, _partial(kind.config, item), False)


def _model(partial: PartialStack, index: int, item: Any) -> None:
    try:
        declared = _MODEL.validate_python(item)
        partial.models.append((index, declared))
        partial.errors.extend(cross_key_problems(declared, ("models", index)))
    except ValidationError as exc:
        partial.errors.extend(_errors(exc, ("models", index)))
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            partial.failed_models.add(item["name"])


def parse_keys(raw: dict[str, Any], given: frozenset[str] = frozenset()) -> PartialStack:
    """Each key, and each deployment and declared model, validated on its own, so that one error never hides
    another; `given` are keys present but refused before validation (an encrypted value), never called missing."""
    partial = PartialStack()
    for alias, value in raw.items():
        if alias not in FIELDS:
            partial.errors.append(f"{key_for(alias)}: unknown key (a typo?)")
        elif alias == "deployments" and isinstance(value, list) and value:
            partial.deployments = [_deployment(partial, i, item) for i, item in enumerate(value)]
        elif alias == "models" and isinstance(value, list) and value:
            for i, item in enumerate(value):
                _model(partial, i, item)
        else:
            ok, result = _valid(StackConfig, NAMES[alias], alias, value)
            if ok:
                partial.values[NAMES[alias]] = result
                partial.errors.extend(cross_key_problems(result, (alias,)))
                continue
            partial.errors.extend(_errors(result, ()))
            partial.failed.add(alias)
            section = section_type(FIELDS[alias].annotation)
            if section is not None and isinstance(value, dict):
                partial.partial_sections[alias] = _partial(section, value)
                partial.errors.extend(cross_key_problems(partial.partial_sections[alias], (alias,)))
    missing = [a for a, f in FIELDS.items() if f.is_required() and a not in raw]
    partial.errors.extend(f"{key_for(a)}: required key is missing" for a in missing if a not in given)
    partial.failed.update(missing)
    return partial


class _Unread(ConfigError):
    """Only keys the caller refused before parsing failed: the caller's own errors say why."""


def _report(stack: str, lines: list[str]) -> str:
    """Every problem of a stack, one per line (ConfigError keeps them as a list too)."""
    return f"stack {stack!r} has an invalid configuration:\n  " + "\n  ".join(lines)


def parse_stack_config(
    raw: dict[str, Any],
    stack: str,
    today: dt.date | None = None,
    given: frozenset[str] = frozenset(),
    tags_secret: bool = False,
    cloud: str = "public",
) -> ResolvedStack:
    """Validate the namespace's keys (without the `llama-on-azure:` prefix); raise ConfigError with every error."""
    from infra.config.rules import Rules

    partial = parse_keys(raw, given)
    rules = Rules(partial, today or today_utc(), cloud)
    deployments = rules.run()
    environment = partial.values.get("environment") or naming.environment_for_stack(stack)
    if "environment" not in partial.failed and environment is None:
        partial.errors.append(
            f"{NAMESPACE}:environment: not set, and the stack name {stack!r} gives none "
            "(it needs a letter or digit): set it, 1-12 lowercase letters and digits"
        )
    unread = [a for a in sorted(partial.failed & given) if a not in raw]
    if partial.errors:
        raise ConfigError(_report(stack, partial.errors), partial.errors)
    if unread:
        # A key given but refused before parsing (encrypted, or empty) is reported by the caller that refused it.
        raise _Unread(_report(stack, [f"{key_for(a)}: given, but its value could not be read" for a in unread]))
    # Every part is a validated instance: the model keeps them as they are and checks only what spans keys.
    aliases = {name: alias for alias, name in NAMES.items()}
    config = StackConfig.model_validate(
        {aliases[name]: value for name, value in partial.values.items()}
        | {"deployments": [part.config for part in partial.deployments], "models": [m for _, m in partial.models]}
    )
    return ResolvedStack(config, tuple(deployments), str(environment), tags_secret, tuple(rules.warnings), cloud)


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
    """An engine config value (always a string) as the YAML meant it: structured keys arrive as JSON, text keys and
    booleans as they are; a key's type is known from the JSON schema of its field, never from its annotation's text."""
    kind = _json_type(alias)
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "string":
        return text  # "123456" stays a string: a plain value is never JSON-decoded
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses: the text is refused
        return text


@cache
def _json_type(alias: str) -> str | None:
    """The JSON type a top-level key takes ("string", "boolean", "object", ...), None if several or unknown."""
    if alias not in FIELDS:
        return None
    schema = field_model(StackConfig, NAMES[alias]).model_json_schema(by_alias=True)["properties"][alias]
    options = [schema, *schema.get("anyOf", [])]
    kinds = {o["type"] for o in options if "type" in o} - {"null"}
    return kinds.pop() if len(kinds) == 1 else None


def _has_value(alias: str) -> bool:
    """Whether a key always has a value: required, or optional with a default other than none (an empty string
    from the engine is then a key left empty, never its default)."""
    info = FIELDS[alias]
    return info.is_required() or info.get_default(call_default_factory=True) is not None


_EXPECTED = {"object": "a map of keys", "array": "a list", "boolean": "true or false", "string": "a value"}


def _expected(alias: str) -> str:
    """What a key takes, as an error names it."""
    if alias == "deployments":
        return "a list of at least one deployment"
    return _EXPECTED.get(_json_type(alias) or "", "a value")


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _set_secret(path: str) -> str:
    return f"pulumi config set --secret --path '{NAMESPACE}:{path}' <url>"


def _whole_section_encrypted(full: str) -> str:
    where = ".".join(WEBHOOKS)
    return (
        f"{full}: encrypted as a whole; only its webhook URLs may be (its other values become plain Azure settings): "
        f"give it in plain text and encrypt each URL: {_set_secret(where + '.<name>')}"
    )


def _encrypted_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _encrypted_paths(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _encrypted_paths(v, f"{path}[{i}]")]
    return [path] if value == ENCRYPTED else []


_URL_LIKE = re.compile(r"[/:@?=&#%]")


def _receiver(name: Any) -> str:
    """A receiver's name as messages show it: `<name>` for one that may be a URL given where the name belongs."""
    if isinstance(name, str) and (re.fullmatch(RECEIVER_NAME, name) or not _URL_LIKE.search(name)):
        return name
    return "<name>"


def _webhook_problems(section: Any, secret: bool) -> list[str]:
    """Webhook URLs are credentials: each must be encrypted in the stack file, and nothing else of the section may be.
    Offline an encrypted leaf reads ENCRYPTED; at `pulumi up` Pulumi says only that the section holds a secret."""
    if not isinstance(section, dict):
        return []
    alerts = section.get(WEBHOOKS[1])
    hooks = alerts.get(WEBHOOKS[2]) if isinstance(alerts, dict) else None
    hooks = hooks if isinstance(hooks, dict) else {}
    where = ".".join(WEBHOOKS)
    # Read from the stack file (offline), each encrypted leaf says so; at `pulumi up` all come decrypted and only
    # the key's being secret tells. Either way a URL in plain text beside an encrypted one is still plain text.
    offline = ENCRYPTED in _leaves(section)
    plain = [name for name, value in hooks.items() if not secret or (offline and value != ENCRYPTED)]
    # The value is never quoted: it is the credential.
    problems = [
        f"{key_for(*WEBHOOKS, _receiver(name))}: a webhook URL is a credential (its token opens the receiver) and is "
        f"in plain text in the stack file; encrypt it: {_set_secret(f'{where}.{_receiver(name)}')}"
        for name in plain
    ]
    inside = {f"{where}.{name}" for name in hooks}
    problems += [
        f"{NAMESPACE}:{path}: encrypted, but only webhook URLs may be ({where}.<name>): the other values of "
        f"{NAMESPACE}:{WEBHOOKS[0]} become plain Azure settings; give it in plain text"
        for path in _encrypted_paths(section, WEBHOOKS[0])
        if path not in inside
    ]
    return problems


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


def _cloud(value: str | None, errors: list[str]) -> str:
    """The cloud `azure-native:environment` names, as the provider reads it (public when unset)."""
    name = CLOUD_ALIASES.get((value or "public").strip().lower(), (value or "public").strip().lower())
    if name not in CLOUDS:
        errors.append(f"azure-native:environment: {shown(value)} is not an Azure cloud; one of {', '.join(CLOUDS)}")
        return "public"
    return name


def config_from_engine(
    values: dict[str, str], secret_keys: set[str], stack: str, today: dt.date | None = None
) -> ResolvedStack:
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
            # No value. For a key without a value of its own (Pulumi.yaml declares `default: ""`: a declared key
            # needs a default to be optional) that is its default. Any other key gets its typed default from
            # Pulumi.yaml ({}, [], false, "llama") when it is left out: "" means the key is there, empty.
            if alias in FIELDS and _has_value(alias):
                remove = "" if FIELDS[alias].is_required() else ", or remove the line"
                errors.append(f"{full}: has no value; give {_expected(alias)}{remove}")
            continue
        if text == ENCRYPTED and alias == WEBHOOKS[0]:
            errors.append(_whole_section_encrypted(full))
            continue
        if text == ENCRYPTED:
            notes.append(f"{full}: encrypted (secure:), so not checked offline: its value is checked at `pulumi up`")
            continue
        raw[alias] = _decode(alias, text)
        if alias == WEBHOOKS[0]:
            errors.extend(_webhook_problems(raw[alias], full in secret_keys))
        if ENCRYPTED in _leaves(raw[alias]):
            notes.append(f"{full}: encrypted values (secure:) are not checked offline: they are checked at `pulumi up`")
    location, region = values.get("azure-native:location"), raw.get("region")
    if location and isinstance(region, str) and regions.normalize_region(location) != regions.normalize_region(region):
        errors.append(
            f"azure-native:location: {location!r} but {NAMESPACE}:region is {region!r}: "
            "set both to the same region (every resource here is placed in the stack's region)"
        )
    given = frozenset(k.partition(":")[2] for k in values if k.startswith(f"{NAMESPACE}:"))
    cloud = _cloud(values.get("azure-native:environment"), errors)
    try:
        stack_config = parse_stack_config(raw, stack, today, given, f"{NAMESPACE}:tags" in secret_keys, cloud)
    except ConfigError as exc:
        problems = errors + ([] if errors and isinstance(exc, _Unread) else exc.problems)
        raise ConfigError(_report(stack, problems), problems) from None
    if errors:
        raise ConfigError(_report(stack, errors), errors)
    return ResolvedStack(
        stack_config.config,
        stack_config.deployments,
        stack_config.environment,
        stack_config.tags_secret,
        (*notes, *stack_config.warnings),
        cloud,
    )
