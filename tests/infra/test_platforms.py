"""infra.platforms: the shared resources, and the private path: each closed resource reached by a private endpoint."""

from catalog import network, rbac
from tests.support.stacks import CS, ML, foundry, run, scenario, serverless, stack_config
from tools.plan import creation_depth

PE = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
VNET, SUBNET = "azure-native:network:VirtualNetwork", "azure-native:network:Subnet"
RULE = f"{ML}:ManagedNetworkSettingsRule"
CLOSED = {  # type -> (where it says its public access, its private endpoint's group ids)
    "azure-native:storage:StorageAccount": ("publicNetworkAccess", {"blob", "file"}),
    "azure-native:keyvault:Vault": ("properties.publicNetworkAccess", {"vault"}),
    "azure-native:containerregistry:Registry": ("publicNetworkAccess", {"registry"}),
    f"{CS}:Account": ("properties.publicNetworkAccess", {"account"}),
}
LANDING = (
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-connectivity/providers/Microsoft.Network"
)
SUBNET_ID = f"{LANDING}/virtualNetworks/vnet-hub/subnets/snet-pe"


def private() -> object:
    result = run("private", scenario("private"))
    assert result.error is None, result.error
    return result


def lookup(inputs: dict, path: str):
    for part in path.split("."):
        inputs = inputs[part]
    return inputs


def endpoints_of(result) -> dict[str, list]:
    """Target URN -> the private endpoints whose connection names it (by property dependency)."""
    found: dict[str, list] = {}
    for pe in result.by_type(PE):
        for urn in pe.property_dependencies["privateLinkServiceConnections"]:
            found.setdefault(urn, []).append(pe)
    return found


def test_every_closed_resource_has_a_private_endpoint_per_group_in_its_zones():
    result = private()
    reached = endpoints_of(result)
    zone_names = {z.urn: z.inputs["privateZoneName"] for z in result.by_type(ZONE)}
    groups = {g.property_dependencies["privateEndpointName"][0]: g for g in result.by_type(ZONE_GROUP)}
    for type_, (path, wanted) in CLOSED.items():
        (resource,) = result.by_type(type_)
        assert lookup(resource.inputs, path) == "Disabled", type_
        pes = reached[resource.urn]
        assert {pe.inputs["privateLinkServiceConnections"][0]["groupIds"][0] for pe in pes} == wanted
        for pe in pes:
            group = pe.inputs["privateLinkServiceConnections"][0]["groupIds"][0]
            link = next(
                link for link in vars(network).values() if isinstance(link, network.PrivateLink) and group in link.zones
            )
            zone_urns = groups[pe.urn].property_dependencies["privateDnsZoneConfigs"]
            assert {zone_names[u] for u in zone_urns} == set(link.zones[group]["public"]), group
            assert pe.inputs["location"] == "swedencentral"
    hub = next(w for w in result.by_type(f"{ML}:Workspace") if w.inputs["kind"] == "Hub")
    assert hub.inputs["publicNetworkAccess"] == "Disabled" and hub.inputs["provisionNetworkNow"] is True
    assert {pe.inputs["privateLinkServiceConnections"][0]["groupIds"][0] for pe in reached[hub.urn]} == {"amlworkspace"}
    project = next(w for w in result.by_type(f"{ML}:Workspace") if w.inputs["kind"] == "Project")
    assert project.urn not in reached, "a hub's projects use the hub's private endpoint"
    (online,) = result.by_type(f"{ML}:OnlineEndpoint")
    assert online.inputs["properties"]["publicNetworkAccess"] == "Disabled"
    account = result.one(f"{CS}:Account").inputs["properties"]
    assert account["networkAcls"]["defaultAction"] == "Deny" and not account["networkAcls"].get("ipRules")


