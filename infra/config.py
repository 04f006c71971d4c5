"""The stack configuration: the `llama-on-azure:*` keys of `Pulumi.<stack>.yaml`, one model per deployment kind."""

import datetime as dt
import difflib
import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.alias_generators import to_camel

from components import catalog, naming
from infra.errors import UserError

NAMESPACE = "llama-on-azure"
# Namespaces a stack of this project may use: ours, the Azure provider's, and Pulumi's own (pulumi:tags...).
KNOWN_NAMESPACES = (NAMESPACE, "azure-native", "pulumi")
ENCRYPTED = "[encrypted]"
"""What a runner that cannot decrypt (the offline plan) hands the program for a `secure:` value."""
SECRET_KEYS = ("tags",)
"""Keys whose value may be encrypted: the rest become names, regions and ids that are stored in plain text."""


class ConfigError(UserError):
    """A stack configuration mistake, worded for the person who edits `Pulumi.<stack>.yaml`."""


def _region(value: Any) -> str:
    if not isinstance(value, str) or (name := catalog.normalize_region(value)) is None:
        raise ValueError(
            f"{value!r} is not an Azure region; use a name like eastus2 or swedencentral "
            '(display names such as "East US 2" are accepted)'
        )
    return name


def _matches(pattern: str, rule: str):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not allowed: {rule}")
        return value

    return check


def _text(pattern: str, rule: str) -> Any:
    return Annotated[str, AfterValidator(_matches(pattern, rule))]


def _registry_version(value: Any) -> int:
    # A registry version is a positive integer (the N of /versions/N); YAML gives 27, a quoted "27" is fine too.
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,6}", text) or int(text) < 1:
        raise ValueError(f"{value!r} is not a model version; use the number that ends the model id (/versions/N)")
    return int(text)


def _model_version(value: Any) -> str:
    # Foundry model versions are strings ("1", "2024-11-20"); an unquoted YAML 1 arrives as a number.
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.-]{0,63}", text):
        raise ValueError(f'{value!r} is not a model version; use the version Azure lists, like "1"')
    return text


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address or CIDR range like 203.0.113.0/24") from None
    return value


Region = Annotated[str, BeforeValidator(_region)]
EndpointName = _text(
    r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,30}[a-zA-Z0-9]",
    "3-32 characters, a letter first, then letters, digits or single dashes, not ending in a dash",
)
ModelName = _text(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", "a model name as Azure spells it, like Llama-3.3-70B-Instruct")
PolicyName = _text(r"[a-zA-Z0-9][a-zA-Z0-9_-]{1,63}", "2-64 letters, digits, dashes or underscores")
Environment = _text(naming.ENVIRONMENT.pattern, "1-12 lowercase letters and digits, a letter first")
Prefix = _text(r"[a-z][a-z0-9]{1,9}", "2-10 lowercase letters and digits, a letter first")
NameSuffix = _text(r"[a-z0-9]{6}", "6 lowercase letters or digits")
ResourceGroupName = _text(naming.RESOURCE_GROUP.pattern, "1-90 letters, digits, ._-() and not ending in '.'")
PrincipalId = _text(
    r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}",
    "an Entra object id, a GUID like 00000000-0000-0000-0000-000000000000 (az ad user show --id ...)",
)
SubnetId = _text(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+",
    "a subnet's resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>)",
)
RegistryVersion = Annotated[int, BeforeValidator(_registry_version)]
ModelVersion = Annotated[str, BeforeValidator(_model_version)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Switch = Literal["Enabled", "Disabled"]
Severity = Literal["Low", "Medium", "High"]
Count = Annotated[int, Field(ge=1)]


class _Section(BaseModel):
    # camelCase keys in YAML, snake_case in Python; a typo is an error, never silently ignored.
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True, strict=True)


class Hub(_Section):
    """`llama-on-azure:hub`: the hub's network, its optional parts and what survives a destroy."""

    public_network_access: Switch = "Enabled"
    isolation_mode: Literal["Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"] = "AllowInternetOutbound"
    container_registry: bool = False
    storage_sku: Literal["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS"] = "Standard_LRS"
    log_retention_days: int = Field(default=30, ge=30, le=730)
    key_vault_purge_protection: bool = True
    """Off only for stacks destroyed and re-created: with it on, a deleted vault blocks its name for its retention."""
    key_vault_retention_days: int = Field(default=90, ge=7, le=90)
    resource_group: ResourceGroupName | None = None
    """An existing resource group to deploy into; by default the stack creates `rg-<prefix>-<env>`."""


class NetworkAcls(_Section):
    """Network rules of the Foundry resource."""

    default_action: Literal["Allow", "Deny"] = "Deny"
    ip_rules: list[Cidr] = Field(default_factory=list)
    virtual_network_rules: list[SubnetId] = Field(default_factory=list)


class Foundry(_Section):
    """`llama-on-azure:foundry`: the Foundry resource (Cognitive Services account) behind `kind: foundry`."""

    local_auth: bool = False
    """Key auth; off by default, so callers use Entra ID and roles apply (a key bypasses RBAC)."""
    public_network_access: Switch = "Enabled"
    network_acls: NetworkAcls | None = None


