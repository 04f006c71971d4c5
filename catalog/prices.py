"""Azure list prices: a dated snapshot (prices.json), each price with its source, and how Azure's API lists items."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from catalog import models, sources

SNAPSHOT_FILE = Path(__file__).resolve().with_name("prices.json")
HOURS_PER_MONTH = Decimal(730)
"""A month as Azure's pricing calculator bills it: 365 days x 24 hours / 12 [hours-per-month]."""
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
"""Meters priced per day (a registry unit) bill every day of the month: 730 / 24 = 30.42 on average."""
DEFAULT_CURRENCY = "USD"
# The currencies the Retail Prices API answers in (its currencyCode parameter); USD is what Azure prices in,
# the others are "for your reference" [retail-prices-api].
CURRENCIES = (
    "USD", "AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "INR", "JPY", "KRW", "NOK", "NZD", "RUB", "SEK",
    "TWD",
)  # fmt: skip
GLOBAL = "global"
"""The region of a price that holds in every region (a Global deployment type, a fee that has none)."""
PROVISIONED_TYPES = frozenset({models.GLOBAL_PROVISIONED, "DataZoneProvisionedManaged", "ProvisionedManaged"})
"""Foundry deployment types billed per provisioned throughput unit (PTU) and hour, used or not [deployment-types]."""
API_SOURCE = "retail-prices-api"


@dataclass(frozen=True)
class Price:
    """One dated price of one item in one region and currency, with where it was read."""

    item: str
    region: str
    unit: str
    """As the Retail Prices API writes it: `1 Hour`, `1/Day`, `1 GB/Month`, `10K`, `1M`."""
    price: Decimal
    currency: str
    source: str
    """A key of catalog.sources.SOURCES."""
    dated: dt.date
    note: str = ""
    conflict: str = ""
    """Set on a copy that disagrees with the price used: why it is not used."""
    conflicts: tuple[Price, ...] = field(default=(), compare=False)
    """The disagreeing copies of this price, recorded as such."""

    @property
    def url(self) -> str:
        return sources.cite(self.source)

    def to_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "item": self.item,
            "region": self.region,
            "unit": self.unit,
            "price": float(self.price),
            "currency": self.currency,
            "source": self.source,
            "date": self.dated.isoformat(),
        }
        return row | ({"note": self.note} if self.note else {}) | ({"conflict": self.conflict} if self.conflict else {})


def price_from_row(row: dict[str, Any]) -> Price:
    return Price(
        str(row["item"]),
        str(row["region"]),
        str(row["unit"]),
        Decimal(str(row["price"])),
        str(row["currency"]),
        str(row["source"]),
        dt.date.fromisoformat(str(row["date"])),
        str(row.get("note", "")),
        str(row.get("conflict", "")),
    )


@dataclass(frozen=True)
class Snapshot:
    """The prices as of one day: the snapshot the offline plan uses."""

    as_of: dt.date
    rows: tuple[Price, ...]
    about: str = ""

    @cached_property
    def _index(self) -> dict[tuple[str, str, str], Price]:
        found: dict[tuple[str, str, str], list[Price]] = {}
        for p in self.rows:
            found.setdefault((p.item, p.region, p.currency), []).append(p)
        return {
            key: replace(used[0], conflicts=tuple(p for p in rows if p.conflict))
            for key, rows in found.items()
            if (used := [p for p in rows if not p.conflict])
        }

    def price(self, item: str, region: str, currency: str) -> Price | None:
        """The price used for an item in a region (or its global price), with its conflicting copies; None: unknown."""
        return self._index.get((item, region, currency)) or self._index.get((item, GLOBAL, currency))

    @cached_property
    def _currencies(self) -> frozenset[str]:
        return frozenset(p.currency for p in self.rows)

    def currencies(self) -> frozenset[str]:
        return self._currencies

    def to_json(self) -> dict[str, Any]:
        return {"asOf": self.as_of.isoformat(), "about": self.about, "prices": [p.to_row() for p in self.rows]}

    def render(self) -> str:
        """The data file: one price a line, so that a refresh reads as a diff of prices."""
        data = self.to_json()
        rows = ",\n".join("    " + json.dumps(row) for row in data["prices"])
        head = json.dumps({k: v for k, v in data.items() if k != "prices"}, indent=2)[:-2]
        return f'{head},\n  "prices": [\n{rows}\n  ]\n}}\n'


def snapshot_from_json(data: dict[str, Any]) -> Snapshot:
    rows = tuple(price_from_row(row) for row in data["prices"])
    return Snapshot(dt.date.fromisoformat(data["asOf"]), rows, str(data.get("about", "")))


@cache
def snapshot(path: Path = SNAPSHOT_FILE) -> Snapshot:
    return snapshot_from_json(json.loads(path.read_text()))


# The items of the snapshot: what is priced, as `<kind>:<what>[:<more>]`.
HUB_WORKSPACE = "hub:workspace"
KEY_VAULT_OPERATIONS = "keyvault:standard:operations"
LOG_INGESTION = "logs:ingestion"
LOG_RETENTION = "logs:retention"
FOUNDRY_ACCOUNT = "foundry:account"
PRIVATE_ENDPOINT = "network:private-endpoint"
PRIVATE_DNS_ZONE = "privatedns:zone"
MANAGED_FIREWALL = "firewall:managed-network"
"""No price in the snapshot for these two: their lines say unknown, never zero."""
LOG_DAYS_INCLUDED = 31
"""Days of Log Analytics retention included in the ingestion price [prices-platform]."""


