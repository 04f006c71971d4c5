"""Monitoring as the program registers it: diagnostic settings, alerts per deployment, the action group; a webhook URL
never in plain text."""

import json
import shutil
from typing import Any

import pytest
import yaml
from azure.mgmt.monitor.v2018_03_01 import models as alerts_models
from azure.mgmt.monitor.v2021_05_01_preview import models as diagnostics_models

from catalog import monitoring
from infra.config.types import ENCRYPTED
from tests.support.cli import command
from tests.support.outputs import plain_parts, unwrapped
from tests.support.rest_oracle import check_resource
from tests.support.stacks import (
    CS,
    ML,
    ROOT,
    foundry,
    managed,
    run,
    run_decrypted,
    scenario,
    serverless,
    shipped_config,
    stack_config,
)
from tools.engine import PLACEHOLDER_SUBSCRIPTION, is_secret, masked
from tools.plan import Plan, plan_document, render_markdown, render_text

DIAGNOSTIC = "azure-native:monitor:DiagnosticSetting"
ALERT = "azure-native:monitor:MetricAlert"
GROUP = "azure-native:monitor:ActionGroup"
SECRET = "azure-native:keyvault:Secret"
WORKSPACE = "azure-native:operationalinsights:Workspace"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
EXISTING = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-observability/providers/"
    "Microsoft.OperationalInsights/workspaces/log-central"
)
HOOK = "https://hooks.example.com/services/T0/B0/s3cr3t-t0ken-4711"


def ok(config: dict[str, Any], stack: str = "dev", preview: bool = False):
    result = run(stack, config, preview=preview)
    assert result.error is None, result.error
    return result


def settings_by_target(result) -> dict[str, dict[str, Any]]:
    """The resource id each diagnostic setting watches -> its inputs (a sub-resource's id ends in its path)."""
    return {r.inputs["resourceUri"]: r.inputs for r in result.by_type(DIAGNOSTIC)}


def resource_id(result, type_: str, name: str | None = None) -> str:
    return result.one(type_, name).id


# --- Diagnostic settings ---------------------------------------------------------------------------------------------


def test_dev_sends_every_resource_that_has_settings_to_the_hubs_workspace():
    result = ok(shipped_config("dev"))
    by_target = settings_by_target(result)
    account = resource_id(result, f"{CS}:Account")
    hub, project = (r.id for r in result.by_type(f"{ML}:Workspace"))
    vault = resource_id(result, "azure-native:keyvault:Vault")
    storage = resource_id(result, "azure-native:storage:StorageAccount")
    services = [f"{storage}/{s}Services/default" for s in ("blob", "file", "queue", "table")]
    assert set(by_target) == {account, hub, project, vault, storage, *services}
    (workspace,) = result.by_type(WORKSPACE)
    assert {s["workspaceId"] for s in by_target.values()} == {workspace.id}, "one workspace, the hub's"
    assert {s["name"] for s in by_target.values()} == {"diag-llama-dev"}
    assert by_target[account]["logs"] == [{"enabled": True, "categoryGroup": "allLogs"}]
    assert "logAnalyticsDestinationType" not in by_target[account], "AzureDiagnostics: no resource-specific tables"
    assert by_target[vault]["logs"] == [{"enabled": True, "categoryGroup": "audit"}]
    assert by_target[vault]["logAnalyticsDestinationType"] == "Dedicated"
    assert "logs" not in by_target[storage], "the account has metrics only"
    assert by_target[storage]["metrics"] == [{"enabled": True, "category": "Transaction"}]
    for service in services:
        assert [e["category"] for e in by_target[service]["logs"]] == ["StorageDelete", "StorageRead", "StorageWrite"]
    assert all("retentionPolicy" not in json.dumps(s) for s in by_target.values()), "retention is the workspace's"


