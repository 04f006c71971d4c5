"""infra.config.network_rules: a private stack is private everywhere, and nothing is closed with no way in."""

import pytest

from infra.config.parse import parse_stack_config
from infra.config.types import ConfigError
from tests.support.config import TODAY, base, problems, resolved, warnings
from tests.support.stacks import foundry, managed, serverless

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-connectivity/providers/Microsoft.Network"
SUBNET = f"{SUB}/virtualNetworks/vnet-hub/subnets/snet-pe"
HUB_ZONES = (
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.file.core.windows.net",
    "privatelink.vaultcore.azure.net",
)
ACCOUNT_ZONES = (
    "privatelink.cognitiveservices.azure.com",
    "privatelink.openai.azure.com",
    "privatelink.services.ai.azure.com",
)
HUB = [serverless("chat")]
BOTH = [serverless("chat"), foundry("maverick")]


def zones(*names: str) -> dict[str, str]:
    return {name: f"{SUB}/privateDnsZones/{name}" for name in names}


def landing(**more) -> dict:
    return {"private": True, "subnetId": SUBNET, "dnsZones": zones(*HUB_ZONES)} | more


def one(found: list[str], *parts: str) -> str:
    matching = [p for p in found if all(part in p for part in parts)]
    assert len(matching) == 1, found
    return matching[0]


# Refused, each naming the key, the value and what is allowed.
@pytest.mark.parametrize(
    ("keys", "parts"),
    [
        (
            {"hub": {"publicNetworkAccess": "Disabled"}},
            ["llama-on-azure:hub.publicNetworkAccess: Disabled", "nothing could reach it", "network.private: true"],
        ),
        (
            {"foundry": {"publicNetworkAccess": "Disabled"}, "deployments": BOTH},
            ["llama-on-azure:foundry.publicNetworkAccess: Disabled", "externalPrivateEndpoints: true"],
        ),
        (
            {"network": {"private": True}, "hub": {"publicNetworkAccess": "Enabled"}},
            ["llama-on-azure:hub.publicNetworkAccess: Enabled contradicts", "network.private: true"],
        ),
        (
            {"network": {"private": True}, "foundry": {"networkAcls": {"ipRules": ["203.0.113.0/24"]}}},
            ["llama-on-azure:foundry.networkAcls.ipRules", "open public access"],
        ),
        (
            {"network": landing(subnetId=SUBNET.rsplit("/subnets/", 1)[0])},
            ["llama-on-azure:network.subnetId", "vnet-hub", "a subnet's resource id"],
        ),
        (
            {"network": landing(dnsZones=zones(*HUB_ZONES[:-1]))},
            ["llama-on-azure:network.dnsZones", "no resource id for privatelink.vaultcore.azure.net"],
        ),
        (
            {
                "network": landing(
                    dnsZones=zones(*HUB_ZONES[:-1])
                    | {"privatelink.vaultcore.azure.net": f"{SUB}/privateDnsZones/privatelink.blob.core.windows.net"}
                )
            },
            [
                "llama-on-azure:network.dnsZones.privatelink.vaultcore.azure.net",
                "is the zone 'privatelink.blob.core.windows.net'",
            ],
        ),
        (
            {"network": landing(dnsZones=zones(*HUB_ZONES, "privatelink.openai.azure.com"))},
            ["llama-on-azure:network.dnsZones.privatelink.openai.azure.com", "registers nothing in"],
        ),
        (
            {"network": {"private": True, "dnsZones": zones(*HUB_ZONES)}},
            ["llama-on-azure:network.dnsZones", "need the landing zone's subnet too"],
        ),
        (
            {"network": {"private": True, "addressSpace": "10.1.0.0/16", "subnetPrefix": "10.2.0.0/24"}},
            ["llama-on-azure:network.subnetPrefix: 10.2.0.0/24 is not inside", "10.1.0.0/16"],
        ),
        (
            {"network": {"private": True, "addressSpace": "8.8.0.0/16"}},
            ["llama-on-azure:network.addressSpace", "'8.8.0.0/16' is not a private (RFC 1918)"],
        ),
        (
            {"network": {"private": True, "addressSpace": "172.16.0.0/12"}},
            ["llama-on-azure:network.addressSpace", "overlaps 172.17.0.0/16"],
        ),
        (
            {"network": {"private": True, "outboundFqdns": ["pypi.org"]}},
            ["llama-on-azure:network.outboundFqdns", "AllowOnlyApprovedOutbound", "'AllowInternetOutbound'"],
        ),
        (
            {
                "network": {"private": True, "outboundFqdns": ["pypi..org"]},
                "hub": {"isolationMode": "AllowOnlyApprovedOutbound"},
            },
            ["llama-on-azure:network.outboundFqdns[0]", "a host name like pypi.org"],
        ),
        (
            {"network": {"subnetId": SUBNET}},
            ["llama-on-azure:network.subnetId: only for a private stack", "network.private: true"],
        ),
        (
            {"network": {"private": True, "subnetRegion": "mars-east"}},
            ["llama-on-azure:network.subnetRegion", "mars-east"],
        ),
        (
            {
                "network": {"private": True},
                "hub": {"containerRegistry": True},
                "deployments": [
                    managed(
                        "own",
                        "Llama-3.3-70B-Instruct",
                        vmSku="Standard_NC96ads_A100_v4",
                        weights={"uri": "azureml://datastores/weights/paths/llama/", "version": "1"},
                    )
                ],
            },
            ["llama-on-azure:deployments[0].container.image", "ACR Tasks cannot reach"],
        ),
    ],
    ids=[
        "hub closed, no way in",
        "foundry closed, no way in",
        "private but hub open",
        "private with ip rules",
        "a network id for a subnet",
        "a zone missing",
        "the id of another zone",
        "a zone the stack does not use",
        "zones without subnet",
        "subnet outside the network",
        "public range",
        "docker bridge",
        "fqdn rules need approved outbound",
        "bad fqdn",
        "network keys on a public stack",
        "unknown subnet region",
        "a private image build",
    ],
)
def test_each_dead_end_is_refused_naming_key_value_and_what_is_allowed(keys, parts):
    found = problems(base(**({"deployments": HUB} | keys)))
    one(found, *parts)


