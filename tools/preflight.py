"""Preflight: ask Azure, before `pulumi up`, what would otherwise fail half-way through it."""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import os
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices import models as cs_models
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault import models as kv_models

from catalog import api_versions, marketplace, models, regions, vm_skus
from clients.arm import ArmClient, ArmError, arm_date, checked_endpoint
from clients.credential import cloud_from_env
from clients.errors import UserError
from clients.identifiers import shown_url, url_origin
from clients.status import Status
from components.foundry_resource import KIND as FOUNDRY_KIND
from infra.config.stack import ResolvedStack
from infra.cost import estimate
from infra.kinds import Platform
from infra.kinds.base import Billing, Check, PriceBook
from tools.cost import money
from tools.tables import render_rows

# azure-ai-ml's pin for the registry data plane (model versions of azureml-meta).
REGISTRY_API = "2021-10-01-dataplanepreview"
REGISTRY_VARIABLE = "LLAMA_ON_AZURE_ML_REGISTRY_ENDPOINT"
"""Points registry discovery at another host: a local test server (loopback http allowed there)."""
ML, COGNITIVE = "Microsoft.MachineLearningServices", "Microsoft.CognitiveServices"
ML_API = api_versions.ML_API_VERSION
SUBSCRIPTION_API, PROVIDERS_API = api_versions.API_VERSIONS["subscriptions"], api_versions.API_VERSIONS["providers"]
PERMISSIONS_API = api_versions.API_VERSIONS["permissions"]
NETWORK, NETWORK_API = "Microsoft.Network", api_versions.API_VERSIONS["Microsoft.Network"]
DNS_API = api_versions.API_VERSIONS["privateDnsZones"]
FOUNDRY_ACCOUNT_TYPE = f"{COGNITIVE}/accounts"
OK, FAIL, WARN, NOT_CHECKED = Status.OK, Status.FAIL, Status.WARN, Status.NOT_CHECKED


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


