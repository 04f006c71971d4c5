"""A managed online endpoint with its deployments on GPU VMs, serving traffic as configured."""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.endpoint_traffic import EndpointTraffic
from components.options import component_options, named_child, type_token


class ManagedOnlineDeploymentArgs(TypedDict):
    """One deployment of a `ManagedOnlineEndpoint`: a model version on `instance_count` VMs of one SKU."""

    name: str
    """Deployment name, unique within the endpoint."""
    model_id: pulumi.Input[str]
    """Registry model id with its version (azureml://registries/azureml-meta/models/<model>/versions/<N>), or the
    resource id of a workspace model version."""
    vm_sku: pulumi.Input[str]
    """VM size of every instance, one the model card's allow-list names."""
    instance_count: pulumi.Input[int]
    """Number of VMs; Microsoft recommends 3 or more in production."""
    traffic: int
    """Share of the endpoint's requests, in percent; the shares of an endpoint sum to 100."""
    request_timeout_seconds: NotRequired[int]
    """Per request, 1-180 (default 180, as in Microsoft's Llama samples; the SDK's 5 s fails long generations)."""
    max_concurrent_requests_per_instance: NotRequired[pulumi.Input[int]]
    """Requests an instance works on at once before the endpoint queues them (default 1)."""
    probe_initial_delay_seconds: NotRequired[int]
    """Before the first liveness/readiness probe (default 600: a large model takes minutes to load)."""
    data_collection: NotRequired[bool]
    """Collect model inputs and outputs (inference data collection, preview)."""
    egress_public_network_access: NotRequired[pulumi.Input[str]]
    """Enabled or Disabled; only where the hub has no managed network (Azure ignores it under one)."""
    environment_id: NotRequired[pulumi.Input[str]]
    """A serving environment (a custom container) to run the model in; left out, Azure runs the model's own."""
    environment_variables: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Settings of the custom container (Azure ML cannot set its arguments)."""


class ManagedOnlineEndpointArgs(TypedDict):
    """Inputs of a `ManagedOnlineEndpoint`."""

    endpoint_name: pulumi.Input[str]
    """Endpoint name: part of the scoring URI, unique per region across Azure."""
    deployments: Sequence[ManagedOnlineDeploymentArgs]
    """The deployments behind the endpoint."""
    project_name: pulumi.Input[str]
    """Project (workspace) of the endpoint."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the project."""
    location: pulumi.Input[str]
    """Region of the project."""
    auth_mode: NotRequired[pulumi.Input[str]]
    """Key (default), AMLToken or AADToken; only Key gives keys to export."""
    public_network_access: NotRequired[pulumi.Input[str]]
    """Enabled (default) or Disabled: whether the scoring URI is reachable from public networks."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of the endpoint and its deployments."""


def _seconds(value: int) -> str:
    return f"PT{value}S"


