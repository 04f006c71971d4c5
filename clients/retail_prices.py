"""The Azure Retail Prices API (no sign-in): OData-filtered list prices, pages followed safely, each item checked."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from catalog import prices
from clients import json_input
from clients.deadline import Deadline
from clients.errors import UserError
from clients.http import Client, HttpFailure, Target, check_url
from clients.redact import printable

ENDPOINT = "https://prices.azure.com/api/retail/prices"
ENDPOINT_VARIABLE = "LLAMA_ON_AZURE_PRICES_ENDPOINT"
"""Points the client at another host: a local stand-in (plain http allowed to loopback only), a mirror."""
API_VERSION = "2023-01-01-preview"
"""Filter values are case-sensitive from this version on [retail-prices-api]."""
MAX_PAGES = 20
"""Pages one query may take: an item of the estimate is a handful of meters, a page holds 100 or 1,000."""
MAX_PAGE_BYTES = 4 << 20
TEXT_FIELDS = ("currencyCode", "unitOfMeasure", "meterName", "productName", "skuName", "armSkuName", "type")


class PricesError(UserError):
    """The Retail Prices API could not be asked or answered something else than its documented shape."""


def endpoint() -> str:
    return os.environ.get(ENDPOINT_VARIABLE) or ENDPOINT


def odata_filter(fields: Mapping[str, str]) -> str:
    """`serviceName eq 'Virtual Machines' and ...`: equality only, as the API documents it (quotes doubled)."""
    return " and ".join(f"{name} eq '{value.replace(chr(39), chr(39) * 2)}'" for name, value in fields.items())


def _words(item: Mapping[str, Any]) -> set[str]:
    text = " ".join(str(item.get(k) or "") for k in ("meterName", "productName", "skuName"))
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def _squashed(item: Mapping[str, Any]) -> str:
    return re.sub(r"[^a-z0-9]", "", " ".join(str(item.get(k) or "") for k in ("meterName", "productName")).lower())


def matches(meter: prices.Meter, item: Mapping[str, Any]) -> bool:
    """Whether an API item is the meter an item of the estimate is billed by (pay-as-you-go, primary region)."""
    words = _words(item)
    if item.get("type") not in (None, "Consumption") or item.get("isPrimaryMeterRegion") is False:
        return False
    if meter.excluded & words or (meter.name and meter.name not in _squashed(item)):
        return False
    if not all(choice & words for choice in meter.words):
        return False
    return prices.per_unit(Decimal(1), str(item.get("unitOfMeasure")), meter.unit) is not None


def _checked(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PricesError(f"{where}: an item of Items is not an object")
    price = item.get("retailPrice")
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price) or price < 0:
        raise PricesError(f"{where}: an item's retailPrice is {printable(repr(price), 40)}, not a price")
    for name in TEXT_FIELDS:
        if name in item and item[name] is not None and not isinstance(item[name], str):
            raise PricesError(f"{where}: an item's {name} is not text")
    tier = item.get("tierMinimumUnits", 0)
    if isinstance(tier, bool) or not isinstance(tier, int | float):
        raise PricesError(f"{where}: an item's tierMinimumUnits is not a number")
    return item


@dataclass
class RetailPrices:
    """Queries to the Retail Prices API under one deadline; the next page must stay on the API's origin."""

    client: Client
    deadline: Deadline
    url: str = field(default_factory=endpoint)
    calls: int = 0

    def __post_init__(self) -> None:
        try:
            self.target = check_url(self.url, allow_http_loopback=True)
        except HttpFailure as err:
            raise PricesError(f"{ENDPOINT_VARIABLE} or the API address: {err}") from None

    def _page(self, target: Target, where: str) -> dict[str, Any]:
        self.calls += 1
        try:
            response = self.client.get(target, {"Accept": "application/json"}, self.deadline)
            try:
                status, kind = response.status, response.content_type
                body = response.body(MAX_PAGE_BYTES)
            finally:
                response.close()
        except HttpFailure as err:
            raise PricesError(f"{where}: {err}") from None
        if status != 200:
            raise PricesError(f"{where}: HTTP {status}")
        if "json" not in kind.lower():
            raise PricesError(f"{where}: the answer is {printable(kind or 'untyped', 40)}, not JSON")
        try:
            page = json_input.loads(body)
        except json_input.NotJson as err:
            raise PricesError(f"{where}: the answer is not JSON ({err})") from None
        if not isinstance(page, dict) or not isinstance(page.get("Items"), list):
            raise PricesError(f"{where}: the answer is not {{Items: [...], NextPageLink}}")
        return page

    def items(self, filters: Mapping[str, str], currency: str) -> list[dict[str, Any]]:
        """Every item of one filtered query, across its pages (NextPageLink until null)."""
        query = {"api-version": API_VERSION, "currencyCode": f"'{currency}'", "meterRegion": "'primary'"}
        query["$filter"] = odata_filter(filters)
        first = f"{self.target.path}{'&' if '?' in self.target.path else '?'}{urllib.parse.urlencode(query)}"
        target, seen, found = Target(self.target.scheme, self.target.host, self.target.port, first), set(), []
        where = f"Retail Prices API ({odata_filter(filters)})"
        for _ in range(MAX_PAGES):
            seen.add(target.path)
            page = self._page(target, where)
            found += [_checked(item, where) for item in page["Items"]]
            link = page.get("NextPageLink")
            if link is None or link == "":
                return found
            target = self._next(link, seen, where)
        raise PricesError(f"{where}: more than {MAX_PAGES} pages")

    def _next(self, link: Any, seen: set[str], where: str) -> Target:
        if not isinstance(link, str):
            raise PricesError(f"{where}: NextPageLink is not a URL")
        try:
            target = check_url(link, allow_http_loopback=True)
        except HttpFailure as err:
            raise PricesError(f"{where}: NextPageLink: {err}") from None
        if target.origin != self.target.origin:
            raise PricesError(f"{where}: NextPageLink leaves {self.target.host} for {printable(target.host, 80)}")
        if target.path in seen:
            raise PricesError(f"{where}: NextPageLink points back at a page already read")
        return target


