"""`llama-on-azure preflight` against a local server that answers like ARM, with an injected credential."""

import json
import shutil

import pytest
import yaml
from azure.core.exceptions import ClientAuthenticationError

from components import naming
from components.arm import ARM_ENDPOINT_VARIABLE
from tests.arm_server import ArmServer, FakeCredential
from tests.conftest import LLAMA33, ROOT, serverless, stack_config
from tools import cli

SUB = "11111111-1111-1111-1111-111111111111"
S = f"/subscriptions/{SUB}"
ML_PROVIDER = f"{S}/providers/Microsoft.MachineLearningServices"
SUFFIX = naming.unique_suffix(SUB, "rg-llama-prod", "llama", "prod")
PROJECT = (
    f"{S}/resourceGroups/rg-llama-prod/providers/Microsoft.MachineLearningServices/workspaces/proj-llama-prod-{SUFFIX}"
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
    """A paid subscription where the prod stack can deploy: every check passes."""
    st = arm.state
    st.static[S] = {
        "displayName": "Platform",
        "state": "Enabled",
        "subscriptionPolicies": {"quotaId": "EnterpriseAgreement_2014-09-01", "spendingLimit": "Off"},
    }
    st.static[ML_PROVIDER] = {
        "registrationState": "Registered",
        "resourceTypes": [
            {"resourceType": "workspaces", "locations": ["Sweden Central", "East US 2", "West Europe"]},
            {"resourceType": "workspaces/serverlessEndpoints", "locations": ["East US 2", "Sweden Central"]},
        ],
    }
    # Usages come in two pages: the family the stack needs is on the second.
    st.paged[f"{ML_PROVIDER}/locations/swedencentral/usages"] = [
        [{"name": {"value": "standardDSv2Family"}, "currentValue": 0, "limit": 100}],
        [{"name": {"value": "standardNCADSA100v4Family"}, "currentValue": 24, "limit": 324}],
    ]
    st.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [[CONTRIBUTOR]]
    st.paged[f"{PROJECT}/serverlessEndpoints"] = [[]]


@pytest.fixture
def arm(monkeypatch):
    with ArmServer() as server:
        healthy(server)
        monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, server.url)
        yield server


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the repository's stacks to run the command in (crafted stacks are added to it)."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def preflight(capsys, *args: str, credential=None) -> tuple[int, str, str]:
    code = cli.main(["preflight", "--subscription-id", SUB, *args], credential=credential or FakeCredential())
    out, err = capsys.readouterr()
    return code, out, err


def checks(capsys, *args: str, credential=None) -> tuple[int, dict]:
    code, out, _ = preflight(capsys, "--stack", "prod", "--format", "json", *args, credential=credential)
    return code, {(c["check"], c["subject"]): c for c in json.loads(out)["checks"]}


def test_a_ready_subscription_passes_every_check(arm, project, capsys):
    code, out, err = preflight(capsys, "--stack", "prod")
    assert code == 0, out + err
    assert "ready for pulumi up" in out
    code, found = checks(capsys)
    assert {c["status"] for c in found.values()} == {"ok"}
    assert {k[0] for k in found} == {
        "subscription",
        "serverless offer",
        "vCPU quota",
        "permissions",
        "one endpoint per model",
    }
    quota = found[("vCPU quota", "standardNCADSA100v4Family in swedencentral")]
    assert "needs 288 vCPUs" in quota["detail"] and "300 free of 324" in quota["detail"]


def test_quota_shortfall_fails_naming_the_family(arm, project, capsys):
    arm.state.paged[f"{ML_PROVIDER}/locations/swedencentral/usages"][1][0]["currentValue"] = 48
    code, found = checks(capsys)
    assert code == 1
    quota = found[("vCPU quota", "standardNCADSA100v4Family in swedencentral")]
    assert quota["status"] == "fail" and "276 free of 324" in quota["detail"]


def test_free_trial_subscription_fails(arm, project, capsys):
    arm.state.static[S]["subscriptionPolicies"]["quotaId"] = "FreeTrial_2014-09-01"
    code, found = checks(capsys)
    assert code == 1
    (sub,) = [c for k, c in found.items() if k[0] == "subscription"]
    assert sub["status"] == "fail" and "free or trial" in sub["detail"]


def test_region_without_serverless_endpoints_fails(arm, project, capsys):
    arm.state.static[ML_PROVIDER]["resourceTypes"][1]["locations"] = ["East US 2"]
    code, found = checks(capsys)
    assert code == 1
    offer = found[("serverless offer", f"chat: {LLAMA33} in swedencentral")]
    assert offer["status"] == "fail"


def test_unregistered_provider_gets_the_command_to_fix_it(arm, project, capsys):
    arm.state.static[ML_PROVIDER]["registrationState"] = "NotRegistered"
    code, found = checks(capsys)
    assert code == 1
    assert "az provider register --namespace Microsoft.MachineLearningServices" in json.dumps(list(found.values()))