def test_the_stack_creates_its_network_the_zones_and_links_them():
    result = private()
    (vnet,) = result.by_type(VNET)
    (subnet,) = result.by_type(SUBNET)
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.60.0.0/16"]}
    assert subnet.inputs["addressPrefix"] == "10.60.1.0/24"
    assert subnet.inputs["privateEndpointNetworkPolicies"] == network.PRIVATE_ENDPOINT_POLICIES
    assert all(pe.inputs["subnet"]["id"] == subnet.id for pe in result.by_type(PE))
    zones, links = result.by_type(ZONE), result.by_type(LINK)
    assert len(zones) == len(links) == len({z.inputs["privateZoneName"] for z in zones})
    assert all(
        link.inputs["virtualNetwork"]["id"] == vnet.id and link.inputs["registrationEnabled"] is False for link in links
    )
    assert {z.inputs["location"] for z in zones} == {"global"}
    exported = result.exports["network"]
    assert exported["private"] is True and exported["subnetId"] == subnet.id and exported["virtualNetworkId"] == vnet.id
    assert set(exported["dnsZones"]) == {z.inputs["privateZoneName"] for z in zones}
    assert len(exported["privateEndpoints"]) == len(result.by_type(PE))


def test_the_hubs_managed_network_reaches_the_foundry_resource_with_the_approver_role():
    result = private()
    rules = {r.inputs["ruleName"]: r.inputs["properties"] for r in result.by_type(RULE)}
    account = result.one(f"{CS}:Account")
    assert rules["foundry"]["type"] == "PrivateEndpoint" and rules["foundry"]["category"] == "UserDefined"
    assert rules["foundry"]["destination"]["serviceResourceId"] == account.id
    assert rules["foundry"]["destination"]["subresourceTarget"] == "account"
    assert {rules[n]["destination"] for n in rules if n.startswith("fqdn-")} == {"pypi.org", "*.pythonhosted.org"}
    approvers = [
        a.inputs for a in result.by_type("azure-native:authorization:RoleAssignment")
        if a.inputs["roleDefinitionId"].endswith(rbac.NETWORK_APPROVER.id)
    ]  # fmt: skip
    assert [a["scope"] for a in approvers] == [account.id]
    assert approvers[0]["principalType"] == "ServicePrincipal"
    # No rule for the hub's own storage, key vault or registry: Azure adds those as required rules.
    assert set(rules) == {"foundry", "fqdn-pypi-org", "fqdn-any-pythonhosted-org"}


def test_in_the_landing_zone_the_stack_creates_endpoints_and_zone_groups_only():
    names = (
        "api.azureml.ms",
        "notebooks.azure.net",
        "blob.core.windows.net",
        "file.core.windows.net",
        "vaultcore.azure.net",
    )
    zones = {f"privatelink.{z}": f"{LANDING}/privateDnsZones/privatelink.{z}" for z in names}
    config = stack_config(
        network={"private": True, "subnetId": SUBNET_ID, "subnetRegion": "westeurope", "dnsZones": zones},
        deployments=[serverless("chat")],
    )
    result = run("dev", config)
    assert result.error is None, result.error
    assert not result.by_type(VNET) and not result.by_type(ZONE) and not result.by_type(LINK)
    pes = result.by_type(PE)
    assert len(pes) == 4 and {pe.inputs["subnet"]["id"] for pe in pes} == {SUBNET_ID}
    assert {pe.inputs["location"] for pe in pes} == {"westeurope"}, "a private endpoint lives in its subnet's region"
    used = {c["privateDnsZoneId"] for g in result.by_type(ZONE_GROUP) for c in g.inputs["privateDnsZoneConfigs"]}
    assert used == set(zones.values())
    assert "virtualNetworkId" not in result.exports["network"], "the network is the landing zone's"


def test_the_critical_path_of_a_private_stack_stays_flat_as_deployments_are_added():
    def longest(count: int) -> tuple[int, int]:
        config = stack_config(
            network={"private": True},
            deployments=[serverless(f"chat{i}", model) for i, model in enumerate(SERVERLESS[:count])]
            + [foundry("maverick")],
        )
        result = run("dev", config)
        assert result.error is None, result.error
        depth = creation_depth(result)
        return max(depth.values()), max(depth[pe.urn] for pe in result.by_type(PE))

    assert longest(1) == longest(len(SERVERLESS))


SERVERLESS = ("Llama-3.3-70B-Instruct", "Llama-3.2-1B-Instruct", "Llama-3.2-3B-Instruct")
