"""What a stack costs a month: the estimate's text and markdown, the change between two plans, the `cost` command."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from catalog import prices
from tools.tables import render_rows

if TYPE_CHECKING:
    from infra.config.stack import ResolvedStack
    from infra.cost import Estimate
    from infra.kinds.base import PriceBook

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
LEFT_OUT = (
    "Not in the estimate: usage the stack does not declare (expectedTokens), egress and data processed, storage and "
    "log growth, taxes, discounts, reservations and savings plans, Marketplace fees beyond the listed token prices "
    '(README, "Cost").'
)


def money(amount: float | Decimal | None, currency: str) -> str:
    """`$41,829.00`, `41,829.00 SEK`: a symbol where the currency has a common one, the code otherwise."""
    if amount is None:
        return "unknown"
    text = f"{abs(float(amount)):,.2f}"
    sign = "-" if float(amount) < 0 else ""
    return f"{sign}{SYMBOLS[currency]}{text}" if currency in SYMBOLS else f"{sign}{text} {currency}"


def monthly_change(amount: float | Decimal, currency: str) -> str:
    """`+$32,175.48/month`, `-$7.30/month`, `+$0.00/month`: how a pull request shows a change."""
    sign = "-" if float(amount) < 0 else "+"
    return f"{sign}{money(abs(float(amount)), currency)}/month"


def _price(line: Mapping[str, Any], currency: str) -> str:
    if line.get("unitPrice") is None:
        return "price unknown"
    if line.get("unitPrice") == 0:
        return "no charge"
    unit = line.get("unit", "")
    price = line["unitPrice"]
    shown = f"{price:,.4f}".rstrip("0").rstrip(".") if price < 1 else f"{price:,.2f}"
    return f"{SYMBOLS.get(currency, '')}{shown}{'' if currency in SYMBOLS else ' ' + currency} per {unit}"


PLURALS = {"hour": "hours", "day": "days", "month": "months", "PTU-hour": "PTU-hours"}


def _quantity(line: Mapping[str, Any]) -> str:
    quantity, unit = line.get("quantity"), str(line.get("unit", ""))
    if quantity is None:
        return "not declared" if line.get("billing") == "usage" else ""
    if not isinstance(quantity, int | float):
        return str(quantity)
    shown = f"{quantity:,.2f}".rstrip("0").rstrip(".") if quantity != int(quantity) else f"{int(quantity):,}"
    if unit.startswith("1M "):
        return f"{shown}M {unit[3:]}"  # 50 x "1M input tokens" reads 50M input tokens
    return f"{shown} {PLURALS.get(unit, unit) if quantity != 1 else unit}"


def _subject(line: Mapping[str, Any]) -> str:
    return str(line.get("deployment") or line.get("resource") or "")


def _where(cost: Mapping[str, Any]) -> str:
    source = "the Retail Prices API" if cost.get("live") else "the price snapshot (catalog/prices.json)"
    return f"{cost.get('currency')}, list prices as of {cost.get('asOf')} from {source}, {cost.get('region')}"


def _at_least(monthly: Mapping[str, Any]) -> str:
    """A total some of whose fixed prices are unknown is a floor, and says so."""
    return "" if monthly.get("fixedComplete", True) else "at least "


def _usage(cost: Mapping[str, Any]) -> str:
    lines = [line for line in cost.get("lines") or [] if line.get("billing") == "usage"]
    if lines and all(line.get("quantity") is None for line in lines):
        return "none"
    return f"{money((cost.get('monthly') or {}).get('usage'), str(cost.get('currency')))}/month"


def text_lines(cost: Mapping[str, Any]) -> list[str]:
    """The cost summary a text plan ends with (and `llama-on-azure cost` prints)."""
    currency, monthly = str(cost.get("currency")), cost.get("monthly") or {}
    rows = [
        (
            _subject(line),
            str(line.get("what")),
            _quantity(line),
            _price(line, currency),
            money(line.get("monthly"), currency) if line.get("monthly") is not None else "-",
        )
        for line in sorted(cost.get("lines") or [], key=lambda line: "deployment" not in line)
    ]
    lines = [
        "",
        f"Cost per month ({_where(cost)}):",
        *("    " + row for row in render_rows(("", "what", "a month", "unit price", "monthly"), rows)),
        "",
        f"    Fixed: {_at_least(monthly)}{money(monthly.get('fixed'), currency)}/month; declared usage: "
        f"{_usage(cost)}; total {money(monthly.get('total'), currency)}/month.",
    ]
    budget = cost.get("budget")
    if budget and budget.get("amount"):
        share = 100 * float(monthly.get("fixed") or 0) / float(budget["amount"])
        lines.append(
            f"    Budget: {money(budget['amount'], currency)}/month; the fixed estimate is {share:.1f}% of it."
        )
    if cost.get("notice"):
        lines.append(f"    Note: {cost['notice']}.")
    if monthly.get("unknown"):
        lines.append(f"    Price unknown (not counted, never taken as zero): {'; '.join(monthly['unknown'])}.")
    if monthly.get("undeclared"):
        lines.append(f"    Usage not declared (unit prices only): {'; '.join(monthly['undeclared'])}.")
    lines.append(f"    {LEFT_OUT}")
    return lines


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_lines(cost: Mapping[str, Any]) -> list[str]:
    """The cost table of the pull-request comment: one row per line, grouped by deployment, then the platform."""
    currency, monthly = str(cost.get("currency")), cost.get("monthly") or {}
    lines = [
        "",
        f"#### Cost: **{_at_least(monthly)}{money(monthly.get('fixed'), currency)}/month** fixed",
        "",
        f"{_where(cost)}; declared usage {money(monthly.get('usage'), currency)}/month.",
        "",
        "| deployment / resource | what | a month | unit price | monthly |",
        "|---|---|---:|---:|---:|",
    ]
    ordered = sorted(cost.get("lines") or [], key=lambda line: "deployment" not in line)
    for line in ordered:
        subject = f"`{_cell(_subject(line))}`"
        shown = money(line.get("monthly"), currency) if line.get("monthly") is not None else "-"
        cells = (subject, _cell(line.get("what")), _cell(_quantity(line)), _cell(_price(line, currency)), shown)
        lines.append("| " + " | ".join(cells) + " |")
    budget = cost.get("budget")
    if budget and budget.get("amount"):
        lines += ["", f"Budget: {money(budget['amount'], currency)}/month."]
    if monthly.get("unknown"):
        lines += ["", "Price unknown (not counted): " + "; ".join(_cell(u) for u in monthly["unknown"]) + "."]
    lines += ["", LEFT_OUT]
    return lines


def _lines_by_key(cost: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {str(line.get("key")): line for line in (cost or {}).get("lines") or [] if isinstance(line, Mapping)}


def _figure(cost: Mapping[str, Any] | None, name: str) -> float:
    value = ((cost or {}).get("monthly") or {}).get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _counted(line: Mapping[str, Any] | None) -> float | None:
    """What a line adds to a month in a comparison: nothing when absent or its usage is not declared (the totals
    count declared usage only); None when its price is unknown (unknown is never zero)."""
    if line is None:
        return 0.0
    if line.get("monthly") is not None:
        return float(line["monthly"])
    return None if line.get("unitPrice") is None else 0.0


def _change(old: float | None, new: float | None) -> float | None:
    return None if old is None or new is None else round(new - old, 2)


def cost_delta(old_cost: Mapping[str, Any] | None, new_cost: Mapping[str, Any] | None) -> dict[str, Any]:
    """The monthly change between two plans' `cost` objects, and the lines behind it.

    A plan without a `cost` object (an older plan, a stack that did not exist yet) counts as nothing. Lines pair by
    their `key`: a line that appeared, went, or changed its monthly figure, unit price or description is listed
    with its old and new figure, the largest change first. A figure one side cannot price has no change (None) and
    makes the delta incomplete (`complete` false): the totals then count only what both price. Two plans priced
    in different currencies do not compare: `comparable` is false and no change is given.
    """
    old_cost, new_cost = old_cost or {}, new_cost or {}
    currency = str(new_cost.get("currency") or old_cost.get("currency") or prices.DEFAULT_CURRENCY)
    if old_cost and new_cost and old_cost.get("currency") != new_cost.get("currency"):
        return {
            "currency": currency,
            "comparable": False,
            "reason": f"the plans are priced in {old_cost.get('currency')} and {new_cost.get('currency')}",
            "complete": False,
            "monthly": None,
            "change": None,
            "lines": [],
        }
    old_lines, new_lines = _lines_by_key(old_cost), _lines_by_key(new_cost)
    changed = []
    for key in [*old_lines, *(k for k in new_lines if k not in old_lines)]:
        before, after = old_lines.get(key), new_lines.get(key)
        status = "added" if before is None else "removed" if after is None else "changed"
        compared = ("monthly", "unitPrice", "what")
        if before is not None and after is not None and all(before.get(f) == after.get(f) for f in compared):
            continue
        line = after if after is not None else before
        assert line is not None
        entry = {
            "key": key,
            **({"deployment": line["deployment"]} if "deployment" in line else {"resource": line.get("resource")}),
            "what": line.get("what"),
            "billing": line.get("billing"),
            "status": status,
            "old": before.get("monthly") if before else None,
            "new": after.get("monthly") if after else None,
            "oldUnitPrice": before.get("unitPrice") if before else None,
            "newUnitPrice": after.get("unitPrice") if after else None,
        }
        entry["change"] = _change(_counted(before), _counted(after))
        if before is not None and after is not None and before.get("what") != after.get("what"):
            entry["was"] = before.get("what")
        changed.append(entry)
    changed.sort(key=lambda e: (-abs(e["change"] or 0), e["key"]))
    monthly = {
        name: {
            "old": _figure(old_cost, name),
            "new": _figure(new_cost, name),
            "change": round(_figure(new_cost, name) - _figure(old_cost, name), 2),
        }
        for name in ("fixed", "usage", "total")
    }
    unknown_before = set((old_cost.get("monthly") or {}).get("unknown") or [])
    unknown_after = set((new_cost.get("monthly") or {}).get("unknown") or [])
    complete = all(e["change"] is not None for e in changed) and all(
        (c.get("monthly") or {}).get("fixedComplete", True) for c in (old_cost, new_cost) if c
    )
    return {
        "currency": currency,
        "comparable": True,
        "complete": complete,
        "monthly": monthly,
        "change": monthly_change(monthly["total"]["change"], currency),
        "lines": changed,
        "unknown": {"added": sorted(unknown_after - unknown_before), "removed": sorted(unknown_before - unknown_after)},
    }


def delta_lines(delta: Mapping[str, Any]) -> list[str]:
    """`Cost: +$13,943.00/month`, then one line per change: how a plan comparison may print a `cost_delta`."""
    if not delta.get("comparable"):
        return [f"Cost: not compared ({delta.get('reason')})"]
    currency = str(delta["currency"])
    head = f"Cost: {delta['change']}" + ("" if delta.get("complete") else " (of what both plans price; see below)")
    lines = [head]
    for entry in delta["lines"]:
        subject = entry.get("deployment") or entry.get("resource")
        was = f" (was {entry['was']})" if entry.get("was") else ""
        if entry["change"] is None:
            change = "price unknown"
        elif entry["old"] == entry["new"] and entry["oldUnitPrice"] != entry["newUnitPrice"]:
            change = f"unit price {entry['oldUnitPrice']} -> {entry['newUnitPrice']}"
        else:
            change = monthly_change(entry["change"], currency)
        lines.append(f"    {entry['status']} {subject}: {entry['what']}{was}: {change}")
    return lines


def plan_cost(stack: ResolvedStack) -> dict[str, Any]:
    """The offline plan's `cost` object: the snapshot, in the budget's currency (USD without a budget)."""
    # Imported here, not above: what reads plans only (the diff, in every pull request) never loads the program.
    from infra.cost import estimate

    return estimate(stack).to_json()


def stack_cost(stack: ResolvedStack, currency: str | None, book: PriceBook | None = None) -> Estimate:
    """The estimate `llama-on-azure cost` prints: `book` (live) or the snapshot, in `currency` or the budget's."""
    from infra.cost import SnapshotPrices, estimate

    chosen = currency or stack.config.budget.currency
    return estimate(stack, book or SnapshotPrices(chosen))


