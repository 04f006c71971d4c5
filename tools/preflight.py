"""Preflight: ask ARM, before `pulumi up`, what would otherwise fail half-way through it."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from components import catalog
from components.arm import ArmClient, ArmError
from infra.config import StackConfig

ML_API = "2025-12-01"
SUBSCRIPTION_API = "2022-12-01"
PROVIDERS_API = "2021-04-01"
PERMISSIONS_API = "2022-04-01"
# Offer types that cannot buy from Azure Marketplace (free trial, student credit) [SEED: paid subscription].
NO_MARKETPLACE_QUOTA_IDS = ("FreeTrial", "AzureForStudents", "AzurePass", "Sponsored")
# Needed on top of the how-to's list when the stack manages roles (Contributor lacks them).
ROLE_ACTIONS = ("Microsoft.Authorization/roleDefinitions/write", "Microsoft.Authorization/roleAssignments/write")


@dataclass
class Check:
    check: str
    subject: str
    status: str
    """ok, warn or fail."""
    detail: str


def _matches(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def allowed(action: str, permissions: list[dict[str, Any]]) -> bool:
    """ARM's rule: some permission grants the action and does not exclude it in its notActions."""
    return any(
        _matches(action, p.get("actions") or []) and not _matches(action, p.get("notActions") or [])
        for p in permissions
    )


def _concrete(action: str) -> list[str]:
    # A wildcard requirement holds if the operations it stands for are granted.
    if action.endswith("/*"):
        return [action[:-1] + verb for verb in ("read", "write", "delete")]
    return [action]