class Preflight:
    """The checks of one stack against one subscription, through an ArmClient."""

    def __init__(
        self,
        config: ResolvedStack,
        client: ArmClient,
        subscription_id: str,
        stack: str,
        today: dt.date,
        prices: Callable[[str], PriceBook] | None = None,
    ) -> None:
        self.config, self.client, self.stack, self.today = config, client, stack, today
        self.prices = prices
        """Currency -> the Retail Prices API as a price book (no sign-in); None: no cost check."""
        self.subscription_id = subscription_id
        self.sub = f"/subscriptions/{subscription_id}"
        self.names = config.names(config.suffix_for(subscription_id))
        self.group = config.resource_group
        self.region = config.region
        self._registry: Registry | None = None

    def run(self) -> list[Check]:
        checks = self.guarded("subscription", self.subscription)
        checks += self.guarded("resource provider", self.providers)
        for kind, deployments in self.config.kinds:
            checks += kind.preflight(self, deployments)
        checks += self.guarded("permissions", self.permissions)
        if self.config.needs(Platform.HUB):
            checks += self.key_vault() + self.workspaces()
        if self.config.needs(Platform.FOUNDRY):
            checks += self.foundry_account()
        if self.config.private:
            checks += self.network()
        return checks + self.cost()

    def cost(self) -> list[Check]:
        """Today's list prices from the Retail Prices API against the snapshot and the budget: one line."""
        if self.prices is None:
            return []
        budget, subject = self.config.config.budget, f"monthly estimate of {self.stack}"
        try:
            live = estimate(self.config, self.prices(budget.currency))
        except UserError as err:
            return [Check("cost", subject, NOT_CHECKED, str(err))]
        offline, currency = estimate(self.config), live.currency
        detail = (
            f"fixed {money(live.fixed, currency)}/month at today's list prices "
            f"(snapshot of {offline.as_of}: {money(offline.fixed, currency)})"
        )
        unknown = [line.label for line in live.unknown if line.billing is Billing.FIXED]
        if budget.enabled and live.fixed > Decimal(str(budget.amount)):
            over = f"{detail}: over the budget of {money(budget.amount, currency)}"
            return [Check("cost", subject, FAIL, over + "; raise budget.amount or deploy less")]
        if budget.enabled:
            detail += f", within the budget of {money(budget.amount, currency)}"
        if unknown:
            return [Check("cost", subject, WARN, f"{detail}; price unknown: {'; '.join(unknown)}")]
        return [Check("cost", subject, OK, detail)]

    def guarded(self, name: str, step: Callable[[], list[Check]], subject: str | None = None) -> list[Check]:
        """One check on its own: when ARM fails it, its line says so with ARM's reason (`not checked` when ARM
        forbids this identity to ask) and the other checks still run. A refused sign-in ends the command."""
        try:
            return step()
        except ArmError as err:
            if err.status == 401:
                raise
            answer = f" (HTTP {err.status} {err.code})".replace(" )", ")") if err.status else ""
            if err.status == 403:
                refused = _refused(err)
                return [Check(name, subject or self.subscription_id, NOT_CHECKED, err.message + answer, refused)]
            return [Check(name, subject or self.subscription_id, FAIL, err.message + answer)]

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
        if "state" not in sub:
            return [
                Check(
                    "subscription", name, FAIL, "ARM's answer has no state: it cannot say the subscription is enabled"
                )
            ]
        if sub.get("state") != "Enabled":
            return [Check("subscription", name, FAIL, f"state is {sub.get('state')}; it must be Enabled")]
        if not self.config.buys_marketplace:
            return [Check("subscription", name, OK, "enabled (the stack buys nothing through Marketplace)")]
        if refusal := marketplace.refusal(quota_id):
            return [Check("subscription", name, FAIL, refusal)]
        if spending == "On":
            return [Check("subscription", name, FAIL, "a spending limit is on: Marketplace purchases are blocked")]
        return [Check("subscription", name, OK, "paid subscription, enabled")]

    def _needed_types(self) -> dict[str, list[str]]:
        needed: dict[str, list[str]] = {}
        if self.config.needs(Platform.HUB):
            needed[ML] = ["workspaces"]
        if self.config.needs(Platform.FOUNDRY):
            needed[COGNITIVE] = ["accounts"]
        for kind, _ in self.config.kinds:
            for namespace, types in kind.provider_types.items():
                needed.setdefault(namespace, []).extend(types)
        if self.config.private:  # endpoints live in the subnet's region, checked with the network
            needed.setdefault(NETWORK, [])
        return needed

    def providers(self) -> list[Check]:
        checks = []
        for namespace, types in self._needed_types().items():
            step = functools.partial(self._provider, namespace, types)
            checks += self.guarded("resource provider", step, namespace)
        return checks

    def _provider(self, namespace: str, types: list[str]) -> list[Check]:
        provider = self.client.get(f"{self.sub}/providers/{namespace}", PROVIDERS_API)
        if "registrationState" not in provider:
            return [Check("resource provider", namespace, FAIL, "ARM's answer has no registrationState")]
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

    # What the kinds ask.
    def registry(self) -> Registry:
        """The azureml-meta registry, found once; a UserError when it cannot be asked."""
        if self._registry is None:
            try:
                self._registry = Registry.discover(self.client)
            except RegistryUnavailable as err:
                raise UserError(str(err)) from None
        return self._registry

    def ml_usages(self) -> dict[str, dict[str, Any]]:
        """The subscription's Machine Learning usages in the region, by `vm_skus.family_key` of their names."""
        path = f"{self.sub}/providers/{ML}/locations/{self.region}/usages"
        usages = {}
        for usage in self.client.pages(path, ML_API):
            if isinstance(usage, dict) and isinstance(usage.get("name"), dict):
                usages[vm_skus.family_key(str(usage["name"].get("value", "")))] = usage
        return usages

    def project_children(self, collection: str) -> list[Any] | None:
        """The hub project's resources of one collection (serverlessEndpoints); None when there is no project."""
        path = f"{self.sub}/resourceGroups/{self.group}/providers/{ML}/workspaces/{self.names.project}/{collection}"
        try:
            return list(self.client.pages(path, ML_API))
        except ArmError as err:
            if err.status == 404:
                return None
            raise

    def foundry_models(self) -> list[Any]:
        listed = self.cognitive.models.list(self.region)
        return self.client.items(listed, f"Foundry models in {self.region}", cs_models.Model)

    def foundry_usages(self) -> list[Any]:
        listed = self.cognitive.usages.list(self.region)
        return self.client.items(listed, f"Cognitive Services usages in {self.region}", cs_models.Usage)

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
            if scope not in granted:  # a resource of the landing zone: what holds on it is asked there
                try:
                    found = self._permissions(scope)
                except ArmError as err:
                    if err.status == 401:
                        raise
                    status = NOT_CHECKED if err.status == 403 else FAIL
                    checks.append(Check("permissions", label, status, f"{err.message} (HTTP {err.status})"))
                    continue
                if found is None:
                    checks.append(Check("permissions", label, FAIL, f"{scope} does not exist or is not visible"))
                    continue
                granted[scope] = found
            missing = [a for a in actions if not all(allowed(c, granted[scope]) for c in _concrete(a))]
            if missing:
                checks.append(Check("permissions", label, FAIL, "missing: " + ", ".join(missing)))
            else:
                checks.append(Check("permissions", label, OK, f"all {len(actions)} actions granted"))
        return checks

    # The private network.
    def network(self) -> list[Check]:
        net = self.config.config.network
        if net.subnet_id is None:
            return self.guarded("private endpoints", self._endpoint_region, self.config.endpoint_region)
        checks = self.guarded("subnet", self._subnet, net.subnet_id.rsplit("/", 1)[-1])
        zone_ids = {name.lower(): zone_id for name, zone_id in net.dns_zones.items()}
        for zone in self.config.dns_zones():
            step = functools.partial(self._zone, zone, zone_ids[zone.lower()])
            checks += self.guarded("private DNS zone", step, zone)
        return checks

    def _endpoint_region(self) -> list[Check]:
        provider = self.client.get(f"{self.sub}/providers/{NETWORK}", PROVIDERS_API)
        region, offered = self.config.endpoint_region, self._regions_by_type(provider)
        subject = f"{NETWORK}/privateEndpoints in {region}"
        if region in offered.get("privateendpoints", set()):
            return [Check("region", subject, OK, "offered in the region")]
        return [Check("region", subject, FAIL, "Azure does not offer private endpoints here")]

    def _subnet(self) -> list[Check]:
        subnet_id = str(self.config.config.network.subnet_id)
        name, subscription = subnet_id.rsplit("/", 1)[-1], subnet_id.split("/")[2]
        if subscription.lower() != self.subscription_id.lower():
            detail = (
                f"in subscription {subscription}, not {self.subscription_id}: a private endpoint must be in the "
                "subscription of its virtual network (llama-on-azure:network.subnetId)"
            )
            return [Check("subnet", name, FAIL, detail)]
        subnet = self.client.get_or_none(subnet_id, NETWORK_API)
        if subnet is None:
            return [Check("subnet", name, FAIL, f"{subnet_id} does not exist (llama-on-azure:network.subnetId)")]
        properties = subnet.get("properties") if isinstance(subnet.get("properties"), dict) else {}
        network = self.client.get_or_none(subnet_id.rsplit("/subnets/", 1)[0], NETWORK_API) or {}
        return [self._subnet_policies(name, properties), self._subnet_region(name, network.get("location"))]

    @staticmethod
    def _subnet_policies(name: str, properties: dict[str, Any]) -> Check:
        # Any value of privateEndpointNetworkPolicies allows private endpoints [pe-network-policies]; a subnet
        # delegated to a service takes none of them.
        delegations = properties.get("delegations")
        if isinstance(delegations, list) and delegations:
            services = ", ".join(
                str((d.get("properties") or {}).get("serviceName", "a service")) if isinstance(d, dict) else "?"
                for d in delegations
            )
            return Check("subnet", name, FAIL, f"delegated to {services}: private endpoints need a subnet of their own")
        policies = properties.get("privateEndpointNetworkPolicies") or "Disabled"
        return Check("subnet", name, OK, f"exists; privateEndpointNetworkPolicies {policies} allows private endpoints")

    def _subnet_region(self, name: str, location: Any) -> Check:
        where = regions.normalize_region(str(location)) if isinstance(location, str) else None
        wanted = self.config.endpoint_region
        if where is None:
            return Check("subnet region", name, NOT_CHECKED, "Azure did not say the virtual network's region")
        if where != wanted:
            detail = (
                f"its virtual network is in {where}, the private endpoints would be in {wanted}: set "
                f"llama-on-azure:network.subnetRegion: {where}"
            )
            return Check("subnet region", name, FAIL, detail)
        return Check("subnet region", name, OK, f"{where}, where the private endpoints go")

    def _zone(self, zone: str, zone_id: str) -> list[Check]:
        if self.client.get_or_none(zone_id, DNS_API) is None:
            detail = f"{zone_id} does not exist (llama-on-azure:network.dnsZones)"
            return [Check("private DNS zone", zone, FAIL, detail)]
        network_id = str(self.config.config.network.subnet_id).rsplit("/subnets/", 1)[0].lower()
        linked = [
            str(((link.get("properties") or {}).get("virtualNetwork") or {}).get("id", "")).lower()
            for link in self.client.pages(f"{zone_id}/virtualNetworkLinks", DNS_API)
            if isinstance(link, dict)
        ]
        if network_id in linked:
            return [Check("private DNS zone", zone, OK, "exists, linked to the subnet's virtual network")]
        if linked:
            detail = (
                f"exists, linked to {len(linked)} other virtual network(s), not the subnet's: its names resolve there "
                "only through DNS forwarding, which preflight cannot see"
            )
            return [Check("private DNS zone", zone, NOT_CHECKED, detail)]
        detail = "exists but is linked to no virtual network: nothing resolves the private endpoints' names"
        return [Check("private DNS zone", zone, FAIL, detail)]

    # What a destroy left behind.
    def key_vault(self) -> list[Check]:
        name = self.names.key_vault
        return self.guarded("deleted key vault", lambda: [self._deleted_vault(name)], name)

    def _deleted_vault(self, name: str) -> Check:
        vault = find_deleted_vault(self.client, self.subscription_id, name)
        if vault is None:
            return Check("deleted key vault", name, OK, "no soft-deleted vault holds the name")
        return Check("deleted key vault", name, FAIL, blocked_vault_detail(vault, self.stack))

    def workspaces(self) -> list[Check]:
        detail = (
            "no Azure API lists soft-deleted workspaces; if pulumi up fails with 'Soft-deleted workspace exists', "
            "delete them permanently in the portal (Azure Machine Learning, Recently deleted) or set "
            "llama-on-azure:nameSuffix"
        )
        return [Check("deleted workspace", f"{self.names.hub}, {self.names.project}", NOT_CHECKED, detail)]

    # Foundry path.
    def foundry_account(self) -> list[Check]:
        name = self.names.foundry_account
        deleted = self.guarded("deleted Foundry resource", lambda: [self._deleted_account(name)], name)
        return deleted + self.guarded("custom subdomain", lambda: [self._subdomain(name)], name)

    def _deleted_account(self, name: str) -> Check:
        deleted = find_deleted_account(self.client, self.subscription_id, self.region, self.group, name)
        if deleted is None:
            return Check("deleted Foundry resource", name, OK, "no soft-deleted account holds the name")
        detail = f"soft-deleted, which blocks the name for 48 hours: run `llama-on-azure purge --stack {self.stack}`"
        return Check("deleted Foundry resource", name, FAIL, detail)

    def _subdomain(self, name: str) -> Check:
        cognitive = self.cognitive
        what = "check the custom subdomain"
        answer = self.client.call(
            what,
            lambda: cognitive.check_domain_availability(name, FOUNDRY_ACCOUNT_TYPE, FOUNDRY_KIND),
            cs_models.DomainAvailability,
        )
        if not isinstance(answer.is_subdomain_available, bool):
            raise ArmError(200, "BadResponse", f"{what}: the answer says neither available nor taken")
        if answer.is_subdomain_available:
            return Check("custom subdomain", name, OK, "available")
        if self._own_account(cognitive, name):
            return Check("custom subdomain", name, OK, "this stack's own Foundry resource has it")
        detail = f"taken by another resource ({answer.reason or 'no reason given'}): set llama-on-azure:nameSuffix"
        return Check("custom subdomain", name, FAIL, detail)

    def _own_account(self, cognitive: CognitiveServicesManagementClient, name: str) -> bool:
        try:
            self.client.call(
                "read the Foundry resource", lambda: cognitive.accounts.get(self.group, name), cs_models.Account
            )
        except ArmError as err:
            if err.status == 404:
                return False
            raise
        return True


