"""The AI hub (Foundry classic) and what it depends on: storage, key vault, monitoring, an optional registry."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    authorization,
    containerregistry,
    keyvault,
    operationalinsights,
    storage,
)
from pulumi_azure_native import machinelearningservices as ml

from catalog import rbac
from components.access import stable_guid
from components.options import component_options, named_child, type_token


class OutboundPrivateEndpointArgs(TypedDict):
    """A resource the hub's managed network reaches through a private endpoint it creates (a user-defined rule)."""

    rule_name: str
    """Name of the outbound rule."""
    resource_id: pulumi.Input[str]
    """Resource id of the target."""
    subresource: str
    """The target's group id (account for a Foundry resource)."""


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
    private: NotRequired[bool]
    """Public network access off on the hub, its storage account, key vault and registry (default false): they are
    reached through private endpoints made beside the hub, and the hub's managed network is provisioned at once."""
    outbound_private_endpoints: NotRequired[Sequence[OutboundPrivateEndpointArgs]]
    """Resources beyond the hub's own the managed network reaches (its own storage, key vault and registry get
    required rules from Azure); the hub's identity gets the role that approves those connections on each."""
    outbound_fqdns: NotRequired[Sequence[str]]
    """Hosts the managed network may reach (only with AllowOnlyApprovedOutbound; Azure deploys a firewall for them)."""
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
    key_vault_name: pulumi.Output[str]
    """Name of the hub's key vault."""
    application_insights_id: pulumi.Output[str]
    """Resource id of the hub's Application Insights component."""
    container_registry_id: pulumi.Output[str] | None
    """Resource id of the hub's container registry, when it has one."""
    log_analytics_id: pulumi.Output[str]
    """Resource id of the Log Analytics workspace behind Application Insights."""
    principal_id: pulumi.Output[str]
    """Object id of the hub's system-assigned identity."""

    def __init__(self, name: str, args: AiHubArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("AiHub"), name, None, component_options(opts, "llama-on-azure:ai:Hub"))
        group, tags = args["resource_group_name"], args.get("tags") or {}
        private = bool(args.get("private", False))
        # The hub's storage, key vault and registry are as open as the hub: a closed hub with open dependencies
        # leaks what it guards, and an open hub cannot use dependencies it cannot reach.
        closed = private or args.get("public_network_access") == ml.PublicNetworkAccessType.DISABLED
        account = self._storage(name, args, tags, closed)
        vault = self._key_vault(name, args, tags, closed)
        logs, insights = self._monitoring(name, args, tags)
        registry = self._registry(name, args, tags, closed)
        isolation = args.get("isolation_mode", ml.IsolationMode.ALLOW_INTERNET_OUTBOUND)
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
            public_network_access=(
                ml.PublicNetworkAccessType.DISABLED
                if private
                else args.get("public_network_access", ml.PublicNetworkAccessType.ENABLED)
            ),
            managed_network=ml.ManagedNetworkSettingsArgs(isolation_mode=isolation),
            # A private hub's managed network is set up with the hub: managed compute cannot deploy until it exists.
            provision_network_now=True if private and isolation != ml.IsolationMode.DISABLED else None,
            tags=tags,
            opts=named_child(self),
        )
        self._outbound_rules(name, args, hub)
        self.resource_id = hub.id
        self.name = hub.name
        self.resource_group_name = pulumi.Output.from_input(group)
        self.storage_account_id = account.id
        self.storage_account_name = account.name
        self.blob_endpoint = account.primary_endpoints.apply(lambda e: e.blob if e else None)
        self.key_vault_id = vault.id
        self.key_vault_name = vault.name
        self.application_insights_id = insights.id
        self.container_registry_id = registry.id if registry else None
        self.log_analytics_id = logs.id
        self.principal_id = hub.identity.apply(lambda i: i.principal_id if i else None)
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "storageAccountId": self.storage_account_id,
                "storageAccountName": self.storage_account_name,
                "blobEndpoint": self.blob_endpoint,
                "keyVaultId": self.key_vault_id,
                "keyVaultName": self.key_vault_name,
                "applicationInsightsId": self.application_insights_id,
                "containerRegistryId": self.container_registry_id,
                "logAnalyticsId": self.log_analytics_id,
                "principalId": self.principal_id,
            }
        )

    def _outbound_rules(self, name: str, args: AiHubArgs, hub: ml.Workspace) -> None:
        """User-defined rules of the managed network, each its own resource (Azure keeps the required ones)."""
        principal = hub.identity.apply(lambda i: i.principal_id if i else None)
        role = rbac.NETWORK_APPROVER.id
        for target in args.get("outbound_private_endpoints") or []:
            ml.ManagedNetworkSettingsRule(
                f"{name}-outbound-{target['rule_name']}",
                rule_name=target["rule_name"],
                workspace_name=hub.name,
                resource_group_name=args["resource_group_name"],
                properties=ml.PrivateEndpointOutboundRuleArgs(
                    type="PrivateEndpoint",
                    category=ml.RuleCategory.USER_DEFINED,
                    destination=ml.PrivateEndpointDestinationArgs(
                        service_resource_id=target["resource_id"],
                        subresource_target=target["subresource"],
                        spark_enabled=False,
                    ),
                ),
                opts=named_child(self),
            )
            # Since April 30, 2025 the hub's identity approves the connection itself, with this role on the target.
            authorization.RoleAssignment(
                f"{name}-approver-{target['rule_name']}",
                role_assignment_name=pulumi.Output.all(target["resource_id"], principal).apply(
                    lambda parts: stable_guid(parts[0], str(parts[1]), role)
                ),
                principal_id=principal,
                principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
                role_definition_id=pulumi.Output.from_input(target["resource_id"]).apply(
                    lambda rid: (
                        "/".join(rid.split("/")[:3]) + f"/providers/Microsoft.Authorization/roleDefinitions/{role}"
                    )
                ),
                scope=target["resource_id"],
                opts=named_child(self),
            )
        for fqdn in args.get("outbound_fqdns") or []:
            ml.ManagedNetworkSettingsRule(
                f"{name}-outbound-{fqdn.replace('*', 'any').replace('.', '-')}",
                rule_name=f"fqdn-{fqdn.replace('*', 'any').replace('.', '-')}",
                workspace_name=hub.name,
                resource_group_name=args["resource_group_name"],
                properties=ml.FqdnOutboundRuleArgs(
                    type="FQDN", category=ml.RuleCategory.USER_DEFINED, destination=fqdn
                ),
                opts=named_child(self),
            )

    def _storage(
        self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]], closed: bool
    ) -> storage.StorageAccount:
        access = (
            {
                "public_network_access": storage.PublicNetworkAccess.DISABLED,
                "network_rule_set": storage.NetworkRuleSetArgs(
                    default_action=storage.DefaultAction.DENY, bypass=storage.Bypass.AZURE_SERVICES
                ),
            }
            if closed
            else {"public_network_access": storage.PublicNetworkAccess.ENABLED}
        )
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
            **access,
        )

    def _key_vault(
        self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]], closed: bool
    ) -> keyvault.Vault:
        # Key Vault's publicNetworkAccess is a plain string in its REST model ("Enabled" or "Disabled").
        access = (
            {
                "public_network_access": "Disabled",
                "network_acls": keyvault.NetworkRuleSetArgs(
                    default_action=keyvault.NetworkRuleAction.DENY,
                    bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES,
                ),
            }
            if closed
            else {"public_network_access": "Enabled"}
        )
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
                **access,
            ),
            tags=tags,
            opts=named_child(self),
        )

    def _monitoring(
        self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]]
    ) -> tuple[operationalinsights.Workspace, applicationinsights.Component]:
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
        return logs, applicationinsights.Component(
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
        self, name: str, args: AiHubArgs, tags: pulumi.Input[Mapping[str, str]], closed: bool
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
            # Premium, which private endpoints need [acr-private-link].
            public_network_access=containerregistry.PublicNetworkAccess("Disabled" if closed else "Enabled"),
            network_rule_bypass_options=containerregistry.NetworkRuleBypassOptions.AZURE_SERVICES if closed else None,
            tags=tags,
            opts=named_child(self),
        )
