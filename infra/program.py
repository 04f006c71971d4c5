"""The Pulumi program: stack configuration -> components -> exports."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import authorization, storage
from pulumi_azure_native import machinelearningservices as ml

from components import catalog, naming
from components.access import Principal, ProjectAccess, ProjectAccessArgs
from components.hub import AiHub, AiHubArgs
from components.managed_endpoint import ManagedDeploymentSpec, ManagedOnlineEndpoint, ManagedOnlineEndpointArgs
from components.model_subscription import ModelSubscription, ModelSubscriptionArgs
from components.project import AiProject, AiProjectArgs
from components.serverless_endpoint import ServerlessEndpointArgs, ServerlessLlamaEndpoint
from infra.config import NAMESPACE, ConfigError, StackConfig, config_from_values, namespace_keys

STUDIO_URL = "https://ai.azure.com/build/overview?wsid={}"


def engine_config() -> dict[str, str]:
    """Every config value the engine passed (pulumi.Config has no way to list keys)."""
    return {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}


def load_config() -> StackConfig:
    """Validate the stack's configuration before anything is registered; a mistake is a RunError."""
    values = engine_config()
    try:
        config = config_from_values(values, pulumi.get_stack())
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    provider_location = namespace_keys(values, "azure-native").get("location")
    if provider_location and catalog.normalize_region(provider_location) != config.region:
        raise pulumi.RunError(
            f"azure-native:location is {provider_location!r} but {NAMESPACE}:region is {config.region!r}: "
            "set both to the same region (every resource here is placed in the hub's region)"
        )
    return config