def render_json(estimate_: Estimate, stack: str) -> str:
    return json.dumps({"stack": stack, "cost": estimate_.to_json()}, indent=2) + "\n"


def render_text(estimate_: Estimate, stack: str) -> str:
    lines = [f"Monthly estimate of stack '{stack}'", *text_lines(estimate_.to_json())[1:]]
    return "\n".join(lines) + "\n"


REFERENCE_REGION = "eastus"
"""Where a refresh reads a price the snapshot holds for every region (a Global deployment type): the region its
first sources read it in."""


def refresh(
    snapshot: prices.Snapshot, api: Any, today: dt.date, currency: str = prices.DEFAULT_CURRENCY
) -> tuple[prices.Snapshot, list[str]]:
    """The snapshot with every item the API lists read again, dated today; what it does not list is kept as it was
    (and said so). `api` is a clients.retail_prices.RetailPrices."""
    from clients.retail_prices import pick

    wanted = list(dict.fromkeys((p.item, p.region) for p in snapshot.rows if not p.conflict))
    rows = [p for p in snapshot.rows]
    notes = []
    for item, region in wanted:
        meter = prices.meter(item)
        if meter is None:
            continue
        asked = REFERENCE_REGION if region == prices.GLOBAL else region
        found = pick(
            item, region, meter, api.items({**meter.filters, "armRegionName": asked}, currency), currency, today
        )
        if found is None:
            notes.append(f"kept {item} in {region}: the API lists no matching {currency} meter")
            continue
        rows = [p for p in rows if not (p.item == item and p.region == region and p.currency == currency)]
        where = f"read in {asked}; " if asked != region else ""
        rows.append(replace(found, note=where + found.note, conflicts=()))
        rows += [replace(c, note=where + c.note, conflicts=()) for c in found.conflicts]
    rows.sort(key=lambda p: (p.currency, p.item.split(":")[0], p.region, p.item, bool(p.conflict)))
    return prices.Snapshot(today, tuple(rows), snapshot.about), notes


def refresh_command(output: str | None, currency: str, seconds: float) -> int:
    """`llama-on-azure cost --refresh-snapshot`: rewrites the data file (or `output`) from the API, dated today."""
    import sys
    from pathlib import Path

    from clients.deadline import Deadline
    from clients.http import Client
    from clients.retail_prices import RetailPrices
    from infra.config.parse import today_utc

    api = RetailPrices(Client(seconds, allow_http_loopback=True), Deadline(seconds))
    path = Path(output) if output else prices.SNAPSHOT_FILE
    fresh, notes = refresh(prices.snapshot(), api, today_utc(), currency)
    path.write_text(fresh.render())
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    read = sum(1 for p in fresh.rows if p.source == prices.API_SOURCE and p.dated == fresh.as_of)
    print(f"wrote {path}: {len(fresh.rows)} prices as of {fresh.as_of}, {read} read from the API in {api.calls} calls")
    return 0
