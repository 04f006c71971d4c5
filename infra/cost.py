"""The monthly estimate of a stack: each kind's lines and its platforms' lines, priced from one price book."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from catalog import prices
from infra.config.stack import ResolvedStack
from infra.kinds import Platform
from infra.kinds.base import Billing, CostLine, PriceBook, cost_line

COST_SHAPE_VERSION = 1
"""The version of the `cost` object's shape (plan JSON, `llama-on-azure cost --format json`): tools comparing two
plans read it; a change that removes or renames a field bumps it."""


@dataclass(frozen=True)
class SnapshotPrices:
    """Prices from the dated snapshot (catalog/prices.json), in one currency: what the offline plan uses."""

    currency: str = prices.DEFAULT_CURRENCY
    snapshot: prices.Snapshot | None = None

    @property
    def book(self) -> prices.Snapshot:
        return self.snapshot or prices.snapshot()

    @property
    def as_of(self) -> dt.date:
        return self.book.as_of

    live: bool = False

    @property
    def notice(self) -> str:
        if self.currency not in self.book.currencies():
            return (
                f"the snapshot has no {self.currency} prices: refresh it with --currency {self.currency}, or use --live"
            )
        return ""

    def price(self, item: str, region: str) -> prices.Price | None:
        return self.book.price(item, region, self.currency)

    def unknown(self, item: str, region: str) -> str:
        if self.currency not in self.book.currencies():
            return f"the snapshot has no {self.currency} prices (refresh it with --currency {self.currency})"
        return f"the snapshot of {self.as_of} has no {self.currency} price for {item} in {region}"


def platform_lines(stack: ResolvedStack, book: PriceBook) -> list[CostLine]:
    """What the platforms the stack builds cost: the hub's own resources, the Foundry resource."""
    region, lines = stack.region, []
    if stack.needs(Platform.HUB):
        hub = stack.config.hub
        fixed = {"subject": "hub", "deployment": False, "billing": Billing.FIXED}
        usage = {"subject": "hub", "deployment": False, "billing": Billing.USAGE, "quantity": None}
        lines.append(
            cost_line(
                book,
                prices.HUB_WORKSPACE,
                region,
                quantity=1,
                key="resource/hub/workspaces",
                what="AI hub and project (Azure Machine Learning workspaces)",
                unit="month",
                **fixed,
            )
        )
        if hub.container_registry:
            lines.append(
                cost_line(
                    book,
                    prices.registry("Premium"),
                    region,
                    quantity=prices.DAYS_PER_MONTH,
                    key="resource/hub/registry",
                    what="container registry (Premium)",
                    unit="day",
                    **fixed,
                )
            )
        storage = (prices.storage(hub.storage_sku), "storage", f"storage account ({hub.storage_sku}): data stored")
        vault = (prices.KEY_VAULT_OPERATIONS, "key-vault", "key vault (Standard): operations")
        logs = (prices.LOG_INGESTION, "logs", "Log Analytics: data ingested")
        units = {"storage": "GB-month", "key-vault": "10K operations", "logs": "GB"}
        usages = [storage, vault, logs]
        if hub.log_retention_days > prices.LOG_DAYS_INCLUDED:
            days = hub.log_retention_days
            usages.append((prices.LOG_RETENTION, "log-retention", f"Log Analytics: retention to {days} days"))
            units["log-retention"] = "GB-month"
        for item, key, what in usages:
            line = cost_line(book, item, region, key=f"resource/hub/{key}", what=what, unit=units[key], **usage)
            lines.append(line)
    monitoring = stack.config.monitoring
    own_workspace = stack.needs(Platform.FOUNDRY) and not stack.needs(Platform.HUB)
    if monitoring.diagnostics and monitoring.workspace_id is None and own_workspace:
        # A Foundry resource without a hub gets a workspace of its own for its diagnostic settings: billed per GB
        # ingested. With a hub, the hub's workspace takes them (its line above).
        lines.append(
            cost_line(
                book,
                prices.LOG_INGESTION,
                region,
                quantity=None,
                key="resource/monitoring/logs",
                subject="monitoring",
                deployment=False,
                what="Log Analytics (diagnostic settings): data ingested",
                billing=Billing.USAGE,
                unit="GB",
            )
        )
    if stack.needs(Platform.FOUNDRY):
        lines.append(
            cost_line(
                book,
                prices.FOUNDRY_ACCOUNT,
                region,
                quantity=1,
                key="resource/foundry/account",
                subject="foundry",
                deployment=False,
                what="Foundry resource (AIServices S0): fixed fee",
                billing=Billing.FIXED,
                unit="month",
                note="no fixed meter is known: it may be billed by usage only",
            )
        )
    return lines + network_lines(stack, book)


def network_lines(stack: ResolvedStack, book: PriceBook) -> list[CostLine]:
    """A private stack's: its private endpoints by the hour, its zones, and the firewall FQDN rules make Azure run."""
    if not stack.private:
        return []
    region, common = stack.endpoint_region, {"subject": "network", "deployment": False, "billing": Billing.FIXED}
    count = len(stack.private_links())
    lines = [
        cost_line(
            book,
            prices.PRIVATE_ENDPOINT,
            region,
            quantity=count * prices.HOURS_PER_MONTH,
            key="resource/network/private-endpoints",
            what=f"{count} private endpoints (the managed network's own are billed too, and not counted)",
            unit="hour",
            **common,
        )
    ]
    if stack.config.network.subnet_id is None:
        zones = len(stack.dns_zones())
        lines.append(
            cost_line(
                book,
                prices.PRIVATE_DNS_ZONE,
                "global",
                quantity=zones,
                key="resource/network/dns-zones",
                what=f"{zones} private DNS zones",
                unit="zone-month",
                **common,
            )
        )
    if stack.config.network.outbound_fqdns:
        lines.append(
            cost_line(
                book,
                prices.MANAGED_FIREWALL,
                region,
                quantity=prices.HOURS_PER_MONTH,
                key="resource/network/firewall",
                what="Azure Firewall Azure runs for the hub's FQDN rules",
                unit="hour",
                **common,
            )
        )
    return lines