def find_deleted_vault(client: ArmClient, subscription_id: str, name: str) -> Any | None:
    """The soft-deleted key vault of this name in the subscription (vault names are global; any region)."""
    vaults = client.mgmt(KeyVaultManagementClient, subscription_id).vaults
    for vault in client.items(vaults.list_deleted(), "list deleted key vaults", kv_models.DeletedVault):
        if str(vault.name).lower() == name.lower():
            return vault
    return None


def deleted_vault_location(vault: Any) -> str:
    """Where a soft-deleted vault is kept (its purge is asked there); an answer without one is not ARM's."""
    location = getattr(getattr(vault, "properties", None), "location", None)
    if not isinstance(location, str) or not location:
        raise ArmError(200, "BadResponse", f"list deleted key vaults: {vault.name} has no location in ARM's answer")
    return location


def blocked_vault_detail(vault: Any, stack: str) -> str:
    properties = vault.properties
    until = arm_date(getattr(properties, "scheduled_purge_date", None))
    when = until.isoformat() if until else "the end of its retention"
    if getattr(properties, "purge_protection_enabled", False):
        return (
            f"soft-deleted with purge protection: the name is blocked until {when}; set llama-on-azure:nameSuffix "
            "to deploy under new names"
        )
    return f"soft-deleted (Azure purges it on {when}): run `llama-on-azure purge --stack {stack}`"


