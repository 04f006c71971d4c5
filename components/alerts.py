"""Metric alert rules: static thresholds on one resource's platform metrics, telling an action group."""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import monitor

from catalog import monitoring
from components.options import component_options, named_child, type_token

SINGLE_RESOURCE = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
STATIC = "StaticThresholdCriterion"
AGGREGATIONS = tuple(a.value for a in monitor.AggregationTypeEnum)
OPERATORS = tuple(o.value for o in monitor.Operator)


class MetricAlertRuleArgs(TypedDict):
    """One rule: a metric of the scope compared with a threshold over a window."""

    key: str
    """Required. Tells this rule apart among the component's children (`throttling`)."""
    rule_name: pulumi.Input[str]
    """Required. Name of the alert rule, unique within the resource group."""
    scope: pulumi.Input[str]
    """Required. Resource id whose metric is watched."""
    metric_namespace: str
    """Required. The metric's namespace: the resource type (Microsoft.CognitiveServices/accounts)."""
    metric_name: str
    """Required. The metric's name in the REST API (ModelRequests)."""
    aggregation: str
    """Required. Average, Minimum, Maximum, Total or Count over the window."""
    operator: str
    """Required. GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual or Equals."""
    threshold: pulumi.Input[float]
    """Required. The value compared with."""
    window_minutes: int
    """Required. The window: 1, 5, 15, 30, 60, 360, 720 or 1440 minutes."""
    severity: int
    """Required. 0 (critical) to 4 (verbose)."""
    description: str
    """Required. What firing means, shown in the alert and its e-mail."""
    dimensions: NotRequired[Mapping[str, Sequence[pulumi.Input[str]]]]
    """Optional. Dimension name -> the values the rule watches (Include); default every value together."""


class MetricAlertsArgs(TypedDict):
    """Inputs of a `MetricAlerts`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the rules."""
    rules: Sequence[MetricAlertRuleArgs]
    """Required. The rules, at least one."""
    action_group_id: NotRequired[pulumi.Input[str]]
    """Optional. Action group told when a rule fires and resolves; default none (the alert shows in Azure Monitor)."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of the rules; default none."""


def _validate(args: MetricAlertsArgs) -> None:
    if not args["rules"]:
        raise ValueError("MetricAlerts rules: empty; give at least one rule")
    keys = [rule["key"] for rule in args["rules"]]
    if len(set(keys)) < len(keys):
        raise ValueError(f"MetricAlerts rules: keys {keys} repeat; give each rule its own")
    for rule in args["rules"]:
        where = f"MetricAlerts rules[{rule['key']}]"
        for field, value, allowed in (
            ("aggregation", rule["aggregation"], AGGREGATIONS),
            ("operator", rule["operator"], OPERATORS),
            ("window_minutes", rule["window_minutes"], monitoring.WINDOW_MINUTES),
            ("severity", rule["severity"], (0, 1, 2, 3, 4)),
        ):
            if value not in allowed:
                raise ValueError(f"{where}.{field}: {value!r} is not allowed; {', '.join(map(str, allowed))}")


class MetricAlerts(pulumi.ComponentResource):
    """Metric alert rules (Microsoft.Insights/metricAlerts, location global) with static thresholds."""

    resource_ids: pulumi.Output[list[str]]
    """Resource ids of the rules, in the order given."""
    names: pulumi.Output[list[str]]
    """Names of the rules."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the rules."""

    def __init__(self, name: str, args: MetricAlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(args)
        super().__init__(type_token("MetricAlerts"), name, None, component_options(opts))
        rules = [self._rule(name, args, rule) for rule in args["rules"]]
        self.resource_ids = pulumi.Output.all(*[r.id for r in rules])
        self.names = pulumi.Output.all(*[r.name for r in rules])
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceIds": self.resource_ids, "names": self.names, "resourceGroupName": self.resource_group_name}
        )

    def _rule(self, name: str, args: MetricAlertsArgs, rule: MetricAlertRuleArgs) -> Any:
        window = rule["window_minutes"]
        group = args.get("action_group_id")
        return monitor.MetricAlert(
            f"{name}-{rule['key']}",
            rule_name=rule["rule_name"],
            resource_group_name=args["resource_group_name"],
            location=monitoring.ALERT_LOCATION,
            description=rule["description"],
            severity=rule["severity"],
            enabled=True,
            scopes=[rule["scope"]],
            window_size=monitoring.iso_minutes(window),
            evaluation_frequency=monitoring.iso_minutes(monitoring.frequency_for(window)),
            criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                odata_type=SINGLE_RESOURCE,
                all_of=[
                    monitor.MetricCriteriaArgs(
                        criterion_type=STATIC,
                        name=rule["key"],
                        metric_namespace=rule["metric_namespace"],
                        metric_name=rule["metric_name"],
                        time_aggregation=rule["aggregation"],
                        operator=rule["operator"],
                        threshold=rule["threshold"],
                        dimensions=[
                            monitor.MetricDimensionArgs(name=dimension, operator="Include", values=list(values))
                            for dimension, values in (rule.get("dimensions") or {}).items()
                        ],
                    )
                ],
            ),
            auto_mitigate=True,
            actions=[monitor.MetricAlertActionArgs(action_group_id=group)] if group is not None else [],
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
