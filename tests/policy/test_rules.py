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

from policy.rules import ADVISORY, OMITTED, POLICIES, RULES, Case, Rule
from tests.support.stacks import (
    CS,
    LLAMA33,
    ML,
    ROOT,
    foundry,
    managed,
    run,
    scenario,
    serverless,
    shipped_config,
    stack_config,
)
from tools import policy_facts
from tools.policy_check import PolicyPackProcess, _struct, check_policies, read_policy_config
from tools.render import UNKNOWN

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


# A locked-down Foundry stack: Entra ID only, no public network, a strict named content filter beside the default.
STRICT = {"hate": "Low", "sexual": "Low", "violence": "Low", "selfHarm": "Low", "indirectAttack": True}
LOCKED_FOUNDRY = stack_config(
    deployments=[foundry("maverick", contentFilter="strict"), foundry("llama33", LLAMA33)],
    contentFilters={"strict": STRICT},
    foundry={"publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny"}},
    network={"externalPrivateEndpoints": True},
)


def baseline(type_: str, pick=None) -> dict[str, Any]:
    stacks = [
        run("managed", scenario("managed")),
        run("dev", LOCKED_FOUNDRY),
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
WORKSPACE = "azure-native:machinelearningservices:Workspace"
HUB = (WORKSPACE, lambda p: p.get("kind") == "Hub")
PROJECT = ("azure-native:machinelearningservices:Workspace", lambda p: p.get("kind") == "Project")
SERVERLESS = (f"{ML}:ServerlessEndpoint", None)
DEPLOYMENT = (f"{ML}:OnlineDeployment", None)
STORAGE = ("azure-native:storage:StorageAccount", None)
VAULT = ("azure-native:keyvault:Vault", None)
REGISTRY = ("azure-native:containerregistry:Registry", None)
INSIGHTS = ("azure-native:applicationinsights:Component", None)
ACCOUNT = (f"{CS}:Account", None)
FOUNDRY_PROJECT = (f"{CS}:Project", None)
FOUNDRY_DEPLOYMENT = (f"{CS}:Deployment", None)
RAI_POLICY = (f"{CS}:RaiPolicy", None)

# Configs that make the shipped baselines compliant for the advisory network policies.
BASELINE_CONFIG = {
    name: {"allowed": ["Enabled", "Disabled"]}
    for name in (
        "workspace-public-network-access",
        "storage-public-network-access",
        "keyvault-public-network-access",
        "registry-public-network-access",
        "online-endpoint-public-network-access",
    )
}
FLAVOURS = {WORKSPACE: [HUB, PROJECT]}
"""Types the program registers in more than one shape: a case runs on each shape its rule judges."""


def _cases() -> list[tuple[Rule, tuple[str, Any], Case]]:
    """Every case of every resource rule, on each baseline of the types it judges (from the declarations)."""
    found = []
    for rule in RULES:
        for case in rule.cases:
            types = rule.types or (STORAGE[0],)
            for type_ in types:
                for flavour in FLAVOURS.get(type_, [(type_, None)]):
                    if rule.only is None or rule.only(baseline(*flavour)):
                        found.append((rule, flavour, case))
    return found


def _case_id(case) -> str:
    rule, (type_, pick), c = case
    what = "omitted" if c.value is OMITTED else f"={c.value!r}"
    shape = "project" if pick is PROJECT[1] else type_.rsplit(":", 1)[1]
    return f"{rule.id}:{shape}.{c.path if c.path is not None else rule.reads}{what}{'+config' if c.config else ''}"


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_each_declared_case_violates_exactly_its_policy(pack, tmp_path, case):
    rule, (type_, pick), c = case
    props = baseline(type_, pick)
    config = {**BASELINE_CONFIG, **({rule.id: c.config} if c.config else {})}
    configure(pack, {k: v for k, v in config.items() if not (k == rule.id and c.config is None)}, tmp_path)
    path = c.path if c.path is not None else rule.reads
    if path:
        props = set_path(props, path, REMOVE if c.value is OMITTED else c.value)
    found = analyze(pack, c.type or type_, props)
    assert [f for f in found if f[0] == rule.id], f"{rule.id} missed the case; got {found}"
    assert {f[0] for f in found} == {rule.id}, f"other policies fired too: {found}"


@pytest.mark.parametrize(
    "resource",
    [
        HUB,
        PROJECT,
        SERVERLESS,
        DEPLOYMENT,
        STORAGE,
        VAULT,
        REGISTRY,
        INSIGHTS,
        ACCOUNT,
        FOUNDRY_PROJECT,
        FOUNDRY_DEPLOYMENT,
        RAI_POLICY,
    ],
    ids=lambda r: r[0],
)
def test_baselines_from_the_program_are_compliant(pack, tmp_path, resource):
    type_, pick = resource
    configure(pack, BASELINE_CONFIG, tmp_path)
    assert analyze(pack, type_, baseline(type_, pick)) == []


def test_every_policy_is_tested_both_ways():
    resource_policies = {rule.id for rule, _, _ in CASES}
    stack_policies = {rule.id for rule in RULES if rule.validate is not None}
    assert resource_policies | stack_policies == ALL_POLICIES
    assert all(rule.mirrors for rule in RULES), "every policy names the rule it mirrors"
    omitted = {
        rule.id for rule in RULES if any(c.value is OMITTED and c.path in (None, rule.reads) for c in rule.cases)
    }
    assert omitted >= resource_policies - {"no-preview-api-versions"}, "the omitted property is a case of every rule"


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
    key_like = "Zk9qT3xQ7mP2vL8sR4wN6yB1cD5eF0gH"
    nested = {**exports, "endpoints": {"x": {"url": "https://x", "apiKey": key_like}}}
    assert [f[0] for f in analyze_stack(pack, nested, [])] == ["stack-output-secrets"]
    assert "looks like a key" in analyze_stack(pack, nested, [])[0][1]
    named = {**exports, "adminPassword": "hunter2"}
    assert [f[0] for f in analyze_stack(pack, named, [])] == ["stack-output-secrets"]


def test_key_vault_secret_uris_are_references_and_anything_else_there_must_be_secret(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    result = run("dev", stack_config(keyVaultSecrets={"enabled": True}))
    exports = result.exports
    assert set(exports["endpointKeySecrets"]) == {"chat", "maverick"}
    assert analyze_stack(pack, exports, []) == [], "the secret URIs the program exports are not credentials"
    versioned = {"chat": exports["endpointKeySecrets"]["chat"] + "/0123456789abcdef0123456789abcdef"}
    assert analyze_stack(pack, {**exports, "endpointKeySecrets": versioned}, []) == []
    key = exports["endpointKeys"]["secret"]["chat"]
    for leaked in (key, "https://kv.vault.azure.net/keys/k", f"https://kv.vault.azure.net/secrets/x?{key}"):
        found = analyze_stack(pack, {**exports, "endpointKeySecrets": {"chat": leaked}}, [])
        assert [f[0] for f in found] == ["stack-output-secrets"], leaked
        assert "endpointKeySecrets.chat carries a credential" in found[0][1]


@pytest.mark.parametrize("name", ["monkey", "tokenizer", "keystone", "secretary"])
def test_endpoint_names_that_contain_key_words_plan_clean(pack, tmp_path, name):
    configure(pack, BASELINE_CONFIG, tmp_path)
    exports = run("prod", shipped_config("prod")).exports
    entry = next(iter(exports["endpoints"].values()))
    renamed = {**exports, "endpoints": {name: {**entry, "url": f"https://{name}.eastus2.models.ai.azure.com"}}}
    assert analyze_stack(pack, renamed, []) == []
    omitted = {k: v for k, v in exports.items() if k != "endpointKeys"}
    assert analyze_stack(pack, omitted, []) == []


def test_a_real_stack_of_endpoints_named_with_key_words_plans_clean_and_a_leak_is_still_caught(pack, tmp_path):
    """What the program exports for deployments of every kind whose names hold `key`, `token`, `secret`."""
    names = ["monkey", "tokenizer", "keystone", "secretary"]
    deployments = [serverless(names[0]), foundry(names[1]), foundry(names[2], model=LLAMA33), managed(names[3])]
    result = run("dev", stack_config(deployments=deployments))
    assert result.error is None and set(result.exports["endpoints"]) == set(names), result.error
    configure(pack, BASELINE_CONFIG, tmp_path)
    assert analyze_stack(pack, result.exports, []) == []
    key = "Zk9qT3xQ7mP2vL8sR4wN6yB1cD5eF0gH"  # a key's shape, in a field whose name says nothing
    monkey = {**result.exports["endpoints"]["monkey"], "note": key}
    leaked = {**result.exports, "endpoints": {**result.exports["endpoints"], "monkey": monkey}}
    found = analyze_stack(pack, leaked, [])
    assert [(policy, message.splitlines()[-1]) for policy, message in found] == [
        (
            "stack-output-secrets",
            "stack output endpoints.monkey.note looks like a key but is not a secret: wrap it in pulumi.Output.secret",
        )
    ]
    plain_keys = {**result.exports, "endpointKeys": result.exports["endpointKeys"]["secret"]}
    assert {f[1].splitlines()[-1].split(" carries")[0] for f in analyze_stack(pack, plain_keys, [])} == {
        f"stack output endpointKeys.{name}" for name in names
    }


def test_a_key_pattern_python_refuses_is_a_violation_naming_the_setting_not_a_crash(pack, tmp_path):
    # `pulumi preview --policy-pack-config` checks it as a Go regular expression: `\\z` passes there.
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"stack-output-secrets": {"keyPattern": "x"}}))
    configs = read_policy_config(path, ALL_POLICIES)
    configs["stack-output-secrets"].properties["keyPattern"] = "abc\\z"
    pack.stub.Configure(proto.ConfigureAnalyzerRequest(policyConfig=configs))
    found = analyze_stack(pack, {"region": "eastus2"}, [])
    assert [(policy, message.splitlines()[-1]) for policy, message in found] == [
        (
            "stack-output-secrets",
            "policy config stack-output-secrets.keyPattern is not a Python regular expression "
            "(bad escape \\z at position 3): fix it",
        )
    ]


