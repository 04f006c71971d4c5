"""The stack configuration: a validated model of the `llama-on-azure:*` keys of `Pulumi.<stack>.yaml`."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from components import catalog

NAMESPACE = "llama-on-azure"

# Endpoint names become part of the URL and are unique per region: 3-32 characters, a letter
# first, letters/digits/dashes, no dash at the end (serverless [REST] and online endpoint [DOCS] rules
# intersected, so one name works for either kind).
ENDPOINT_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$")
ENVIRONMENT = re.compile(r"^[a-z][a-z0-9]{0,11}$")
PREFIX = re.compile(r"^[a-z][a-z0-9]{1,9}$")
RESOURCE_GROUP = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")


class ConfigError(Exception):
    """A stack configuration mistake, worded for the person who edits `Pulumi.<stack>.yaml`."""


def _region(value: Any) -> str:
    if not isinstance(value, str) or (name := catalog.normalize_region(value)) is None:
        raise ValueError(
            f"{value!r} is not an Azure region; use a name like eastus2 or swedencentral "
            '(display names such as "East US 2" are accepted)'
        )
    return name


def _matches(pattern: re.Pattern[str], rule: str):
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not allowed: {rule}")
        return value

    return check


def _model(value: str) -> str:
    if value not in catalog.MODELS:
        raise ValueError(f"{value!r} is not in the Llama catalog; allowed: {', '.join(catalog.MODELS)}")
    return value


Region = Annotated[str, BeforeValidator(_region)]
EndpointName = Annotated[
    str,
    AfterValidator(
        _matches(
            ENDPOINT_NAME,
            "3-32 characters, a letter first, then letters, digits or dashes, not ending in a dash",
        )
    ),
]
ModelName = Annotated[str, AfterValidator(_model)]


class _Section(BaseModel):
    # camelCase keys in YAML, snake_case in Python; a typo is an error, never silently ignored.
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True, strict=True)


class Deployment(_Section):
    """One entry of `llama-on-azure:deployments`."""

    name: EndpointName
    kind: Literal["serverless", "managed"]
    model: ModelName
    content_safety: bool | None = None
    """Serverless only; None means the default, on."""

    @property
    def content_safety_enabled(self) -> bool:
        return self.content_safety is not False


class Hub(_Section):
    """`llama-on-azure:hub`: network settings and optional parts of the hub."""

    public_network_access: Literal["Enabled", "Disabled"] = "Enabled"
    isolation_mode: Literal["Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"] = "AllowInternetOutbound"
    container_registry: bool = False
    storage_sku: Literal["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS"] = "Standard_LRS"
    log_retention_days: int = Field(default=30, ge=30, le=730)
    resource_group: (
        Annotated[str, AfterValidator(_matches(RESOURCE_GROUP, "1-90 letters, digits, ._-() and not ending in '.'"))]
        | None
    ) = None
    """An existing resource group to deploy into; by default the stack creates `rg-<prefix>-<env>`."""


class StackConfig(_Section):
    """Every `llama-on-azure:*` key of a stack."""

    region: Region
    deployments: list[Deployment] = Field(min_length=1)
    environment: (
        Annotated[str, AfterValidator(_matches(ENVIRONMENT, "1-12 lowercase letters and digits, a letter first"))]
        | None
    ) = None
    """Defaults to the stack name."""
    prefix: Annotated[str, AfterValidator(_matches(PREFIX, "2-10 lowercase letters and digits, a letter first"))] = (
        "llama"
    )
    tags: dict[str, str] = Field(default_factory=dict)
    hub: Hub = Field(default_factory=Hub)
    protect: bool = False
    serverless_regions: list[Region] = Field(
        default_factory=lambda: list(catalog.DEFAULT_SERVERLESS_REGIONS), min_length=1
    )
    name_suffix: (
        Annotated[str, AfterValidator(_matches(re.compile(r"^[a-z0-9]{6}$"), "6 lowercase letters or digits"))] | None
    ) = None
    """Overrides the hash in globally unique names (e.g. after a destroy left a key vault soft-deleted)."""


def _rule_errors(config: StackConfig) -> list[str]:
    """Rules across keys, each reported at the key a user has to change."""
    key = f"{NAMESPACE}:deployments"
    errors: list[str] = []
    seen_names: set[str] = set()
    seen_models: set[str] = set()
    for i, d in enumerate(config.deployments):
        model = catalog.MODELS[d.model]
        if d.kind == "managed":
            errors.append(
                f"{key}[{i}].kind: 'managed' (managed compute: VM SKU and instance count) is not available yet; "
                "use 'serverless' for the pay-as-you-go Llama 3 models"
            )
        elif not model.serverless:
            offered = [m.name for m in catalog.MODELS.values() if m.serverless]
            errors.append(
                f"{key}[{i}].model: {d.model!r} is not offered as a serverless API (pay-as-you-go); "
                f"serverless models: {', '.join(offered)}"
            )
        if d.name.lower() in seen_names:
            errors.append(f"{key}[{i}].name: {d.name!r} is used twice; endpoint names must be unique")
        seen_names.add(d.name.lower())
        if d.kind == "serverless":
            if d.model in seen_models:
                errors.append(
                    f"{key}[{i}].model: {d.model!r} already has a serverless deployment; "
                    "Azure allows one serverless deployment per model per project"
                )
            seen_models.add(d.model)
    serverless = [d.name for d in config.deployments if d.kind == "serverless"]
    if serverless and config.region not in config.serverless_regions:
        errors.append(
            f"{NAMESPACE}:region: {config.region!r} does not offer pay-as-you-go Llama to the serverless "
            f"deployments ({', '.join(serverless)}); allowed: {', '.join(config.serverless_regions)} "
            f"(widen with {NAMESPACE}:serverlessRegions where Microsoft offers more)"
        )
    return errors


def _key_for(loc: tuple[Any, ...]) -> str:
    """('deployments', 0, 'model') -> 'llama-on-azure:deployments[0].model'."""
    key = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def _describe(error: dict[str, Any]) -> str:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    key = _key_for(loc)
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return f"{key}: unknown key (a typo?)"
    if kind == "missing":
        return f"{key}: required key is missing"
    if kind == "literal_error":
        return f"{key}: {value!r} is not allowed; {error['msg'].removeprefix('Input should be ')}"
    if kind == "too_short":
        return f"{key}: is empty; list at least one entry"
    if kind in ("bool_type", "bool_parsing"):
        return f"{key}: {value!r} is not allowed; true or false"
    if kind in ("int_type", "int_parsing", "string_type"):
        return f"{key}: {value!r} is not allowed; {error['msg'].removeprefix('Input should be ')}"
    if kind == "value_error":
        return f"{key}: {error['msg'].removeprefix('Value error, ')}"
    return f"{key}: {value!r}: {error['msg']}"


def _report(stack: str, lines: list[str]) -> str:
    return f"stack {stack!r} has an invalid configuration:\n  " + "\n  ".join(lines)


def parse_stack_config(raw: dict[str, Any], stack: str) -> StackConfig:
    """Validate the namespace's keys (without the `llama-on-azure:` prefix); raise ConfigError."""
    if "deployments" not in raw:
        raise ConfigError(
            f"{NAMESPACE}:deployments is missing: list one or more deployments "
            "(name, kind: serverless, model), see README 'Stack configuration'"
        )
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [_describe(e) for e in exc.errors(include_url=False)]
        raise ConfigError(_report(stack, lines)) from None
    if lines := _rule_errors(config):
        raise ConfigError(_report(stack, lines))
    if config.environment is None:
        if not ENVIRONMENT.fullmatch(stack):
            raise ConfigError(
                f"{NAMESPACE}:environment is not set and the stack name {stack!r} cannot stand in for it "
                "(1-12 lowercase letters and digits, a letter first): set it"
            )
        config = config.model_copy(update={"environment": stack})
    return config


def decode_config_values(values: dict[str, str]) -> dict[str, Any]:
    """The engine hands every config value over as a string; structured ones are JSON."""
    decoded: dict[str, Any] = {}
    for key, text in values.items():
        try:
            decoded[key] = json.loads(text)
        except (TypeError, ValueError):
            decoded[key] = text
    return decoded