def test_missing_marketplace_permissions_are_listed(arm, project, capsys):
    arm.state.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["Microsoft.MachineLearningServices/*", "Microsoft.SaaS/resources/*"], "notActions": []}]
    ]
    code, found = checks(capsys)
    assert code == 1
    sub = found[("permissions", "subscription")]
    assert sub["status"] == "fail"
    assert "Microsoft.MarketplaceOrdering/agreements/offers/plans/sign/action" in sub["detail"]
    assert found[("permissions", "project")]["status"] == "ok"
    assert found[("permissions", "resource group")]["status"] == "ok"


def test_permissions_at_an_existing_resource_group_are_read_there(arm, project, capsys):
    # The group exists and grants less than the subscription: its own answer counts.
    arm.state.paged[f"{S}/resourceGroups/rg-llama-prod/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["Microsoft.MachineLearningServices/workspaces/*"], "notActions": []}]
    ]
    code, found = checks(capsys)
    assert code == 1
    assert "Microsoft.SaaS/resources/write" in found[("permissions", "resource group")]["detail"]
    assert found[("permissions", "project")]["status"] == "ok"


def test_not_actions_take_a_permission_away(arm, project, capsys):
    arm.state.paged[f"{S}/providers/Microsoft.Authorization/permissions"] = [
        [{"actions": ["*"], "notActions": ["Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/delete"]}]
    ]
    code, found = checks(capsys)
    assert code == 1
    detail = found[("permissions", "project")]["detail"]
    assert "workspaces/serverlessEndpoints/*" in detail


def test_role_management_needs_more_than_contributor(arm, project, capsys):
    config = yaml.safe_load((project / "Pulumi.prod.yaml").read_text())
    config["config"]["llama-on-azure:access"] = {"deployerRole": True}
    (project / "Pulumi.prod.yaml").write_text(yaml.safe_dump(config))
    code, found = checks(capsys)
    assert code == 1
    assert "Microsoft.Authorization/roleDefinitions/write" in found[("permissions", "role management")]["detail"]


def test_an_endpoint_already_serving_the_model_fails(arm, project, capsys):
    arm.state.paged[f"{PROJECT}/serverlessEndpoints"] = [
        [
            {
                "name": "other",
                "properties": {"modelSettings": {"modelId": f"azureml://registries/azureml-meta/models/{LLAMA33}"}},
            }
        ],
    ]
    code, found = checks(capsys)
    assert code == 1
    clash = found[("one endpoint per model", f"chat: {LLAMA33}")]
    assert clash["status"] == "fail" and "'other'" in clash["detail"]


def test_the_stacks_own_endpoint_already_deployed_is_no_clash(arm, project, capsys):
    arm.state.paged[f"{PROJECT}/serverlessEndpoints"] = [
        [
            {
                "name": f"chat-{SUFFIX}",
                "properties": {"modelSettings": {"modelId": f"azureml://registries/azureml-meta/models/{LLAMA33}"}},
            }
        ]
    ]
    code, found = checks(capsys)
    assert code == 0
    assert found[("one endpoint per model", f"chat: {LLAMA33}")]["status"] == "ok"


def test_a_project_not_created_yet_is_fine(arm, project, capsys):
    del arm.state.paged[f"{PROJECT}/serverlessEndpoints"]
    code, found = checks(capsys)
    assert code == 0
    assert found[("one endpoint per model", f"proj-llama-prod-{SUFFIX}")]["detail"] == "the project does not exist yet"


def test_throttling_is_retried(arm, project, capsys):
    arm.state.faults = [(429, "0"), (429, "0"), (503, "0")]
    code, _ = checks(capsys)
    assert code == 0
    assert len(arm.state.requests) > 3


def test_missing_sign_in_is_a_one_line_hint(arm, project, capsys):
    class SignedOut:
        def get_token(self, *scopes, **kwargs):
            raise ClientAuthenticationError(
                "DefaultAzureCredential failed to retrieve a token from the included credentials."
            )

    code, out, err = preflight(capsys, "--stack", "prod", credential=SignedOut())
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "az login" in err and "Traceback" not in err


def test_an_expired_token_refused_by_arm_is_the_same_hint(arm, project, capsys):
    code, _, err = preflight(capsys, "--stack", "prod", credential=FakeCredential("expired"))
    assert code == 1
    assert err.count("\n") == 1 and "az login" in err and "expired" in err


def test_dev_stack_without_managed_deployments_skips_quota(arm, project, capsys):
    dev = naming.unique_suffix(SUB, "rg-llama-dev", "llama", "dev")
    base = (
        f"{S}/resourceGroups/rg-llama-dev/providers/Microsoft.MachineLearningServices/workspaces/proj-llama-dev-{dev}"
    )
    arm.state.paged[f"{base}/serverlessEndpoints"] = [[]]
    code, out, _ = preflight(capsys, "--stack", "dev")
    assert code == 0
    assert "vCPU quota" not in out


def test_bad_stack_config_is_reported_before_asking_azure(arm, project, capsys):
    (project / "Pulumi.bad.yaml").write_text(
        yaml.safe_dump({"config": stack_config(deployments=[serverless("xyz", "nope")])})
    )
    code, _, err = preflight(capsys, "--stack", "bad")
    assert code == 1 and "is not in the Llama catalog" in err
    assert arm.state.requests == []