class ContentFilter(_Section):
    """A named content filter policy (`llama-on-azure:contentFilters`), applied to prompts and completions."""

    base_policy: Literal["Microsoft.DefaultV2", "Microsoft.Default"] = "Microsoft.DefaultV2"
    hate: Severity = "Medium"
    sexual: Severity = "Medium"
    violence: Severity = "Medium"
    self_harm: Severity = "Medium"
    """Each category blocks content at this severity and above: Low is the strictest, High the weakest."""
    blocking: bool = True
    jailbreak: bool = True
    """Prompt Shields against jailbreak attempts in prompts."""
    indirect_attack: bool = False
    protected_material_text: bool = True
    protected_material_code: bool = False


class Principal(_Section):
    """A principal given as `{id, type}`; a bare object id means a user."""

    id: PrincipalId
    type: Literal["User", "Group", "ServicePrincipal"] = "User"


def _principal(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


Principals = list[Annotated[Principal, BeforeValidator(_principal)]]


class Access(_Section):
    """`llama-on-azure:access`: the custom deployer role and who gets which role."""

    deployer_role: bool = False
    deployers: Principals = Field(default_factory=list)
    """Get the custom deployer role at the subscription, resource group and project."""
    developers: Principals = Field(default_factory=list)
    """Get the built-in roles that let them call the deployments (Azure AI Developer, Cognitive Services User)."""

    @property
    def enabled(self) -> bool:
        return self.deployer_role or bool(self.developers)


class DeclaredModel(_Section):
    """A model the catalog snapshot does not know yet (`llama-on-azure:models`): only preflight can confirm it."""

    name: ModelName
    api: Literal["chat", "completions"]
    version: ModelVersion | None = None
    """Registry version (managed compute, a number) or model version (Foundry)."""
    parameters_b: float | None = Field(default=None, gt=0, strict=False)
    """Total parameters in billions: sizes the GPU memory check where no allow-list is given."""
    regions: list[Region] | None = None
    """Serverless: the regions that offer it; unchecked when left out."""
    marketplace: bool = True
    """Bought through Azure Marketplace (serverless subscription; Foundry partner model)."""
    allowed_vm_skus: list[str] | None = None
    """Managed compute: the model card's `inference_compute_allow_list`."""
    deployment_types: list[str] = Field(default_factory=lambda: [catalog.GLOBAL_STANDARD], min_length=1)
    format: str = catalog.META_FORMAT

    def entry(self) -> catalog.LlamaModel:
        """The model as a catalog entry with every offer, each generally available and unchecked."""
        ga = catalog.Lifecycle(source="declared")
        number = _registry_version(self.version) if self.version and self.version.isdigit() else None
        return catalog.LlamaModel(
            self.name,
            catalog.Api(self.api),
            self.parameters_b or 0,
            serverless=catalog.ServerlessOffer(
                frozenset(self.regions) if self.regions else None, self.marketplace, ga, "declared"
            ),
            managed=catalog.ManagedOffer(
                (number,) if number else (),
                tuple(self.allowed_vm_skus) if self.allowed_vm_skus else None,
                ga,
                "declared",
            ),
            foundry=catalog.FoundryOffer(
                self.format,
                (self.version,) if self.version else (),
                tuple(self.deployment_types),
                not self.marketplace,
                ga,
                "declared",
            ),
            declared=True,
        )


class _Deployment(_Section):
    name: EndpointName
    """The key of `endpoints` in the exports; the Azure name adds the stack's suffix."""
    model: ModelName
    _llama: catalog.LlamaModel | None = PrivateAttr(default=None)

    @property
    def llama(self) -> catalog.LlamaModel:
        """The catalog (or declared) entry of the model, resolved once when the stack was validated."""
        assert self._llama is not None, "resolved by StackConfig"
        return self._llama


class ServerlessDeployment(_Deployment):
    """`kind: serverless`: a pay-as-you-go serverless API on the hub's project."""

    kind: Literal["serverless"]
    content_safety: bool = True
    """Azure AI Content Safety on prompts and completions."""


class ManagedDeployment(_Deployment):
    """`kind: managed`: a managed online deployment on GPU VMs the subscription pays for."""

    kind: Literal["managed"]
    vm_sku: str
    model_version: RegistryVersion | None = None
    instance_count: int = Field(default=1, ge=1, le=catalog.LIMITS.max_instances_per_deployment)
    endpoint: EndpointName | None = None
    """A shared online endpoint; deployments naming the same one share its URI and keys."""
    traffic: int | None = Field(default=None, ge=0, le=100)
    request_timeout_seconds: int = Field(
        default=catalog.LIMITS.max_request_timeout_seconds, ge=1, le=catalog.LIMITS.max_request_timeout_seconds
    )
    max_concurrent_requests_per_instance: int = Field(default=1, ge=1, le=1000)
    probe_initial_delay_seconds: int = Field(default=600, ge=10, le=3600)
    data_collection: bool = False
    egress_public_network_access: Switch = "Enabled"
    public_network_access: Switch = "Enabled"
    auth_mode: Literal["Key", "AMLToken", "AADToken"] = "Key"

    @property
    def endpoint_name(self) -> str:
        return self.endpoint or self.name

    @property
    def version(self) -> int:
        """The registry version deployed: the stack's pin, else the latest the catalog knows."""
        return self.model_version or self.llama.managed.latest  # type: ignore[union-attr,return-value]

    @property
    def sku(self) -> catalog.VmSku:
        return catalog.VM_SKUS[self.vm_sku]


class FoundryDeployment(_Deployment):
    """`kind: foundry`: a model deployment on the stack's Foundry resource."""

    kind: Literal["foundry"]
    model_version: ModelVersion | None = None
    sku: str = catalog.GLOBAL_STANDARD
    """The deployment type."""
    capacity: int = Field(default=1, ge=catalog.LIMITS.foundry_capacity[0], le=catalog.LIMITS.foundry_capacity[1])
    content_filter: str = "default"
    """`default` (Microsoft.DefaultV2) or a policy of `llama-on-azure:contentFilters`."""
    version_upgrade: Literal["NoAutoUpgrade", "OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired"] = (
        "NoAutoUpgrade"
    )

    @property
    def version(self) -> str:
        return self.model_version or self.llama.foundry.latest  # type: ignore[union-attr]


Deployment = Annotated[ServerlessDeployment | ManagedDeployment | FoundryDeployment, Field(discriminator="kind")]
KINDS: dict[str, type[_Deployment]] = {
    "serverless": ServerlessDeployment,
    "managed": ManagedDeployment,
    "foundry": FoundryDeployment,
}
DEFAULT_CONTENT_FILTER = "default"
RESERVED_TAGS = ("environment", "managed-by", "project")


class StackConfig(_Section):
    """Every `llama-on-azure:*` key of a stack, validated, with the values derived from it."""

    region: Region
    deployments: list[Deployment] = Field(min_length=1)
    environment: Environment | None = None
    """Defaults to one derived from the stack name."""
    prefix: Prefix = "llama"
    tags: dict[str, str] = Field(default_factory=dict)
    hub: Hub = Field(default_factory=Hub)
    foundry: Foundry = Field(default_factory=Foundry)
    content_filters: dict[PolicyName, ContentFilter] = Field(default_factory=dict)
    access: Access = Field(default_factory=Access)
    protect: bool = False
    name_suffix: NameSuffix | None = None
    """Replaces the hash in every suffixed name (e.g. after a destroy left a key vault soft-deleted)."""
    models: list[DeclaredModel] = Field(default_factory=list)
    _tags_secret: bool = PrivateAttr(default=False)

    @property
    def tags_secret(self) -> bool:
        """The tags were encrypted in the stack file: every resource gets them as a secret."""
        return self._tags_secret

    def model_post_init(self, _context: Any) -> None:
        known = {**catalog.MODELS, **{m.name: m.entry() for m in self.models}}
        for d in self.deployments:
            d._llama = known.get(d.model)

    # Deployments by kind.
    @property
    def serverless(self) -> list[ServerlessDeployment]:
        return [d for d in self.deployments if isinstance(d, ServerlessDeployment)]

    @property
    def managed(self) -> list[ManagedDeployment]:
        return [d for d in self.deployments if isinstance(d, ManagedDeployment)]

    @property
    def foundry_deployments(self) -> list[FoundryDeployment]:
        return [d for d in self.deployments if isinstance(d, FoundryDeployment)]

    @property
    def needs_hub(self) -> bool:
        """Serverless and managed deployments live in a hub's project; a foundry-only stack has no hub."""
        return bool(self.serverless or self.managed)

    @property
    def env(self) -> str:
        assert self.environment is not None, "set by parse_stack_config"
        return self.environment

    @property
    def resource_group(self) -> str:
        return self.hub.resource_group or naming.resource_group(self.prefix, self.env)

    @property
    def tag_set(self) -> dict[str, str]:
        """The stack's tags on every resource: the ones always set first, the user's beside them."""
        return {"environment": self.env, "managed-by": "pulumi", "project": NAMESPACE, **self.tags}

    def suffix_for(self, subscription_id: str) -> str:
        """The stack's stable suffix: `nameSuffix`, else a hash of the subscription, group, prefix and environment."""
        return self.name_suffix or naming.unique_suffix(subscription_id, self.resource_group, self.prefix, self.env)

    def names(self, suffix: str) -> naming.StackNames:
        """Every Azure name of the stack, for one suffix."""
        return naming.stack_names(
            self.prefix,
            self.env,
            suffix,
            self.resource_group,
            [d.name for d in self.serverless],
            list(self.managed_endpoints()),
        )

    def managed_endpoints(self) -> dict[str, list[ManagedDeployment]]:
        """Online endpoint name -> its managed deployments."""
        groups: dict[str, list[ManagedDeployment]] = {}
        for d in self.managed:
            groups.setdefault(d.endpoint_name, []).append(d)
        return groups

    def traffic(self, endpoint: str) -> dict[str, int]:
        """The split of one online endpoint: a lone deployment gets 100%, unset shares 0%."""
        members = self.managed_endpoints()[endpoint]
        if len(members) == 1 and members[0].traffic is None:
            return {members[0].name: 100}
        return {d.name: d.traffic or 0 for d in members}

    def content_filter(self, name: str) -> ContentFilter | None:
        """The named policy a foundry deployment refers to; None for Microsoft's default."""
        return None if name == DEFAULT_CONTENT_FILTER else self.content_filters[name]

    def quota(self) -> dict[str, int]:
        """vCPUs per VM quota family that the managed deployments need in the region (with the upgrade reserve)."""
        return catalog.vcpu_quota([(d.sku, d.instance_count) for d in self.managed])


@dataclass(frozen=True)
class Parsed:
    """A validated stack and what the plan must say about it without refusing it."""

    config: StackConfig
    warnings: list[str]


# ---------------------------------------------------------------------------------------------
# Messages: pydantic errors and cross-key rules, each at the key a user has to change.


def key_for(*loc: Any) -> str:
    """('deployments', 0, 'model') -> 'llama-on-azure:deployments[0].model'."""
    key = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


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
        return f"{key}.kind: {error.get('ctx', {}).get('tag')!r} is not allowed; one of {allowed}"
    if kind == "too_short":
        return f"{key}: is empty; list at least one entry"
    if kind in ("bool_type", "bool_parsing"):
        return f"{key}: {value!r} is not allowed; true or false"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(error.get("ctx", {}).values()), "")
        word = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most"}
        return f"{key}: {value!r} is not allowed; {word.get(kind, 'less than')} {bound}"
    if kind == "value_error":
        return f"{key}: {msg.removeprefix('Value error, ')}"
    if kind in ("dict_type", "list_type", "model_type", "model_attributes_type"):
        expected = {"list_type": "a list", "model_type": "a map of keys", "model_attributes_type": "a map of keys"}
        return f"{key}: {value!r} is not allowed; expected {expected.get(kind, 'a map')}"
    return f"{key}: {value!r} is not allowed; {msg.removeprefix('Input should be ')}"


