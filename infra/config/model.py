"""The stack's configuration keys: one section per key, the deployments as the kinds declare them."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from catalog import models, network, prices
from infra.config.types import (
    Cidr,
    Currency,
    Email,
    Environment,
    Fqdn,
    ModelName,
    ModelVersion,
    NameSuffix,
    Percent,
    PolicyName,
    Prefix,
    PrincipalId,
    PrivateRange,
    ReceiverName,
    Region,
    ResourceGroupName,
    Section,
    Severity,
    SubnetId,
    Switch,
    VaultId,
    WebhookUrl,
    WindowMinutes,
    WorkspaceId,
    ZoneId,
    cross_key,
    has_value,
    is_registry_version,
)
from infra.kinds import DeploymentConfigs
from infra.kinds.foundry import DEFAULT_CONTENT_FILTER


class Hub(Section):
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


class NetworkAcls(Section):
    """Network rules of the Foundry resource."""

    default_action: Literal["Allow", "Deny"] = "Deny"
    ip_rules: list[Cidr] = Field(default_factory=list)
    virtual_network_rules: list[SubnetId] = Field(default_factory=list)


class Foundry(Section):
    """`llama-on-azure:foundry`: the Foundry resource (Cognitive Services account) behind `kind: foundry`."""

    local_auth: bool = False
    """Key auth; off by default, so callers use Entra ID and roles apply (a key bypasses RBAC)."""
    public_network_access: Switch = "Enabled"
    network_acls: NetworkAcls | None = None


class Network(Section):
    """`llama-on-azure:network`: make the stack private, in a network it creates or in the landing zone's own."""

    private: bool = False
    """Public network access off on every resource, each reached through a private endpoint registered in DNS."""
    subnet_id: SubnetId | None = None
    """The landing zone's subnet for the private endpoints; the stack then creates only endpoints and zone groups,
    registered in `dnsZones`. Left out, the stack creates a virtual network, the subnet, the zones and their links."""
    subnet_region: Region | None = None
    """The region of that subnet's virtual network (a private endpoint lives there); by default the stack's."""
    dns_zones: dict[str, ZoneId] = Field(default_factory=dict)
    """With `subnetId`: the central private DNS zones, zone name -> resource id (one for every zone the stack needs)."""
    address_space: PrivateRange = network.DEFAULT_ADDRESS_SPACE
    """The virtual network the stack creates (without `subnetId`)."""
    subnet_prefix: PrivateRange = network.DEFAULT_SUBNET
    """Its private endpoint subnet, inside `addressSpace`."""
    outbound_fqdns: list[Fqdn] = Field(default_factory=list, max_length=100)
    """Hosts the hub's managed network may reach (FQDN rules; only with approved outbound, and Azure then deploys a
    firewall the subscription pays for)."""
    external_private_endpoints: bool = False
    """Public access may be off without `private`: the landing zone adds private endpoints itself (Azure Policy)."""


class ContentFilter(Section):
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
    protected_material_code: bool = True
    """Each switch on as in Microsoft's default content filter, but indirect attacks (off there too)."""


class Principal(Section):
    """A principal given as `{id, type}`; a bare object id means a user."""

    id: PrincipalId
    type: Literal["User", "Group", "ServicePrincipal"] = "User"


