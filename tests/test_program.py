"""The program under the mock engine: what a shipped or crafted stack creates, in which order, what is secret."""

from __future__ import annotations

from collections import Counter

import pytest

from components import naming
from infra.tools.engine import RunResult
from infra.tools.plan import creation_depth
from tests.conftest import ML, run, serverless, shipped_config, stack_config

AZURE_TYPES = {
    "azure-native:resources:ResourceGroup": 1,
    "azure-native:storage:StorageAccount": 1,
    "azure-native:keyvault:Vault": 1,
    "azure-native:operationalinsights:Workspace": 1,
    "azure-native:applicationinsights:Component": 1,
    f"{ML}:Workspace": 2,
}


def custom_types(result: RunResult) -> Counter[str]:
    return Counter(r.type for r in result.registrations if r.custom)


def hub_workspace(result: RunResult):
    return next(r for r in result.by_type(f"{ML}:Workspace") if r.inputs["kind"] == "Hub")


def project_workspace(result: RunResult):
    return next(r for r in result.by_type(f"{ML}:Workspace") if r.inputs["kind"] == "Project")


def test_dev_creates_a_hub_a_project_and_one_serverless_endpoint():
    result = run("dev", shipped_config("dev"))
    assert result.error is None
    expected = Counter(AZURE_TYPES) + Counter({f"{ML}:MarketplaceSubscription": 1, f"{ML}:ServerlessEndpoint": 1})
    assert custom_types(result) == expected
    assert not result.by_type("azure-native:containerregistry:Registry")


def test_prod_creates_one_subscription_and_endpoint_per_model():
    result = run("prod", shipped_config("prod"))
    subscriptions = result.by_type(f"{ML}:MarketplaceSubscription")
    assert sorted(s.inputs["properties"]["modelId"] for s in subscriptions) == [
        "azureml://registries/azureml-meta/models/Meta-Llama-3-70B-Instruct",
        "azureml://registries/azureml-meta/models/Meta-Llama-3-8B",
    ]
    endpoints = {e.inputs["name"]: e for e in result.by_type(f"{ML}:ServerlessEndpoint")}
    assert set(endpoints) == {"chat70b", "base8b"}


def test_every_azure_resource_is_in_the_stack_region_and_tagged(shipped: RunResult):
    region = shipped.exports["region"]
    for reg in shipped.registrations:
        # A Marketplace subscription is a proxy resource (no location, no tags); the traffic split is no Azure resource.
        if reg.type.startswith("azure-native:") and reg.type != f"{ML}:MarketplaceSubscription":
            assert reg.inputs.get("location") == region, reg.name
            assert reg.inputs["tags"]["environment"] == shipped.stack, reg.name
            assert reg.inputs["tags"]["managed-by"] == "pulumi"


