"""Run the real program under Pulumi's mock engine and record what it registers."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import multiprocessing
import runpy
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc

from catalog.tokens import ML_TYPES as _ML
from clients.redact import SECRET
from infra import sdk_internals
from infra.config.types import ENCRYPTED, NAMESPACE
from tools.render import UNKNOWN
from tools.stack_file import SecretText

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROGRAM_DIR = PROJECT_ROOT / "infra"
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_TENANT = "00000000-0000-0000-0000-000000000001"

# The input that carries each type's physical name (the provider echoes it as the `name` output),
# and the ARM resource type behind each token, for realistic ids.
NAME_INPUTS = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:storage:BlobContainer": "containerName",
    "azure-native:storage:Blob": "blobName",
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:applicationinsights:Component": "resourceName",
    "azure-native:containerregistry:Registry": "registryName",
    f"{_ML}:Workspace": "workspaceName",
    f"{_ML}:OnlineEndpoint": "endpointName",
    f"{_ML}:OnlineDeployment": "deploymentName",
    "azure-native:cognitiveservices:Account": "accountName",
    "azure-native:cognitiveservices:Project": "projectName",
    "azure-native:cognitiveservices:Deployment": "deploymentName",
    "azure-native:cognitiveservices:RaiPolicy": "raiPolicyName",
    "azure-native:authorization:RoleDefinition": "roleDefinitionId",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    f"{_ML}:ManagedNetworkSettingsRule": "ruleName",
    "azure-native:network:VirtualNetwork": "virtualNetworkName",
    "azure-native:network:Subnet": "subnetName",
    "azure-native:network:PrivateEndpoint": "privateEndpointName",
    "azure-native:network:PrivateDnsZoneGroup": "privateDnsZoneGroupName",
    "azure-native:privatedns:PrivateZone": "privateZoneName",
    "azure-native:privatedns:VirtualNetworkLink": "virtualNetworkLinkName",
    "azure-native:consumption:Budget": "budgetName",
    "azure-native:monitor:DiagnosticSetting": "name",
    "azure-native:monitor:MetricAlert": "ruleName",
    "azure-native:monitor:ActionGroup": "actionGroupName",
    "azure-native:keyvault:Secret": "secretName",
}
ARM_TYPES = {
    "azure-native:resources:ResourceGroup": "",
    "azure-native:storage:StorageAccount": "Microsoft.Storage/storageAccounts",
    "azure-native:keyvault:Vault": "Microsoft.KeyVault/vaults",
    "azure-native:operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces",
    "azure-native:applicationinsights:Component": "Microsoft.Insights/components",
    "azure-native:containerregistry:Registry": "Microsoft.ContainerRegistry/registries",
    f"{_ML}:Workspace": "Microsoft.MachineLearningServices/workspaces",
    "azure-native:cognitiveservices:Account": "Microsoft.CognitiveServices/accounts",
    "azure-native:network:VirtualNetwork": "Microsoft.Network/virtualNetworks",
    "azure-native:network:PrivateEndpoint": "Microsoft.Network/privateEndpoints",
    "azure-native:privatedns:PrivateZone": "Microsoft.Network/privateDnsZones",
    "azure-native:monitor:MetricAlert": "Microsoft.Insights/metricAlerts",
    "azure-native:monitor:ActionGroup": "Microsoft.Insights/actionGroups",
}
# Children of another resource: the parent's type token, the input naming it, and the child collection.
CHILDREN = {
    "azure-native:network:Subnet": ("azure-native:network:VirtualNetwork", "virtualNetworkName", "subnets"),
    "azure-native:network:PrivateDnsZoneGroup": (
        "azure-native:network:PrivateEndpoint",
        "privateEndpointName",
        "privateDnsZoneGroups",
    ),
    "azure-native:privatedns:VirtualNetworkLink": (
        "azure-native:privatedns:PrivateZone",
        "privateZoneName",
        "virtualNetworkLinks",
    ),
    f"{_ML}:ManagedNetworkSettingsRule": (f"{_ML}:Workspace", "workspaceName", "outboundRules"),
    "azure-native:keyvault:Secret": ("azure-native:keyvault:Vault", "vaultName", "secrets"),
}
# Children of a Cognitive Services account: .../accounts/<account>/<collection>/<name>
CS_CHILDREN = {
    "azure-native:cognitiveservices:Project": "projects",
    "azure-native:cognitiveservices:Deployment": "deployments",
    "azure-native:cognitiveservices:RaiPolicy": "raiPolicies",
}


@dataclass
class Registration:
    """One RegisterResource request, as the engine receives it."""

    type: str
    name: str
    urn: str
    id: str
    """Empty while unknown (in a preview, a resource to be created has no id yet)."""
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    delete_before_replace: bool = False
    aliases: list[Any] = field(default_factory=list)
    """The aliases the SDK sent: alias specs as dicts (name, type, parentUrn...), or old URNs."""
    ignore_changes: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """What one run of the program did: registrations, invokes, exports, or the error that stopped it."""

    stack: str
    preview: bool
    registrations: list[Registration] = field(default_factory=list)
    invokes: list[dict[str, Any]] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the program logged as warnings (pulumi.log.warn): the plan prints them."""
    error: str | None = None

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        found = [r for r in self.by_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} registrations of {type_} {name or ''}")
        return found[0]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunResult:
        data = json.loads(text)
        data["registrations"] = [Registration(**r) for r in data["registrations"]]
        return cls(**data)


