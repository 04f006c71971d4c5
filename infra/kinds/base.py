"""What every deployment kind declares, and the typed objects passed between the config, program and tools."""

from __future__ import annotations

import datetime as dt
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import Field

from catalog import endpoints
from catalog import prices as catalog_prices
from catalog.models import LlamaModel
from catalog.monitoring import Metric
from clients.status import Status
from infra.config.types import EndpointName, FieldFailed, ModelName, Section, key_for

if TYPE_CHECKING:
    from infra.config.rules import Rules
    from infra.config.stack import ResolvedStack
    from infra.platforms import Platforms


class Platform(StrEnum):
    """What a kind's deployments live in; the program builds each one a stack needs once."""

    HUB = "hub"
    """An AI hub (storage, key vault, monitoring) and its project: Foundry classic."""
    FOUNDRY = "foundry"
    """A Foundry resource (Cognitive Services account of kind AIServices) and its project."""


class DeploymentConfig(Section):
    """The keys every deployment has; each kind's model adds its own and `kind: Literal[...]`."""

    name: EndpointName
    """The key of `endpoints` in the exports; the Azure name adds the stack's suffix."""
    model: ModelName


MAX_TOKENS_PER_MONTH = 10**15


class ExpectedTokens(Section):
    """Tokens a deployment is expected to take in and give out in a month: per-token prices become a monthly figure."""

    input_per_month: int = Field(ge=0, le=MAX_TOKENS_PER_MONTH)
    output_per_month: int = Field(ge=0, le=MAX_TOKENS_PER_MONTH)


C = TypeVar("C", bound=DeploymentConfig)


@dataclass(frozen=True)
class Deployment(Generic[C]):
    """One deployment of the stack file with its catalog entry, resolved once; kinds add their derived values."""

    config: C
    """The validated keys (in the rules, a deployment that failed validation offers its valid keys only)."""
    llama: LlamaModel
    index: int
    """Its position in `llama-on-azure:deployments`, for messages."""

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def key(self) -> str:
        """`llama-on-azure:deployments[<index>]`, the stack key messages name."""
        return key_for("deployments", self.index)

    @property
    def endpoint(self) -> str:
        """The key of `endpoints` this deployment is served under (a managed endpoint may serve several)."""
        return self.config.name


@dataclass(frozen=True)
class CallSpec:
    """How an application (and smoke) calls one endpoint of the outputs: smoke with its own client, `env` for the
    OpenAI SDK."""

    url: str
    """What a client POSTs to, in the endpoint's own protocol."""
    protocol: Protocol
    model: str | None = None
    """What a client sends as `model`: a Foundry deployment name, or the model's name where an endpoint serving
    one model ignores it (the OpenAI SDK always sends one)."""
    model_is_deployment: bool = False
    """Whether `model` names a deployment of a resource that holds several (a Foundry deployment)."""
    base_url: str | None = None
    """The base URL the OpenAI SDK takes (it appends `chat/completions`); None: no such base in the url."""
    base_url_condition: str | None = None
    """When the base URL works only under a condition, what it is (a managed endpoint's container must serve the
    OpenAI API)."""
    token_scope: str | None = None
    """The Entra ID scope of a token for this endpoint, where it takes one."""
    token_hosts: tuple[str, ...] = ()
    """Host name suffixes an Entra ID token may be sent to (a token for the scope opens every resource of it);
    none: smoke sends no token."""
    token_hosts_label: str = "its hosts"
    """What those hosts are, for messages."""
    sign_in: str | None = None
    """How a client gets a credential that is neither a key nor an Entra ID token (an AML token), for `env`."""


def openai_base(url: str, api: Any) -> str | None:
    """The OpenAI SDK's base_url of a route URL that ends in what the SDK appends for `api`, with a trailing slash
    as Microsoft writes it (`.../openai/v1/`); None for another URL."""
    path = endpoints.OPENAI_SDK_PATHS.get(api) if isinstance(api, str) else None
    if path is None or not url.endswith(path) or len(url) == len(path):
        return None
    return url.removesuffix(path) + "/"


class Protocol(StrEnum):
    """The API an endpoint answers: smoke checks its documented schema."""

    LLAMA = "llama"
    """Azure's Llama chat/completions API of a serverless endpoint: OpenAI-shaped, no `model` needed."""
    OPENAI_V1 = "openai-v1"
    """The OpenAI v1 API: `model` picks the deployment."""
    SCORING = "scoring"
    """A managed endpoint's scoring URI: the model container's own format; only reachability and JSON checked."""


