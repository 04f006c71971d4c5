"""Every Azure payload uses only names, enum values and writable fields of Microsoft's REST models."""

import importlib
import inspect
import re

import pytest

from tests.support.rest_oracle import TARGETS, api_version, check_resource, monitor_api_versions
from tests.support.stacks import (
    CS,
    ML,
    SCENARIO_NAMES,
    SHIPPED,
    registered,
    run,
    scenario,
    serverless,
    shipped_config,
    stack_config,
)
from tools.engine import LlamaMocks, run_isolated

LANDING = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-connectivity"
LANDING_SUBNET = f"{LANDING}/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-pe"
LANDING_ZONES = f"{LANDING}/providers/Microsoft.Network/privateDnsZones"
LANDING_ZONE_NAMES = (
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.file.core.windows.net",
    "privatelink.vaultcore.azure.net",
)

STACKS = {
    **{name: (name, shipped_config(name)) for name in SHIPPED},
    **{name: (name, scenario(name)) for name in SCENARIO_NAMES},
    "locked-down hub": (
        "dev",
        stack_config(
            hub={
                "publicNetworkAccess": "Disabled",
                "isolationMode": "AllowOnlyApprovedOutbound",
                "containerRegistry": True,
            },
            # The landing zone adds the private endpoints (Azure Policy): the stack creates none.
            network={"externalPrivateEndpoints": True},
            deployments=[serverless("chat", contentSafety=False)],
            access={
                "deployerRole": True,
                "deployers": [{"id": "21111111-2222-3333-4444-555555555555", "type": "ServicePrincipal"}],
                "developers": ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"],
            },
        ),
    ),
    "private in the landing zone": (
        "dev",
        stack_config(
            network={
                "private": True,
                "subnetId": LANDING_SUBNET,
                "subnetRegion": "westeurope",
                "dnsZones": {zone: f"{LANDING_ZONES}/{zone}" for zone in LANDING_ZONE_NAMES},
            },
            foundry={"networkAcls": {"defaultAction": "Deny"}},
            deployments=[serverless("chat")],
        ),
    ),
}
# No Microsoft model package for resource groups is installed; their payload is location and tags. A blob is data,
# not an ARM resource: it has no REST model (its container has one, and is checked).
UNCHECKED = {"azure-native:resources:ResourceGroup", "azure-native:storage:Blob"}
PROVIDER_MODULES = {
    "azure-native:monitor:DiagnosticSetting": "diagnostic_setting",
    "azure-native:monitor:MetricAlert": "metric_alert",
    "azure-native:monitor:ActionGroup": "action_group",
}
ALERT_CRITERIA = {"odataType": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"}


def test_oracle_describes_the_providers_api_version():
    # pulumi-azure-native 3.x uses 2025-12-01 for every machinelearningservices resource.
    assert api_version() == "2025-12-01"


def test_the_monitor_models_are_the_providers_api_versions_but_action_groups():
    # The provider's own docstrings say which REST API version each type uses; azure-mgmt-monitor 6.0.2 has no models
    # for action groups' 2024-10-01-preview, so they are checked against 2023-01-01 (the newest it carries).
    for token, version in monitor_api_versions().items():
        module = importlib.import_module(f"pulumi_azure_native.monitor.{PROVIDER_MODULES[token]}")
        (used,) = set(re.findall(r"Uses Azure REST API version ([0-9a-z-]+)\.", inspect.getsource(module)))
        assert used == version or (
            token.endswith("ActionGroup") and (used, version) == ("2024-10-01-preview", "2023-01-01")
        )


@pytest.mark.parametrize("name", list(STACKS))
def test_payloads_match_the_rest_models(name):
    stack, config = STACKS[name]
    result = run(stack, config)
    assert result.error is None, result.error
    checked = set()
    for reg in result.registrations:
        if reg.type.startswith("azure-native:") and reg.type not in UNCHECKED:
            assert reg.type in TARGETS, f"no REST model mapped for {reg.type}"
            assert check_resource(reg.type, reg.inputs) == [], reg.name
            checked.add(reg.type)
    assert f"{ML}:Workspace" in checked or f"{CS}:Account" in checked
    assert len(checked) >= 4


def test_every_type_the_stacks_use_has_been_checked():
    used = {r.type for stack, config in STACKS.values() for r in run(stack, config).registrations}
    azure = {t for t in used if t.startswith("azure-native:")}
    assert azure - UNCHECKED <= set(TARGETS)
    assert {
        "azure-native:authorization:RoleDefinition",
        "azure-native:containerregistry:Registry",
        f"{ML}:ServerlessEndpoint",
        f"{ML}:OnlineDeployment",
        f"{ML}:ModelVersion",
        f"{ML}:EnvironmentVersion",
        f"{CS}:Deployment",
        f"{CS}:RaiPolicy",
        f"{ML}:ManagedNetworkSettingsRule",
        "azure-native:network:PrivateEndpoint",
        "azure-native:network:PrivateDnsZoneGroup",
        "azure-native:network:VirtualNetwork",
        "azure-native:network:Subnet",
        "azure-native:privatedns:PrivateZone",
        "azure-native:privatedns:VirtualNetworkLink",
    } <= azure


@pytest.mark.parametrize(
    ("type_", "payload", "expected"),
    [
        ("azure-native:storage:StorageAccount", {"minimumTlsVersion": "TLS1_9"}, "'TLS1_9' is not a value"),
        ("azure-native:storage:StorageAccount", {"primaryEndpoints": {}}, "no such property"),
        ("azure-native:keyvault:Vault", {"properties": {"sku": {"family": "A", "name": "gold"}}}, "'gold'"),
        ("azure-native:authorization:RoleAssignment", {"principalType": "Robot"}, "'Robot' is not a value"),
        ("azure-native:authorization:RoleAssignment", {"createdOn": "2026-01-01"}, "read-only"),
        ("azure-native:authorization:RoleDefinition", {"createdBy": "me"}, "read-only"),
        ("azure-native:containerregistry:Registry", {"loginServer": "x.azurecr.io"}, "read-only"),
        ("azure-native:monitor:ActionGroup", {"groupShortName": "llama-on-azure"}, "at most 12"),
        (
            "azure-native:monitor:MetricAlert",
            {"criteria": ALERT_CRITERIA | {"allOf": [{"operator": "Above"}]}},
            "'Above'",
        ),
        (
            "azure-native:monitor:MetricAlert",
            {"criteria": ALERT_CRITERIA | {"allOf": [{"bogus": 1}]}},
            "MetricCriteria",
        ),
        ("azure-native:monitor:MetricAlert", {"isMigrated": True}, "read-only"),
        ("azure-native:monitor:DiagnosticSetting", {"logs": [{"categoryGroup": "allLogs", "retention": 1}]}, "no such"),
        ("azure-native:keyvault:Secret", {"properties": {"secretUri": "https://x"}}, "read-only"),
    ],
)
def test_the_oracle_rejects_what_other_providers_would(type_, payload, expected):
    problems = check_resource(type_, payload)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda p: p["properties"].update(authMode="Keys"), "'Keys' is not a value"),
        (lambda p: p["properties"]["contentSafety"].update(contentSafetyStatus="On"), "'On' is not a value"),
        (lambda p: p["properties"].update(inferenceEndpoint={"uri": "x"}), "read-only"),
        (lambda p: p.update(contentSafety={}), "no such property"),
    ],
)
def test_the_oracle_rejects_what_azure_would(mutation, expected):
    endpoint = run("dev", shipped_config("dev")).one(f"{ML}:ServerlessEndpoint")
    payload = {**endpoint.inputs, "properties": {**endpoint.inputs["properties"]}}
    payload["properties"]["contentSafety"] = dict(payload["properties"]["contentSafety"])
    mutation(payload)
    problems = check_resource(endpoint.type, payload)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("name", [*SHIPPED, *SCENARIO_NAMES])
def test_a_second_run_registers_exactly_the_same(name):
    """AVM deploys each scenario twice (init, then idem): here, a second run under the mock engine must register the
    same resources with the same names and inputs, so a second `pulumi up` changes nothing."""
    stack, config = STACKS[name]
    first = run(stack, config)
    again = run_isolated(stack, config, preview=False, mock=LlamaMocks(preview=False))
    assert first.error is None and again.error is None, first.error or again.error
    assert registered(again) == registered(first)
    assert again.exports == first.exports
