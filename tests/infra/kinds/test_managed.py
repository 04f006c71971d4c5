"""Managed compute under the mock engine: online endpoint, deployments, traffic, keys, quota."""

import json
import shutil
from pathlib import Path

import pytest

from infra.config.parse import config_from_engine
from infra.kinds.managed import MANAGED, quota
from tests.support.cli import command
from tests.support.rest_oracle import check_resource
from tests.support.stacks import (
    LLAMA33,
    ML,
    SCENARIOS,
    managed,
    run,
    scenario,
    serverless,
    shipped_config,
    stack_config,
)
from tools.engine import stack_config_values

DYNAMIC = "pulumi-python:dynamic:Resource"


SHARED = [
    managed("blue", endpoint="llama2", traffic=70, instanceCount=2),
    managed("green", endpoint="llama2", traffic=30, vmSku="Standard_ND96amsr_A100_v4", modelVersion=10),
]


def test_a_managed_deployment_runs_the_configured_vm_sku_and_instance_count():
    result = run("managed", scenario("managed"))
    endpoint = result.one(f"{ML}:OnlineEndpoint")
    deployment = result.one(f"{ML}:OnlineDeployment")
    assert endpoint.inputs["endpointName"].startswith("llama33-")
    assert endpoint.inputs["properties"]["authMode"] == "Key"
    assert endpoint.inputs["identity"] == {"type": "SystemAssigned"}
    assert "traffic" not in endpoint.inputs["properties"], "traffic is set after the deployments exist"
    props = deployment.inputs["properties"]
    assert props["endpointComputeType"] == "Managed"
    assert props["model"] == f"azureml://registries/azureml-meta/models/{LLAMA33}/versions/4"
    assert props["instanceType"] == "Standard_NC96ads_A100_v4"
    assert deployment.inputs["sku"] == {"name": "Default", "capacity": 3}
    assert deployment.inputs["endpointName"] == endpoint.inputs["endpointName"]
    assert deployment.property_dependencies["endpointName"] == [endpoint.urn]


def test_llm_defaults_replace_the_sdk_cpu_defaults():
    deployment = run("managed", scenario("managed")).one(f"{ML}:OnlineDeployment").inputs["properties"]
    assert deployment["requestSettings"] == {
        "requestTimeout": "PT180S",
        "maxQueueWait": "PT180S",
        "maxConcurrentRequestsPerInstance": 1,
    }
    for probe in ("livenessProbe", "readinessProbe"):
        assert deployment[probe]["initialDelay"] == "PT600S"
        assert deployment[probe]["failureThreshold"] == 30
    assert deployment["egressPublicNetworkAccess"] == "Enabled"
    assert deployment["scaleSettings"] == {"scaleType": "Default"}
    assert "dataCollector" not in deployment


def test_operator_settings_reach_the_deployment():
    config = stack_config(
        deployments=[
            managed(
                "llama2",
                requestTimeoutSeconds=90,
                maxConcurrentRequestsPerInstance=4,
                probeInitialDelaySeconds=900,
                dataCollection=True,
                egressPublicNetworkAccess="Disabled",
                publicNetworkAccess="Disabled",
            )
        ],
        # Egress is a setting only where the hub has no managed network.
        hub={"isolationMode": "Disabled"},
    )
    result = run("dev", config)
    props = result.one(f"{ML}:OnlineDeployment").inputs["properties"]
    assert props["requestSettings"] == {
        "requestTimeout": "PT90S",
        "maxQueueWait": "PT90S",
        "maxConcurrentRequestsPerInstance": 4,
    }
    assert props["livenessProbe"]["initialDelay"] == "PT900S"
    assert props["egressPublicNetworkAccess"] == "Disabled"
    assert props["dataCollector"]["collections"] == {
        "model_inputs": {"dataCollectionMode": "Enabled", "samplingRate": 1},
        "model_outputs": {"dataCollectionMode": "Enabled", "samplingRate": 1},
    }
    assert result.one(f"{ML}:OnlineEndpoint").inputs["properties"]["publicNetworkAccess"] == "Disabled"
    for reg in result.registrations:
        if reg.type in (f"{ML}:OnlineEndpoint", f"{ML}:OnlineDeployment"):
            assert check_resource(reg.type, reg.inputs) == []