def is_secret(value: Any) -> bool:
    """A recorded value that was a secret on the wire: `{"secret": value}` (see _plain)."""
    return isinstance(value, dict) and set(value) == {"secret"}


def masked(value: Any) -> Any:
    """A recorded value with every secret replaced by the SECRET marker: what may be printed."""
    if is_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Engine values -> JSON: secrets as {"secret": value}, unknowns as the UNKNOWN marker."""
    if isinstance(value, dict):
        if value.get(sdk_internals.SECRET_SIG_KEY) == sdk_internals.SECRET_SIG:
            return {"secret": _plain(value.get("value"))}
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        return _asset(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire has only doubles; 30 was written, 30 is shown
    return value


def _asset(value: pulumi.Asset | pulumi.Archive) -> dict[str, str]:
    """An asset as the engine's JSON shows one: its kind and a hash of what it holds, not the content."""
    content = getattr(value, "text", None) or getattr(value, "path", None) or getattr(value, "uri", None) or ""
    digest = hashlib.sha256(str(content).encode()).hexdigest()
    return {"asset": type(value).__name__, "hash": digest}


def _physical_name(type_: str, inputs: dict[str, Any]) -> Any:
    return inputs.get(NAME_INPUTS.get(type_, "name"))


def _arm_id(subscription: str, type_: str, inputs: dict[str, Any], name: str) -> str:
    if type_ == "azure-native:consumption:Budget":
        return f"{inputs.get('scope')}/providers/Microsoft.Consumption/budgets/{name}"
    if type_ == "azure-native:monitor:DiagnosticSetting":  # an extension resource of what it watches
        return f"{inputs.get('resourceUri')}/providers/Microsoft.Insights/diagnosticSettings/{name}"
    if type_.startswith("azure-native:authorization:"):
        kind = "roleDefinitions" if type_.endswith("RoleDefinition") else "roleAssignments"
        return f"{inputs.get('scope')}/providers/Microsoft.Authorization/{kind}/{name}"
    group = f"/subscriptions/{subscription}/resourceGroups/{inputs.get('resourceGroupName', name)}"
    if type_ in CHILDREN:
        parent, key, collection = CHILDREN[type_]
        return f"{group}/providers/{ARM_TYPES[parent]}/{inputs.get(key)}/{collection}/{name}"
    if type_ in ARM_TYPES:
        return f"{group}/providers/{ARM_TYPES[type_]}/{name}" if ARM_TYPES[type_] else group
    if type_ == "azure-native:storage:BlobContainer":
        account = f"{group}/providers/Microsoft.Storage/storageAccounts/{inputs.get('accountName')}"
        return f"{account}/blobServices/default/containers/{name}"
    if type_ == "azure-native:storage:Blob":  # data plane: its id is its URL
        return f"https://{inputs.get('accountName')}.blob.core.windows.net/{inputs.get('containerName')}/{name}"
    if type_ in CS_CHILDREN:
        account = inputs.get("accountName", "account")
        return f"{group}/providers/Microsoft.CognitiveServices/accounts/{account}/{CS_CHILDREN[type_]}/{name}"
    workspace = inputs.get("workspaceName", "workspace")
    if type_ in (f"{_ML}:ModelVersion", f"{_ML}:EnvironmentVersion"):
        collection = "models" if type_.endswith("ModelVersion") else "environments"
        ws = f"{group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
        return f"{ws}/{collection}/{name}/versions/{inputs.get('version')}"
    # Children of a workspace: .../workspaces/<ws>/<collection>/<name>
    collection = type_.rsplit(":", 1)[1]
    collection = collection[0].lower() + collection[1:] + "s"
    return f"{group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}/{collection}/{name}"


