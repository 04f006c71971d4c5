"""Every policy of the pack, both ways, through the real pack process and the analyzer gRPC protocol.

Baselines are the payloads the program really registers (dev and prod stacks, plus a stack with a
container registry); each case changes or removes one property.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto

from policy.rules import MIRRORS, POLICIES
from tests.conftest import ML, ROOT, run, shipped_config, stack_config
from tools.policy_check import PolicyPackProcess, _struct, read_policy_config

ALL_POLICIES = {p.name for p in POLICIES}


@pytest.fixture(scope="module")
def pack():
    with PolicyPackProcess("dev") as process:
        yield process


def configure(pack: PolicyPackProcess, config: dict[str, Any] | None = None, tmp: Path | None = None) -> None:
    configs = {}
    if config:
        path = tmp / "policy.json"
        path.write_text(json.dumps(config))
        configs = read_policy_config(path, ALL_POLICIES)
    pack.stub.Configure(proto.ConfigureAnalyzerRequest(policyConfig=configs))


def analyze(pack: PolicyPackProcess, type_: str, props: dict[str, Any]) -> list[tuple[str, str, str]]:
    response = pack.stub.Analyze(
        proto.AnalyzeRequest(type=type_, properties=_struct(props), urn=f"urn:pulumi:dev::p::{type_}::x", name="x")
    )
    return [
        (d.policyName, proto.EnforcementLevel.Name(d.enforcementLevel).lower(), d.message) for d in response.diagnostics
    ]


def baseline(type_: str, pick=None) -> dict[str, Any]:
    stacks = [
        run("prod", shipped_config("prod")),
        run("dev", stack_config(hub={"containerRegistry": True})),
    ]
    for result in stacks:
        for reg in result.registrations:
            if reg.type == type_ and (pick is None or pick(reg.inputs)):
                return copy.deepcopy(reg.inputs)
    raise LookupError(type_)


def set_path(props: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with one property changed; value REMOVE deletes it."""
    props = copy.deepcopy(props)
    *parents, last = path.split(".")
    node = props
    for part in parents:
        node = node.setdefault(part, {})
    if value is REMOVE:
        node.pop(last, None)
    else:
        node[last] = value
    return props


REMOVE = object()
HUB = ("azure-native:machinelearningservices:Workspace", lambda p: p.get("kind") == "Hub")
PROJECT = ("azure-native:machinelearningservices:Workspace", lambda p: p.get("kind") == "Project")
SERVERLESS = (f"{ML}:ServerlessEndpoint", None)
DEPLOYMENT = (f"{ML}:OnlineDeployment", None)
STORAGE = ("azure-native:storage:StorageAccount", None)
VAULT = ("azure-native:keyvault:Vault", None)
REGISTRY = ("azure-native:containerregistry:Registry", None)
INSIGHTS = ("azure-native:applicationinsights:Component", None)

