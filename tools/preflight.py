"""Preflight: ask Azure, before `pulumi up`, what would otherwise fail half-way through it."""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient

from catalog import api_versions, marketplace, models, regions, sources
from clients.arm import ArmClient, ArmError, checked_endpoint
from clients.credential import cloud_from_env
from clients.status import Status
from infra.config import FoundryDeployment, ManagedDeployment, StackConfig
from tools.tables import render_rows

# azure-ai-ml's pin for the registry data plane (model versions of azureml-meta).
REGISTRY_API = "2021-10-01-dataplanepreview"
REGISTRY_VARIABLE = "LLAMA_ON_AZURE_ML_REGISTRY_ENDPOINT"
"""Points registry discovery at another host: a local test server (loopback http allowed there)."""
ML, COGNITIVE = "Microsoft.MachineLearningServices", "Microsoft.CognitiveServices"
ML_API = api_versions.ML_API_VERSION
SUBSCRIPTION_API, PROVIDERS_API = api_versions.API_VERSIONS["subscriptions"], api_versions.API_VERSIONS["providers"]
PERMISSIONS_API = api_versions.API_VERSIONS["permissions"]
FOUNDRY_ACCOUNT_TYPE, FOUNDRY_KIND = f"{COGNITIVE}/accounts", "AIServices"
OK, FAIL, WARN, NOT_CHECKED = Status.OK, Status.FAIL, Status.WARN, Status.NOT_CHECKED
SKU_NAME = re.compile(r"Standard_[A-Za-z0-9_]+")


@dataclass
class Check:
    check: str
    subject: str
    status: Status
    detail: str


def _matches(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)


def allowed(action: str, permissions: list[dict[str, Any]]) -> bool:
    """ARM's rule: some permission grants the action and does not exclude it in its notActions."""
    return any(
        isinstance(p, dict)
        and _matches(action, p.get("actions") or [])
        and not _matches(action, p.get("notActions") or [])
        for p in permissions
    )


def _concrete(action: str) -> list[str]:
    # A wildcard requirement holds if the operations it stands for are granted.
    if action.endswith("/*"):
        return [action[:-1] + verb for verb in ("read", "write", "delete")]
    return [action]