def test_hub_dependencies_have_secure_defaults(shipped: RunResult):
    account = shipped.one("azure-native:storage:StorageAccount").inputs
    assert account["enableHttpsTrafficOnly"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False
    assert account["kind"] == "StorageV2"
    vault = shipped.one("azure-native:keyvault:Vault").inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enableSoftDelete"] is True
    assert vault["enablePurgeProtection"] is True
    assert vault["tenantId"], "the key vault needs the tenant of the signed-in client"
    insights = shipped.one("azure-native:applicationinsights:Component")
    logs = shipped.one("azure-native:operationalinsights:Workspace")
    assert insights.inputs["workspaceResourceId"] == logs.id
    assert logs.urn in insights.dependencies


def test_hub_is_a_hub_workspace_wired_to_its_dependencies(shipped: RunResult):
    hub = hub_workspace(shipped)
    assert hub.inputs["identity"] == {"type": "SystemAssigned"}
    assert hub.inputs["publicNetworkAccess"] == "Enabled"
    assert hub.inputs["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"
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


def test_serverless_endpoint_settings(shipped: RunResult):
    for endpoint in shipped.by_type(f"{ML}:ServerlessEndpoint"):
        props = endpoint.inputs["properties"]
        assert props["authMode"] == "Key"
        assert props["contentSafety"] == {"contentSafetyStatus": "Enabled"}
        assert endpoint.inputs["sku"] == {"name": "Consumption"}
        assert props["modelSettings"]["modelId"].startswith("azureml://registries/azureml-meta/models/")
        assert "/versions/" not in props["modelSettings"]["modelId"]
        assert endpoint.inputs["workspaceName"] == project_workspace(shipped).inputs["workspaceName"]


def test_content_safety_can_be_turned_off_explicitly():
    result = run(
        "dev", stack_config(deployments=[serverless("chat8b", "Meta-Llama-3-8B-Instruct", contentSafety=False)])
    )
    endpoint = result.one(f"{ML}:ServerlessEndpoint")
    assert endpoint.inputs["properties"]["contentSafety"] == {"contentSafetyStatus": "Disabled"}


def test_creation_order_is_hub_then_project_then_subscription_then_endpoint(shipped: RunResult):
    hub, project = hub_workspace(shipped), project_workspace(shipped)
    for endpoint in shipped.by_type(f"{ML}:ServerlessEndpoint"):
        subscription = next(
            s
            for s in shipped.by_type(f"{ML}:MarketplaceSubscription")
            if s.inputs["properties"]["modelId"] == endpoint.inputs["properties"]["modelSettings"]["modelId"]
        )
        assert subscription.urn in endpoint.dependencies, "destroy must delete the endpoint before its subscription"
        assert project.urn in endpoint.dependencies
        assert project.urn in subscription.dependencies
        assert hub.urn in project.dependencies


THREE_MODELS = [
    serverless("chat8b", "Meta-Llama-3-8B-Instruct"),
    serverless("chat70b", "Meta-Llama-3-70B-Instruct"),
    serverless("base8b", "Meta-Llama-3-8B"),
]


def test_independent_endpoints_deploy_in_parallel():
    result = run("dev", stack_config(deployments=THREE_MODELS))
    endpoints = result.by_type(f"{ML}:ServerlessEndpoint")
    subscriptions = result.by_type(f"{ML}:MarketplaceSubscription")
    assert len(endpoints) == len(subscriptions) == 3
    siblings = {r.urn for r in endpoints + subscriptions}
    for endpoint in endpoints:
        others = siblings & set(endpoint.dependencies)
        assert len(others) == 1, f"{endpoint.name} waits for {others}"
    for subscription in subscriptions:
        assert not siblings & set(subscription.dependencies)


def test_longest_create_chain_stays_hub_dependencies_hub_project_subscription_endpoint():
    result = run("dev", stack_config(deployments=THREE_MODELS))
    depth = creation_depth(result)
    types = {r.urn: r.type for r in result.registrations}
    longest = max(depth.values())
    # resource group -> logs -> app insights -> hub -> project -> subscription -> endpoint
    assert longest == 7
    ends = [types[u] for u, d in depth.items() if d == longest]
    assert set(ends) == {f"{ML}:ServerlessEndpoint"}
    assert sorted(d for u, d in depth.items() if types[u] == f"{ML}:ServerlessEndpoint") == [7, 7, 7]


def test_exports_give_the_url_a_client_posts_to():
    result = run("prod", shipped_config("prod"))
    endpoints = result.exports["endpoints"]
    uris = {
        e.inputs["name"]: e.outputs["properties"]["inferenceEndpoint"]["uri"]
        for e in result.by_type(f"{ML}:ServerlessEndpoint")
    }
    assert endpoints["chat70b"] == {
        "kind": "serverless",
        "model": "Meta-Llama-3-70B-Instruct",
        "api": "chat",
        "url": uris["chat70b"].rstrip("/") + "/v1/chat/completions",
    }
    assert endpoints["base8b"]["api"] == "completions"
    assert endpoints["base8b"]["url"] == uris["base8b"].rstrip("/") + "/v1/completions"


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
    assert set(keys["secret"]) == set(shipped.exports["endpoints"]), "every key-auth endpoint has its key"
    plain = repr({k: v for k, v in shipped.exports.items() if k != "endpointKeys"})
    for key in keys["secret"].values():
        assert key not in plain
    listed = [i for i in shipped.invokes if i["token"] == f"{ML}:listServerlessEndpointKeys"]
    assert sorted(i["args"]["name"] for i in listed) == sorted(names)
    for reg in shipped.registrations:  # no key is handed to any resource in plain text
        for key in keys["secret"].values():
            assert key not in repr(reg.inputs)


def test_prod_protects_hub_and_project_but_not_endpoints():
    result = run("prod", shipped_config("prod"))
    by_urn = {r.urn: r for r in result.registrations}

    def component_of(reg):
        while reg.parent in by_urn:
            reg = by_urn[reg.parent]
        return reg.type

    for reg in result.registrations:
        if not reg.custom:
            continue
        expected = component_of(reg) in ("llama-on-azure:ai:Hub", "llama-on-azure:ai:Project")
        assert reg.protect is expected, reg.name
    assert not any(r.protect for r in run("dev", shipped_config("dev")).registrations)


def test_every_child_is_parented_to_its_component(shipped: RunResult):
    components = {r.urn: r.type for r in shipped.registrations if not r.custom}
    for reg in shipped.registrations:
        if reg.custom:
            assert reg.parent in components, f"{reg.name} has no component parent"


def test_names_follow_azure_rules(shipped: RunResult):
    rules = {
        "azure-native:storage:StorageAccount": naming.STORAGE_ACCOUNT,
        "azure-native:keyvault:Vault": naming.KEY_VAULT,
        "azure-native:resources:ResourceGroup": naming.RESOURCE_GROUP,
        "azure-native:operationalinsights:Workspace": naming.LOG_ANALYTICS,
        f"{ML}:Workspace": naming.WORKSPACE,
        f"{ML}:MarketplaceSubscription": naming.MARKETPLACE_SUBSCRIPTION,
    }
    for type_, rule in rules.items():
        for reg in shipped.by_type(type_):
            assert rule.fullmatch(reg.outputs["name"]), f"{type_}: {reg.outputs['name']}"


def test_global_names_are_stable_per_subscription_and_differ_between_subscriptions():
    config = shipped_config("dev")
    first = run("dev", config, subscription="11111111-1111-1111-1111-111111111111")
    again = run("dev", dict(config), subscription="11111111-1111-1111-1111-111111111111", preview=True)
    other = run("dev", config, subscription="22222222-2222-2222-2222-222222222222")

    def names(result):
        return {
            t: result.one(t).inputs[k]
            for t, k in (
                ("azure-native:storage:StorageAccount", "accountName"),
                ("azure-native:keyvault:Vault", "vaultName"),
            )
        }

    assert names(first) == names(again)
    assert all(a != b for a, b in zip(names(first).values(), names(other).values(), strict=True))


def test_name_suffix_overrides_the_hash():
    result = run("dev", stack_config(nameSuffix="abc123"))
    assert result.one("azure-native:storage:StorageAccount").inputs["accountName"].endswith("abc123")
    assert result.one("azure-native:keyvault:Vault").inputs["vaultName"].endswith("-abc123")


def test_existing_resource_group_is_used_not_created():
    result = run("dev", stack_config(hub={"resourceGroup": "rg-shared-ai"}))
    assert not result.by_type("azure-native:resources:ResourceGroup")
    assert {r.inputs["resourceGroupName"] for r in result.registrations if r.custom} == {"rg-shared-ai"}
    assert result.exports["resourceGroupName"] == "rg-shared-ai"


def test_hub_network_and_registry_settings_follow_config():
    result = run(
        "dev",
        stack_config(
            hub={
                "publicNetworkAccess": "Disabled",
                "isolationMode": "AllowOnlyApprovedOutbound",
                "containerRegistry": True,
            }
        ),
    )
    hub = hub_workspace(result)
    assert hub.inputs["publicNetworkAccess"] == "Disabled"
    assert hub.inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    registry = result.one("azure-native:containerregistry:Registry")
    assert registry.inputs["adminUserEnabled"] is False
    assert naming.CONTAINER_REGISTRY.fullmatch(registry.inputs["registryName"])
    assert hub.property_dependencies["containerRegistry"] == [registry.urn]


def test_region_display_name_is_accepted():
    result = run("dev", stack_config(**{"region": "East US 2", "azure-native:location": "East US 2"}))
    assert result.error is None
    assert result.exports["region"] == "eastus2"


def test_widened_serverless_regions_allow_another_region():
    result = run(
        "dev",
        stack_config(
            **{"region": "eastus", "azure-native:location": "eastus", "serverlessRegions": ["eastus2", "eastus"]}
        ),
    )
    assert result.error is None
    assert hub_workspace(result).inputs["location"] == "eastus"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_leaves_azure_assigned_values_unknown(stack):
    result = run(stack, shipped_config(stack), preview=True)
    assert result.error is None
    for endpoint in result.exports["endpoints"].values():
        assert endpoint["url"] == "(known after apply)"
    assert result.exports["endpointKeys"] == {"secret": "(known after apply)"}
    assert not [i for i in result.invokes if i["token"] == f"{ML}:listServerlessEndpointKeys"]
