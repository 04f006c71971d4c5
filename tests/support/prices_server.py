"""A local stand-in for the Azure Retail Prices API: its documented answer shape, its $filter, its pages; and hostile
answers (a page loop, endless pages, a next page off-host, a redirect, HTML, NaN, a huge body, a trickle, wrong types).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from tests.support.hostile_server import HostileHandler, HostileServer

PATH = "/api/retail/prices"
PAGE_SIZE = 2
"""Small pages, so that every query of a test follows NextPageLink."""


def item(
    region: str, service: str, product: str, meter: str, price: float, unit: str, *, currency: str = "USD", **more: Any
) -> dict[str, Any]:
    """One item as the API documents it (fields of its sample answer)."""
    sku = more.pop("armSkuName", "")
    return {
        "currencyCode": currency,
        "tierMinimumUnits": more.pop("tier", 0.0),
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": region,
        "effectiveStartDate": "2026-10-01T00:00:00Z",
        "meterId": more.pop("meterId", f"{region}-{product}-{meter}-{currency}-{price}"),
        "meterName": meter,
        "productId": "DZH318Z0BQPS",
        "skuId": "DZH318Z0BQPS/00TG",
        "productName": product,
        "skuName": more.pop("skuName", meter),
        "serviceName": service,
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": unit,
        "type": more.pop("type", "Consumption"),
        "isPrimaryMeterRegion": more.pop("primary", True),
        "armSkuName": sku,
        **more,
    }


def vm(region: str, price: float, sku: str = "Standard_NC96ads_A100_v4", **more: Any) -> list[dict[str, Any]]:
    """A VM size's items: Linux, and the Windows, Spot, Low Priority and Dev/Test ones the client must drop."""
    meter = sku.removeprefix("Standard_")
    linux = "NCads A100 v4 Series Linux"
    return [
        item(region, "Virtual Machines", linux, meter, price, "1 Hour", armSkuName=sku, **more),
        item(region, "Virtual Machines", "NCads A100 v4 Series Windows", meter, price * 1.5, "1 Hour", armSkuName=sku),
        item(region, "Virtual Machines", linux, f"{meter} Spot", price / 5, "1 Hour", armSkuName=sku),
        item(region, "Virtual Machines", linux, f"{meter} Low Priority", price / 5, "1 Hour", armSkuName=sku),
        item(region, "Virtual Machines", linux, meter, price / 2, "1 Hour", armSkuName=sku, type="DevTestConsumption"),
    ]


def catalog(currency: str = "USD", factor: float = 1.0) -> list[dict[str, Any]]:
    """What the stand-in knows: the prod stack's items in swedencentral and the dev stack's in eastus2/eastus."""
    found = [
        *vm("swedencentral", 19.5 * factor),
        *vm("eastus2", 14.692 * factor),
        *vm("eastus", 14.692 * factor),
        # Foundry token meters: abbreviations, a Data Zone twin to drop, a 1K unit to convert, a zero to skip.
        item("eastus2", "Foundry Models", "Llama-4 Maverick", "Llama 4 Maverick Inp Glbl", 0.00026 * factor, "1K"),
        item("eastus2", "Foundry Models", "Llama-4 Maverick", "Llama 4 Maverick Outpt Glbl", 0.00102 * factor, "1K"),
        item("eastus2", "Foundry Models", "Llama-4 Maverick", "Llama 4 Maverick Inp DZ", 0.3 * factor, "1M"),
        item("eastus2", "Foundry Models", "Llama-4 Maverick", "Llama 4 Maverick Cached Inp Glbl", 0.0, "1M"),
        item("eastus", "Foundry Models", "Llama-3.3-70B", "Llama-3.3-70B Inpt Glbl", 0.71 * factor, "1M"),
        item("eastus", "Foundry Models", "Llama-3.3-70B", "Llama-3.3-70B Outpt Glbl", 0.71 * factor, "1M"),
        # The hub's small prices: tiered storage and logs (a free tier first), vault operations, a registry unit.
        item("swedencentral", "Storage", "General Block Blob v2", "Hot ZRS Data Stored", 0.0, "1 GB/Month",
             skuName="Hot ZRS", tier=0.0, meterId="st-0"),
        item("swedencentral", "Storage", "General Block Blob v2", "Hot ZRS Data Stored", 0.0261 * factor,
             "1 GB/Month", skuName="Hot ZRS", tier=50.0, meterId="st-1"),
        item("swedencentral", "Key Vault", "Key Vault", "Operations", 0.03 * factor, "10K", skuName="Standard"),
        item("swedencentral", "Log Analytics", "Log Analytics", "Analytics Logs Data Ingestion", 0.0, "1 GB",
             tier=0.0, meterId="la-0"),
        item("swedencentral", "Log Analytics", "Log Analytics", "Analytics Logs Data Ingestion", 2.99 * factor,
             "1 GB", tier=5.0, meterId="la-5"),
        item("swedencentral", "Log Analytics", "Log Analytics", "Analytics Logs Data Retention", 0.13 * factor,
             "1 GB/Month"),
        item("eastus2", "Container Registry", "Container Registry", "Premium Registry Unit", 1.667 * factor, "1/Day"),
    ]  # fmt: skip
    return [{**i, "currencyCode": currency} for i in found]


