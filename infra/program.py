"""The Pulumi program: stack configuration -> components -> exports."""

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.resource import create_urn
from pulumi_azure_native import authorization, resources
from pulumi_azure_native import cognitiveservices as cs

from catalog import content_filters, endpoints, rbac, sources
from components.access import Access, AccessArgs, PrincipalArgs
from components.content_filter import ContentFilterPolicy, ContentFilterPolicyArgs
from components.foundry_project import FoundryProject, FoundryProjectArgs
from components.foundry_resource import FoundryNetworkAclsArgs, FoundryResource, FoundryResourceArgs
from components.hub import AiHub, AiHubArgs
from components.managed_endpoint import ManagedOnlineDeploymentArgs, ManagedOnlineEndpoint, ManagedOnlineEndpointArgs
from components.model_deployment import FoundryModelDeployment, FoundryModelDeploymentArgs
from components.model_subscription import ModelSubscription, ModelSubscriptionArgs
from components.project import AiProject, AiProjectArgs
from components.serverless_endpoint import ServerlessEndpoint, ServerlessEndpointArgs
from infra import naming, sdk_internals
from infra.config import (
    ConfigError,
    ContentFilter,
    FoundryDeployment,
    ManagedDeployment,
    Parsed,
    ServerlessDeployment,
    StackConfig,
    config_from_engine,
)
from infra.exports import EndpointExport, StackExports

STUDIO_URL = "https://ai.azure.com/build/overview?wsid={}"


def load_config() -> Parsed:
    """Read every key through pulumi.Config and validate it before anything is registered; a mistake is a RunError."""
    keys = sdk_internals.engine_config_keys()
    values: dict[str, str] = {}
    for full in keys:
        namespace, _, key = full.partition(":")
        value = pulumi.Config(namespace).get(key) if key else None
        if value is not None:
            values[full] = value
    secret = {k for k in keys if pulumi.runtime.is_config_secret(k)}
    try:
        return config_from_engine(values, secret, pulumi.get_stack())
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


@dataclass(frozen=True)
class Stack:
    """What every part of the wiring reads: the config and the values derived from it once."""

    config: StackConfig
    names: pulumi.Output[naming.StackNames]
    subscription_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    tags: pulumi.Input[dict[str, str]]
    group_name: pulumi.Output[str]

    def name(self, pick: Any) -> pulumi.Output[str]:
        return self.names.apply(pick)


def build(config: StackConfig) -> StackExports:
    """Create the resource group, then the hub path and the Foundry path the deployments need; return the exports."""
    stack = _stack(config)
    endpoints: dict[str, EndpointExport] = {}
    keys: dict[str, Any] = {}
    exports: dict[str, Any] = {}
    project = None
    if config.needs_hub:
        hub, project = _hub_and_project(stack)
        exports |= _hub_exports(hub, project)
        for d in config.serverless:
            endpoints[d.name], keys[d.name] = _serverless(stack, project, d)
        for endpoint_name, members in config.managed_endpoints().items():
            endpoints[endpoint_name], key = _managed(stack, project, endpoint_name, members)
            if key is not None:
                keys[endpoint_name] = key
    account = None
    if config.foundry_deployments:
        account = _foundry_resource(stack)
        exports |= {"foundryAccountName": account.name, "foundryProjectName": _foundry_project(stack, account).name}
        for name, (endpoints[name], key) in _foundry_deployments(stack, account).items():
            if key is not None:
                keys[name] = key
    access = _access(stack, project, account) if config.access.enabled else None
    if access is not None and access.role_definition_id is not None:
        exports["deployerRoleId"] = access.role_definition_id
    return StackExports(  # type: ignore[typeddict-item]
        region=config.region,
        resourceGroupName=stack.group_name,
        catalogAsOf=sources.AS_OF.isoformat(),
        endpoints=endpoints,
        endpointKeys=pulumi.Output.secret(keys),
        **exports,
    )


def _stack(config: StackConfig) -> Stack:
    client = authorization.get_client_config_output()
    # Globally unique names carry a hash of the subscription and group: stable across runs,
    # different for every team that deploys the same stack names.
    suffix = pulumi.Output.from_input(config.name_suffix) if config.name_suffix else client.subscription_id
    names = suffix.apply(lambda s: config.names(config.suffix_for(s)))
    tags = pulumi.Output.secret(config.tag_set) if config.tags_secret else config.tag_set
    return Stack(config, names, client.subscription_id, client.tenant_id, tags, _resource_group(config, tags))


