"""Offline plan: what `pulumi up` would create for a stack, from the program's registrations."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from catalog import rbac, sources, vm_skus
from catalog.tokens import ML_TYPES as _ML
from infra.config.types import NAMESPACE
from infra.exports import ENDPOINTS
from infra.kinds import KINDS
from policy.rules import PACK_NAME, lookup
from tools.cost import markdown_lines, text_lines
from tools.engine import PLACEHOLDER_SUBSCRIPTION, Registration, RunResult, masked
from tools.policy_check import Violation
from tools.render import (
    MARKDOWN_LIMIT,
    SCHEMA_VERSION,
    UNKNOWN,
    cell,
    fit,
    output_section,
    policy_section,
    quota_section,
    setting_text,
    show,
    verdict,
    warning_section,
)

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
ROLE_NAMES = {role.id: role.name for role in rbac.BUILT_IN_ROLES}
"""Built-in role GUID -> its name, for the role assignments a plan shows."""

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
        "publicNetworkAccess",
    ),
    "azure-native:keyvault:Vault": (
        "properties.enableRbacAuthorization",
        "properties.enableSoftDelete",
        "properties.enablePurgeProtection",
        "properties.publicNetworkAccess",
    ),
    "azure-native:operationalinsights:Workspace": ("sku.name", "retentionInDays"),
    "azure-native:applicationinsights:Component": ("ingestionMode",),
    "azure-native:containerregistry:Registry": ("sku.name", "adminUserEnabled", "publicNetworkAccess"),
    f"{_ML}:Workspace": ("kind", "identity.type", "publicNetworkAccess", "managedNetwork.isolationMode"),
    "azure-native:network:VirtualNetwork": ("addressSpace.addressPrefixes",),
    "azure-native:network:Subnet": ("addressPrefix", "privateEndpointNetworkPolicies"),
    "azure-native:network:PrivateEndpoint": ("privateLinkServiceConnections",),
    "azure-native:privatedns:VirtualNetworkLink": ("registrationEnabled",),
    f"{_ML}:ManagedNetworkSettingsRule": ("properties.type", "properties.destination"),
    "azure-native:cognitiveservices:Account": (
        "properties.customSubDomainName",
        "properties.disableLocalAuth",
        "properties.publicNetworkAccess",
    ),
    ROLE_DEFINITION: ("roleName", "roleType"),
    "azure-native:monitor:DiagnosticSetting": ("logs", "metrics", "logAnalyticsDestinationType"),
    "azure-native:monitor:MetricAlert": ("severity", "windowSize", "criteria.allOf"),
    "azure-native:monitor:ActionGroup": ("groupShortName", "emailReceivers", "webhookReceivers"),
    "azure-native:keyvault:Secret": ("properties",),
}
for _kind in KINDS.values():
    KEY_SETTINGS |= _kind.plan_settings


def _named(reg: Registration) -> str:
    """A resource as a reviewer knows it: its type without the package, and its Azure name."""
    return f"{reg.type.split(':', 1)[-1]} {reg.outputs.get('name') or reg.name}"


def _depends_on(reg: Registration, prop: str, by_urn: dict[str, Registration]) -> list[Registration]:
    return [by_urn[urn] for urn in reg.property_dependencies.get(prop, []) if urn in by_urn]


def _role(reg: Registration, by_urn: dict[str, Registration]) -> Any:
    """A role assignment's role by name: a built-in role's, or the custom role this stack defines."""
    role_id = reg.inputs.get("roleDefinitionId")
    guid = role_id.rsplit("/", 1)[-1] if isinstance(role_id, str) else ""
    defined = [r for r in by_urn.values() if r.type == ROLE_DEFINITION and r.inputs.get("roleDefinitionId") == guid]
    defined = defined or [r for r in _depends_on(reg, "roleDefinitionId", by_urn) if r.type == ROLE_DEFINITION]
    return defined[0].inputs.get("roleName", UNKNOWN) if defined else ROLE_NAMES.get(guid, role_id)


def _scope(reg: Registration, by_urn: dict[str, Registration]) -> Any:
    """A role assignment's scope; one that Azure assigns (a new resource's id) as the resource it is the id of."""
    scope = reg.inputs.get("scope")
    owners = _depends_on(reg, "scope", by_urn)
    return f"id of {_named(owners[0])}" if scope == UNKNOWN and len(owners) == 1 else scope


def _role_assignment(reg: Registration, by_urn: dict[str, Registration]) -> dict[str, Any]:
    principal = reg.inputs.get("principalId")
    kind = reg.inputs.get("principalType")
    return {
        "role": _role(reg, by_urn),
        "scope": _scope(reg, by_urn),
        "principal": f"{principal} ({kind})" if isinstance(principal, str) and isinstance(kind, str) else principal,
    }


def resource_summary(reg: Registration, by_urn: dict[str, Registration] | None = None) -> dict[str, Any]:
    """The physical name, region and key settings of one registration; a role assignment's role by name, its
    scope and principal instead of its name (a GUID Azure derives)."""
    if reg.type == ROLE_ASSIGNMENT:
        return _role_assignment(reg, by_urn or {})
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


def summaries(result: RunResult) -> dict[str, dict[str, Any]]:
    """URN -> the masked summary of each registration (see resource_summary)."""
    by_urn = {r.urn: r for r in result.registrations}
    return {r.urn: masked(resource_summary(r, by_urn)) for r in result.registrations}


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
    summary = summaries(result)

    def first_create(reg: Registration) -> int:
        # A component sorts by its earliest child, so the tree reads in the order Azure would see it.
        own = [order[reg.urn]] if reg.custom else []
        return min(own + [first_create(c) for c in children.get(reg.urn, [])], default=0)

    def walk(parent: str, depth: int) -> None:
        for reg in sorted(children.get(parent, []), key=lambda r: (first_create(r), r.name)):
            flags = " [protected]" if reg.protect else ""
            settings = summary[reg.urn]
            detail = "  " + ", ".join(f"{k}={show(v)}" for k, v in settings.items()) if settings else ""
            lines.append(f"{'    ' * depth}+ {reg.type}  {reg.name}{flags}{detail}")
            walk(reg.urn, depth + 1)

    walk("", 1)
    return lines


def _export_lines(value: Any, depth: int) -> list[str]:
    pad = "    " * depth
    lines: list[str] = []
    for key, item in sorted(value.items()):
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_export_lines(item, depth + 1))
        else:
            lines.append(f"{pad}{key}: {show(item)}")
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
    notes: tuple[str, ...] = ()
    """What reading the stack file warned about (an ESC import, a null value): shown first among the warnings."""
    cost: dict[str, Any] | None = None
    """The `cost` object (infra/cost.py `Estimate.to_json`): the monthly estimate from the price snapshot."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations or [] if v.level == "mandatory"]

    @property
    def warnings(self) -> list[str]:
        return [*self.notes, *self.result.warnings]


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