def test_a_lone_deployment_gets_all_traffic_after_it_exists():
    result = run("managed", scenario("managed"))
    traffic = result.one(DYNAMIC)
    endpoint = result.one(f"{ML}:OnlineEndpoint")
    deployment = result.one(f"{ML}:OnlineDeployment")
    assert traffic.inputs["traffic"] == {"llama33": 100}
    assert traffic.inputs["endpointId"] == endpoint.id
    assert deployment.urn in traffic.dependencies, "the split must wait for the deployment"
    assert endpoint.urn in traffic.dependencies
    assert result.exports["endpoints"]["llama33"]["deployments"]["llama33"]["traffic"] == 100


def test_shared_endpoint_hosts_several_deployments_with_the_configured_split():
    result = run("dev", stack_config(deployments=SHARED))
    assert len(result.by_type(f"{ML}:OnlineEndpoint")) == 1
    deployments = {d.inputs["deploymentName"]: d for d in result.by_type(f"{ML}:OnlineDeployment")}
    assert set(deployments) == {"blue", "green"}
    assert deployments["green"].inputs["properties"]["instanceType"] == "Standard_ND96amsr_A100_v4"
    assert deployments["green"].inputs["properties"]["model"].endswith(f"/{LLAMA33}/versions/10")
    assert deployments["blue"].inputs["sku"]["capacity"] == 2
    traffic = result.one(DYNAMIC)
    assert traffic.inputs["traffic"] == {"blue": 70, "green": 30}
    assert {d.urn for d in deployments.values()} <= set(traffic.dependencies)
    exported = result.exports["endpoints"]
    assert set(exported) == {"llama2"}
    assert exported["llama2"]["model"] == LLAMA33 and exported["llama2"]["api"] == "chat"
    assert set(result.exports["endpointKeys"]["secret"]) == {"llama2"}


def test_unset_share_of_a_shared_endpoint_is_zero():
    config = stack_config(
        deployments=[SHARED[0] | {"traffic": 100}, {k: v for k, v in SHARED[1].items() if k != "traffic"}]
    )
    assert run("dev", config).one(DYNAMIC).inputs["traffic"] == {"blue": 100, "green": 0}


def test_changing_the_split_only_changes_the_traffic_resource():
    before = run("dev", stack_config(deployments=SHARED))
    after = run("dev", stack_config(deployments=[SHARED[0] | {"traffic": 20}, SHARED[1] | {"traffic": 80}]))

    def inputs(result):
        return {r.urn: {k: v for k, v in r.inputs.items() if k != "__provider"} for r in result.registrations}

    a, b = inputs(before), inputs(after)
    assert a.keys() == b.keys()
    changed = [urn for urn in a if a[urn] != b[urn]]
    assert len(changed) == 1 and changed[0].endswith("::llama2-traffic")


def test_managed_endpoint_url_is_its_scoring_uri_and_key_is_secret():
    result = run("managed", scenario("managed"))
    endpoint = result.one(f"{ML}:OnlineEndpoint")
    exported = result.exports["endpoints"]["llama33"]
    assert exported["kind"] == "managed"
    assert exported["url"] == endpoint.outputs["properties"]["scoringUri"]
    keys = result.exports["endpointKeys"]["secret"]
    assert set(keys) == {"chat", "llama33"}
    listed = [i for i in result.invokes if i["token"] == f"{ML}:listOnlineEndpointKeys"]
    assert [i["args"]["endpointName"] for i in listed] == [endpoint.inputs["endpointName"]]
    assert keys["llama33"] not in json.dumps({k: v for k, v in result.exports.items() if k != "endpointKeys"})


def test_token_auth_exports_no_key():
    result = run("dev", stack_config(deployments=[managed("llama2", authMode="AMLToken")]))
    assert result.one(f"{ML}:OnlineEndpoint").inputs["properties"]["authMode"] == "AMLToken"
    assert result.exports["endpointKeys"] == {"secret": {}}
    assert not [i for i in result.invokes if i["token"] == f"{ML}:listOnlineEndpointKeys"]