def test_each_setting_waits_for_what_it_watches_and_the_workspace():
    result = ok(shipped_config("dev"), preview=True)
    account = result.one(f"{CS}:Account").urn
    (setting,) = [r for r in result.by_type(DIAGNOSTIC) if account in r.property_dependencies["resourceUri"]]
    assert result.one(WORKSPACE).urn in setting.property_dependencies["workspaceId"]
    assert setting.delete_before_replace, "a setting's name is unique per resource"


def test_a_foundry_only_stack_gets_a_workspace_of_its_own_and_an_existing_one_is_only_referenced():
    own = ok(stack_config(deployments=[foundry("maverick")], monitoring={"logRetentionDays": 60}))
    (workspace,) = own.by_type(WORKSPACE)
    assert workspace.inputs["workspaceName"] == "log-llama-dev" and workspace.inputs["retentionInDays"] == 60
    assert {s.inputs["workspaceId"] for s in own.by_type(DIAGNOSTIC)} == {workspace.id}
    existing = ok(stack_config(monitoring={"workspaceId": EXISTING}))
    assert {s.inputs["workspaceId"] for s in existing.by_type(DIAGNOSTIC)} == {EXISTING}
    (hubs,) = existing.by_type(WORKSPACE)
    assert hubs.name == "hub-log", "the stack creates none: the hub keeps its own for Application Insights"


TUNED = {
    "diagnostics": False,
    "alerts": {"throttling": {"threshold": 10, "windowMinutes": 15, "severity": 0}, "latency": {"enabled": False}},
}


def test_diagnostics_off_registers_none_and_the_alerts_stay():
    result = ok(stack_config(monitoring=TUNED))
    assert not result.by_type(DIAGNOSTIC)
    assert len(result.by_type(ALERT)) == 2


def test_chosen_categories_and_metrics_off():
    chosen = {"keyVault": ["AuditEvent"], "storage": ["StorageWrite"]}
    config = stack_config(monitoring={"logs": chosen, "metrics": False, "alerts": {"enabled": False}})
    result = ok(config)
    assert not result.by_type(ALERT) and not result.by_type(GROUP), "alerts off: none, and no action group"
    by_target = settings_by_target(result)
    vault = resource_id(result, "azure-native:keyvault:Vault")
    assert by_target[vault]["logs"] == [{"enabled": True, "category": "AuditEvent"}]
    assert "metrics" not in by_target[vault]
    storage = resource_id(result, "azure-native:storage:StorageAccount")
    assert storage not in by_target, "the account has metrics only: with metrics off it sends nothing"
    assert by_target[f"{storage}/blobServices/default"]["logs"] == [{"enabled": True, "category": "StorageWrite"}]


# --- Alerts per deployment -------------------------------------------------------------------------------------------


def criterion(reg) -> dict[str, Any]:
    (only,) = reg.inputs["criteria"]["allOf"]
    return only


def dimensions(reg) -> dict[str, list[str]]:
    return {d["name"]: d["values"] for d in criterion(reg).get("dimensions", [])}


def test_a_foundry_deployment_gets_throttling_server_error_and_latency_alerts_on_its_own_requests():
    result = ok(shipped_config("dev"))
    alerts = {r.inputs["ruleName"]: r for r in result.by_type(ALERT)}
    assert set(alerts) == {f"alert-llama-dev-maverick-{a}" for a in ("throttling", "serverErrors", "latency")}
    account = resource_id(result, f"{CS}:Account")
    for reg in alerts.values():
        assert reg.inputs["scopes"] == [account] and reg.inputs["location"] == "global"
        assert criterion(reg)["metricNamespace"] == monitoring.COGNITIVE
        assert dimensions(reg)["ModelDeploymentName"] == ["maverick"]
        assert "actions" not in reg.inputs or reg.inputs["actions"] == [], "dev names no receiver: no action group"
    throttling = alerts["alert-llama-dev-maverick-throttling"]
    assert criterion(throttling) | {"dimensions": None} == {
        "criterionType": "StaticThresholdCriterion", "name": "throttling", "metricNamespace": monitoring.COGNITIVE,
        "metricName": "ModelRequests", "timeAggregation": "Total", "operator": "GreaterThan", "threshold": 5,
        "dimensions": None,
    }  # fmt: skip
    assert dimensions(throttling)["StatusCode"] == ["429"]
    assert (throttling.inputs["windowSize"], throttling.inputs["evaluationFrequency"]) == ("PT5M", "PT1M")
    assert dimensions(alerts["alert-llama-dev-maverick-serverErrors"])["StatusCode"] == ["500", "502", "503", "504"]
    latency = alerts["alert-llama-dev-maverick-latency"]
    assert criterion(latency)["metricName"] == "TimeToLastByte" and latency.inputs["windowSize"] == "PT15M"
    assert not result.by_type(GROUP)