def _warning_lines(warnings: list[str]) -> list[str]:
    if not warnings:
        return []
    return ["", f"Warnings ({len(warnings)}):", *(f"    {w}" for w in warnings)]


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
    lines += _warning_lines(plan.warnings)
    lines += _quota_lines(quota_rows(plan.result))
    lines += _policy_lines(plan)
    lines += ["", "Outputs:", *_export_lines(masked(result.exports), 1)]
    if plan.cost is not None:
        lines += text_lines(plan.cost)
    return "\n".join(lines) + "\n"


# --- The plan as data: `pulumi preview --json`'s shape, plus what the project adds ---


def stack_urn(stack: str) -> str:
    return f"urn:pulumi:{stack}::{NAMESPACE}::pulumi:pulumi:Stack::{NAMESPACE}-{stack}"


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    return [_sorted(v) for v in value] if isinstance(value, list) else value


def _step(reg: Registration, root: str, settings: dict[str, Any]) -> dict[str, Any]:
    """One `create` step as `pulumi preview --json` has it (no provider: the mock engine has none), plus the
    settings a reviewer reads."""
    state = {
        "urn": reg.urn,
        "type": reg.type,
        "custom": reg.custom,
        "parent": reg.parent or root,
        "inputs": masked(reg.inputs),
        "protect": reg.protect,
        "dependencies": reg.dependencies,
        "propertyDependencies": {k: v for k, v in reg.property_dependencies.items() if v},
    }
    return {"op": "create", "urn": reg.urn, "type": reg.type, "newState": state, "settings": settings}