# (policy, resource, path, new value, config for the policy or None) -> violation expected
MUTATIONS = [
    ("serverless-content-safety", SERVERLESS, "properties.contentSafety.contentSafetyStatus", "Disabled", None),
    ("serverless-content-safety", SERVERLESS, "properties.contentSafety", REMOVE, None),
    ("serverless-auth-mode", SERVERLESS, "properties.authMode", "None", None),
    ("serverless-auth-mode", SERVERLESS, "properties.authMode", REMOVE, None),
    ("serverless-auth-mode", SERVERLESS, "properties.authMode", "Key", {"allowedAuthModes": ["AAD"]}),
    ("serverless-region", SERVERLESS, "location", "westeurope", None),
    ("serverless-region", SERVERLESS, "location", REMOVE, None),
    ("managed-min-instances", DEPLOYMENT, "sku.capacity", 1, None),
    ("managed-min-instances", DEPLOYMENT, "sku.capacity", REMOVE, None),
    ("managed-min-instances", DEPLOYMENT, "sku.capacity", 3, {"minInstances": 4}),
    ("managed-vm-sku-allowed", DEPLOYMENT, "properties.instanceType", "Standard_F4s_v2", None),
    ("managed-vm-sku-allowed", DEPLOYMENT, "properties.instanceType", REMOVE, None),
    ("managed-request-timeout", DEPLOYMENT, "properties.requestSettings.requestTimeout", REMOVE, None),
    ("managed-request-timeout", DEPLOYMENT, "properties.requestSettings", REMOVE, None),
    ("managed-request-timeout", DEPLOYMENT, "properties.requestSettings.requestTimeout", "PT5M", None),
    ("managed-request-timeout", DEPLOYMENT, "properties.requestSettings.requestTimeout", "soon", None),
    ("workspace-managed-identity", HUB, "identity.type", "None", None),
    ("workspace-managed-identity", PROJECT, "identity", REMOVE, None),
    ("workspace-public-network-access", HUB, "publicNetworkAccess", "Enabled", None),
    ("workspace-public-network-access", HUB, "publicNetworkAccess", REMOVE, None),
    ("workspace-isolation-mode", HUB, "managedNetwork.isolationMode", "Disabled", None),
    ("workspace-isolation-mode", HUB, "managedNetwork", REMOVE, None),
    ("storage-https-only", STORAGE, "enableHttpsTrafficOnly", False, None),
    ("storage-https-only", STORAGE, "enableHttpsTrafficOnly", REMOVE, None),
    ("storage-min-tls", STORAGE, "minimumTlsVersion", "TLS1_0", None),
    ("storage-min-tls", STORAGE, "minimumTlsVersion", REMOVE, None),
    ("storage-no-public-blob", STORAGE, "allowBlobPublicAccess", True, None),
    ("storage-no-public-blob", STORAGE, "allowBlobPublicAccess", REMOVE, None),
    ("keyvault-soft-delete", VAULT, "properties.enableSoftDelete", False, None),
    ("keyvault-soft-delete", VAULT, "properties.enableSoftDelete", REMOVE, None),
    ("keyvault-purge-protection", VAULT, "properties.enablePurgeProtection", False, None),
    ("keyvault-purge-protection", VAULT, "properties.enablePurgeProtection", REMOVE, None),
    ("keyvault-rbac", VAULT, "properties.enableRbacAuthorization", False, None),
    ("keyvault-rbac", VAULT, "properties.enableRbacAuthorization", REMOVE, None),
    ("acr-admin-disabled", REGISTRY, "adminUserEnabled", True, None),
    ("acr-admin-disabled", REGISTRY, "adminUserEnabled", REMOVE, None),
    ("appinsights-workspace", INSIGHTS, "workspaceResourceId", REMOVE, None),
    ("appinsights-workspace", INSIGHTS, "workspaceResourceId", "", None),
    ("required-tags", STORAGE, "tags.environment", REMOVE, None),
    ("required-tags", SERVERLESS, "tags", REMOVE, None),
    ("required-tags", VAULT, "tags.owner", REMOVE, {"tags": ["owner", "costCenter"]}),
    ("no-preview-api-versions", STORAGE, None, None, None),
]

# Configs that make the shipped baselines compliant for the advisory network policies.
BASELINE_CONFIG = {
    "workspace-public-network-access": {"allowed": ["Enabled", "Disabled"]},
}


def _case_id(case) -> str:
    policy, (type_, _), path, value, config = case
    what = "omitted" if value is REMOVE else f"={value!r}"
    return f"{policy}:{type_.rsplit(':', 1)[1]}.{path}{what}{'+config' if config else ''}"


@pytest.mark.parametrize("case", MUTATIONS, ids=[_case_id(c) for c in MUTATIONS])
def test_each_mutation_violates_exactly_its_policy(pack, tmp_path, case):
    policy, (type_, pick), path, value, config = case
    props = baseline(type_, pick)
    configure(pack, {**BASELINE_CONFIG, **({policy: config} if config else {})}, tmp_path)
    if policy == "workspace-public-network-access" and config is None:
        configure(pack, {}, tmp_path)  # the default allows only Disabled
    if policy == "no-preview-api-versions":
        type_ = "azure-native:storage/v20230101preview:StorageAccount"
    else:
        props = set_path(props, path, value)
    found = analyze(pack, type_, props)
    assert [f for f in found if f[0] == policy], f"{policy} missed the mutation; got {found}"
    assert {f[0] for f in found} == {policy}, f"other policies fired too: {found}"


@pytest.mark.parametrize(
    "resource", [HUB, PROJECT, SERVERLESS, DEPLOYMENT, STORAGE, VAULT, REGISTRY, INSIGHTS], ids=lambda r: r[0]
)
def test_baselines_from_the_program_are_compliant(pack, tmp_path, resource):
    type_, pick = resource
    configure(pack, BASELINE_CONFIG, tmp_path)
    assert analyze(pack, type_, baseline(type_, pick)) == []


def test_every_policy_is_tested_both_ways():
    resource_policies = {p for p, *_ in MUTATIONS}
    stack_policies = {"serverless-one-per-model", "stack-output-secrets"}
    assert resource_policies | stack_policies == ALL_POLICIES
    assert set(MIRRORS) == ALL_POLICIES, "every policy names the rule it mirrors"


