"""`llama-on-azure cost`: the snapshot offline, the Retail Prices API live (a local stand-in, hostile answers
included), the snapshot's refresh, and cost_delta, the change between two plans' cost objects."""

import json

import pytest
import yaml

from catalog import prices
from clients.retail_prices import ENDPOINT_VARIABLE
from infra.config.parse import config_from_engine
from tests.support.prices_server import HOSTILE, HOSTILE_MESSAGES, PricesServer
from tests.support.stacks import SCENARIOS, TODAY, managed, scenario, serverless, stack_config
from tools import cli
from tools.cost import cost_delta, delta_lines, monthly_change, plan_cost
from tools.engine import stack_config_values


def cost(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["cost", *args])
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys, *args: str) -> dict:
    code, out, err = cost(capsys, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)["cost"]


@pytest.fixture
def project(project):
    """The repository's stacks, with "prod" the managed-compute scenario: three A100 VMs, a fixed cost to check."""
    (project / "Pulumi.prod.yaml").write_text((SCENARIOS / "managed.yaml").read_text())
    return project


@pytest.fixture
def api(monkeypatch):
    with PricesServer() as server:
        monkeypatch.setenv(ENDPOINT_VARIABLE, server.endpoint)
        yield server


def test_offline_the_prod_stack_costs_its_three_a100_vms(project, capsys):
    code, out, err = cost(capsys, "--stack", "prod")
    assert code == 0, err
    assert "Monthly estimate of stack 'prod'" in out
    assert "3 x Standard_NC96ads_A100_v4 (Linux VM, pay-as-you-go)" in out and "2,190 hours" in out
    assert "$19.10 per hour" in out and "$41,829.00" in out
    assert "Budget: $50,000.00/month; the fixed estimate is 83.7% of it." in out
    assert "$0.71 per 1M input tokens" in out and "not declared" in out
    assert "as of 2026-12-03 from the price snapshot" in out
    assert "Price unknown (not counted, never taken as zero): hub: storage account (Standard_ZRS)" in out
    assert "taxes, discounts, reservations and savings plans" in out


def test_offline_json_is_the_cost_object_with_sources_and_dates(project, capsys):
    found = as_json(capsys, "--stack", "prod")
    assert found["currency"] == "USD" and found["asOf"] == "2026-12-03" and found["live"] is False
    assert found["monthly"]["fixed"] == 41829.0 and found["budget"] == {"amount": 50000.0, "currency": "USD"}
    (vms,) = [line for line in found["lines"] if line["key"] == "deployment/llama33/compute"]
    assert vms["quantity"] == 2190 and vms["unitPrice"] == 19.1 and vms["monthly"] == 41829.0
    assert vms["source"].startswith("https://github.com/andy-diericks/azure-pricing-radar")
    assert vms["asOf"] == "2026-08-22" and vms["unit"] == "hour" and vms["billing"] == "fixed"
    unknown = [line for line in found["lines"] if line["unitPrice"] is None]
    assert unknown and all(line["monthly"] is None and "no USD price" in line["note"] for line in unknown)


def test_a_currency_the_snapshot_lacks_is_unknown_never_zero(project, capsys):
    found = as_json(capsys, "--stack", "prod", "--currency", "EUR")
    assert found["currency"] == "EUR" and "budget" not in found, "a USD budget is no EUR figure"
    assert all(line["unitPrice"] is None for line in found["lines"])
    assert "llama33: 3 x Standard_NC96ads_A100_v4 (Linux VM, pay-as-you-go)" in found["monthly"]["unknown"]
    assert found["monthly"]["fixedComplete"] is False
    _, out, _ = cost(capsys, "--stack", "prod", "--currency", "EUR")
    assert "Fixed: at least €0.00/month" in out and "the snapshot has no EUR prices" in out