@dataclass
class LivePrices:
    """A price book that asks the Retail Prices API, once per item and region. An item the API lists no meter for
    (a Marketplace offer, a service that charges nothing) keeps the snapshot's dated price, which says where it is
    from; an item whose meter the API does not answer for is unknown."""

    api: RetailPrices
    currency: str
    today: dt.date
    snapshot: prices.Snapshot | None = None
    live: bool = True
    notice: str = ""
    _cache: dict[tuple[str, str], prices.Price | None] = field(default_factory=dict)
    _why: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date:
        return self.today

    def price(self, item: str, region: str) -> prices.Price | None:
        key = (item, region)
        if key not in self._cache:
            self._cache[key] = self._ask(item, region)
        return self._cache[key]

    def unknown(self, item: str, region: str) -> str:
        return self._why.get((item, region), "unknown")

    def _ask(self, item: str, region: str) -> prices.Price | None:
        meter = prices.meter(item)
        if meter is None:
            kept = (self.snapshot or prices.snapshot()).price(item, region, self.currency)
            self._why[(item, region)] = "the Retail Prices API lists no meter for it, nor has the snapshot a price"
            if kept is None:
                return None
            return replace(
                kept, note="; ".join(n for n in ("not in the Retail Prices API: the snapshot's", kept.note) if n)
            )
        found = self.api.items({**meter.filters, "armRegionName": region}, self.currency)
        return pick(item, region, meter, found, self.currency, self.today, self._why)


def pick(
    item: str,
    region: str,
    meter: prices.Meter,
    found: list[dict[str, Any]],
    currency: str,
    today: dt.date,
    why: dict[tuple[str, str], str] | None = None,
) -> prices.Price | None:
    """The price of an item from the API's answer: its matching meters, deduplicated; disagreeing ones recorded."""
    matching = [i for i in found if matches(meter, i)]
    if meter.tiered:
        paid = [i for i in matching if float(i["retailPrice"]) > 0]
        lowest = min((float(i.get("tierMinimumUnits") or 0) for i in paid), default=None)
        matching = [i for i in paid if float(i.get("tierMinimumUnits") or 0) == lowest]
    else:
        matching = [i for i in matching if float(i["retailPrice"]) > 0 or item.startswith("vm:")]
    by_meter: dict[str, dict[str, Any]] = {}
    for i in matching:
        by_meter.setdefault(str(i.get("meterId") or i.get("skuId") or len(by_meter)), i)
    candidates = []
    for i in by_meter.values():
        value = prices.per_unit(Decimal(str(i["retailPrice"])), str(i["unitOfMeasure"]), meter.unit)
        if value is not None and (i.get("currencyCode") in (None, currency)):
            candidates.append((value, i))
    if not candidates:
        if why is not None:
            why[(item, region)] = f"the Retail Prices API lists no matching {currency} meter in {region}"
        return None
    candidates.sort(key=lambda c: (str(c[1].get("productName")), str(c[1].get("meterName"))))
    value, chosen = candidates[0]

    def price_of(amount: Decimal, source: dict[str, Any], conflict: str = "") -> prices.Price:
        note = f"{source.get('productName')} / {source.get('meterName')}"
        return prices.Price(item, region, meter.unit, amount, currency, prices.API_SOURCE, today, note, conflict)

    conflicts = tuple(price_of(v, i, "another meter the API lists for it") for v, i in candidates[1:] if v != value)
    return replace(price_of(value, chosen), conflicts=conflicts)