def _secret_properties(inputs: dict[str, Any], uri: Any) -> Any:
    """A secret's properties as Azure returns them, never its value, and secret as a whole where they were given so
    (the SDK sends an object holding a secret as a secret; the engine keeps an output as secret as its input)."""
    given = inputs.get("properties") or {}
    secret = isinstance(given, dict) and given.get(sdk_internals.SECRET_SIG_KEY) == sdk_internals.SECRET_SIG
    plain = given.get("value") if secret else given
    found = {k: v for k, v in (plain or {}).items() if k != "value"} | {"secretUri": uri}
    return {sdk_internals.SECRET_SIG_KEY: sdk_internals.SECRET_SIG, "value": found} if secret else found


def _foundry_endpoints(inputs: dict[str, Any]) -> dict[str, Any]:
    """What Azure answers for a Foundry resource: endpoints on its custom subdomain."""
    host = inputs.get("properties", {}).get("customSubDomainName", "account")
    return {
        "endpoint": f"https://{host}.cognitiveservices.azure.com/",
        "endpoints": {
            "Azure AI Model Inference API": f"https://{host}.services.ai.azure.com/",
            "OpenAI Language Model Instance API": f"https://{host}.openai.azure.com/",
        },
        "provisioningState": "Succeeded",
    }


class LlamaMocks(pulumi.runtime.Mocks):
    """Answers like Azure would, with placeholders; in preview, computed values stay unknown."""

    def __init__(self, preview: bool, subscription_id: str = PLACEHOLDER_SUBSCRIPTION) -> None:
        self.preview = preview
        self.subscription_id = subscription_id

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        name = _physical_name(args.typ, inputs) or args.name
        state = {**inputs, "name": name}
        if self.preview:
            # A resource to be created has no id and no computed values yet: they stay unknown.
            if args.typ == "azure-native:machinelearningservices:ServerlessEndpoint":
                state["properties"] = {**inputs.get("properties", {}), "inferenceEndpoint": rpc.UNKNOWN}
            if args.typ == "azure-native:machinelearningservices:OnlineEndpoint":
                state["properties"] = {**inputs.get("properties", {}), "scoringUri": rpc.UNKNOWN}
            if args.typ == "pulumi-python:dynamic:Resource":
                state["applied"] = rpc.UNKNOWN
            if args.typ == "azure-native:keyvault:Secret":
                state["properties"] = _secret_properties(inputs, rpc.UNKNOWN)
            if args.typ == "azure-native:cognitiveservices:Account":
                state["properties"] = {
                    **inputs.get("properties", {}),
                    "endpoint": rpc.UNKNOWN,
                    "endpoints": rpc.UNKNOWN,
                }
            return None, state
        resource_id = _arm_id(self.subscription_id, args.typ, inputs, name)
        if args.typ == "azure-native:machinelearningservices:ServerlessEndpoint":
            region = inputs.get("location", "region")
            state["properties"] = {
                **inputs.get("properties", {}),
                "inferenceEndpoint": {"uri": f"https://{name}.{region}.models.ai.azure.com/"},
                "provisioningState": "Succeeded",
            }
        if args.typ == "azure-native:machinelearningservices:OnlineEndpoint":
            region = inputs.get("location", "region")
            state["properties"] = {
                **inputs.get("properties", {}),
                "scoringUri": f"https://{name}.{region}.inference.ml.azure.com/score",
                "provisioningState": "Succeeded",
            }
        if args.typ == "azure-native:storage:StorageAccount":
            state["primaryEndpoints"] = {"blob": f"https://{name}.blob.core.windows.net/"}
        if args.typ == "azure-native:keyvault:Secret":
            uri = f"https://{inputs.get('vaultName')}.vault.azure.net/secrets/{name}"
            state["properties"] = _secret_properties(inputs, uri)
        if args.typ == "azure-native:cognitiveservices:Account":
            state["properties"] = {**inputs.get("properties", {}), **_foundry_endpoints(inputs)}
            state["identity"] = {**inputs.get("identity", {}), "principalId": "00000000-0000-0000-0000-0000000000a1"}
        if args.typ == "pulumi-python:dynamic:Resource":
            # What the traffic provider returns after ARM applied the split.
            state["applied"] = inputs.get("traffic")
            resource_id = f"{inputs.get('endpointId')}/traffic"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "subscriptionId": self.subscription_id,
                "tenantId": PLACEHOLDER_TENANT,
                "clientId": "00000000-0000-0000-0000-000000000002",
                "objectId": "00000000-0000-0000-0000-000000000003",
            }
        if args.token == "azure-native:machinelearningservices:listServerlessEndpointKeys":
            # Derived from the request so that a test can tell which endpoint a key belongs to.
            return {
                "primaryKey": f"pk-{args.args.get('name')}",
                "secondaryKey": f"sk-{args.args.get('name')}",
            }
        if args.token == "azure-native:cognitiveservices:listAccountKeys":
            name = args.args.get("accountName")
            return {"key1": f"k1-{name}", "key2": f"k2-{name}"}
        if args.token == "azure-native:machinelearningservices:listOnlineEndpointKeys":
            name = args.args.get("endpointName")
            return {"primaryKey": f"pk-{name}", "secondaryKey": f"sk-{name}"}
        return {}