def test_live_asks_the_api_for_each_item_and_keeps_linux_pay_as_you_go(project, capsys, api):
    found = as_json(capsys, "--stack", "prod", "--live")
    assert found["live"] is True and found["asOf"] == TODAY
    (vms,) = [line for line in found["lines"] if line["key"] == "deployment/llama33/compute"]
    assert vms["unitPrice"] == 19.5 and vms["monthly"] == 42705.0, "Windows, Spot, Low Priority, Dev/Test dropped"
    assert vms["source"] == "https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices"
    assert "NCads A100 v4 Series Linux" in vms["note"]
    by_key = {line["key"]: line for line in found["lines"]}
    assert by_key["resource/hub/storage"]["unitPrice"] == 0.0261, "the first paid tier"
    assert by_key["resource/hub/logs"]["unitPrice"] == 2.99 and by_key["resource/hub/key-vault"]["unitPrice"] == 0.03
    # Marketplace offers and services that charge nothing have no meter: the snapshot's dated price, said so.
    serverless_line = by_key["deployment/chat/input-tokens"]
    assert serverless_line["unitPrice"] == 0.71 and serverless_line["asOf"] == "2026-10-02"
    assert serverless_line["note"].startswith("usage not declared (expectedTokens); not in the Retail Prices API")
    assert by_key["resource/hub/workspaces"]["monthly"] == 0.0
    assert api.queries >= 6, "pages followed: two items a page"


def test_live_in_another_currency(project, capsys, api):
    found = as_json(capsys, "--stack", "prod", "--live", "--currency", "EUR")
    (vms,) = [line for line in found["lines"] if line["key"] == "deployment/llama33/compute"]
    assert found["currency"] == "EUR" and vms["unitPrice"] == pytest.approx(17.55) and vms["monthly"] == 38434.5


