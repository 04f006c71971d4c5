"""The network's rules: a private stack is private everywhere, and no resource is closed with no way in."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from pydantic.alias_generators import to_camel

from catalog import sources
from infra.config.stack import dns_zones, private_links
from infra.config.types import ZONE_ID, key_for
from infra.kinds import Platform
from infra.kinds.base import guarded

if TYPE_CHECKING:
    from infra.config.rules import Rules

NET = "network"


def check(rules: Rules, platforms: set[Platform]) -> None:
    """Every rule of the network section against the sections it closes. A section with a key that failed is
    judged on its keys that validated: a rule reading the failed key stops (that key's error is reported)."""
    net, hub, foundry = rules.judged(NET), rules.judged("hub"), rules.judged("foundry")
    if net is not None:
        guarded(_either, rules, net, hub, foundry, platforms)


def _either(rules: Rules, net: Any, hub: Any, foundry: Any, platforms: set[Platform]) -> None:
    if net.private:
        _private(rules, net, hub, foundry, platforms)
    else:
        _public(rules, net, hub, foundry)


def _closed(hub: Any, foundry: Any) -> list[tuple[str, str]]:
    """(key, value) of every public network access the stack file turns off itself."""
    found = []
    if hub is not None and hub.public_network_access == "Disabled":
        found.append((key_for("hub", "publicNetworkAccess"), "Disabled"))
    if foundry is not None and foundry.public_network_access == "Disabled":
        found.append((key_for("foundry", "publicNetworkAccess"), "Disabled"))
    return found


def _public(rules: Rules, net: Any, hub: Any, foundry: Any) -> None:
    given = sorted(net.model_fields_set - {"private", "external_private_endpoints"})
    for field in given:
        alias = to_camel(field)
        rules.error(f"{key_for(NET, alias)}: only for a private stack; set {key_for(NET, 'private')}: true")
    closed = _closed(hub, foundry)
    if closed and not net.external_private_endpoints:
        for key, _ in closed:
            rules.error(
                f"{key}: Disabled, but nothing creates a private endpoint, so nothing could reach it: set "
                f"{key_for(NET, 'private')}: true (the stack creates them), or "
                f"{key_for(NET, 'externalPrivateEndpoints')}: true if the landing zone adds them (Azure Policy)"
            )
    elif closed:
        rules.warn(
            f"{key_for(NET, 'externalPrivateEndpoints')}: public access is off ({', '.join(k for k, _ in closed)}) and "
            "the stack creates no private endpoint: it relies on the landing zone's, which the offline plan cannot see"
        )


def _private(rules: Rules, net: Any, hub: Any, foundry: Any, platforms: set[Platform]) -> None:
    opened = [
        (key_for(section, "publicNetworkAccess"), value)
        for section, value in (("hub", hub), ("foundry", foundry))
        if value is not None
        and "public_network_access" in value.model_fields_set
        and value.public_network_access == "Enabled"
    ]
    for key, _ in opened:
        rules.error(f"{key}: Enabled contradicts {key_for(NET, 'private')}: true, which turns it off; remove the key")
    if foundry is not None and foundry.network_acls is not None and foundry.network_acls.ip_rules:
        rules.error(
            f"{key_for('foundry', 'networkAcls', 'ipRules')}: IP rules open public access, which "
            f"{key_for(NET, 'private')}: true turns off; remove them"
        )
    links = private_links(platforms, bool(hub is not None and hub.container_registry))
    missing = [f"{group} of {link.resource_type}" for _, link, group in links if rules.cloud not in link.zones[group]]
    if missing:
        rules.error(
            f"{key_for(NET, 'private')}: Microsoft documents no private DNS zone in the {rules.cloud} cloud for "
            f"{', '.join(missing)} [{sources.cite('private-endpoint-dns')}]"
        )
    _landing_zone(rules, net, dns_zones(links, rules.cloud))
    _outbound(rules, net, hub)


def _landing_zone(rules: Rules, net: Any, needed: list[str]) -> None:
    if net.subnet_id is None:
        if net.dns_zones:
            rules.error(
                f"{key_for(NET, 'dnsZones')}: central zones need the landing zone's subnet too; set "
                f"{key_for(NET, 'subnetId')} (or leave both out and the stack creates the network and its zones)"
            )
        _address_space(rules, net)
        return
    given = {name.lower(): (name, zone_id) for name, zone_id in net.dns_zones.items()}
    absent = [zone for zone in needed if zone.lower() not in given]
    if absent:
        rules.error(
            f"{key_for(NET, 'dnsZones')}: no resource id for {', '.join(absent)}; with {key_for(NET, 'subnetId')} "
            "the stack creates no zone: give the landing zone's for every zone its private endpoints register in"
        )
    for lower, (name, zone_id) in given.items():
        where = key_for(NET, "dnsZones", name)
        if lower not in {z.lower() for z in needed}:
            rules.error(f"{where}: the stack registers nothing in {name}; it needs: {', '.join(needed)}")
            continue
        actual = re.fullmatch(ZONE_ID, zone_id)
        zone = actual.group("zone") if actual else ""
        if zone.lower() != lower:
            rules.error(f"{where}: {zone_id!r} is the zone {zone!r}, not {name}: give the id of the {name} zone")


def _address_space(rules: Rules, net: Any) -> None:
    space, subnet = ipaddress.ip_network(net.address_space), ipaddress.ip_network(net.subnet_prefix)
    if not subnet.subnet_of(space):
        rules.error(
            f"{key_for(NET, 'subnetPrefix')}: {net.subnet_prefix} is not inside {key_for(NET, 'addressSpace')} "
            f"{net.address_space}"
        )


def _outbound(rules: Rules, net: Any, hub: Any) -> None:
    mode = hub.isolation_mode if hub is not None else None
    if net.outbound_fqdns and mode != "AllowOnlyApprovedOutbound":
        rules.error(
            f"{key_for(NET, 'outboundFqdns')}: FQDN rules need {key_for('hub', 'isolationMode')}: "
            f"AllowOnlyApprovedOutbound (it is {mode!r}); with AllowInternetOutbound every host is reachable already"
        )
    elif net.outbound_fqdns:
        rules.warn(
            f"{key_for(NET, 'outboundFqdns')}: Azure deploys an Azure Firewall in the hub's managed network for FQDN "
            f"rules, which the subscription pays for ({sources.cite('hub-managed-network')})"
        )
    if mode == "Disabled":
        rules.warn(
            f"{key_for('hub', 'isolationMode')}: Disabled in a private stack: the hub's compute (managed deployments) "
            "has no managed network to reach the private storage, key vault and registry through"
        )
