"""`llama-on-azure preflight` against a local server that answers like ARM: every check, passing and failing."""

import contextlib
import io
import json
import logging

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import sources
from clients.arm import ARM_ENDPOINT_VARIABLE
from clients.errors import UserError
from clients.retail_prices import ENDPOINT_VARIABLE as PRICES_ENDPOINT_VARIABLE
from infra import naming
from tests.support.arm_server import ArmServer, FakeCredential
from tests.support.prices_server import PricesServer
from tests.support.stacks import LLAMA33, SCENARIOS, serverless, stack_config
from tools import cli
from tools.preflight import REGISTRY_VARIABLE

SUB = "11111111-1111-1111-1111-111111111111"
S = f"/subscriptions/{SUB}"
ML_PROVIDER = f"{S}/providers/Microsoft.MachineLearningServices"
CS_PROVIDER = f"{S}/providers/Microsoft.CognitiveServices"
SUFFIX = naming.unique_suffix(SUB, "rg-llama-prod", "llama", "prod")
DEV = naming.unique_suffix(SUB, "rg-llama-dev", "llama", "dev")
PROJECT = (
    f"{S}/resourceGroups/rg-llama-prod/providers/Microsoft.MachineLearningServices/workspaces/proj-llama-prod-{SUFFIX}"
)
DEV_PROJECT = (
    f"{S}/resourceGroups/rg-llama-dev/providers/Microsoft.MachineLearningServices/workspaces/proj-llama-dev-{DEV}"
)
ACCOUNT = f"aif-llama-dev-{DEV}"
MAVERICK = "Llama-4-Maverick-17B-128E-Instruct-FP8"
MAVERICK_USAGE = f"AIServices.GlobalStandard.{MAVERICK}"
REGISTRY_MODEL = (
    "/mferp/managementfrontend/subscriptions/reg-sub/resourceGroups/reg-rg/providers/"
    f"Microsoft.MachineLearningServices/registries/azureml-meta/models/{LLAMA33}/versions/4"
)
CONTRIBUTOR = {
    "actions": ["*"],
    "notActions": [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
    ],
}


def healthy(arm: ArmServer) -> None:
    """A paid subscription where the prod and dev stacks can deploy: every check that Azure answers passes."""
    st = arm.state
    st.static[S] = {
        "displayName": "Platform",
        "state": "Enabled",
        "subscriptionPolicies": {"quotaId": "EnterpriseAgreement_2014-09-01", "spendingLimit": "Off"},
    }
    regions = ["Sweden Central", "East US 2"]
    st.static[ML_PROVIDER] = {
        "registrationState": "Registered",
        "resourceTypes": [
            {"resourceType": "workspaces", "locations": [*regions, "West Europe"]},
            {"resourceType": "workspaces/serverlessEndpoints", "locations": regions},
            {"resourceType": "workspaces/onlineEndpoints", "locations": regions},
        ],
    }
    st.static[CS_PROVIDER] = {
        "registrationState": "Registered",
        "resourceTypes": [{"resourceType": "accounts", "locations": regions}],
    }
    # Usages come in two pages: the family the stack needs is on the second.
    st.paged[f"{ML_PROVIDER}/locations/swedencentral/usages"] = [
        [{"name": {"value": "standardDSv2Family"}, "currentValue": 0, "limit": 100}],
        [{"name": {"value": "standardNCADSA100v4Family"}, "currentValue": 24, "limit": 324}],
    ]
    st.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [[CONTRIBUTOR]]
    st.paged[f"{PROJECT}/serverlessEndpoints"] = [[]]
    st.paged[f"{DEV_PROJECT}/serverlessEndpoints"] = [[]]
    st.static["/registrymanagement/v1.0/registries/azureml-meta/discovery"] = {
        "primaryRegionResourceProviderUri": arm.url + "/",
        "subscriptionId": "reg-sub",
        "resourceGroup": "reg-rg",
    }
    allow = "['Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_ND96asr_v4']"
    st.static[REGISTRY_MODEL] = {"properties": {"tags": {"inference_compute_allow_list": allow}}}
    st.paged[f"{CS_PROVIDER}/locations/eastus2/models"] = [[foundry_model()]]
    st.paged[f"{CS_PROVIDER}/locations/eastus2/usages"] = [
        [{"name": {"value": MAVERICK_USAGE}, "currentValue": 20, "limit": 100, "unit": "Count"}]
    ]


def foundry_model(**changes) -> dict:
    model = {
        "format": "Meta",
        "name": MAVERICK,
        "version": "1",
        "lifecycleStatus": "GenerallyAvailable",
        "skus": [{"name": "GlobalStandard", "usageName": MAVERICK_USAGE, "capacity": {"maximum": 100}}],
        **changes,
    }
    return {"kind": "AIServices", "skuName": "S0", "model": model}


@pytest.fixture
def project(project):
    """The repository's stacks, with "prod" the managed-compute scenario (the shipped prod has no managed compute)."""
    (project / "Pulumi.prod.yaml").write_text((SCENARIOS / "managed.yaml").read_text())
    return project


@pytest.fixture
def prices(monkeypatch):
    """The Retail Prices stand-in; without it the tests' closed port answers preflight's cost check (not checked)."""
    with PricesServer() as server:
        monkeypatch.setenv(PRICES_ENDPOINT_VARIABLE, server.endpoint)
        yield server


@pytest.fixture
def arm(monkeypatch):
    with ArmServer() as server:
        healthy(server)
        monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, server.url)
        monkeypatch.setenv(REGISTRY_VARIABLE, server.url)
        for name in ("ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID"):
            monkeypatch.delenv(name, raising=False)
        yield server


def preflight(capsys, *args: str, credential=None, subscription: str | None = SUB) -> tuple[int, str, str]:
    flags = [] if subscription is None else ["--subscription-id", subscription]
    code = cli.main(["preflight", *flags, *args], credential=credential or FakeCredential())
    out, err = capsys.readouterr()
    return code, out, err


def checks(capsys, stack: str = "prod", credential=None) -> tuple[int, dict]:
    code, out, err = preflight(capsys, "--stack", stack, "--format", "json", credential=credential)
    assert out, err
    return code, {(c["check"], c["subject"]): c for c in json.loads(out)["checks"]}


