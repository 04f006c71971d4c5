"""Llama as Foundry Models (kind: foundry): what a stack registers, in which order, what it exports, what it refuses."""

import copy
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import models, rbac
from infra import naming
from infra.exports import read_endpoints
from infra.kinds.foundry import capacity_problem
from tests.support.rest_oracle import check_resource, cognitive_services_api_version
from tests.support.stacks import CS, LLAMA33, MAVERICK, foundry, run, shipped_config, stack_config, token
from tools.engine import LlamaMocks, RunResult, run_isolated
from tools.plan import creation_depth
from tools.render import UNKNOWN

ACCOUNT, PROJECT, DEPLOYMENT, RAI_POLICY = (f"{CS}:{t}" for t in ("Account", "Project", "Deployment", "RaiPolicy"))
GROUP = "azure-native:resources:ResourceGroup"
HUB_TYPES = (
    "azure-native:machinelearningservices:",
    "azure-native:storage:",
    "azure-native:keyvault:",
    "azure-native:operationalinsights:",
    "azure-native:applicationinsights:",
    "azure-native:containerregistry:",
)
DEVELOPER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
DEPLOYER = "11111111-2222-3333-4444-555555555555"
SUBNET = (
    "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/net/providers/Microsoft.Network/"
    "virtualNetworks/vnet/subnets/ai"
)
STRICT = {"hate": "Low", "sexual": "Low", "violence": "High", "selfHarm": "Low", "indirectAttack": True}

# Named scenario stacks (defaults, a named content filter, locked down), each on the dev stack's region.
MONITOR_TYPES = ("azure-native:monitor:DiagnosticSetting", "azure-native:monitor:MetricAlert")
FOUNDRY_ONLY = stack_config(deployments=[foundry("maverick")], foundry=None)
UNMONITORED = stack_config(
    deployments=[foundry("maverick")], foundry=None, monitoring={"diagnostics": False, "alerts": {"enabled": False}}
)
WITH_KEY = stack_config(deployments=[foundry("maverick")], foundry={"localAuth": True})
FILTERED = stack_config(
    deployments=[foundry("maverick", contentFilter="strict"), foundry("llama33", LLAMA33, capacity=50)],
    contentFilters={"strict": STRICT, "unused": {}},
    foundry=None,
)
LOCKED_DOWN = stack_config(
    deployments=[foundry("maverick")],
    foundry={
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"ipRules": ["203.0.113.0/24"], "virtualNetworkRules": [SUBNET]},
    },
    network={"externalPrivateEndpoints": True},  # the landing zone adds the private endpoint
    access={"deployerRole": True, "deployers": [DEPLOYER], "developers": [DEVELOPER]},
    protect=True,
)


def ok(config: dict, **kwargs) -> RunResult:
    result = run("dev", config, **kwargs)
    assert result.error is None, result.error
    return result


def test_the_foundry_resource_is_an_aiservices_account_with_its_suffixed_subdomain():
    result = ok(FOUNDRY_ONLY)
    account = result.one(ACCOUNT).inputs
    name = account["accountName"]
    assert naming.FOUNDRY_ACCOUNT.fullmatch(name) and name.startswith("aif-llama-dev-")
    suffix = name.rsplit("-", 1)[1]
    assert len(suffix) == naming.SUFFIX_LENGTH
    assert account["kind"] == "AIServices" and account["sku"] == {"name": "S0"}
    assert account["identity"] == {"type": "SystemAssigned"}
    assert account["location"] == "eastus2" and account["tags"]["managed-by"] == "pulumi"
    props = account["properties"]
    assert props["customSubDomainName"] == name, "the subdomain is the globally unique, suffixed name"
    assert props["allowProjectManagement"] is True
    assert props["disableLocalAuth"] is True, "key auth is off unless the stack turns it on"
    assert props["publicNetworkAccess"] == "Enabled"
    assert "networkAcls" not in props
    other = run("dev", FOUNDRY_ONLY, subscription="22222222-2222-2222-2222-222222222222").one(ACCOUNT)
    assert other.inputs["accountName"] != name, "another subscription's stack gets another subdomain"