class Preflight:
    """The checks of one stack against one subscription, through an ArmClient."""

    def __init__(self, config: StackConfig, client: ArmClient, subscription_id: str) -> None:
        self.config = config
        self.client = client
        self.sub = f"/subscriptions/{subscription_id}"
        self.names = config.names(config.suffix_for(subscription_id))
        self.group = config.resource_group
        self.project = self.names.project
        self.serverless = config.serverless

    def run(self) -> list[Check]:
        checks: list[Check] = []
        for step in (self.subscription, self.serverless_offered, self.quota, self.permissions, self.existing_endpoints):
            checks += step()
        return checks

    def subscription(self) -> list[Check]:
        sub = self.client.get(self.sub, SUBSCRIPTION_API) or {}
        quota_id = (sub.get("subscriptionPolicies") or {}).get("quotaId", "")
        spending = (sub.get("subscriptionPolicies") or {}).get("spendingLimit", "")
        name = f"{sub.get('displayName', '')} ({quota_id or 'unknown offer'})"
        if sub.get("state") not in (None, "Enabled"):
            return [Check("subscription", name, "fail", f"state is {sub.get('state')}; it must be Enabled")]
        if quota_id.startswith(NO_MARKETPLACE_QUOTA_IDS):
            return [
                Check(
                    "subscription", name, "fail", "a free or trial subscription cannot subscribe to Marketplace offers"
                )
            ]
        if spending == "On":
            return [Check("subscription", name, "fail", "a spending limit is on: Marketplace purchases are blocked")]
        return [Check("subscription", name, "ok", "paid subscription, enabled")]

    def serverless_offered(self) -> list[Check]:
        if not self.serverless:
            return []
        provider = self.client.get(f"{self.sub}/providers/Microsoft.MachineLearningServices", PROVIDERS_API) or {}
        if provider.get("registrationState") != "Registered":
            hint = "az provider register --namespace Microsoft.MachineLearningServices"
            return [
                Check(
                    "serverless offer", "Microsoft.MachineLearningServices", "fail", f"provider not registered: {hint}"
                )
            ]
        types = {t.get("resourceType", "").lower(): t for t in provider.get("resourceTypes") or []}
        offered = {
            catalog.normalize_region(loc) or loc.replace(" ", "").lower()
            for loc in (types.get("workspaces/serverlessendpoints") or {}).get("locations") or []
        }
        checks = []
        for d in self.serverless:
            offer = d.llama.serverless
            subject = f"{d.name}: {d.model} in {self.config.region}"
            if self.config.region not in offered:
                checks.append(
                    Check("serverless offer", subject, "fail", "serverless endpoints are not offered in this region")
                )
            elif offer is None or (offer.regions is not None and self.config.region not in offer.regions):
                checks.append(Check("serverless offer", subject, "fail", "no pay-as-you-go offer for this model here"))
            else:
                checks.append(Check("serverless offer", subject, "ok", "serverless endpoints offered in the region"))
        return checks

    def quota(self) -> list[Check]:
        need = self.config.quota()
        if not need:
            return []
        path = f"{self.sub}/providers/Microsoft.MachineLearningServices/locations/{self.config.region}/usages"
        usages = {(u.get("name") or {}).get("value", "").lower(): u for u in self.client.pages(path, ML_API)}
        checks = []
        for family, vcpus in need.items():
            usage = usages.get(family.lower())
            subject = f"{family} in {self.config.region}"
            if usage is None:
                checks.append(
                    Check("vCPU quota", subject, "warn", f"needs {vcpus} vCPUs; no quota entry found for the family")
                )
                continue
            free = int(usage.get("limit", 0)) - int(usage.get("currentValue", 0))
            status = "ok" if free >= vcpus else "fail"
            detail = (
                f"needs {vcpus} vCPUs (20% upgrade reserve included where it applies); "
                f"{free} free of {usage.get('limit')}"
            )
            if status == "fail":
                detail += ": request more quota before pulumi up"
            checks.append(Check("vCPU quota", subject, status, detail))
        return checks

    def _permissions(self, scope: str) -> list[dict[str, Any]] | None:
        try:
            return list(self.client.pages(f"{scope}/providers/Microsoft.Authorization/permissions", PERMISSIONS_API))
        except ArmError as err:
            if err.status == 404:
                return None  # the scope does not exist yet: what holds above it applies
            raise

    def permissions(self) -> list[Check]:
        at_subscription = self._permissions(self.sub) or []
        at_group = self._permissions(f"{self.sub}/resourceGroups/{self.group}")
        scoped = at_group if at_group is not None else at_subscription
        required = {
            "subscription": (catalog.DEPLOYER_ACTIONS["subscription"], at_subscription),
            "resource group": (catalog.DEPLOYER_ACTIONS["resourceGroup"], scoped),
            "project": (catalog.DEPLOYER_ACTIONS["project"], scoped),
        }
        if self.config.access.enabled:
            required["role management"] = (ROLE_ACTIONS, at_subscription)
        checks = []
        for scope, (actions, permissions) in required.items():
            missing = [a for a in actions if not all(allowed(c, permissions) for c in _concrete(a))]
            if missing:
                checks.append(Check("permissions", scope, "fail", "missing: " + ", ".join(missing)))
            else:
                checks.append(Check("permissions", scope, "ok", f"all {len(actions)} actions granted"))
        return checks

    def existing_endpoints(self) -> list[Check]:
        if not self.serverless:
            return []
        path = (
            f"{self.sub}/resourceGroups/{self.group}/providers/Microsoft.MachineLearningServices/"
            f"workspaces/{self.project}/serverlessEndpoints"
        )
        try:
            existing = list(self.client.pages(path, ML_API))
        except ArmError as err:
            if err.status == 404:
                return [Check("one endpoint per model", self.project, "ok", "the project does not exist yet")]
            raise
        by_model = {}
        for endpoint in existing:
            model_id = ((endpoint.get("properties") or {}).get("modelSettings") or {}).get("modelId", "")
            by_model[model_id.lower()] = endpoint.get("name", "")
        checks = []
        for d in self.serverless:
            other = by_model.get(d.llama.asset_id.lower())
            if other and other.lower() != self.names.serverless_endpoints[d.name].lower():
                checks.append(
                    Check(
                        "one endpoint per model",
                        f"{d.name}: {d.model}",
                        "fail",
                        f"project {self.project} already serves this model on endpoint {other!r}",
                    )
                )
            else:
                checks.append(Check("one endpoint per model", f"{d.name}: {d.model}", "ok", "no other endpoint for it"))
        return checks


def render_table(checks: list[Check]) -> str:
    headers = ("check", "subject", "result", "detail")
    rows = [(c.check, c.subject, c.status.upper(), c.detail) for c in checks]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(3)]
    lines = []
    for row in [headers, *rows]:
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
    failed = sum(c.status == "fail" for c in checks)
    lines.append("")
    lines.append(f"{len(checks)} checks: {failed} failed" + ("" if failed else ", ready for pulumi up"))
    return "\n".join(lines) + "\n"