def one(found: dict, check: str) -> dict:
    (match,) = [c for k, c in found.items() if k[0] == check]
    return match


def edit_stack(project, stack: str, **keys) -> None:
    path = project / f"Pulumi.{stack}.yaml"
    config = yaml.safe_load(path.read_text())
    config["config"].update({f"llama-on-azure:{k}": v for k, v in keys.items()})
    path.write_text(yaml.safe_dump(config))


# Ready subscriptions.
def test_a_ready_subscription_passes_every_check_azure_answers(arm, project, capsys):
    code, out, err = preflight(capsys, "--stack", "prod")
    assert code == 0, out + err
    assert "ready for pulumi up" in out and "NOT CHECKED" in out
    code, found = checks(capsys)
    assert {k[0] for k, c in found.items() if c["status"] == "not checked"} == {
        "serverless offer",
        "deleted workspace",
        "cost",
    }
    assert {c["status"] for c in found.values()} == {"ok", "not checked"}
    assert {k[0] for k in found} == {
        "subscription",
        "resource provider",
        "region",
        "serverless offer",
        "registry model",
        "VM size allowed",
        "vCPU quota",
        "permissions",
        "one endpoint per model",
        "deleted key vault",
        "deleted workspace",
        "cost",
    }
    quota = found[("vCPU quota", "standardNCADSA100v4Family in swedencentral")]
    assert "needs 288 vCPUs" in quota["detail"] and "300 free of 324" in quota["detail"]


def test_the_cost_line_prices_the_stack_at_todays_list_prices(arm, prices, project, capsys):
    code, found = checks(capsys)
    cost = found[("cost", "monthly estimate of prod")]
    assert code == 0 and cost["status"] == "ok"
    assert cost["detail"] == (
        "fixed $42,705.00/month at today's list prices (snapshot of 2026-12-03: $41,829.00), "
        "within the budget of $50,000.00"
    )


def test_a_live_estimate_over_the_budget_fails_and_an_unanswered_api_is_not_checked(arm, prices, project, capsys):
    edit_stack(project, "prod", budget={"amount": 42000, "contactEmails": ["team@example.com"]})
    code, found = checks(capsys)
    cost = found[("cost", "monthly estimate of prod")]
    assert code == 1 and cost["status"] == "fail" and "over the budget of $42,000.00" in cost["detail"]
    prices.hostile("HTML")
    code, found = checks(capsys)
    cost = found[("cost", "monthly estimate of prod")]
    assert cost["status"] == "not checked" and "text/html, not JSON" in cost["detail"]
    assert found[("subscription", "Platform (EnterpriseAgreement_2014-09-01)")]["status"] == "ok", "the others ran"


def test_a_foundry_stack_asks_the_model_list_usages_and_names(arm, project, capsys):
    code, found = checks(capsys, "dev")
    assert code == 0, found
    assert {k[0] for k in found} >= {"Foundry model", "Foundry quota", "deleted Foundry resource", "custom subdomain"}
    assert one(found, "Foundry model")["detail"] == "offered (GenerallyAvailable), no deprecation date"
    assert one(found, "Foundry quota")["detail"] == "needs 10, 80 free of 100"
    assert found[("custom subdomain", ACCOUNT)]["status"] == "ok"
    assert found[("region", "Microsoft.CognitiveServices/accounts in eastus2")]["status"] == "ok"


def test_the_serverless_offer_is_not_checked_but_dated(arm, project, capsys):
    _, found = checks(capsys)
    offer = found[("serverless offer", f"chat: {LLAMA33} in swedencentral")]
    assert offer["status"] == "not checked"
    assert offer["detail"] == (
        f"no Azure API lists serverless offers per region; the catalog as of {sources.AS_OF} lists it in swedencentral"
    )


# Subscription and providers.
def test_free_trial_subscription_fails(arm, project, capsys):
    arm.state.static[S]["subscriptionPolicies"]["quotaId"] = "FreeTrial_2014-09-01"
    code, found = checks(capsys)
    assert code == 1
    subscription = one(found, "subscription")
    assert subscription["status"] == "fail" and "a free trial cannot buy" in subscription["detail"]


def test_a_spending_limit_and_a_disabled_subscription_fail(arm, project, capsys):
    arm.state.static[S]["subscriptionPolicies"]["spendingLimit"] = "On"
    assert "spending limit" in one(checks(capsys)[1], "subscription")["detail"]
    arm.state.static[S]["state"] = "Warned"
    assert "state is Warned" in one(checks(capsys)[1], "subscription")["detail"]


def test_region_without_serverless_endpoints_fails(arm, project, capsys):
    arm.state.static[ML_PROVIDER]["resourceTypes"][1]["locations"] = ["East US 2"]
    code, found = checks(capsys)
    assert code == 1
    region = found[("region", "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints in swedencentral")]
    assert region["status"] == "fail"


def test_unregistered_provider_gets_the_command_to_fix_it(arm, project, capsys):
    arm.state.static[ML_PROVIDER]["registrationState"] = "NotRegistered"
    code, found = checks(capsys)
    assert code == 1
    provider = found[("resource provider", "Microsoft.MachineLearningServices")]
    assert "az provider register --namespace Microsoft.MachineLearningServices" in provider["detail"]


# Managed compute: the registry model and the model card's allow-list.
def test_a_registry_version_that_does_not_exist_fails(arm, project, capsys):
    del arm.state.static[REGISTRY_MODEL]
    code, found = checks(capsys)
    assert code == 1
    model = found[("registry model", f"llama33: {LLAMA33} version 4")]
    assert model["status"] == "fail" and "has no version 4" in model["detail"]


def test_a_vm_size_outside_the_allow_list_fails(arm, project, capsys):
    arm.state.static[REGISTRY_MODEL]["properties"]["tags"]["inference_compute_allow_list"] = "['Standard_ND96asr_v4']"
    code, found = checks(capsys)
    assert code == 1
    sku = found[("VM size allowed", "llama33: Standard_NC96ads_A100_v4")]
    assert sku["status"] == "fail" and sku["detail"] == "not in the model card's allow-list: Standard_ND96asr_v4"