def test_managed_deployments_may_use_any_region():
    config = stack_config(
        **{"region": "westeurope", "azure-native:location": "westeurope", "deployments": [managed("llama2")]}
    )
    result = run("dev", config)
    assert result.error is None
    assert result.one(f"{ML}:OnlineEndpoint").inputs["location"] == "westeurope"


def test_serverless_and_managed_deploy_side_by_side():
    config = stack_config(deployments=[serverless("chat"), managed("llama2")])
    result = run("dev", config)
    assert set(result.exports["endpoints"]) == {"chat", "llama2"}
    assert len(result.by_type(f"{ML}:MarketplaceSubscription")) == 1, (
        "managed compute needs no Marketplace subscription"
    )


def test_quota_counts_instances_times_vcpus_with_the_upgrade_reserve():
    config = stack_config(
        deployments=[
            managed("a100", instanceCount=3),  # 3 x 96, no reserve on A100
            # ceil(1.2 * instances) * cores [ml-quota-reserve]: the reserve is whole instances
            managed("t4small", "Small-1", vmSku="Standard_NC4as_T4_v3", instanceCount=2),  # ceil(2.4) = 3 x 4 = 12
            managed("t4large", "Small-1", vmSku="Standard_NC8as_T4_v3", instanceCount=1),  # ceil(1.2) = 2 x 8 = 16
        ],
        models=[
            {
                "name": "Small-1",
                "api": "chat",
                "version": "1",
                "allowedVmSkus": ["Standard_NC4as_T4_v3", "Standard_NC8as_T4_v3"],
            }
        ],
    )
    values, secret = stack_config_values(config)
    stack = config_from_engine(values, set(secret), "dev")
    needed = quota([(d.sku, d.config.instance_count) for d in stack.of(MANAGED)])
    assert needed == {"standardNCADSA100v4Family": 288, "standardNCASv3_T4Family": 28}


