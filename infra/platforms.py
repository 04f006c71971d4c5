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
from components.hub import AiHub, AiHubArgs
from components.project import AiProject, AiProjectArgs
from infra import naming
from infra.config.stack import ResolvedStack

STUDIO_URL = "https://ai.azure.com/build/overview?wsid={}"


@dataclass(frozen=True)
class HubPath:
    hub: AiHub
    project: AiProject


@dataclass(frozen=True)
class FoundryPath:
    account: FoundryResource
    project: FoundryProject


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
        settings = self.stack.config.hub
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
                public_network_access=settings.public_network_access,
                isolation_mode=settings.isolation_mode,
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
        return HubPath(hub, project)

    # The Foundry path.
    def foundry(self) -> FoundryPath:
        if self._foundry is None:
            self._foundry = self._build_foundry()
        return self._foundry

    def _build_foundry(self) -> FoundryPath:
        settings = self.stack.config.foundry
        acls = settings.network_acls
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
                public_network_access=cs.PublicNetworkAccess(settings.public_network_access),
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
        return FoundryPath(account, project)

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
        return found
