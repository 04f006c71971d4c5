"""A managed online endpoint with its deployments on GPU VMs, serving traffic as configured."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.catalog import LlamaModel, VmSku
from components.endpoint_traffic import EndpointTraffic


@dataclass
class ManagedDeploymentSpec:
    """One deployment of a `ManagedOnlineEndpoint`: a model version on `instance_count` VMs of one SKU."""

    name: str
    """Deployment name, unique within the endpoint."""
    model: LlamaModel
    """The Llama model served."""
    model_version: int
    """Registry version of the model."""
    vm_sku: VmSku
    """VM size of every instance; it must have a GPU with room for the model."""
    instance_count: int
    """Number of VMs; Microsoft recommends 3 or more in production."""
    traffic: int
    """Share of the endpoint's requests, in percent."""
    request_timeout_seconds: int = 180
    """Per request; generation is slow, so the 180 s maximum, as in Microsoft's Llama samples."""
    max_concurrent_requests_per_instance: int = 1
    """Requests an instance works on at once before the endpoint queues them."""
    probe_initial_delay_seconds: int = 600
    """Before the first liveness/readiness probe: a large model takes minutes to load."""
    data_collection: bool = False
    """Collect model inputs and outputs (the how-to's preview "inference data collection")."""
    egress_public_network_access: ml.EgressPublicNetworkAccessType = ml.EgressPublicNetworkAccessType.ENABLED
    """Whether the deployment may reach the internet (it pulls the model from the registry)."""


@dataclass
class ManagedOnlineEndpointArgs:
    """Inputs of a `ManagedOnlineEndpoint`."""

    endpoint_name: str
    """Endpoint name: part of the scoring URI, unique per region."""
    deployments: list[ManagedDeploymentSpec]
    """The deployments behind the endpoint; their traffic sums to 100."""
    project_name: pulumi.Input[str]
    """Project (workspace) of the endpoint."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the project."""
    location: str
    """Region of the project."""
    auth_mode: ml.EndpointAuthMode = ml.EndpointAuthMode.KEY
    """Key, AMLToken or AADToken; only Key gives keys to export."""
    public_network_access: ml.PublicNetworkAccessType = ml.PublicNetworkAccessType.ENABLED
    """Whether the scoring URI is reachable from public networks."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags of the endpoint and its deployments."""


def _seconds(value: int) -> str:
    return f"PT{value}S"


class ManagedOnlineEndpoint(pulumi.ComponentResource):
    """An `OnlineEndpoint`, its `OnlineDeployment`s (kind Managed) and the traffic split between them."""

    endpoint_name: pulumi.Output[str]
    scoring_uri: pulumi.Output[str]
    primary_key: pulumi.Output[str] | None
    """Secret; None unless the endpoint uses key auth."""
    traffic: pulumi.Output[dict[str, int]]

    def __init__(self, name: str, args: ManagedOnlineEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llama-on-azure:ai:ManagedOnlineEndpoint", name, None, opts)
        tags = dict(args.tags)
        endpoint = ml.OnlineEndpoint(
            f"{name}-endpoint",
            endpoint_name=args.endpoint_name,
            workspace_name=args.project_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            properties=ml.OnlineEndpointPropertiesArgs(
                auth_mode=args.auth_mode,
                public_network_access=args.public_network_access,
                description=f"Meta Llama on managed compute: {', '.join(d.model.name for d in args.deployments)}",
            ),
            tags=tags,
            # The split belongs to the EndpointTraffic resource below; what ARM reports is not a diff.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["properties.traffic"]),
        )

        deployments = []
        for spec in args.deployments:
            probe = ml.ProbeSettingsArgs(
                initial_delay=_seconds(spec.probe_initial_delay_seconds),
                period="PT10S",
                timeout="PT10S",
                failure_threshold=30,
                success_threshold=1,
            )
            collector = None
            if spec.data_collection:
                enabled = ml.CollectionArgs(data_collection_mode=ml.DataCollectionMode.ENABLED, sampling_rate=1.0)
                collector = ml.DataCollectorArgs(collections={"model_inputs": enabled, "model_outputs": enabled})
            deployments.append(
                ml.OnlineDeployment(
                    f"{name}-{spec.name}",
                    deployment_name=spec.name,
                    endpoint_name=endpoint.name,
                    workspace_name=args.project_name,
                    resource_group_name=args.resource_group_name,
                    location=args.location,
                    sku=ml.SkuArgs(name="Default", capacity=spec.instance_count),
                    # Every field set explicitly: left out, the SDK fills in CPU-model defaults
                    # (Standard_F4s_v2, a 5 s timeout, 10 s probes) that no LLM survives.
                    properties=ml.ManagedOnlineDeploymentArgs(
                        endpoint_compute_type="Managed",
                        model=spec.model.version_id(spec.model_version),
                        instance_type=spec.vm_sku.name,
                        scale_settings=ml.DefaultScaleSettingsArgs(scale_type="Default"),
                        request_settings=ml.OnlineRequestSettingsArgs(
                            request_timeout=_seconds(spec.request_timeout_seconds),
                            max_concurrent_requests_per_instance=spec.max_concurrent_requests_per_instance,
                            # Deprecated by Azure but still sent, and the SDK's 0.5 s would turn any
                            # queueing into 429s: a queued request may wait as long as it may run.
                            max_queue_wait=_seconds(spec.request_timeout_seconds),
                        ),
                        liveness_probe=probe,
                        readiness_probe=probe,
                        app_insights_enabled=True,
                        egress_public_network_access=spec.egress_public_network_access,
                        data_collector=collector,
                    ),
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )

        split = {spec.name: spec.traffic for spec in args.deployments}
        traffic = EndpointTraffic(
            f"{name}-traffic",
            endpoint_id=endpoint.id,
            traffic=split,
            endpoint_settings={
                "authMode": str(args.auth_mode.value),
                "publicNetworkAccess": str(args.public_network_access.value),
                "tags": tags,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=deployments),
        )

        self.endpoint_name = endpoint.name
        self.scoring_uri = endpoint.properties.apply(lambda p: p.scoring_uri if p else None)
        self.traffic = traffic.applied
        self.primary_key = None
        if args.auth_mode == ml.EndpointAuthMode.KEY:
            keys = ml.list_online_endpoint_keys_output(
                endpoint_name=endpoint.name,
                workspace_name=args.project_name,
                resource_group_name=args.resource_group_name,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            self.primary_key = pulumi.Output.secret(keys.primary_key)
        self.register_outputs(
            {
                "endpointName": self.endpoint_name,
                "scoringUri": self.scoring_uri,
                "traffic": self.traffic,
                "primaryKey": self.primary_key,
            }
        )