def _principal(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


Principals = list[Annotated[Principal, BeforeValidator(_principal)]]


class Access(Section):
    """`llama-on-azure:access`: the custom deployer role and who gets which role."""

    deployer_role: bool = False
    deployers: Principals = Field(default_factory=list)
    """Get the custom deployer role at the subscription, resource group and project."""
    developers: Principals = Field(default_factory=list)
    """Get the built-in roles that let them call the deployments (Azure AI Developer on the project, Foundry User on
    the Foundry resource)."""

    @property
    def enabled(self) -> bool:
        return self.deployer_role or bool(self.developers)


NonEmpty = Annotated[str, Field(min_length=1)]


class DeclaredModel(Section):
    """A model the catalog snapshot does not know yet, or what it does not know yet of a catalog model.

    `llama-on-azure:models`. A new model gets every offer, generally available and unchecked; for a catalog
    model the declaration only adds versions, regions, VM SKUs or deployment types (and may say whether it
    is bought through Marketplace); its lifecycle stays the catalog's. Only preflight can confirm either.
    """

    name: ModelName
    api: Literal["chat", "completions"]
    version: ModelVersion | None = None
    """Registry version (managed compute, a number) or model version (Foundry)."""
    parameters_b: float | None = Field(default=None, gt=0, le=10_000, allow_inf_nan=False, strict=False)
    """Total parameters in billions: sizes the GPU memory check where no allow-list is given."""
    regions: list[Region] | None = Field(default=None, min_length=1)
    """Serverless: the regions that offer it; unchecked when left out."""
    marketplace: bool = True
    """Bought through Azure Marketplace (serverless subscription; Foundry partner model)."""
    allowed_vm_skus: list[NonEmpty] | None = Field(default=None, min_length=1)
    """Managed compute: the model card's `inference_compute_allow_list`."""
    deployment_types: list[NonEmpty] = Field(default_factory=lambda: [models.GLOBAL_STANDARD], min_length=1)
    format: NonEmpty = models.META_FORMAT

    @property
    def registry_version(self) -> int | None:
        """The version as managed compute deploys it; None when it is none (Foundry takes any model version)."""
        return int(self.version) if self.version and is_registry_version(self.version) else None

    def entry(self) -> models.LlamaModel:
        """A new model as a catalog entry with every offer, each generally available and unchecked."""
        ga = models.Lifecycle(source="declared")
        number = self.registry_version
        return models.LlamaModel(
            self.name,
            models.Api(self.api),
            self.parameters_b or 0,
            serverless=models.ServerlessOffer(
                frozenset(self.regions) if self.regions else None, self.marketplace, ga, "declared"
            ),
            managed=models.ManagedOffer(
                (number,) if number else (),
                tuple(self.allowed_vm_skus) if self.allowed_vm_skus else None,
                ga,
                "declared",
            ),
            foundry=models.FoundryOffer(
                self.format,
                (self.version,) if self.version else (),
                tuple(self.deployment_types),
                not self.marketplace,
                ga,
                "declared",
            ),
            declared=True,
        )

    def extend(self, known: models.LlamaModel) -> models.LlamaModel:
        """A catalog model with what this declaration adds; each offer keeps the catalog's lifecycle."""
        given = self.model_fields_set
        serverless, managed, foundry = known.serverless, known.managed, known.foundry
        if serverless is not None:
            regions = serverless.regions
            if self.regions and regions is not None:
                regions = regions | frozenset(self.regions)
            marketplace = self.marketplace if "marketplace" in given else serverless.marketplace
            serverless = replace(serverless, regions=regions, marketplace=marketplace)
        if managed is not None:
            versions = (*managed.versions, self.registry_version) if self.registry_version else managed.versions
            skus = managed.allowed_vm_skus
            if self.allowed_vm_skus:
                skus = tuple(dict.fromkeys((*(skus or ()), *self.allowed_vm_skus)))
            managed = replace(managed, versions=tuple(dict.fromkeys(versions)), allowed_vm_skus=skus)
        if foundry is not None:
            versions = (*foundry.versions, self.version) if self.version else foundry.versions
            types = (*foundry.deployment_types, *self.deployment_types) if "deployment_types" in given else ()
            foundry = replace(
                foundry,
                versions=tuple(dict.fromkeys(versions)),
                deployment_types=tuple(dict.fromkeys((*foundry.deployment_types, *types))),
            )
        return replace(known, serverless=serverless, managed=managed, foundry=foundry)


def known_models(declared: list[DeclaredModel]) -> dict[str, models.LlamaModel]:
    """The catalog and the stack's declarations: new models, and what a declaration adds to a catalog model."""
    known = dict(models.MODELS)
    for m in declared:
        known[m.name] = m.extend(known[m.name]) if m.name in models.MODELS else m.entry()
    return known


MAX_BUDGET_NOTIFICATIONS = 5
"""Azure's limit of notifications (thresholds, actual and forecast together) and of e-mail addresses per budget
[budgets]."""


class Budget(Section):
    """`llama-on-azure:budget`: a monthly Azure Consumption budget on the stack's resource group.

    The budget only notifies (Azure never stops a resource for it); the policy `budget-covers-estimate` refuses a
    plan whose fixed monthly estimate exceeds it.
    """

    amount: float | None = Field(default=None, gt=0, le=1e12, allow_inf_nan=False)
    """The monthly amount, in `currency`; no budget when left out."""
    currency: Currency = prices.DEFAULT_CURRENCY
    """The currency of the amount, which should be the subscription's billing currency (Azure compares in that);
    the estimate is priced in it."""
    thresholds: list[Percent] = Field(default_factory=lambda: [50.0, 80.0, 100.0])
    """Percentages of the amount at which actual cost notifies."""
    forecast: list[Percent] = Field(default_factory=list)
    """Percentages of the amount at which Azure's forecast of the month notifies."""
    contact_emails: list[Email] = Field(default_factory=list, max_length=MAX_BUDGET_NOTIFICATIONS)

    @cross_key
    def _someone_to_notify(self) -> tuple[str, str] | None:
        if has_value(self, "amount") and not self.contact_emails:
            return "contactEmails", "required with an amount, at least one address to notify"
        return None

    @cross_key
    def _an_amount(self) -> tuple[str, str] | None:
        if self.amount is None and self.model_fields_set - {"amount"}:
            return "amount", "required when the budget sets anything else (no amount: no budget)"
        return None

    @cross_key
    def _distinct_thresholds(self) -> tuple[str, str] | None:
        return _repeated("thresholds", self.thresholds)

    @cross_key
    def _distinct_forecast(self) -> tuple[str, str] | None:
        return _repeated("forecast", self.forecast)

    @cross_key
    def _notifications(self) -> tuple[str, str] | None:
        count = len(self.thresholds) + len(self.forecast)
        if count > MAX_BUDGET_NOTIFICATIONS:
            where = "thresholds" if "thresholds" in self.model_fields_set else "forecast"
            return (
                where,
                f"thresholds and forecast give {count} notifications; Azure allows at most {MAX_BUDGET_NOTIFICATIONS}",
            )
        if has_value(self, "amount") and count == 0:
            return "thresholds", "empty, and no forecast: the budget would notify no one"
        return None

    @cross_key
    def _distinct_addresses(self) -> tuple[str, str] | None:
        if len({e.lower() for e in self.contact_emails}) < len(self.contact_emails):
            return "contactEmails", "an address is listed twice"
        return None

    @property
    def enabled(self) -> bool:
        return self.amount is not None


def _repeated(key: str, values: list[float]) -> tuple[str, str] | None:
    return (key, f"{shown_list(values)} repeats a percentage") if len(set(values)) < len(values) else None


def shown_list(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


class Alert(Section):
    """One alert every deployment that has it gets: on or off, how severe, over how long a window."""

    enabled: bool = True
    severity: int = Field(default=2, ge=0, le=4)
    """Azure Monitor's 0 (critical) to 4 (verbose)."""
    window_minutes: WindowMinutes = 5
    """The window the threshold is compared over (Azure's static-threshold windows)."""


class Throttling(Alert):
    """Requests refused with HTTP 429 (quota or rate limit)."""

    threshold: float = Field(default=1, ge=0, le=1_000_000, allow_inf_nan=False, strict=False)
    """429 responses a minute, averaged over the window, above which it fires."""


class ServerErrors(Alert):
    """Requests that failed with a 5xx status."""

    severity: int = Field(default=1, ge=0, le=4)
    threshold: float = Field(default=1, ge=0, le=1_000_000, allow_inf_nan=False, strict=False)
    """5xx responses a minute, averaged over the window, above which it fires."""


class Latency(Alert):
    """How long answers take."""

    severity: int = Field(default=3, ge=0, le=4)
    window_minutes: WindowMinutes = 15
    threshold: float = Field(default=30_000, gt=0, le=3_600_000, allow_inf_nan=False, strict=False)
    """Milliseconds above which it fires (Foundry: the average time to the last byte; managed: the p95 latency)."""


class Capacity(Alert):
    """Managed compute: instances of a deployment that are not running."""

    severity: int = Field(default=1, ge=0, le=4)
    window_minutes: WindowMinutes = 15
    threshold: float = Field(default=100, gt=0, le=100, allow_inf_nan=False, strict=False)
    """Percent of the deployment's instanceCount below which it fires."""


class Utilization(Alert):
    """How busy a deployment's capacity is: GPUs of managed compute, provisioned throughput of a Foundry deployment."""

    severity: int = Field(default=3, ge=0, le=4)
    window_minutes: WindowMinutes = 15
    threshold: float = Field(default=90, gt=0, le=100, allow_inf_nan=False, strict=False)
    """Percent above which it fires."""


MAX_RECEIVERS = 20
"""This project's bound on each kind of receiver (not Azure's): an action group mails a team, not a directory."""


class Alerts(Section):
    """`llama-on-azure:monitoring.alerts`: metric alerts per deployment and the stack's one action group."""

    enabled: bool = True
    throttling: Throttling = Field(default_factory=Throttling)
    server_errors: ServerErrors = Field(default_factory=ServerErrors)
    latency: Latency = Field(default_factory=Latency)
    capacity: Capacity = Field(default_factory=Capacity)
    utilization: Utilization = Field(default_factory=Utilization)
    emails: list[Email] = Field(default_factory=list, max_length=MAX_RECEIVERS)
    """Who the action group mails when an alert fires or resolves."""
    webhooks: dict[ReceiverName, WebhookUrl] = Field(default_factory=dict, max_length=MAX_RECEIVERS)
    """Receiver name -> URL the action group posts to; each must be encrypted (`pulumi config set --secret --path`)."""

    @property
    def receivers(self) -> bool:
        return bool(self.emails or self.webhooks)

    def settings(self) -> dict[str, Alert]:
        """Alert name (as the stack file spells it) -> its settings."""
        return {
            "throttling": self.throttling,
            "serverErrors": self.server_errors,
            "latency": self.latency,
            "capacity": self.capacity,
            "utilization": self.utilization,
        }


class Monitoring(Section):
    """`llama-on-azure:monitoring`: diagnostic settings to a Log Analytics workspace, and alerts."""

    diagnostics: bool = True
    """A diagnostic setting on every resource that has them (catalog/monitoring.py)."""
    workspace_id: WorkspaceId | None = None
    """An existing Log Analytics workspace to send to; by default the hub's, or one the stack creates."""
    log_retention_days: int | None = Field(default=None, ge=30, le=730)
    """Retention of the workspace the stack creates for a stack without a hub (default 30)."""
    logs: dict[str, list[str]] = Field(default_factory=dict)
    """Resource -> the log categories or category groups its settings send, instead of the catalog's default."""
    metrics: bool = True
    """Send each resource's platform metrics too (its metric category)."""
    alerts: Alerts = Field(default_factory=Alerts)


class KeyVaultSecrets(Section):
    """`llama-on-azure:keyVaultSecrets`: each endpoint key stored as a Key Vault secret an application reads."""

    enabled: bool = False
    vault_id: VaultId | None = None
    """An existing vault (with Azure RBAC authorization) in the stack's subscription; by default the hub's."""
    readers: Principals = Field(default_factory=list)
    """Get Key Vault Secrets User on each secret: an application's managed identity, a bare id being a user."""


RESERVED_TAGS = ("environment", "managed-by", "project")


class StackConfig(Section):
    """Every `llama-on-azure:*` key of a stack, validated, with the values derived from it."""

    region: Region
    deployments: list[DeploymentConfigs] = Field(min_length=1)
    environment: Environment | None = None
    """Defaults to one derived from the stack name."""
    prefix: Prefix = "llama"
    tags: dict[str, str] = Field(default_factory=dict)
    hub: Hub = Field(default_factory=Hub)
    foundry: Foundry = Field(default_factory=Foundry)
    network: Network = Field(default_factory=Network)
    content_filters: dict[PolicyName, ContentFilter] = Field(default_factory=dict)
    access: Access = Field(default_factory=Access)
    protect: bool = False
    deploy: bool = True
    """Whether CI deploys the stack on merge (deploy.yml): false opts out of deploys, never out of plans or previews."""
    name_suffix: NameSuffix | None = None
    """Replaces the hash in every suffixed name (e.g. after a destroy left a key vault soft-deleted)."""
    models: list[DeclaredModel] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    key_vault_secrets: KeyVaultSecrets = Field(default_factory=KeyVaultSecrets)

    def content_filter(self, name: str) -> ContentFilter | None:
        """The named policy a foundry deployment refers to; None for Microsoft's default."""
        return None if name == DEFAULT_CONTENT_FILTER else self.content_filters[name]