_FIELDS: dict[str, Any] = {f.alias or name: f for name, f in StackConfig.model_fields.items()}
_NAMES = {f.alias or name: name for name, f in StackConfig.model_fields.items()}
_ONE_KEY: dict[str, type[_Section]] = {}
_DEPLOYMENT: TypeAdapter[Any] = TypeAdapter(Deployment)


def _one_key(alias: str) -> type[_Section]:
    """A model of just one top-level key, with the stack model's rules for it (strict, aliases, bounds)."""
    if alias not in _ONE_KEY:
        _ONE_KEY[alias] = create_model(
            f"Key_{alias}", __base__=_Section, **{_NAMES[alias]: (_FIELDS[alias].annotation, _FIELDS[alias])}
        )
    return _ONE_KEY[alias]


def _errors(exc: ValidationError, prefix: tuple[Any, ...]) -> list[str]:
    return [_describe(e, prefix) for e in exc.errors(include_url=False)]


def _validate_parts(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Each key, and each deployment, validated on its own, so that one type error never hides another."""
    parts: dict[str, Any] = {}
    errors: list[str] = []
    for alias, value in raw.items():
        if alias not in _FIELDS:
            errors.append(f"{key_for(alias)}: unknown key (a typo?)")
        elif alias == "deployments" and isinstance(value, list) and value:
            parts[alias] = []
            for i, item in enumerate(value):
                try:
                    parts[alias].append((i, _DEPLOYMENT.validate_python(item)))
                except ValidationError as exc:
                    errors += _errors(exc, (alias, i))
                    if partial := _partial(item):
                        parts.setdefault("_partial", []).append((i, partial))
        else:
            try:
                parts[alias] = getattr(_one_key(alias).model_validate({alias: value}), _NAMES[alias])
            except ValidationError as exc:
                errors += _errors(exc, ())
    errors += [f"{key_for(a)}: required key is missing" for a, f in _FIELDS.items() if f.is_required() and a not in raw]
    return parts, errors


def _partial(item: Any) -> _Deployment | None:
    """A deployment that failed validation, reduced to its kind and model, so that its model is still checked."""
    if not isinstance(item, dict) or item.get("kind") not in KINDS or not isinstance(item.get("model"), str):
        return None
    return KINDS[item["kind"]].model_construct(name=str(item.get("name")), kind=item["kind"], model=item["model"])


@dataclass
class _Check:
    """The rules across keys, over whatever parts validated; errors refuse the stack, warnings are printed."""

    parts: dict[str, Any]
    today: dt.date
    errors: list[str]
    warnings: list[str]

    def __post_init__(self) -> None:
        declared = self.parts.get("models") or []
        self.known = {**catalog.MODELS, **{m.name: m.entry() for m in declared}}
        self.region: str | None = self.parts.get("region")
        # (index in the stack file, deployment) of the deployments that validated.
        self.deployments: list[tuple[int, Any]] = self.parts.get("deployments") or []

    def run(self) -> None:
        self.declared_models()
        for i, d in self.deployments:
            self.deployment(i, d)
        for i, d in self.parts.get("_partial") or []:
            self.deployment(i, d, model_only=True)
        self.unique_names()
        self.endpoints()
        self.hub_network()
        self.tags()
        self.access()

    def declared_models(self) -> None:
        seen: set[str] = set()
        for i, m in enumerate(self.parts.get("models") or []):
            key = key_for("models", i, "name")
            if m.name in catalog.MODELS:
                self.errors.append(
                    f"{key}: {m.name!r} is in the catalog (as of {catalog.AS_OF}); remove the declaration"
                )
            elif m.name.lower() in seen:
                self.errors.append(f"{key}: {m.name!r} is declared twice")
            seen.add(m.name.lower())
            for j, sku in enumerate(m.allowed_vm_skus or []):
                if sku not in catalog.VM_SKUS:
                    self.errors.append(
                        f"{key_for('models', i, 'allowedVmSkus', j)}: {sku!r} is not in the VM catalog; "
                        f"GPU SKUs: {', '.join(catalog.GPU_VM_SKUS)}"
                    )

    def deployment(self, i: int, d: _Deployment, model_only: bool = False) -> None:
        key = key_for("deployments", i)
        llama = self.known.get(d.model)
        if llama is None:
            self.errors.append(
                f"{key}.model: {d.model!r} is not in the Llama catalog (as of {catalog.AS_OF}); "
                f"{_offered(d.kind, self.today)}, or declare it in {NAMESPACE}:models"
            )
            return
        d._llama = llama
        offer = getattr(llama, d.kind)
        if offer is None:
            self.errors.append(
                f"{key}.model: {d.model!r} is not offered as kind {d.kind!r}; {_offered(d.kind, self.today)}"
            )
            return
        if llama.declared:
            self.warnings.append(
                f"{key}.model: {d.model!r} is declared by the stack, not in the catalog as of {catalog.AS_OF}: "
                "only `llama-on-azure preflight` can confirm that Azure offers it"
            )
        if not self.lifecycle(f"{key}.model", d, offer.lifecycle) or model_only:
            return
        {"serverless": self.serverless, "managed": self.managed, "foundry": self.foundry}[d.kind](key, d, offer)

    def lifecycle(self, key: str, d: _Deployment, life: catalog.Lifecycle) -> bool:
        stage = life.stage(self.today)
        since = life.since(stage)
        instead = self.instead(d.kind, life)
        source = catalog.SOURCES[life.source].url if life.source in catalog.SOURCES else life.source
        if stage is catalog.Stage.RETIRED:
            self.errors.append(
                f"{key}: {d.model!r} ({d.kind}) was retired on {since} and Azure answers 404{instead} ({source})"
            )
        elif stage is catalog.Stage.DEPRECATED:
            self.errors.append(
                f"{key}: {d.model!r} ({d.kind}) is deprecated since {since}: Azure refuses new deployments, "
                f"and retires it on {life.retired}{instead} ({source})"
            )
        elif stage is catalog.Stage.LEGACY:
            self.warnings.append(
                f"{key}: {d.model!r} ({d.kind}) is legacy since {since}; it is deprecated on {life.deprecated} "
                f"and retired on {life.retired}{instead}"
            )
        return stage in (catalog.Stage.GENERALLY_AVAILABLE, catalog.Stage.LEGACY)

    def instead(self, kind: str, life: catalog.Lifecycle) -> str:
        """Azure's replacement; where it is gone too, what is offered today."""
        live = []
        for name in life.replacements:
            offer = getattr(catalog.MODELS.get(name), kind, None)
            if offer is not None and offer.lifecycle.stage(self.today) in (
                catalog.Stage.GENERALLY_AVAILABLE,
                catalog.Stage.LEGACY,
            ):
                live.append(name)
        if live:
            return f"; use {' or '.join(live)}"
        named = (
            f"Azure names {' or '.join(life.replacements)}, gone too"
            if life.replacements
            else "Azure names no replacement"
        )
        return f"; {named}; {_offered(kind, self.today)}"

    def serverless(self, key: str, d: ServerlessDeployment, offer: catalog.ServerlessOffer) -> None:
        if offer.regions is None:
            self.warnings.append(f"{key}.model: the regions of {d.model!r} are not known here: preflight checks them")
        elif self.region and self.region not in offer.regions:
            self.errors.append(
                f"{NAMESPACE}:region: {self.region!r} does not offer {d.model!r} as a serverless API "
                f"({key}); offered in: {', '.join(sorted(offer.regions))}"
            )

    def managed(self, key: str, d: ManagedDeployment, offer: catalog.ManagedOffer) -> None:
        sku = catalog.VM_SKUS.get(d.vm_sku)
        allowed = offer.allowed_vm_skus
        gpus = ", ".join(allowed or catalog.GPU_VM_SKUS)
        if sku is None:
            self.errors.append(f"{key}.vmSku: {d.vm_sku!r} is not in the VM catalog; allowed: {gpus}")
        elif not sku.gpus:
            self.errors.append(f"{key}.vmSku: {d.vm_sku!r} has no GPU, a Llama model needs one; allowed: {gpus}")
        elif allowed is not None and d.vm_sku not in allowed:
            self.errors.append(
                f"{key}.vmSku: {d.vm_sku!r} is not in the model card's inference_compute_allow_list for {d.model}, "
                f"which Azure enforces; allowed: {gpus} ({_source(offer.source)})"
            )
        elif allowed is None:
            self.gpu_memory(key, d, sku)
        if d.model_version is None and offer.latest is None:
            self.errors.append(
                f"{key}.modelVersion: required for {d.model}, whose registry versions the catalog does not know; "
                "use the number that ends the model card's id (/versions/N)"
            )
        elif d.model_version is not None and offer.versions and d.model_version not in offer.versions:
            self.warnings.append(
                f"{key}.modelVersion: {d.model_version} is not a version the catalog knows for {d.model} "
                f"({', '.join(map(str, offer.versions))}): preflight checks that the registry has it"
            )

    def gpu_memory(self, key: str, d: ManagedDeployment, sku: catalog.VmSku) -> None:
        llama = d.llama
        if llama.parameters_b and llama.min_gpu_memory_gb > sku.total_gpu_memory_gb:
            fitting = [s.name for s in catalog.VM_SKUS.values() if s.total_gpu_memory_gb >= llama.min_gpu_memory_gb]
            self.errors.append(
                f"{key}.vmSku: {d.model} needs about {llama.min_gpu_memory_gb} GB of GPU memory and {d.vm_sku!r} has "
                f"{sku.total_gpu_memory_gb} GB ({sku.gpus}x {sku.gpu} {sku.gpu_memory_gb} GB); "
                f"SKUs that fit: {', '.join(fitting) or 'none in the catalog'}"
            )
        else:
            self.warnings.append(
                f"{key}.vmSku: {d.vm_sku!r} was not checked against {d.model}'s model card (no allow-list in the "
                "catalog): preflight reads it from the registry"
            )

    def foundry(self, key: str, d: FoundryDeployment, offer: catalog.FoundryOffer) -> None:
        if d.model_version is None and not offer.versions:
            self.errors.append(f"{key}.modelVersion: required for {d.model}, whose versions the catalog does not know")
        elif d.model_version is not None and offer.versions and d.model_version not in offer.versions:
            self.errors.append(
                f"{key}.modelVersion: {d.model_version!r} is not a version of {d.model} offered as a Foundry Model; "
                f"offered: {', '.join(offer.versions)} (as of {catalog.AS_OF}; `llama-on-azure preflight` lists "
                "Azure's)"
            )
        if d.sku not in offer.deployment_types:
            self.errors.append(
                f"{key}.sku: {d.sku!r} is not a deployment type offered for {d.model}; "
                f"allowed: {', '.join(offer.deployment_types)}"
            )
        filters = self.parts.get("contentFilters") or {}
        if d.content_filter != DEFAULT_CONTENT_FILTER and d.content_filter not in filters:
            names = ", ".join([DEFAULT_CONTENT_FILTER, *filters])
            self.errors.append(
                f"{key}.contentFilter: {d.content_filter!r} is not a policy of {NAMESPACE}:contentFilters; "
                f"allowed: {names}"
            )

    def unique_names(self) -> None:
        """Endpoint names (the keys of `endpoints`) are unique; deployment names are unique per endpoint."""
        seen: dict[str, str] = {}
        for i, d in self.deployments:
            key = key_for("deployments", i)
            if isinstance(d, ManagedDeployment):
                name, where = d.endpoint_name, f"{key}.{'endpoint' if d.endpoint else 'name'}"
                if name.lower() in seen and seen[name.lower()] != "managed":
                    self.errors.append(f"{where}: {name!r} is also the name of a {seen[name.lower()]} endpoint")
                seen.setdefault(name.lower(), "managed")
                continue
            if d.name.lower() in seen:
                self.errors.append(f"{key}.name: {d.name!r} is used twice; endpoint names must be unique")
            seen[d.name.lower()] = d.kind
        models: set[str] = set()
        for i, d in self.deployments:
            if isinstance(d, ServerlessDeployment):
                if d.model in models:
                    self.errors.append(
                        f"{key_for('deployments', i, 'model')}: {d.model!r} already has a serverless deployment; "
                        "Azure allows one serverless deployment per model per project"
                    )
                models.add(d.model)
        foundry = [d for _, d in self.deployments if isinstance(d, FoundryDeployment)]
        if len(foundry) > catalog.LIMITS.max_foundry_deployments_per_resource:
            self.errors.append(
                f"{key_for('deployments')}: {len(foundry)} foundry deployments; a Foundry resource holds at most "
                f"{catalog.LIMITS.max_foundry_deployments_per_resource}"
            )

    def endpoints(self) -> None:
        """Per online endpoint: deployment names, traffic sums to 100, and the endpoint-level settings agree."""
        groups: dict[str, list[tuple[int, ManagedDeployment]]] = {}
        for i, d in self.deployments:
            if isinstance(d, ManagedDeployment):
                groups.setdefault(d.endpoint_name, []).append((i, d))
        children: dict[str, str] = {}
        for endpoint, members in groups.items():
            key = key_for("deployments", members[0][0])
            self.endpoint_members(endpoint, key, members)
            for i, d in members:
                # Pulumi names the deployment resource `<endpoint>-<deployment>`: two pairs must not meet.
                child = f"{endpoint}-{d.name}".lower()
                if child in children:
                    self.errors.append(
                        f"{key_for('deployments', i, 'name')}: endpoint {endpoint!r} with deployment {d.name!r} "
                        f"gives the same resource name {child!r} as {children[child]}; rename one"
                    )
                children.setdefault(child, f"{key_for('deployments', i)}")

    def endpoint_members(self, endpoint: str, key: str, members: list[tuple[int, ManagedDeployment]]) -> None:
        names: set[str] = set()
        for i, d in members:
            if d.name.lower() in names:
                self.errors.append(
                    f"{key_for('deployments', i, 'name')}: {d.name!r} is used twice on endpoint {endpoint!r}"
                )
            names.add(d.name.lower())
        if len(members) > catalog.LIMITS.max_deployments_per_endpoint:
            self.errors.append(
                f"{key}.endpoint: {endpoint!r} has {len(members)} deployments; "
                f"at most {catalog.LIMITS.max_deployments_per_endpoint} per endpoint"
            )
        given = [d.traffic for _, d in members if d.traffic is not None]
        where = ", ".join(f"deployments[{i}]" for i, _ in members)
        if len(members) > 1 and not given:
            self.errors.append(
                f"{key}.traffic: endpoint {endpoint!r} has {len(members)} deployments ({where}); "
                "set traffic on them, percentages that sum to 100"
            )
        elif given and sum(given) != 100:
            shares = ", ".join(f"{d.name}={d.traffic or 0}" for _, d in members)
            self.errors.append(
                f"{key}.traffic: endpoint {endpoint!r} traffic sums to {sum(given)} ({shares}); it must sum to 100"
            )
        for field in ("auth_mode", "public_network_access"):
            values = {getattr(d, field) for _, d in members}
            if len(values) > 1:
                self.errors.append(
                    f"{key}.{to_camel(field)}: deployments of endpoint {endpoint!r} disagree "
                    f"({', '.join(sorted(values))}); it is a setting of the endpoint, give them the same value"
                )
        if len({d._llama.api for _, d in members if d._llama}) > 1:
            self.errors.append(
                f"{key}.endpoint: endpoint {endpoint!r} would mix chat and completion models behind one URL; "
                "give them separate endpoints"
            )

    def hub_network(self) -> None:
        hub: Hub = self.parts.get("hub") or Hub()
        if hub.isolation_mode == "Disabled":
            return
        for i, d in self.deployments:
            if isinstance(d, ManagedDeployment) and "egress_public_network_access" in d.model_fields_set:
                self.errors.append(
                    f"{key_for('deployments', i, 'egressPublicNetworkAccess')}: Azure ignores it under the hub's "
                    f"managed network ({key_for('hub', 'isolationMode')} is {hub.isolation_mode!r}); "
                    "outbound access follows the managed network, remove the key"
                )

    def tags(self) -> None:
        tags = self.parts.get("tags")
        if isinstance(tags, dict):
            self.errors.extend(tag_errors(tags))

    def access(self) -> None:
        access: Access | None = self.parts.get("access")
        if access is None:
            return
        key = key_for("access")
        if access.deployers and not access.deployer_role:
            self.errors.append(f"{key}.deployers: deployers get the custom deployer role; set {key}.deployerRole: true")
        for field in ("deployers", "developers"):
            seen: set[str] = set()
            for i, principal in enumerate(getattr(access, field)):
                if principal.id.lower() in seen:
                    self.errors.append(f"{key}.{field}[{i}]: {principal.id!r} is listed twice")
                seen.add(principal.id.lower())


# Azure's tag rules: names up to 512 characters (128 on storage accounts, the strictest resource
# here), values up to 256, at most 50 tags, none of <>%&\?/ in names, and the prefixes microsoft,
# azure and windows reserved (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources).
TAG_NAME_MAX, TAG_VALUE_MAX, TAG_COUNT_MAX = 128, 256, 50
TAG_NAME_FORBIDDEN = set("<>%&\\?/")
TAG_RESERVED_PREFIXES = ("microsoft", "azure", "windows")


def tag_errors(tags: dict[str, str]) -> list[str]:
    key = key_for("tags")
    errors = []
    if len(tags) + len(RESERVED_TAGS) > TAG_COUNT_MAX:
        errors.append(f"{key}: {len(tags)} tags; with the {len(RESERVED_TAGS)} always set, at most {TAG_COUNT_MAX}")
    seen: set[str] = set()
    for name, value in tags.items():
        where = f"{key}.{name}"
        if name.lower() in RESERVED_TAGS:
            errors.append(f"{where}: is always set by the stack ({', '.join(RESERVED_TAGS)}); choose another tag name")
        elif name.lower() in seen:
            errors.append(f"{where}: tag names are case-insensitive in Azure; {name!r} is given twice")
        seen.add(name.lower())
        if not name or len(name) > TAG_NAME_MAX or TAG_NAME_FORBIDDEN & set(name) or not name.isprintable():
            errors.append(f"{where}: not an Azure tag name: 1-{TAG_NAME_MAX} printable characters, none of <>%&\\?/")
        elif name.lower().startswith(TAG_RESERVED_PREFIXES):
            errors.append(f"{where}: the prefixes {', '.join(TAG_RESERVED_PREFIXES)} are reserved by Azure")
        if len(value) > TAG_VALUE_MAX or not value.isprintable():
            errors.append(f"{where}: the value is not allowed: at most {TAG_VALUE_MAX} printable characters")
    return errors


def _source(key: str) -> str:
    return catalog.SOURCES[key].url if key in catalog.SOURCES else key


def _offered(kind: str, today: dt.date) -> str:
    offered = [
        m.name
        for m in catalog.MODELS.values()
        if (offer := getattr(m, kind)) is not None
        and offer.lifecycle.stage(today) in (catalog.Stage.GENERALLY_AVAILABLE, catalog.Stage.LEGACY)
    ]
    return f"offered as kind {kind!r} today: {', '.join(offered) or 'none'}"


def _report(stack: str, lines: list[str]) -> str:
    return f"stack {stack!r} has an invalid configuration:\n  " + "\n  ".join(lines)


def parse_stack_config(raw: dict[str, Any], stack: str, today: dt.date | None = None) -> Parsed:
    """Validate the namespace's keys (without the `llama-on-azure:` prefix); raise ConfigError with every error."""
    today = today or today_utc()
    parts, errors = _validate_parts(raw)
    check = _Check(parts, today, errors, [])
    check.run()
    if "environment" not in parts and naming.environment_for_stack(stack) is None:
        errors.append(
            f"{NAMESPACE}:environment: not set, and the stack name {stack!r} gives none "
            "(it needs a letter or digit): set it, 1-12 lowercase letters and digits"
        )
    if errors:
        raise ConfigError(_report(stack, errors))
    parts["deployments"] = [d for _, d in parts["deployments"]]
    parts.pop("_partial", None)
    fields = {_NAMES[alias]: value for alias, value in parts.items()}
    fields.setdefault("environment", naming.environment_for_stack(stack))
    config = StackConfig.model_construct(**fields)  # every part is validated above: no second pass
    return Parsed(config, check.warnings)


TODAY_VARIABLE = "LLAMA_ON_AZURE_TODAY"
"""ISO date that stands in for today in lifecycle checks: tests, or 'will this stack still plan on ...?'."""


def today_utc() -> dt.date:
    import os

    if value := os.environ.get(TODAY_VARIABLE):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{TODAY_VARIABLE}: {value!r} is not a date like 2026-11-27") from None
    return dt.datetime.now(dt.UTC).date()


def iter_keys(values: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(namespace, key, value) of `namespace:key` config entries."""
    for full, value in values.items():
        namespace, _, key = full.partition(":")
        yield namespace, key, value


def _decode(alias: str, text: str) -> Any:
    """An engine config value (always a string) as the YAML meant it: structured keys arrive as JSON."""
    field = _FIELDS.get(alias)
    if field is not None and field.annotation is bool:
        return {"true": True, "false": False}.get(text, text)
    if field is not None and _is_text(field.annotation):
        return text  # "123456" stays a string: a plain value is never JSON-decoded
    try:
        return json.loads(text)
    except ValueError:
        return text


def _is_text(annotation: Any) -> bool:
    return annotation is str or str(annotation).startswith(
        ("typing.Annotated[str", "str |", "typing.Optional[typing.Annotated[str")
    )


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
        if text == ENCRYPTED:
            notes.append(f"{full}: encrypted (secure:), so not checked offline: its value is checked at `pulumi up`")
            continue
        raw[alias] = _decode(alias, text)
    location = values.get("azure-native:location")
    region = raw.get("region")
    if location and isinstance(region, str) and catalog.normalize_region(location) != catalog.normalize_region(region):
        errors.append(
            f"azure-native:location: {location!r} but {NAMESPACE}:region is {region!r}: "
            "set both to the same region (every resource here is placed in the stack's region)"
        )
    try:
        parsed = parse_stack_config(raw, stack, today)
    except ConfigError as exc:
        lines = str(exc).split("\n  ")[1:]
        raise ConfigError(_report(stack, errors + lines)) from None
    if errors:
        raise ConfigError(_report(stack, errors))
    parsed.config._tags_secret = f"{NAMESPACE}:tags" in secret_keys
    return Parsed(parsed.config, notes + parsed.warnings)