@dataclass(frozen=True)
class Check:
    """One preflight answer: what was asked, about what, and what Azure said."""

    check: str
    subject: str
    status: Status
    detail: str
    not_allowed: str = ""
    """What ARM did not let this identity see (the action it names, else the request), when it answered 403: the
    check was not made, so the stack is not known to be ready."""


@dataclass(frozen=True)
class Export:
    """What the program exports for one endpoint (`endpoints.<name>`) and its key, if it has one."""

    entry: dict[str, Any]
    key: Any = None
    resources: dict[str, Any] = field(default_factory=dict)
    """The endpoint's Azure resources by role (`endpoint`, `deployment:<name>`), for what is added to every
    endpoint alike (diagnostic settings, alerts)."""


@dataclass(frozen=True)
class AlertRule:
    """A metric alert a kind defines for one of its deployments: what it watches, and when it fires."""

    alert: str
    """Which alert of `monitoring.alerts` it is (throttling, serverErrors, latency, capacity, utilization)."""
    subject: str
    """The deployment, as cost lines name it (`<endpoint>/<deployment>` where they differ)."""
    scope: Any
    """Resource id of what emits the metric (the Foundry resource, an online endpoint or deployment)."""
    metric: Metric
    operator: str
    threshold: float
    description: str
    dimensions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Dimension -> the values watched: the deployment's own (ModelDeploymentName, deployment), status codes."""


class Billing(StrEnum):
    """How a cost line is billed: every hour or day it exists, or by what it is used for."""

    FIXED = "fixed"
    USAGE = "usage"


class PriceBook(typing.Protocol):
    """Where the estimate's prices come from: the dated snapshot, or the Retail Prices API (`--live`)."""

    currency: str
    as_of: dt.date
    """The day its prices were read (the snapshot's date; today for the API)."""
    live: bool
    notice: str
    """What the book says of itself for every line (no prices in the currency asked), or empty."""

    def price(self, item: str, region: str) -> catalog_prices.Price | None:
        """The price of a catalog item (catalog.prices) in a region, in the book's currency; None: unknown."""
        ...

    def unknown(self, item: str, region: str) -> str:
        """Why an item has no price here, for the line that says it is unknown."""
        ...


CENT = Decimal("0.01")


@dataclass(frozen=True)
class CostLine:
    """One line of the monthly estimate: what is billed, how much of it a month, at which dated price."""

    key: str
    """Stable across plans (`deployment/<name>/compute`): the diff pairs lines by it."""
    subject: str
    """The deployment (a managed one as `<endpoint>/<deployment>` where they differ), or the platform resource."""
    deployment: bool
    what: str
    billing: Billing
    unit: str
    """What the quantity counts and the unit price is per: `hour`, `PTU-hour`, `1M input tokens`, `day`..."""
    quantity: Decimal | None
    """A month of it; None for usage the stack does not declare."""
    price: catalog_prices.Price | None
    """None: the price is unknown (never taken as zero)."""
    unknown: str = ""
    """Why the price is unknown."""
    note: str = ""

    @property
    def monthly(self) -> Decimal | None:
        if self.price is None or self.quantity is None:
            return None
        return (self.price.price * self.quantity).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def label(self) -> str:
        return f"{self.subject}: {self.what}"


def cost_line(prices: PriceBook, item: str, region: str, *, quantity: Decimal | int | None, **line: Any) -> CostLine:
    """A line priced from the book: the item's price in the region, or unknown with the book's reason."""
    price = prices.price(item, region)
    amount = Decimal(quantity) if quantity is not None else None
    return CostLine(quantity=amount, price=price, unknown="" if price else prices.unknown(item, region), **line)


def token_lines(
    prices: PriceBook, region: str, subject: str, what: str, items: tuple[str, str], expected: ExpectedTokens | None
) -> list[CostLine]:
    """Input and output tokens of one deployment: unit prices, and a month of them where the stack declares it."""
    lines = []
    for direction, item in zip(("input", "output"), items, strict=True):
        count = None if expected is None else getattr(expected, f"{direction}_per_month")
        lines.append(
            cost_line(
                prices,
                item,
                region,
                quantity=None if count is None else Decimal(count) / 1_000_000,
                key=f"deployment/{subject}/{direction}-tokens",
                subject=subject,
                deployment=True,
                what=f"{what}, {direction} tokens",
                billing=Billing.USAGE,
                unit=f"1M {direction} tokens",
                note="" if expected else "usage not declared (expectedTokens)",
            )
        )
    return lines


D = TypeVar("D", bound=Deployment[Any])