def find_deleted_account(client: ArmClient, subscription_id: str, region: str, group: str, name: str) -> Any | None:
    cognitive = client.mgmt(CognitiveServicesManagementClient, subscription_id)
    what = "read the deleted Foundry resource"
    try:
        account = client.call(what, lambda: cognitive.deleted_accounts.get(region, group, name), cs_models.Account)
    except ArmError as err:
        if err.status == 404:
            return None
        raise
    if str(account.name).lower() != name.lower():
        raise ArmError(200, "BadResponse", f"{what}: the answer is not the account {name}")
    return account


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
            raise ArmError(err.status, err.code, f"registry discovery: {err.message}") from None
        host, subscription, group = (
            found.get(k) for k in ("primaryRegionResourceProviderUri", "subscriptionId", "resourceGroup")
        )
        if not all(isinstance(v, str) and v for v in (host, subscription, group)):
            raise ArmError(200, "BadResponse", "registry discovery gave no host, subscription or resource group")
        if not _registry_host(host, discovery, cloud_from_env(environ).ml_domain):
            raise RegistryUnavailable(
                f"registry discovery named {shown_url(host)!r}, not an Azure ML host: no token sent there"
            )
        return cls(arm.sibling(host), name, host, subscription, group)

    def model_version(self, model: str, version: int) -> dict[str, Any] | None:
        path = f"{self.path}/registries/{self.name}/models/{model}/versions/{version}"
        return self.client.get_or_none(path, REGISTRY_API)


