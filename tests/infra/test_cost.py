"""The monthly estimate's arithmetic on snapshot prices: each kind's lines, the platforms', unknown never zero."""

from decimal import Decimal

import pytest

from catalog import prices
from infra.config.parse import config_from_engine
from infra.cost import SnapshotPrices, estimate
from tests.support.stacks import LLAMA33, MAVERICK, foundry, managed, serverless, stack_config
from tools.engine import stack_config_values

NC96 = "Standard_NC96ads_A100_v4"


def stack(**keys):
    values, secret = stack_config_values(stack_config(**keys))
    return config_from_engine(values, set(secret), "dev")


def line(found, key):
    (match,) = [item for item in found.lines if item.key == key]
    return match


# 3 x Standard_NC96ads_A100_v4 at 730 hours, in each region the snapshot prices (the shipped stacks' among them).
@pytest.mark.parametrize(
    ("region", "hourly", "monthly"),
    [
        ("eastus", "14.692", "32175.48"),
        ("eastus2", "14.692", "32175.48"),
        ("swedencentral", "19.1", "41829.00"),
        ("westeurope", "19.1", "41829.00"),
    ],
)
def test_three_a100_vms_a_month_in_each_region(region, hourly, monthly):
    found = estimate(
        stack(region=region, deployments=[managed("llama33", instanceCount=3)], **{"azure-native:location": region})
    )
    compute = line(found, "deployment/llama33/compute")
    assert compute.price.price == Decimal(hourly) and compute.quantity == 3 * 730
    assert compute.monthly == Decimal(monthly) and found.fixed == Decimal(monthly)
    assert compute.what == f"3 x {NC96} (Linux VM, pay-as-you-go)" and compute.price.currency == "USD"
    assert found.deployments()["llama33"]["fixed"] == Decimal(monthly)


def test_a_vm_price_the_snapshot_lacks_is_unknown_not_zero():
    found = estimate(
        stack(
            region="swedencentral",
            deployments=[managed("v100", instanceCount=2, vmSku="Standard_ND40rs_v2")],
            **{"azure-native:location": "swedencentral"},
        )
    )
    compute = line(found, "deployment/v100/compute")
    assert compute.price is None and compute.monthly is None
    assert "has no USD price for vm:Standard_ND40rs_v2 in swedencentral" in compute.unknown
    assert compute in found.unknown and found.to_json()["monthly"]["fixedComplete"] is False
    assert found.deployments()["v100"]["fixed"] is None


def test_shared_endpoints_name_each_deployment_by_its_endpoint():
    blue = managed("blue", endpoint="chat", traffic=80)
    green = managed("green", endpoint="chat", traffic=20, instanceCount=2)
    found = estimate(stack(region="eastus2", deployments=[blue, green]))
    assert set(found.deployments()) == {"chat/blue", "chat/green"}
    assert line(found, "deployment/chat/green/compute").monthly == Decimal("21450.32")  # 2 x 14.692 x 730


def test_expected_tokens_turn_unit_prices_into_a_month():
    tokens = {"inputPerMonth": 2_000_000_000, "outputPerMonth": 500_000_000}
    found = estimate(stack(deployments=[foundry("maverick", expectedTokens=tokens), serverless("chat")]))
    inputs, outputs = line(found, "deployment/maverick/input-tokens"), line(found, "deployment/maverick/output-tokens")
    assert inputs.quantity == 2000 and inputs.price.price == Decimal("0.25") and inputs.monthly == Decimal("500.00")
    assert outputs.quantity == 500 and outputs.monthly == Decimal("500.00")
    assert found.usage == Decimal("1000.00") and found.fixed == 0
    assert found.deployments()["maverick"] == {"fixed": Decimal(0), "usage": Decimal("1000.00")}
    chat = line(found, "deployment/chat/input-tokens")
    assert chat.monthly is None and chat.price.price == Decimal("0.71") and chat in found.undeclared
    assert found.deployments()["chat"]["usage"] is None, "usage not declared is not zero"


def test_maverick_s_conflicting_copies_are_recorded_and_not_used():
    found = estimate(stack(deployments=[foundry("maverick")])).to_json()
    (inputs,) = [item for item in found["lines"] if item["key"] == "deployment/maverick/input-tokens"]
    assert inputs["unitPrice"] == 0.25
    assert sorted(c["unitPrice"] for c in inputs["conflicts"]) == [0.303, 1.41]
    assert all(c["why"] and c["asOf"] for c in inputs["conflicts"])