def test_every_network_mistake_at_once():
    found = problems(
        base(
            deployments=BOTH,
            hub={"publicNetworkAccess": "Enabled", "isolationMode": "AllowInternetOutbound"},
            foundry={"networkAcls": {"ipRules": ["203.0.113.0/24"]}},
            network=landing(dnsZones=zones(*HUB_ZONES[:2]), outboundFqdns=["pypi.org"]),
        )
    )
    assert len(found) == 4, found
    assert {p.split(":", 2)[1] for p in found} == {
        "hub.publicNetworkAccess",
        "foundry.networkAcls.ipRules",
        "network.dnsZones",
        "network.outboundFqdns",
    }


# Accepted, with what the plan should say.
def test_a_landing_zone_private_stack_resolves_its_links_and_zones():
    stack = resolved(base(deployments=BOTH, network=landing(dnsZones=zones(*HUB_ZONES, *ACCOUNT_ZONES))))
    assert stack.private and stack.public_access("Enabled") == "Disabled"
    assert {(resource, group) for resource, _, group in stack.private_links()} == {
        ("hub", "amlworkspace"),
        ("storage", "blob"),
        ("storage", "file"),
        ("vault", "vault"),
        ("foundry", "account"),
    }
    assert stack.dns_zones() == [*HUB_ZONES, *ACCOUNT_ZONES]
    assert stack.endpoint_region == "eastus2"


def test_zone_names_are_matched_without_case_and_the_subnet_region_is_where_endpoints_go():
    upper = {name.upper(): zone_id for name, zone_id in zones(*HUB_ZONES).items()}
    stack = resolved(base(deployments=HUB, network=landing(dnsZones=upper, subnetRegion="West Europe")))
    assert stack.endpoint_region == "westeurope"


def test_closed_by_the_landing_zone_is_a_warning_naming_what_the_plan_cannot_see():
    found = warnings(
        base(deployments=HUB, hub={"publicNetworkAccess": "Disabled"}, network={"externalPrivateEndpoints": True})
    )
    (warning,) = [w for w in found if "network." in w]  # beside it: serverless endpoints have nothing to monitor
    assert "network.externalPrivateEndpoints" in warning and "the offline plan cannot see" in warning


def test_fqdn_rules_warn_that_azure_runs_a_firewall_the_subscription_pays_for():
    keys = base(
        deployments=HUB,
        hub={"isolationMode": "AllowOnlyApprovedOutbound"},
        network={"private": True, "outboundFqdns": ["pypi.org", "*.pythonhosted.org"]},
    )
    assert any("Azure Firewall" in w for w in warnings(keys))


def test_a_registry_adds_its_zone_and_government_cloud_zones_are_its_own():
    keys = base(deployments=HUB, hub={"containerRegistry": True}, network={"private": True})
    assert "privatelink.azurecr.io" in resolved(keys).dns_zones()
    government = parse_stack_config(keys, "dev", TODAY, cloud="usgovernment")
    assert "privatelink.api.ml.azure.us" in government.dns_zones()
    assert all(not zone.endswith(".windows.net") for zone in government.dns_zones())


def test_a_cloud_with_no_documented_zone_for_a_resource_is_refused():
    keys = base(deployments=BOTH, network={"private": True})
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(keys, "dev", TODAY, cloud="china")
    one(
        raised.value.problems, "llama-on-azure:network.private", "china cloud", "account of Microsoft.CognitiveServices"
    )


def test_a_field_error_in_the_network_section_never_hides_its_rule_errors():
    # A malformed address space (a field error) and a contradiction with the hub (a rule error): two lines.
    keys = {"network": {"private": True, "addressSpace": "ten-dot"}, "hub": {"publicNetworkAccess": "Enabled"}}
    found = problems(base(deployments=HUB, **keys))
    assert len(found) == 2, found
    one(found, "llama-on-azure:network.addressSpace")
    one(found, "llama-on-azure:hub.publicNetworkAccess: Enabled contradicts")