def test_the_allow_list_is_read_from_system_metadata_too(arm, project, capsys):
    arm.state.static[REGISTRY_MODEL] = {
        "properties": {"systemMetadata": {"supportedComputes": {"inferenceComputes": ["Standard_NC96ads_A100_v4"]}}}
    }
    _, found = checks(capsys)
    assert found[("VM size allowed", "llama33: Standard_NC96ads_A100_v4")]["status"] == "ok"


def test_a_model_card_without_allow_list_is_not_checked(arm, project, capsys):
    arm.state.static[REGISTRY_MODEL] = {"properties": {"tags": {}}}
    code, found = checks(capsys)
    assert code == 0
    assert found[("VM size allowed", "llama33: Standard_NC96ads_A100_v4")]["status"] == "not checked"


def test_the_token_goes_to_no_registry_host_outside_azure_ml(arm, project, capsys):
    discovery = arm.state.static["/registrymanagement/v1.0/registries/azureml-meta/discovery"]
    hosts = [
        "https://registry.example.com/",
        "https://eastus.api.azureml.ms.example.com/",
        "http://127.0.0.2:1/",
        # Azure ML to urllib.parse, the host before the backslash to urllib3, which requests connects with.
        f"https://{arm.url.split('://', 1)[1]}\\@eastus.api.azureml.ms/",
        "https://user@eastus.api.azureml.ms/",
        "https://user:hunter2@registry.example.com/?sig=hunter2",  # quoted without its password or query
    ]
    for host in hosts:
        discovery["primaryRegionResourceProviderUri"] = host
        code, found = checks(capsys)
        model = one(found, "registry model")
        assert code == 0 and model["status"] == "not checked" and "no token sent there" in model["detail"], host
        assert "hunter2" not in model["detail"], model["detail"]


# Quota.
def test_quota_shortfall_fails_naming_the_family(arm, project, capsys):
    arm.state.paged[f"{ML_PROVIDER}/locations/swedencentral/usages"][1][0]["currentValue"] = 48
    code, found = checks(capsys)
    assert code == 1
    quota = found[("vCPU quota", "standardNCADSA100v4Family in swedencentral")]
    assert quota["status"] == "fail" and "276 free of 324" in quota["detail"]


def test_a_family_azure_does_not_list_is_a_warning(arm, project, capsys):
    arm.state.paged[f"{ML_PROVIDER}/locations/swedencentral/usages"] = [[]]
    _, found = checks(capsys)
    assert found[("vCPU quota", "standardNCADSA100v4Family in swedencentral")]["status"] == "warn"


# Permissions.
def test_missing_marketplace_permissions_are_listed(arm, project, capsys):
    arm.state.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["Microsoft.MachineLearningServices/*", "Microsoft.SaaS/resources/*"], "notActions": []}]
    ]
    code, found = checks(capsys)
    assert code == 1
    sub = found[("permissions", "subscription (Marketplace)")]
    assert sub["status"] == "fail"
    assert "Microsoft.MarketplaceOrdering/agreements/offers/plans/sign/action" in sub["detail"]
    assert found[("permissions", "project (serverless)")]["status"] == "ok"
    assert found[("permissions", "project (managed compute)")]["status"] == "ok"
    assert found[("permissions", "resource group (Marketplace)")]["status"] == "ok"