def test_unknown_policy_in_config_is_an_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"serverless-contentsafety": "mandatory"}')
    with pytest.raises(Exception, match="no policy named 'serverless-contentsafety'"):
        read_policy_config(path, ALL_POLICIES)


def test_shipped_policy_configs_name_real_policies():
    for path in (ROOT / "policy" / "config").glob("*.json"):
        assert read_policy_config(path, ALL_POLICIES), path


def test_shipped_facts_are_the_catalogs():
    # The pack ships its own copy of the catalog facts it uses; regenerate it with `python -m tools.policy_facts`.
    assert (ROOT / "policy" / "facts.json").read_text() == policy_facts.render()


# foundry-content-filter joins each model deployment to the content filter policy it names on the same Foundry
# resource (a stack policy); Microsoft's default policy is judged by the catalog's facts.
def foundry_resources(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    result = run("dev", config)
    return [(r.type, copy.deepcopy(r.inputs)) for r in result.registrations if r.type in (DEPLOYMENT_T, RAI_T)]


DEPLOYMENT_T, RAI_T = FOUNDRY_DEPLOYMENT[0], RAI_POLICY[0]


def analyze_foundry(pack, resources: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(type=t, properties=_struct(p), urn=f"urn:pulumi:dev::p::{t}::r{i}", name=f"r{i}")
            for i, (t, p) in enumerate(resources)
        ]
    )
    # Deployments without their account: deployments-have-diagnostics is judged on whole stacks below.
    found = pack.stub.AnalyzeStack(request).diagnostics
    return [(d.policyName, d.message) for d in found if d.policyName != "deployments-have-diagnostics"]


