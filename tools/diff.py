"""`llama-on-azure diff`: what a change does to a stack, resource by resource, from its plans before and after."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.tokens import COGNITIVE_TYPES as CS
from catalog.tokens import ML_TYPES as ML
from clients import json_input
from clients.errors import UserError
from clients.redact import SECRET
from infra.config.types import NAMESPACE, shown
from tools.cost import cost_delta, delta_lines, markdown_lines
from tools.files import read_capped
from tools.plan_document import document_problems
from tools.render import (
    MARKDOWN_LIMIT,
    SCHEMA_VERSION,
    UNKNOWN,
    cell,
    cut,
    fit,
    flatten,
    policy_section,
    quota_section,
    setting_text,
    show,
    verdict,
    warning_section,
)

MAX_PLAN_BYTES = 64 << 20
"""A plan of 200 deployments is a few megabytes; a larger file is not one of ours."""
PULUMI_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How `pulumi preview --json` writes a value known only after apply (the offline plan writes UNKNOWN)."""
OPS = ("create", "update", "replace", "delete", "same")

# Why a change of these inputs makes Pulumi replace the resource rather than update it: each is part of the
# resource's ARM id (/subscriptions/<s>/resourceGroups/<g>/providers/<type>/<name>[/<child type>/<name>]) or
# something Azure will not change in place. A rule of thumb read offline: `pulumi preview` asks the provider.
NAME = "its name: part of its ARM id, and a new id is a new resource"
GROUP = "its resource group: part of its ARM id (a move is `az resource move`, not an update)"
REGION = "its region: Azure does not move a resource to another region, it creates a new one there"
PARENTS = {
    "workspaceName": "its workspace (hub project): part of its ARM id",
    "endpointName": "its online endpoint: part of its ARM id",
    "accountName": "its Foundry resource: part of its ARM id",
    "virtualNetworkName": "its virtual network: part of its ARM id",
    "privateEndpointName": "its private endpoint: part of its ARM id",
    "privateZoneName": "its private DNS zone: part of its ARM id",
    "containerName": "its blob container: part of its id",
    "vaultName": "its key vault: part of its ARM id",
}
SCOPE = "its scope: the start of its ARM id"
STORAGE_ACCOUNT = "its storage account: part of its id"
VERSION = "its version: part of its ARM id, and a registered version is immutable"
PRINCIPAL = "its principal: Azure refuses to change a role assignment's principal (RoleAssignmentUpdateNotPermitted)"
TRAFFIC = "its endpoint: the traffic provider replaces a split that moves to another endpoint"
WATCHED = "the resource it belongs to: a diagnostic setting is an extension of that resource, part of its id"


def _arm(name: str, *parents: str, located: bool = True) -> dict[str, str]:
    """The inputs that form a resource's ARM id (its name, its group, its parents), and its region."""
    return {name: NAME, "resourceGroupName": GROUP, **{p: PARENTS[p] for p in parents}} | (
        {"location": REGION} if located else {}
    )


REPLACED_BY: dict[str, dict[str, str]] = {
    "azure-native:resources:ResourceGroup": {"resourceGroupName": NAME, "location": REGION},
    "azure-native:storage:StorageAccount": _arm("accountName"),
    "azure-native:keyvault:Vault": _arm("vaultName"),
    "azure-native:operationalinsights:Workspace": _arm("workspaceName"),
    "azure-native:applicationinsights:Component": _arm("resourceName"),
    "azure-native:containerregistry:Registry": _arm("registryName"),
    f"{ML}:Workspace": _arm("workspaceName"),
    f"{ML}:MarketplaceSubscription": _arm("name", "workspaceName", located=False),
    f"{ML}:ManagedNetworkSettingsRule": _arm("ruleName", "workspaceName", located=False),
    f"{ML}:ModelVersion": {**_arm("name", "workspaceName", located=False), "version": VERSION},
    f"{ML}:EnvironmentVersion": {**_arm("name", "workspaceName", located=False), "version": VERSION},
    "azure-native:storage:BlobContainer": {**_arm("containerName", located=False), "accountName": STORAGE_ACCOUNT},
    "azure-native:storage:Blob": {
        **_arm("blobName", "containerName", located=False),
        "accountName": STORAGE_ACCOUNT,
    },
    "azure-native:network:VirtualNetwork": _arm("virtualNetworkName"),
    "azure-native:network:Subnet": _arm("subnetName", "virtualNetworkName", located=False),
    "azure-native:network:PrivateEndpoint": {
        **_arm("privateEndpointName"),
        "subnet": "its subnet: Azure does not move a private endpoint's network interface to another subnet",
        "customNetworkInterfaceName": "its network interface's name: set when the endpoint is created",
    },
    "azure-native:network:PrivateDnsZoneGroup": _arm("privateDnsZoneGroupName", "privateEndpointName", located=False),
    "azure-native:privatedns:PrivateZone": _arm("privateZoneName", located=False),
    "azure-native:privatedns:VirtualNetworkLink": _arm("virtualNetworkLinkName", "privateZoneName", located=False),
    f"{ML}:ServerlessEndpoint": _arm("name", "workspaceName"),
    f"{ML}:OnlineEndpoint": _arm("endpointName", "workspaceName"),
    f"{ML}:OnlineDeployment": _arm("deploymentName", "endpointName", "workspaceName"),
    f"{CS}:Account": _arm("accountName"),
    f"{CS}:Project": _arm("projectName", "accountName"),
    f"{CS}:Deployment": _arm("deploymentName", "accountName", located=False),
    f"{CS}:RaiPolicy": _arm("raiPolicyName", "accountName", located=False),
    "azure-native:authorization:RoleDefinition": {"roleDefinitionId": NAME, "scope": SCOPE},
    "azure-native:authorization:RoleAssignment": {"roleAssignmentName": NAME, "scope": SCOPE, "principalId": PRINCIPAL},
    "azure-native:consumption:Budget": {"budgetName": NAME, "scope": SCOPE},
    "azure-native:monitor:DiagnosticSetting": {"name": NAME, "resourceUri": WATCHED},
    "azure-native:monitor:MetricAlert": _arm("ruleName", located=False),
    "azure-native:monitor:ActionGroup": _arm("actionGroupName", located=False),
    "azure-native:keyvault:Secret": _arm("secretName", "vaultName", located=False),
    "pulumi-python:dynamic:Resource": {"endpointId": TRAFFIC},
}
"""Resource type -> the inputs whose change replaces it, each with why (README, "Add an environment")."""