def _resource_group(config: StackConfig, tags: pulumi.Input[dict[str, str]]) -> pulumi.Output[str]:
    if config.hub.resource_group:
        # An existing group is only referenced: the stack must never delete what it did not create.
        return pulumi.Output.from_input(config.hub.resource_group)
    # The group holds both paths, so the program owns it; earlier releases created it inside the hub.
    hub_urn = create_urn("hub", "llama-on-azure:ai:Hub")
    group = resources.ResourceGroup(
        "resource-group",
        resource_group_name=config.resource_group,
        location=config.region,
        tags=tags,
        opts=pulumi.ResourceOptions(
            protect=config.protect,
            delete_before_replace=True,
            aliases=[pulumi.Alias(name="hub-rg", parent=hub_urn)],
        ),
    )
    return group.name


def _hub_and_project(stack: Stack) -> tuple[AiHub, AiProject]:
    config, hub_settings = stack.config, stack.config.hub
    stateful = pulumi.ResourceOptions(protect=config.protect)
    hub = AiHub(
        "hub",
        AiHubArgs(
            hub_name=stack.name(lambda n: n.hub),
            resource_group_name=stack.group_name,
            location=config.region,
            tenant_id=stack.tenant_id,
            storage_account_name=stack.name(lambda n: n.storage_account),
            key_vault_name=stack.name(lambda n: n.key_vault),
            log_analytics_name=stack.name(lambda n: n.log_analytics),
            application_insights_name=stack.name(lambda n: n.app_insights),
            public_network_access=hub_settings.public_network_access,
            isolation_mode=hub_settings.isolation_mode,
            storage_sku=hub_settings.storage_sku,
            log_retention_days=hub_settings.log_retention_days,
            key_vault_purge_protection=hub_settings.key_vault_purge_protection,
            key_vault_retention_days=hub_settings.key_vault_retention_days,
            tags=stack.tags,
            **(
                {"container_registry_name": stack.name(lambda n: n.container_registry)}
                if hub_settings.container_registry
                else {}
            ),
        ),
        opts=stateful,
    )
    project = AiProject(
        "project",
        AiProjectArgs(
            project_name=stack.name(lambda n: n.project),
            hub_id=hub.resource_id,
            resource_group_name=hub.resource_group_name,
            location=config.region,
            tags=stack.tags,
        ),
        opts=stateful,
    )
    return hub, project


def _hub_exports(hub: AiHub, project: AiProject) -> dict[str, Any]:
    return {
        "hubId": hub.resource_id,
        "hubName": hub.name,
        "projectId": project.resource_id,
        "projectName": project.name,
        "studioUrl": project.resource_id.apply(STUDIO_URL.format),
    }


def _serverless(stack: Stack, project: AiProject, d: ServerlessDeployment) -> tuple[EndpointExport, Any]:
    llama = d.llama
    location = {"resource_group_name": project.resource_group_name, "project_name": project.name}
    subscription = {}
    if llama.serverless and llama.serverless.marketplace:
        # One serverless deployment per model per project, so each has its own subscription and
        # independent endpoints never wait for each other.
        offer = ModelSubscription(
            f"{d.name}-sub",
            ModelSubscriptionArgs(
                subscription_name=naming.marketplace_subscription(llama.name), model_id=llama.asset_id, **location
            ),
        )
        subscription = {"marketplace_subscription_id": offer.resource_id}
    endpoint = ServerlessEndpoint(
        d.name,
        ServerlessEndpointArgs(
            endpoint_name=stack.name(lambda n: n.serverless_endpoints[d.name]),
            model_id=llama.asset_id,
            location=stack.config.region,
            content_safety=d.content_safety,
            tags=stack.tags,
            **location,
            **subscription,
        ),
    )
    export = EndpointExport(
        kind=d.kind,
        model=llama.name,
        api=llama.api.value,
        url=endpoint.inference_uri.apply(lambda uri: _route_url(uri, endpoints.SERVERLESS_ROUTES[llama.api])),
        name=endpoint.name,
        auth="key",
    )
    return export, endpoint.primary_key