def _filter(props: dict[str, Any], name: str, source: str | None = None) -> dict[str, Any]:
    return next(
        f for f in props["properties"]["contentFilters"] if f["name"] == name and source in (None, f.get("source"))
    )


def _strict_deployment(resources):
    return next(p for t, p in resources if t == DEPLOYMENT_T and p["properties"]["raiPolicyName"] == "strict")


def _policy(resources):
    return next(p for t, p in resources if t == RAI_T)


# (case, change to the locked-down stack's resources, policy config or None, fragment of the violation)
FILTER_CASES = [
    ("attached policy omitted", lambda r: _strict_deployment(r)["properties"].pop("raiPolicyName"), None, "not set"),
    (
        "no such policy",
        lambda r: _strict_deployment(r)["properties"].update(raiPolicyName="Microsoft.Nill"),
        None,
        "neither",
    ),
    ("policy of another account", lambda r: _strict_deployment(r).update(accountName="aif-other"), None, "neither"),
    (
        "weaker threshold",
        lambda r: _filter(_policy(r), "Hate", "Completion").update(severityThreshold="High"),
        None,
        "Hate on completions blocks from High; the floor blocks from Medium",
    ),
    (
        "category omitted",
        lambda r: _policy(r)["properties"]["contentFilters"].remove(_filter(_policy(r), "Sexual", "Prompt")),
        None,
        "Sexual on prompts is not set",
    ),
    ("category off", lambda r: _filter(_policy(r), "Violence", "Prompt").update(enabled=False), None, "is off"),
    ("annotate only", lambda r: _filter(_policy(r), "Selfharm", "Completion").update(blocking=False), None, "is off"),
    ("jailbreak off", lambda r: _filter(_policy(r), "Jailbreak").update(enabled=False), None, "Jailbreak is not on"),
    ("asynchronous", lambda r: _policy(r)["properties"].update(mode="Asynchronous_filter"), None, "mode"),
    ("filters omitted", lambda r: _policy(r)["properties"].pop("contentFilters"), None, "is not set"),
    (
        "stricter floor than Microsoft's default",
        lambda r: None,
        {"maxSeverity": {"Hate": "Low"}},
        "Microsoft.DefaultV2: Hate on prompts blocks from Medium; the floor blocks from Low",
    ),
    (
        "a filter the floor requires",
        lambda r: _filter(_policy(r), "Indirect Attack").update(enabled=False),
        {"requiredFilters": ["Jailbreak", "Indirect Attack"]},
        "Indirect Attack is not on",
    ),
]


