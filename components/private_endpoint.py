"""A private endpoint of one resource's subresource, registered in its private DNS zones."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import network

from components.options import component_options, named_child, type_token


class PrivateEndpointArgs(TypedDict):
    """Inputs of a `PrivateEndpoint`."""

    endpoint_name: pulumi.Input[str]
    """Required. Name of the private endpoint (and, with `-nic`, of its network interface)."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the private endpoint."""
    location: pulumi.Input[str]
    """Required. Region of the subnet's virtual network: a private endpoint lives there, whatever the target's."""
    subnet_id: pulumi.Input[str]
    """Required. The subnet the endpoint takes an address in."""
    target_id: pulumi.Input[str]
    """Required. Resource id of what the endpoint reaches."""
    group_id: str
    """Required. The target's subresource (account, amlworkspace, blob, file, vault, registry)."""
    dns_zone_ids: Sequence[pulumi.Input[str]]
    """Required. The private DNS zones the endpoint's records go into (at most five)."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of the endpoint."""


class PrivateEndpoint(pulumi.ComponentResource):
    """A `PrivateEndpoint` with one connection, and the `PrivateDnsZoneGroup` that registers it in DNS."""

    resource_id: pulumi.Output[str]
    """Resource id of the private endpoint."""
    name: pulumi.Output[str]
    """Name of the private endpoint."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the private endpoint."""

    def __init__(self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("PrivateEndpoint"), name, None, component_options(opts))
        endpoint = network.PrivateEndpoint(
            f"{name}-endpoint",
            private_endpoint_name=args["endpoint_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            subnet=network.SubnetArgs(id=args["subnet_id"]),
            custom_network_interface_name=pulumi.Output.concat(args["endpoint_name"], "-nic"),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=args["endpoint_name"],
                    private_link_service_id=args["target_id"],
                    group_ids=[args["group_id"]],
                )
            ],
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
        network.PrivateDnsZoneGroup(
            f"{name}-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=endpoint.name,
            resource_group_name=args["resource_group_name"],
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(
                    name=pulumi.Output.from_input(zone).apply(lambda z: z.rsplit("/", 1)[-1].replace(".", "-")),
                    private_dns_zone_id=zone,
                )
                for zone in args["dns_zone_ids"]
            ],
            opts=named_child(self),
        )
        self.resource_id = endpoint.id
        self.name = endpoint.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
