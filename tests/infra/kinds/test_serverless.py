"""kind: serverless under the mock engine: the endpoint, its Marketplace subscription, content safety, the order
they are created in and what the stack exports for applications."""

from catalog import sources
from tests.support.stacks import (
    LLAMA33,
    ML,
    RunResult,
    hub_workspace,
    project_workspace,
    run,
    serverless,
    shipped_config,
    stack_config,
)
from tools.plan import creation_depth


def declared(name: str) -> dict:
    return {"name": name, "api": "chat", "regions": ["eastus2"]}


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
    result = run("dev", stack_config(deployments=[serverless("chat", contentSafety=False)]))
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


# Three serverless models: only one Llama is offered serverless today, so two are declared by the stack.
THREE_MODELS = stack_config(
    deployments=[serverless("chat"), serverless("extra-one", "Llama-X-1"), serverless("extra-two", "Llama-X-2")],
    models=[declared("Llama-X-1"), declared("Llama-X-2")],
)


def test_independent_endpoints_deploy_in_parallel():
    result = run("dev", THREE_MODELS)
    assert result.error is None, result.error
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
    result = run("dev", THREE_MODELS)
    depth = creation_depth(result)
    types = {r.urn: r.type for r in result.registrations}
    longest = max(depth.values())
    # resource group -> logs -> app insights -> hub -> project -> subscription -> endpoint
    assert longest == 7
    ends = [types[u] for u, d in depth.items() if d == longest]
    assert set(ends) == {f"{ML}:ServerlessEndpoint"}
    assert sorted(d for u, d in depth.items() if types[u] == f"{ML}:ServerlessEndpoint") == [7, 7, 7]


def test_exports_give_the_url_a_client_posts_to_and_the_real_azure_name():
    result = run("prod", shipped_config("prod"))
    endpoint = result.one(f"{ML}:ServerlessEndpoint")
    uri = endpoint.outputs["properties"]["inferenceEndpoint"]["uri"]
    assert result.exports["endpoints"]["chat"] == {
        "kind": "serverless",
        "model": LLAMA33,
        "api": "chat",
        "url": uri.rstrip("/") + "/v1/chat/completions",
        "name": endpoint.inputs["name"],
        "auth": "key",
    }
    assert endpoint.inputs["name"] != "chat" and endpoint.inputs["name"].startswith("chat-")
    assert result.exports["catalogAsOf"] == sources.AS_OF.isoformat()
