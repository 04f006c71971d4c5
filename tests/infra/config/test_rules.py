"""Every bad stack stops with a RunError naming the key, the bad value and what is allowed, before any resource."""

import re
from typing import Any

import pytest

from tests.support.config import base
from tests.support.config import problems as config_problems
from tests.support.stacks import LLAMA33, MAVERICK, foundry, managed, run, serverless, stack_config

CHAT = serverless("chat")
LLAMA2 = "Llama-2-7b-chat"
# Llama 2 was still generally available then: its allow-list rules apply, its lifecycle does not refuse it.
BEFORE_LLAMA2_LEGACY = "2025-01-15"


def llama2(name: str, **extra):
    return managed(name, LLAMA2, **{"vmSku": "Standard_NC12s_v3", **extra})


CASES = {
    "typo at the top": (stack_config(**{"deployment": [CHAT]}), ["llama-on-azure:deployment", "unknown key"]),
    "typo in a deployment": (
        stack_config(deployments=[{**CHAT, "contentSafty": False}]),
        ["llama-on-azure:deployments[0].contentSafty", "unknown key"],
    ),
    "typo in hub": (stack_config(hub={"publicAccess": "Disabled"}), ["llama-on-azure:hub.publicAccess", "unknown key"]),
    "mistyped namespace": (
        stack_config(**{"llama-on-azur:protect": True}),
        ["llama-on-azur:protect", "unknown namespace 'llama-on-azur'", "did you mean llama-on-azure:protect"],
    ),
    "unknown model": (
        stack_config(deployments=[serverless("chat", "Llama-9-Giant")]),
        [
            "llama-on-azure:deployments[0].model",
            "'Llama-9-Giant' is not in the Llama catalog (as of",
            LLAMA33,
            "llama-on-azure:models",
        ],
    ),
    "retired model": (
        stack_config(deployments=[serverless("chat", "Meta-Llama-3-8B-Instruct")]),
        ["llama-on-azure:deployments[0].model", "retired on 2025-06-30", "Meta-Llama-3.1-8B-Instruct", "404"],
    ),
    "deprecated model": (
        (stack_config(deployments=[serverless("chat", "Meta-Llama-3.1-8B-Instruct")]), "2026-04-01"),
        ["deployments[0].model", "deprecated since 2026-03-13", "refuses new deployments", "retires it on 2026-06-13"],
    ),
    "base Llama 3 was never serverless": (
        stack_config(deployments=[serverless("base", "Meta-Llama-3-8B")]),
        ["llama-on-azure:deployments[0].model", "'Meta-Llama-3-8B' is not offered as kind 'serverless'"],
    ),
    "region that does not offer the model": (
        stack_config(**{"region": "westeurope", "azure-native:location": "westeurope"}),
        ["llama-on-azure:region", "'westeurope' does not offer 'Llama-3.3-70B-Instruct'", "eastus2", "swedencentral"],
    ),
    "not a region": (stack_config(region="mars-north"), ["llama-on-azure:region", "'mars-north'", "eastus2"]),
    "provider location differs": (
        stack_config(**{"azure-native:location": "westeurope"}),
        ["azure-native:location", "'westeurope'", "llama-on-azure:region"],
    ),
    "endpoint name starts with a digit": (
        stack_config(deployments=[serverless("8bchat")]),
        ["llama-on-azure:deployments[0].name", "'8bchat'", "a letter first"],
    ),
    "endpoint name too short": (
        stack_config(deployments=[serverless("ab")]),
        ["llama-on-azure:deployments[0].name", "'ab'", "3-32 characters"],
    ),
    "endpoint name with a double dash": (
        stack_config(deployments=[serverless("chat--a")]),
        ["llama-on-azure:deployments[0].name", "'chat--a'", "single dashes"],
    ),
    "two serverless deployments of one model": (
        stack_config(deployments=[CHAT, serverless("chat2")]),
        ["llama-on-azure:deployments[1].model", "one serverless deployment per model per project"],
    ),
    "two deployments with one name": (
        stack_config(deployments=[CHAT, foundry("chat")]),
        ["llama-on-azure:deployments[1].name", "'chat'", "unique"],
    ),
    "deployments missing": (stack_config(deployments=None), ["llama-on-azure:deployments: required key is missing"]),
    "deployments empty": (stack_config(deployments=[]), ["llama-on-azure:deployments", "empty", "at least one"]),
    "unknown kind": (
        stack_config(deployments=[{**CHAT, "kind": "batch"}]),
        ["llama-on-azure:deployments[0].kind", "'batch'", "serverless, managed, foundry"],
    ),
    "kind missing": (
        stack_config(deployments=[{"name": "chat", "model": LLAMA33}]),
        ["llama-on-azure:deployments[0].kind", "required key is missing"],
    ),
    "managed without a VM SKU": (
        stack_config(deployments=[{"name": "big", "kind": "managed", "model": LLAMA33}]),
        ["llama-on-azure:deployments[0].vmSku", "required key is missing"],
    ),
    "VM SKU without a GPU": (
        stack_config(deployments=[managed("big", vmSku="Standard_F4s_v2")]),
        ["llama-on-azure:deployments[0].vmSku", "'Standard_F4s_v2' has no GPU", "Standard_NC96ads_A100_v4"],
    ),
    "unknown VM SKU": (
        stack_config(deployments=[managed("big", vmSku="Standard_Potato_v9")]),
        ["llama-on-azure:deployments[0].vmSku", "'Standard_Potato_v9' is not in the VM catalog"],
    ),
    "70B model on one T4 (no allow-list: GPU memory)": (
        stack_config(deployments=[managed("big", vmSku="Standard_NC4as_T4_v3")]),
        [
            "deployments[0].vmSku",
            "needs about 140 GB",
            "'Standard_NC4as_T4_v3' has 16 GB (1x T4 16 GB)",
            "Standard_NC96ads_A100_v4",
        ],
    ),
    "SKU outside the model card's allow-list": (
        (stack_config(deployments=[llama2("llama2", vmSku="Standard_NC24ads_A100_v4")]), BEFORE_LLAMA2_LEGACY),
        [
            "deployments[0].vmSku",
            "'Standard_NC24ads_A100_v4' is not in the model card's inference_compute_allow_list",
            "Standard_NC12s_v3",
            "azureml-assets",
        ],
    ),
    "Llama 2 on managed compute today": (
        stack_config(deployments=[llama2("llama2")]),
        ["deployments[0].model", "'Llama-2-7b-chat' (managed) was retired on 2025-06-30"],
    ),
    "no instance": (
        stack_config(deployments=[managed("big", instanceCount=0)]),
        ["llama-on-azure:deployments[0].instanceCount", "0 is not allowed", "at least 1"],
    ),
    "too many instances": (
        stack_config(deployments=[managed("big", instanceCount=51)]),
        ["llama-on-azure:deployments[0].instanceCount", "51 is not allowed", "at most 50"],
    ),
    "instance count as text": (
        stack_config(deployments=[managed("big", instanceCount="three")]),
        ["llama-on-azure:deployments[0].instanceCount", "'three'", "integer"],
    ),
    "traffic does not sum to 100": (
        stack_config(
            deployments=[managed("blue", endpoint="big", traffic=60), managed("green", endpoint="big", traffic=30)]
        ),
        ["llama-on-azure:deployments[0].traffic", "'big' traffic sums to 90", "blue=60, green=30", "sum to 100"],
    ),
    "shared endpoint without traffic": (
        stack_config(deployments=[managed("blue", endpoint="big"), managed("green", endpoint="big")]),
        ["llama-on-azure:deployments[0].traffic", "endpoint 'big' has 2 deployments", "sum to 100"],
    ),
    "traffic above 100": (
        stack_config(deployments=[managed("big", traffic=150)]),
        ["llama-on-azure:deployments[0].traffic", "150", "100"],
    ),
    "model version not a number": (
        stack_config(deployments=[managed("big", modelVersion="latest")]),
        [
            "llama-on-azure:deployments[0].modelVersion",
            "'latest' is a model version, but managed compute",
            "/versions/N",
        ],
    ),
    "model version zero": (
        stack_config(deployments=[managed("big", modelVersion=0)]),
        ["llama-on-azure:deployments[0].modelVersion", "0 is a model version, but", "a whole number from 1"],
    ),
    "model version in other digits": (
        stack_config(deployments=[managed("big", modelVersion="²")]),
        [
            "llama-on-azure:deployments[0].modelVersion",
            "'²' (that is '\\xb2') is not allowed: a model version is 1-64 ASCII letters",
        ],
    ),
    "content safety on managed": (
        stack_config(deployments=[managed("big", contentSafety=True)]),
        ["llama-on-azure:deployments[0].contentSafety", "only for kind 'serverless'"],
    ),
    "VM SKU on serverless": (
        stack_config(deployments=[{**CHAT, "vmSku": "Standard_NC24ads_A100_v4"}]),
        ["llama-on-azure:deployments[0].vmSku", "only for kind 'managed'"],
    ),
    "capacity on serverless": (
        stack_config(deployments=[{**CHAT, "capacity": 3}]),
        ["llama-on-azure:deployments[0].capacity", "only for kind 'foundry'"],
    ),
    "shared endpoint with two auth modes": (
        stack_config(
            deployments=[
                managed("blue", endpoint="big", traffic=50),
                managed("green", endpoint="big", traffic=50, authMode="AMLToken"),
            ]
        ),
        ["llama-on-azure:deployments[0].authMode", "'big' disagree (AMLToken, Key)"],
    ),
    "same deployment name twice on one endpoint": (
        stack_config(
            deployments=[managed("blue", endpoint="big", traffic=50), managed("blue", endpoint="big", traffic=50)]
        ),
        ["llama-on-azure:deployments[1].name", "'blue' is used twice on endpoint 'big'"],
    ),
    "two endpoint/deployment pairs with one resource name": (
        stack_config(deployments=[managed("ccc", endpoint="aaa-bbb"), managed("bbb-ccc", endpoint="aaa")]),
        ["llama-on-azure:deployments[1].name", "same resource name 'aaa-bbb-ccc'"],
    ),
    "serverless name taken by a managed endpoint": (
        stack_config(deployments=[CHAT, managed("blue", endpoint="chat")]),
        ["llama-on-azure:deployments[1].endpoint", "'chat' is also the name of a serverless endpoint"],
    ),
    "egress setting under the hub's managed network": (
        stack_config(deployments=[managed("big", egressPublicNetworkAccess="Disabled")]),
        [
            "deployments[0].egressPublicNetworkAccess",
            "Azure ignores it under the hub's managed network",
            "AllowInternetOutbound",
        ],
    ),
    "content safety not a boolean": (
        stack_config(deployments=[{**CHAT, "contentSafety": "yes"}]),
        ["llama-on-azure:deployments[0].contentSafety", "'yes'", "true or false"],
    ),
    "protect not a boolean": (stack_config(protect="yes"), ["llama-on-azure:protect", "'yes'", "true or false"]),
    "bad isolation mode": (
        stack_config(hub={"isolationMode": "Open"}),
        ["llama-on-azure:hub.isolationMode", "'Open'", "AllowOnlyApprovedOutbound"],
    ),
    "foundry version not offered": (
        stack_config(deployments=[foundry("maverick", modelVersion="7")]),
        ["deployments[0].modelVersion", "'7' is not a version of Llama-4-Maverick", "offered: 1"],
    ),
    "foundry deployment type not offered": (
        stack_config(deployments=[foundry("maverick", sku="DataZoneStandard")]),
        ["deployments[0].sku", "'DataZoneStandard' is not a deployment type offered", "GlobalStandard"],
    ),
    "foundry capacity out of range": (
        stack_config(deployments=[foundry("maverick", capacity=0)]),
        ["deployments[0].capacity", "0 is not allowed", "at least 1"],
    ),
    "IP rule that is IPv6": (
        stack_config(foundry={"networkAcls": {"ipRules": ["2001:db8::/32"]}}),
        ["llama-on-azure:foundry.networkAcls.ipRules[0]", "IPv6", "IPv4 only"],
    ),
    "IP rule in a private range": (
        stack_config(foundry={"networkAcls": {"ipRules": ["10.1.0.0/16"]}}),
        ["foundry.networkAcls.ipRules[0]", "private range (RFC 1918)"],
    ),
    "IP rule of one address as /32": (
        stack_config(foundry={"networkAcls": {"ipRules": ["198.51.100.7/32"]}}),
        ["foundry.networkAcls.ipRules[0]", "/31 and /32", "single address alone"],
    ),
    "IP rule with host bits": (
        stack_config(foundry={"networkAcls": {"ipRules": ["198.51.100.7/24"]}}),
        ["foundry.networkAcls.ipRules[0]", "host bits zero"],
    ),
    "content filter named default": (
        stack_config(contentFilters={"Default": {"hate": "Low"}}),
        ["llama-on-azure:contentFilters.Default", "Microsoft's default content filter"],
    ),
    "two content filters one name to Azure": (
        stack_config(contentFilters={"strict": {}, "Strict": {"hate": "Low"}}),
        ["llama-on-azure:contentFilters.Strict", "one name to Azure"],
    ),
    "declared model with an infinite size": (
        stack_config(models=[{"name": "Llama-X-1", "api": "chat", "parametersB": "inf"}]),
        ["llama-on-azure:models[0].parametersB"],
    ),
    "declared model with an empty deployment type": (
        stack_config(models=[{"name": "Llama-X-1", "api": "chat", "deploymentTypes": [""]}]),
        ["llama-on-azure:models[0].deploymentTypes[0]"],
    ),
    "foundry content filter not defined": (
        stack_config(deployments=[foundry("maverick", contentFilter="strict")]),
        ["deployments[0].contentFilter", "'strict' is not a policy of llama-on-azure:contentFilters", "default"],
    ),
    "foundry model that is only serverless-retired": (
        stack_config(deployments=[foundry("old", "Meta-Llama-3.1-8B-Instruct")]),
        ["deployments[0].model", "is not offered as kind 'foundry'", MAVERICK],
    ),
    "declaration that changes a catalog model's API": (
        stack_config(models=[{"name": LLAMA33, "api": "completions"}]),
        ["llama-on-azure:models[0].api", "'completions' is not the API of Llama-3.3-70B-Instruct"],
    ),
    "tag that replaces one the stack sets": (
        stack_config(tags={"Environment": "x"}),
        ["llama-on-azure:tags.Environment", "always set by the stack"],
    ),
    "tag name with a forbidden character": (
        stack_config(tags={"cost/center": "x"}),
        ["llama-on-azure:tags.cost/center", "none of <>%&\\?/"],
    ),
    "tag name with a reserved prefix": (
        stack_config(tags={"azure-team": "x"}),
        ["llama-on-azure:tags.azure-team", "reserved"],
    ),
    "tag value too long": (stack_config(tags={"note": "x" * 257}), ["llama-on-azure:tags.note", "at most 256"]),
    "too many tags": (stack_config(tags={f"t{i}": "x" for i in range(48)}), ["llama-on-azure:tags", "at most 50"]),
    "stack name that gives no environment": (
        (stack_config(), "2026-11-27", "---"),
        ["llama-on-azure:environment", "'---'"],
    ),
    "encrypted region": (
        stack_config(region={"secure": "v1:abc"}),
        ["llama-on-azure:region", "encrypted values (secure:) are not accepted for this key"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_config_is_refused_before_any_resource(case):
    config, fragments = CASES[case]
    today, stack = "2026-11-27", "dev"
    if isinstance(config, tuple):
        config, today, *rest = config
        stack = rest[0] if rest else stack
    result = run(stack, config, today=today)
    assert result.error is not None, "the program accepted a bad configuration"
    for fragment in fragments:
        assert fragment in result.error, f"{fragment!r} not in: {result.error}"
    assert result.registrations == [], "resources were registered before the configuration was checked"
    assert "Traceback" not in result.error


def test_every_error_of_a_stack_is_reported_at_once_even_behind_a_type_error():
    config = stack_config(
        region="mars",
        deployments=[
            {**CHAT, "model": "nope", "name": "x"},
            managed("big", instanceCount="three"),
            serverless("old", "Meta-Llama-3-70B-Instruct"),
        ],
        protect="maybe",
    )
    error = run("dev", config).error
    for key in (
        "region",
        "deployments[0].model",
        "deployments[0].name",
        "deployments[1].instanceCount",
        "deployments[2].model",
        "protect",
    ):
        assert f"llama-on-azure:{key}" in error, key


def test_a_legacy_model_plans_with_a_warning_naming_its_dates():
    result = run(
        "dev", stack_config(deployments=[serverless("chat", "Meta-Llama-3.1-8B-Instruct")]), today="2026-02-20"
    )
    assert result.error is None, result.error
    (warning,) = [w for w in result.warnings if "legacy" in w]
    assert (
        "legacy since 2026-02-13" in warning
        and "deprecated on 2026-03-13" in warning
        and "retired on 2026-06-13" in warning
    )


def test_the_same_stack_is_refused_once_the_model_retires():
    config = stack_config(deployments=[serverless("chat", "Meta-Llama-3.1-8B-Instruct")])
    assert run("dev", config, today="2026-02-12").error is None
    assert "retired on 2026-06-13" in run("dev", config, today="2026-06-13").error


def test_an_allow_listed_sku_is_accepted_without_a_warning():
    result = run("dev", stack_config(deployments=[llama2("llama2")]), today=BEFORE_LLAMA2_LEGACY)
    assert result.error is None, result.error
    assert not [w for w in result.warnings if "vmSku" in w]


def test_the_same_deployment_name_on_two_endpoints_is_fine():
    result = run("dev", stack_config(deployments=[managed("blue", endpoint="one"), managed("blue", endpoint="two")]))
    assert result.error is None, result.error


def test_two_names_that_azure_would_cut_to_one_are_refused():
    first, second = "abcdefghijklmnopqrstuvwxy-bcdef", "abcdefghijklmnopqrstuvwxy-bcdeg"  # 31 characters each
    result = run("dev", stack_config(deployments=[managed(first), managed(second)]))
    assert result.error and result.registrations == []
    assert f"'{second}' and '{first}' give the same Azure name" in result.error
    distinct = run("dev", stack_config(deployments=[managed("abcdefghijklmnopqrstuvwx-bcdef"), managed(second)]))
    assert distinct.error is None, distinct.error


def test_a_declaration_adds_what_the_snapshot_does_not_know_of_a_catalog_model():
    config = stack_config(
        deployments=[serverless("chat"), foundry("next", LLAMA33, modelVersion="9")],
        models=[{"name": LLAMA33, "api": "chat", "version": "9", "marketplace": False}],
    )
    result = run("dev", config)
    assert result.error is None, result.error
    assert any("adds to the catalog's Llama-3.3-70B-Instruct" in w and "preflight" in w for w in result.warnings)
    deployment = result.one("azure-native:cognitiveservices:Deployment")
    assert deployment.inputs["properties"]["model"]["version"] == "9"
    assert not result.by_type("azure-native:machinelearningservices:MarketplaceSubscription"), "marketplace: false"


def test_a_declaration_never_revives_a_retired_model():
    config = stack_config(
        deployments=[serverless("old", "Meta-Llama-3-70B-Instruct")],
        models=[{"name": "Meta-Llama-3-70B-Instruct", "api": "chat", "regions": ["eastus2"]}],
    )
    assert "retired on 2025-06-30" in run("dev", config).error


@pytest.mark.parametrize(
    ("keys", "wrong"),
    [
        # A section that fails validation: its defaults would give made-up errors elsewhere.
        (
            {
                "hub": {"isolationMode": "Disabled", "storageSku": "Premium_LRS"},
                "deployments": [managed("big", egressPublicNetworkAccess="Disabled")],
            },
            "Azure ignores it",
        ),
        (
            {
                "contentFilters": {"strict": {"hate": "low"}},
                "deployments": [foundry("maverick", contentFilter="strict")],
            },
            "is not a policy of",
        ),
        (
            {"models": [{"name": "Llama-X-1", "api": "chatt"}], "deployments": [serverless("next", "Llama-X-1")]},
            "is not in the Llama catalog",
        ),
    ],
    ids=["hub", "content filter", "declared model"],
)
def test_a_section_that_fails_gives_no_made_up_errors_elsewhere(keys, wrong):
    error = run("dev", stack_config(**keys)).error
    assert error is not None
    assert wrong not in error, error


# Independent mistakes, each alone one line; several in one deployment or section: a field error beside rule errors.
VM = "Standard_NC96ads_A100_v4"
WEIGHTS = {"uri": "azureml://datastores/workspaceblobstore/paths/llama/"}
MISTAKES: dict[str, tuple[str, Any, str]] = {
    # name: (where, what to set, the key its line names)
    "instance count 0": ("big", {"instanceCount": 0}, "deployments[0].instanceCount"),
    "container without weights": ("big", {"container": {"port": 8000}}, "deployments[0].container"),
    "version not offered": ("mav", {"modelVersion": "9"}, "deployments[1].modelVersion"),
    "deployment type not offered": ("mav", {"sku": "Standard"}, "deployments[1].sku"),
    "lowercase model": ("chat", {"model": LLAMA33.lower()}, "deployments[2].model"),
    "duplicate name": ("twin", {"name": "mav"}, "deployments[3].name"),
    "name too short": ("own", {"name": "ab"}, "deployments[4].name"),
    "version with weights": ("own", {"modelVersion": 4}, "deployments[4].modelVersion"),
    "weights uri and asset": ("own.weights", {"asset": "azureml:x:1"}, "deployments[4].weights"),
    "weights version": ("own.weights", {"version": "a b"}, "deployments[4].weights.version"),
    "budget amount": ("budget", {"amount": -5}, "budget.amount"),
    "budget repeats": ("budget", {"thresholds": [50, 50]}, "budget.thresholds"),
    "budget without e-mail": ("budget", {"contactEmails": []}, "budget.contactEmails"),
}


def _mistaken(names: list[str]) -> dict[str, Any]:
    deployments = {
        "big": managed("big"),
        "mav": foundry("mav"),
        "chat": serverless("chat"),
        "twin": foundry("twin"),
        "own": managed("own", weights=WEIGHTS, container={}),
    }
    budget = {"amount": 100, "contactEmails": ["team@example.com"]}
    for name in names:
        where, change, _ = MISTAKES[name]
        if where == "budget":
            budget |= change
        elif where.endswith(".weights"):
            own = deployments["own"]
            deployments["own"] = own | {"weights": own["weights"] | change}
        else:
            deployments[where] = deployments[where] | change
    return base(deployments=list(deployments.values()), budget=budget, hub={"containerRegistry": True})


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_mistake_alone_is_one_line(name):
    found = config_problems(_mistaken([name]))
    assert len(found) == 1 and f"llama-on-azure:{MISTAKES[name][2]}" in found[0], found


def test_every_mistake_of_a_stack_is_its_own_line_whatever_else_fails():
    # Field errors (instanceCount 0, a name too short, an amount below 0) beside rule errors in the same
    # deployment or section, and rule errors elsewhere: every mistake is a line, none hides another.
    alone = {name: config_problems(_mistaken([name]))[0] for name in MISTAKES}
    together = config_problems(_mistaken(list(MISTAKES)))
    missing = {name: line for name, line in alone.items() if line not in together}
    assert not missing, missing
    assert len(together) == len(MISTAKES), together


CASE_VARIANTS = {
    "vmSku": [managed("big", vmSku="standard_nc96ads_a100_v4")],
    "sku": [foundry("mav", sku="globalstandard")],
    "contentFilter": [foundry("mav", contentFilter="Default")],
    "named contentFilter": [foundry("mav", contentFilter="STRICT")],
    "versionUpgrade": [foundry("mav", versionUpgrade="noautoupgrade")],
    "authMode": [managed("big", authMode="key")],
    "kind": [{**serverless("chat"), "kind": "Serverless"}],
    "modelVersion": [foundry("mav", LLAMA33, modelVersion="4 ")],
}
_LISTS = re.compile(r"(?:allowed:|one of|offered:|GPU SKUs:|fit:|is not allowed;|did you mean)\s*(.*)$")


def _offered(line: str) -> list[str]:
    """The values a message offers instead of the one it refuses."""
    match = _LISTS.search(line)
    listed = match.group(1).removeprefix("one of ") if match else ""
    return [v.strip(" '\"?.()") for v in re.split(r",|;| or ", listed)] if listed else []


@pytest.mark.parametrize("case", list(CASE_VARIANTS))
def test_a_message_never_offers_the_value_it_refuses(case):
    found = config_problems(
        base(deployments=CASE_VARIANTS[case], contentFilters={"strict": {}}, hub={"containerRegistry": True})
    )
    assert found, case
    for line in found:
        refused = re.search(r": '([^']*)'", line).group(1)
        offered = _offered(line)
        assert refused not in offered, line
        if refused.lower() in [v.lower() for v in offered]:
            assert "case matters" in line, line