def test_permissions_at_an_existing_resource_group_are_read_there(arm, project, capsys):
    # The group exists and grants less than the subscription: its own answer counts.
    arm.state.paged[f"{S}/resourceGroups/rg-llama-prod/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["Microsoft.MachineLearningServices/workspaces/*"], "notActions": []}]
    ]
    code, found = checks(capsys)
    assert code == 1
    assert "Microsoft.SaaS/resources/write" in found[("permissions", "resource group (Marketplace)")]["detail"]
    assert found[("permissions", "project (serverless)")]["status"] == "ok"


def test_not_actions_take_a_permission_away(arm, project, capsys):
    arm.state.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["*"], "notActions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/delete"]}]
    ]
    code, found = checks(capsys)
    assert code == 1
    assert "workspaces/onlineEndpoints/*" in found[("permissions", "project (managed compute)")]["detail"]


def test_role_management_needs_more_than_contributor(arm, project, capsys):
    edit_stack(project, "prod", access={"deployerRole": True})
    code, found = checks(capsys)
    assert code == 1
    assert "Microsoft.Authorization/roleDefinitions/write" in found[("permissions", "role management")]["detail"]


def test_foundry_needs_cognitive_services_actions(arm, project, capsys):
    arm.state.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [
        [
            {
                "actions": ["Microsoft.MachineLearningServices/*", "Microsoft.SaaS/*", "Microsoft.Marketplace*"],
                "notActions": [],
            }
        ]
    ]
    code, found = checks(capsys, "dev")
    assert code == 1
    assert "Microsoft.CognitiveServices/accounts/*" in found[("permissions", "resource group (Foundry)")]["detail"]


def test_a_partner_foundry_model_needs_the_marketplace_actions(arm, project, capsys):
    scout = "Llama-4-Scout-17B-16E-Instruct"
    foundry = {"name": "scout", "kind": "foundry", "model": scout, "capacity": 1}
    edit_stack(project, "dev", deployments=[foundry])
    arm.state.paged[f"{CS_PROVIDER}/locations/eastus2/models"] = [[foundry_model(name=scout)]]
    arm.state.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["Microsoft.CognitiveServices/*"], "notActions": []}]
    ]
    code, found = checks(capsys, "dev")
    assert code == 1
    assert found[("permissions", "subscription (Marketplace)")]["status"] == "fail"
    edit_stack(project, "dev", deployments=[{**foundry, "name": "mav", "model": MAVERICK}])
    _, found = checks(capsys, "dev")
    assert ("permissions", "subscription (Marketplace)") not in found, "Maverick is sold by Azure: no Marketplace"


# Endpoints that already exist.
def test_an_endpoint_already_serving_the_model_fails(arm, project, capsys):
    model_id = f"azureml://registries/azureml-meta/models/{LLAMA33}"
    arm.state.paged[f"{PROJECT}/serverlessEndpoints"] = [
        [{"name": "other", "properties": {"modelSettings": {"modelId": model_id}}}]
    ]
    code, found = checks(capsys)
    assert code == 1
    clash = found[("one endpoint per model", f"chat: {LLAMA33}")]
    assert clash["status"] == "fail" and "'other'" in clash["detail"]


def test_the_stacks_own_endpoint_already_deployed_is_no_clash(arm, project, capsys):
    model_id = f"azureml://registries/azureml-meta/models/{LLAMA33}"
    own = {"name": f"chat-{SUFFIX}", "properties": {"modelSettings": {"modelId": model_id}}}
    arm.state.paged[f"{PROJECT}/serverlessEndpoints"] = [[own]]
    code, found = checks(capsys)
    assert code == 0
    assert found[("one endpoint per model", f"chat: {LLAMA33}")]["status"] == "ok"


def test_a_project_not_created_yet_is_fine(arm, project, capsys):
    del arm.state.paged[f"{PROJECT}/serverlessEndpoints"]
    code, found = checks(capsys)
    assert code == 0
    assert found[("one endpoint per model", f"proj-llama-prod-{SUFFIX}")]["detail"] == "the project does not exist yet"


# What a destroy left behind.
def test_a_soft_deleted_vault_without_purge_protection_says_to_purge(arm, project, capsys):
    arm.state.add_deleted_vault(SUB, f"kv-llama-prod-{SUFFIX}", "swedencentral", purge_protection=False)
    code, found = checks(capsys)
    assert code == 1
    vault = found[("deleted key vault", f"kv-llama-prod-{SUFFIX}")]
    assert vault["status"] == "fail" and "run `llama-on-azure purge --stack prod`" in vault["detail"]


def test_a_purge_protected_vault_says_until_when_and_to_change_the_suffix(arm, project, capsys):
    arm.state.add_deleted_vault(SUB, f"kv-llama-prod-{SUFFIX}", "westeurope", purge_protection=True)
    code, found = checks(capsys)
    assert code == 1
    detail = found[("deleted key vault", f"kv-llama-prod-{SUFFIX}")]["detail"]
    assert "blocked until 2027-02-18" in detail and "llama-on-azure:nameSuffix" in detail


def test_names_follow_the_stacks_name_suffix(arm, project, capsys):
    edit_stack(project, "prod", nameSuffix="blue01")
    arm.state.paged[f"{PROJECT.replace(SUFFIX, 'blue01')}/serverlessEndpoints"] = [[]]
    arm.state.add_deleted_vault(SUB, f"kv-llama-prod-{SUFFIX}", "swedencentral", purge_protection=True)
    code, found = checks(capsys)
    assert code == 0, "the old vault no longer blocks anything"
    assert found[("deleted key vault", "kv-llama-prod-blue01")]["status"] == "ok"


def test_soft_deleted_workspaces_are_not_checked_with_what_to_do(arm, project, capsys):
    _, found = checks(capsys)
    workspace = found[("deleted workspace", f"hub-llama-prod-{SUFFIX}, proj-llama-prod-{SUFFIX}")]
    assert workspace["status"] == "not checked"
    assert "Recently deleted" in workspace["detail"] and "nameSuffix" in workspace["detail"]


def test_a_soft_deleted_foundry_resource_says_to_purge(arm, project, capsys):
    arm.state.add_deleted_account(SUB, "rg-llama-dev", ACCOUNT, "eastus2")
    code, found = checks(capsys, "dev")
    assert code == 1
    assert "llama-on-azure purge --stack dev" in found[("deleted Foundry resource", ACCOUNT)]["detail"]


def test_a_subdomain_taken_by_someone_else_fails_and_our_own_is_fine(arm, project, capsys):
    arm.state.taken_subdomains.add(ACCOUNT)
    code, found = checks(capsys, "dev")
    assert code == 1
    assert "taken by another resource" in found[("custom subdomain", ACCOUNT)]["detail"]
    own = f"{S}/resourceGroups/rg-llama-dev/providers/Microsoft.CognitiveServices/accounts/{ACCOUNT}"
    arm.state.static[own] = {"name": ACCOUNT, "kind": "AIServices", "properties": {"customSubDomainName": ACCOUNT}}
    code, found = checks(capsys, "dev")
    assert code == 0 and found[("custom subdomain", ACCOUNT)]["detail"] == "this stack's own Foundry resource has it"


# Foundry models as Azure lists them in the region.
@pytest.mark.parametrize(
    ("model", "detail"),
    [
        (foundry_model(name="Llama-Other"), "Azure does not offer this model here as a Foundry Model"),
        (foundry_model(version="2"), "version 1 not offered here; offered: 2"),
        (
            foundry_model(skus=[{"name": "DataZoneStandard", "usageName": "x"}]),
            "not offered; offered: DataZoneStandard",
        ),
        (foundry_model(lifecycleStatus="Deprecated"), "deprecated: Azure refuses new deployments"),
        (foundry_model(deprecation={"inference": "2026-10-01T00:00:00Z"}), "deprecated since 2026-10-01"),
    ],
)
def test_a_foundry_model_azure_does_not_offer_fails(arm, project, capsys, model, detail):
    arm.state.paged[f"{CS_PROVIDER}/locations/eastus2/models"] = [[model]]
    code, found = checks(capsys, "dev")
    assert code == 1
    assert detail in one(found, "Foundry model")["detail"]


def test_a_coming_deprecation_is_a_warning_with_the_date(arm, project, capsys):
    model = foundry_model(deprecation={"inference": "2027-03-31T00:00:00Z"})
    arm.state.paged[f"{CS_PROVIDER}/locations/eastus2/models"] = [[model]]
    code, found = checks(capsys, "dev")
    assert code == 0
    foundry = one(found, "Foundry model")
    assert foundry["status"] == "warn" and "deprecates it on 2027-03-31" in foundry["detail"]


STANDARD = {"name": "GlobalStandard", "usageName": "AIServices.GlobalStandard.Llama-3.3-70B-Instruct"}


@pytest.mark.parametrize(
    ("capacity", "limits", "detail"),
    [
        (1, {"minimum": 15, "maximum": 1000, "step": 5}, "capacity 1 is outside what Azure lists for "),
        (17, {"minimum": 15, "maximum": 1000, "step": 5}, "here: 15 to 1000 in steps of 5; offered (Gener"),
        (1005, {"minimum": 15, "maximum": 1000, "step": 5}, "here: 15 to 1000 in steps of 5"),
        (30, {"minimum": 15, "allowedValues": [15, 25, 50]}, "here: one of 15, 25, 50"),
        (20, {"minimum": 15, "maximum": 1000, "step": 5}, None),
        (20, {"default": 15}, None),
        (20, None, None),
    ],
)
def test_foundry_capacity_must_be_in_the_range_azure_lists(arm, project, capsys, capacity, limits, detail):
    llama = {"name": "llama", "kind": "foundry", "model": LLAMA33, "modelVersion": "4", "capacity": capacity}
    edit_stack(project, "dev", deployments=[{**llama, "sku": "GlobalStandard"}])
    sku = STANDARD if limits is None else {**STANDARD, "capacity": limits}
    arm.state.paged[f"{CS_PROVIDER}/locations/eastus2/models"] = [
        [foundry_model(name=LLAMA33, version="4", skus=[sku])]
    ]
    code, found = checks(capsys, "dev")
    model = one(found, "Foundry model")
    if detail is None:
        assert code == 0 and model["status"] == "ok", model
    else:
        assert code == 1 and model["status"] == "fail" and detail in model["detail"], model
        assert model["detail"].startswith(f"capacity {capacity} is outside what Azure lists for GlobalStandard")


def test_foundry_capacity_above_the_listed_maximum_fails(arm, project, capsys):
    edit_stack(project, "dev", deployments=[{"name": "mav", "kind": "foundry", "model": MAVERICK, "capacity": 150}])
    code, found = checks(capsys, "dev")
    model = one(found, "Foundry model")
    assert code == 1 and model["detail"].startswith(
        "capacity 150 is outside what Azure lists for GlobalStandard here: at most 100"
    )


def test_foundry_capacity_beyond_the_quota_fails_and_an_unknown_usage_is_not_checked(arm, project, capsys):
    arm.state.paged[f"{CS_PROVIDER}/locations/eastus2/usages"][0][0]["currentValue"] = 95
    code, found = checks(capsys, "dev")
    assert code == 1 and "needs 10, 5 free of 100" in one(found, "Foundry quota")["detail"]
    arm.state.paged[f"{CS_PROVIDER}/locations/eastus2/usages"] = [[]]
    code, found = checks(capsys, "dev")
    assert code == 0 and one(found, "Foundry quota")["status"] == "not checked"


# ARM's answers and the command line.
def test_a_check_this_identity_may_not_make_is_not_checked(arm, project, capsys):
    arm.state.faults = [(403, None, "AuthorizationFailed", "no read on subscriptions")]
    code, found = checks(capsys)
    sub = one(found, "subscription")
    assert sub["status"] == "not checked" and "not allowed: no read on subscriptions" in sub["detail"]
    assert code == 1, "what ARM refused to show was not checked: the stack is not known to be ready"


HTML_OUTAGE = (500, {"Content-Type": "text/html", "Retry-After": "0.01"}, b"<html><h1>Service Unavailable</h1></html>")


def test_an_arm_failure_fails_its_own_check_and_the_others_still_run(arm, project, capsys):
    arm.state.broken[ML_PROVIDER] = HTML_OUTAGE
    code, found = checks(capsys, "dev")
    assert code == 1
    broken = found[("resource provider", "Microsoft.MachineLearningServices")]
    assert broken["status"] == "fail"
    assert broken["detail"].startswith(f"GET {ML_PROVIDER}: ")
    assert broken["detail"].endswith("'Internal Server Error' (HTTP 500 Internal Server Error)")
    assert "\n" not in broken["detail"] and "<html>" not in broken["detail"]
    assert found[("resource provider", "Microsoft.CognitiveServices")]["status"] == "ok"
    assert found[("region", "Microsoft.CognitiveServices/accounts in eastus2")]["status"] == "ok"
    after = {"subscription", "permissions", "deleted key vault", "Foundry model", "Foundry quota", "custom subdomain"}
    assert after <= {k[0] for k in found}
    assert [c["check"] for c in found.values() if c["status"] == "fail"] == ["resource provider"]


@pytest.mark.parametrize(
    ("path", "check", "others"),
    [
        (f"{CS_PROVIDER}/locations/eastus2/models", "Foundry model", {"deleted Foundry resource", "custom subdomain"}),
        (f"{CS_PROVIDER}/locations/eastus2/usages", "Foundry quota", {"Foundry model", "custom subdomain"}),
        (f"{S}/providers/Microsoft.Authorization/permissions", "permissions", {"Foundry model", "deleted key vault"}),
        (f"{S}/providers/Microsoft.KeyVault/deletedVaults", "deleted key vault", {"permissions", "Foundry quota"}),
        (
            f"{CS_PROVIDER}/locations/eastus2/resourceGroups/rg-llama-dev/deletedAccounts/{ACCOUNT}",
            "deleted Foundry resource",
            {"custom subdomain", "Foundry quota"},
        ),
    ],
)
def test_each_check_stands_alone(arm, project, capsys, path, check, others):
    arm.state.broken[path] = (500, {"Content-Type": "application/json", "Retry-After": "0.01"}, b'{"error": {}}')
    code, found = checks(capsys, "dev")
    assert code == 1
    assert [c["check"] for c in found.values() if c["status"] == "fail"] == [check]
    assert one(found, check)["detail"].startswith(("GET ", "list ", "read ", "Foundry ", "Cognitive "))
    assert others <= {k[0] for k, c in found.items() if c["status"] == "ok"}


def test_an_arm_refusal_on_one_path_is_not_checked_there_only(arm, project, capsys):
    forbidden = b'{"error": {"code": "AuthorizationFailed", "message": "no read on deleted vaults"}}'
    arm.state.broken[f"{S}/providers/Microsoft.KeyVault/deletedVaults"] = (403, {}, forbidden)
    code, found = checks(capsys, "dev")
    vault = one(found, "deleted key vault")
    assert code == 1 and vault["status"] == "not checked" and vault["notAllowed"] == "list deleted key vaults"
    assert {c["status"] for k, c in found.items() if k[0] != "deleted key vault"} <= {"ok", "not checked"}
    reason = "list deleted key vaults: not allowed: no read on deleted vaults (HTTP 403 AuthorizationFailed)"
    assert vault["detail"] == reason


def test_a_token_refused_half_way_is_one_error_line_for_the_command(arm, project, capsys):
    refused = b'{"error": {"code": "InvalidAuthenticationToken", "message": "the token expired"}}'
    arm.state.broken[f"{S}/providers/Microsoft.Authorization/permissions"] = (401, {}, refused)
    code, out, err = preflight(capsys, "--stack", "dev")
    assert code == 1 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "HTTP 401" in err and "az login" in err


def test_throttling_is_retried(arm, project, capsys):
    arm.state.faults = [(429, "0.01"), (429, "0.01"), (503, "0.01")]  # honoured, so no backoff of seconds
    code, _ = checks(capsys)
    assert code == 0
    assert len(arm.state.requests) > 3


def test_missing_sign_in_is_a_one_line_hint(arm, project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` to ask
    for name in (
        "ARM_CLIENT_SECRET",
        "ARM_USE_OIDC",
        "ARM_USE_MSI",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    code = cli.main(["preflight", "--stack", "prod", "--subscription-id", SUB])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "az login" in err and "Traceback" not in err and "Azure CLI" in err


def test_an_expired_token_refused_by_arm_is_one_line(arm, project, capsys):
    code, _, err = preflight(capsys, "--stack", "prod", credential=FakeCredential("expired"))
    assert code == 1
    assert err.count("\n") == 1 and "az login" in err and "HTTP 401" in err


@pytest.mark.parametrize("bad", ["not-a-guid", "11111111-1111-1111-1111-11111111111g", ""])
def test_a_bad_subscription_id_is_one_line(arm, project, capsys, bad):
    code, _, err = preflight(capsys, "--stack", "prod", subscription=bad)
    assert code == 1 and "--subscription-id" in err and err.startswith("error: ") and err.count("\n") == 1
    assert arm.state.requests == []


def test_the_subscription_comes_from_arm_subscription_id(arm, project, capsys, monkeypatch):
    monkeypatch.setenv("ARM_SUBSCRIPTION_ID", SUB)
    code, _, err = preflight(capsys, "--stack", "prod", subscription=None)
    assert code == 0, err
    with pytest.raises(UserError, match="ARM_SUBSCRIPTION_ID 'x' is not a subscription id"):
        monkeypatch.setenv("ARM_SUBSCRIPTION_ID", "x")
        from clients.credential import subscription_from_env

        subscription_from_env(None)


def test_dev_stack_without_managed_deployments_skips_quota(arm, project, capsys):
    code, out, _ = preflight(capsys, "--stack", "dev")
    assert code == 0
    assert "vCPU quota" not in out and "registry model" not in out


def test_bad_stack_config_is_reported_before_asking_azure(arm, project, capsys):
    (project / "Pulumi.bad.yaml").write_text(
        yaml.safe_dump({"config": stack_config(deployments=[serverless("xyz", "nope")])})
    )
    code, _, err = preflight(capsys, "--stack", "bad")
    assert code == 1 and "is not in the Llama catalog" in err
    assert arm.state.requests == []


def test_writing_keys_into_a_named_vault_is_checked_on_that_vault(arm, project, capsys):
    vault = f"{S}/resourceGroups/rg-apps/providers/Microsoft.KeyVault/vaults/kv-apps-keys"
    edit_stack(project, "prod", keyVaultSecrets={"enabled": True, "vaultId": vault})
    arm.state.paged[f"{vault}/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["Microsoft.KeyVault/vaults/read"], "notActions": []}]
    ]
    _, found = checks(capsys)
    keys = found[("permissions", "key vault (endpoint keys)")]
    assert keys["status"] == "fail" and "Microsoft.KeyVault/vaults/secrets/*" in keys["detail"]
    assert found[("permissions", "resource group (monitoring)")]["status"] == "ok", "Contributor at the subscription"


# A private stack.
LANDING = f"{S}/resourceGroups/rg-connectivity/providers/Microsoft.Network"
VNET = f"{LANDING}/virtualNetworks/vnet-hub"
SUBNET = f"{VNET}/subnets/snet-pe"
HUB_ZONES = (
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.file.core.windows.net",
    "privatelink.vaultcore.azure.net",
)
NETWORK_PROVIDER = f"{S}/providers/Microsoft.Network"


def landing_zone(arm: ArmServer, project, **network) -> None:
    """The dev stack, hub only, private in a landing zone whose subnet and zones exist and are linked."""
    zones = {zone: f"{LANDING}/privateDnsZones/{zone}" for zone in HUB_ZONES}
    settings = {"private": True, "subnetId": SUBNET, "dnsZones": zones} | network
    edit_stack(project, "dev", network=settings, deployments=[serverless("chat")])
    st = arm.state
    st.static[NETWORK_PROVIDER] = {
        "registrationState": "Registered",
        "resourceTypes": [{"resourceType": "privateEndpoints", "locations": ["East US 2", "Sweden Central"]}],
    }
    st.static[VNET] = {"location": "eastus2", "properties": {}}
    st.static[SUBNET] = {"properties": {"privateEndpointNetworkPolicies": "Disabled"}}
    for zone_id in zones.values():
        st.static[zone_id] = {"location": "global"}
        st.paged[f"{zone_id}/virtualNetworkLinks"] = [[{"properties": {"virtualNetwork": {"id": VNET}}}]]
    st.paged[f"{SUBNET}/providers/Microsoft.Authorization/permissions"] = [[CONTRIBUTOR]]
    for zone_id in zones.values():
        st.paged[f"{zone_id}/providers/Microsoft.Authorization/permissions"] = [[CONTRIBUTOR]]


def test_a_landing_zone_ready_for_private_endpoints_passes(arm, project, capsys):
    landing_zone(arm, project)
    code, found = checks(capsys, "dev")
    assert code == 0, [c for c in found.values() if c["status"] == "fail"]
    assert found[("subnet", "snet-pe")]["detail"].startswith("exists; privateEndpointNetworkPolicies Disabled")
    assert found[("subnet region", "snet-pe")]["status"] == "ok"
    assert {found[("private DNS zone", z)]["status"] for z in HUB_ZONES} == {"ok"}
    assert found[("resource provider", "Microsoft.Network")]["status"] == "ok"
    # What joining the landing zone's subnet and zones takes is read on them, not on the stack's group.
    assert found[("permissions", "landing zone subnet")]["status"] == "ok"
    asked = {r.path for r in arm.state.requests}
    assert f"{SUBNET}/providers/Microsoft.Authorization/permissions" in asked


@pytest.mark.parametrize(
    ("change", "check", "status", "detail"),
    [
        (lambda st: st.static.pop(SUBNET), ("subnet", "snet-pe"), "fail", "does not exist"),
        (
            lambda st: st.static.__setitem__(
                SUBNET, {"properties": {"delegations": [{"properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}}
            ),
            ("subnet", "snet-pe"),
            "fail",
            "delegated to Microsoft.Web/serverFarms",
        ),
        (
            lambda st: st.static.__setitem__(VNET, {"location": "westeurope"}),
            ("subnet region", "snet-pe"),
            "fail",
            "set llama-on-azure:network.subnetRegion: westeurope",
        ),
        (
            lambda st: st.static.pop(f"{LANDING}/privateDnsZones/privatelink.vaultcore.azure.net"),
            ("private DNS zone", "privatelink.vaultcore.azure.net"),
            "fail",
            "does not exist (llama-on-azure:network.dnsZones)",
        ),
        (
            lambda st: st.paged.__setitem__(
                f"{LANDING}/privateDnsZones/privatelink.vaultcore.azure.net/virtualNetworkLinks", [[]]
            ),
            ("private DNS zone", "privatelink.vaultcore.azure.net"),
            "fail",
            "linked to no virtual network",
        ),
        (
            lambda st: st.paged.__setitem__(
                f"{LANDING}/privateDnsZones/privatelink.vaultcore.azure.net/virtualNetworkLinks",
                [[{"properties": {"virtualNetwork": {"id": f"{LANDING}/virtualNetworks/vnet-other"}}}]],
            ),
            ("private DNS zone", "privatelink.vaultcore.azure.net"),
            "not checked",
            "only through DNS forwarding",
        ),
        (
            lambda st: st.paged.__setitem__(
                f"{SUBNET}/providers/Microsoft.Authorization/permissions",
                [[{"actions": ["Microsoft.Network/virtualNetworks/read"], "notActions": []}]],
            ),
            ("permissions", "landing zone subnet"),
            "fail",
            "Microsoft.Network/virtualNetworks/subnets/join/action",
        ),
        (
            lambda st: st.static.__setitem__(NETWORK_PROVIDER, {"registrationState": "NotRegistered"}),
            ("resource provider", "Microsoft.Network"),
            "fail",
            "az provider register --namespace Microsoft.Network",
        ),
    ],
    ids=["no subnet", "delegated", "other region", "no zone", "zone unlinked", "zone linked elsewhere",
         "no join", "provider"],
)  # fmt: skip
def test_each_landing_zone_problem_is_its_own_line(arm, project, capsys, change, check, status, detail):
    landing_zone(arm, project)
    change(arm.state)
    code, found = checks(capsys, "dev")
    assert found[check]["status"] == status and detail in found[check]["detail"], found[check]
    assert code == (1 if status == "fail" else 0)


def test_a_subnet_of_another_subscription_fails_before_asking_for_it(arm, project, capsys):
    other = SUBNET.replace(SUB, "22222222-2222-2222-2222-222222222222")
    landing_zone(arm, project, subnetId=other)
    code, found = checks(capsys, "dev")
    assert code == 1
    assert "must be in the subscription of its virtual network" in found[("subnet", "snet-pe")]["detail"]
    assert other not in {r.path for r in arm.state.requests}


def test_a_stack_that_creates_its_network_checks_private_endpoints_in_its_region(arm, project, capsys):
    edit_stack(project, "dev", network={"private": True}, deployments=[serverless("chat")])
    arm.state.static[NETWORK_PROVIDER] = {
        "registrationState": "Registered",
        "resourceTypes": [{"resourceType": "privateEndpoints", "locations": ["Sweden Central"]}],
    }
    code, found = checks(capsys, "dev")
    region = found[("region", "Microsoft.Network/privateEndpoints in eastus2")]
    assert code == 1 and region["status"] == "fail"
    assert "subnet" not in {k[0] for k in found}, "no landing zone subnet to ask about"


# Whatever ARM answers, to any call (the generated azure-mgmt clients' included): that check's FAIL line, no traceback.
DEV_CALLS = {
    S: "subscription",
    ML_PROVIDER: "resource provider",
    CS_PROVIDER: "resource provider",
    f"{DEV_PROJECT}/serverlessEndpoints": "one endpoint per model",
    f"{CS_PROVIDER}/locations/eastus2/models": "Foundry model",
    f"{S}/providers/Microsoft.Authorization/permissions": "permissions",
    f"{S}/providers/Microsoft.KeyVault/deletedVaults": "deleted key vault",
    f"{CS_PROVIDER}/locations/eastus2/resourceGroups/rg-llama-dev/deletedAccounts/{ACCOUNT}": (
        "deleted Foundry resource"
    ),
    f"{CS_PROVIDER}/checkDomainAvailability": "custom subdomain",
}
PROD_CALLS = {
    f"{ML_PROVIDER}/locations/swedencentral/usages": "vCPU quota",
    "/registrymanagement/v1.0/registries/azureml-meta/discovery": "registry model",
}
# Asked only once an earlier call answered: broken on their own.
LATER_CALLS = {
    "dev": {f"{CS_PROVIDER}/locations/eastus2/usages": "Foundry quota"},
    "prod": {REGISTRY_MODEL: "registry model"},
}
BROKEN = {
    "empty": (200, {}, b""),
    "not JSON": (200, {"Content-Type": "application/json"}, b"<html>Service Unavailable</html>"),
    "a redirect without a body": (302, {}, b""),
}


def quiet(caplog) -> list[str]:
    """What a library logged that a user would see: a traceback, or a warning or worse."""
    return [
        f"{r.name}: {r.getMessage()[:120]}"
        for r in caplog.records
        if r.exc_info or r.stack_info or (r.levelno >= logging.WARNING and not r.name.startswith("llama"))
    ]


@pytest.mark.parametrize("answer", list(BROKEN))
@pytest.mark.parametrize(
    ("stack", "calls"),
    [("dev", DEV_CALLS), ("prod", PROD_CALLS), ("dev", LATER_CALLS["dev"]), ("prod", LATER_CALLS["prod"])],
    ids=["dev", "prod", "dev-later", "prod-later"],
)
def test_an_empty_or_non_json_answer_or_a_bare_redirect_fails_the_check_that_asked(
    arm, project, capsys, caplog, answer, stack, calls
):
    caplog.set_level(logging.DEBUG)
    for path in calls:
        arm.state.broken[path] = BROKEN[answer]
    code, out, err = preflight(capsys, "--stack", stack, "--format", "json")
    assert code == 1 and err == "" and out, err
    found = json.loads(out)["checks"]
    for name in set(calls.values()):
        lines = [c for c in found if c["check"] == name]
        assert lines and all(c["status"] == "fail" for c in lines), (name, lines)
        assert all("\n" not in c["detail"] and "Traceback" not in c["detail"] for c in lines)
    assert not quiet(caplog)


answers = st.tuples(
    st.sampled_from([200, 201, 204, 301, 302, 307, 400, 403, 404, 409, 500]),
    # A retried status waits what Retry-After asks: 10 ms, not azure-core's backoff of seconds.
    st.sampled_from([{}, {"Location": "http://127.0.0.1:9/elsewhere"}, {"Content-Type": "text/html"}]).map(
        lambda headers: {**headers, "Retry-After": "0.01"}
    ),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b"[1]",
            b'"x"',
            b"1e999",
            b"{}",
            b'{"value": "x"}',
            b'{"value": [1, "x", null]}',
            b'{"value": [{}]}',
            b'{"value": [{"name": 5, "properties": []}]}',
            b'{"value": [], "nextLink": 5}',
            b'{"properties": null, "name": []}',
            b'{"error": "x"}',
            b'{"error": {"code": 1}}',
            b"<html>",
            b"\xff\xfe",
            b'{"state": null, "registrationState": 1}',
            b'{"isSubdomainAvailable": "no"}',
            b"[" * 200 + b"]" * 200,
            b'{"model": {"name": []}, "skus": "x"}',
        ]
    ),
)


@settings(max_examples=20, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(sorted(DEV_CALLS | LATER_CALLS["dev"])), answer=answers)
def test_any_arm_answer_to_any_call_is_a_line_of_its_own(arm, project, path, answer):
    # One stand-in for every example (fixtures are not reset between them): each breaks one call its own way.
    arm.state.broken = {path: answer}
    out, err = io.StringIO(), io.StringIO()
    with _capture() as records, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(
            ["preflight", "--stack", "dev", "--subscription-id", SUB, "--format", "json"], credential=FakeCredential()
        )
    assert "Traceback" not in err.getvalue() and not [r for r in records if r.exc_info], err.getvalue()
    if code == 1 and not out.getvalue():
        assert err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1, err.getvalue()
        return
    found = json.loads(out.getvalue())["checks"]
    assert all("\n" not in c["detail"] for c in found)
    if 200 <= answer[0] < 300 and answer[2] in (b"", b"<html>", b"\xff\xfe", b"[]", b"null"):
        assert any(c["status"] == "fail" and c["check"] == (DEV_CALLS | LATER_CALLS["dev"])[path] for c in found)


@contextlib.contextmanager
def _capture():
    """Every log record of the run, at any level (caplog is a function fixture: hypothesis reuses it)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _forbidden(h) -> None:
    """ARM's 403 for an identity that may read nothing: it names the action it refused."""
    path = h.path.partition("?")[0]
    action = "Microsoft.Resources/subscriptions/read" if path == S else f"{path.split('/providers/')[-1]}/read"
    message = f"The client 'x' does not have authorization to perform action '{action}' over scope '{path}'."
    h.send_json(403, {"error": {"code": "AuthorizationFailed", "message": message}})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_subscription_that_refuses_everything_is_not_ready(arm, project, capsys, monkeypatch, stack):
    monkeypatch.setattr("tests.support.arm_server._Handler._handle", lambda self, method: _forbidden(self))
    code, out, err = preflight(capsys, "--stack", stack)
    summary = out.strip().splitlines()[-1]
    assert code == 1 and err == "", err
    assert "ready for pulumi up" not in out.replace("not ready for pulumi up", ""), summary
    assert "not ready for pulumi up" in summary and "Microsoft.Resources/subscriptions/read" in summary, summary
    assert "Microsoft.Authorization/permissions/read" in summary
    code, json_out, _ = preflight(capsys, "--stack", stack, "--format", "json")
    report = json.loads(json_out)
    assert code == 1 and report["ok"] is False and "Microsoft.Resources/subscriptions/read" in report["notAllowed"]


def test_one_refusal_is_not_ready_either_and_says_which(arm, project, capsys):
    # A refused check was not checked: whatever else passed, the stack is not known to be ready.
    forbidden = b'{"error": {"code": "AuthorizationFailed", "message": "no read on deleted vaults"}}'
    arm.state.broken[f"{S}/providers/Microsoft.KeyVault/deletedVaults"] = (403, {}, forbidden)
    code, out, _ = preflight(capsys, "--stack", "dev")
    assert code == 1 and "not ready for pulumi up" in out
    assert "this identity may not: list deleted key vaults (HTTP 403)" in out.strip().splitlines()[-1]
