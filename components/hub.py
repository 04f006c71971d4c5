"""The Azure AI Studio hub and the resources it depends on."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    containerregistry,
    keyvault,
    operationalinsights,
    resources,
    storage,
)
from pulumi_azure_native import (
    machinelearningservices as ml,
)

from components import naming


@dataclass
class AiHubArgs:
    """Inputs of an `AiHub`."""

    location: str
    """Azure region of the hub; its projects and serverless endpoints live there too."""
    environment: str
    """Environment name (dev, prod, ...) that every derived name carries."""
    name_suffix: pulumi.Input[str]
    """Stable hash that makes the globally unique names (storage, key vault, registry) unique."""
    tenant_id: pulumi.Input[str]
    """Entra tenant of the key vault."""
    prefix: str = "llama"
    """Readable part of every derived name."""
    resource_group_name: str | None = None
    """Deploy into this existing resource group instead of creating one."""
    public_network_access: ml.PublicNetworkAccessType = ml.PublicNetworkAccessType.ENABLED
    """Whether the hub (and so its projects) is reachable from public networks."""
    isolation_mode: ml.IsolationMode = ml.IsolationMode.ALLOW_INTERNET_OUTBOUND
    """Managed network isolation of the hub."""
    container_registry: bool = False
    """Create an Azure Container Registry for the hub (only custom environments need one)."""
    storage_sku: storage.SkuName = storage.SkuName.STANDARD_LRS
    """Replication of the hub's storage account."""
    log_retention_days: int = 30
    """Retention of the Log Analytics workspace behind Application Insights."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags set on every resource of the hub."""


class AiHub(pulumi.ComponentResource):
    """A hub (`Workspace` of kind `Hub`) with its storage, key vault, monitoring and optional registry."""

    resource_group_name: pulumi.Output[str]
    hub_id: pulumi.Output[str]
    hub_name: pulumi.Output[str]
    storage_account_id: pulumi.Output[str]
    key_vault_id: pulumi.Output[str]
    application_insights_id: pulumi.Output[str]

    def __init__(self, name: str, args: AiHubArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llama-on-azure:ai:Hub", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env, prefix, suffix = args.environment, args.prefix, args.name_suffix
        tags = dict(args.tags)

        if args.resource_group_name:
            # An existing group is only referenced: the stack must never delete what it did not create.
            self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)
        else:
            group = resources.ResourceGroup(
                f"{name}-rg",
                resource_group_name=naming.resource_group(prefix, env),
                location=args.location,
                tags=tags,
                opts=child,
            )
            self.resource_group_name = group.name
        rg = self.resource_group_name

        account = storage.StorageAccount(
            f"{name}-st",
            account_name=pulumi.Output.from_input(suffix).apply(lambda s: naming.storage_account(prefix, env, s)),
            resource_group_name=rg,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=args.storage_sku),
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            # The hub keeps using shared keys for some of its datastores, so they stay allowed.
            allow_shared_key_access=True,
            tags=tags,
            opts=child,
        )

        vault = keyvault.Vault(
            f"{name}-kv",
            vault_name=pulumi.Output.from_input(suffix).apply(lambda s: naming.key_vault(prefix, env, s)),
            resource_group_name=rg,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                # RBAC instead of access policies: the hub's identity gets roles like anyone else.
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=90,
                # Purge protection cannot be turned off again; it is what keeps secrets recoverable.
                enable_purge_protection=True,
            ),
            tags=tags,
            opts=child,
        )

        logs = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=naming.log_analytics(prefix, env),
            resource_group_name=rg,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018),
            retention_in_days=args.log_retention_days,
            tags=tags,
            opts=child,
        )

        insights = applicationinsights.Component(
            f"{name}-appi",
            resource_name_=f"appi-{prefix}-{env}",
            resource_group_name=rg,
            location=args.location,
            kind="web",
            application_type=applicationinsights.ApplicationType.WEB,
            # Workspace-based: classic Application Insights is retired.
            workspace_resource_id=logs.id,
            ingestion_mode=applicationinsights.IngestionMode.LOG_ANALYTICS,
            tags=tags,
            opts=child,
        )

        registry_id: pulumi.Output[str] | None = None
        if args.container_registry:
            registry = containerregistry.Registry(
                f"{name}-cr",
                registry_name=pulumi.Output.from_input(suffix).apply(
                    lambda s: naming.container_registry(prefix, env, s)
                ),
                resource_group_name=rg,
                location=args.location,
                sku=containerregistry.SkuArgs(name=containerregistry.SkuName.PREMIUM),
                admin_user_enabled=False,
                tags=tags,
                opts=child,
            )
            registry_id = registry.id

        hub = ml.Workspace(
            f"{name}-workspace",
            workspace_name=naming.workspace("hub", prefix, env),
            resource_group_name=rg,
            location=args.location,
            kind="Hub",
            friendly_name=f"Llama hub ({env})",
            description=f"Azure AI Studio hub for Meta Llama deployments, environment {env}",
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            storage_account=account.id,
            key_vault=vault.id,
            application_insights=insights.id,
            container_registry=registry_id,
            public_network_access=args.public_network_access,
            managed_network=ml.ManagedNetworkSettingsArgs(isolation_mode=args.isolation_mode),
            tags=tags,
            opts=child,
        )

        self.hub_id = hub.id
        self.hub_name = hub.name
        self.storage_account_id = account.id
        self.key_vault_id = vault.id
        self.application_insights_id = insights.id
        self.register_outputs(
            {
                "resourceGroupName": self.resource_group_name,
                "hubId": self.hub_id,
                "hubName": self.hub_name,
                "storageAccountId": self.storage_account_id,
                "keyVaultId": self.key_vault_id,
                "applicationInsightsId": self.application_insights_id,
            }
        )
