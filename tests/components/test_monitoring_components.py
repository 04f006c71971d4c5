"""The monitoring components refuse what Azure would, before anything is registered (their payloads:
tests/infra/test_monitoring.py)."""

from typing import Any

import pytest

from components.action_group import ActionGroup, ActionGroupArgs
from components.alerts import MetricAlertRuleArgs, MetricAlerts, MetricAlertsArgs
from components.diagnostics import DiagnosticSettings, DiagnosticSettingsArgs, DiagnosticTargetArgs
from components.key_vault_secret import KeyVaultSecret, KeyVaultSecretArgs
from components.log_analytics import LogAnalyticsWorkspace, LogAnalyticsWorkspaceArgs

TARGET = DiagnosticTargetArgs(resource_id="/subscriptions/s/providers/X/y", log_category_groups=["allLogs"])
RULE = MetricAlertRuleArgs(
    key="throttling",
    rule_name="alert-x",
    scope="/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a",
    metric_namespace="Microsoft.CognitiveServices/accounts",
    metric_name="ModelRequests",
    aggregation="Total",
    operator="GreaterThan",
    threshold=5,
    window_minutes=5,
    severity=2,
    description="x",
)


def refused(build: Any) -> str:
    with pytest.raises(ValueError) as refusal:
        build()
    return str(refusal.value)


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ([], "DiagnosticSettings targets: empty"),
        ([{**TARGET, "log_categories": ["Audit"]}], "category groups and categories together"),
        ([{**TARGET, "log_category_groups": ["everything"]}], "'everything' is not allowed; allLogs, audit"),
        ([DiagnosticTargetArgs(resource_id="/r")], "sends nothing; give logs, metrics or both"),
        ([{**TARGET, "suffix": "blob"}, {**TARGET, "suffix": "blob"}], "suffixes ['blob', 'blob'] repeat"),
    ],
)
def test_diagnostic_settings_refuse_what_azure_refuses(targets, expected):
    args = DiagnosticSettingsArgs(setting_name="diag", workspace_id="/w", targets=targets)
    assert expected in refused(lambda: DiagnosticSettings("x", args))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"short_name": "llama-on-azure"}, "'llama-on-azure' has 14 characters; 1 to 12"),
        ({"email_receivers": [], "webhook_receivers": []}, "no receiver"),
        (
            {"email_receivers": [{"name": "a", "email_address": "a@example.com"}],
             "webhook_receivers": [{"name": "a", "service_uri": "https://x"}]},
            "names ['a', 'a'] repeat",
        ),
    ],
)  # fmt: skip
def test_an_action_group_refuses_a_long_short_name_and_no_or_twice_named_receivers(changes, expected):
    args = ActionGroupArgs(**{"action_group_name": "ag", "resource_group_name": "g", "short_name": "llama", **changes})
    assert expected in refused(lambda: ActionGroup("x", args))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"window_minutes": 10}, "window_minutes: 10 is not allowed; 1, 5, 15, 30, 60, 360, 720, 1440"),
        ({"severity": 5}, "severity: 5 is not allowed; 0, 1, 2, 3, 4"),
        ({"aggregation": "Sum"}, "aggregation: 'Sum' is not allowed; Average, Count, Minimum, Maximum, Total"),
        ({"operator": "Above"}, "operator: 'Above' is not allowed"),
    ],
)
def test_metric_alerts_refuse_what_azure_refuses(rule, expected):
    args = MetricAlertsArgs(resource_group_name="g", rules=[{**RULE, **rule}])
    assert expected in refused(lambda: MetricAlerts("x", args))
    assert "repeat" in refused(lambda: MetricAlerts("x", MetricAlertsArgs(resource_group_name="g", rules=[RULE, RULE])))


def test_a_workspace_refuses_a_retention_azure_does_not_take_and_readers_need_the_subscription():
    args = LogAnalyticsWorkspaceArgs(
        workspace_name="log", resource_group_name="g", location="eastus2", retention_days=7
    )
    assert "retention_days: 7 is not allowed; 30 to 730" in refused(lambda: LogAnalyticsWorkspace("x", args))
    secret = KeyVaultSecretArgs(
        secret_name="s", vault_name="kv", resource_group_name="g", value="k", readers=[{"object_id": "o"}]
    )
    assert "subscription_id: required with readers" in refused(lambda: KeyVaultSecret("x", secret))