def _managed(
    stack: Stack, project: AiProject, endpoint_name: str, members: list[ManagedDeployment]
) -> tuple[EndpointExport, Any]:
    config, first = stack.config, members[0]
    split = config.traffic(endpoint_name)
    online = ManagedOnlineEndpoint(
        endpoint_name,
        ManagedOnlineEndpointArgs(
            endpoint_name=stack.name(lambda n: n.online_endpoints[endpoint_name]),
            deployments=[_managed_deployment(d, split[d.name]) for d in members],
            project_name=project.name,
            resource_group_name=project.resource_group_name,
            location=config.region,
            auth_mode=first.auth_mode,
            public_network_access=first.public_network_access,
            tags=stack.tags,
        ),
    )
    return _managed_export(online, members, split), online.primary_key


def _managed_deployment(d: ManagedDeployment, traffic: int) -> ManagedOnlineDeploymentArgs:
    return ManagedOnlineDeploymentArgs(
        name=d.name,
        model_id=d.llama.version_id(d.version),
        vm_sku=d.vm_sku,
        instance_count=d.instance_count,
        traffic=traffic,
        request_timeout_seconds=d.request_timeout_seconds,
        max_concurrent_requests_per_instance=d.max_concurrent_requests_per_instance,
        probe_initial_delay_seconds=d.probe_initial_delay_seconds,
        data_collection=d.data_collection,
        # Azure ignores it under the hub's managed network (the config refuses setting it there); the SDK
        # would send its default, Enabled, anyway.
        egress_public_network_access=d.egress_public_network_access,
    )


AUTH = {"Key": "key", "AADToken": "entra", "AMLToken": "token"}
"""An online endpoint's auth mode -> how a client signs in (the exports' `auth`)."""


def _managed_export(
    online: ManagedOnlineEndpoint, members: list[ManagedDeployment], split: dict[str, int]
) -> EndpointExport:
    # The model most traffic goes to names the endpoint; all of them share one API (validated).
    lead = max(members, key=lambda d: split[d.name])
    return EndpointExport(
        kind="managed",
        model=lead.llama.name,
        api=lead.llama.api.value,
        # Managed online endpoints take requests on their scoring URI, whatever the model.
        url=online.scoring_uri,
        name=online.name,
        auth=AUTH[members[0].auth_mode],
        deployments={
            d.name: {
                "model": d.llama.name,
                "modelVersion": d.version,
                "vmSku": d.vm_sku,
                "instanceCount": d.instance_count,
                "traffic": split[d.name],
            }
            for d in members
        },
    )


def _foundry_resource(stack: Stack) -> FoundryResource:
    settings = stack.config.foundry
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
    return FoundryResource(
        "foundry",
        FoundryResourceArgs(
            account_name=stack.name(lambda n: n.foundry_account),
            resource_group_name=stack.group_name,
            location=stack.config.region,
            local_auth=settings.local_auth,
            public_network_access=cs.PublicNetworkAccess(settings.public_network_access),
            tags=stack.tags,
            **rules,  # type: ignore[typeddict-item]
        ),
        opts=pulumi.ResourceOptions(protect=stack.config.protect),
    )


def _foundry_project(stack: Stack, account: FoundryResource) -> FoundryProject:
    return FoundryProject(
        "foundry-project",
        FoundryProjectArgs(
            project_name=stack.name(lambda n: n.foundry_project),
            account_name=account.name,
            resource_group_name=account.resource_group_name,
            location=stack.config.region,
            tags=stack.tags,
        ),
        opts=pulumi.ResourceOptions(protect=stack.config.protect),
    )


def _foundry_deployments(stack: Stack, account: FoundryResource) -> dict[str, tuple[EndpointExport, Any]]:
    """Content filter policies, then model deployments, one write at a time: Azure refuses concurrent writes on
    an account's children (RequestConflict, "Another operation is being performed on the parent resource")."""
    config = stack.config
    policies: dict[str, ContentFilterPolicy] = {}
    after: pulumi.Output[str] | None = None
    for d in config.foundry_deployments:
        settings = config.content_filter(d.content_filter)
        if settings is not None and d.content_filter not in policies:
            policies[d.content_filter] = _content_filter(stack, account, d.content_filter, settings, after)
            after = policies[d.content_filter].resource_id
    result: dict[str, tuple[EndpointExport, Any]] = {}
    for d in config.foundry_deployments:
        deployment = _foundry_deployment(stack, account, d, policies.get(d.content_filter), after)
        after = deployment.resource_id
        result[d.name] = (_foundry_export(stack, account, d, deployment), account.primary_key)
    return result


