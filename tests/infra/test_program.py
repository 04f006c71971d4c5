"""The program under the mock engine: what a shipped or crafted stack creates, in which order, what is secret."""

from collections import Counter

import pytest

from infra import naming
from tests.support.stacks import (
    CS,
    LLAMA33,
    ML,
    SHIPPED,
    hub_workspace,
    managed,
    project_workspace,
    run,
    serverless,
    shipped_config,
    stack_config,
    token,
)
from tools.engine import LlamaMocks, RunResult, masked, run_isolated

AZURE_TYPES = {
    "azure-native:resources:ResourceGroup": 1,
    "azure-native:storage:StorageAccount": 1,
    "azure-native:keyvault:Vault": 1,
    "azure-native:operationalinsights:Workspace": 1,
    "azure-native:applicationinsights:Component": 1,
    f"{ML}:Workspace": 2,
}
SUB_A = "11111111-1111-1111-1111-111111111111"
SUB_B = "22222222-2222-2222-2222-222222222222"


def custom_types(result: RunResult) -> Counter[str]:
    return Counter(r.type for r in result.registrations if r.custom)


def test_dev_creates_a_hub_a_project_and_one_serverless_endpoint():
    result = run("dev", shipped_config("dev"))
    assert result.error is None
    expected = Counter(AZURE_TYPES) + Counter({f"{ML}:MarketplaceSubscription": 1, f"{ML}:ServerlessEndpoint": 1})
    # ... and a Foundry resource with its project and one model deployment (tests/infra/kinds/test_foundry.py).
    expected += Counter({f"{CS}:Account": 1, f"{CS}:Project": 1, f"{CS}:Deployment": 1})
    # Monitoring (tests/infra/test_monitoring.py): a diagnostic setting on the Foundry resource, the hub, the project,
    # the key vault, the storage account and its four services; three alerts on the Foundry deployment.
    expected += Counter({DIAGNOSTIC: 9, "azure-native:monitor:MetricAlert": 3})
    assert custom_types(result) == expected
    assert not result.by_type("azure-native:containerregistry:Registry")


def test_prod_deploys_llama33_serverless_and_both_llamas_sold_by_azure_as_foundry_models():
    result = run("prod", shipped_config("prod"))
    assert result.error is None, result.error
    (subscription,) = result.by_type(f"{ML}:MarketplaceSubscription")
    assert subscription.inputs["properties"]["modelId"] == f"azureml://registries/azureml-meta/models/{LLAMA33}"
    assert {e.inputs["properties"]["modelSettings"]["modelId"] for e in result.by_type(f"{ML}:ServerlessEndpoint")} == {
        f"azureml://registries/azureml-meta/models/{LLAMA33}"
    }
    assert set(result.exports["endpoints"]) == {"chat", "llama33", "maverick"}
    assert not result.by_type(f"{ML}:OnlineDeployment"), "no managed compute for models sold by Azure"
    assert {e["auth"] for n, e in result.exports["endpoints"].items() if e["kind"] == "foundry"} == {"entra"}


def test_every_azure_resource_is_in_the_stack_region_and_tagged(shipped: RunResult):
    region = shipped.exports["region"]
    for reg in shipped.registrations:
        # A Marketplace subscription and a budget are proxy resources (no location, no tags); the traffic split is no
        # Azure resource.
        # A diagnostic setting is an extension of the resource it watches: no location, no tags of its own.
        proxies = (f"{ML}:MarketplaceSubscription", "azure-native:consumption:Budget", DIAGNOSTIC)
        if reg.type.startswith("azure-native:") and reg.type not in proxies:
            if reg.type.startswith(("azure-native:privatedns:", "azure-native:monitor:")):
                # Private DNS zones, metric alert rules and action groups are global.
                assert reg.inputs.get("location", "").lower() == "global", reg.name
            elif reg.type not in CHILDREN:
                assert reg.inputs.get("location") == region, reg.name
            if reg.type not in CHILDREN:
                assert reg.inputs["tags"]["environment"] == shipped.stack, reg.name
                assert reg.inputs["tags"]["managed-by"] == "pulumi"


# Children of another resource that have no location or tags of their own.
CHILDREN = {
    f"{CS}:Deployment",
    f"{CS}:RaiPolicy",
    f"{ML}:ManagedNetworkSettingsRule",
    "azure-native:network:Subnet",
    "azure-native:network:PrivateDnsZoneGroup",
    "azure-native:authorization:RoleAssignment",
    f"{ML}:ModelVersion",
    f"{ML}:EnvironmentVersion",
    "azure-native:storage:BlobContainer",
    "azure-native:storage:Blob",
    "azure-native:keyvault:Secret",
}
DIAGNOSTIC = "azure-native:monitor:DiagnosticSetting"