def test_enforcement_level_comes_from_config(pack, tmp_path):
    props = set_path(baseline(*SERVERLESS), "properties.contentSafety.contentSafetyStatus", "Disabled")
    configure(pack, BASELINE_CONFIG, tmp_path)
    assert [f[1] for f in analyze(pack, SERVERLESS[0], props)] == ["mandatory"]
    configure(pack, {**BASELINE_CONFIG, "serverless-content-safety": "advisory"}, tmp_path)
    assert [f[1] for f in analyze(pack, SERVERLESS[0], props)] == ["advisory"]
    configure(pack, {**BASELINE_CONFIG, "serverless-content-safety": {"enforcementLevel": "disabled"}}, tmp_path)
    assert analyze(pack, SERVERLESS[0], props) == []


def test_parameters_come_from_config(pack, tmp_path):
    props = set_path(baseline(*SERVERLESS), "location", "eastus")
    configure(pack, {**BASELINE_CONFIG, "serverless-region": {"allowedRegions": ["swedencentral"]}}, tmp_path)
    assert analyze(pack, SERVERLESS[0], props)
    configure(pack, {**BASELINE_CONFIG, "serverless-region": {"allowedRegions": ["swedencentral", "eastus"]}}, tmp_path)
    assert analyze(pack, SERVERLESS[0], props) == []


def test_pack_describes_every_policy_with_its_mirror_and_schema(pack):
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "llama-on-azure-policies"
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == ALL_POLICIES
    assert all("[mirrors:" in p.description for p in info.policies)
    assert "minInstances" in by_name["managed-min-instances"].configSchema.properties


def _stack_resources(exports: dict[str, Any], endpoints: list[dict[str, Any]]) -> list[proto.AnalyzerResource]:
    resources = [
        proto.AnalyzerResource(
            type=f"{ML}:ServerlessEndpoint", properties=_struct(e), urn=f"urn:pulumi:dev::p::t::e{i}", name=f"e{i}"
        )
        for i, e in enumerate(endpoints)
    ]
    resources.append(
        proto.AnalyzerResource(
            type="pulumi:pulumi:Stack",
            properties=_struct(exports),
            urn="urn:pulumi:dev::p::pulumi:pulumi:Stack::s",
            name="s",
        )
    )
    return resources


def analyze_stack(pack, exports, endpoints):
    response = pack.stub.AnalyzeStack(proto.AnalyzeStackRequest(resources=_stack_resources(exports, endpoints)))
    return [(d.policyName, d.message) for d in response.diagnostics]


def test_one_serverless_deployment_per_model_per_project(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    endpoint = baseline(*SERVERLESS)
    other_model = set_path(
        endpoint, "properties.modelSettings.modelId", endpoint["properties"]["modelSettings"]["modelId"] + "x"
    )
    other_project = set_path(endpoint, "workspaceName", "proj-other")
    assert analyze_stack(pack, {}, [endpoint, other_model, other_project]) == []
    found = analyze_stack(pack, {}, [endpoint, copy.deepcopy(endpoint)])
    assert [f[0] for f in found] == ["serverless-one-per-model"]


def test_stack_outputs_that_carry_a_key_must_be_secret(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    exports = run("prod", shipped_config("prod")).exports
    assert analyze_stack(pack, exports, []) == [], "the program's real exports comply"
    plain = {**exports, "endpointKeys": exports["endpointKeys"]["secret"]}
    found = analyze_stack(pack, plain, [])
    assert {f[0] for f in found} == {"stack-output-secrets"}
    assert any("endpointKeys.chat" in f[1] for f in found)
    nested = {**exports, "endpoints": {"x": {"url": "https://x", "apiKey": "abc"}}}
    assert [f[0] for f in analyze_stack(pack, nested, [])] == ["stack-output-secrets"]
    omitted = {k: v for k, v in exports.items() if k != "endpointKeys"}
    assert analyze_stack(pack, omitted, []) == []


def test_unknown_policy_in_config_is_an_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"serverless-contentsafety": "mandatory"}')
    with pytest.raises(Exception, match="no policy named 'serverless-contentsafety'"):
        read_policy_config(path, ALL_POLICIES)


def test_shipped_policy_configs_name_real_policies():
    for path in (ROOT / "policy" / "config").glob("*.json"):
        assert read_policy_config(path, ALL_POLICIES), path