def _registry_host(url: str, discovery: str, domain: str) -> bool:
    try:
        scheme, host, port = origin = url_origin(url)
        if origin == url_origin(discovery):
            return True  # the discovery host itself (the test override serves both)
    except ValueError:
        return False  # a URL the HTTP libraries read apart names no host a token may go to
    return scheme == "https" and (host == domain or host.endswith("." + domain)) and port == 443


_ACTION = re.compile(r"perform action '([^'\s]{1,200})'")


def _refused(err: ArmError) -> str:
    """What a 403 did not let this identity see: the action ARM names, else the request that was refused."""
    match = _ACTION.search(err.message)
    return match.group(1) if match else err.message.split(": not allowed", 1)[0]


def not_allowed(checks: Iterable[Check]) -> list[str]:
    """What ARM refused to show this identity, once each, in the order asked."""
    return list(dict.fromkeys(c.not_allowed for c in checks if c.not_allowed))


def ready(checks: Iterable[Check]) -> bool:
    """Ready for `pulumi up`: nothing failed and nothing was refused. A check no Azure API answers stays not
    checked without blocking (its line says what to do); one ARM refused was not made, so readiness is unknown."""
    checks = list(checks)
    return not any(c.status == FAIL for c in checks) and not not_allowed(checks)


def verdict(checks: Iterable[Check]) -> str:
    checks = list(checks)
    counts = {status: sum(c.status == status for c in checks) for status in (FAIL, WARN, NOT_CHECKED)}
    summary = f"{len(checks)} checks: {counts[FAIL]} failed, {counts[WARN]} warnings, {counts[NOT_CHECKED]} not checked"
    refused = not_allowed(checks)
    if refused:
        return f"{summary}; not ready for pulumi up: this identity may not: {', '.join(refused)} (HTTP 403)"
    return summary + ("" if counts[FAIL] else ", ready for pulumi up")


def check_json(check: Check) -> dict[str, Any]:
    found = {"check": check.check, "subject": check.subject, "status": check.status, "detail": check.detail}
    return found | ({"notAllowed": check.not_allowed} if check.not_allowed else {})


def render_table(checks: Iterable[Check]) -> str:
    checks = list(checks)
    rows = [(c.check, c.subject, c.status.upper(), c.detail) for c in checks]
    lines = render_rows(("check", "subject", "result", "detail"), rows)
    lines += ["", verdict(checks)]
    return "\n".join(lines) + "\n"
