"""A monthly Azure Consumption budget on a resource group, with e-mail notifications at percentages of it."""

import datetime as dt
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import consumption

from components.options import component_options, named_child, type_token

MAX_NOTIFICATIONS = 5
"""Azure's limit per budget, actual and forecast thresholds together."""
DEFAULT_THRESHOLDS = (50.0, 80.0, 100.0)


class BudgetArgs(TypedDict):
    """Inputs of a `Budget`."""

    budget_name: pulumi.Input[str]
    """Required. Name of the budget, unique within the resource group."""
    subscription_id: pulumi.Input[str]
    """Required. Subscription of the resource group."""
    resource_group_name: pulumi.Input[str]
    """Required. The resource group the budget watches: the cost of everything in it counts."""
    amount: pulumi.Input[float]
    """Required. The monthly amount, in the subscription's billing currency."""
    start_date: pulumi.Input[str]
    """Required. The first day of the month the budget starts (YYYY-MM-01); a later change is ignored, so that a
    `pulumi up` next month does not move it."""
    contact_emails: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Required. The addresses every notification goes to (at least one, at most five)."""
    thresholds: NotRequired[pulumi.Input[Sequence[pulumi.Input[float]]]]
    """Optional. Percentages of the amount at which actual cost notifies; default 50, 80 and 100."""
    forecast_thresholds: NotRequired[pulumi.Input[Sequence[pulumi.Input[float]]]]
    """Optional. Percentages of the amount at which the month's forecast notifies; default none."""


def _plain_floats(value: object) -> list[float] | None:
    if isinstance(value, list | tuple) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    return None


def _validate(args: BudgetArgs) -> None:
    """What Azure refuses, checked where the values are plain (an Output is checked by Azure)."""
    thresholds = _plain_floats(args.get("thresholds", list(DEFAULT_THRESHOLDS)))
    forecast = _plain_floats(args.get("forecast_thresholds", []))
    for name, values in (("thresholds", thresholds), ("forecast_thresholds", forecast)):
        for value in values or []:
            if not 0 < value <= 1000:
                raise ValueError(f"Budget {name}: {value:g} is not allowed; a percentage more than 0, at most 1000")
    if thresholds is not None and forecast is not None and len(thresholds) + len(forecast) > MAX_NOTIFICATIONS:
        raise ValueError(f"Budget thresholds and forecast_thresholds: at most {MAX_NOTIFICATIONS} notifications")
    emails = args["contact_emails"]
    if isinstance(emails, list | tuple) and not 1 <= len(emails) <= MAX_NOTIFICATIONS:
        raise ValueError(f"Budget contact_emails: {len(emails)} addresses; at least 1, at most {MAX_NOTIFICATIONS}")
    start = args["start_date"]
    if isinstance(start, str):
        try:
            day = dt.date.fromisoformat(start)
        except ValueError:
            raise ValueError(f"Budget start_date: {start!r} is not a date like 2026-12-01") from None
        if day.day != 1:
            raise ValueError(f"Budget start_date: {start!r} is not the first day of a month, which Azure requires")


def notification_key(threshold_type: str, threshold: float) -> str:
    """`Actual_GreaterThan_80_Percent`, as Azure's own examples name notifications."""
    return f"{threshold_type}_GreaterThan_{threshold:g}_Percent".replace(".", "_")


class Budget(pulumi.ComponentResource):
    """A monthly cost budget (Microsoft.Consumption) on a resource group: e-mails at percentages of its amount, of
    actual cost or of the month's forecast. It notifies only: Azure stops nothing when it is exceeded."""

    resource_id: pulumi.Output[str]
    """Resource id of the budget."""
    name: pulumi.Output[str]
    """Name of the budget."""
    resource_group_name: pulumi.Output[str]
    """The resource group the budget watches."""
    amount: pulumi.Output[float]
    """The monthly amount."""

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(args)
        super().__init__(type_token("Budget"), name, None, component_options(opts))
        group = args["resource_group_name"]
        scope = pulumi.Output.concat("/subscriptions/", args["subscription_id"], "/resourceGroups/", group)
        emails = args["contact_emails"]
        thresholds = pulumi.Output.from_input(args.get("thresholds", list(DEFAULT_THRESHOLDS)))
        forecast = pulumi.Output.from_input(args.get("forecast_thresholds", []))
        notifications = pulumi.Output.all(thresholds, forecast, emails).apply(
            lambda parts: {
                notification_key(kind, float(t)): consumption.NotificationArgs(
                    enabled=True,
                    operator=consumption.OperatorType.GREATER_THAN,
                    threshold=float(t),
                    threshold_type=consumption.ThresholdType(kind),
                    contact_emails=list(parts[2]),
                )
                for kind, values in (("Actual", parts[0]), ("Forecasted", parts[1]))
                for t in values
            }
        )
        budget = consumption.Budget(
            f"{name}-budget",
            budget_name=args["budget_name"],
            scope=scope,
            amount=args["amount"],
            category=consumption.CategoryType.COST,
            time_grain=consumption.TimeGrainType.MONTHLY,
            time_period=consumption.BudgetTimePeriodArgs(start_date=args["start_date"]),
            notifications=notifications,
            # Azure wants the start in the current month when the budget is created; it never moves afterwards.
            opts=named_child(self, ignore_changes=["timePeriod"]),
        )
        self.resource_id = budget.id
        self.name = budget.name
        self.resource_group_name = pulumi.Output.from_input(group)
        self.amount = budget.amount
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "amount": self.amount,
            }
        )