def build(config: StackConfig) -> dict[str, Any]:
    """Create the hub, the project and the endpoints; return the stack exports."""
    env, prefix = config.environment, config.prefix
    tags = {"environment": env, "managed-by": "pulumi", "project": NAMESPACE, **config.tags}
    client = authorization.get_client_config_output()
    group_name = config.hub.resource_group or naming.resource_group(prefix, env)
    # Globally unique names carry a hash of the subscription and group: stable across runs,
    # different for every team that deploys the same stack names.
    suffix = config.name_suffix or client.subscription_id.apply(
        lambda sub: naming.unique_suffix(sub, group_name, prefix, env)
    )
    stateful = pulumi.ResourceOptions(protect=config.protect)

    hub = AiHub(
        "hub",
        AiHubArgs(
            location=config.region,
            environment=env,
            prefix=prefix,
            name_suffix=suffix,
            tenant_id=client.tenant_id,
            resource_group_name=config.hub.resource_group,
            public_network_access=ml.PublicNetworkAccessType(config.hub.public_network_access),
            isolation_mode=ml.IsolationMode(config.hub.isolation_mode),
            container_registry=config.hub.container_registry,
            storage_sku=storage.SkuName(config.hub.storage_sku),
            log_retention_days=config.hub.log_retention_days,
            tags=tags,
        ),
        opts=stateful,
    )
    project = AiProject(
        "project",
        AiProjectArgs(
            hub_id=hub.hub_id,
            resource_group_name=hub.resource_group_name,
            location=config.region,
            environment=env,
            prefix=prefix,
            tags=tags,
        ),
        opts=stateful,
    )

    access = None
    if config.access.enabled:
        access = ProjectAccess(
            "access",
            ProjectAccessArgs(
                subscription_id=client.subscription_id,
                resource_group_name=hub.resource_group_name,
                project_id=project.project_id,
                role_name=f"Llama deployer ({prefix}-{env})",
                deployer_role=config.access.deployer_role,
                deployers=_principals(config.access.deployers),
                developers=_principals(config.access.developers),
            ),
        )

    endpoints: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    for deployment in config.deployments:
        if deployment.kind != "serverless":
            continue
        model = catalog.MODELS[deployment.model]
        # Each serverless deployment has its own subscription (one deployment per model per
        # project), so independent endpoints never wait for each other.
        subscription = ModelSubscription(
            f"{deployment.name}-sub",
            ModelSubscriptionArgs(
                model=model, project_name=project.project_name, resource_group_name=project.resource_group_name
            ),
        )
        endpoint = ServerlessLlamaEndpoint(
            deployment.name,
            ServerlessEndpointArgs(
                endpoint_name=deployment.name,
                model=model,
                subscription=subscription,
                project_name=project.project_name,
                resource_group_name=project.resource_group_name,
                location=config.region,
                content_safety=deployment.content_safety_enabled,
                tags=tags,
            ),
        )
        endpoints[deployment.name] = {
            "kind": deployment.kind,
            "model": model.name,
            "api": model.api.value,
            "url": endpoint.inference_uri.apply(lambda uri, route=model.api.route: _route_url(uri, route)),
        }
        keys[deployment.name] = endpoint.primary_key

    for endpoint_name, members in config.managed_endpoints().items():
        split = config.traffic(endpoint_name)
        specs = [
            ManagedDeploymentSpec(
                name=d.name,
                model=catalog.MODELS[d.model],
                model_version=d.model_version or catalog.MODELS[d.model].pinned_version,
                vm_sku=catalog.VM_SKUS[d.vm_sku],
                instance_count=d.instance_count,
                traffic=split[d.name],
                request_timeout_seconds=d.request_timeout_seconds,
                max_concurrent_requests_per_instance=d.max_concurrent_requests_per_instance,
                probe_initial_delay_seconds=d.probe_initial_delay_seconds,
                data_collection=d.data_collection,
                egress_public_network_access=ml.EgressPublicNetworkAccessType(d.egress_public_network_access),
            )
            for _, d in members
        ]
        first = members[0][1]
        online = ManagedOnlineEndpoint(
            endpoint_name,
            ManagedOnlineEndpointArgs(
                endpoint_name=endpoint_name,
                deployments=specs,
                project_name=project.project_name,
                resource_group_name=project.resource_group_name,
                location=config.region,
                auth_mode=ml.EndpointAuthMode(first.auth_mode),
                public_network_access=ml.PublicNetworkAccessType(first.public_network_access),
                tags=tags,
            ),
        )
        # The model most traffic goes to names the endpoint; all of them share one API (validated).
        lead = max(specs, key=lambda s: s.traffic)
        endpoints[endpoint_name] = {
            "kind": "managed",
            "model": lead.model.name,
            "api": lead.model.api.value,
            # Managed online endpoints take requests on their scoring URI, whatever the model.
            "url": online.scoring_uri,
            "deployments": {
                s.name: {
                    "model": s.model.name,
                    "modelVersion": s.model_version,
                    "vmSku": s.vm_sku.name,
                    "instanceCount": s.instance_count,
                    "traffic": s.traffic,
                }
                for s in specs
            },
        }
        if online.primary_key is not None:
            keys[endpoint_name] = online.primary_key

    exports: dict[str, Any] = {
        "region": config.region,
        "resourceGroupName": hub.resource_group_name,
        "hubId": hub.hub_id,
        "hubName": hub.hub_name,
        "projectId": project.project_id,
        "projectName": project.project_name,
        "studioUrl": project.project_id.apply(STUDIO_URL.format),
        "endpoints": endpoints,
        "endpointKeys": pulumi.Output.secret(keys),
    }
    if access is not None and access.role_definition_id is not None:
        exports["deployerRoleId"] = access.role_definition_id
    return exports


def _principals(entries: list[Any]) -> list[Principal]:
    return [Principal(p.id, authorization.PrincipalType(p.type)) for p in entries]


def _route_url(uri: str | None, route: str) -> str | None:
    """The URL a client POSTs to: the endpoint's inference URI (never built by hand) plus the API route."""
    return uri.rstrip("/") + route if uri else None


def main() -> None:
    for name, value in build(load_config()).items():
        pulumi.export(name, value)
