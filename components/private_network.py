"""A network for private endpoints: a virtual network, its private endpoint subnet, and the private DNS zones linked
to it, for a stack that has no landing zone to bring."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import network, privatedns

from catalog import network as catalog_network
from components.options import component_options, named_child, type_token


class PrivateNetworkArgs(TypedDict):
    """Inputs of a `PrivateNetwork`."""

    network_name: pulumi.Input[str]
    """Required. Name of the virtual network."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the network and the zones."""
    location: pulumi.Input[str]
    """Required. Region of the virtual network (zones and their links are global)."""
    address_space: pulumi.Input[str]
    """Required. The network's address range, e.g. 10.42.0.0/16."""
    subnet_prefix: pulumi.Input[str]
    """Required. The private endpoint subnet's range, inside the address space."""
    dns_zones: Sequence[str]
    """Required. The private DNS zones to create and link (privatelink.api.azureml.ms...)."""
    subnet_name: NotRequired[pulumi.Input[str]]
    """Optional. Name of the subnet (default snet-private-endpoints)."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of every resource."""


class PrivateNetwork(pulumi.ComponentResource):
    """A `VirtualNetwork`, its `Subnet`, a `PrivateZone` per zone and a `VirtualNetworkLink` from each zone to it."""

    resource_id: pulumi.Output[str]
    """Resource id of the virtual network."""
    name: pulumi.Output[str]
    """Name of the virtual network."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the network."""
    subnet_id: pulumi.Output[str]
    """Resource id of the private endpoint subnet."""
    dns_zone_ids: pulumi.Output[dict[str, str]]
    """Zone name -> resource id of the zone."""

    def __init__(self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("PrivateNetwork"), name, None, component_options(opts))
        tags = args.get("tags") or {}
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=args["network_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            address_space=network.AddressSpaceArgs(address_prefixes=[args["address_space"]]),
            tags=tags,
            # The subnet is its own resource: a subnets list here would fight it on every update.
            opts=named_child(self, ignore_changes=["subnets"]),
        )
        subnet = network.Subnet(
            f"{name}-subnet",
            subnet_name=args.get("subnet_name", "snet-private-endpoints"),
            virtual_network_name=vnet.name,
            resource_group_name=args["resource_group_name"],
            address_prefix=args["subnet_prefix"],
            private_endpoint_network_policies=network.VirtualNetworkPrivateEndpointNetworkPolicies(
                catalog_network.PRIVATE_ENDPOINT_POLICIES
            ),
            opts=named_child(self),
        )
        self.zone_ids: dict[str, pulumi.Output[str]] = {}
        """Zone name -> its id, one output each (what the private endpoints' zone groups take)."""
        for zone in args["dns_zones"]:
            label = zone.replace(".", "-")
            private_zone = privatedns.PrivateZone(
                f"{name}-{label}",
                private_zone_name=zone,
                resource_group_name=args["resource_group_name"],
                location="global",
                tags=tags,
                opts=named_child(self),
            )
            privatedns.VirtualNetworkLink(
                f"{name}-{label}-link",
                virtual_network_link_name=pulumi.Output.concat(vnet.name, "-link"),
                private_zone_name=private_zone.name,
                resource_group_name=args["resource_group_name"],
                location="global",
                virtual_network=privatedns.SubResourceArgs(id=vnet.id),
                registration_enabled=False,
                tags=tags,
                opts=named_child(self),
            )
            self.zone_ids[zone] = private_zone.id
        self.resource_id = vnet.id
        self.name = vnet.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.subnet_id = subnet.id
        self.dns_zone_ids = pulumi.Output.all(**self.zone_ids) if self.zone_ids else pulumi.Output.from_input({})
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "subnetId": self.subnet_id,
                "dnsZoneIds": self.dns_zone_ids,
            }
        )
