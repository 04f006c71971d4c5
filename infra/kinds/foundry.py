"""`kind: foundry`: a Foundry Model deployment on the stack's Foundry resource (Microsoft's preferred path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pulumi_azure_native import cognitiveservices as cs
from pydantic import Field

from catalog import content_filters, endpoints, limits, models, monitoring, prices, rbac, sources
from catalog.conflicts import CONFLICTS
from catalog.tokens import COGNITIVE_TYPES
from clients.arm import arm_date
from clients.status import Status
from components.content_filter import ContentFilterPolicy, ContentFilterPolicyArgs
from components.model_deployment import FoundryModelDeployment, FoundryModelDeploymentArgs
from infra.config.types import NAMESPACE, ModelVersion, choices, key_for
from infra.kinds.base import (
    AlertRule,
    Billing,
    CallSpec,
    Check,
    CostLine,
    Deployment,
    DeploymentConfig,
    ExpectedTokens,
    Export,
    Kind,
    Platform,
    PriceBook,
    Protocol,
    cost_line,
    openai_base,
    token_lines,
)

if TYPE_CHECKING:
    from infra.config.model import ContentFilter
    from infra.config.rules import Rules
    from infra.config.stack import ResolvedStack
    from infra.platforms import Platforms

LIMITS = limits.LIMITS
DEFAULT_CONTENT_FILTER = "default"
"""The name a deployment gives for Microsoft's default guardrails (Microsoft.DefaultV2)."""


class FoundryConfig(DeploymentConfig):
    """`kind: foundry`: a model deployment on the stack's Foundry resource."""

    kind: Literal["foundry"]
    model_version: ModelVersion | None = None
    sku: str = Field(default=models.GLOBAL_STANDARD, min_length=1)
    """The deployment type."""
    capacity: int = Field(default=1, ge=LIMITS.foundry_capacity[0], le=LIMITS.foundry_capacity[1])
    content_filter: str = DEFAULT_CONTENT_FILTER
    """`default` (Microsoft.DefaultV2) or a policy of `llama-on-azure:contentFilters`."""
    version_upgrade: Literal["NoAutoUpgrade", "OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired"] = (
        "NoAutoUpgrade"
    )
    expected_tokens: ExpectedTokens | None = None
    """Tokens a month, for the cost estimate of a per-token deployment type (a provisioned one bills per PTU-hour)."""


class FoundryDeployment(Deployment[FoundryConfig]):
    @property
    def offer(self) -> models.FoundryOffer:
        assert self.llama.foundry is not None, "validated: the model is offered as a Foundry Model"
        return self.llama.foundry

    @property
    def version(self) -> str:
        return self.config.model_version or self.offer.latest  # type: ignore[return-value]


