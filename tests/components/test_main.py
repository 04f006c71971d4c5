"""The component package: its provider, started as the language host starts it, over the real provider gRPC protocol."""

import json
import subprocess
import typing
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from components.__main__ import COMPONENTS
from components.managed_endpoint import ManagedOnlineEndpoint
from infra import sdk_internals
from tests.support.stacks import ML, ROOT, token
from tools.engine import NAME_INPUTS

PLUGIN_DIR = ROOT / "components"
STACK, PROJECT = "dev", "consumer"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
HOSTED = {"AiHub", "AiProject", "ModelSubscription", "ServerlessEndpoint", "Access", "Budget", "PrivateNetwork"} | {
    "PrivateEndpoint",
    "FoundryResource", "FoundryProject", "ContentFilterPolicy", "FoundryModelDeployment"
} | {"LogAnalyticsWorkspace", "DiagnosticSettings", "MetricAlerts", "ActionGroup", "KeyVaultSecret"}  # fmt: skip
SETS = {"DiagnosticSettings": {"resourceIds", "name"}, "MetricAlerts": {"resourceIds", "names", "resourceGroupName"}}
"""Components that hold several resources of one kind: their ids as a list (a diagnostic setting is an extension of
the resource it watches, in no resource group of its own)."""
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
GROUP = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-llama-dev"


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The engine's resource monitor: records registrations, answers like a successful `pulumi up`."""

    def __init__(self) -> None:
        self.registrations: list[Any] = []
        self.invokes: list[str] = []

    def GetDeploymentInfo(self, request, context):
        features = ("SECRETS", "RESOURCE_REFERENCES", "OUTPUT_VALUES", "ALIAS_SPECS", "DELETED_WITH")
        return resource_pb2.DeploymentInfo(
            project=PROJECT,
            stack=STACK,
            supportedFeatures=[getattr(resource_pb2, f"RESOURCE_MONITOR_FEATURE_{f}") for f in features],
        )

    def RegisterResource(self, request, context):
        self.registrations.append(request)
        # A URN's type is qualified by its parents' types, the root stack's excepted.
        parent_type = request.parent.split("::")[2] + "$" if request.parent not in ("", STACK_URN) else ""
        urn = f"urn:pulumi:{STACK}::{PROJECT}::{parent_type}{request.type}::{request.name}"
        state = struct_pb2.Struct()
        state.CopyFrom(request.object)
        if not request.custom:
            return resource_pb2.RegisterResourceResponse(urn=urn, object=state)
        inputs = json_format.MessageToDict(request.object)
        name = inputs.get(NAME_INPUTS.get(request.type, "name"), request.name)
        state.update({"name": name})
        if request.type == f"{ML}:ServerlessEndpoint":
            state.update({"properties": {**inputs["properties"], "inferenceEndpoint": {"uri": f"https://{name}/"}}})
        kind = request.type.rsplit(":", 1)[1]
        return resource_pb2.RegisterResourceResponse(urn=urn, id=f"{GROUP}/{kind}/{name}", object=state)

    def RegisterResourceOutputs(self, request, context):
        return empty_pb2.Empty()

    def Invoke(self, request, context):
        self.invokes.append(request.tok)
        result = struct_pb2.Struct()
        result.update({"primaryKey": "primary-key-value", "secondaryKey": "secondary-key-value"})
        return resource_pb2.ResourceInvokeResponse(**{"return": result})


class Engine(engine_pb2_grpc.EngineServicer):
    def Log(self, request, context):
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=STACK_URN)

    def SetRootResource(self, request, context):
        return engine_pb2.SetRootResourceResponse()


