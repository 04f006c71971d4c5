"""What each kind's deployments live in, built once per stack: the resource group, the hub path, the Foundry path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.resource import create_urn
from pulumi_azure_native import authorization, resources
from pulumi_azure_native import cognitiveservices as cs

from components.foundry_project import FoundryProject, FoundryProjectArgs
from components.foundry_resource import FoundryNetworkAclsArgs, FoundryResource, FoundryResourceArgs
from components.hub import AiHub, AiHubArgs, OutboundPrivateEndpointArgs
from components.log_analytics import LogAnalyticsWorkspace, LogAnalyticsWorkspaceArgs
from components.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from components.private_network import PrivateNetwork, PrivateNetworkArgs
from components.project import AiProject, AiProjectArgs
from infra import naming
from infra.config.model import NetworkAcls
from infra.config.stack import ResolvedStack
from infra.exports import NETWORK
from infra.kinds.base import Platform

STUDIO_URL = "https://ai.azure.com/build/overview?wsid={}"


@dataclass(frozen=True)
class HubPath:
    hub: AiHub
    project: AiProject


@dataclass(frozen=True)
class FoundryPath:
    account: FoundryResource
    project: FoundryProject


@dataclass(frozen=True)
class PrivatePath:
    """Where a private stack's private endpoints go: a subnet, and the zone id of each private DNS zone."""

    subnet_id: pulumi.Input[str]
    zone_ids: dict[str, pulumi.Input[str]]
    network: PrivateNetwork | None
    """The network the stack created, None in the landing zone's."""