def test_thresholds_windows_and_severities_are_the_stacks_and_an_alert_turns_off():
    result = ok(stack_config(monitoring=TUNED))
    by_name = {criterion(r)["name"]: r for r in result.by_type(ALERT)}
    assert set(by_name) == {"throttling", "serverErrors"}
    throttling = by_name["throttling"]
    assert criterion(throttling)["threshold"] == 150, "10 a minute over 15 minutes, as ModelRequests counts"
    assert (throttling.inputs["windowSize"], throttling.inputs["evaluationFrequency"]) == ("PT15M", "PT5M")
    assert throttling.inputs["severity"] == 0


MIXED = stack_config(
    deployments=[
        foundry("maverick"),
        foundry("ptu", "Llama-3.3-70B-Instruct", sku="GlobalProvisionedManaged", capacity=100),
        managed("gpu", authMode="AADToken"),
        serverless("chat"),
    ],
)


def test_a_provisioned_foundry_deployment_is_alerted_on_its_utilization():
    utilization = {r.inputs["ruleName"]: criterion(r)["metricName"] for r in ok(MIXED).by_type(ALERT)}
    assert utilization["alert-llama-dev-ptu-utilization"] == "ProvisionedUtilization"
    assert "alert-llama-dev-maverick-utilization" not in utilization, "a per-token deployment has no such metric"


def test_managed_deployments_are_alerted_on_codes_latency_instances_and_gpus():
    result = ok(scenario("managed"), stack="managed")
    endpoint = result.one(f"{ML}:OnlineEndpoint")
    deployment = result.one(f"{ML}:OnlineDeployment")
    alerts = {criterion(r)["name"]: r for r in result.by_type(ALERT)}
    assert set(alerts) == {"throttling", "serverErrors", "latency", "capacity", "utilization"}
    assert alerts["throttling"].inputs["scopes"] == [endpoint.id]
    assert dimensions(alerts["throttling"]) == {"deployment": ["llama33"], "statusCode": ["429"]}
    assert dimensions(alerts["serverErrors"]) == {"deployment": ["llama33"], "statusCodeClass": ["5xx"]}
    for name in ("latency", "capacity", "utilization"):
        assert alerts[name].inputs["scopes"] == [deployment.id]
        assert criterion(alerts[name])["metricNamespace"] == monitoring.DEPLOYMENTS
    capacity = criterion(alerts["capacity"])
    assert (capacity["operator"], capacity["threshold"], capacity["timeAggregation"]) == ("LessThan", 3, "Minimum")
    assert criterion(alerts["utilization"])["metricName"] == "GpuUtilizationPercentage"
    by_target = settings_by_target(result)
    assert by_target[endpoint.id]["logs"] == [{"enabled": True, "categoryGroup": "allLogs"}], "the online endpoint"


def test_deployments_of_a_shared_endpoint_each_get_their_own_alerts():
    result = ok(scenario("max"), stack="maxi")
    names = {r.inputs["ruleName"] for r in result.by_type(ALERT)}
    assert {"alert-lla-maxi-shared-blue-capacity", "alert-lla-maxi-shared-green-capacity"} <= names
    assert not [n for n in names if "-chat-" in n], "a serverless endpoint has no metrics"