def plan_document(plan: Plan) -> dict[str, Any]:
    """What `plan --format json` prints (README, "Plans as data")."""
    result = plan.result
    root = stack_urn(result.stack)
    stack_state = {"urn": root, "type": "pulumi:pulumi:Stack", "custom": False, "inputs": {}}
    summary = summaries(result)
    steps = [{"op": "create", "urn": root, "type": "pulumi:pulumi:Stack", "newState": stack_state, "settings": {}}]
    steps += [_step(r, root, summary[r.urn]) for r in result.registrations]
    document = {
        "schemaVersion": SCHEMA_VERSION,
        "project": NAMESPACE,
        "stack": result.stack,
        "catalogAsOf": sources.AS_OF.isoformat(),
        "subscriptionId": plan.subscription_id,
        "changeSummary": {"create": len(steps)},
        "steps": steps,
        "outputs": _sorted(masked(result.exports)),
        "warnings": plan.warnings,
        "policies": {
            "pack": PACK_NAME,
            "config": _relative(plan.policy_config) if plan.policy_config else None,
            "skipped": plan.violations is None,
        },
        "violations": [asdict(v) for v in plan.violations or []],
        "quota": quota_rows(result),
    }
    if plan.cost is not None:
        document["cost"] = plan.cost
    return document


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2)


def render_markdown(plan: Plan, limit: int = MARKDOWN_LIMIT) -> str:
    """A summary for a pull-request comment: counts by type, settings per resource, violations, quota, outputs."""
    return document_markdown(plan_document(plan), limit)


def document_markdown(document: dict[str, Any], limit: int = MARKDOWN_LIMIT) -> str:
    custom = [s for s in document["steps"] if s["newState"].get("custom")]
    lines = [
        f"### `{NAMESPACE}` offline plan: stack `{document['stack']}`",
        "",
        f"**{len(custom)} Azure resources to create**, {verdict(document)}. "
        "Computed offline under Pulumi's mock engine; nothing was sent to Azure. "
        f"Llama catalog as of {document.get('catalogAsOf')}.",
        "",
        "| resource type | count |",
        "|---|---:|",
    ]
    for type_, count in sorted(Counter(s["type"] for s in custom).items()):
        lines.append(f"| `{type_}` | {count} |")
    lines += warning_section(document)
    endpoints = document.get("outputs", {}).get(ENDPOINTS) or {}
    if isinstance(endpoints, dict) and endpoints:
        lines += ["", "| endpoint | kind | model | api |", "|---|---|---|---|"]
        for name, e in sorted(endpoints.items()):
            lines.append(f"| `{name}` | {e.get('kind')} | {e.get('model')} | {e.get('api')} |")
    lines += policy_section(document)
    lines += quota_section(document)
    if document.get("cost") is not None:
        lines += markdown_lines(document["cost"])
    lines += ["", "#### Resources", "", "| resource | type | settings |", "|---|---|---|"]
    for step in custom:
        name = step["urn"].rsplit("::", 1)[-1]
        lines.append(f"| `{cell(name)}` | `{step['type']}` | {cell(setting_text(step.get('settings', {})), 2000)} |")
    lines += output_section(document.get("outputs", {}))
    return fit(lines, limit, "`llama-on-azure plan --format json` has everything")