def _day(value: Any) -> dt.date | None:
    """A date from whatever ARM or a generated model gives (datetime, ISO text); None when it is neither."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def allow_list(model_version: dict[str, Any]) -> list[str] | None:
    """The VM sizes a registry model version allows for managed compute, from its tags (before June 2026) or
    its system metadata (after); None when it publishes neither."""
    properties = model_version.get("properties") if isinstance(model_version.get("properties"), dict) else {}
    tags = properties.get("tags") if isinstance(properties.get("tags"), dict) else {}
    sources = [tags.get("inference_compute_allow_list")]
    for holder in (model_version, properties):
        for key in ("systemMetadata", "system_metadata"):
            metadata = holder.get(key)
            computes = metadata.get("supportedComputes") if isinstance(metadata, dict) else None
            if isinstance(computes, dict):
                sources.append(computes.get("inferenceComputes"))
    found = [name for source in sources if source for name in SKU_NAME.findall(str(source))]
    return found or None


class Preflight:
    """The checks of one stack against one subscription, through an ArmClient."""

    def __init__(
        self, config: StackConfig, client: ArmClient, subscription_id: str, stack: str, today: dt.date
    ) -> None:
        self.config, self.client, self.stack, self.today = config, client, stack, today
        self.subscription_id = subscription_id
        self.sub = f"/subscriptions/{subscription_id}"
        self.names = config.names(config.suffix_for(subscription_id))
        self.group = config.resource_group
        self.region = config.region

    def run(self) -> list[Check]:
        steps = (
            ("subscription", self.subscription),
            ("resource provider", self.providers),
            ("serverless offer", self.serverless_offers),
            ("registry model", self.managed_models),
            ("vCPU quota", self.quota),
            ("permissions", self.permissions),
            ("one endpoint per model", self.existing_endpoints),
            ("deleted key vault", self.key_vault),
            ("deleted workspace", self.workspaces),
            ("Foundry model", self.foundry_models),
            ("deleted Foundry resource", self.foundry_account),
        )
        return [check for name, step in steps for check in self._guarded(name, step)]

    def _guarded(self, name: str, step: Callable[[], list[Check]], subject: str | None = None) -> list[Check]:
        """One check on its own: when ARM fails it, its line says so with ARM's reason (`not checked` when ARM
        forbids this identity to ask) and the other checks still run. A refused sign-in ends the command."""
        try:
            return step()
        except ArmError as err:
            if err.status == 401:
                raise
            status = NOT_CHECKED if err.status == 403 else FAIL
            answer = f" (HTTP {err.status} {err.code})".replace(" )", ")") if err.status else ""
            return [Check(name, subject or self.subscription_id, status, err.message + answer)]

    @property
    def cognitive(self) -> CognitiveServicesManagementClient:
        return self.client.mgmt(CognitiveServicesManagementClient, self.subscription_id)

    # Subscription and resource providers.
    def subscription(self) -> list[Check]:
        sub = self.client.get_or_none(self.sub, SUBSCRIPTION_API)
        if sub is None:
            return [Check("subscription", self.subscription_id, FAIL, "not found, or not visible to this identity")]
        policies = sub.get("subscriptionPolicies") if isinstance(sub.get("subscriptionPolicies"), dict) else {}
        quota_id, spending = str(policies.get("quotaId") or ""), policies.get("spendingLimit")
        name = f"{sub.get('displayName', '')} ({quota_id or 'unknown offer'})"
        if sub.get("state") not in (None, "Enabled"):
            return [Check("subscription", name, FAIL, f"state is {sub.get('state')}; it must be Enabled")]
        if quota_id.startswith(marketplace.NO_MARKETPLACE_QUOTA_IDS):
            detail = "a free or trial subscription cannot subscribe to Marketplace offers"
            return [Check("subscription", name, FAIL, detail)]
        if spending == "On":
            return [Check("subscription", name, FAIL, "a spending limit is on: Marketplace purchases are blocked")]
        return [Check("subscription", name, OK, "paid subscription, enabled")]

    def _needed_types(self) -> dict[str, list[str]]:
        needed: dict[str, list[str]] = {}
        if self.config.needs_hub:
            needed[ML] = ["workspaces"]
        if self.config.serverless:
            needed[ML].append("workspaces/serverlessEndpoints")
        if self.config.managed:
            needed[ML].append("workspaces/onlineEndpoints")
        if self.config.foundry_deployments:
            needed[COGNITIVE] = ["accounts"]
        return needed

    def providers(self) -> list[Check]:
        checks = []
        for namespace, types in self._needed_types().items():
            step = functools.partial(self._provider, namespace, types)
            checks += self._guarded("resource provider", step, namespace)
        return checks

    def _provider(self, namespace: str, types: list[str]) -> list[Check]:
        provider = self.client.get(f"{self.sub}/providers/{namespace}", PROVIDERS_API)
        if provider.get("registrationState") != "Registered":
            hint = f"az provider register --namespace {namespace}"
            return [Check("resource provider", namespace, FAIL, f"not registered: run `{hint}`")]
        checks = [Check("resource provider", namespace, OK, "registered")]
        offered = self._regions_by_type(provider)
        for resource_type in types:
            subject = f"{namespace}/{resource_type} in {self.region}"
            if self.region in offered.get(resource_type.lower(), set()):
                checks.append(Check("region", subject, OK, "offered in the region"))
            else:
                checks.append(Check("region", subject, FAIL, "Azure does not offer this resource type here"))
        return checks

    @staticmethod
    def _regions_by_type(provider: dict[str, Any]) -> dict[str, set[str]]:
        by_type: dict[str, set[str]] = {}
        for entry in provider.get("resourceTypes") or []:
            if isinstance(entry, dict) and isinstance(entry.get("locations"), list):
                names = {
                    regions.normalize_region(str(loc)) or str(loc).replace(" ", "").lower()
                    for loc in entry["locations"]
                }
                by_type[str(entry.get("resourceType", "")).lower()] = names
        return by_type

    # Hub path: serverless offers, registry models, quota, existing endpoints.
    def serverless_offers(self) -> list[Check]:
        checks = []
        for d in self.config.serverless:
            offer = d.llama.serverless
            if d.llama.declared:
                source = "the stack declares it (llama-on-azure:models), the catalog does not list it"
            else:
                source = f"the catalog as of {sources.AS_OF.isoformat()} lists it in {self.region}"
            detail = f"no Azure API lists serverless offers per region; {source}"
            if offer is not None and offer.regions is None:
                detail += " (without regions)"
            checks.append(Check("serverless offer", f"{d.name}: {d.model} in {self.region}", NOT_CHECKED, detail))
        return checks

    def managed_models(self) -> list[Check]:
        if not self.config.managed:
            return []
        try:
            registry = Registry.discover(self.client)
        except RegistryUnavailable as err:
            subject = models.MODEL_REGISTRY
            return [
                Check("registry model", f"{subject}: {d.model}", NOT_CHECKED, str(err)) for d in self.config.managed
            ]
        checks: list[Check] = []
        for d in self.config.managed:
            checks += self._managed_model(registry, d)
        return checks

    def _managed_model(self, registry: Registry, d: ManagedDeployment) -> list[Check]:
        subject = f"{d.name}: {d.model} version {d.version}"
        version = registry.model_version(d.model, d.version)
        if version is None:
            detail = f"registry {registry.name} has no version {d.version} of {d.model}: pin one it has (modelVersion)"
            return [Check("registry model", subject, FAIL, detail)]
        checks = [Check("registry model", subject, OK, f"exists in registry {registry.name}")]
        skus = allow_list(version)
        sku_subject = f"{d.name}: {d.vm_sku}"
        if skus is None:
            detail = "the model card publishes no allow-list; Azure checks the VM size when it creates the deployment"
            checks.append(Check("VM size allowed", sku_subject, NOT_CHECKED, detail))
        elif d.vm_sku.lower() in {s.lower() for s in skus}:
            checks.append(Check("VM size allowed", sku_subject, OK, "in the model card's allow-list"))
        else:
            detail = f"not in the model card's allow-list: {', '.join(sorted(set(skus)))}"
            checks.append(Check("VM size allowed", sku_subject, FAIL, detail))
        return checks

    def quota(self) -> list[Check]:
        need = self.config.quota()
        if not need:
            return []
        path = f"{self.sub}/providers/{ML}/locations/{self.region}/usages"
        usages = {}
        for usage in self.client.pages(path, ML_API):
            if isinstance(usage, dict) and isinstance(usage.get("name"), dict):
                usages[str(usage["name"].get("value", "")).lower()] = usage
        return [self._quota_check(family, vcpus, usages.get(family.lower())) for family, vcpus in need.items()]

    def _quota_check(self, family: str, vcpus: int, usage: dict[str, Any] | None) -> Check:
        subject = f"{family} in {self.region}"
        free = _free(usage)
        if free is None:
            return Check("vCPU quota", subject, WARN, f"needs {vcpus} vCPUs; no quota entry found for the family")
        detail = f"needs {vcpus} vCPUs (20% upgrade reserve included where it applies); {free} free of {usage['limit']}"
        if free < vcpus:
            return Check("vCPU quota", subject, FAIL, detail + ": request more quota before pulumi up")
        return Check("vCPU quota", subject, OK, detail)

    def existing_endpoints(self) -> list[Check]:
        if not self.config.serverless:
            return []
        path = f"{self.sub}/resourceGroups/{self.group}/providers/{ML}/workspaces/{self.names.project}"
        try:
            existing = list(self.client.pages(f"{path}/serverlessEndpoints", ML_API))
        except ArmError as err:
            if err.status == 404:
                return [Check("one endpoint per model", self.names.project, OK, "the project does not exist yet")]
            raise
        by_model = {}
        for endpoint in existing:
            settings = ((endpoint.get("properties") or {}) if isinstance(endpoint, dict) else {}).get("modelSettings")
            model_id = str((settings or {}).get("modelId", "")) if isinstance(settings, dict) else ""
            by_model[model_id.lower()] = str(endpoint.get("name", ""))
        checks = []
        for d in self.config.serverless:
            other = by_model.get(d.llama.asset_id.lower())
            subject = f"{d.name}: {d.model}"
            if other and other.lower() != self.names.serverless_endpoints[d.name].lower():
                detail = f"project {self.names.project} already serves this model on endpoint {other!r}"
                checks.append(Check("one endpoint per model", subject, FAIL, detail))
            else:
                checks.append(Check("one endpoint per model", subject, OK, "no other endpoint for it"))
        return checks

    # Permissions.
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
        granted = {"subscription": at_subscription, "group": at_group if at_group is not None else at_subscription}
        checks = []
        # What deploying this stack takes, decided once in the config (the deployer role carries the same).
        for label, (scope, actions) in self.config.deployer_actions().items():
            missing = [a for a in actions if not all(allowed(c, granted[scope]) for c in _concrete(a))]
            if missing:
                checks.append(Check("permissions", label, FAIL, "missing: " + ", ".join(missing)))
            else:
                checks.append(Check("permissions", label, OK, f"all {len(actions)} actions granted"))
        return checks

    # What a destroy left behind.
    def key_vault(self) -> list[Check]:
        if not self.config.needs_hub:
            return []
        name = self.names.key_vault
        return self._guarded("deleted key vault", lambda: [self._deleted_vault(name)], name)

    def _deleted_vault(self, name: str) -> Check:
        vault = find_deleted_vault(self.client, self.subscription_id, name)
        if vault is None:
            return Check("deleted key vault", name, OK, "no soft-deleted vault holds the name")
        return Check("deleted key vault", name, FAIL, blocked_vault_detail(vault, self.stack))

    def workspaces(self) -> list[Check]:
        if not self.config.needs_hub:
            return []
        detail = (
            "no Azure API lists soft-deleted workspaces; if pulumi up fails with 'Soft-deleted workspace exists', "
            "delete them permanently in the portal (Azure Machine Learning, Recently deleted) or set "
            "llama-on-azure:nameSuffix"
        )
        return [Check("deleted workspace", f"{self.names.hub}, {self.names.project}", NOT_CHECKED, detail)]

    # Foundry path.
    def foundry_models(self) -> list[Check]:
        deployments = self.config.foundry_deployments
        if not deployments:
            return []
        offered = self.client.items(self.cognitive.models.list(self.region), f"Foundry models in {self.region}")
        checks, need = [], {}
        for d in deployments:
            found, check = self._foundry_model(d, offered)
            checks.append(check)
            if found is not None:
                need[found] = need.get(found, 0) + d.capacity
        quota = functools.partial(self._foundry_quota, need)
        return checks + self._guarded("Foundry quota", quota, self.region)

    def _foundry_model(self, d: FoundryDeployment, offered: list[Any]) -> tuple[str | None, Check]:
        subject = f"{d.name}: {d.model} {d.version} {d.sku} in {self.region}"
        same = [m.model for m in offered if m.model and m.model.name == d.model]
        if not same:
            return None, Check(
                "Foundry model", subject, FAIL, "Azure does not offer this model here as a Foundry Model"
            )
        versions = [m for m in same if m.version == d.version]
        if not versions:
            listed = ", ".join(sorted({str(m.version) for m in same}))
            return None, Check(
                "Foundry model", subject, FAIL, f"version {d.version} not offered here; offered: {listed}"
            )
        model = versions[0]
        sku = next((s for s in model.skus or [] if s.name == d.sku), None)
        if sku is None:
            listed = ", ".join(sorted(str(s.name) for s in model.skus or []))
            return None, Check(
                "Foundry model", subject, FAIL, f"deployment type {d.sku} not offered; offered: {listed}"
            )
        check = self._lifecycle(subject, model, sku)
        problem = capacity_problem(d.capacity, d.sku, sku.capacity)
        if problem:
            check = Check("Foundry model", subject, FAIL, f"{problem}; {check.detail}")
        return sku.usage_name, check

    def _lifecycle(self, subject: str, model: Any, sku: Any) -> Check:
        status = str(model.lifecycle_status or "unknown")
        dates = [_day(model.deprecation.inference) if model.deprecation else None, _day(sku.deprecation_date)]
        ends = min((d for d in dates if d), default=None)
        if status.lower() == "deprecated" or (ends and ends <= self.today):
            since = f" since {ends.isoformat()}" if ends else ""
            return Check("Foundry model", subject, FAIL, f"deprecated{since}: Azure refuses new deployments")
        if ends:
            return Check(
                "Foundry model", subject, WARN, f"offered ({status}); Azure deprecates it on {ends.isoformat()}"
            )
        return Check("Foundry model", subject, OK, f"offered ({status}), no deprecation date")

    def _foundry_quota(self, need: dict[str | None, int]) -> list[Check]:
        if not need:
            return []
        usages = self.client.items(
            self.cognitive.usages.list(self.region), f"Cognitive Services usages in {self.region}"
        )
        by_name = {str(u.name.value).lower(): u for u in usages if u.name and u.name.value}
        checks = []
        for usage_name, capacity in need.items():
            usage = by_name.get(str(usage_name).lower()) if usage_name else None
            subject = f"{usage_name or 'no usage name'} in {self.region}"
            free = _free({"limit": usage.limit, "currentValue": usage.current_value} if usage else None)
            if free is None:
                detail = f"needs {capacity}; Azure lists no usage for this model and deployment type"
                checks.append(Check("Foundry quota", subject, NOT_CHECKED, detail))
            elif free < capacity:
                detail = f"needs {capacity}, {free} free of {usage.limit:g}: lower capacity or request more quota"
                checks.append(Check("Foundry quota", subject, FAIL, detail))
            else:
                checks.append(Check("Foundry quota", subject, OK, f"needs {capacity}, {free} free of {usage.limit:g}"))
        return checks

    def foundry_account(self) -> list[Check]:
        if not self.config.foundry_deployments:
            return []
        name = self.names.foundry_account
        deleted = self._guarded("deleted Foundry resource", lambda: [self._deleted_account(name)], name)
        return deleted + self._guarded("custom subdomain", lambda: [self._subdomain(name)], name)

    def _deleted_account(self, name: str) -> Check:
        deleted = find_deleted_account(self.client, self.subscription_id, self.region, self.group, name)
        if deleted is None:
            return Check("deleted Foundry resource", name, OK, "no soft-deleted account holds the name")
        detail = f"soft-deleted, which blocks the name for 48 hours: run `llama-on-azure purge --stack {self.stack}`"
        return Check("deleted Foundry resource", name, FAIL, detail)

    def _subdomain(self, name: str) -> Check:
        cognitive = self.cognitive
        answer = self.client.call(
            "check the custom subdomain",
            lambda: cognitive.check_domain_availability(name, FOUNDRY_ACCOUNT_TYPE, FOUNDRY_KIND),
        )
        if answer.is_subdomain_available:
            return Check("custom subdomain", name, OK, "available")
        if self._own_account(cognitive, name):
            return Check("custom subdomain", name, OK, "this stack's own Foundry resource has it")
        detail = f"taken by another resource ({answer.reason or 'no reason given'}): set llama-on-azure:nameSuffix"
        return Check("custom subdomain", name, FAIL, detail)

    def _own_account(self, cognitive: CognitiveServicesManagementClient, name: str) -> bool:
        try:
            self.client.call("read the Foundry resource", lambda: cognitive.accounts.get(self.group, name))
        except ArmError as err:
            if err.status == 404:
                return False
            raise
        return True


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def capacity_problem(capacity: int, sku_name: str, limits: Any) -> str | None:
    """Why Azure would refuse `capacity` for a deployment type, from the model list's `skus[].capacity`
    (minimum, maximum, step between allowed values, allowed values); None when it fits or nothing is listed."""
    minimum, maximum, step = (_whole(getattr(limits, k, None)) for k in ("minimum", "maximum", "step"))
    allowed = [v for v in getattr(limits, "allowed_values", None) or [] if _whole(v) is not None]
    step = step if step and step > 1 else None
    # The API calls step "the minimal incremental between allowed values": minimum, minimum + step, ...
    fits = (minimum is None or capacity >= minimum) and (maximum is None or capacity <= maximum)
    fits = fits and (step is None or (capacity - (minimum or 0)) % step == 0)
    fits = fits and (not allowed or capacity in allowed)
    if fits:
        return None
    listed = _range(minimum, maximum, step, allowed)
    return f"capacity {capacity} is outside what Azure lists for {sku_name} here: {listed}"


def _range(minimum: int | None, maximum: int | None, step: int | None, allowed: list[int]) -> str:
    if minimum is not None and maximum is not None:
        bounds = f"{minimum} to {maximum}"
    else:
        bounds = f"at least {minimum}" if minimum is not None else f"at most {maximum}" if maximum is not None else ""
    text = " ".join(w for w in (bounds, f"in steps of {step}" if step else "") if w)
    return "; ".join(w for w in (text, "one of " + ", ".join(map(str, allowed)) if allowed else "") if w)


def _free(usage: dict[str, Any] | None) -> int | None:
    try:
        return int(float(usage["limit"]) - float(usage["currentValue"])) if usage else None
    except (KeyError, TypeError, ValueError):
        return None


def find_deleted_vault(client: ArmClient, subscription_id: str, name: str) -> Any | None:
    """The soft-deleted key vault of this name in the subscription (vault names are global; any region)."""
    vaults = client.mgmt(KeyVaultManagementClient, subscription_id).vaults
    for vault in client.items(vaults.list_deleted(), "list deleted key vaults"):
        if str(vault.name).lower() == name.lower():
            return vault
    return None


def blocked_vault_detail(vault: Any, stack: str) -> str:
    properties = vault.properties
    until = _day(getattr(properties, "scheduled_purge_date", None))
    when = until.isoformat() if until else "the end of its retention"
    if getattr(properties, "purge_protection_enabled", False):
        return (
            f"soft-deleted with purge protection: the name is blocked until {when}; set llama-on-azure:nameSuffix "
            "to deploy under new names"
        )
    return f"soft-deleted (Azure purges it on {when}): run `llama-on-azure purge --stack {stack}`"


def find_deleted_account(client: ArmClient, subscription_id: str, region: str, group: str, name: str) -> Any | None:
    cognitive = client.mgmt(CognitiveServicesManagementClient, subscription_id)
    try:
        return client.call(
            "read the deleted Foundry resource", lambda: cognitive.deleted_accounts.get(region, group, name)
        )
    except ArmError as err:
        if err.status == 404:
            return None
        raise


class RegistryUnavailable(Exception):
    """The registry could not be asked; the checks that need it are `not checked`, with this reason."""


class Registry:
    """The azureml-meta registry's model versions, asked the way azure-ai-ml does: discovery, then the registry's
    host. The ARM token goes only to a host under the cloud's Azure ML domain (or the test override's origin)."""

    def __init__(self, client: ArmClient, name: str, base: str, subscription: str, group: str) -> None:
        self.client, self.name, self.base = client, name, base
        self.path = f"/mferp/managementfrontend/subscriptions/{subscription}/resourceGroups/{group}/providers/{ML}"

    @classmethod
    def discover(cls, arm: ArmClient, environ: dict[str, str] | None = None) -> Registry:
        environ = os.environ if environ is None else environ
        name = models.MODEL_REGISTRY.split("/")[3]
        discovery = environ.get(REGISTRY_VARIABLE) or cloud_from_env(environ).ml_registry_discovery
        client = arm.sibling(checked_endpoint(discovery, REGISTRY_VARIABLE))
        try:
            found = client.get(f"/registrymanagement/v1.0/registries/{name}/discovery", "v1.0")
        except ArmError as err:
            raise RegistryUnavailable(f"registry discovery failed: {err.message}") from None
        host, subscription, group = (
            found.get(k) for k in ("primaryRegionResourceProviderUri", "subscriptionId", "resourceGroup")
        )
        if not all(isinstance(v, str) and v for v in (host, subscription, group)):
            raise RegistryUnavailable("registry discovery gave no host, subscription or resource group")
        if not _registry_host(host, discovery, cloud_from_env(environ).ml_domain):
            named = urllib.parse.urlsplit(host).netloc
            raise RegistryUnavailable(f"registry discovery named {named!r}, not an Azure ML host: no token sent there")
        return cls(arm.sibling(host), name, host, subscription, group)

    def model_version(self, model: str, version: int) -> dict[str, Any] | None:
        path = f"{self.path}/registries/{self.name}/models/{model}/versions/{version}"
        return self.client.get_or_none(path, REGISTRY_API)


def _registry_host(url: str, discovery: str, domain: str) -> bool:
    parts, home = urllib.parse.urlsplit(url), urllib.parse.urlsplit(discovery)
    if (parts.scheme, parts.netloc) == (home.scheme, home.netloc):
        return True  # the discovery host itself (the test override serves both)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == domain or host.endswith("." + domain)) and parts.port in (None, 443)


def render_table(checks: Iterable[Check]) -> str:
    checks = list(checks)
    rows = [(c.check, c.subject, c.status.upper(), c.detail) for c in checks]
    lines = render_rows(("check", "subject", "result", "detail"), rows)
    counts = {status: sum(c.status == status for c in checks) for status in (FAIL, WARN, NOT_CHECKED)}
    summary = f"{len(checks)} checks: {counts[FAIL]} failed, {counts[WARN]} warnings, {counts[NOT_CHECKED]} not checked"
    lines += ["", summary + ("" if counts[FAIL] else ", ready for pulumi up")]
    return "\n".join(lines) + "\n"