class Kind(ABC, Generic[D]):
    """One way of deploying Llama: declared once, in one module, found through `infra.kinds.KINDS`.

    Every method has a default but `build` and `call`, which each kind must say: a kind without them cannot be
    made, so it fails where it is registered, not in the middle of a plan."""

    name: ClassVar[str]
    """The value of `kind:` in the stack file."""
    title: ClassVar[str]
    config: ClassVar[type[DeploymentConfig]]
    deployment: ClassVar[type[Deployment[Any]]] = Deployment
    offer: ClassVar[str]
    """The attribute of the catalog's LlamaModel that says whether and how a model is offered this way."""
    platform: ClassVar[Platform | None]
    """The platform its deployments live in; None: the stack builds none for it (an endpoint it does not create)."""
    shared_endpoints: ClassVar[bool] = False
    """Whether several deployments may name one endpoint (managed online endpoints split traffic between them)."""
    provider_types: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Resource provider namespace -> the resource types this kind creates (preflight checks the region has them)."""
    plan_settings: ClassVar[dict[str, tuple[str, ...]]] = {}
    """The settings of each resource type a reviewer looks for in a plan (camelCase input paths)."""
    exports: ClassVar[tuple[str, ...]] = ()
    """Fields of this kind's `endpoints` entries a client needs beside kind, model, api, url, name and auth."""
    alerts: ClassVar[tuple[str, ...]] = ()
    """The alerts of `monitoring.alerts` this kind's deployments can get (`alert_rules` makes them)."""
    diagnostic_resources: ClassVar[tuple[str, ...]] = ()
    """The resources of `monitoring.logs` this kind's endpoints bring (the platforms' own are the platforms')."""

    # The config.
    def offer_for(self, config: Any, llama: LlamaModel) -> Any:
        """The catalog offer a deployment needs (None: the model is not offered this way)."""
        return getattr(llama, self.offer)

    def rules(self, check: Rules, deployments: list[D]) -> None:
        """What Azure would refuse of these deployments; `check.error(...)`/`check.warn(...)` report it."""

    def endpoints(self, deployments: list[D]) -> dict[str, list[D]]:
        """The `endpoints` entries of these deployments: name -> the deployments behind it."""
        return {d.endpoint: [d] for d in deployments}

    def azure_name(self, endpoint: str, suffix: str) -> str | None:
        """The Azure name of an endpoint where it is unique per region across Azure (None: no such name)."""
        return None

    def marketplace(self, deployments: list[D]) -> bool:
        """Whether deploying these buys an Azure Marketplace offer (which some subscriptions cannot)."""
        return False

    def deployer_actions(self, stack: ResolvedStack, deployments: list[D]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Scope label -> (subscription or group, actions) that deploying these takes."""
        return {}

    def has_key(self, check: Rules, deployment: D) -> bool:
        """Whether the deployment's endpoint exports a key (`keyVaultSecrets` stores it)."""
        return False

    # The program.
    @abstractmethod
    def build(self, platforms: Platforms, deployments: list[D]) -> dict[str, Export]:
        """The endpoints' resources on the platform; the name of each endpoint -> what it exports."""

    def diagnostic_targets(self, export: Export) -> list[tuple[str, Any]]:
        """(resource of `monitoring.logs`, resource id) of an endpoint's resources that take a diagnostic setting."""
        return []

    def alert_rules(self, stack: ResolvedStack, export: Export, deployments: list[D]) -> list[AlertRule]:
        """The metric alerts of the deployments behind one endpoint, at the stack's `monitoring.alerts` settings."""
        return []

    # The tools.
    def preflight(self, asker: Any, deployments: list[D]) -> list[Check]:
        """What Azure can answer about these deployments before `pulumi up` (through tools.preflight's asker)."""
        return []

    @abstractmethod
    def call(self, entry: Mapping[str, Any]) -> CallSpec:
        """How a client calls one of this kind's `endpoints` entries."""

    def quota(self, entries: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Any, int]]:
        """(deployment, VM SKU, instance count) of the VMs these endpoints run, from their exports."""
        return []

    def policy_facts(self) -> dict[str, Any]:
        """Catalog facts the policy pack's defaults use (the pack ships alone and cannot import the catalog)."""
        return {}

    def cost(self, stack: ResolvedStack, deployments: list[D], book: PriceBook) -> list[CostLine]:
        """What these deployments cost a month (fixed) or per use (unit prices): the lines of the estimate."""
        return []

    def each(self, check: Rules, deployments: Iterable[D], *rules: Callable[[D], None]) -> None:
        """Every rule on every deployment; a rule that reads a key that failed validation stops quietly."""
        for d in deployments:
            for rule in rules:
                guarded(rule, d)


def guarded(rule: Callable[..., None], *args: Any) -> None:
    """One rule; if it reads a key that failed validation it stops quietly (that key's error is reported already)."""
    try:
        rule(*args)
    except FieldFailed:
        return
