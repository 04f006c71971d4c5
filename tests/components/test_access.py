"""Access as code: the how-to's custom deployer role, its assignments and the developers' role."""

from __future__ import annotations

import re

import pytest

from catalog import rbac
from tests.support.stacks import run, serverless, stack_config

# The permissions Microsoft's how-to lists for the custom role (https://learn.microsoft.com/azure/ai-studio/how-to/deploy-models-llama).
HOW_TO_ACTIONS = {
    "Microsoft.MarketplaceOrdering/agreements/offers/plans/read",
    "Microsoft.MarketplaceOrdering/agreements/offers/plans/sign/action",
    "Microsoft.MarketplaceOrdering/offerTypes/publishers/offers/plans/agreements/read",
    "Microsoft.Marketplace/offerTypes/publishers/offers/plans/agreements/read",
    "Microsoft.SaaS/register/action",
    "Microsoft.SaaS/resources/read",
    "Microsoft.SaaS/resources/write",
    "Microsoft.MachineLearningServices/workspaces/marketplaceModelSubscriptions/*",
    "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/*",
}
DEPLOYER = "11111111-2222-3333-4444-555555555555"
ROBOT = "21111111-2222-3333-4444-555555555555"
DEVELOPER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ACCESS = {
    "deployerRole": True,
    "deployers": [DEPLOYER, {"id": ROBOT, "type": "ServicePrincipal"}],
    "developers": [DEVELOPER],
}
SUB_A = "aaaaaaaa-0000-0000-0000-000000000001"
# The hub path alone (the dev stack also has a foundry deployment: tests/infra/kinds/test_foundry.py covers its roles).
HUB_ONLY = [serverless("chat")]


def access_run(subscription: str | None = None, **access):
    result = run("dev", stack_config(access=access or ACCESS, deployments=HUB_ONLY), subscription=subscription)
    assert result.error is None, result.error
    return result


def test_custom_role_carries_every_action_the_how_to_lists():
    role = access_run().one("azure-native:authorization:RoleDefinition").inputs
    actions = set(role["permissions"][0]["actions"])
    assert actions >= HOW_TO_ACTIONS, HOW_TO_ACTIONS - actions
    assert role["roleName"].startswith("Llama deployer (llama-dev-") and len(role["roleName"]) > len(
        "Llama deployer (llama-dev-)"
    )
    assert "Microsoft.MachineLearningServices/workspaces/marketplaceSubscriptions/*" in actions
    # ... and what the stack's diagnostic settings and alerts take (monitoring is on by default).
    how_to = {a for scope in rbac.DEPLOYER_ACTIONS.values() for a in scope}
    assert actions == how_to | set(rbac.MONITORING_DEPLOYER_ACTIONS)
    assert role["roleType"] == "CustomRole"
    assert role["assignableScopes"] == [role["scope"]] and role["scope"].startswith("/subscriptions/")


def test_deployers_get_the_role_at_subscription_group_and_project():
    result = access_run()
    role = result.one("azure-native:authorization:RoleDefinition")
    project = next(
        r for r in result.by_type("azure-native:machinelearningservices:Workspace") if r.inputs["kind"] == "Project"
    )
    deployer = [
        r.inputs
        for r in result.by_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == DEPLOYER
    ]
    assert sorted(a["scope"] for a in deployer) == sorted(
        [
            "/subscriptions/00000000-0000-0000-0000-000000000000",
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-llama-dev",
            project.id,
        ]
    )
    assert {a["roleDefinitionId"] for a in deployer} == {role.id}
    assert {a["principalType"] for a in deployer} == {"User"}
    robot = [
        r.inputs
        for r in result.by_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == ROBOT
    ]
    assert len(robot) == 3 and {a["principalType"] for a in robot} == {"ServicePrincipal"}


def test_developers_get_azure_ai_developer_on_the_project():
    result = access_run()
    project = next(
        r for r in result.by_type("azure-native:machinelearningservices:Workspace") if r.inputs["kind"] == "Project"
    )
    (developer,) = [
        r.inputs
        for r in result.by_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == DEVELOPER
    ]
    assert developer["scope"] == project.id
    assert developer["roleDefinitionId"].endswith("/roleDefinitions/64702f94-c441-49e6-a78b-ef80e0188fee")


def test_guids_are_deterministic_per_subscription():
    def ids(result):
        role = result.one("azure-native:authorization:RoleDefinition").inputs["roleDefinitionId"]
        names = sorted(
            r.inputs["roleAssignmentName"] for r in result.by_type("azure-native:authorization:RoleAssignment")
        )
        return role, names

    first = access_run(SUB_A)
    # A second, separate run (another tag makes it one) must name everything the same.
    again = run("dev", stack_config(access=ACCESS, tags={"run": "second"}, deployments=HUB_ONLY), subscription=SUB_A)
    assert ids(first) == ids(again)
    other = access_run("bbbbbbbb-0000-0000-0000-000000000002")
    assert ids(first)[0] != ids(other)[0]
    role, names = ids(first)
    assert len(set(names)) == len(names) == 7
    for guid in [role, *names]:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", guid)


def test_no_access_section_creates_no_role():
    result = run("dev", stack_config())
    assert not result.by_type("azure-native:authorization:RoleDefinition")
    assert not result.by_type("azure-native:authorization:RoleAssignment")
    assert "deployerRoleId" not in result.exports


def test_developers_alone_need_no_custom_role():
    result = access_run(developers=[DEVELOPER])
    assert not result.by_type("azure-native:authorization:RoleDefinition")
    assert len(result.by_type("azure-native:authorization:RoleAssignment")) == 1


@pytest.mark.parametrize(
    ("access", "fragments"),
    [
        ({"deployerRole": True, "deployers": ["not-a-guid"]}, ["access.deployers[0].id", "'not-a-guid'", "GUID"]),
        (
            {"developers": [{"id": DEVELOPER, "type": "Robot"}]},
            ["access.developers[0].type", "'Robot'", "ServicePrincipal"],
        ),
        ({"deployers": [DEPLOYER]}, ["access.deployers", "deployerRole: true"]),
        ({"developers": [DEVELOPER, DEVELOPER.upper()]}, ["access.developers[1]", "listed twice"]),
        ({"deployerRole": True, "admins": [DEPLOYER]}, ["access.admins", "unknown key"]),
    ],
)
def test_bad_access_config_is_refused(access, fragments):
    result = run("dev", stack_config(access=access))
    assert result.error and result.registrations == []
    for fragment in fragments:
        assert fragment in result.error, result.error


def test_the_deployer_role_carries_what_each_kind_of_the_stack_needs():
    from tests.support.stacks import managed

    config = stack_config(access=ACCESS, deployments=[managed("big")])
    role = run("dev", config).one("azure-native:authorization:RoleDefinition").inputs
    actions = set(role["permissions"][0]["actions"])
    assert set(rbac.MANAGED_DEPLOYER_ACTIONS) <= actions, "preflight requires them of a deployer"
    assert not set(rbac.ROLE_MANAGEMENT_ACTIONS) & actions, "a deployer never manages roles"
