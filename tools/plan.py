"""Offline plan: what `pulumi up` would create for a stack, from the program's registrations."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from catalog import sources, vm_skus
from components.options import ML_TYPES as _ML
from infra.config.types import NAMESPACE
from infra.exports import ENDPOINTS
from infra.kinds import KINDS
from policy.rules import PACK_NAME, lookup
from tools.cost import markdown_lines, text_lines
from tools.engine import PLACEHOLDER_SUBSCRIPTION, UNKNOWN, Registration, RunResult, masked
from tools.policy_check import Violation

# The settings a reviewer looks for, per type (camelCase input paths, as the engine sees them): the platforms'
# resources here, each kind's own from its declaration.
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "azure-native:resources:ResourceGroup": (),
    "azure-native:storage:StorageAccount": (
        "sku.name",
        "kind",
        "enableHttpsTrafficOnly",
        "minimumTlsVersion",
        "allowBlobPublicAccess",
    ),
    "azure-native:keyvault:Vault": (
        "properties.enableRbacAuthorization",
        "properties.enableSoftDelete",
        "properties.enablePurgeProtection",
    ),
    "azure-native:operationalinsights:Workspace": ("sku.name", "retentionInDays"),
    "azure-native:applicationinsights:Component": ("ingestionMode",),
    "azure-native:containerregistry:Registry": ("sku.name", "adminUserEnabled"),
    f"{_ML}:Workspace": ("kind", "identity.type", "publicNetworkAccess", "managedNetwork.isolationMode"),
    "azure-native:cognitiveservices:Account": (
        "properties.customSubDomainName",
        "properties.disableLocalAuth",
        "properties.publicNetworkAccess",
    ),
}
for _kind in KINDS.values():
    KEY_SETTINGS |= _kind.plan_settings


def _show(value: Any) -> str:
    """A masked value (see tools.engine.masked) in one line."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def resource_summary(reg: Registration) -> dict[str, Any]:
    """The physical name, region and key settings of one registration."""
    settings: dict[str, Any] = {}
    name = reg.outputs.get("name") if reg.type.startswith("azure-native:") else None
    if name is not None:
        settings["name"] = name
    if reg.custom and "location" in reg.inputs:
        settings["location"] = reg.inputs["location"]
    for path in KEY_SETTINGS.get(reg.type, ()):
        if (value := lookup(reg.inputs, path)) is not None:
            settings[path] = value
    return settings


def creation_depth(result: RunResult) -> dict[str, int]:
    """Longest chain of create operations ending at each resource (1 for no dependency)."""
    by_urn = {r.urn: r for r in result.registrations}
    depth: dict[str, int] = {}

    def visit(urn: str) -> int:
        if urn not in depth:
            deps = [d for d in by_urn[urn].dependencies if d in by_urn]
            depth[urn] = 1 + max((visit(d) for d in deps), default=0)
        return depth[urn]

    for urn in by_urn:
        visit(urn)
    return depth


def _tree_lines(result: RunResult) -> list[str]:
    children: dict[str, list[Registration]] = {}
    for reg in result.registrations:
        children.setdefault(reg.parent, []).append(reg)
    lines: list[str] = []
    order = creation_depth(result)

    def first_create(reg: Registration) -> int:
        # A component sorts by its earliest child, so the tree reads in the order Azure would see it.
        own = [order[reg.urn]] if reg.custom else []
        return min(own + [first_create(c) for c in children.get(reg.urn, [])], default=0)

    def walk(parent: str, depth: int) -> None:
        for reg in sorted(children.get(parent, []), key=lambda r: (first_create(r), r.name)):
            flags = " [protected]" if reg.protect else ""
            settings = masked(resource_summary(reg))
            detail = "  " + ", ".join(f"{k}={_show(v)}" for k, v in settings.items()) if settings else ""
            lines.append(f"{'    ' * depth}+ {reg.type}  {reg.name}{flags}{detail}")
            walk(reg.urn, depth + 1)

    walk("", 1)
    return lines


def _export_lines(value: Any, depth: int) -> list[str]:
    pad = "    " * depth
    lines: list[str] = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_export_lines(item, depth + 1))
        else:
            lines.append(f"{pad}{key}: {_show(item)}")
    return lines


def quota_rows(result: RunResult) -> list[dict[str, Any]]:
    """vCPUs per VM family that the deployments on VMs need, from what each kind exports about them."""
    region = result.exports.get("region")
    entries = result.exports.get(ENDPOINTS) or {}
    machines = [
        machine
        for kind in KINDS.values()
        for machine in kind.quota(
            {n: e for n, e in entries.items() if isinstance(e, dict) and e.get("kind") == kind.name}
        )
    ]
    rows = {
        family: {"region": region, "family": family, "vcpus": vcpus, "deployments": []}
        for family, vcpus in vm_skus.vcpu_quota([(sku, n) for _, sku, n in machines]).items()
    }
    for name, sku, instances in machines:
        reserve = ", +20% upgrade reserve" if sku.upgrade_reserve else ""
        rows[sku.quota_family]["deployments"].append(f"{name}: {instances} x {sku.name} ({sku.vcpus} vCPUs{reserve})")
    return list(rows.values())


def _quota_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    region = rows[0]["region"]
    lines = [
        "",
        f"vCPU quota the managed deployments need in {region} (compare: az vm list-usage --location {region}):",
    ]
    for row in rows:
        lines.append(f"    {row['family']}: {row['vcpus']} vCPUs")
        lines += [f"        {item}" for item in row["deployments"]]
    return lines


