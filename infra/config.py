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


def _model_version(value: Any) -> int:
    # A registry version is a positive integer; YAML gives `24`, a quoted "24" is accepted too.
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise ValueError(f"{value!r} is not a model version; use the number that ends the model id (/versions/N)")
    if int(value) < 1:
        raise ValueError(f"{value!r} is not a model version; versions start at 1")
    return int(value)


ModelVersion = Annotated[int, BeforeValidator(_model_version)]
Switch = Literal["Enabled", "Disabled"]

# Keys that only make sense for one kind; given for the other, they are a mistake to report.
SERVERLESS_ONLY = ("content_safety",)
MANAGED_ONLY = (
    "model_version",
    "vm_sku",
    "instance_count",
    "endpoint",
    "traffic",
    "request_timeout_seconds",
    "max_concurrent_requests_per_instance",
    "probe_initial_delay_seconds",
    "data_collection",
    "egress_public_network_access",
    "public_network_access",
    "auth_mode",
)


class Deployment(_Section):
    """One entry of `llama-on-azure:deployments`."""

    name: EndpointName
    """Serverless: the endpoint's name. Managed: the deployment's name (and the endpoint's, unless `endpoint`)."""
    kind: Literal["serverless", "managed"]
    model: ModelName
    content_safety: bool | None = None
    """Serverless only; None means the default, on."""

    # Managed compute.
    model_version: ModelVersion | None = None
    vm_sku: str | None = None
    instance_count: int = 1
    endpoint: EndpointName | None = None
    """A shared online endpoint; deployments naming the same one share its URI and keys."""
    traffic: int | None = Field(default=None, ge=0, le=100)
    request_timeout_seconds: int = Field(default=catalog.MAX_REQUEST_TIMEOUT_SECONDS, ge=1, le=180)
    max_concurrent_requests_per_instance: int = Field(default=1, ge=1, le=1000)
    probe_initial_delay_seconds: int = Field(default=600, ge=10, le=3600)
    data_collection: bool = False
    egress_public_network_access: Switch = "Enabled"
    public_network_access: Switch = "Enabled"
    auth_mode: Literal["Key", "AMLToken", "AADToken"] = "Key"

    @property
    def content_safety_enabled(self) -> bool:
        return self.content_safety is not False

    @property
    def endpoint_name(self) -> str:
        return self.endpoint or self.name


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


GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PrincipalId = Annotated[
    str,
    AfterValidator(
        _matches(
            GUID, "an Entra object id, a GUID like 00000000-0000-0000-0000-000000000000 (az ad user show --id ...)"
        )
    ),
]


class Principal(_Section):
    """A principal given as `{id, type}`; a bare object id means a user."""

    id: PrincipalId
    type: Literal["User", "Group", "ServicePrincipal"] = "User"