def test_the_max_scenario_watches_its_registry_sends_chosen_categories_and_tunes_its_alerts():
    result = ok(scenario("max"), stack="maxi")
    by_target = settings_by_target(result)
    registry = by_target[resource_id(result, "azure-native:containerregistry:Registry")]
    assert registry["logs"] == [{"enabled": True, "categoryGroup": "allLogs"}]
    assert registry["logAnalyticsDestinationType"] == "Dedicated"
    vault = by_target[resource_id(result, "azure-native:keyvault:Vault")]
    assert vault["logs"] == [{"enabled": True, "category": "AuditEvent"}], "the stack's choice, not the default"
    alerts = {r.inputs["ruleName"]: r for r in result.by_type(ALERT)}
    latency = alerts["alert-lla-maxi-maverick-latency"]
    assert criterion(latency)["threshold"] == 20000 and latency.inputs["windowSize"] == "PT30M"
    assert criterion(alerts["alert-lla-maxi-shared-blue-capacity"])["threshold"] == 1, "50% of 2 instances"
    (group,) = result.by_type(GROUP)
    assert all(a.inputs["actions"] == [{"actionGroupId": group.id}] for a in alerts.values())


# --- The action group and its webhook --------------------------------------------------------------------------------


def test_prod_mails_the_team_from_one_action_group_every_alert_tells():
    result = ok(shipped_config("prod"), stack="prod")
    (group,) = result.by_type(GROUP)
    assert group.inputs["location"] == "Global" and group.inputs["groupShortName"] == "llamaprod"
    assert group.inputs["emailReceivers"] == [
        {"name": "email-0", "emailAddress": "platform-team@example.com", "useCommonAlertSchema": True}
    ]
    alerts = result.by_type(ALERT)
    assert len(alerts) == 6, "two Foundry deployments, three alerts each; the serverless endpoint has none"
    assert all(a.inputs["actions"] == [{"actionGroupId": group.id}] for a in alerts)


@pytest.fixture(scope="module")
def hooked():
    """A stack whose webhook URL Pulumi decrypted for the program, as `pulumi up` does."""
    config = stack_config(monitoring={"alerts": {"emails": ["oncall@example.com"], "webhooks": {"oncall": HOOK}}})
    result = run_decrypted("dev", config, ["llama-on-azure:monitoring"])
    assert result.error is None, result.error
    return result


def test_a_webhook_url_is_a_secret_in_state_and_nowhere_in_plain_text(hooked):
    (group,) = hooked.by_type(GROUP)
    # The SDK sends a list holding a secret as a secret: every webhook receiver is one, its URL included.
    assert is_secret(group.inputs["webhookReceivers"])
    (receiver,) = group.inputs["webhookReceivers"]["secret"]
    assert unwrapped(receiver["serviceUri"]) == HOOK and receiver["useCommonAlertSchema"] is True
    assert group.inputs["emailReceivers"][0]["emailAddress"] == "oncall@example.com", "an address stays plain"
    assert "webhookReceivers" in json.dumps(group.outputs)
    for reg in hooked.registrations:
        for part in (reg.inputs, reg.outputs):
            assert "s3cr3t" not in json.dumps(plain_parts(part)), f"{reg.type} {reg.name}"
    assert "s3cr3t" not in json.dumps(plain_parts(hooked.exports))
    assert check_resource(group.type, group.inputs) == []


def test_no_plan_shows_a_webhook_url(hooked):
    plan = Plan(hooked, PLACEHOLDER_SUBSCRIPTION, [])
    for shown in (render_text(plan), render_markdown(plan), json.dumps(plan_document(plan))):
        assert "s3cr3t" not in shown and HOOK not in shown
    assert "webhookReceivers=[secret]" in render_text(plan)


