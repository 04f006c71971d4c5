"""The AI hub (Foundry classic) and what it depends on: storage, key vault, monitoring, an optional registry."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    containerregistry,
    keyvault,
    operationalinsights,
    storage,
)
from pulumi_azure_native import machinelearningservices as ml

from components.options import component_options, named_child, type_token


class AiHubArgs(TypedDict):
    """Inputs of an `AiHub`."""

    hub_name: pulumi.Input[str]
    """Name of the hub workspace."""
    resource_group_name: pulumi.Input[str]
    """Resource group the hub and its dependencies live in."""
    location: pulumi.Input[str]
    """Azure region of the hub; its projects and endpoints live there too."""
    tenant_id: pulumi.Input[str]
    """Entra tenant of the key vault."""
    storage_account_name: pulumi.Input[str]
    """Globally unique name of the hub's storage account."""
    key_vault_name: pulumi.Input[str]
    """Globally unique name of the hub's key vault."""
    log_analytics_name: pulumi.Input[str]
    """Name of the Log Analytics workspace behind Application Insights."""
    application_insights_name: pulumi.Input[str]
    """Name of the Application Insights component."""
    container_registry_name: NotRequired[pulumi.Input[str]]
    """Globally unique name of a container registry for the hub; none is created when left out."""
    public_network_access: NotRequired[pulumi.Input[str]]
    """Enabled (default) or Disabled: whether the hub, and so its projects, is reachable from public networks."""
    isolation_mode: NotRequired[pulumi.Input[str]]
    """Managed network isolation: Disabled, AllowInternetOutbound (default) or AllowOnlyApprovedOutbound."""
    storage_sku: NotRequired[pulumi.Input[str]]
    """Replication of the storage account: Standard_LRS (default), Standard_ZRS, Standard_GRS, Standard_GZRS."""
    log_retention_days: NotRequired[pulumi.Input[int]]
    """Retention of the Log Analytics workspace, 30 (default) to 730 days."""
    key_vault_purge_protection: NotRequired[pulumi.Input[bool]]
    """Purge protection of the key vault (default true); a stack that is destroyed and re-created turns it off."""
    key_vault_retention_days: NotRequired[pulumi.Input[int]]
    """Days a deleted key vault is kept (and its name blocked), 7 to 90 (default)."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of every resource of the hub."""


class AiHub(pulumi.ComponentResource):
    """A hub (`Workspace` of kind `Hub`) with its storage account, key vault, Log Analytics, Application Insights."""

    resource_id: pulumi.Output[str]
    """Resource id of the hub workspace."""
    name: pulumi.Output[str]
    """Name of the hub workspace."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the hub."""
    storage_account_id: pulumi.Output[str]
    """Resource id of the hub's storage account."""
    storage_account_name: pulumi.Output[str]
    """Name of the hub's storage account."""
    blob_endpoint: pulumi.Output[str]
    """The storage account's blob endpoint (https://<account>.blob.<cloud suffix>/)."""
    key_vault_id: pulumi.Output[str]
    """Resource id of the hub's key vault."""
    application_insights_id: pulumi.Output[str]
    """Resource id of the hub's Application Insights component."""

    def __init__(self, name: str, args: AiHubArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("AiHub"), name, None, component_options(opts, "llama-on-azure:ai:Hub"))
        group, tags = args["resource_group_name"], args.get("tags") or {}
        account = self._storage(name, args, tags)
        vault = self._key_vault(name, args, tags)
        insights = self._monitoring(name, args, tags)
        registry = self._registry(name, args, tags)
        hub = ml.Workspace(
            f"{name}-workspace",
            workspace_name=args["hub_name"],
            resource_group_name=group,
            location=args["location"],
            kind="Hub",
            friendly_name=pulumi.Output.concat("Llama hub ", args["hub_name"]),
            description="Meta Llama deployments (llama-on-azure)",
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            storage_account=account.id,
            key_vault=vault.id,
            application_insights=insights.id,
            container_registry=registry.id if registry else None,
            public_network_access=args.get("public_network_access", ml.PublicNetworkAccessType.ENABLED),
            managed_network=ml.ManagedNetworkSettingsArgs(
                isolation_mode=args.get("isolation_mode", ml.IsolationMode.ALLOW_INTERNET_OUTBOUND)
            ),
            tags=tags,
            opts=named_child(self),
        )
        self.resource_id = hub.id
        self.name = hub.name
        self.resource_group_name = pulumi.Output.from_input(group)
        self.storage_account_id = account.id
        self.storage_account_name = account.name
        self.blob_endpoint = account.primary_endpoints.apply(lambda e: e.blob if e else None)
        self.key_vault_id = vault.id
        self.application_insights_id = insights.id
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "storageAccountId": self.storage_account_id,
                "storageAccountName": self.storage_account_name,
                "blobEndpoint": self.blob_endpoint,
                "keyVaultId": self.key_vault_id,
                "applicationInsightsId": self.application_insights_id,
            }
        )

    def _storage(self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]]) -> storage.StorageAccount:
        return storage.StorageAccount(
            f"{name}-st",
            account_name=args["storage_account_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=args.get("storage_sku", storage.SkuName.STANDARD_LRS)),
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            # The hub keeps using shared keys for some of its datastores, so they stay allowed.
            allow_shared_key_access=True,
            tags=tags,
            opts=named_child(self),
        )

    def _key_vault(self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]]) -> keyvault.Vault:
        return keyvault.Vault(
            f"{name}-kv",
            vault_name=args["key_vault_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args["tenant_id"],
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                # RBAC instead of access policies: the hub's identity gets roles like anyone else.
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.get("key_vault_retention_days", 90),
                # Azure takes `true` or no value: once on, purge protection cannot be turned off again,
                # and a deleted vault then blocks its name for its whole retention.
                enable_purge_protection=pulumi.Output.from_input(args.get("key_vault_purge_protection", True)).apply(
                    lambda on: True if on else None
                ),
            ),
            tags=tags,
            opts=named_child(self),
        )

    def _monitoring(
        self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]]
    ) -> applicationinsights.Component:
        logs = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=args["log_analytics_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=operationalinsights.WorkspaceSkuArgs(name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018),
            retention_in_days=args.get("log_retention_days", 30),
            tags=tags,
            opts=named_child(self),
        )
        return applicationinsights.Component(
            f"{name}-appi",
            resource_name_=args["application_insights_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind="web",
            application_type=applicationinsights.ApplicationType.WEB,
            # Workspace-based: classic Application Insights is retired.
            workspace_resource_id=logs.id,
            ingestion_mode=applicationinsights.IngestionMode.LOG_ANALYTICS,
            tags=tags,
            opts=named_child(self),
        )

    def _registry(
        self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]]
    ) -> containerregistry.Registry | None:
        if not args.get("container_registry_name"):
            return None
        return containerregistry.Registry(
            f"{name}-cr",
            registry_name=args["container_registry_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=containerregistry.SkuArgs(name=containerregistry.SkuName.PREMIUM),
            admin_user_enabled=False,
            tags=tags,
            opts=named_child(self),
        )