def test_the_project_belongs_to_the_account():
    result = ok(FOUNDRY_ONLY)
    account, project = result.one(ACCOUNT), result.one(PROJECT)
    assert project.inputs["accountName"] == account.inputs["accountName"]
    assert account.urn in project.property_dependencies["accountName"]
    assert project.inputs["projectName"] == "proj-llama-dev"
    assert project.inputs["identity"] == {"type": "SystemAssigned"}
    assert project.inputs["location"] == account.inputs["location"]
    assert project.inputs["properties"]["displayName"] == "proj-llama-dev"
    assert result.exports["foundryProjectName"] == "proj-llama-dev"
    assert result.exports["foundryAccountName"] == account.inputs["accountName"]


def test_a_deployment_pins_the_catalog_version_with_format_sku_capacity_and_no_auto_upgrade():
    result = ok(stack_config(deployments=[foundry("maverick", capacity=20)], foundry=None))
    deployment = result.one(DEPLOYMENT).inputs
    assert deployment["deploymentName"] == "maverick"
    assert deployment["accountName"] == result.one(ACCOUNT).inputs["accountName"]
    assert deployment["sku"] == {"name": "GlobalStandard", "capacity": 20}
    offer = models.MODELS[MAVERICK].foundry
    assert deployment["properties"]["model"] == {"format": "Meta", "name": MAVERICK, "version": offer.latest}
    assert deployment["properties"]["raiPolicyName"] == "Microsoft.DefaultV2"
    assert deployment["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"


def test_a_pinned_version_and_an_upgrade_policy_the_stack_asks_for_are_kept():
    config = stack_config(
        deployments=[foundry("llama33", LLAMA33, modelVersion="3", versionUpgrade="OnceCurrentVersionExpired")]
    )
    props = ok(config).one(DEPLOYMENT).inputs["properties"]
    assert props["model"]["version"] == "3"
    assert props["versionUpgradeOption"] == "OnceCurrentVersionExpired"


def test_a_foundry_only_stack_has_no_hub_storage_key_vault_and_logs_only_for_diagnostics():
    result = ok(UNMONITORED)
    azure = {r.type for r in result.registrations if r.custom}
    assert not [t for t in azure if t.startswith(HUB_TYPES)], azure
    assert azure == {GROUP, ACCOUNT, PROJECT, DEPLOYMENT}
    assert not {"hubId", "hubName", "projectId", "projectName", "studioUrl"} & set(result.exports)
    monitored = {r.type for r in ok(FOUNDRY_ONLY).registrations if r.custom} - azure
    assert monitored == {"azure-native:operationalinsights:Workspace", *MONITOR_TYPES}, "its own workspace"


def test_its_longest_create_chain_is_group_account_deployment():
    result = ok(UNMONITORED)
    depth = creation_depth(result)
    by_type = {r.type: depth[r.urn] for r in result.registrations if r.custom}
    assert by_type == {GROUP: 1, ACCOUNT: 2, PROJECT: 3, DEPLOYMENT: 3}


def test_a_named_filter_is_created_before_the_deployments_and_writes_on_the_account_go_one_at_a_time():
    result = ok(FILTERED)
    (policy,) = result.by_type(RAI_POLICY)  # the unused policy is not created
    maverick, llama33 = (result.one(DEPLOYMENT, f"{n}-deployment") for n in ("maverick", "llama33"))
    assert policy.urn in maverick.dependencies, "the deployment waits for its content filter"
    assert maverick.urn in llama33.dependencies, "Azure refuses concurrent writes on an account's children"
    depth = creation_depth(result)
    assert [depth[r.urn] for r in (result.one(ACCOUNT), policy, maverick, llama33)] == [2, 3, 4, 5]
    assert maverick.inputs["properties"]["raiPolicyName"] == "strict"
    assert llama33.inputs["properties"]["raiPolicyName"] == "Microsoft.DefaultV2"
    assert llama33.inputs["sku"]["capacity"] == 50


def test_a_named_filter_becomes_a_rai_policy_with_its_thresholds_on_prompts_and_completions():
    policy = ok(FILTERED).one(RAI_POLICY).inputs
    assert policy["raiPolicyName"] == "strict"
    props = policy["properties"]
    assert props["basePolicyName"] == "Microsoft.DefaultV2" and props["mode"] == "Default"
    filters = {(f["name"], f["source"]): f for f in props["contentFilters"]}
    expected = {"Hate": "Low", "Sexual": "Low", "Violence": "High", "Selfharm": "Low"}
    for category, level in expected.items():
        for source in ("Prompt", "Completion"):
            assert filters[(category, source)] == {
                "name": category,
                "source": source,
                "severityThreshold": level,
                "blocking": True,
                "enabled": True,
            }
    switches = {
        ("Jailbreak", "Prompt"): True,
        ("Indirect Attack", "Prompt"): True,
        ("Protected Material Text", "Completion"): True,
        ("Protected Material Code", "Completion"): True,  # on, as in Microsoft's default
    }
    for key, enabled in switches.items():
        assert filters[key] == {"name": key[0], "source": key[1], "blocking": True, "enabled": enabled}
    assert len(filters) == len(props["contentFilters"]) == 12, "one entry per filter and source"


def test_a_filter_that_only_annotates_says_so_on_every_entry():
    config = stack_config(
        deployments=[foundry("maverick", contentFilter="audit")], contentFilters={"audit": {"blocking": False}}
    )
    filters = ok(config).one(RAI_POLICY).inputs["properties"]["contentFilters"]
    assert {f["blocking"] for f in filters} == {False}


def test_exports_give_the_openai_v1_url_the_deployment_name_and_entra_auth():
    result = ok(FOUNDRY_ONLY)
    subdomain = result.one(ACCOUNT).inputs["accountName"]
    assert result.exports["endpoints"] == {
        "maverick": {
            "kind": "foundry",
            "api": "chat",
            "model": MAVERICK,
            "url": f"https://{subdomain}.services.ai.azure.com/openai/v1/chat/completions",
            "name": "maverick",
            "deployment": "maverick",
            "auth": "entra",
        }
    }
    assert result.exports["endpointKeys"] == {"secret": {}}, "no key when local auth is off"
    assert not [i for i in result.invokes if i["token"] == f"{CS}:listAccountKeys"], "keys are never even read"
    endpoints, keys = read_endpoints({**result.exports, "endpointKeys": {}})
    assert endpoints["maverick"]["deployment"] == "maverick" and keys == {}


def test_with_local_auth_the_key_is_exported_only_as_a_secret():
    result = ok(WITH_KEY)
    account = result.one(ACCOUNT).inputs
    assert account["properties"]["disableLocalAuth"] is False
    assert result.exports["endpoints"]["maverick"]["auth"] == "key"
    (listed,) = [i for i in result.invokes if i["token"] == f"{CS}:listAccountKeys"]
    assert listed["args"] == {"accountName": account["accountName"], "resourceGroupName": "rg-llama-dev"}
    keys = result.exports["endpointKeys"]
    assert keys == {"secret": {"maverick": f"k1-{account['accountName']}"}}
    plain = repr({k: v for k, v in result.exports.items() if k != "endpointKeys"})
    assert keys["secret"]["maverick"] not in plain
    assert all(keys["secret"]["maverick"] not in repr(r.inputs) for r in result.registrations)
    component = next(r for r in result.registrations if r.type == token("FoundryResource"))
    assert not component.inputs, "the component's outputs are registered, never its key in plain text"


def test_a_preview_leaves_the_url_unknown_and_reads_no_key():
    result = ok(WITH_KEY, preview=True)
    assert result.exports["endpoints"]["maverick"]["url"] == UNKNOWN
    assert result.exports["endpoints"]["maverick"]["deployment"] == "maverick", "known before apply"
    assert not [i for i in result.invokes if i["token"] == f"{CS}:listAccountKeys"]


def test_network_settings_follow_the_stack():
    props = ok(LOCKED_DOWN).one(ACCOUNT).inputs["properties"]
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"] == {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        "ipRules": [{"value": "203.0.113.0/24"}],
        "virtualNetworkRules": [{"id": SUBNET}],
    }