def test_content_filters_the_program_attaches_meet_the_floor(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    assert analyze_foundry(pack, foundry_resources(LOCKED_FOUNDRY)) == []
    assert analyze_foundry(pack, foundry_resources(shipped_config("dev"))) == [], "Microsoft's default meets it"


@pytest.mark.parametrize("case", FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_each_content_filter_mutation_violates_the_floor(pack, tmp_path, case):
    _, mutate, config, fragment = case
    resources = foundry_resources(LOCKED_FOUNDRY)
    mutate(resources)
    configure(pack, {**BASELINE_CONFIG, **({"foundry-content-filter": config} if config else {})}, tmp_path)
    found = analyze_foundry(pack, resources)
    assert {f[0] for f in found} == {"foundry-content-filter"}, found
    assert any(fragment in f[1] for f in found), found


ACCOUNT_IDS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts"


def test_the_floor_join_works_on_outputs_too(pack, tmp_path):
    # After apply the engine hands a stack policy outputs: no accountName, the account is in the id.
    configure(pack, BASELINE_CONFIG, tmp_path)
    resources = foundry_resources(LOCKED_FOUNDRY)
    for _, props in resources:
        account = props.pop("accountName")
        name = props.pop("raiPolicyName", None) or props.pop("deploymentName")
        kind = "raiPolicies" if name == "strict" else "deployments"
        props |= {
            "name": name,
            "id": f"{ACCOUNT_IDS}/{account}/{kind}/{name}",
        }
    assert analyze_foundry(pack, resources) == []
    moved = copy.deepcopy(resources)
    _policy(moved)["id"] = _policy(moved)["id"].replace("/accounts/", "/accounts/other-")
    assert [f[0] for f in analyze_foundry(pack, moved)] == ["foundry-content-filter"]


def test_a_policy_name_known_only_after_apply_is_not_guessed(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    resources = foundry_resources(LOCKED_FOUNDRY)
    policy = _policy(resources)
    policy.pop("raiPolicyName")
    policy["name"] = UNKNOWN
    (found,) = analyze_foundry(pack, resources)
    assert found[0] == "foundry-content-filter" and found[1].startswith("can't run policy"), found


def test_one_serverless_deployment_per_model_also_on_outputs(pack, tmp_path):
    # After apply a stack policy sees outputs: the project is only in the resource id, not in workspaceName.
    configure(pack, BASELINE_CONFIG, tmp_path)
    endpoint = baseline(*SERVERLESS)
    base = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces"

    def as_output(project: str, name: str) -> dict[str, Any]:
        return {"id": f"{base}/{project}/serverlessEndpoints/{name}", "properties": endpoint["properties"]}

    assert analyze_stack(pack, {}, [as_output("proj-a", "one"), as_output("proj-b", "two")]) == []
    found = analyze_stack(pack, {}, [as_output("proj-a", "one"), as_output("PROJ-A", "two")])
    assert [f[0] for f in found] == ["serverless-one-per-model"]


# budget-covers-estimate compares the costEstimate the stack exports with the amount of each budget it registers.
BUDGET_T = "azure-native:consumption:Budget"


def analyze_budget(pack, exports: dict[str, Any], budgets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    resources = [
        proto.AnalyzerResource(
            type=BUDGET_T, properties=_struct(b), urn=f"urn:pulumi:prod::p::{BUDGET_T}::b{i}", name=f"b{i}"
        )
        for i, b in enumerate(budgets)
    ]
    resources.append(
        proto.AnalyzerResource(
            type="pulumi:pulumi:Stack", properties=_struct(exports), urn="urn:pulumi:prod::p::pulumi:pulumi:Stack::s"
        )
    )
    response = pack.stub.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources))
    return [(d.policyName, d.message) for d in response.diagnostics]


def test_a_budget_covers_its_estimate_and_a_smaller_one_does_not(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    result = run("managed", scenario("managed"))
    exports, budget = result.exports, result.one(BUDGET_T).inputs
    assert exports["costEstimate"]["monthly"]["fixed"] == 41829
    assert analyze_budget(pack, exports, [budget]) == []
    (found,) = analyze_budget(pack, exports, [{**budget, "amount": 30000}])
    assert found[0] == "budget-covers-estimate"
    assert (
        "the fixed monthly estimate 41,829.00 USD (prices as of 2026-12-03) exceeds the budget of 30,000.00" in found[1]
    )
    assert "llama33 41,829.00" in found[1] and "raise budget.amount" in found[1]
    assert "chat" not in found[1], "a deployment with no fixed cost is not named"
    # After apply, the engine hands a stack policy the budget's outputs: the amount is among them too.
    assert analyze_budget(pack, exports, [{"id": "/x", "name": "b", "amount": 30000}])


def test_the_estimate_names_each_deployment_the_platform_and_what_it_could_not_count(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    estimate = {
        "currency": "EUR",
        "asOf": "2026-12-03",
        "monthly": {"fixed": 1100.5, "usage": 0, "unknownFixed": ["foundry: Foundry resource (AIServices S0)"]},
        "deployments": {"small": {"fixed": 100}, "big": {"fixed": 950}, "tokens": {"fixed": 0}},
    }
    (found,) = analyze_budget(pack, {"costEstimate": estimate}, [{"amount": 1000}])
    assert (
        "1,100.50 EUR" in found[1]
        and "big 950.00, small 100.00, the platform (hub, Foundry resource) 50.50" in found[1]
    )
    assert "not counted, price unknown: foundry: Foundry resource (AIServices S0)" in found[1]
    assert analyze_budget(pack, {"costEstimate": estimate}, [{"amount": 1100.5}]) == [], "equal is within"
    assert analyze_budget(pack, {}, [{"amount": 1}]) == [], "no estimate: nothing to judge"
    assert analyze_budget(pack, {"costEstimate": estimate}, []) == [], "no budget: nothing to exceed"
    assert analyze_budget(pack, {"costEstimate": estimate}, [{"amount": UNKNOWN}]) == [], "unknown until apply"


def test_prod_makes_the_budget_rule_mandatory():
    config = json.loads((ROOT / "policy" / "config" / "prod.json").read_text())
    assert config["budget-covers-estimate"] == {"enforcementLevel": "mandatory"}
    assert {r.level for r in RULES if r.id == "budget-covers-estimate"} == {ADVISORY}


# deployments-have-diagnostics joins each deployment to its Foundry resource or online endpoint, and that to a
# diagnostic setting of the stack: through property dependencies in a preview, through resource ids after apply.
DIAGNOSTIC_T = "azure-native:monitor:DiagnosticSetting"
DIAGNOSED = "deployments-have-diagnostics"


def analyze_registrations(pack, registrations) -> list[tuple[str, str, str]]:
    resources = [
        proto.AnalyzerResource(
            type=r.type,
            properties=_struct(r.inputs),
            urn=r.urn,
            name=r.name,
            propertyDependencies={
                key: proto.AnalyzerPropertyDependencies(urns=urns) for key, urns in r.property_dependencies.items()
            },
        )
        for r in registrations
    ]
    response = pack.stub.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources))
    return [
        (d.policyName, proto.EnforcementLevel.Name(d.enforcementLevel).lower(), d.message)
        for d in response.diagnostics
        if d.policyName == DIAGNOSED
    ]


def without_setting_on(result, type_: str) -> list[Any]:
    """The stack's registrations but the diagnostic setting on its resource of this type."""
    watched = {r.urn for r in result.by_type(type_)}
    return [
        r
        for r in result.registrations
        if not (r.type == DIAGNOSTIC_T and set(r.property_dependencies.get("resourceUri", [])) & watched)
    ]


def test_the_shipped_and_managed_stacks_watch_every_deployment_and_one_setting_less_does_not(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    dev, managed_stack = run("dev", shipped_config("dev")), run("managed", scenario("managed"))
    assert analyze_registrations(pack, dev.registrations) == []
    assert analyze_registrations(pack, managed_stack.registrations) == []
    (found,) = analyze_registrations(pack, without_setting_on(dev, f"{CS}:Account"))
    assert found[:2] == (DIAGNOSED, "advisory") and "maverick-deployment: no diagnostic setting" in found[2]
    assert "its Foundry resource" in found[2] and "monitoring.diagnostics" in found[2]
    (found,) = analyze_registrations(pack, without_setting_on(managed_stack, f"{ML}:OnlineEndpoint"))
    assert "its online endpoint" in found[2]
    kept = without_setting_on(dev, f"{ML}:Workspace")
    assert analyze_registrations(pack, kept) == [], "the hub's own setting is not the deployment's"


def test_prod_makes_diagnostics_mandatory_and_a_stack_without_them_fails_it(pack, tmp_path):
    prod = json.loads((ROOT / "policy" / "config" / "prod.json").read_text())
    assert prod[DIAGNOSED] == {"enforcementLevel": "mandatory"}
    assert {r.level for r in RULES if r.id == DIAGNOSED} == {ADVISORY}
    configure(pack, prod, tmp_path)
    assert analyze_registrations(pack, run("prod", shipped_config("prod")).registrations) == []
    off = shipped_config("prod") | {"llama-on-azure:monitoring": {"diagnostics": False}}
    found = analyze_registrations(pack, run("prod", off).registrations)
    assert [(f[0], f[1]) for f in found] == [(DIAGNOSED, "mandatory")] * 2, "both Foundry deployments"


def test_after_apply_the_deployments_id_names_its_resource(pack, tmp_path):
    configure(pack, BASELINE_CONFIG, tmp_path)
    account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/aif"
    endpoint = (
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/p/onlineEndpoints/e"
    )
    resources = [
        (f"{CS}:Deployment", {"id": f"{account}/deployments/maverick", "name": "maverick"}),
        (f"{ML}:OnlineDeployment", {"id": f"{endpoint}/deployments/blue", "name": "blue"}),
        (DIAGNOSTIC_T, {"id": f"{account}/providers/microsoft.insights/diagnosticSettings/d", "resourceUri": account}),
        (DIAGNOSTIC_T, {"resourceUri": endpoint.upper()}),
    ]

    def analyzed(items):
        request = proto.AnalyzeStackRequest(
            resources=[
                proto.AnalyzerResource(type=t, properties=_struct(p), urn=f"urn:pulumi:dev::p::{t}::r{i}", name=f"r{i}")
                for i, (t, p) in enumerate(items)
            ]
        )
        return [d.message for d in pack.stub.AnalyzeStack(request).diagnostics if d.policyName == DIAGNOSED]

    assert analyzed(resources) == []
    (found,) = analyzed(resources[:3])
    assert "r1: no diagnostic setting" in found and "online endpoint" in found


def test_a_closed_resource_without_a_private_endpoint_is_named_and_the_others_pass():
    # The private scenario as prod judges it, with the key vault's private endpoint taken away: that vault, and
    # only it, is closed with no way in; every other closed resource keeps its endpoint, every public access is off.
    result = copy.deepcopy(run("private", scenario("private")))
    vault = result.one("azure-native:keyvault:Vault")
    dropped = {
        r.urn
        for r in result.registrations
        if vault.urn in r.property_dependencies.get("privateLinkServiceConnections", [])
    }
    assert len(dropped) == 1
    result.registrations = [r for r in result.registrations if r.urn not in dropped and r.parent not in dropped]
    found = check_policies(result, ROOT / "policy" / "config" / "prod.json")
    closed = [v for v in found if v.policy == "private-endpoint-for-closed-resources"]
    assert [(v.resource, v.level) for v in closed] == [(vault.name, "mandatory")]
    assert "properties.publicNetworkAccess is Disabled and no private endpoint" in closed[0].message
    assert not [v for v in found if v.policy.endswith("public-network-access")], found
