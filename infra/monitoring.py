"""Monitoring of a stack: diagnostic settings on what has them, the action group, each kind's alerts per deployment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from catalog import monitoring
from components.action_group import ActionGroup, ActionGroupArgs, EmailReceiverArgs, WebhookReceiverArgs
from components.alerts import MetricAlertRuleArgs, MetricAlerts, MetricAlertsArgs
from components.diagnostics import DiagnosticSettings, DiagnosticSettingsArgs, DiagnosticTargetArgs
from infra import naming
from infra.kinds.base import Export, Kind
from infra.platforms import Platforms


@dataclass(frozen=True)
class Built:
    """One endpoint a kind built: its kind, its name, what it exports and the deployments behind it."""

    kind: Kind[Any]
    name: str
    export: Export
    deployments: list[Any]


def logs_for(
    resource: str, kind: monitoring.DiagnosticType, chosen: dict[str, list[str]]
) -> tuple[list[str], list[str]]:
    """(category groups, categories) a setting of this type sends: the stack's choice (validated) or the default."""
    if not kind.categories:
        return [], []
    names = chosen.get(resource, list(kind.default_logs))
    groups = [n for n in names if n in monitoring.CATEGORY_GROUPS]
    return groups, [n for n in names if n not in groups]


def _targets(resource: str, resource_id: pulumi.Input[str], chosen: dict[str, list[str]], metrics: bool) -> list[Any]:
    found = []
    for kind in monitoring.RESOURCES[resource]:
        groups, categories = logs_for(resource, kind, chosen)
        metric_categories = list(kind.metrics) if metrics else []
        if not (groups or categories or metric_categories):
            continue  # nothing to send from this one (the storage account with metrics off)
        target = DiagnosticTargetArgs(
            resource_id=pulumi.Output.concat(resource_id, kind.path) if kind.path else resource_id,
            dedicated=kind.dedicated,
        )
        if kind.path:
            target["suffix"] = kind.path.split("/")[1].removesuffix("Services")
        if groups:
            target["log_category_groups"] = groups
        if categories:
            target["log_categories"] = categories
        if metric_categories:
            target["metric_categories"] = metric_categories
        found.append(target)
    return found


def diagnostics(platforms: Platforms, built: Sequence[Built]) -> list[DiagnosticSettings]:
    """A diagnostic setting on every platform resource and endpoint resource that takes one (catalog.monitoring)."""
    stack = platforms.stack
    config = stack.config.monitoring
    if not config.diagnostics:
        return []
    wanted = list(platforms.diagnostic_targets())
    for b in built:
        wanted += [(resource, b.name, resource_id) for resource, resource_id in b.kind.diagnostic_targets(b.export)]
    if not wanted:
        return []  # nothing of the stack takes a setting (a kind that builds no resource): no workspace for nothing
    workspace = platforms.workspace_id()
    setting = naming.diagnostic_setting(stack.config.prefix, stack.environment)
    settings = []
    for resource, label, resource_id in wanted:
        targets = _targets(resource, resource_id, config.logs, config.metrics)
        if targets:
            settings.append(
                DiagnosticSettings(
                    f"{label}-diagnostics",
                    DiagnosticSettingsArgs(setting_name=setting, workspace_id=workspace, targets=targets),
                )
            )
    return settings


def _action_group(platforms: Platforms) -> ActionGroup | None:
    stack = platforms.stack
    alerts = stack.config.monitoring.alerts
    if not alerts.receivers:
        return None
    prefix, environment = stack.config.prefix, stack.environment
    return ActionGroup(
        "alerts-action-group",
        ActionGroupArgs(
            action_group_name=naming.action_group(prefix, environment),
            resource_group_name=platforms.group_name,
            short_name=naming.action_group_short(prefix, environment),
            email_receivers=[
                EmailReceiverArgs(name=f"email-{i}", email_address=address) for i, address in enumerate(alerts.emails)
            ],
            webhook_receivers=[
                WebhookReceiverArgs(name=name, service_uri=pulumi.Output.secret(url))
                for name, url in alerts.webhooks.items()
            ],
            tags=platforms.tags,
        ),
    )


def alerts(platforms: Platforms, built: Sequence[Built]) -> tuple[ActionGroup | None, list[MetricAlerts]]:
    """The stack's action group (when it names receivers) and, per endpoint, the alerts its kind defines."""
    stack = platforms.stack
    config = stack.config.monitoring.alerts
    if not config.enabled:
        return None, []
    group = _action_group(platforms)
    settings = config.settings()
    made = []
    for b in built:
        rules = [r for r in b.kind.alert_rules(stack, b.export, b.deployments) if settings[r.alert].enabled]
        if not rules:
            continue
        made.append(
            MetricAlerts(
                f"{b.name}-alerts",
                MetricAlertsArgs(
                    resource_group_name=platforms.group_name,
                    rules=[_rule(stack, b.name, rule, settings[rule.alert]) for rule in rules],
                    tags=platforms.tags,
                    **({"action_group_id": group.resource_id} if group is not None else {}),  # type: ignore[typeddict-item]
                ),
            )
        )
    return group, made


def _rule(stack: Any, endpoint: str, rule: Any, setting: Any) -> MetricAlertRuleArgs:
    # Unique among the endpoint's rules: a deployment of a shared online endpoint adds its own name.
    key = rule.alert if rule.subject == endpoint else f"{rule.subject.rsplit('/', 1)[-1]}-{rule.alert}"
    return MetricAlertRuleArgs(
        key=key,
        rule_name=naming.metric_alert(stack.config.prefix, stack.environment, rule.subject, rule.alert),
        scope=rule.scope,
        metric_namespace=rule.metric.namespace,
        metric_name=rule.metric.name,
        aggregation=rule.metric.aggregation,
        operator=rule.operator,
        threshold=float(rule.threshold),
        window_minutes=setting.window_minutes,
        severity=setting.severity,
        description=rule.description,
        dimensions={name: list(values) for name, values in rule.dimensions.items()},
    )