def _conditions(expression: str) -> list[tuple[str, str]]:
    return [(name, value.replace("''", "'")) for name, value in re.findall(r"(\w+) eq '((?:[^']|'')*)'", expression)]


def serve(items: list[dict[str, Any]], page_size: int = PAGE_SIZE):
    """The documented answer: items matching the $filter in the asked currency, `page_size` a page, NextPageLink
    an absolute URL on the same host with $skip, null on the last page."""

    def answer(h: HostileHandler) -> None:
        query = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(h.path).query).items()}
        currency = query.get("currencyCode", "'USD'").strip("'")
        wanted = _conditions(query.get("$filter", ""))
        found = [i for i in items if i["currencyCode"] == currency and all(str(i.get(k)) == v for k, v in wanted)]
        skip = int(query.get("$skip", "0"))
        page = found[skip : skip + page_size]
        link = None
        if skip + page_size < len(found):
            link = f"{h.base}{PATH}?{urllib.parse.urlencode({**query, '$skip': str(skip + page_size)})}"
        body = {"BillingCurrency": currency, "CustomerEntityId": "Default", "CustomerEntityType": "Retail"}
        h.json(200, {**body, "Items": page, "NextPageLink": link, "Count": len(page)})

    return answer


def _page(items: list[Any], link: Any) -> dict[str, Any]:
    return {"BillingCurrency": "USD", "Items": items, "NextPageLink": link, "Count": len(items)}


HOSTILE = {
    "a page loop": lambda h: h.json(200, _page([], h.base + h.path)),
    "too many pages": lambda h: h.json(200, _page([], f"{h.base}{PATH}?$skip={len(h.script.seen)}")),
    "a next page off-host": lambda h: h.json(200, _page([], "https://prices.example.net/api/retail/prices?$skip=2")),
    "a redirect off-host": lambda h: h.json(302, {}, {"Location": "https://login.example.net/"}),
    "HTML": lambda h: h.raw(200, b"<html><body>Service unavailable</body></html>", kind="text/html"),
    "NaN": lambda h: h.raw(200, b'{"Items": [{"retailPrice": NaN, "unitOfMeasure": "1 Hour"}], "NextPageLink": null}'),
    "a huge body": lambda h: h.raw(200, b'{"Items": [' + b" " * (5 << 20) + b"]}"),
    "a trickle": lambda h: h.trickle(0.05),
    "wrong types": lambda h: h.json(200, _page([{"retailPrice": "19.1", "unitOfMeasure": "1 Hour"}], None)),
    "a wrong shape": lambda h: h.json(200, {"items": [], "nextPageLink": None}),
    "an error status": lambda h: h.json(500, {"error": {"code": "InternalServerError"}}),
}
"""What a broken or hostile endpoint may answer -> the words the one error line must carry."""
HOSTILE_MESSAGES = {
    "a page loop": "points back at a page already read",
    "too many pages": "more than 20 pages",
    "a next page off-host": "NextPageLink leaves 127.0.0.1 for prices.example.net",
    "a redirect off-host": "redirects are never followed",
    "HTML": "text/html, not JSON",
    "NaN": "not JSON (NaN is not a JSON number)",
    "a huge body": "larger than",
    "a trickle": "no complete answer within",
    "wrong types": "retailPrice is '19.1', not a price",
    "a wrong shape": "not {Items: [...], NextPageLink}",
    "an error status": "HTTP 500",
}


class PricesServer(HostileServer):
    """`with PricesServer() as s:` serves the catalog; `s.hostile(name)` makes it answer one hostile way."""

    def __init__(self, items: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.items = items if items is not None else catalog() + catalog("EUR", 0.9)
        self.script.routes[PATH] = serve(self.items)
        self.endpoint = f"{self.url}{PATH}"

    def hostile(self, name: str) -> None:
        self.script.routes[PATH] = HOSTILE[name]

    @property
    def queries(self) -> int:
        return len(self.script.seen)