def vm(sku: str) -> str:
    return f"vm:{sku}"


def tokens(model: str, deployment_type: str, direction: str) -> str:
    """Per 1M input or output tokens of a model; `deployment_type` is a Foundry one or `serverless`."""
    return f"tokens:{model}:{deployment_type}:{direction}"


def ptu(deployment_type: str) -> str:
    return f"ptu:{deployment_type}"


def storage(sku: str) -> str:
    return f"storage:{sku}:data"


def registry(sku: str) -> str:
    return f"registry:{sku}"


@dataclass(frozen=True)
class Meter:
    """How the Retail Prices API lists an item: the `$filter` fields (beside region and priceType), and what its
    items must say (words of meterName/productName/skuName, the unit) where the filter cannot say it."""

    filters: dict[str, str]
    unit: str
    words: tuple[frozenset[str], ...] = ()
    """Each set: one of these words must be among the item's words."""
    name: str = ""
    """Letters and digits the item's names must contain, once joined (a model's name)."""
    excluded: frozenset[str] = frozenset()
    """Words an item must not carry: Windows, Spot, Low Priority, Data Zone for a Global item..."""
    tiered: bool = False
    """Tiered prices (a free allowance first): the first paid tier counts."""


# Words of Foundry token meters: Microsoft abbreviates freely ("Inp", "Inpt", "Opt", "Outpt", "Glbl", "DZ").
INPUT_WORDS = frozenset({"inp", "inpt", "input"})
OUTPUT_WORDS = frozenset({"opt", "outp", "outpt", "output"})
GLOBAL_WORDS = frozenset({"gl", "glbl", "global"})
NOT_PLAIN_GLOBAL = frozenset({"dz", "datazone", "data", "zone", "batch", "cached", "cache", "provisioned", "ptu"})
VM_EXCLUDED = frozenset({"windows", "spot", "low", "priority"})
STORAGE_SKUS = {"Standard_LRS": "LRS", "Standard_ZRS": "ZRS", "Standard_GRS": "GRS", "Standard_GZRS": "GZRS"}
_METER_NAMES = {
    # The name part of a model's token meters: Meta's names without the variant words.
    "Llama-3.3-70B-Instruct": "llama3370b",
    "Llama-4-Maverick-17B-128E-Instruct-FP8": "llama4maverick",
    "Llama-4-Scout-17B-16E-Instruct": "llama4scout",
}


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def meter_name(model: str) -> str:
    return _METER_NAMES.get(model) or _squashed(re.sub(r"(?i)-(instruct|fp8|chat)\b", "", model))


def meter(item: str) -> Meter | None:
    """How the Retail Prices API lists an item; None where it lists none (Marketplace offers, a pricing page)."""
    kind, _, rest = item.partition(":")
    if kind == "vm":
        return Meter({"serviceName": "Virtual Machines", "armSkuName": rest}, "1 Hour", excluded=VM_EXCLUDED)
    if kind == "tokens":
        model, deployment_type, direction = rest.rsplit(":", 2)
        if deployment_type != models.GLOBAL_STANDARD:
            return None  # serverless is sold through Marketplace; other token types are not in the catalog
        way = INPUT_WORDS if direction == "input" else OUTPUT_WORDS
        return Meter({"serviceName": "Foundry Models"}, "1M", (way, GLOBAL_WORDS), meter_name(model), NOT_PLAIN_GLOBAL)
    if kind == "ptu" and rest == models.GLOBAL_PROVISIONED:
        words = (frozenset({"provisioned"}), GLOBAL_WORDS)
        return Meter({"serviceName": "Foundry Models"}, "1 Hour", words, excluded=frozenset({"dz", "datazone"}))
    if kind == "storage" and (redundancy := STORAGE_SKUS.get(rest.removesuffix(":data"))):
        filters = {
            "serviceName": "Storage",
            "productName": "General Block Blob v2",
            "skuName": f"Hot {redundancy}",
            "meterName": f"Hot {redundancy} Data Stored",
        }
        return Meter(filters, "1 GB/Month", tiered=True)
    if item == KEY_VAULT_OPERATIONS:
        return Meter({"serviceName": "Key Vault", "skuName": "Standard", "meterName": "Operations"}, "10K")
    if item == LOG_INGESTION:
        return Meter(
            {"serviceName": "Log Analytics", "meterName": "Analytics Logs Data Ingestion"}, "1 GB", tiered=True
        )
    if item == LOG_RETENTION:
        return Meter({"serviceName": "Log Analytics", "meterName": "Analytics Logs Data Retention"}, "1 GB/Month")
    if kind == "registry":
        return Meter({"serviceName": "Container Registry", "meterName": f"{rest} Registry Unit"}, "1/Day")
    return None


_COUNTS = {"1K": 1_000, "10K": 10_000, "1M": 1_000_000}


def per_unit(price: Decimal, unit: str, wanted: str) -> Decimal | None:
    """A price per `unit` as a price per `wanted` (1K tokens -> 1M tokens); None when the units do not compare."""
    if unit.replace(" ", "").lower() == wanted.replace(" ", "").lower():
        return price
    if unit in _COUNTS and wanted in _COUNTS:
        return price * _COUNTS[wanted] / _COUNTS[unit]
    return None
