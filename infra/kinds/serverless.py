"""`kind: serverless`: a pay-as-you-go serverless API on the hub's project, bought through Azure Marketplace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from catalog import endpoints, models, prices, rbac, sources
from catalog.tokens import ML_TYPES
from clients.status import Status
from components.model_subscription import ModelSubscription, ModelSubscriptionArgs
from components.serverless_endpoint import ServerlessEndpoint, ServerlessEndpointArgs
from infra import naming
from infra.config.types import NAMESPACE, key_for
from infra.kinds.base import (
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
    guarded,
    openai_base,
    token_lines,
)

if TYPE_CHECKING:
    from infra.config.rules import Rules
    from infra.config.stack import ResolvedStack
    from infra.platforms import Platforms


class ServerlessConfig(DeploymentConfig):
    """`kind: serverless`: a pay-as-you-go serverless API on the hub's project."""

    kind: Literal["serverless"]
    content_safety: bool = True
    """Azure AI Content Safety on prompts and completions."""
    expected_tokens: ExpectedTokens | None = None
    """Tokens a month, for the cost estimate: without it the plan shows the unit prices only."""


class ServerlessDeployment(Deployment[ServerlessConfig]):
    @property
    def offer(self) -> models.ServerlessOffer:
        assert self.llama.serverless is not None, "validated: the model is offered as a serverless API"
        return self.llama.serverless