class DiffError(UserError):
    """A plan file the diff cannot read: names the file and what is wrong."""


class _Absent:
    """A property or resource one side does not have."""

    def __repr__(self) -> str:
        return "(none)"


ABSENT = _Absent()


@dataclass(frozen=True)
class Change:
    path: str
    """Pulumi's property path (`sku.name`, `tags["managed-by"]`, `permissions[0].actions[2]`)."""
    old: Any
    new: Any
    replaces: str | None = None
    """Why this change replaces the resource; None for an update in place."""

    def as_json(self) -> dict[str, Any]:
        sides = {k: v for k, v in (("old", self.old), ("new", self.new)) if v is not ABSENT}
        return {"path": self.path, **sides} | ({"replaces": self.replaces} if self.replaces else {})


@dataclass(frozen=True)
class ResourceDiff:
    op: str
    urn: str
    type: str
    custom: bool
    settings: dict[str, Any]
    """The reviewer's settings of the resource (the old plan's for a delete)."""
    changes: tuple[Change, ...] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class PlanDiff:
    stack: str
    old: dict[str, Any] | None
    """None: the stack file does not exist on that side."""
    new: dict[str, Any] | None
    resources: list[ResourceDiff] = field(default_factory=list)
    outputs: list[Change] = field(default_factory=list)

    def count(self, op: str) -> int:
        return sum(1 for r in self.resources if r.custom and r.op == op)

    @property
    def notes(self) -> list[tuple[str, str]]:
        """(Note or Warning, text): what a reviewer must know beside the ops."""
        file = f"Pulumi.{self.stack}.yaml"
        if self.old is None:
            return [("Note", f"{file} is new: every resource is created.")]
        if self.new is None:
            return [
                (
                    "Warning",
                    f"{file} is removed, and CI destroys nothing: its resources stay in Azure and in the stack's "
                    f"state. To remove them, run `pulumi destroy --stack {self.stack}` (then `pulumi stack rm "
                    f"{self.stack}`) from a checkout of the base commit, which still has the stack file.",
                )
            ]
        return []

    @property
    def cost(self) -> dict[str, Any] | None:
        """The monthly change and the cost lines behind it (tools.cost.cost_delta); None when neither plan has a
        cost estimate. A side without a stack file, or a plan from before estimates, counts as nothing."""
        costs = [(p or {}).get("cost") for p in (self.old, self.new)]
        if not any(isinstance(c, dict) for c in costs):
            return None
        old, new = (c if isinstance(c, dict) else None for c in costs)
        return cost_delta(old, new)


# --- Reading plans ---


def load_plan(path: Path) -> dict[str, Any] | None:
    """A plan written by `plan --format json`; an empty file (such as /dev/null) is a stack without a stack file."""
    data = read_capped(path, MAX_PLAN_BYTES, DiffError, "plan")
    if not data.strip():
        return None
    try:
        plan = json_input.loads(data.decode("utf-8", errors="replace"))
    except json_input.NotJson as exc:
        raise DiffError(f"plan {path}: not JSON ({exc})") from None
    problems = _shape_problems(plan)
    if problems:
        raise DiffError(f"plan {path}: not a plan of `llama-on-azure plan --format json`: {'; '.join(problems)}")
    return plan