class RecordingMonitor(mocks.MockMonitor):
    """The mock engine's monitor, keeping the engine's own requests (parents, dependencies, options)."""

    def __init__(self, mock: pulumi.runtime.Mocks) -> None:
        super().__init__(mock)
        self.result: RunResult | None = None
        self._stack_urn = ""

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self._stack_urn = response.urn
            return response
        if self.result is not None:
            state = self.resources.get(response.urn)
            self.result.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    id=response.id,
                    parent="" if request.parent == self._stack_urn else request.parent,
                    custom=bool(request.custom),
                    inputs=_plain(rpc.deserialize_properties(request.object, keep_unknowns=True)),
                    dependencies=list(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    protect=bool(request.protect),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    aliases=[json_format.MessageToDict(a) for a in request.aliases] + list(request.aliasURNs),
                    ignore_changes=list(request.ignoreChanges),
                    outputs=_plain(state.state) if state else {},
                )
            )
        return response

    def Invoke(self, request):
        if self.result is not None:
            self.result.invokes.append({"token": request.tok, "args": _plain(rpc.deserialize_properties(request.args))})
        return super().Invoke(request)

    def RegisterResourceOutputs(self, request):
        if self.result is not None and request.urn == self._stack_urn:
            self.result.exports = _plain(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
        return super().RegisterResourceOutputs(request)


def stack_config_values(values: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """YAML config -> what the CLI hands the program: strings, structured values as JSON, and the secret keys.

    A `secure:` value cannot be decrypted offline: the program gets ENCRYPTED in its place.
    """
    out: dict[str, str] = {}
    secret: list[str] = []
    for key, value in values.items():
        if isinstance(value, SecretText):
            out[key] = str(value)
            secret.append(key)
        elif isinstance(value, dict) and set(value) == {"secure"}:
            out[key] = ENCRYPTED
            secret.append(key)
        elif isinstance(value, str):
            out[key] = value
        else:
            out[key] = json.dumps(value)
    return out, secret


class _Warnings(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


def run_program(
    stack: str,
    config: dict[str, Any],
    *,
    preview: bool = True,
    mock: pulumi.runtime.Mocks | None = None,
) -> RunResult:
    """Run `infra/__main__.py` as the language host would, once per process (the runtime is global)."""
    mock = mock or LlamaMocks(preview=preview)
    monitor = RecordingMonitor(mock)
    result = RunResult(stack=stack, preview=preview)
    logger = logging.getLogger(f"llama-on-azure.program.{stack}")
    logger.propagate = False
    logger.handlers = [_Warnings(result.warnings)]
    values, secret_keys = stack_config_values(config)
    sdk_internals.reset_runtime(project=NAMESPACE, stack=stack, preview=preview)
    pulumi.runtime.set_all_config(values, secret_keys)
    pulumi.runtime.set_mocks(mock, project=NAMESPACE, stack=stack, preview=preview, logger=logger, monitor=monitor)
    sdk_internals.clear_root_resource()
    monitor.result = result
    try:
        sdk_internals.run_program_in_stack(lambda: runpy.run_path(str(PROGRAM_DIR), run_name="__main__"))
    except pulumi.RunError as exc:
        result.error = str(exc)
    return result


def warm_program() -> None:
    """Import the program and load the azure-native modules it uses, in this process, then freeze its heap.

    Forked runs (run_isolated) then find everything imported, and the collector never walks the parent's
    objects again (freeze), so a run costs the program's own work, not its imports.
    """
    import gc
    import importlib
    import sys

    importlib.import_module("infra.program")
    # azure-native defers loading a subpackage to its first use: load each one the program's modules name.
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("infra", "components"):
            for value in list(vars(module).values()):
                if sdk_internals.is_lazy(value):
                    sdk_internals.load_lazy(value)
    gc.collect()
    gc.freeze()


def _child(conn, stack, config, preview, mock) -> None:
    import gc

    gc.disable()  # a run lives for a fraction of a second; the collector would only walk its objects
    try:
        conn.send(run_program(stack, config, preview=preview, mock=mock).to_json())
    except BaseException:
        conn.send(json.dumps({"crash": traceback.format_exc()}))
    finally:
        conn.close()


def _crashed(trace: str) -> RuntimeError:
    return RuntimeError(f"the program crashed under the mock engine:\n{trace}")


ISOLATED_TIMEOUT = 120.0
"""Seconds a forked run may take: the largest scenario takes under a second."""


def run_here(
    stack: str, config: dict[str, Any], *, preview: bool = True, mock: pulumi.runtime.Mocks | None = None
) -> RunResult:
    """run_program in this process, as run_isolated gives it back, leaving the process able to run or fork again.

    Each run gets an event loop of its own, closed after with the thread pool the SDK hands the monitor's calls
    to: a loop left behind would carry that pool's dead threads into the next fork, which would then wait for
    them forever. The collector is paused for the run (a run makes many short-lived cycles and no lasting ones;
    collecting during it costs about a third more). In a warm process this costs a fifth less than a fork: the
    forked child pays a page fault for every page it touches, here the pages are reused.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return RunResult.from_json(run_program(stack, config, preview=preview, mock=mock).to_json())
    except Exception as exc:
        raise _crashed(traceback.format_exc()) from exc
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(asyncio.new_event_loop())  # the SDK asks for the current loop, never makes one
        if collecting:
            gc.enable()


def run_isolated(
    stack: str,
    config: dict[str, Any],
    *,
    preview: bool = True,
    mock: pulumi.runtime.Mocks | None = None,
    timeout: float = ISOLATED_TIMEOUT,
) -> RunResult:
    """run_program in a forked child: a fresh runtime per stack, without paying for imports again.

    A child that sends nothing within `timeout` seconds is killed and reported: a stuck run fails, not hangs.
    """
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child_end, stack, config, preview, mock))
    proc.start()
    child_end.close()
    if not parent_end.poll(timeout):
        proc.kill()
        proc.join()
        raise RuntimeError(f"the program run in a forked process sent nothing in {timeout:g} s: killed")
    payload = parent_end.recv()
    proc.join()
    data = json.loads(payload)
    if "crash" in data:
        raise _crashed(data["crash"])
    return RunResult.from_json(payload)