def test_developers_get_foundry_user_on_the_account_and_deployers_the_foundry_actions():
    result = ok(LOCKED_DOWN)
    account = result.one(ACCOUNT)
    assignments = [r.inputs for r in result.by_type("azure-native:authorization:RoleAssignment")]
    (developer,) = [a for a in assignments if a["principalId"] == DEVELOPER]
    assert developer["scope"] == account.id
    assert developer["roleDefinitionId"].endswith(f"/roleDefinitions/{rbac.FOUNDRY_USER.id}")
    deployer = sorted(a["scope"] for a in assignments if a["principalId"] == DEPLOYER)
    group = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-llama-dev"
    assert deployer == sorted([group.split("/resourceGroups")[0], group, account.id]), "no hub project here"
    actions = set(result.one("azure-native:authorization:RoleDefinition").inputs["permissions"][0]["actions"])
    assert set(rbac.FOUNDRY_DEPLOYER_ACTIONS) <= actions


def test_protect_keeps_the_account_and_project_but_not_the_deployments():
    result = ok(LOCKED_DOWN)
    assert result.one(ACCOUNT).protect and result.one(PROJECT).protect
    assert not result.one(DEPLOYMENT).protect


def test_every_foundry_resource_is_parented_and_replaced_delete_before_create():
    result = ok(FILTERED)
    components = {r.urn: r.type for r in result.registrations if not r.custom}
    for reg in result.registrations:
        if reg.type.startswith(CS):
            assert components.get(reg.parent, "").startswith("llama-on-azure:index:"), reg.name
            assert reg.delete_before_replace, reg.name
    assert {
        token("FoundryResource"),
        token("FoundryProject"),
        token("ContentFilterPolicy"),
        token("FoundryModelDeployment"),
    } <= set(components.values())


