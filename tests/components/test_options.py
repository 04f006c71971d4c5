"""Every Azure resource the program can create has an explicit name, so every replacement deletes first."""

import pytest

from tests.support.stacks import CS, ML, managed, run, serverless, stack_config
from tests.support.stacks import foundry as foundry_deployment

# Every azure-native type the program creates, on all three paths, with access and the optional registry.
EVERY_TYPE = {
    "azure-native:resources:ResourceGroup",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:operationalinsights:Workspace",
    "azure-native:applicationinsights:Component",
    "azure-native:containerregistry:Registry",
    f"{ML}:Workspace",
    f"{ML}:MarketplaceSubscription",
    f"{ML}:ServerlessEndpoint",
    f"{ML}:OnlineEndpoint",
    f"{ML}:OnlineDeployment",
    f"{CS}:Account",
    f"{CS}:Project",
    f"{CS}:Deployment",
    f"{CS}:RaiPolicy",
    "azure-native:authorization:RoleDefinition",
    "azure-native:authorization:RoleAssignment",
    "azure-native:monitor:DiagnosticSetting",
    "azure-native:monitor:MetricAlert",
    "azure-native:monitor:ActionGroup",
}


@pytest.fixture(scope="module")
def everything():
    config = stack_config(
        deployments=[
            serverless("chat"),
            managed("llama33", instanceCount=1),
            foundry_deployment("maverick", contentFilter="strict"),
        ],
        contentFilters={"strict": {"hate": "Low"}},
        hub={"containerRegistry": True},
        access={
            "deployerRole": True,
            "deployers": ["11111111-1111-1111-1111-111111111111"],
            "developers": [{"id": "22222222-2222-2222-2222-222222222222", "type": "Group"}],
        },
        monitoring={"alerts": {"emails": ["platform-team@example.com"]}},
    )
    result = run("dev", config)
    assert result.error is None, result.error
    return result


def test_the_stack_creates_every_named_azure_type(everything):
    assert {r.type for r in everything.registrations if r.type.startswith("azure-native:")} == EVERY_TYPE


def test_each_is_replaced_delete_before_create(everything):
    # azure-native refuses to create a name that exists: create-before-delete fails on every replacement.
    for reg in everything.registrations:
        if reg.custom and reg.type.startswith("azure-native:"):
            assert reg.delete_before_replace, f"{reg.type} {reg.name}"