@dataclass
class Plan:
    """Everything a plan shows: the run, the validated config, the policy results."""

    result: RunResult
    subscription_id: str
    violations: list[Violation] | None
    """None when policies were skipped."""
    policy_config: Path | None = None
    cost: dict[str, Any] | None = None
    """The `cost` object (infra/cost.py `Estimate.to_json`): the monthly estimate from the price snapshot."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations or [] if v.level == "mandatory"]


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _policy_lines(plan: Plan) -> list[str]:
    if plan.violations is None:
        return ["", "Policies: skipped (--skip-policies)"]
    source = f"config {_relative(plan.policy_config)}" if plan.policy_config else "default config"
    found = [v for v in plan.violations if v.level != "not-evaluated"]
    later = [v for v in plan.violations if v.level == "not-evaluated"]
    lines = [
        "",
        f"Policies ({PACK_NAME}, {source}): {len(plan.mandatory)} mandatory, "
        f"{len(found) - len(plan.mandatory)} advisory violations",
    ]
    for v in sorted(found, key=lambda v: (v.level != "mandatory", v.policy, v.resource)):
        lines.append(f"    [{v.level}] {v.policy}  {v.resource} ({v.type}): {v.message}")
    if later:
        pending = ", ".join(sorted({f"{v.policy} ({v.resource})" for v in later}))
        lines.append(f"    not evaluated, they need values known only after apply: {pending}")
    return lines


def _catalog_line() -> str:
    return (
        f"Llama catalog as of {sources.AS_OF}: models, regions, versions and retirement dates are checked "
        "against it; `llama-on-azure preflight` asks Azure."
    )


def _warning_lines(result: RunResult) -> list[str]:
    if not result.warnings:
        return []
    return ["", f"Warnings ({len(result.warnings)}):", *(f"    {w}" for w in result.warnings)]


def render_text(plan: Plan) -> str:
    result = plan.result
    components = sum(1 for r in result.registrations if not r.custom)
    azure = len(result.registrations) - components
    lines = [
        f"Offline plan of stack '{result.stack}' (project {NAMESPACE})",
        "Pulumi's mock engine ran the program: nothing was sent to Azure, and values that Azure",
        f"assigns show as {UNKNOWN}.",
        _catalog_line(),
    ]
    if plan.subscription_id == PLACEHOLDER_SUBSCRIPTION:
        lines.append(
            "Globally unique names carry a hash of the subscription; they are computed here for a placeholder "
            "subscription (pass --subscription-id to see yours)."
        )
    lines += ["", f"+ pulumi:pulumi:Stack  {NAMESPACE}-{result.stack}", *_tree_lines(result), ""]
    lines.append(
        f"Resources: {len(result.registrations)} to create ({azure} Azure resources in {components} components)"
    )
    lines += _warning_lines(result)
    lines += _quota_lines(quota_rows(plan.result))
    lines += _policy_lines(plan)
    lines += ["", "Outputs:", *_export_lines(masked(result.exports), 1)]
    if plan.cost is not None:
        lines += text_lines(plan.cost)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan) -> str:
    """A summary for a pull-request comment: counts by type, violations, quota."""
    result = plan.result
    custom = [r for r in result.registrations if r.custom]
    verdict = "blocked by mandatory policy violations" if plan.mandatory else "passes the mandatory policies"
    if plan.violations is None:
        verdict = "policies skipped"
    lines = [
        f"### `{NAMESPACE}` offline plan: stack `{result.stack}`",
        "",
        f"**{len(custom)} Azure resources to create**, {verdict}. "
        "Computed offline under Pulumi's mock engine; nothing was sent to Azure. "
        f"Llama catalog as of {sources.AS_OF}.",
        "",
        "| resource type | count |",
        "|---|---:|",
    ]
    for type_, count in sorted(Counter(r.type for r in custom).items()):
        lines.append(f"| `{type_}` | {count} |")
    if result.warnings:
        lines += ["", "#### Warnings", "", *(f"- {_cell(w)}" for w in result.warnings)]
    endpoints = result.exports.get("endpoints") or {}
    if endpoints:
        lines += ["", "| endpoint | kind | model | api |", "|---|---|---|---|"]
        for name, e in endpoints.items():
            lines.append(f"| `{name}` | {e.get('kind')} | {e.get('model')} | {e.get('api')} |")
    if plan.violations is not None:
        found = [v for v in plan.violations if v.level != "not-evaluated"]
        lines += [
            "",
            f"#### Policy violations ({len(plan.mandatory)} mandatory, {len(found) - len(plan.mandatory)} advisory)",
        ]
        if found:
            lines += ["", "| level | policy | resource | message |", "|---|---|---|---|"]
            for v in sorted(found, key=lambda v: (v.level != "mandatory", v.policy, v.resource)):
                lines.append(f"| {v.level} | `{v.policy}` | `{v.resource}` | {_cell(v.message)} |")
        else:
            lines += ["", "None."]
    rows = quota_rows(plan.result)
    if rows:
        lines += [
            "",
            f"#### vCPU quota needed in `{plan.result.exports.get('region')}`",
            "",
            "| VM family | vCPUs | deployments |",
            "|---|---:|---|",
        ]
        for row in rows:
            lines.append(f"| `{row['family']}` | {row['vcpus']} | {'; '.join(row['deployments'])} |")
    if plan.cost is not None:
        lines += markdown_lines(plan.cost)
    return "\n".join(lines) + "\n"


def render_json(plan: Plan) -> str:
    result = plan.result
    return json.dumps(
        {
            "stack": result.stack,
            "catalogAsOf": sources.AS_OF.isoformat(),
            "warnings": result.warnings,
            "resources": [
                {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "protect": r.protect}
                | {"settings": masked(resource_summary(r))}
                for r in result.registrations
            ],
            "violations": [asdict(v) for v in plan.violations or []],
            "outputs": masked(result.exports),
            "quota": quota_rows(plan.result),
            "cost": plan.cost,
        },
        indent=2,
    )