class Foundry(Kind[FoundryDeployment]):
    name = "foundry"
    title = "a Foundry Model deployment on the stack's Foundry resource"
    config = FoundryConfig
    deployment = FoundryDeployment
    offer = "foundry"
    platform = Platform.FOUNDRY
    plan_settings: ClassVar[dict[str, tuple[str, ...]]] = {
        f"{COGNITIVE_TYPES}:Deployment": (
            "properties.model",
            "sku.name",
            "sku.capacity",
            "properties.raiPolicyName",
            "properties.versionUpgradeOption",
        ),
        f"{COGNITIVE_TYPES}:RaiPolicy": ("properties.basePolicyName", "properties.mode"),
    }
    exports = ("deployment",)
    alerts = ("throttling", "serverErrors", "latency", "utilization")

    # The config.
    def rules(self, check: Rules, deployments: list[FoundryDeployment]) -> None:
        self.each(
            check,
            deployments,
            lambda d: self._version(check, d),
            lambda d: self._type(check, d),
            lambda d: self._capacity(check, d),
            lambda d: self._content_filter(check, d),
            lambda d: self._expected_tokens(check, d),
        )
        if len(deployments) > LIMITS.max_foundry_deployments_per_resource:
            check.error(
                f"{key_for('deployments')}: {len(deployments)} foundry deployments; a Foundry resource holds at most "
                f"{LIMITS.max_foundry_deployments_per_resource}"
            )

    @staticmethod
    def _version(check: Rules, d: FoundryDeployment) -> None:
        pinned, offer = d.config.model_version, d.offer
        if pinned is None and not offer.versions:
            check.error(f"{d.key}.modelVersion: required for {d.model}, whose versions the catalog does not know")
        elif pinned is not None and offer.versions and pinned not in offer.versions:
            check.error(
                f"{d.key}.modelVersion: {pinned!r} is not a version of {d.model} offered as a Foundry Model; "
                f"{choices(offer.versions, pinned, 'offered:')} (as of {sources.AS_OF}; `llama-on-azure preflight` "
                "lists Azure's)"
            )

    @staticmethod
    def _type(check: Rules, d: FoundryDeployment) -> None:
        if d.config.sku not in d.offer.deployment_types:
            check.error(
                f"{d.key}.sku: {d.config.sku!r} is not a deployment type offered for {d.model}; "
                f"{choices(d.offer.deployment_types, d.config.sku)}"
            )

    @staticmethod
    def _capacity(check: Rules, d: FoundryDeployment) -> None:
        capacity, sku = d.config.capacity, d.config.sku
        if sku == models.GLOBAL_PROVISIONED:
            low, step = LIMITS.provisioned_minimum, LIMITS.provisioned_step
            if capacity < low or capacity % step:
                check.error(
                    f"{d.key}.capacity: {capacity} is not allowed for {sku}; at least {low} PTU in steps of {step} "
                    f"({sources.cite('ptu')})"
                )
        elif capacity * LIMITS.foundry_capacity_unit_tpm > LIMITS.foundry_default_quota_tpm:
            check.warn(
                f"{d.key}.capacity: {capacity} is above the documented default quota of {d.model} "
                f"({LIMITS.foundry_default_quota_tpm:,} tokens per minute, "
                f"{LIMITS.foundry_default_quota_tpm // LIMITS.foundry_capacity_unit_tpm} units): request more quota "
                f"first; {CONFLICTS['foundry-capacity-unit'].sentence()}"
            )

    @staticmethod
    def _content_filter(check: Rules, d: FoundryDeployment) -> None:
        filters = check.section("contentFilters")
        if filters is None:
            return  # the section failed: its errors are reported at the policy itself
        name = d.config.content_filter
        if name != DEFAULT_CONTENT_FILTER and name not in filters:
            names = choices([DEFAULT_CONTENT_FILTER, *filters], name)
            check.error(f"{d.key}.contentFilter: {name!r} is not a policy of {NAMESPACE}:contentFilters; {names}")
        elif name in filters and not filters[name].blocking:
            check.warn(
                f"{key_for('contentFilters', name, 'blocking')}: false (annotate only) needs Microsoft's approval for "
                f"modified content filters, else Azure refuses the policy; unconfirmed for Llama "
                f"({sources.cite('content-filter-configurability')})"
            )

    def marketplace(self, deployments: list[FoundryDeployment]) -> bool:
        return any(not d.offer.sold_by_azure for d in deployments)

    def has_key(self, check: Rules, deployment: FoundryDeployment) -> bool:
        foundry = check.section("foundry")
        return bool(foundry is not None and foundry.local_auth)

    @staticmethod
    def _expected_tokens(check: Rules, d: FoundryDeployment) -> None:
        if d.config.expected_tokens is not None and d.config.sku in prices.PROVISIONED_TYPES:
            check.warn(
                f"{d.key}.expectedTokens: {d.config.sku} is billed per PTU-hour, used or not: "
                "the estimate leaves the tokens out"
            )

    def deployer_actions(
        self, stack: ResolvedStack, deployments: list[FoundryDeployment]
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        return {
            **(rbac.marketplace_actions() if self.marketplace(deployments) else {}),
            "resource group (Foundry)": ("group", rbac.FOUNDRY_DEPLOYER_ACTIONS),
        }

    # The program.
    def build(self, platforms: Platforms, deployments: list[FoundryDeployment]) -> dict[str, Export]:
        """Content filter policies, then model deployments, one write at a time: Azure refuses concurrent writes on
        an account's children (RequestConflict, "Another operation is being performed on the parent resource")."""
        account, stack = platforms.foundry().account, platforms.stack
        policies: dict[str, ContentFilterPolicy] = {}
        after: Any = None
        for d in deployments:
            settings = stack.content_filter(d.config.content_filter)
            if settings is not None and d.config.content_filter not in policies:
                policies[d.config.content_filter] = _policy(
                    platforms, account, d.config.content_filter, settings, after
                )
                after = policies[d.config.content_filter].resource_id
        built: dict[str, Export] = {}
        for d in deployments:
            deployment = _deployment(platforms, account, d, policies.get(d.config.content_filter), after)
            after = deployment.resource_id
            built[d.name] = self._export(stack, account, d, deployment)
        return built

    @staticmethod
    def _export(stack: ResolvedStack, account: Any, d: FoundryDeployment, deployment: Any) -> Export:
        route = endpoints.FOUNDRY_ROUTES[d.llama.api]
        entry = {
            "kind": "foundry",
            "model": d.llama.name,
            "api": d.llama.api.value,
            # The OpenAI v1 route on the account's Foundry Models endpoint, as Azure reports it.
            "url": account.models_endpoint.apply(lambda uri: v1_url(uri, route)),
            "name": deployment.name,
            "auth": "key" if stack.config.foundry.local_auth else "entra",
            "deployment": d.name,
        }
        return Export(entry, account.primary_key, {"deployment": deployment, "account": account})

    def alert_rules(
        self, stack: ResolvedStack, export: Export, deployments: list[FoundryDeployment]
    ) -> list[AlertRule]:
        """The resource's "Models" metrics split by ModelDeploymentName, the deployment's name
        [metrics-cognitive-accounts]; the Foundry resource's diagnostic setting is the platform's."""
        account, settings, rules = export.resources["account"], stack.config.monitoring.alerts, []
        for d in deployments:
            own = {"ModelDeploymentName": (d.name,)}
            for alert, codes, what in (
                ("throttling", (monitoring.THROTTLED,), "429 (throttled)"),
                ("serverErrors", monitoring.SERVER_ERROR_CODES, "5xx"),
            ):
                setting = settings.settings()[alert]
                # ModelRequests is a count (Total) over the window: the rate a minute times the window's minutes.
                total = setting.threshold * setting.window_minutes
                rules.append(
                    AlertRule(
                        alert,
                        d.name,
                        account.resource_id,
                        monitoring.MODEL_REQUESTS,
                        "GreaterThan",
                        total,
                        f"{d.name}: more than {total:g} {what} responses in {setting.window_minutes} minutes "
                        f"({setting.threshold:g} a minute); {monitoring.MODEL_REQUESTS.note}",
                        {**own, "StatusCode": codes},
                    )
                )
            latency = settings.latency.threshold
            rules.append(
                AlertRule(
                    "latency",
                    d.name,
                    account.resource_id,
                    monitoring.TIME_TO_LAST_BYTE,
                    "GreaterThan",
                    latency,
                    f"{d.name}: time to the last byte above {latency:g} ms on average; "
                    f"{monitoring.TIME_TO_LAST_BYTE.note}",
                    own,
                )
            )
            if d.config.sku in prices.PROVISIONED_TYPES:
                used = settings.utilization.threshold
                rules.append(
                    AlertRule(
                        "utilization",
                        d.name,
                        account.resource_id,
                        monitoring.PROVISIONED_UTILIZATION,
                        "GreaterThan",
                        used,
                        f"{d.name}: provisioned throughput {used:g}% used; {monitoring.PROVISIONED_UTILIZATION.note}",
                        own,
                    )
                )
        return rules

    # The tools.
    def preflight(self, asker: Any, deployments: list[FoundryDeployment]) -> list[Check]:
        return asker.guarded("Foundry model", lambda: self._models(asker, deployments))

    def _models(self, asker: Any, deployments: list[FoundryDeployment]) -> list[Check]:
        offered = asker.foundry_models()
        checks, need = [], {}
        for d in deployments:
            usage, check = _model_check(asker, d, offered)
            checks.append(check)
            if usage is not None:
                need[usage] = need.get(usage, 0) + d.config.capacity
        return checks + asker.guarded("Foundry quota", lambda: _quota_checks(asker, need), asker.region)

    def call(self, entry: Mapping[str, Any]) -> CallSpec:
        url, deployment = str(entry.get("url")), entry.get("deployment")
        return CallSpec(
            url,
            Protocol.OPENAI_V1,
            model=deployment if isinstance(deployment, str) else None,
            model_is_deployment=True,
            # The account's endpoint as Azure reports it plus /openai/v1/: the base the OpenAI SDK takes [openai-v1].
            base_url=openai_base(url, entry.get("api")),
            # The scope Microsoft documents for the OpenAI v1 route (catalog.endpoints says why not the other).
            token_scope=endpoints.FOUNDRY_TOKEN_SCOPE,
            token_hosts=endpoints.FOUNDRY_INFERENCE_HOST_SUFFIXES,
            token_hosts_label="Foundry hosts",
        )

    def cost(self, stack: ResolvedStack, deployments: list[FoundryDeployment], book: PriceBook) -> list[CostLine]:
        lines = []
        for d in deployments:
            what = f"{d.model} {d.config.sku}" + ("" if d.offer.sold_by_azure else " (Marketplace)")
            if d.config.sku in prices.PROVISIONED_TYPES:
                # Provisioned throughput: every PTU of the capacity, every hour, used or not.
                lines.append(
                    cost_line(
                        book,
                        prices.ptu(d.config.sku),
                        stack.region,
                        quantity=d.config.capacity * prices.HOURS_PER_MONTH,
                        key=f"deployment/{d.name}/provisioned",
                        subject=d.name,
                        deployment=True,
                        what=f"{what}, {d.config.capacity} PTU",
                        billing=Billing.FIXED,
                        unit="PTU-hour",
                    )
                )
            else:
                items = tuple(prices.tokens(d.model, d.config.sku, way) for way in ("input", "output"))
                lines += token_lines(book, stack.region, d.name, what, items, d.config.expected_tokens)  # type: ignore[arg-type]
        return lines

    def policy_facts(self) -> dict[str, Any]:
        default = content_filters.MICROSOFT_DEFAULT_CONTENT_FILTER
        source = sources.SOURCES[default.source]
        return {
            "contentFilterSeverities": list(content_filters.RAI_SEVERITIES),
            "defaultContentFilter": {
                "name": default.name,
                "thresholds": dict(default.thresholds),
                "filters": list(default.filters),
                "source": source.url,
                "dated": source.dated.isoformat(),
            },
        }


def v1_url(models_endpoint: str | None, route: str) -> str | None:
    """The URL of an OpenAI v1 route on a Foundry resource, from its 'Azure AI Model Inference API' endpoint in
    whichever form Azure reports it: `https://<name>.services.ai.azure.com`, with a trailing `/` or with the Model
    Inference API's `/models` [conflict foundry-endpoint-form]; the v1 routes live on the host, not under /models."""
    if not models_endpoint:
        return None
    base = models_endpoint.rstrip("/")
    base = base.removesuffix("/models").rstrip("/")
    return base + route


def _policy(platforms: Platforms, account: Any, name: str, f: ContentFilter, after: Any) -> ContentFilterPolicy:
    return ContentFilterPolicy(
        f"content-filter-{name}",
        ContentFilterPolicyArgs(
            policy_name=name,
            account_name=account.name,
            resource_group_name=account.resource_group_name,
            base_policy=f.base_policy,
            hate=cs.ContentLevel(f.hate),
            sexual=cs.ContentLevel(f.sexual),
            violence=cs.ContentLevel(f.violence),
            self_harm=cs.ContentLevel(f.self_harm),
            blocking=f.blocking,
            jailbreak=f.jailbreak,
            indirect_attack=f.indirect_attack,
            protected_material_text=f.protected_material_text,
            protected_material_code=f.protected_material_code,
            tags=platforms.tags,
            **({"after_id": after} if after is not None else {}),  # type: ignore[typeddict-item]
        ),
    )


def _deployment(
    platforms: Platforms, account: Any, d: FoundryDeployment, policy: ContentFilterPolicy | None, after: Any
) -> FoundryModelDeployment:
    return FoundryModelDeployment(
        d.name,
        FoundryModelDeploymentArgs(
            deployment_name=d.name,
            account_name=account.name,
            resource_group_name=account.resource_group_name,
            model_name=d.llama.name,
            model_version=d.version,
            model_format=d.offer.format,
            deployment_type=d.config.sku,
            capacity=d.config.capacity,
            # The name as written, known in a preview (the policy check reads it); the policy is created
            # before this deployment all the same: it is earlier in the chain of writes (`after`).
            rai_policy_name=(
                d.config.content_filter if policy is not None else content_filters.MICROSOFT_DEFAULT_CONTENT_FILTER.name
            ),
            version_upgrade_option=cs.DeploymentModelVersionUpgradeOption(d.config.version_upgrade),
            tags=platforms.tags,
            **({"after_id": after} if after is not None else {}),  # type: ignore[typeddict-item]
        ),
    )


def _model_check(asker: Any, d: FoundryDeployment, offered: list[Any]) -> tuple[str | None, Check]:
    subject = f"{d.name}: {d.model} {d.version} {d.config.sku} in {asker.region}"
    same = [m.model for m in offered if m.model and m.model.name == d.model]
    if not same:
        return None, Check(
            "Foundry model", subject, Status.FAIL, "Azure does not offer this model here as a Foundry Model"
        )
    versions = [m for m in same if str(m.version) == d.version]
    if not versions:
        listed = choices(sorted({str(m.version) for m in same}), d.version, "offered:")
        return None, Check("Foundry model", subject, Status.FAIL, f"version {d.version} not offered here; {listed}")
    model = versions[0]
    sku = next((s for s in model.skus or [] if str(s.name) == d.config.sku), None)
    if sku is None:
        listed = choices(sorted({str(s.name) for s in model.skus or []}), d.config.sku, "offered:")
        detail = f"deployment type {d.config.sku} not offered; {listed}"
        return None, Check("Foundry model", subject, Status.FAIL, detail)
    check = _lifecycle(asker.today, subject, model, sku)
    problem = capacity_problem(d.config.capacity, d.config.sku, sku.capacity)
    if problem:
        check = Check("Foundry model", subject, Status.FAIL, f"{problem}; {check.detail}")
    return sku.usage_name, check


def _lifecycle(today: dt.date, subject: str, model: Any, sku: Any) -> Check:
    status = str(model.lifecycle_status or "unknown")
    dates = [arm_date(model.deprecation.inference) if model.deprecation else None, arm_date(sku.deprecation_date)]
    ends = min((d for d in dates if d), default=None)
    if status.lower() == "deprecated" or (ends and ends <= today):
        since = f" since {ends.isoformat()}" if ends else ""
        return Check("Foundry model", subject, Status.FAIL, f"deprecated{since}: Azure refuses new deployments")
    if ends:
        return Check(
            "Foundry model", subject, Status.WARN, f"offered ({status}); Azure deprecates it on {ends.isoformat()}"
        )
    return Check("Foundry model", subject, Status.OK, f"offered ({status}), no deprecation date")


def _quota_checks(asker: Any, need: dict[str | None, int]) -> list[Check]:
    if not need:
        return []
    by_name = {str(u.name.value).lower(): u for u in asker.foundry_usages() if u.name and u.name.value}
    checks = []
    for usage_name, capacity in need.items():
        usage = by_name.get(str(usage_name).lower()) if usage_name else None
        subject = f"{usage_name or 'no usage name'} in {asker.region}"
        free = _free(usage.limit, usage.current_value) if usage else None
        if free is None:
            detail = f"needs {capacity}; Azure lists no usage for this model and deployment type"
            checks.append(Check("Foundry quota", subject, Status.NOT_CHECKED, detail))
        elif free < capacity:
            detail = f"needs {capacity}, {free} free of {usage.limit:g}: lower capacity or request more quota"
            checks.append(Check("Foundry quota", subject, Status.FAIL, detail))
        else:
            checks.append(
                Check("Foundry quota", subject, Status.OK, f"needs {capacity}, {free} free of {usage.limit:g}")
            )
    return checks


def _free(limit: Any, current: Any) -> int | None:
    try:
        return int(float(limit) - float(current))
    except (TypeError, ValueError):
        return None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def capacity_problem(capacity: int, sku_name: str, listed: Any) -> str | None:
    """Why Azure would refuse `capacity` for a deployment type, from the model list's `skus[].capacity`
    (minimum, maximum, step between allowed values, allowed values); None when it fits or nothing is listed."""
    minimum, maximum, step = (_whole(getattr(listed, k, None)) for k in ("minimum", "maximum", "step"))
    allowed = [v for v in getattr(listed, "allowed_values", None) or [] if _whole(v) is not None]
    step = step if step and step > 1 else None
    if allowed:
        # The values Azure lists are the ones it takes: a range beside them would contradict them.
        if capacity in allowed:
            return None
        listed_values = ", ".join(map(str, allowed))
        return f"capacity {capacity} is outside what Azure lists for {sku_name} here: one of {listed_values}"
    # The API calls step "the minimal incremental between allowed values": minimum, minimum + step, ...
    fits = (minimum is None or capacity >= minimum) and (maximum is None or capacity <= maximum)
    fits = fits and (step is None or (capacity - (minimum or 0)) % step == 0)
    if fits:
        return None
    return f"capacity {capacity} is outside what Azure lists for {sku_name} here: {_range(minimum, maximum, step)}"


def _range(minimum: int | None, maximum: int | None, step: int | None) -> str:
    if minimum is not None and maximum is not None:
        bounds = f"{minimum} to {maximum}"
    else:
        bounds = f"at least {minimum}" if minimum is not None else f"at most {maximum}" if maximum is not None else ""
    return " ".join(w for w in (bounds, f"in steps of {step}" if step else "") if w)


FOUNDRY = Foundry()