def _principal(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


Principals = list[Annotated[Principal, BeforeValidator(_principal)]]


class Access(_Section):
    """`llama-on-azure:access`: the how-to's custom deployer role and who gets which role."""

    deployer_role: bool = False
    deployers: Principals = Field(default_factory=list)
    """Get the custom deployer role at the subscription, resource group and project."""
    developers: Principals = Field(default_factory=list)
    """Get the built-in Azure AI Developer role on the project."""

    @property
    def enabled(self) -> bool:
        return self.deployer_role or bool(self.developers)


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
    access: Access = Field(default_factory=Access)
    protect: bool = False
    serverless_regions: list[Region] = Field(
        default_factory=lambda: list(catalog.DEFAULT_SERVERLESS_REGIONS), min_length=1
    )
    name_suffix: (
        Annotated[str, AfterValidator(_matches(re.compile(r"^[a-z0-9]{6}$"), "6 lowercase letters or digits"))] | None
    ) = None
    """Overrides the hash in globally unique names (e.g. after a destroy left a key vault soft-deleted)."""

    def managed_endpoints(self) -> dict[str, list[tuple[int, Deployment]]]:
        """Online endpoint name -> its managed deployments (with their index in `deployments`)."""
        groups: dict[str, list[tuple[int, Deployment]]] = {}
        for i, d in enumerate(self.deployments):
            if d.kind == "managed":
                groups.setdefault(d.endpoint_name, []).append((i, d))
        return groups

    def traffic(self, endpoint: str) -> dict[str, int]:
        """The split of one online endpoint: a lone deployment gets 100%, unset shares 0%."""
        members = [d for _, d in self.managed_endpoints()[endpoint]]
        if len(members) == 1 and members[0].traffic is None:
            return {members[0].name: 100}
        return {d.name: d.traffic or 0 for d in members}

    def managed_vms(self) -> list[tuple[Deployment, catalog.VmSku]]:
        """Each managed deployment with its VM SKU (validated configs only name catalog SKUs)."""
        return [(d, catalog.VM_SKUS[d.vm_sku]) for d in self.deployments if d.kind == "managed" and d.vm_sku]

    def quota(self) -> dict[str, int]:
        """vCPUs per VM quota family that the managed deployments need in the region (with the upgrade reserve)."""
        need: dict[str, int] = {}
        for d, sku in self.managed_vms():
            need[sku.quota_family] = need.get(sku.quota_family, 0) + sku.quota_vcpus(d.instance_count)
        return need


def _managed_errors(key: str, d: Deployment) -> list[str]:
    """VM SKU, GPU memory, instance count and version of one managed deployment."""
    model = catalog.MODELS[d.model]
    gpu_skus = [s.name for s in catalog.VM_SKUS.values() if s.gpus]
    errors: list[str] = []
    sku = catalog.VM_SKUS.get(d.vm_sku or "")
    if d.vm_sku is None:
        errors.append(f"{key}.vmSku: required for kind 'managed'; GPU SKUs: {', '.join(gpu_skus)}")
    elif sku is None:
        errors.append(f"{key}.vmSku: {d.vm_sku!r} is not in the VM catalog; GPU SKUs: {', '.join(gpu_skus)}")
    elif not sku.gpus:
        errors.append(f"{key}.vmSku: {d.vm_sku!r} has no GPU, a Llama model needs one; GPU SKUs: {', '.join(gpu_skus)}")
    elif model.min_gpu_memory_gb > sku.total_gpu_memory_gb:
        fitting = [
            s.name for s in catalog.VM_SKUS.values() if s.gpus and s.total_gpu_memory_gb >= model.min_gpu_memory_gb
        ]
        errors.append(
            f"{key}.vmSku: {d.model} needs about {model.min_gpu_memory_gb} GB of GPU memory and {d.vm_sku!r} has "
            f"{sku.total_gpu_memory_gb} GB ({sku.gpus}x {sku.gpu} {sku.gpu_memory_gb} GB); "
            f"SKUs that fit: {', '.join(fitting) or 'none in the catalog'}"
        )
    if not 1 <= d.instance_count <= catalog.MAX_INSTANCES_PER_DEPLOYMENT:
        errors.append(
            f"{key}.instanceCount: {d.instance_count} is not allowed; 1 to {catalog.MAX_INSTANCES_PER_DEPLOYMENT} "
            "instances per deployment"
        )
    if d.model_version is None and model.pinned_version is None:
        errors.append(
            f"{key}.modelVersion: required for {d.model}, which has no pinned version in the catalog; "
            "use the number that ends the model card's Model ID (/versions/N)"
        )
    return errors


def _traffic_errors(config: StackConfig) -> list[str]:
    """Per endpoint: traffic sums to 100, and the endpoint-level settings agree."""
    errors: list[str] = []
    for endpoint, members in config.managed_endpoints().items():
        where = ", ".join(f"deployments[{i}]" for i, _ in members)
        key = f"{NAMESPACE}:deployments[{members[0][0]}]"
        if len(members) > catalog.MAX_DEPLOYMENTS_PER_ENDPOINT:
            errors.append(f"{key}.endpoint: {endpoint!r} has {len(members)} deployments; at most 20 per endpoint")
        given = [d.traffic for _, d in members if d.traffic is not None]
        if len(members) > 1 and not given:
            errors.append(
                f"{key}.traffic: endpoint {endpoint!r} has {len(members)} deployments ({where}); "
                "set traffic on them, percentages that sum to 100"
            )
        elif given and sum(given) != 100:
            shares = ", ".join(f"{d.name}={d.traffic or 0}" for _, d in members)
            errors.append(
                f"{key}.traffic: endpoint {endpoint!r} traffic sums to {sum(given)} ({shares}); it must sum to 100"
            )
        for field in ("auth_mode", "public_network_access"):
            values = {getattr(d, field) for _, d in members}
            if len(values) > 1:
                errors.append(
                    f"{key}.{to_camel(field)}: deployments of endpoint {endpoint!r} disagree "
                    f"({', '.join(sorted(values))}); it is a setting of the endpoint, give them the same value"
                )
        apis = {catalog.MODELS[d.model].api for _, d in members}
        if len(apis) > 1:
            errors.append(
                f"{key}.endpoint: endpoint {endpoint!r} would mix chat and completion models behind one URL; "
                "give them separate endpoints"
            )
    return errors


def _access_errors(access: Access) -> list[str]:
    key = f"{NAMESPACE}:access"
    errors = []
    if access.deployers and not access.deployer_role:
        errors.append(f"{key}.deployers: deployers get the custom deployer role; set {key}.deployerRole: true")
    for field in ("deployers", "developers"):
        seen: set[str] = set()
        for i, principal in enumerate(getattr(access, field)):
            if principal.id.lower() in seen:
                errors.append(f"{key}.{field}[{i}]: {principal.id!r} is listed twice")
            seen.add(principal.id.lower())
    return errors


def _rule_errors(config: StackConfig) -> list[str]:
    """Rules across keys, each reported at the key a user has to change."""
    key = f"{NAMESPACE}:deployments"
    errors: list[str] = []
    seen_names: set[str] = set()
    seen_models: set[str] = set()
    for i, d in enumerate(config.deployments):
        model = catalog.MODELS[d.model]
        wrong_kind = MANAGED_ONLY if d.kind == "serverless" else SERVERLESS_ONLY
        for field in wrong_kind:
            if field in d.model_fields_set:
                other = "managed" if d.kind == "serverless" else "serverless"
                errors.append(f"{key}[{i}].{to_camel(field)}: only for kind '{other}', this deployment is '{d.kind}'")
        if d.kind == "managed":
            errors += _managed_errors(f"{key}[{i}]", d)
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
    errors += _traffic_errors(config)
    errors += _access_errors(config.access)
    serverless = [d.name for d in config.deployments if d.kind == "serverless"]
    managed_endpoints = {n.lower() for n in config.managed_endpoints()}
    for i, d in enumerate(config.deployments):
        if d.kind == "serverless" and d.name.lower() in managed_endpoints:
            errors.append(f"{key}[{i}].name: {d.name!r} is also the name of a managed online endpoint; names are URLs")
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
    # From here on `environment` is always set: the program and the tools rely on it.
    return config


def namespace_keys(values: dict[str, str], namespace: str) -> dict[str, str]:
    """`namespace:key` entries of the engine's config, prefix removed."""
    prefix = f"{namespace}:"
    return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}


def config_from_values(values: dict[str, str], stack: str) -> StackConfig:
    """The stack's config from the values the engine hands over (all namespaces); raise ConfigError."""
    return parse_stack_config(decode_config_values(namespace_keys(values, NAMESPACE)), stack)


def decode_config_values(values: dict[str, str]) -> dict[str, Any]:
    """The engine hands every config value over as a string; structured ones are JSON."""
    decoded: dict[str, Any] = {}
    for key, text in values.items():
        try:
            decoded[key] = json.loads(text)
        except (TypeError, ValueError):
            decoded[key] = text
    return decoded