class ManagedOnlineEndpoint(pulumi.ComponentResource):
    """An `OnlineEndpoint`, its `OnlineDeployment`s (kind Managed) and the traffic split between them."""

    resource_id: pulumi.Output[str]
    """Resource id of the online endpoint."""
    name: pulumi.Output[str]
    """Azure name of the endpoint."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the project."""
    scoring_uri: pulumi.Output[str]
    """The URL clients POST to."""
    primary_key: pulumi.Output[str] | None
    """Secret; None unless the endpoint uses key auth."""
    traffic: pulumi.Output[dict[str, int]]
    """The split as ARM reports it after the update."""
    deployment_ids: dict[str, pulumi.Output[str]]
    """Deployment name -> resource id of the online deployment (what its metrics are emitted by)."""

    def __init__(self, name: str, args: ManagedOnlineEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            type_token("ManagedOnlineEndpoint"),
            name,
            None,
            component_options(opts, "llama-on-azure:ai:ManagedOnlineEndpoint"),
        )
        settings = self._endpoint_settings(args)
        endpoint = ml.OnlineEndpoint(
            f"{name}-endpoint",
            endpoint_name=args["endpoint_name"],
            workspace_name=args["project_name"],
            resource_group_name=args["resource_group_name"],
            **settings,
            # The split belongs to the EndpointTraffic resource below; what ARM reports is not a diff.
            opts=named_child(self, ignore_changes=["properties.traffic"]),
        )
        deployments = [self._deployment(name, args, endpoint, spec) for spec in args["deployments"]]
        traffic = EndpointTraffic(
            f"{name}-traffic",
            endpoint_id=endpoint.id,
            traffic={spec["name"]: spec["traffic"] for spec in args["deployments"]},
            # Every input of the endpoint: any change to it is a PUT by the Azure provider that resets the
            # split, so it is also a change of this resource, which then applies the split again.
            endpoint_settings=settings,
            opts=pulumi.ResourceOptions(parent=self, depends_on=deployments),
        )
        self.resource_id = endpoint.id
        self.name = endpoint.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.scoring_uri = endpoint.properties.apply(lambda p: p.scoring_uri if p else None)
        self.traffic = traffic.applied
        self.deployment_ids = {spec["name"]: d.id for spec, d in zip(args["deployments"], deployments, strict=True)}
        self.primary_key = None
        if args.get("auth_mode", ml.EndpointAuthMode.KEY) == ml.EndpointAuthMode.KEY:
            keys = ml.list_online_endpoint_keys_output(
                endpoint_name=endpoint.name,
                workspace_name=args["project_name"],
                resource_group_name=args["resource_group_name"],
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            self.primary_key = pulumi.Output.secret(keys.primary_key)
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "scoringUri": self.scoring_uri,
                "traffic": self.traffic,
                "deploymentIds": self.deployment_ids,
                "primaryKey": self.primary_key,
            }
        )

    @staticmethod
    def _endpoint_settings(args: ManagedOnlineEndpointArgs) -> dict[str, Any]:
        return {
            "location": args["location"],
            "identity": {"type": ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED},
            "properties": {
                "authMode": args.get("auth_mode", ml.EndpointAuthMode.KEY),
                "publicNetworkAccess": args.get("public_network_access", ml.PublicNetworkAccessType.ENABLED),
                "description": "Meta Llama on managed compute (llama-on-azure)",
            },
            "tags": args.get("tags") or {},
        }

    def _deployment(
        self, name: str, args: ManagedOnlineEndpointArgs, endpoint: ml.OnlineEndpoint, spec: ManagedOnlineDeploymentArgs
    ) -> ml.OnlineDeployment:
        timeout = _seconds(spec.get("request_timeout_seconds", 180))
        probe = ml.ProbeSettingsArgs(
            initial_delay=_seconds(spec.get("probe_initial_delay_seconds", 600)),
            period="PT10S",
            timeout="PT10S",
            failure_threshold=30,
            success_threshold=1,
        )
        collector = None
        if spec.get("data_collection"):
            enabled = ml.CollectionArgs(data_collection_mode=ml.DataCollectionMode.ENABLED, sampling_rate=1.0)
            collector = ml.DataCollectorArgs(collections={"model_inputs": enabled, "model_outputs": enabled})
        return ml.OnlineDeployment(
            f"{name}-{spec['name']}",
            deployment_name=spec["name"],
            endpoint_name=endpoint.name,
            workspace_name=args["project_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=ml.SkuArgs(name="Default", capacity=spec["instance_count"]),
            # Every field set explicitly: left out, the SDK fills in CPU-model defaults
            # (Standard_F4s_v2, a 5 s timeout, 10 s probes) that no LLM survives.
            properties=ml.ManagedOnlineDeploymentArgs(
                endpoint_compute_type="Managed",
                model=spec["model_id"],
                instance_type=spec["vm_sku"],
                scale_settings=ml.DefaultScaleSettingsArgs(scale_type="Default"),
                request_settings=ml.OnlineRequestSettingsArgs(
                    request_timeout=timeout,
                    max_concurrent_requests_per_instance=spec.get("max_concurrent_requests_per_instance", 1),
                    # Deprecated by Azure but still sent, and the SDK's 0.5 s would turn any
                    # queueing into 429s: a queued request may wait as long as it may run.
                    max_queue_wait=timeout,
                ),
                liveness_probe=probe,
                readiness_probe=probe,
                app_insights_enabled=True,
                egress_public_network_access=spec.get("egress_public_network_access"),
                data_collector=collector,
                environment_id=spec.get("environment_id"),
                environment_variables=spec.get("environment_variables"),
            ),
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