def test_both_paths_in_one_stack():
    result = ok(shipped_config("dev"))
    endpoints = result.exports["endpoints"]
    assert {e["kind"] for e in endpoints.values()} == {"serverless", "foundry"}
    assert set(result.exports["endpointKeys"]["secret"]) == {"chat", "maverick"}
    assert result.exports["hubName"] and result.exports["foundryAccountName"]


def test_runs_are_deterministic():
    first = ok(FILTERED)
    again = run_isolated("dev", copy.deepcopy(FILTERED), preview=False)

    def registered(result):
        return sorted((r.urn, repr(r.inputs)) for r in result.registrations)

    assert registered(first) == registered(again)


def test_a_declared_foundry_model_deploys_its_declared_version_with_a_warning():
    config = stack_config(
        deployments=[foundry("next", "Llama-5-Chat")],
        models=[{"name": "Llama-5-Chat", "api": "chat", "version": "2", "marketplace": False}],
    )
    result = ok(config)
    assert result.one(DEPLOYMENT).inputs["properties"]["model"] == {
        "format": "Meta",
        "name": "Llama-5-Chat",
        "version": "2",
    }
    assert any("declared by the stack" in w for w in result.warnings)


def test_foundry_payloads_match_the_rest_models_of_api_2025_06_01():
    assert cognitive_services_api_version() == "2025-06-01"
    checked = set()
    for config in (FOUNDRY_ONLY, WITH_KEY, FILTERED, LOCKED_DOWN):
        for reg in ok(config).registrations:
            if reg.type.startswith(CS):
                assert check_resource(reg.type, reg.inputs) == [], reg.name
                checked.add(reg.type)
    assert checked == {ACCOUNT, PROJECT, DEPLOYMENT, RAI_POLICY}


@pytest.mark.parametrize(
    ("type_", "payload", "expected"),
    [
        (ACCOUNT, {"properties": {"publicNetworkAccess": "Open"}}, "'Open' is not a value"),
        (ACCOUNT, {"properties": {"endpoint": "https://x"}}, "read-only"),
        (ACCOUNT, {"properties": {"localAuth": False}}, "no such property"),
        (PROJECT, {"identity": {"type": "Robot"}}, "'Robot' is not a value"),
        (PROJECT, {"properties": {"isDefault": True}}, "read-only"),
        (DEPLOYMENT, {"properties": {"versionUpgradeOption": "Always"}}, "'Always' is not a value"),
        (DEPLOYMENT, {"properties": {"provisioningState": "Succeeded"}}, "read-only"),
        (DEPLOYMENT, {"properties": {"contentFilter": "strict"}}, "no such property"),
        (RAI_POLICY, {"properties": {"contentFilters": [{"severityThreshold": "Severe"}]}}, "'Severe' is not a value"),
        (RAI_POLICY, {"properties": {"type": "UserManaged"}}, "read-only"),
        # Fields of newer API versions that the SDK's shared input types carry.
        (RAI_POLICY, {"properties": {"contentFilters": [{"action": "BLOCKING"}]}}, "no such property"),
        (RAI_POLICY, {"properties": {"safetyProviders": []}}, "no such property"),
    ],
)
def test_the_oracle_rejects_what_azure_would_for_cognitive_services(type_, payload, expected):
    problems = check_resource(type_, payload)
    assert any(expected in p for p in problems), problems