def test_offline_an_encrypted_webhook_plans_as_a_secret():
    config = stack_config(monitoring={"alerts": {"webhooks": {"oncall": ENCRYPTED}}})
    result = run_decrypted("dev", config, ["llama-on-azure:monitoring"])
    assert result.error is None, result.error
    (group,) = result.by_type(GROUP)
    assert masked(group.inputs["webhookReceivers"]) == "[secret]"
    assert unwrapped(group.inputs["webhookReceivers"])[0]["serviceUri"] == ENCRYPTED, "offline: only the marker"


def test_the_plan_of_a_stack_file_with_an_encrypted_webhook_masks_it(tmp_path):
    config = shipped_config("dev") | {
        "llama-on-azure:monitoring": {"alerts": {"webhooks": {"oncall": {"secure": "v1:c2VjcmV0:bm90LWEtdXJs"}}}}
    }
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.hooked.yaml").write_text(yaml.safe_dump({"config": config}))
    done = command("plan", "--stack", "hooked", "--skip-policies", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "webhookReceivers=[secret]" in done.stdout
    assert "llama-on-azure:monitoring: encrypted values (secure:) are not checked offline" in done.stdout
    assert "bm90LWEtdXJs" not in done.stdout + done.stderr


# --- What the program registers, against Microsoft's models ----------------------------------------------------------


def test_every_monitoring_payload_of_the_shipped_and_scenario_stacks_is_one_azure_takes():
    types = (DIAGNOSTIC, ALERT, GROUP)
    checked = set()
    for stack, config in (("prod", shipped_config("prod")), ("managed", scenario("managed"))):
        for reg in run(stack, config).registrations:
            if reg.type in types:
                assert check_resource(reg.type, reg.inputs) == [], reg.name
                checked.add(reg.type)
    assert checked == set(types)


def test_microsofts_own_models_serialize_a_setting_and_a_rule_as_the_program_sends_them():
    result = run("managed", scenario("managed"))
    setting = next(r for r in result.by_type(DIAGNOSTIC) if r.name == "llama33-diagnostics-diag")
    body = diagnostics_models.DiagnosticSettingsResource(
        workspace_id=setting.inputs["workspaceId"],
        log_analytics_destination_type=setting.inputs["logAnalyticsDestinationType"],
        logs=[diagnostics_models.LogSettings(category_group="allLogs", enabled=True)],
        metrics=[diagnostics_models.MetricSettings(category="AllMetrics", enabled=True)],
    ).serialize()
    assert (
        body["properties"]["logs"] == setting.inputs["logs"]
        and body["properties"]["metrics"] == setting.inputs["metrics"]
    )
    rule = next(r for r in result.by_type(ALERT) if r.name.endswith("-capacity"))
    (criterion,) = rule.inputs["criteria"]["allOf"]
    model = alerts_models.MetricAlertResource(
        location=rule.inputs["location"],
        severity=rule.inputs["severity"],
        enabled=rule.inputs["enabled"],
        scopes=rule.inputs["scopes"],
        evaluation_frequency=rule.inputs["evaluationFrequency"],
        window_size=rule.inputs["windowSize"],
        criteria=alerts_models.MetricAlertSingleResourceMultipleMetricCriteria(
            all_of=[
                alerts_models.MetricCriteria(
                    name=criterion["name"],
                    metric_name=criterion["metricName"],
                    metric_namespace=criterion["metricNamespace"],
                    time_aggregation=criterion["timeAggregation"],
                    operator=criterion["operator"],
                    threshold=criterion["threshold"],
                )
            ]
        ),
    ).serialize()
    assert model["location"] == "global"
    assert model["properties"]["criteria"]["odata.type"] == rule.inputs["criteria"]["odataType"]
    assert model["properties"]["windowSize"] == "PT15M" and model["properties"]["evaluationFrequency"] == "PT5M"
