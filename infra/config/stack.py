"""A validated stack with each deployment's catalog entry: what the program, the tools and the kinds read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from catalog import network, rbac
from infra import naming
from infra.config.model import RESERVED_TAGS, ContentFilter, StackConfig
from infra.config.types import NAMESPACE
from infra.kinds import KINDS, Deployment, Kind, Platform

__all__ = ["RESERVED_TAGS", "ResolvedStack"]


@dataclass(frozen=True)
class ResolvedStack:
    """Every key validated and every rule passed; the derived values (names, groups, actions) computed here once."""

    config: StackConfig
    deployments: tuple[Deployment[Any], ...]
    """In the order of the stack file, each with its catalog (or declared) entry."""
    environment: str
    tags_secret: bool = False
    """The tags were encrypted in the stack file: every resource gets them as a secret."""
    warnings: tuple[str, ...] = field(default=())
    """What the plan says about the stack without refusing it."""
    cloud: str = "public"
    """The Azure cloud (`azure-native:environment`): public, usgovernment or china."""

    @property
    def region(self) -> str:
        return self.config.region

    def of(self, kind: Kind[Any]) -> list[Any]:
        """The deployments of one kind, in the stack file's order."""
        return [d for d in self.deployments if d.config.kind == kind.name]

    @cached_property
    def kinds(self) -> list[tuple[Kind[Any], list[Any]]]:
        """(kind, its deployments) for each kind the stack deploys, in the registry's order."""
        return [(kind, found) for kind in KINDS.values() if (found := self.of(kind))]

    @property
    def buys_marketplace(self) -> bool:
        """Whether a deployment of the stack is bought through Azure Marketplace."""
        return any(kind.marketplace(found) for kind, found in self.kinds)

    def needs(self, platform: Platform) -> bool:
        return any(kind.platform is platform for kind, _ in self.kinds)

    @property
    def resource_group(self) -> str:
        return self.config.hub.resource_group or naming.resource_group(self.config.prefix, self.environment)

    @property
    def tag_set(self) -> dict[str, str]:
        """The stack's tags on every resource: the ones always set first, the user's beside them."""
        return {"environment": self.environment, "managed-by": "pulumi", "project": NAMESPACE, **self.config.tags}

    def suffix_for(self, subscription_id: str) -> str:
        """The stack's stable suffix: `nameSuffix`, else a hash of the subscription, group, prefix and environment."""
        return self.config.name_suffix or naming.unique_suffix(
            subscription_id, self.resource_group, self.config.prefix, self.environment
        )

    @cached_property
    def endpoints(self) -> dict[str, tuple[Kind[Any], list[Any]]]:
        """Name of each `endpoints` entry -> its kind and the deployments behind it."""
        return {name: (kind, group) for kind, found in self.kinds for name, group in kind.endpoints(found).items()}

    def names(self, suffix: str) -> naming.StackNames:
        """Every Azure name of the stack, for one suffix."""
        unique = {}
        for name, (kind, _) in self.endpoints.items():
            if (azure := kind.azure_name(name, suffix)) is not None:
                unique[name] = azure
        return naming.stack_names(self.config.prefix, self.environment, suffix, self.resource_group, unique)

    def deployer_actions(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """What deploying this stack takes: scope label -> (subscription, group or a resource id, actions).

        The custom deployer role carries them (but role management, which only the stack's owner needs), and
        preflight checks the signed-in principal has them.
        """
        required: dict[str, tuple[str, tuple[str, ...]]] = {}
        for kind, found in self.kinds:
            required |= kind.deployer_actions(self, found)
        if self.private:
            required |= self._network_actions()
        monitoring, secrets = self.config.monitoring, self.config.key_vault_secrets
        if monitoring.diagnostics or monitoring.alerts.enabled:
            required["resource group (monitoring)"] = ("group", rbac.MONITORING_DEPLOYER_ACTIONS)
        if secrets.enabled:
            required["key vault (endpoint keys)"] = (secrets.vault_id or "group", rbac.KEY_VAULT_SECRET_ACTIONS)
        if self.config.access.enabled or secrets.readers:
            required["role management"] = ("subscription", rbac.ROLE_MANAGEMENT_ACTIONS)
        return required

    def _network_actions(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """A private stack's: its endpoints in the group, and joining the landing zone's subnet and zones there."""
        net = self.config.network
        actions = {"resource group (private endpoints)": ("group", rbac.PRIVATE_ENDPOINT_ACTIONS)}
        if net.subnet_id is None:
            actions["resource group (network and zones)"] = ("group", rbac.NETWORK_CREATE_ACTIONS)
            return actions
        actions["landing zone subnet"] = (net.subnet_id, rbac.SUBNET_JOIN_ACTIONS)
        for zone in self.dns_zones():
            zone_id = {name.lower(): i for name, i in net.dns_zones.items()}[zone.lower()]
            actions[f"landing zone DNS zone {zone}"] = (zone_id, rbac.ZONE_JOIN_ACTIONS)
        return actions

    def content_filter(self, name: str) -> ContentFilter | None:
        return self.config.content_filter(name)

    # The network.
    @property
    def private(self) -> bool:
        return self.config.network.private

    def public_access(self, configured: str) -> str:
        """A resource's public network access: off everywhere in a private stack, else as configured."""
        return "Disabled" if self.private else configured

    def private_links(self) -> list[tuple[str, network.PrivateLink, str]]:
        """(resource, its private link facts, group id) of every private endpoint the private stack needs."""
        platforms = {kind.platform for kind, _ in self.kinds}
        return private_links(platforms, self.config.hub.container_registry)

    def dns_zones(self) -> list[str]:
        """The private DNS zones the stack's private endpoints are registered in, in the stack's cloud."""
        return dns_zones(self.private_links(), self.cloud)

    @property
    def endpoint_region(self) -> str:
        """Where the private endpoints live: the region of the subnet's virtual network."""
        return self.config.network.subnet_region or self.region


def private_links(platforms: set[Platform], container_registry: bool) -> list[tuple[str, network.PrivateLink, str]]:
    """(resource, its private link facts, group id) of each private endpoint the platforms need: the hub, its storage
    (blob and file), key vault and registry; the Foundry resource. A hub's projects use the hub's endpoint."""
    links: list[tuple[str, network.PrivateLink, str]] = []
    if Platform.HUB in platforms:
        links += [("hub", network.WORKSPACE, "amlworkspace"), ("storage", network.STORAGE, "blob")]
        links += [("storage", network.STORAGE, "file"), ("vault", network.VAULT, "vault")]
        if container_registry:
            links.append(("registry", network.REGISTRY, "registry"))
    if Platform.FOUNDRY in platforms:
        links.append(("foundry", network.ACCOUNT, "account"))
    return links


def dns_zones(links: list[tuple[str, network.PrivateLink, str]], cloud: str) -> list[str]:
    zones = (z for _, link, group in links for z in link.zones[group].get(cloud, ()))
    return list(dict.fromkeys(zones))


def diagnostic_resources(platforms: set[Platform], container_registry: bool, kinds: set[Kind[Any]]) -> list[str]:
    """The resources of `monitoring.logs` a stack has: its platforms' (a hub's registry only when it has one), then
    what its kinds' endpoints bring (catalog.monitoring.RESOURCES)."""
    found = ["foundry"] if Platform.FOUNDRY in platforms else []
    if Platform.HUB in platforms:
        found += ["hub", "project", "keyVault", "storage", *(["containerRegistry"] if container_registry else [])]
    for kind in KINDS.values():
        if kind in kinds:
            found += kind.diagnostic_resources
    return list(dict.fromkeys(found))