class Serverless(Kind[ServerlessDeployment]):
    name = "serverless"
    title = "a pay-as-you-go serverless API on the hub's project (Foundry classic)"
    config = ServerlessConfig
    deployment = ServerlessDeployment
    offer = "serverless"
    platform = Platform.HUB
    provider_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "Microsoft.MachineLearningServices": ("workspaces/serverlessEndpoints",)
    }
    plan_settings: ClassVar[dict[str, tuple[str, ...]]] = {
        f"{ML_TYPES}:MarketplaceSubscription": ("properties.modelId",),
        f"{ML_TYPES}:ServerlessEndpoint": (
            "properties.modelSettings.modelId",
            "properties.authMode",
            "properties.contentSafety.contentSafetyStatus",
            "sku.name",
        ),
    }

    # The config.
    def rules(self, check: Rules, deployments: list[ServerlessDeployment]) -> None:
        self.each(check, deployments, lambda d: self._region(check, d))
        self._one_per_model(check, deployments)
        self._unmonitored(check, deployments)

    @staticmethod
    def _unmonitored(check: Rules, deployments: list[ServerlessDeployment]) -> None:
        # Microsoft publishes neither metrics nor logs for serverless endpoints and points to Foundry Models for
        # monitoring [monitor-models]: nothing here could alert on them, which the stack should know.
        monitoring = check.section("monitoring")
        if monitoring is None or not (monitoring.diagnostics or monitoring.alerts.enabled):
            return
        found: list[str] = []
        for d in deployments:
            guarded(lambda d=d: found.append(repr(d.name)))  # a name that failed validation is reported there
        if not found:
            return
        names = ", ".join(found)
        check.warn(
            f"{key_for('deployments')}: serverless endpoint(s) {names} publish no Azure Monitor metrics or logs: "
            "no alert or diagnostic setting watches them; Microsoft's way to monitor Llama is a Foundry Model "
            "(kind: foundry)"
        )

    @staticmethod
    def _region(check: Rules, d: ServerlessDeployment) -> None:
        regions = d.offer.regions
        if regions is None:
            check.warn(f"{d.key}.model: the regions of {d.model!r} are not known here: preflight checks them")
        elif check.region and check.region not in regions:
            check.error(
                f"{NAMESPACE}:region: {check.region!r} does not offer {d.model!r} as a serverless API "
                f"({d.key}); offered in: {', '.join(sorted(regions))}"
            )

    @staticmethod
    def _one_per_model(check: Rules, deployments: list[ServerlessDeployment]) -> None:
        seen: set[str] = set()
        for d in deployments:
            if d.model in seen:
                check.error(
                    f"{key_for('deployments', d.index, 'model')}: {d.model!r} already has a serverless deployment; "
                    "Azure allows one serverless deployment per model per project"
                )
            seen.add(d.model)

    def azure_name(self, endpoint: str, suffix: str) -> str:
        return naming.serverless_endpoint(endpoint, suffix)

    def has_key(self, check: Rules, deployment: ServerlessDeployment) -> bool:
        return True

    def marketplace(self, deployments: list[ServerlessDeployment]) -> bool:
        return any(d.offer.marketplace for d in deployments)

    def deployer_actions(
        self, stack: ResolvedStack, deployments: list[ServerlessDeployment]
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        buying = rbac.marketplace_actions() if self.marketplace(deployments) else {}
        return {**buying, "project (serverless)": ("group", rbac.DEPLOYER_ACTIONS["project"])}

    # The program.
    def build(self, platforms: Platforms, deployments: list[ServerlessDeployment]) -> dict[str, Export]:
        hub = platforms.hub()
        return {d.name: self._endpoint(platforms, hub.project, d) for d in deployments}

    @staticmethod
    def _endpoint(platforms: Platforms, project: Any, d: ServerlessDeployment) -> Export:
        llama, where = d.llama, {"resource_group_name": project.resource_group_name, "project_name": project.name}
        subscription = {}
        if d.offer.marketplace:
            # One serverless deployment per model per project, so each has its own subscription and
            # independent endpoints never wait for each other.
            offer = ModelSubscription(
                f"{d.name}-sub",
                ModelSubscriptionArgs(
                    subscription_name=naming.marketplace_subscription(llama.name), model_id=llama.asset_id, **where
                ),
            )
            subscription = {"marketplace_subscription_id": offer.resource_id}
        endpoint = ServerlessEndpoint(
            d.name,
            ServerlessEndpointArgs(
                endpoint_name=platforms.name(lambda n: n.endpoints[d.name]),
                model_id=llama.asset_id,
                location=platforms.region,
                content_safety=d.config.content_safety,
                tags=platforms.tags,
                **where,
                **subscription,
            ),
        )
        route = endpoints.SERVERLESS_ROUTES[llama.api]
        entry = {
            "kind": "serverless",
            "model": llama.name,
            "api": llama.api.value,
            # The inference URI Azure assigns, never built by hand, plus the API route.
            "url": endpoint.inference_uri.apply(lambda uri: uri.rstrip("/") + route if uri else None),
            "name": endpoint.name,
            "auth": "key",
        }
        return Export(entry, endpoint.primary_key, {"endpoint": endpoint})

    # The tools.
    def preflight(self, asker: Any, deployments: list[ServerlessDeployment]) -> list[Check]:
        checks = [self._offer(asker, d) for d in deployments]
        return checks + asker.guarded("one endpoint per model", lambda: self._existing(asker, deployments))

    @staticmethod
    def _offer(asker: Any, d: ServerlessDeployment) -> Check:
        if d.llama.declared:
            source = "the stack declares it (llama-on-azure:models), the catalog does not list it"
        else:
            source = f"the catalog as of {sources.AS_OF.isoformat()} lists it in {asker.region}"
        detail = f"no Azure API lists serverless offers per region; {source}"
        if d.offer.regions is None:
            detail += " (without regions)"
        return Check("serverless offer", f"{d.name}: {d.model} in {asker.region}", Status.NOT_CHECKED, detail)

    @staticmethod
    def _existing(asker: Any, deployments: list[ServerlessDeployment]) -> list[Check]:
        project = asker.names.project
        existing = asker.project_children("serverlessEndpoints")
        if existing is None:
            return [Check("one endpoint per model", project, Status.OK, "the project does not exist yet")]
        by_model = {}
        for endpoint in existing:
            properties = endpoint.get("properties") if isinstance(endpoint, dict) else None
            settings = properties.get("modelSettings") if isinstance(properties, dict) else None
            model_id = str(settings.get("modelId", "")) if isinstance(settings, dict) else ""
            by_model[model_id.lower()] = str(endpoint.get("name", "")) if isinstance(endpoint, dict) else ""
        checks = []
        for d in deployments:
            other, subject = by_model.get(d.llama.asset_id.lower()), f"{d.name}: {d.model}"
            if other and other.lower() != asker.names.endpoints[d.name].lower():
                detail = f"project {project} already serves this model on endpoint {other!r}"
                checks.append(Check("one endpoint per model", subject, Status.FAIL, detail))
            else:
                checks.append(Check("one endpoint per model", subject, Status.OK, "no other endpoint for it"))
        return checks

    def call(self, entry: Mapping[str, Any]) -> CallSpec:
        url, model = str(entry.get("url")), entry.get("model")
        # The endpoint serves one model and ignores `model` [model-inference-chat]; the OpenAI SDK sends one anyway,
        # so a client sends the model's name. The SDK's base is the inference URI's /v1 (route minus its path).
        return CallSpec(
            url,
            Protocol.LLAMA,
            model=model if isinstance(model, str) else None,
            base_url=openai_base(url, entry.get("api")),
        )

    def policy_facts(self) -> dict[str, Any]:
        return {"serverlessRegions": sorted(models.serverless_regions())}

    def cost(self, stack: ResolvedStack, deployments: list[ServerlessDeployment], book: PriceBook) -> list[CostLine]:
        # Per token, billed through the Marketplace subscription where the offer has one.
        lines = []
        for d in deployments:
            items = (prices.tokens(d.model, "serverless", "input"), prices.tokens(d.model, "serverless", "output"))
            what = f"{d.model} serverless" + (" (Marketplace)" if d.offer.marketplace else "")
            lines += token_lines(book, stack.region, d.name, what, items, d.config.expected_tokens)
        return lines


SERVERLESS = Serverless()
