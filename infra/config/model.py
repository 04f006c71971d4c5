"""The stack's configuration model: one section per key, one model per deployment kind, and what derives from them."""

from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_camel

from catalog import limits, models, rbac, vm_skus
from infra import naming
from infra.config.types import (
    NAMESPACE,
    Cidr,
    EndpointName,
    Environment,
    ModelName,
    ModelVersion,
    NameSuffix,
    PolicyName,
    Prefix,
    PrincipalId,
    Region,
    RegistryVersion,
    ResourceGroupName,
    Severity,
    SubnetId,
    Switch,
    registry_version,
)


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
    protected_material_code: bool = True
    """Each switch on as in Microsoft's default content filter, but indirect attacks (off there too)."""


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
    """Get the built-in roles that let them call the deployments (Azure AI Developer on the project, Foundry User on
    the Foundry resource)."""

    @property
    def enabled(self) -> bool:
        return self.deployer_role or bool(self.developers)


NonEmpty = Annotated[str, Field(min_length=1)]


class DeclaredModel(_Section):
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
        return registry_version(self.version) if self.version and self.version.isdigit() else None

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


class _Deployment(_Section):
    name: EndpointName
    """The key of `endpoints` in the exports; the Azure name adds the stack's suffix."""
    model: ModelName
    _llama: models.LlamaModel | None = PrivateAttr(default=None)

    @property
    def llama(self) -> models.LlamaModel:
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
    instance_count: int = Field(default=1, ge=1, le=limits.LIMITS.max_instances_per_deployment)
    endpoint: EndpointName | None = None
    """A shared online endpoint; deployments naming the same one share its URI and keys."""
    traffic: int | None = Field(default=None, ge=0, le=100)
    request_timeout_seconds: int = Field(
        default=limits.LIMITS.max_request_timeout_seconds, ge=1, le=limits.LIMITS.max_request_timeout_seconds
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
    def sku(self) -> vm_skus.VmSku:
        return vm_skus.VM_SKUS[self.vm_sku]


class FoundryDeployment(_Deployment):
    """`kind: foundry`: a model deployment on the stack's Foundry resource."""

    kind: Literal["foundry"]
    model_version: ModelVersion | None = None
    sku: str = Field(default=models.GLOBAL_STANDARD, min_length=1)
    """The deployment type."""
    capacity: int = Field(default=1, ge=limits.LIMITS.foundry_capacity[0], le=limits.LIMITS.foundry_capacity[1])
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
        known = known_models(self.models)
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

    def deployer_actions(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """What deploying this stack takes: scope label -> (subscription or group, actions), per kind it deploys.

        The custom deployer role carries them (but role management, which only the stack's owner needs), and
        preflight checks the signed-in principal has them.
        """
        partner = any(d.llama.foundry and not d.llama.foundry.sold_by_azure for d in self.foundry_deployments)
        required: dict[str, tuple[str, tuple[str, ...]]] = {}
        if self.serverless or partner:
            required["subscription (Marketplace)"] = ("subscription", rbac.DEPLOYER_ACTIONS["subscription"])
            required["resource group (Marketplace)"] = ("group", rbac.DEPLOYER_ACTIONS["resourceGroup"])
        if self.serverless:
            required["project (serverless)"] = ("group", rbac.DEPLOYER_ACTIONS["project"])
        if self.managed:
            required["project (managed compute)"] = ("group", rbac.MANAGED_DEPLOYER_ACTIONS)
        if self.foundry_deployments:
            required["resource group (Foundry)"] = ("group", rbac.FOUNDRY_DEPLOYER_ACTIONS)
        if self.access.enabled:
            required["role management"] = ("subscription", rbac.ROLE_MANAGEMENT_ACTIONS)
        return required

    def content_filter(self, name: str) -> ContentFilter | None:
        """The named policy a foundry deployment refers to; None for Microsoft's default."""
        return None if name == DEFAULT_CONTENT_FILTER else self.content_filters[name]

    def quota(self) -> dict[str, int]:
        """vCPUs per VM quota family that the managed deployments need in the region (with the upgrade reserve)."""
        return vm_skus.vcpu_quota([(d.sku, d.instance_count) for d in self.managed])


@dataclass(frozen=True)
class Parsed:
    """A validated stack and what the plan must say about it without refusing it."""

    config: StackConfig
    warnings: list[str]