def _content_filter(
    stack: Stack, account: FoundryResource, name: str, f: ContentFilter, after: pulumi.Output[str] | None
) -> ContentFilterPolicy:
    return ContentFilterPolicy(
        f"content-filter-{name}",
        ContentFilterPolicyArgs(
            policy_name=name,
            account_name=account.name,
            resource_group_name=account.resource_group_name,
            base_policy=f.base_policy,
            hate=cs.ContentLevel(f.hate),
            sexual=cs.ContentLevel(f.sexual),
            violence=cs.ContentLevel(f.violence),
            self_harm=cs.ContentLevel(f.self_harm),
            blocking=f.blocking,
            jailbreak=f.jailbreak,
            indirect_attack=f.indirect_attack,
            protected_material_text=f.protected_material_text,
            protected_material_code=f.protected_material_code,
            tags=stack.tags,
            **({"after_id": after} if after is not None else {}),  # type: ignore[typeddict-item]
        ),
    )


def _foundry_deployment(
    stack: Stack,
    account: FoundryResource,
    d: FoundryDeployment,
    policy: ContentFilterPolicy | None,
    after: pulumi.Output[str] | None,
) -> FoundryModelDeployment:
    offer = d.llama.foundry
    assert offer is not None, "validated: the model is offered as a Foundry Model"
    return FoundryModelDeployment(
        d.name,
        FoundryModelDeploymentArgs(
            deployment_name=d.name,
            account_name=account.name,
            resource_group_name=account.resource_group_name,
            model_name=d.llama.name,
            model_version=d.version,
            model_format=offer.format,
            deployment_type=d.sku,
            capacity=d.capacity,
            # The name as written, known in a preview (the policy check reads it); the policy is created
            # before this deployment all the same: it is earlier in the chain of writes (`after`).
            rai_policy_name=d.content_filter
            if policy is not None
            else content_filters.MICROSOFT_DEFAULT_CONTENT_FILTER.name,
            version_upgrade_option=cs.DeploymentModelVersionUpgradeOption(d.version_upgrade),
            tags=stack.tags,
            **({"after_id": after} if after is not None else {}),  # type: ignore[typeddict-item]
        ),
    )


def _foundry_export(
    stack: Stack, account: FoundryResource, d: FoundryDeployment, deployment: FoundryModelDeployment
) -> EndpointExport:
    route = endpoints.FOUNDRY_ROUTES[d.llama.api]
    return EndpointExport(
        kind=d.kind,
        model=d.llama.name,
        api=d.llama.api.value,
        # The OpenAI v1 route on the account's Foundry Models endpoint, as Azure reports it.
        url=account.models_endpoint.apply(lambda uri: _route_url(uri, route)),
        name=deployment.name,
        auth="key" if stack.config.foundry.local_auth else "entra",
        deployment=d.name,
    )


def _access(stack: Stack, project: AiProject | None, account: FoundryResource | None = None) -> Access:
    config = stack.config
    # Every action deploying this stack takes (the how-to's list for the hub path), but role management.
    how_to = [a for scope in rbac.DEPLOYER_ACTIONS.values() for a in scope]
    needed = [a for label, (_, group) in config.deployer_actions().items() if label != "role management" for a in group]
    actions = list(dict.fromkeys(how_to + needed))
    scopes: dict[str, Any] = {}
    if project is not None:
        scopes["project_id"] = project.resource_id
    if account is not None:
        scopes["foundry_account_id"] = account.resource_id
    return Access(
        "access",
        AccessArgs(
            subscription_id=stack.subscription_id,
            resource_group_name=stack.group_name,
            role_name=stack.name(lambda n: n.deployer_role),
            deployers=_principals(config.access.deployers),
            developers=_principals(config.access.developers),
            **({"deployer_actions": actions} if config.access.deployer_role else {}),
            **scopes,
        ),
    )


def _principals(entries: list[Any]) -> list[PrincipalArgs]:
    return [PrincipalArgs(object_id=p.id, principal_type=p.type) for p in entries]


def _route_url(uri: str | None, route: str) -> str | None:
    """The URL a client POSTs to: the endpoint's inference URI (never built by hand) plus the API route."""
    return uri.rstrip("/") + route if uri else None


def main() -> None:
    parsed = load_config()
    for warning in parsed.warnings:
        pulumi.log.warn(warning)
    for name, value in build(parsed.config).items():
        pulumi.export(name, value)