class Package:
    """The provider process and the mock engine it calls back."""

    def __init__(self, provider: Any, monitor: Monitor, address: str) -> None:
        self.provider, self.monitor, self.address = provider, monitor, address

    def construct(self, type_: str, name: str, inputs: dict[str, Any], deps: dict[str, list[str]] | None = None):
        """Construct one component; returns (urn, state as plain values, its registrations)."""
        first = len(self.monitor.registrations)
        request = provider_pb2.ConstructRequest(
            project=PROJECT,
            stack=STACK,
            dryRun=False,
            monitorEndpoint=self.address,
            type=type_,
            name=name,
            parent=STACK_URN,
            config={"consumer:region": "eastus2"},
            inputDependencies={
                k: provider_pb2.ConstructRequest.PropertyDependencies(urns=v) for k, v in (deps or {}).items()
            },
        )
        request.inputs.update(inputs)
        response = self.provider.Construct(request, timeout=60)
        state = json_format.MessageToDict(response.state)
        return response.urn, state, self.monitor.registrations[first:]


def plugin_python() -> Path:
    """The interpreter the language host runs the plugin with: PulumiPlugin.yaml's virtualenv, from the plugin dir."""
    options = yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text())["runtime"]["options"]
    return PLUGIN_DIR / options["virtualenv"] / "bin" / "python"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> typing.Iterator[Package]:
    monitor = Monitor()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    engine_pb2_grpc.add_EngineServicer_to_server(Engine(), server)
    address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    server.start()
    # As pulumi-language-python's RunPlugin: `<venv python> <plugin dir> <engine address>`, in the program's folder.
    proc = subprocess.Popen(
        [str(plugin_python()), str(PLUGIN_DIR), address],
        cwd=tmp_path_factory.mktemp("consumer"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not port.isdigit():
            proc.kill()
            pytest.fail(f"the provider did not start: {port!r} {proc.communicate(timeout=10)[1]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield Package(provider_pb2_grpc.ResourceProviderStub(channel), monitor, address)
        channel.close()
    finally:
        proc.kill()
        proc.wait(10)
        server.stop(0)


@pytest.fixture(scope="module")
def schema(package: Package) -> dict[str, Any]:
    return json.loads(package.provider.GetSchema(provider_pb2.GetSchemaRequest()).schema)


def test_the_plugin_runs_in_the_project_venv():
    assert plugin_python().resolve() == (ROOT / ".venv" / "bin" / "python").resolve()


def test_the_schema_has_one_token_per_hosted_component(package: Package, schema: dict[str, Any]):
    assert schema["name"] == "llama-on-azure"
    assert set(schema["resources"]) == {token(name) for name in HOSTED}
    assert {c.__name__ for c in COMPONENTS} == HOSTED
    assert token("ManagedOnlineEndpoint") not in schema["resources"], "its dynamic resource cannot run elsewhere"
    assert ManagedOnlineEndpoint not in COMPONENTS
    info = package.provider.GetPluginInfo(empty_pb2.Empty())
    assert info.version == "0.1.0"


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_inputs_are_the_args_with_descriptions(schema: dict[str, Any], component: type):
    resource = schema["resources"][token(component.__name__)]
    assert resource["isComponent"] is True
    assert resource["description"] == component.__doc__.strip()
    args = typing.get_type_hints(component.__init__)["args"]
    assert set(resource["inputProperties"]) == {camel(k) for k in args.__annotations__}
    assert set(resource.get("requiredInputs", [])) == {camel(k) for k in args.__required_keys__}
    for name, prop in {**resource["inputProperties"], **resource["properties"]}.items():
        assert prop.get("description"), f"{component.__name__}.{name} has no description"
    if component.__name__ in SETS:
        assert SETS[component.__name__] <= set(resource["properties"])
    elif component.__name__ != "Access":
        assert {"resourceId", "name", "resourceGroupName"} <= set(resource["properties"])


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(w[:1].upper() + w[1:] for w in rest)


@pytest.fixture(scope="module")
def serverless_path(package: Package) -> dict[str, Any]:
    """AiHub -> AiProject -> ModelSubscription -> ServerlessEndpoint, each output passed on as the engine does."""
    tags = {"owner": "platform-team"}
    hub_urn, hub, hub_regs = package.construct(
        token("AiHub"),
        "hub",
        {
            "hubName": "hub-llama-dev",
            "resourceGroupName": "rg-llama-dev",
            "location": "eastus2",
            "tenantId": "00000000-0000-0000-0000-000000000001",
            "storageAccountName": "stllamadev123456",
            "keyVaultName": "kv-llama-dev-123456",
            "logAnalyticsName": "log-llama-dev",
            "applicationInsightsName": "appi-llama-dev",
            "logRetentionDays": 90,
            "keyVaultRetentionDays": 7,
            "tags": tags,
        },
    )
    project_urn, project, project_regs = package.construct(
        token("AiProject"),
        "project",
        {"projectName": "proj-llama-dev", "hubId": hub["resourceId"], "resourceGroupName": "rg-llama-dev",
         "location": "eastus2", "tags": tags},
        {"hubId": [hub_urn]},
    )  # fmt: skip
    model = "azureml://registries/azureml-meta/models/Llama-3.3-70B-Instruct"
    where = {"projectName": project["name"], "resourceGroupName": "rg-llama-dev"}
    sub_urn, sub, sub_regs = package.construct(
        token("ModelSubscription"),
        "chat-sub",
        {"subscriptionName": "Llama-3.3-70B-Instruct", "modelId": model, **where},
        {"projectName": [project_urn]},
    )
    endpoint_urn, endpoint, endpoint_regs = package.construct(
        token("ServerlessEndpoint"),
        "chat",
        {"endpointName": "chat-llama-dev", "modelId": model, "location": "eastus2", "tags": tags,
         "marketplaceSubscriptionId": sub["resourceId"], **where},
        {"marketplaceSubscriptionId": [sub_urn], "projectName": [project_urn]},
    )  # fmt: skip
    return {
        "hub": (hub_urn, hub, hub_regs),
        "project": (project_urn, project, project_regs),
        "subscription": (sub_urn, sub, sub_regs),
        "endpoint": (endpoint_urn, endpoint, endpoint_regs),
    }


def _inputs(request: Any) -> dict[str, Any]:
    return json_format.MessageToDict(request.object)


def test_each_component_registers_under_its_token_with_the_old_token_as_alias(serverless_path):
    old = {"hub": "Hub", "project": "Project", "subscription": "ModelSubscription", "endpoint": "ServerlessEndpoint"}
    for key, (urn, _, regs) in serverless_path.items():
        component = regs[0]
        assert not component.custom and component.parent == STACK_URN
        assert urn.endswith(f"::{component.type}::{component.name}")
        specs = [json_format.MessageToDict(a).get("spec", {}) for a in component.aliases]
        assert f"llama-on-azure:ai:{old[key]}" in [s.get("type") for s in specs], "existing stacks keep their URNs"


def test_children_are_parented_named_and_replaced_delete_before_create(serverless_path):
    expected = {
        "hub": {"azure-native:storage:StorageAccount", "azure-native:keyvault:Vault", f"{ML}:Workspace",
                "azure-native:operationalinsights:Workspace", "azure-native:applicationinsights:Component"},
        "project": {f"{ML}:Workspace"},
        "subscription": {f"{ML}:MarketplaceSubscription"},
        "endpoint": {f"{ML}:ServerlessEndpoint"},
    }  # fmt: skip
    for key, (urn, _, regs) in serverless_path.items():
        children = [r for r in regs[1:] if r.custom]
        assert {r.type for r in children} == expected[key], key
        for child in children:
            assert child.parent == urn, f"{child.type} {child.name}"
            assert child.deleteBeforeReplace and child.deleteBeforeReplaceDefined, f"{child.type} {child.name}"


def test_inputs_arrive_as_the_consumer_gave_them(serverless_path):
    _, hub, hub_regs = serverless_path["hub"]
    by_type = {r.type: _inputs(r) for r in hub_regs[1:]}
    assert by_type["azure-native:operationalinsights:Workspace"]["retentionInDays"] == 90
    assert by_type["azure-native:keyvault:Vault"]["properties"]["softDeleteRetentionInDays"] == 7
    assert by_type["azure-native:storage:StorageAccount"]["accountName"] == "stllamadev123456"
    assert all(inputs["tags"] == {"owner": "platform-team"} for inputs in by_type.values())
    _, _, project_regs = serverless_path["project"]
    workspace = _inputs(project_regs[1])
    assert workspace["hubResourceId"] == hub["resourceId"] and workspace["kind"] == "Project"
    _, _, endpoint_regs = serverless_path["endpoint"]
    endpoint = _inputs(endpoint_regs[1])
    assert endpoint["name"] == "chat-llama-dev" and endpoint["workspaceName"] == "proj-llama-dev"
    assert endpoint["properties"]["modelSettings"]["modelId"].endswith("/Llama-3.3-70B-Instruct")
    assert endpoint["properties"]["contentSafety"] == {"contentSafetyStatus": "Enabled"}


def test_the_endpoint_waits_for_the_marketplace_subscription(serverless_path):
    sub_urn, _, _ = serverless_path["subscription"]
    _, _, endpoint_regs = serverless_path["endpoint"]
    endpoint = next(r for r in endpoint_regs if r.type == f"{ML}:ServerlessEndpoint")
    assert sub_urn in endpoint.dependencies, "created after the subscription, deleted before it"
    _, _, hub_regs = serverless_path["hub"]
    assert not any(sub_urn in r.dependencies for r in hub_regs)


def test_outputs_come_back_with_keys_as_secrets(serverless_path):
    _, endpoint, _ = serverless_path["endpoint"]
    assert endpoint["inferenceUri"] == "https://chat-llama-dev/"
    assert endpoint["name"] == "chat-llama-dev"
    for key in ("primaryKey", "secondaryKey"):
        assert isinstance(endpoint[key], dict), f"{key} comes back in plain text"
        assert endpoint[key].get(sdk_internals.SECRET_SIG_KEY) == sdk_internals.SECRET_SIG, key
    assert endpoint["primaryKey"]["value"] == "primary-key-value"
    assert "primary-key-value" not in json.dumps({k: v for k, v in endpoint.items() if k != "primaryKey"})


EARLIER_WRITE = f"urn:pulumi:{STACK}::{PROJECT}::llama-on-azure:index:ContentFilterPolicy::x"


def test_a_foundry_model_deployment_through_the_package(package: Package):
    account_urn, account, account_regs = package.construct(
        token("FoundryResource"),
        "foundry",
        {"accountName": "ais-llama-dev-123456", "resourceGroupName": "rg-llama-dev", "location": "eastus2"},
    )
    assert [r.type for r in account_regs[1:] if r.custom] == ["azure-native:cognitiveservices:Account"]
    deployment_urn, deployment, regs = package.construct(
        token("FoundryModelDeployment"),
        "maverick",
        {"deploymentName": "maverick", "accountName": account["name"], "resourceGroupName": "rg-llama-dev",
         "modelName": "Llama-4-Maverick-17B-128E-Instruct-FP8", "modelVersion": "1",
         "deploymentType": "GlobalStandard", "capacity": 10, "afterId": f"{account['resourceId']}/raiPolicies/x"},
        {"accountName": [account_urn], "afterId": [EARLIER_WRITE]},
    )  # fmt: skip
    (child,) = [r for r in regs if r.custom]
    inputs = _inputs(child)
    assert child.type == "azure-native:cognitiveservices:Deployment" and child.deleteBeforeReplace
    assert child.parent == deployment_urn
    assert {account_urn, EARLIER_WRITE} <= set(child.dependencies), "one write on the account at a time"
    assert inputs["sku"] == {"name": "GlobalStandard", "capacity": 10}
    assert inputs["properties"]["model"] == {"format": "Meta", "name": "Llama-4-Maverick-17B-128E-Instruct-FP8",
                                             "version": "1"}  # fmt: skip
    assert deployment["name"] == "maverick"