class Platforms:
    """The stack's shared resources and derived values, for the kinds to build on: each platform on first use."""

    def __init__(self, stack: ResolvedStack) -> None:
        self.stack = stack
        client = authorization.get_client_config_output()
        # Globally unique names carry a hash of the subscription and group: stable across runs,
        # different for every team that deploys the same stack names.
        name_suffix = stack.config.name_suffix
        suffix = pulumi.Output.from_input(name_suffix) if name_suffix else client.subscription_id
        self.names: pulumi.Output[naming.StackNames] = suffix.apply(lambda s: stack.names(stack.suffix_for(s)))
        self.subscription_id, self.tenant_id = client.subscription_id, client.tenant_id
        self.tags: pulumi.Input[dict[str, str]] = (
            pulumi.Output.secret(stack.tag_set) if stack.tags_secret else stack.tag_set
        )
        self.group_name = self._resource_group()
        self._hub: HubPath | None = None
        self._foundry: FoundryPath | None = None
        self._private: PrivatePath | None = None
        self._endpoints: dict[str, Any] = {}
        """Private endpoint label -> its name."""
        self._shared: dict[Any, Any] = {}

    def once(self, key: Any, build: Callable[[], Any]) -> Any:
        """A resource that several deployments use and Azure holds once (an environment version), built once."""
        if key not in self._shared:
            self._shared[key] = build()
        return self._shared[key]

    @property
    def region(self) -> str:
        return self.stack.region

    def name(self, pick: Callable[[naming.StackNames], str]) -> pulumi.Output[str]:
        return self.names.apply(pick)

    @property
    def stateful(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(protect=self.stack.config.protect)

    def _resource_group(self) -> pulumi.Output[str]:
        config = self.stack.config
        if config.hub.resource_group:
            # An existing group is only referenced: the stack must never delete what it did not create.
            return pulumi.Output.from_input(config.hub.resource_group)
        # The group holds both paths, so the program owns it; earlier releases created it inside the hub.
        group = resources.ResourceGroup(
            "resource-group",
            resource_group_name=self.stack.resource_group,
            location=config.region,
            tags=self.tags,
            opts=pulumi.ResourceOptions(
                protect=config.protect,
                delete_before_replace=True,
                aliases=[pulumi.Alias(name="hub-rg", parent=create_urn("hub", "llama-on-azure:ai:Hub"))],
            ),
        )
        return group.name

    # The hub path.
    def hub(self) -> HubPath:
        if self._hub is None:
            self._hub = self._build_hub()
        return self._hub

    def _build_hub(self) -> HubPath:
        settings, stack = self.stack.config.hub, self.stack
        outbound = []
        if stack.private and stack.needs(Platform.FOUNDRY) and settings.isolation_mode != "Disabled":
            # The hub's managed network reaches the stack's Foundry resource by a private endpoint of its own.
            account = self.foundry().account
            outbound = [
                OutboundPrivateEndpointArgs(rule_name="foundry", resource_id=account.resource_id, subresource="account")
            ]
        hub = AiHub(
            "hub",
            AiHubArgs(
                hub_name=self.name(lambda n: n.hub),
                resource_group_name=self.group_name,
                location=self.region,
                tenant_id=self.tenant_id,
                storage_account_name=self.name(lambda n: n.storage_account),
                key_vault_name=self.name(lambda n: n.key_vault),
                log_analytics_name=self.name(lambda n: n.log_analytics),
                application_insights_name=self.name(lambda n: n.app_insights),
                public_network_access=stack.public_access(settings.public_network_access),
                isolation_mode=settings.isolation_mode,
                private=stack.private,
                outbound_private_endpoints=outbound,
                outbound_fqdns=stack.config.network.outbound_fqdns,
                storage_sku=settings.storage_sku,
                log_retention_days=settings.log_retention_days,
                key_vault_purge_protection=settings.key_vault_purge_protection,
                key_vault_retention_days=settings.key_vault_retention_days,
                tags=self.tags,
                **(
                    {"container_registry_name": self.name(lambda n: n.container_registry)}
                    if settings.container_registry
                    else {}
                ),
            ),
            opts=self.stateful,
        )
        project = AiProject(
            "project",
            AiProjectArgs(
                project_name=self.name(lambda n: n.project),
                hub_id=hub.resource_id,
                resource_group_name=hub.resource_group_name,
                location=self.region,
                tags=self.tags,
            ),
            opts=self.stateful,
        )
        if stack.private:
            self._endpoint("hub", hub.name, hub.resource_id, "amlworkspace")
            self._endpoint("storage", hub.storage_account_name, hub.storage_account_id, "blob")
            self._endpoint("storage", hub.storage_account_name, hub.storage_account_id, "file")
            self._endpoint("vault", self.name(lambda n: n.key_vault), hub.key_vault_id, "vault")
            if hub.container_registry_id is not None:
                self._endpoint(
                    "registry", self.name(lambda n: n.container_registry), hub.container_registry_id, "registry"
                )
        return HubPath(hub, project)

    # The Foundry path.
    def foundry(self) -> FoundryPath:
        if self._foundry is None:
            self._foundry = self._build_foundry()
        return self._foundry

    def _build_foundry(self) -> FoundryPath:
        settings, stack = self.stack.config.foundry, self.stack
        acls = settings.network_acls
        if stack.private:  # the account takes private endpoint traffic and trusted Azure services only
            acls = NetworkAcls.model_validate({"defaultAction": "Deny"})
        rules = (
            {
                "network_acls": FoundryNetworkAclsArgs(
                    default_action=cs.NetworkRuleAction(acls.default_action),
                    ip_rules=acls.ip_rules,
                    virtual_network_rules=acls.virtual_network_rules,
                )
            }
            if acls is not None
            else {}
        )
        account = FoundryResource(
            "foundry",
            FoundryResourceArgs(
                account_name=self.name(lambda n: n.foundry_account),
                resource_group_name=self.group_name,
                location=self.region,
                local_auth=settings.local_auth,
                public_network_access=cs.PublicNetworkAccess(stack.public_access(settings.public_network_access)),
                tags=self.tags,
                **rules,  # type: ignore[typeddict-item]
            ),
            opts=self.stateful,
        )
        project = FoundryProject(
            "foundry-project",
            FoundryProjectArgs(
                project_name=self.name(lambda n: n.foundry_project),
                account_name=account.name,
                resource_group_name=account.resource_group_name,
                location=self.region,
                tags=self.tags,
            ),
            opts=self.stateful,
        )
        if stack.private:
            self._endpoint("foundry", account.name, account.resource_id, "account")
        return FoundryPath(account, project)

    # The private path.
    def private(self) -> PrivatePath:
        if self._private is None:
            self._private = self._build_private()
        return self._private

    def _build_private(self) -> PrivatePath:
        net, stack = self.stack.config.network, self.stack
        if net.subnet_id is not None:  # the landing zone's: the stack creates endpoints and zone groups, never zones
            zones = {name.lower(): zone_id for name, zone_id in net.dns_zones.items()}
            return PrivatePath(net.subnet_id, {z: zones[z.lower()] for z in stack.dns_zones()}, None)
        created = PrivateNetwork(
            "network",
            PrivateNetworkArgs(
                network_name=self.name(lambda n: n.virtual_network),
                resource_group_name=self.group_name,
                location=stack.endpoint_region,
                address_space=net.address_space,
                subnet_prefix=net.subnet_prefix,
                dns_zones=stack.dns_zones(),
                tags=self.tags,
            ),
        )
        return PrivatePath(created.subnet_id, dict(created.zone_ids), created)

    def _endpoint(self, label: str, target_name: Any, target_id: Any, group: str) -> PrivateEndpoint:
        """A private endpoint of one subresource, registered in its zones of the stack's cloud."""
        private, stack = self.private(), self.stack
        link = next(link for resource, link, g in stack.private_links() if resource == label and g == group)
        zones = link.zones[group][stack.cloud]
        endpoint = PrivateEndpoint(
            f"{label}-pe-{group}",
            PrivateEndpointArgs(
                endpoint_name=pulumi.Output.from_input(target_name).apply(lambda n: naming.private_endpoint(n, group)),
                resource_group_name=self.group_name,
                location=stack.endpoint_region,
                subnet_id=private.subnet_id,
                target_id=target_id,
                group_id=group,
                dns_zone_ids=[private.zone_ids[z] for z in zones],
                tags=self.tags,
            ),
        )
        self._endpoints[f"{label}-{group}"] = endpoint.name
        return endpoint

    # Monitoring.
    def workspace_id(self) -> pulumi.Input[str]:
        """The Log Analytics workspace diagnostic settings send to: the stack's choice, the hub's, or a new one."""
        monitoring = self.stack.config.monitoring
        if monitoring.workspace_id is not None:
            return monitoring.workspace_id
        if self._hub is not None:
            return self._hub.hub.log_analytics_id
        return self.once("log-analytics", self._log_analytics).resource_id

    def _log_analytics(self) -> LogAnalyticsWorkspace:
        retention = self.stack.config.monitoring.log_retention_days
        return LogAnalyticsWorkspace(
            "log-analytics",
            LogAnalyticsWorkspaceArgs(
                workspace_name=self.name(lambda n: n.log_analytics),
                resource_group_name=self.group_name,
                location=self.region,
                tags=self.tags,
                **({"retention_days": retention} if retention is not None else {}),  # type: ignore[typeddict-item]
            ),
        )

    def diagnostic_targets(self) -> list[tuple[str, str, pulumi.Input[str]]]:
        """(resource of `monitoring.logs`, label, resource id) of each platform resource that takes diagnostic
        settings; the storage account's services are its sub-resources (catalog.monitoring.RESOURCES)."""
        found: list[tuple[str, str, pulumi.Input[str]]] = []
        if self._foundry is not None:
            found.append(("foundry", "foundry", self._foundry.account.resource_id))
        if self._hub is not None:
            hub = self._hub.hub
            found += [
                ("hub", "hub", hub.resource_id),
                ("project", "project", self._hub.project.resource_id),
                ("keyVault", "vault", hub.key_vault_id),
                ("storage", "storage", hub.storage_account_id),
            ]
            if hub.container_registry_id is not None:
                found.append(("containerRegistry", "registry", hub.container_registry_id))
        return found

    @property
    def built_hub(self) -> HubPath | None:
        return self._hub

    @property
    def built_foundry(self) -> FoundryPath | None:
        return self._foundry

    def exports(self) -> dict[str, Any]:
        """The outputs of each platform the stack built."""
        found: dict[str, Any] = {}
        if self._hub is not None:
            hub, project = self._hub.hub, self._hub.project
            found |= {
                "hubId": hub.resource_id,
                "hubName": hub.name,
                "projectId": project.resource_id,
                "projectName": project.name,
                "studioUrl": project.resource_id.apply(STUDIO_URL.format),
            }
        if self._foundry is not None:
            found |= {
                "foundryAccountName": self._foundry.account.name,
                "foundryProjectName": self._foundry.project.name,
            }
        if self._private is not None:
            found[NETWORK] = self._network_export(self._private)
        return found

    def _network_export(self, private: PrivatePath) -> dict[str, Any]:
        """Where the private stack is reached from: its subnet, the zones its names resolve in, and each endpoint."""
        created = private.network
        return {
            "private": True,
            "subnetId": private.subnet_id,
            **({"virtualNetworkId": created.resource_id} if created is not None else {}),
            "dnsZones": sorted(private.zone_ids),
            "privateEndpoints": dict(self._endpoints),
        }