def test_plan_prints_the_quota_per_vm_family(project: Path):
    shutil.copy(SCENARIOS / "managed.yaml", project / "Pulumi.managed.yaml")
    done = command("plan", "--stack", "managed", "--skip-policies", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "vCPU quota the managed deployments need in swedencentral" in done.stdout
    assert "standardNCADSA100v4Family: 288 vCPUs" in done.stdout
    assert "llama33: 3 x Standard_NC96ads_A100_v4 (96 vCPUs)" in done.stdout
    as_json = command("plan", "--stack", "managed", "--format", "json", "--skip-policies", cwd=project)
    quota = json.loads(as_json.stdout)["quota"]
    assert quota == [
        {
            "region": "swedencentral",
            "family": "standardNCADSA100v4Family",
            "vcpus": 288,
            "deployments": ["llama33: 3 x Standard_NC96ads_A100_v4 (96 vCPUs)"],
        }
    ]


def _endpoint_and_traffic(config):
    result = run("dev", config)
    assert result.error is None, result.error
    return result.one(f"{ML}:OnlineEndpoint").inputs, result.one(DYNAMIC).inputs


def test_every_endpoint_input_is_carried_by_the_traffic_resource():
    # azure-native PUTs the whole endpoint on any change to it, and a PUT without traffic resets the split:
    # whatever the endpoint is given, the traffic resource is given too, so the same update re-applies the split.
    endpoint, traffic = _endpoint_and_traffic(stack_config(deployments=[managed("big")]))
    names = {"endpointName", "workspaceName", "resourceGroupName", "__provider"}
    carried = {k: v for k, v in endpoint.items() if k not in names}
    assert carried == traffic["endpointSettings"]


@pytest.mark.parametrize(
    "change",
    [
        {"deployments": [managed("big", authMode="AMLToken")]},
        {"deployments": [managed("big", publicNetworkAccess="Disabled")]},
        {"deployments": [managed("big")], "tags": {"owner": "someone-else"}},
    ],
    ids=["auth mode", "public network access", "tags"],
)
def test_a_change_to_the_endpoint_changes_the_traffic_resource_too(change):
    before = _endpoint_and_traffic(stack_config(deployments=[managed("big")]))
    after = _endpoint_and_traffic(stack_config(**change))
    assert before[0] != after[0], "the change reaches the endpoint"
    assert before[1]["endpointSettings"] != after[1]["endpointSettings"], "so the split is applied again"


def test_a_model_change_on_a_deployment_leaves_the_endpoint_alone():
    # Earlier releases named the models in the endpoint's description: a model change PUT the endpoint
    # and left its traffic at 0%.
    before = _endpoint_and_traffic(stack_config(deployments=[managed("big")]))
    after = _endpoint_and_traffic(stack_config(deployments=[managed("big", modelVersion=10)]))
    assert before[0] == after[0]


# Managed compute with the team's own weights.
OWN = {
    "name": "own",
    "kind": "managed",
    "model": LLAMA33,
    "vmSku": "Standard_NC96ads_A100_v4",
    "weights": {"uri": "azureml://datastores/workspaceblobstore/paths/llama/", "version": "2"},
}
REGISTRY_WITH_ACR = {"containerRegistry": True}


def own(**changes):
    return {**OWN, **changes}


def test_own_weights_are_registered_and_served_by_the_pinned_vllm_image():
    result = run("selfhost", shipped_config("selfhost"))
    assert result.error is None, result.error
    model = result.one(f"{ML}:ModelVersion")
    assert model.inputs["properties"]["modelUri"].startswith("azureml://datastores/workspaceblobstore/paths/")
    assert model.inputs["properties"]["modelType"] == "custom_model" and model.inputs["version"] == "1"
    environment = result.one(f"{ML}:EnvironmentVersion")
    props = environment.inputs["properties"]
    assert props["build"]["contextUri"].startswith("https://st") and props["build"]["dockerfilePath"] == "Dockerfile"
    routes = props["inferenceConfig"]
    assert routes["livenessRoute"] == routes["readinessRoute"] == {"path": "/health", "port": 8000}
    assert routes["scoringRoute"] == {"path": "/v1/chat/completions", "port": 8000}
    dockerfile = next(
        b for b in result.by_type("azure-native:storage:Blob") if b.inputs["blobName"].endswith("/Dockerfile")
    )
    assert environment.inputs["version"] in dockerfile.inputs["blobName"]
    assert set(environment.dependencies) >= {b.urn for b in result.by_type("azure-native:storage:Blob")}
    deployment = result.one(f"{ML}:OnlineDeployment").inputs["properties"]
    assert deployment["model"] == model.outputs.get("id") or deployment["model"].endswith(
        "/models/Llama-3.3-70B-Instruct/versions/1"
    )
    assert deployment["environmentId"].endswith(f"/environments/llama-serving/versions/{environment.inputs['version']}")
    assert deployment["environmentVariables"] == {
        "LLAMA_SERVED_MODEL_NAME": LLAMA33,
        "LLAMA_TENSOR_PARALLEL_SIZE": "4",  # the four A100s of Standard_NC96ads_A100_v4, from the catalog
        "LLAMA_GPU_MEMORY_UTILIZATION": "0.9",
        "LLAMA_PORT": "8000",
        "LLAMA_MAX_MODEL_LEN": "32768",
    }
    for probe in ("livenessProbe", "readinessProbe"):
        assert deployment[probe]["initialDelay"] == "PT1800S", "weights are copied, then a 70B model loads"


def test_the_built_image_starts_from_the_catalogs_pin():
    from catalog import containers
    from infra.kinds.managed import build_files

    files = build_files()
    assert f"ARG VLLM_IMAGE={containers.VLLM.image}" in files["Dockerfile"]
    assert files["entrypoint.sh"].startswith("#!/usr/bin/env bash")


def test_own_weights_export_an_openai_endpoint_that_smoke_calls_with_the_served_name():
    result = run("selfhost", shipped_config("selfhost"))
    entry = result.exports["endpoints"]["selfhosted"]
    assert entry["servedModel"] == LLAMA33 and entry["deployments"]["selfhosted"]["weights"].startswith("azureml://")
    from infra.kinds import KINDS
    from infra.kinds.base import Protocol

    spec = KINDS["managed"].call(entry)
    assert spec.protocol is Protocol.OPENAI_V1 and spec.model == LLAMA33
    assert KINDS["managed"].call({**entry, "servedModel": None}).protocol is Protocol.SCORING


@pytest.mark.parametrize(
    ("asset", "expected"),
    [
        (
            "azureml://registries/my-registry/models/llama-ft/versions/3",
            "azureml://registries/my-registry/models/llama-ft/versions/3",
        ),
        ("azureml:llama-ft:3", "/models/llama-ft/versions/3"),
    ],
)
def test_a_model_version_that_exists_is_deployed_as_it_is(asset, expected):
    config = stack_config(hub=REGISTRY_WITH_ACR, deployments=[own(weights={"asset": asset})])
    result = run("dev", config)
    assert result.error is None, result.error
    assert not result.by_type(f"{ML}:ModelVersion")
    assert result.one(f"{ML}:OnlineDeployment").inputs["properties"]["model"].endswith(expected)


def test_a_prebuilt_image_needs_no_registry_and_uploads_nothing():
    config = stack_config(deployments=[own(container={"image": "myacr.azurecr.io/llama/vllm:1", "port": 8080})])
    result = run("dev", config)
    assert result.error is None, result.error
    assert not result.by_type("azure-native:storage:Blob")
    environment = result.one(f"{ML}:EnvironmentVersion").inputs["properties"]
    assert environment["image"] == "myacr.azurecr.io/llama/vllm:1" and "build" not in environment
    assert environment["inferenceConfig"]["scoringRoute"]["port"] == 8080


def test_two_deployments_of_one_serving_image_share_one_environment_version():
    config = stack_config(
        hub=REGISTRY_WITH_ACR,
        deployments=[own(name="blue", endpoint="shared", traffic=50), own(name="green", endpoint="shared", traffic=50)],
    )
    result = run("dev", config)
    assert result.error is None, result.error
    assert len(result.by_type(f"{ML}:EnvironmentVersion")) == 1 and len(result.by_type(f"{ML}:ModelVersion")) == 1


@pytest.mark.parametrize(
    ("deployments", "hub", "expected"),
    [
        ([own(weights=None, container={"port": 8000})], REGISTRY_WITH_ACR, "container: only with weights"),
        ([own()], {}, "needs the hub's container registry: set llama-on-azure:hub.containerRegistry: true"),
        ([own(container={"tensorParallel": 8})], REGISTRY_WITH_ACR, "8 GPUs, but Standard_NC96ads_A100_v4 has 4"),
        ([own(weights={"uri": "s3://bucket/llama"})], REGISTRY_WITH_ACR, "azureml://datastores/<datastore>/paths"),
        ([own(weights={"uri": OWN["weights"]["uri"], "asset": "azureml:x:1"})], REGISTRY_WITH_ACR, "one of them"),
        ([own(modelVersion=4)], REGISTRY_WITH_ACR, "modelVersion: only for a registry model"),
        (
            [
                own(name="alpha"),
                own(name="beta", weights={"uri": "azureml://datastores/other/paths/x/", "version": "2"}),
            ],
            REGISTRY_WITH_ACR,
            "'2' of Llama-3.3-70B-Instruct is registered from azureml://datastores/workspaceblobstore",
        ),
        (
            [own(name="alpha", endpoint="shared", traffic=50), managed("beta", endpoint="shared", traffic=50)],
            REGISTRY_WITH_ACR,
            "mixes deployments that answer the OpenAI API",
        ),
        ([own(vmSku="Standard_NC24ads_A100_v4")], REGISTRY_WITH_ACR, "needs about 140 GB of GPU memory"),
    ],
)
def test_own_weights_mistakes_are_refused_naming_the_key(deployments, hub, expected):
    from tests.support.config import base, problems

    found = problems(base(deployments=deployments, hub=hub))
    assert any(expected in p for p in found), found


def test_own_weights_of_a_model_sold_by_azure_plan_without_the_managed_offer_warning():
    from tests.support.config import base, warnings

    said = warnings(base(deployments=[own()], hub=REGISTRY_WITH_ACR))
    assert not any("managed compute" in w for w in said), said
    catalog = warnings(base(deployments=[managed("reg", modelVersion=4)]))
    assert any("Llama-3.3-70B-Instruct on managed compute" in w and "preflight" in w for w in catalog), catalog