BAD = {
    "version not offered": (
        [foundry("maverick", modelVersion="7")],
        {},
        ["deployments[0].modelVersion", "'7'", "offered: 1"],
    ),
    "deployment type not offered": (
        [foundry("maverick", sku="DataZoneStandard")],
        {},
        ["deployments[0].sku", "'DataZoneStandard'", "GlobalStandard"],
    ),
    "provisioned is offered for Llama 3.3 only": (
        [foundry("maverick", sku="GlobalProvisionedManaged")],
        {},
        ["deployments[0].sku", "allowed: GlobalStandard"],
    ),
    "capacity zero": ([foundry("maverick", capacity=0)], {}, ["deployments[0].capacity", "at least 1"]),
    "capacity too large": ([foundry("maverick", capacity=10_001)], {}, ["deployments[0].capacity", "at most 10000"]),
    "retired model, not a Foundry Model": (
        [foundry("vision", "Llama-3.2-90B-Vision-Instruct")],
        {},
        ["deployments[0].model", "not offered as kind 'foundry'", MAVERICK, LLAMA33],
    ),
    "unknown model": ([foundry("x", "Llama-9-Giant")], {}, ["deployments[0].model", "not in the Llama catalog"]),
    "unknown content filter": (
        [foundry("maverick", contentFilter="strict")],
        {},
        ["deployments[0].contentFilter", "'strict'", "allowed: default"],
    ),
    "a managed key on a foundry deployment": (
        [foundry("maverick", vmSku="Standard_NC24ads_A100_v4")],
        {},
        ["deployments[0].vmSku", "only for kind 'managed'"],
    ),
    "typo in a deployment": ([foundry("maverick", capcity=2)], {}, ["deployments[0].capcity", "unknown key"]),
    "unknown upgrade option": (
        [foundry("maverick", versionUpgrade="Always")],
        {},
        ["deployments[0].versionUpgrade", "'Always'", "NoAutoUpgrade"],
    ),
    "typo in foundry": ([foundry("maverick")], {"foundry": {"keyAuth": True}}, ["foundry.keyAuth", "unknown key"]),
    "local auth not a boolean": (
        [foundry("maverick")],
        {"foundry": {"localAuth": "yes"}},
        ["foundry.localAuth", "'yes'", "true or false"],
    ),
    "not an IP rule": (
        [foundry("maverick")],
        {"foundry": {"networkAcls": {"ipRules": ["everyone"]}}},
        ["foundry.networkAcls.ipRules[0]", "'everyone'", "CIDR"],
    ),
    "not a subnet": (
        [foundry("maverick")],
        {"foundry": {"networkAcls": {"virtualNetworkRules": ["vnet-1"]}}},
        ["foundry.networkAcls.virtualNetworkRules[0]", "subnet"],
    ),
    "threshold that does not exist": (
        [foundry("maverick", contentFilter="strict")],
        {"contentFilters": {"strict": {"hate": "Extreme"}}},
        ["contentFilters.strict.hate", "'Extreme'", "'Low', 'Medium' or 'High'"],
    ),
    "more deployments than a resource holds": (
        [foundry(f"m{i:02d}") for i in range(33)],
        {},
        ["llama-on-azure:deployments", "33 foundry deployments", "at most 32"],
    ),
    "declared model without a version": (
        [foundry("next", "Llama-5-Chat")],
        {"models": [{"name": "Llama-5-Chat", "api": "chat"}]},
        ["deployments[0].modelVersion", "required"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_foundry_input_is_refused_before_any_resource(case):
    deployments, keys, fragments = BAD[case]
    result = run("dev", stack_config(deployments=deployments, **{"foundry": None, **keys}))
    assert result.error is not None and result.registrations == [], case
    for fragment in fragments:
        assert fragment in result.error, (fragment, result.error)
    assert "Traceback" not in result.error


# The export's URL, whatever form Azure reports the account's endpoint in.
@pytest.mark.parametrize(
    "reported",
    [
        "https://aif-x.services.ai.azure.com/models",  # Microsoft's Bicep sample [model-inference-bicep]
        "https://aif-x.services.ai.azure.com/models/",
        "https://aif-x.services.ai.azure.com/",
        "https://aif-x.services.ai.azure.com",  # the CLI how-to appends /models to it [foundry-cli-deployments]
    ],
)
def test_the_v1_url_is_right_whatever_form_the_endpoint_takes(reported):
    from infra.kinds.foundry import v1_url

    assert v1_url(reported, "/openai/v1/chat/completions") == (
        "https://aif-x.services.ai.azure.com/openai/v1/chat/completions"
    )


def test_no_endpoint_reported_gives_no_url():
    from infra.kinds.foundry import v1_url

    assert v1_url(None, "/openai/v1/chat/completions") is None and v1_url("", "/x") is None


@pytest.mark.parametrize(("capacity", "refused"), [(50, True), (150, True), (100, False), (300, False)])
def test_provisioned_capacity_is_at_least_100_in_steps_of_100(capacity, refused):
    from tests.support.config import base, problems

    found = problems(base(deployments=[foundry("ptu", LLAMA33, sku="GlobalProvisionedManaged", capacity=capacity)]))
    assert bool([p for p in found if "at least 100 PTU in steps of 100" in p]) is refused, found


def test_capacity_above_the_documented_default_quota_warns_and_names_the_unconfirmed_unit():
    from tests.support.config import base, warnings

    said = warnings(base(deployments=[foundry("big", capacity=401)]))
    assert any("above the documented default quota" in w and "400,000 tokens per minute" in w for w in said), said
    assert not any("default quota" in w for w in warnings(base(deployments=[foundry("fits", capacity=400)])))


def test_an_annotate_only_content_filter_warns_that_it_needs_microsofts_approval():
    from tests.support.config import base, warnings

    raw = base(
        deployments=[foundry("one", contentFilter="soft"), foundry("two", contentFilter="soft")],
        contentFilters={"soft": {"blocking": False}},
    )
    said = [w for w in warnings(raw) if "needs Microsoft's approval" in w]
    assert len(said) == 1 and said[0].startswith("llama-on-azure:contentFilters.soft.blocking: false"), said
    blocking = base(deployments=[foundry("one", contentFilter="hard")], contentFilters={"hard": {}})
    assert not any("approval" in w for w in warnings(blocking))


class ModelsFormMocks(LlamaMocks):
    """Azure answering the account's Model Inference endpoint with /models, as Microsoft's Bicep sample writes it."""

    def new_resource(self, args):
        resource_id, state = super().new_resource(args)
        if args.typ == f"{CS}:Account":
            endpoints = state["properties"]["endpoints"]
            endpoints["Azure AI Model Inference API"] = (
                endpoints["Azure AI Model Inference API"].rstrip("/") + "/models"
            )
        return resource_id, state


def test_the_exported_url_drops_a_models_suffix_azure_reports():
    result = run_isolated("dev", shipped_config("dev"), preview=False, mock=ModelsFormMocks(preview=False))
    url = result.exports["endpoints"]["maverick"]["url"]
    assert url.endswith(".services.ai.azure.com/openai/v1/chat/completions") and "/models/" not in url


# What preflight says of a capacity Azure's model list does not allow: never the refused capacity as allowed.
limits = st.builds(
    types.SimpleNamespace,
    minimum=st.none() | st.integers(0, 200),
    maximum=st.none() | st.integers(0, 2000),
    step=st.none() | st.integers(-1, 50),
    allowed_values=st.none() | st.lists(st.integers(0, 300) | st.booleans() | st.text(max_size=3), max_size=5),
)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(capacity=st.integers(1, 300), listed=limits)
def test_a_capacity_azure_refuses_is_never_offered_back(capacity, listed):
    problem = capacity_problem(capacity, "GlobalStandard", listed)
    if problem is None:
        return
    assert problem.startswith(f"capacity {capacity} is outside what Azure lists for GlobalStandard here")
    offered = problem.partition("one of ")[2]
    assert str(capacity) not in [v.strip() for v in offered.split(",")], problem


def test_a_capacity_azure_lists_as_allowed_is_allowed_whatever_the_step():
    listed = types.SimpleNamespace(minimum=0, maximum=100, step=3, allowed_values=[5, 10])
    assert capacity_problem(10, "GlobalStandard", listed) is None
    assert "one of 5, 10" in capacity_problem(7, "GlobalStandard", listed)