def _shape_problems(plan: Any) -> list[str]:
    if not isinstance(plan, dict):
        return ["a JSON object expected"]
    if plan.get("schemaVersion") != SCHEMA_VERSION:
        return [
            f"schemaVersion is {shown(plan['schemaVersion']) if 'schemaVersion' in plan else '(none)'}, this version "
            f"reads {SCHEMA_VERSION}: "
            "make both plans with one llama-on-azure"
        ]
    return document_problems(plan)


# --- Comparing ---


def _unknown(value: Any) -> bool:
    return value in (UNKNOWN, PULUMI_UNKNOWN)


def _same(old: Any, new: Any) -> bool:
    return old == new or (_unknown(old) and _unknown(new))


def _leaves(value: dict[str, Any]) -> dict[str, Any]:
    """Property path -> value, without the engine's own `__` inputs (a dynamic provider's code, always secret)."""
    return flatten({k: v for k, v in value.items() if not k.startswith("__")}) if value else {}


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def changes(type_: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What differs between two states of one resource (inputs, and its `protect` option)."""
    replacing = REPLACED_BY.get(type_, {})
    before = _leaves(old.get("inputs", {})) | {"(protect)": bool(old.get("protect"))}
    after = _leaves(new.get("inputs", {})) | {"(protect)": bool(new.get("protect"))}
    found = []
    for path in sorted(before.keys() | after.keys()):
        a, b = before.get(path, ABSENT), after.get(path, ABSENT)
        if not _same(a, b):
            found.append(Change(path, a, b, replacing.get(_top(path))))
    return found


def _resource(old: dict[str, Any] | None, new: dict[str, Any] | None) -> ResourceDiff:
    step = new or old
    assert step is not None
    state = step["newState"]
    type_ = step.get("type") or state.get("type", "")
    custom, settings = bool(state.get("custom")), step.get("settings") or {}
    if old is None or new is None:
        return ResourceDiff("create" if old is None else "delete", step["urn"], type_, custom, settings)
    found = tuple(changes(type_, old["newState"], new["newState"]))
    op = "same" if not found else "replace" if any(c.replaces for c in found) else "update"
    return ResourceDiff(op, step["urn"], type_, custom, settings, found)


def compare(old: dict[str, Any] | None, new: dict[str, Any] | None) -> PlanDiff:
    """The diff of two plans of one stack, resources matched by URN (a renamed resource is a delete and a create)."""
    if old is None and new is None:
        raise DiffError("neither plan exists: give at least one plan of `llama-on-azure plan --format json`")
    if old is not None and new is not None and old["stack"] != new["stack"]:
        raise DiffError(f"the plans are of two stacks, {old['stack']!r} and {new['stack']!r}: compare one stack's")
    stack = (new or old or {})["stack"]
    before = {s["urn"]: s for s in (old or {}).get("steps", []) if s.get("type") != "pulumi:pulumi:Stack"}
    after = {s["urn"]: s for s in (new or {}).get("steps", []) if s.get("type") != "pulumi:pulumi:Stack"}
    resources = [_resource(before.get(urn), step) for urn, step in after.items()]
    resources += [_resource(step, None) for urn, step in before.items() if urn not in after]
    outs_before, outs_after = _leaves((old or {}).get("outputs", {})), _leaves((new or {}).get("outputs", {}))
    outputs = [
        Change(path, outs_before.get(path, ABSENT), outs_after.get(path, ABSENT))
        for path in sorted(outs_before.keys() | outs_after.keys())
        if not _same(outs_before.get(path, ABSENT), outs_after.get(path, ABSENT))
    ]
    return PlanDiff(stack, old, new, resources, outputs)


# --- Rendering ---


def _value(value: Any) -> str:
    """A value one side has, strings quoted (so "1" and 1 differ); the markers of secrets and unknowns as they are."""
    if value is ABSENT:
        return "(none)"
    plain = not isinstance(value, str) or value in (SECRET, UNKNOWN, PULUMI_UNKNOWN)
    return cut(show(UNKNOWN if _unknown(value) else value) if plain else json.dumps(value))


def _change_text(change: Change) -> str:
    why = f" (replaces: {change.replaces})" if change.replaces else ""
    return f"{change.path}: {_value(change.old)} -> {_value(change.new)}{why}"


def _headline(diff: PlanDiff) -> str:
    counts = [f"{diff.count(op)} to {op}" for op in OPS if op != "same"]
    return ", ".join(counts) + f", {diff.count('same')} unchanged"


def _cost_lines(diff: PlanDiff) -> list[str]:
    """`Cost: +$13,943.00/month`, then the lines that make the change."""
    return [] if diff.cost is None else delta_lines(diff.cost)


SIGNS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}
AUTHORITY = (
    "Two offline plans compared under Pulumi's mock engine (nothing asked of Azure); `pulumi preview` is the "
    "authority on what Azure and the provider do"
)


def render_text(diff: PlanDiff) -> str:
    lines = [f"Offline diff of stack '{diff.stack}' (project {NAMESPACE}): {_headline(diff)}", f"{AUTHORITY}.", ""]
    lines += [f"{level.lower()}: {note}" for level, note in diff.notes]
    lines += _cost_lines(diff)
    for r in diff.resources:
        if r.op == "same" or not r.custom:
            continue
        detail = f"  {setting_text(r.settings)}" if r.op in ("create", "delete") and r.settings else ""
        lines.append(f"{SIGNS[r.op]:<2} {r.op:<8} {r.type}  {r.name}{detail}")
        lines += [f"        {_change_text(c)}" for c in r.changes]
    if diff.outputs:
        lines += ["", "Outputs:", *(f"    {_change_text(c)}" for c in diff.outputs)]
    return "\n".join(lines) + "\n"


def _row(r: ResourceDiff) -> str:
    op = f"**{r.op}**" if r.op in ("replace", "delete") else r.op
    what = setting_text(r.settings) if r.op in ("create", "delete") else "; ".join(map(_change_text, r.changes))
    return f"| {op} | `{cell(r.name)}` | `{r.type}` | {cell(what, 1500)} |"


def render_markdown(diff: PlanDiff, limit: int = MARKDOWN_LIMIT) -> str:
    """The pull-request comment of one stack: what changes, the head's policy results, then the details."""
    head = diff.new or {}
    judged = f"the head {verdict(head)}" if diff.new is not None else "the stack file is removed"
    lines = [
        f"### `{NAMESPACE}`: what this pull request changes in stack `{diff.stack}`",
        "",
        f"**{_headline(diff)}** (Azure resources); {judged}. {AUTHORITY}; Llama catalog as of "
        f"{head.get('catalogAsOf') or (diff.old or {}).get('catalogAsOf')}.",
    ]
    lines += [line for level, note in diff.notes for line in ("", f"> **{level}**: {note}")]
    if cost := _cost_lines(diff):
        head_line, *changes = cost
        lines += ["", f"**{head_line}**", *(["", *(f"- {c.strip()}" for c in changes)] if changes else [])]
    lines += policy_section(head) + warning_section(head)
    changed = [r for r in diff.resources if r.custom and r.op != "same"]
    if changed:
        lines += ["", "#### Resources that change", "", "| op | resource | type | what changes |", "|---|---|---|---|"]
        lines += [_row(r) for r in sorted(changed, key=lambda r: OPS.index(r.op))]
    if diff.outputs:
        lines += ["", "#### Outputs that change", "", "| output | before | after |", "|---|---|---|"]
        lines += [f"| `{cell(c.path)}` | {cell(_value(c.old))} | {cell(_value(c.new))} |" for c in diff.outputs]
    lines += quota_section(head)
    if isinstance(head.get("cost"), dict):
        lines += markdown_lines(head["cost"])
    return fit(lines, limit, "`llama-on-azure diff --format json` of the run's plans has everything")


def _detailed(change: Change) -> dict[str, Any]:
    kind = "add" if change.old is ABSENT else "delete" if change.new is ABSENT else "update"
    return {"kind": f"{kind}-replace" if change.replaces else kind, "inputDiff": True}


def diff_document(diff: PlanDiff) -> dict[str, Any]:
    """`diff --format json`: the ops as `pulumi preview --json` writes them (diffReasons, replaceReasons,
    detailedDiff), with each change's old and new value."""
    steps = []
    for r in diff.resources:
        step: dict[str, Any] = {"op": r.op, "urn": r.urn, "type": r.type}
        if r.changes:
            step["diffReasons"] = sorted({_top(c.path) for c in r.changes})
            step["replaceReasons"] = sorted({_top(c.path) for c in r.changes if c.replaces})
            step["detailedDiff"] = {c.path: _detailed(c) for c in r.changes}
            step["changes"] = [c.as_json() for c in r.changes]
        steps.append(step)
    document: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "project": NAMESPACE,
        "stack": diff.stack,
        "changeSummary": {op: diff.count(op) for op in OPS},
        "steps": steps,
        "outputs": [c.as_json() for c in diff.outputs],
        "warnings": [note for level, note in diff.notes if level == "Warning"],
        "notes": [note for level, note in diff.notes if level == "Note"],
    }
    if diff.cost is not None:
        document["cost"] = diff.cost
    return document


def render_json(diff: PlanDiff) -> str:
    return json.dumps(diff_document(diff), indent=2) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
