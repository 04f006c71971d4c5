"""The stack's Consumption budget: what the program registers, checked against Microsoft's REST model of it."""

import pytest
from azure.mgmt.consumption import models as consumption

from components.budget import DEFAULT_THRESHOLDS, BudgetArgs, _validate
from tests.support.rest_oracle import check_resource, consumption_api_version
from tests.support.stacks import run, shipped_config, stack_config

BUDGET = "azure-native:consumption:Budget"


def prod(today: str | None = None):
    result = run("prod", shipped_config("prod"), **({"today": today} if today else {}))
    assert result.error is None, result.error
    return result


def test_prod_budgets_its_resource_group_monthly_with_its_notifications():
    result = prod()
    budget = result.one(BUDGET)
    inputs = budget.inputs
    group = result.one("azure-native:resources:ResourceGroup")
    assert inputs["scope"] == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-llama-prod"
    assert group.urn in budget.dependencies, "created after its resource group"
    assert inputs["budgetName"] == "budget-llama-prod" and result.exports["budgetName"] == "budget-llama-prod"
    amount = shipped_config("prod")["llama-on-azure:budget"]["amount"]
    assert inputs["amount"] == amount and inputs["category"] == "Cost" and inputs["timeGrain"] == "Monthly"
    assert set(inputs["notifications"]) == {
        "Actual_GreaterThan_50_Percent",
        "Actual_GreaterThan_80_Percent",
        "Actual_GreaterThan_100_Percent",
        "Forecasted_GreaterThan_100_Percent",
    }
    forecast = inputs["notifications"]["Forecasted_GreaterThan_100_Percent"]
    assert forecast == {
        "enabled": True,
        "operator": "GreaterThan",
        "threshold": 100,
        "thresholdType": "Forecasted",
        "contactEmails": ["platform-team@example.com"],
    }
    component = next(r for r in result.registrations if r.urn == budget.parent)
    assert component.type == "llama-on-azure:index:Budget" and component.name == "budget"


def test_the_start_is_the_first_of_the_current_month_and_never_moves():
    assert prod().one(BUDGET).inputs["timePeriod"] == {"startDate": "2026-12-01"}  # LLAMA_ON_AZURE_TODAY 2026-12-03
    assert prod(today="2027-01-15").one(BUDGET).inputs["timePeriod"] == {"startDate": "2027-01-01"}
    assert prod().one(BUDGET).ignore_changes == ["timePeriod"], "a pulumi up next month keeps the start"


def test_the_budget_matches_microsofts_rest_model():
    assert consumption_api_version() == "2024-08-01"
    inputs = prod().one(BUDGET).inputs
    assert check_resource(BUDGET, inputs) == []
    # The SDK's own model takes the same body (properties nested as the REST API has them).
    notifications = {
        key: consumption.Notification(
            enabled=n["enabled"],
            operator=n["operator"],
            threshold=n["threshold"],
            contact_emails=n["contactEmails"],
            threshold_type=n["thresholdType"],
        )
        for key, n in inputs["notifications"].items()
    }
    body = consumption.Budget(
        category=inputs["category"],
        amount=inputs["amount"],
        time_grain=inputs["timeGrain"],
        time_period=consumption.BudgetTimePeriod(start_date=inputs["timePeriod"]["startDate"]),
        notifications=notifications,
    ).as_dict()
    assert body["properties"]["timeGrain"] == "Monthly" and len(body["properties"]["notifications"]) == 4
    assert {n["thresholdType"] for n in body["properties"]["notifications"].values()} <= {
        t.value for t in consumption.ThresholdType
    }
    assert {n["operator"] for n in body["properties"]["notifications"].values()} <= {
        o.value for o in consumption.OperatorType
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"timeGrain": "Weekly"}, "'Weekly' is not a value of TimeGrainType"),
        ({"currentSpend": {"amount": 1}}, "read-only"),
        ({"notifications": {"x": {"thresholdType": "Guessed"}}}, "'Guessed' is not a value of ThresholdType"),
    ],
)
def test_the_oracle_refuses_what_azure_would(change, expected):
    problems = check_resource(BUDGET, {**prod().one(BUDGET).inputs, **change})
    assert any(expected in p for p in problems), problems


def test_a_stack_without_a_budget_has_none():
    result = run("dev", stack_config())
    assert not result.by_type(BUDGET) and "budgetName" not in result.exports
    assert result.exports["costEstimate"]["currency"] == "USD"


ARGS = BudgetArgs(
    budget_name="b",
    subscription_id="s",
    resource_group_name="g",
    amount=10.0,
    start_date="2026-12-01",
    contact_emails=["team@example.com"],
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"start_date": "2026-12-03"}, "start_date: '2026-12-03' is not the first day of a month"),
        ({"start_date": "soon"}, "start_date: 'soon' is not a date"),
        ({"thresholds": [0.0]}, "thresholds: 0 is not allowed; a percentage more than 0, at most 1000"),
        ({"thresholds": [10.0, 20.0, 30.0], "forecast_thresholds": [40.0, 50.0, 60.0]}, "at most 5 notifications"),
        ({"contact_emails": []}, "contact_emails: 0 addresses; at least 1, at most 5"),
    ],
)
def test_the_component_refuses_what_azure_would(change, expected):
    with pytest.raises(ValueError, match=expected):
        _validate({**ARGS, **change})  # type: ignore[typeddict-item]
    _validate(ARGS)
    assert DEFAULT_THRESHOLDS == (50.0, 80.0, 100.0)