def test_hub_dependencies_have_secure_defaults(shipped: RunResult):
    account = shipped.one("azure-native:storage:StorageAccount").inputs
    assert account["enableHttpsTrafficOnly"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False
    assert account["kind"] == "StorageV2"
    vault = shipped.one("azure-native:keyvault:Vault").inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enableSoftDelete"] is True
    assert vault["tenantId"], "the key vault needs the tenant of the signed-in client"
    insights = shipped.one("azure-native:applicationinsights:Component")
    logs = shipped.one("azure-native:operationalinsights:Workspace")
    assert insights.inputs["workspaceResourceId"] == logs.id
    assert logs.urn in insights.dependencies


def test_prod_keeps_purge_protection_and_dev_turns_it_off_to_recreate():
    prod = run("prod", shipped_config("prod")).one("azure-native:keyvault:Vault").inputs["properties"]
    assert prod["enablePurgeProtection"] is True and prod["softDeleteRetentionInDays"] == 90
    dev = run("dev", shipped_config("dev")).one("azure-native:keyvault:Vault").inputs["properties"]
    # Azure takes true or nothing: off means the property is left out.
    assert "enablePurgeProtection" not in dev and dev["softDeleteRetentionInDays"] == 7


def test_hub_is_a_hub_workspace_wired_to_its_dependencies(shipped: RunResult):
    hub = hub_workspace(shipped)
    assert hub.inputs["identity"] == {"type": "SystemAssigned"}
    network = shipped_config(shipped.stack).get("llama-on-azure:network", {})
    hub_settings = shipped_config(shipped.stack).get("llama-on-azure:hub", {})
    assert hub.inputs["publicNetworkAccess"] == ("Disabled" if network.get("private") else "Enabled")
    isolation = hub_settings.get("isolationMode", "AllowInternetOutbound")
    assert hub.inputs["managedNetwork"]["isolationMode"] == isolation
    wired = {
        "storageAccount": "azure-native:storage:StorageAccount",
        "keyVault": "azure-native:keyvault:Vault",
        "applicationInsights": "azure-native:applicationinsights:Component",
    }
    for prop, type_ in wired.items():
        dependency = shipped.one(type_)
        assert hub.property_dependencies[prop] == [dependency.urn], prop
        assert hub.inputs[prop] == dependency.id, prop


def test_project_is_bound_to_the_hub_in_the_same_region(shipped: RunResult):
    hub, project = hub_workspace(shipped), project_workspace(shipped)
    assert project.inputs["hubResourceId"] == hub.id
    assert project.property_dependencies["hubResourceId"] == [hub.urn]
    assert project.inputs["location"] == hub.inputs["location"]
    assert project.inputs["identity"] == {"type": "SystemAssigned"}


def test_exports_name_the_hub_project_group_and_studio_link(shipped: RunResult):
    exports = shipped.exports
    hub, project = hub_workspace(shipped), project_workspace(shipped)
    assert exports["hubName"] == hub.inputs["workspaceName"]
    assert exports["projectName"] == project.inputs["workspaceName"]
    assert exports["hubId"] == hub.id
    assert exports["projectId"] == project.id
    assert (
        exports["resourceGroupName"] == shipped.one("azure-native:resources:ResourceGroup").inputs["resourceGroupName"]
    )
    assert exports["studioUrl"] == f"https://ai.azure.com/build/overview?wsid={exports['projectId']}"


def test_endpoint_keys_are_exported_only_as_a_secret(shipped: RunResult):
    keys = shipped.exports["endpointKeys"]
    assert set(keys) == {"secret"}, "endpointKeys must be a secret output"
    names = {e.inputs["name"] for e in shipped.by_type(f"{ML}:ServerlessEndpoint")}
    key_auth = {n for n, e in shipped.exports["endpoints"].items() if e["auth"] == "key"}
    assert set(keys["secret"]) == key_auth, "every key-auth endpoint has its key, and only those"
    plain = repr({k: v for k, v in shipped.exports.items() if k != "endpointKeys"})
    for key in keys["secret"].values():
        assert key not in plain
    listed = [i for i in shipped.invokes if i["token"] == f"{ML}:listServerlessEndpointKeys"]
    assert sorted(i["args"]["name"] for i in listed) == sorted(names)
    for reg in shipped.registrations:  # no key is handed to any resource in plain text
        for key in keys["secret"].values():
            assert key not in repr(masked(reg.inputs)) and key not in repr(masked(reg.outputs))


def test_prod_protects_the_group_hub_and_project_but_not_endpoints():
    result = run("prod", shipped_config("prod"))
    by_urn = {r.urn: r for r in result.registrations}

    def component_of(reg):
        while reg.parent in by_urn:
            reg = by_urn[reg.parent]
        return reg.type

    for reg in result.registrations:
        if not reg.custom:
            continue
        stateful = (token("AiHub"), token("AiProject"), token("FoundryResource"), token("FoundryProject"))
        expected = component_of(reg) in (*stateful, "azure-native:resources:ResourceGroup")
        assert reg.protect is expected, reg.name
    assert not any(r.protect for r in run("dev", shipped_config("dev")).registrations)


def test_every_child_is_parented_to_its_component(shipped: RunResult):
    components = {r.urn: r.type for r in shipped.registrations if not r.custom}
    for reg in shipped.registrations:
        if reg.custom and reg.type != "azure-native:resources:ResourceGroup":
            assert reg.parent in components, f"{reg.name} has no component parent"


def test_named_azure_resources_are_replaced_delete_before_create(shipped: RunResult):
    azure = [r for r in shipped.registrations if r.custom and r.type.startswith("azure-native:")]
    assert azure
    for reg in azure:
        assert reg.delete_before_replace, f"{reg.type} {reg.name}: azure-native refuses a second resource of one name"


def test_components_keep_the_urns_of_earlier_releases(shipped: RunResult):
    old = {
        token("AiHub"): "llama-on-azure:ai:Hub",
        token("AiProject"): "llama-on-azure:ai:Project",
        token("ServerlessEndpoint"): "llama-on-azure:ai:ServerlessEndpoint",
        token("ModelSubscription"): "llama-on-azure:ai:ModelSubscription",
    }
    for reg in shipped.registrations:
        if reg.type in old:
            assert {"type": old[reg.type], "parentUrn": ""} in [a.get("spec") for a in reg.aliases], reg.name
    group = shipped.one("azure-native:resources:ResourceGroup")
    assert {
        "name": "hub-rg",
        "parentUrn": f"urn:pulumi:{shipped.stack}::llama-on-azure::llama-on-azure:ai:Hub::hub",
    } in [a.get("spec") for a in group.aliases]


def test_names_follow_azure_rules(shipped: RunResult):
    rules = {
        "azure-native:storage:StorageAccount": naming.STORAGE_ACCOUNT,
        "azure-native:keyvault:Vault": naming.KEY_VAULT,
        "azure-native:resources:ResourceGroup": naming.RESOURCE_GROUP,
        "azure-native:operationalinsights:Workspace": naming.LOG_ANALYTICS,
        f"{ML}:Workspace": naming.WORKSPACE,
        f"{ML}:MarketplaceSubscription": naming.MARKETPLACE_SUBSCRIPTION,
        f"{ML}:ServerlessEndpoint": naming.SERVERLESS_ENDPOINT,
        f"{ML}:OnlineEndpoint": naming.ONLINE_ENDPOINT,
    }
    for type_, rule in rules.items():
        for reg in shipped.by_type(type_):
            assert rule.fullmatch(reg.outputs["name"]), f"{type_}: {reg.outputs['name']}"


def suffixed(result: RunResult) -> dict[str, str]:
    return {
        "storage": result.one("azure-native:storage:StorageAccount").inputs["accountName"],
        "vault": result.one("azure-native:keyvault:Vault").inputs["vaultName"],
        "hub": hub_workspace(result).inputs["workspaceName"],
        "project": project_workspace(result).inputs["workspaceName"],
        "endpoint": result.one(f"{ML}:ServerlessEndpoint").inputs["name"],
    }


def test_names_that_azure_blocks_or_shares_carry_the_stacks_stable_suffix():
    config = shipped_config("dev")
    first = suffixed(run("dev", config, subscription=SUB_A))
    again = suffixed(run("dev", dict(config), subscription=SUB_A, preview=True))
    other = suffixed(run("dev", config, subscription=SUB_B))
    assert first == again, "a re-run renames nothing"
    assert all(first[k] != other[k] for k in first), "another subscription's stack gets other names"
    suffix = first["storage"][-6:]
    assert all(name.endswith(suffix) for name in first.values())


def test_a_long_online_endpoint_name_is_cut_but_keeps_the_suffix():
    long = "a" + "b" * 30  # 31 characters: with "-" and 6 for the suffix, 38 > 32
    result = run(
        "dev",
        stack_config(
            deployments=[serverless("chat"), managed(long)],
            nameSuffix="abc123",
        ),
    )
    name = result.one(f"{ML}:OnlineEndpoint").inputs["endpointName"]
    assert len(name) == 32 and name.endswith("-abc123") and name.startswith("abbb")
    assert result.exports["endpoints"][long]["name"] == name, "the export keeps the config name as key"


def test_name_suffix_overrides_the_hash_even_when_all_digits():
    result = run("dev", stack_config(nameSuffix="123456"))
    assert result.error is None, result.error
    assert all(name.endswith("123456") for name in suffixed(result).values())


def test_any_stack_name_works_and_two_stack_names_never_share_an_environment():
    a, b = run("three-serverless", shipped_config("dev")), run("Staging.EU", shipped_config("dev"))
    assert a.error is None and b.error is None, (a.error, b.error)
    env_a, env_b = (r.one("azure-native:storage:StorageAccount").inputs["tags"]["environment"] for r in (a, b))
    assert naming.ENVIRONMENT.fullmatch(env_a) and naming.ENVIRONMENT.fullmatch(env_b) and env_a != env_b
    assert run("threeserverless", shipped_config("dev")).exports["resourceGroupName"] != a.exports["resourceGroupName"]


def test_existing_resource_group_is_used_not_created():
    result = run("dev", stack_config(hub={"resourceGroup": "rg-shared-ai"}))
    assert not result.by_type("azure-native:resources:ResourceGroup")
    in_group = [r for r in result.registrations if r.custom and r.type != DIAGNOSTIC]  # an extension: in its resource
    assert {r.inputs["resourceGroupName"] for r in in_group} == {"rg-shared-ai"}
    assert result.exports["resourceGroupName"] == "rg-shared-ai"


def test_hub_network_and_registry_settings_follow_config():
    result = run(
        "dev",
        stack_config(
            hub={
                "publicNetworkAccess": "Disabled",
                "isolationMode": "AllowOnlyApprovedOutbound",
                "containerRegistry": True,
            },
            network={"externalPrivateEndpoints": True},
        ),
    )
    hub = hub_workspace(result)
    assert hub.inputs["publicNetworkAccess"] == "Disabled"
    # Its dependencies are as closed as the hub.
    assert result.one("azure-native:storage:StorageAccount").inputs["publicNetworkAccess"] == "Disabled"
    assert result.one("azure-native:keyvault:Vault").inputs["properties"]["publicNetworkAccess"] == "Disabled"
    assert hub.inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    registry = result.one("azure-native:containerregistry:Registry")
    assert registry.inputs["adminUserEnabled"] is False
    assert registry.inputs["publicNetworkAccess"] == "Disabled"
    assert naming.CONTAINER_REGISTRY.fullmatch(registry.inputs["registryName"])
    assert hub.property_dependencies["containerRegistry"] == [registry.urn]


def test_region_display_name_is_accepted():
    result = run("dev", stack_config(**{"region": "East US 2", "azure-native:location": "East US 2"}))
    assert result.error is None
    assert result.exports["region"] == "eastus2"


def test_a_region_offering_the_model_is_accepted():
    result = run("dev", stack_config(**{"region": "westus3", "azure-native:location": "westus3"}))
    assert result.error is None, result.error
    assert hub_workspace(result).inputs["location"] == "westus3"


def test_a_declared_model_plans_with_a_warning_that_only_preflight_confirms_it():
    config = stack_config(
        deployments=[serverless("next", "Llama-5-Instruct")], models=[{"name": "Llama-5-Instruct", "api": "chat"}]
    )
    result = run("dev", config)
    assert result.error is None, result.error
    assert any("declared by the stack" in w and "preflight" in w for w in result.warnings)
    assert any("regions of 'Llama-5-Instruct' are not known" in w for w in result.warnings)


def test_runs_are_deterministic():
    # Like AVM's init-then-idem: two separate runs of one stack register the same names and inputs.
    first = run("dev", shipped_config("dev"))
    second = run_isolated("dev", shipped_config("dev"), preview=False, mock=LlamaMocks(preview=False))

    def registered(result):
        return sorted((r.urn, repr(r.inputs)) for r in result.registrations)

    assert registered(first) == registered(second)


@pytest.mark.parametrize("stack", SHIPPED)
def test_preview_leaves_azure_assigned_values_unknown(stack):
    result = run(stack, shipped_config(stack), preview=True)
    assert result.error is None
    for endpoint in result.exports["endpoints"].values():
        assert endpoint["url"] == "(known after apply)"
    assert result.exports["endpointKeys"] == {"secret": "(known after apply)"}
    assert not [i for i in result.invokes if i["token"] == f"{ML}:listServerlessEndpointKeys"]