@dataclass(frozen=True)
class Estimate:
    """A stack's monthly estimate: its lines, what they add up to, and what is unknown or not declared."""

    currency: str
    as_of: dt.date
    """The day the prices were read: the snapshot's date, or today for `--live`."""
    live: bool
    lines: tuple[CostLine, ...]
    region: str
    budget: float | None = None
    notice: str = ""
    """What the price book says of itself (a currency it has no prices in)."""

    def _sum(self, billing: Billing) -> Decimal:
        return sum((m for line in self.lines if line.billing is billing and (m := line.monthly) is not None), Decimal())

    @property
    def fixed(self) -> Decimal:
        """What the stack costs a month whatever it is used for, of the lines whose price is known."""
        return self._sum(Billing.FIXED)

    @property
    def usage(self) -> Decimal:
        """What the declared usage (expectedTokens) costs a month, at known prices."""
        return self._sum(Billing.USAGE)

    @property
    def unknown(self) -> list[CostLine]:
        return [line for line in self.lines if line.price is None]

    @property
    def undeclared(self) -> list[CostLine]:
        return [line for line in self.lines if line.price is not None and line.quantity is None]

    def deployments(self) -> dict[str, dict[str, Any]]:
        """Each deployment's fixed and usage figures a month (None where a price or its usage is not known)."""
        found: dict[str, dict[str, Any]] = {}
        for line in self.lines:
            if not line.deployment:
                continue
            entry = found.setdefault(line.subject, {"fixed": Decimal(), "usage": Decimal()})
            field, monthly = line.billing.value, line.monthly
            # Unknown (a price, or usage the stack does not declare) makes the deployment's figure unknown.
            entry[field] = None if monthly is None or entry[field] is None else entry[field] + monthly
        return found

    def to_json(self) -> dict[str, Any]:
        """The `cost` object of the plan JSON and of `llama-on-azure cost --format json` (README, "Cost")."""
        body: dict[str, Any] = {
            "version": COST_SHAPE_VERSION,
            "currency": self.currency,
            "asOf": self.as_of.isoformat(),
            "live": self.live,
            "region": self.region,
            "hoursPerMonth": int(prices.HOURS_PER_MONTH),
            "monthly": {
                "fixed": money(self.fixed),
                "fixedComplete": not any(line.billing is Billing.FIXED for line in self.unknown),
                "usage": money(self.usage),
                "total": money(self.fixed + self.usage),
                "unknown": [line.label for line in self.unknown],
                "undeclared": [line.label for line in self.undeclared],
            },
            "lines": [line_json(line) for line in self.lines],
        }
        if self.notice:
            body["notice"] = self.notice
        if self.budget is not None:
            body["budget"] = {"amount": self.budget, "currency": self.currency}
        return body

    def export(self) -> dict[str, Any]:
        """What the stack exports as `costEstimate`: the totals and each deployment's share, which the policy
        `budget-covers-estimate` compares with the budget the stack registers (the pack cannot price anything)."""
        return {
            "currency": self.currency,
            "asOf": self.as_of.isoformat(),
            "monthly": {
                "fixed": money(self.fixed),
                "usage": money(self.usage),
                "unknownFixed": [line.label for line in self.unknown if line.billing is Billing.FIXED],
            },
            "deployments": {
                name: {k: None if v is None else money(v) for k, v in figures.items()}
                for name, figures in self.deployments().items()
            },
        }


def money(value: Decimal) -> float:
    return float(value)


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def line_json(line: CostLine) -> dict[str, Any]:
    price = line.price
    found: dict[str, Any] = {
        "key": line.key,
        ("deployment" if line.deployment else "resource"): line.subject,
        "what": line.what,
        "billing": line.billing.value,
        "quantity": _number(line.quantity),
        "unit": line.unit,
        "unitPrice": None if price is None else float(price.price),
        "monthly": None if line.monthly is None else money(line.monthly),
        "source": None if price is None else price.url,
        "asOf": None if price is None else price.dated.isoformat(),
    }
    notes = [n for n in (line.note, price.note if price else "", line.unknown) if n]
    if notes:
        found["note"] = "; ".join(notes)
    if price is not None and price.conflicts:
        found["conflicts"] = [
            {"unitPrice": float(c.price), "source": c.url, "asOf": c.dated.isoformat(), "why": c.conflict}
            for c in price.conflicts
        ]
    return found


def estimate(stack: ResolvedStack, book: PriceBook | None = None) -> Estimate:
    """The stack's monthly estimate from `book` (default: the snapshot, in the budget's currency or USD)."""
    budget = stack.config.budget
    book = book or SnapshotPrices(budget.currency)
    lines = platform_lines(stack, book)
    for kind, deployments in stack.kinds:
        lines += kind.cost(stack, deployments, book)
    return Estimate(
        book.currency,
        book.as_of,
        book.live,
        tuple(lines),
        stack.region,
        budget.amount if budget.currency == book.currency else None,
        book.notice,
    )