def test_live_token_meters_are_matched_and_converted_to_a_million(project, capsys, api):
    found = as_json(capsys, "--stack", "dev", "--live")
    by_key = {line["key"]: line for line in found["lines"]}
    assert by_key["deployment/maverick/input-tokens"]["unitPrice"] == 0.26, "1K -> 1M; Data Zone and cached dropped"
    assert by_key["deployment/maverick/output-tokens"]["unitPrice"] == 1.02


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_answer_is_one_clear_line(project, capsys, api, monkeypatch, name):
    monkeypatch.setattr(cli, "COST_SECONDS", 0.3)
    api.hostile(name)
    code, out, err = cost(capsys, "--stack", "prod", "--live")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: Retail Prices API ("), err
    assert HOSTILE_MESSAGES[name] in err and "Traceback" not in err


def test_the_endpoint_may_be_plain_http_only_on_this_machine(project, capsys, monkeypatch):
    monkeypatch.setenv(ENDPOINT_VARIABLE, "http://prices.example.net/api/retail/prices")
    code, _, err = cost(capsys, "--stack", "prod", "--live")
    assert code == 1 and "plain http" in err and err.count("\n") == 1


def test_bad_flags_are_one_line(project, capsys):
    code, _, err = cost(capsys, "--stack", "prod", "--currency", "XYZ")
    assert code == 1 and "--currency 'XYZ' is not a currency of Azure's price list; one of USD, AUD" in err
    code, _, err = cost(capsys, "--stack", "prod", "--output", "x.json")
    assert code == 1 and "--output is for --refresh-snapshot" in err


def test_the_refresh_rewrites_the_snapshot_from_the_api_dated_today(capsys, api, tmp_path):
    target = tmp_path / "prices.json"
    code, out, err = cost(capsys, "--refresh-snapshot", "--output", str(target))
    assert code == 0, err
    fresh = prices.snapshot(target)
    assert fresh.as_of.isoformat() == TODAY and f"prices as of {TODAY}" in out
    nc96 = fresh.price("vm:Standard_NC96ads_A100_v4", "swedencentral", "USD")
    assert nc96.price == prices.Decimal("19.5") and nc96.source == "retail-prices-api" and nc96.dated == fresh.as_of
    # What the API does not list stays as it was, dated and sourced as before, and the refresh says so.
    old = fresh.price("vm:Standard_NC24ads_A100_v4", "westeurope", "USD")
    assert old.source == "prices-vm-eu" and old.dated.isoformat() == "2026-08-22"
    assert "note: kept vm:Standard_NC24ads_A100_v4 in westeurope" in err
    serverless_price = fresh.price("tokens:Llama-3.3-70B-Instruct:serverless:input", "eastus", "USD")
    assert serverless_price.source == "prices-maas", "no API meter: kept"
    global_price = fresh.price("tokens:Llama-3.3-70B-Instruct:GlobalStandard:input", "global", "USD")
    assert global_price.source == "retail-prices-api" and global_price.note.startswith("read in eastus")
    assert prices.snapshot_from_json(json.loads(target.read_text())).render() == target.read_text()


def test_the_shipped_snapshot_is_rendered_as_the_refresh_writes_it():
    assert prices.snapshot().render() == prices.SNAPSHOT_FILE.read_text()


# cost_delta: what a comparison of two plans (llama-on-azure diff) prints as the monthly change.
def _cost(config: dict) -> dict:
    values, secret = stack_config_values(config)
    return plan_cost(config_from_engine(values, set(secret), "prod"))


PROD = scenario("managed")


def _prod(**changes) -> dict:
    config = yaml.safe_load(yaml.safe_dump(PROD))
    config["llama-on-azure:deployments"] = changes.get("deployments", config["llama-on-azure:deployments"])
    return config


def test_one_more_instance_is_the_change_with_the_line_behind_it():
    four = _prod(deployments=[serverless("chat"), managed("llama33", modelVersion=4, instanceCount=4)])
    delta = cost_delta(_cost(PROD), _cost(four))
    assert delta["comparable"] and delta["change"] == "+$13,943.00/month"
    assert delta["monthly"]["fixed"] == {"old": 41829.0, "new": 55772.0, "change": 13943.0}
    (line,) = delta["lines"]
    assert line["deployment"] == "llama33" and line["status"] == "changed" and line["change"] == 13943.0
    assert line["was"] == "3 x Standard_NC96ads_A100_v4 (Linux VM, pay-as-you-go)"
    assert delta_lines(delta)[0] == "Cost: +$13,943.00/month"
    assert "changed llama33: 4 x Standard_NC96ads_A100_v4" in delta_lines(delta)[1]


def test_added_and_removed_deployments_and_nothing_before():
    without = _prod(deployments=[serverless("chat")])
    delta = cost_delta(_cost(PROD), _cost(without))
    assert delta["change"] == "-$41,829.00/month"
    assert [(e["status"], e["key"]) for e in delta["lines"]] == [("removed", "deployment/llama33/compute")]
    first = cost_delta(None, _cost(PROD))
    assert first["change"] == "+$41,829.00/month" and {e["status"] for e in first["lines"]} == {"added"}
    assert cost_delta(_cost(PROD), _cost(PROD))["lines"] == []
    assert cost_delta(_cost(PROD), _cost(PROD))["change"] == "+$0.00/month"


def test_plans_in_two_currencies_do_not_compare():
    euros = {**_cost(PROD), "currency": "EUR"}
    delta = cost_delta(_cost(PROD), euros)
    assert delta["comparable"] is False and delta["change"] is None and "USD and EUR" in delta["reason"]
    assert monthly_change(-7.3, "SEK") == "-7.30 SEK/month"


def test_declared_usage_counts_in_the_change():
    tokens = {"inputPerMonth": 2_000_000_000, "outputPerMonth": 1_000_000_000}
    declared = stack_config(deployments=[serverless("chat", expectedTokens=tokens)])
    values, secret = stack_config_values(declared)
    after = plan_cost(config_from_engine(values, set(secret), "dev"))
    values, secret = stack_config_values(stack_config(deployments=[serverless("chat")]))
    delta = cost_delta(plan_cost(config_from_engine(values, set(secret), "dev")), after)
    assert delta["monthly"]["usage"]["change"] == 2130.0 and delta["change"] == "+$2,130.00/month"


def test_a_price_one_plan_lacks_is_no_change_and_the_delta_says_it_is_incomplete():
    moved = _prod(deployments=[serverless("chat"), managed("llama33", modelVersion=4, vmSku="Standard_ND40rs_v2")])
    delta = cost_delta(_cost(PROD), _cost(moved))
    (line,) = [e for e in delta["lines"] if e["key"] == "deployment/llama33/compute"]
    assert line["change"] is None and line["new"] is None, "unknown is never zero"
    assert delta["complete"] is False and delta_lines(delta)[0].endswith("(of what both plans price; see below)")
    assert "price unknown" in delta_lines(delta)[1]