def test_provisioned_capacity_is_billed_per_ptu_hour():
    found = estimate(stack(deployments=[foundry("llama", LLAMA33, sku="GlobalProvisionedManaged", capacity=100)]))
    ptu = line(found, "deployment/llama/provisioned")
    assert ptu.quantity == 100 * 730 and ptu.price.price == 1 and ptu.monthly == Decimal("73000.00")
    assert ptu.billing.value == "fixed" and ptu.unit == "PTU-hour"
    assert not [item for item in found.lines if item.key.startswith("deployment/llama/") and "tokens" in item.key]


def test_the_platforms_lines():
    found = estimate(stack(hub={"containerRegistry": True, "logRetentionDays": 90}))
    registry = line(found, "resource/hub/registry")
    assert registry.quantity == prices.DAYS_PER_MONTH and registry.monthly == Decimal("50.69")  # 1.6666 x 730/24
    assert line(found, "resource/hub/workspaces").monthly == 0, "a known zero: Azure ML charges nothing itself"
    assert line(found, "resource/hub/log-retention").what == "Log Analytics: retention to 90 days"
    assert line(found, "resource/foundry/account").price is None, "no fixed fee is known: unknown"
    assert found.fixed == Decimal("50.69")
    foundry_only = [item.key for item in estimate(stack(deployments=[foundry("mav", MAVERICK)])).lines]
    assert foundry_only[:2] == ["resource/monitoring/logs", "resource/foundry/account"], "no hub lines"
    assert line(estimate(stack(deployments=[foundry("mav", MAVERICK)])), "resource/monitoring/logs").quantity is None
    unmonitored = stack(deployments=[foundry("mav", MAVERICK)], monitoring={"diagnostics": False})
    assert "resource/monitoring/logs" not in [item.key for item in estimate(unmonitored).lines], "no workspace: no line"


def test_the_budget_s_currency_prices_the_estimate():
    budget = {"amount": 1000, "currency": "EUR", "contactEmails": ["team@example.com"]}
    found = estimate(stack(budget=budget))
    assert found.currency == "EUR" and found.budget == 1000 and "no EUR prices" in found.notice
    assert all(item.price is None for item in found.lines)
    assert estimate(stack(budget=budget), SnapshotPrices("USD")).budget is None


def test_the_export_is_what_the_policy_reads():
    found = estimate(stack(region="eastus2", deployments=[managed("llama33", instanceCount=3), serverless("chat")]))
    assert found.export() == {
        "currency": "USD",
        "asOf": "2026-12-03",
        "monthly": {"fixed": 32175.48, "usage": 0.0, "unknownFixed": []},
        "deployments": {"llama33": {"fixed": 32175.48, "usage": 0.0}, "chat": {"fixed": 0.0, "usage": None}},
    }


def test_a_private_stack_pays_its_private_endpoints_by_the_hour_and_its_zones_and_firewall_are_unknown():
    found = estimate(
        stack(
            deployments=[serverless("chat"), foundry("maverick")],
            hub={"containerRegistry": True, "isolationMode": "AllowOnlyApprovedOutbound"},
            network={"private": True, "outboundFqdns": ["pypi.org"]},
        )
    )
    endpoints = line(found, "resource/network/private-endpoints")
    # hub, storage blob and file, vault, registry, Foundry account: six endpoints, 730 hours each.
    assert endpoints.quantity == 6 * 730 and endpoints.monthly == Decimal("43.80")
    zones, firewall = line(found, "resource/network/dns-zones"), line(found, "resource/network/firewall")
    assert zones.quantity == 9 and zones.monthly is None and firewall.monthly is None
    assert {zones.key, firewall.key} <= {item.key for item in found.unknown}
    public = estimate(stack(deployments=[serverless("chat")]))
    assert not [item for item in public.lines if item.key.startswith("resource/network/")]


def test_in_the_landing_zone_the_zones_are_not_the_stacks_to_pay():
    sub = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network"
    names = (
        "api.azureml.ms",
        "notebooks.azure.net",
        "blob.core.windows.net",
        "file.core.windows.net",
        "vaultcore.azure.net",
    )
    zones = {f"privatelink.{n}": f"{sub}/privateDnsZones/privatelink.{n}" for n in names}
    network = {"private": True, "subnetId": f"{sub}/virtualNetworks/vnet/subnets/s", "dnsZones": zones}
    found = estimate(stack(deployments=[serverless("chat")], network=network))
    assert line(found, "resource/network/private-endpoints").quantity == 4 * 730
    assert "resource/network/dns-zones" not in {item.key for item in found.lines}
