"""Every Llama model Azure has offered since the how-to: each way it is offered, until when, and where it was read."""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from math import ceil


class Api(StrEnum):
    """The API a model answers on: chat (instruct models) or completions (base models)."""

    CHAT = "chat"
    COMPLETIONS = "completions"


class Stage(StrEnum):
    """Where a model is in Azure's lifecycle on a given day [lifecycle]."""

    GENERALLY_AVAILABLE = "generally available"
    LEGACY = "legacy"
    """Still deployable, retirement announced: plan with a warning."""
    DEPRECATED = "deprecated"
    """No new deployments: Azure refuses a create."""
    RETIRED = "retired"
    """Gone: Azure answers 404."""


@dataclass(frozen=True)
class Lifecycle:
    """The dated lifecycle of one offer of a model; each stage begins at 00:00 UTC of its day."""

    legacy: dt.date | None = None
    deprecated: dt.date | None = None
    retired: dt.date | None = None
    replacements: tuple[str, ...] = ()
    source: str = "lifecycle"

    def stage(self, today: dt.date) -> Stage:
        for stage, day in ((Stage.RETIRED, self.retired), (Stage.DEPRECATED, self.deprecated)):
            if day is not None and today >= day:
                return stage
        if self.legacy is not None and today >= self.legacy:
            return Stage.LEGACY
        return Stage.GENERALLY_AVAILABLE

    def since(self, stage: Stage) -> dt.date | None:
        return {Stage.LEGACY: self.legacy, Stage.DEPRECATED: self.deprecated, Stage.RETIRED: self.retired}.get(stage)


GENERALLY_AVAILABLE = Lifecycle(source="retirement-schedule")


@dataclass(frozen=True)
class ServerlessOffer:
    """A pay-as-you-go serverless API on a hub-based project (Foundry classic)."""

    regions: frozenset[str] | None
    """None: not known (a model a stack declares); the plan says it was not checked."""
    marketplace: bool
    """Sold through Azure Marketplace: the project subscribes to the offer first."""
    lifecycle: Lifecycle
    source: str = "serverless-regions"
    conflict: str | None = None
    """A key of catalog.conflicts.CONFLICTS where Microsoft's sources disagree about this offer."""


@dataclass(frozen=True)
class ManagedOffer:
    """Managed compute: the registry model on VMs the subscription pays for."""

    versions: tuple[int, ...]
    """Registry versions known to exist, oldest first; the last one is the default pin."""
    allowed_vm_skus: tuple[str, ...] | None
    """The model card's allow-list (system_metadata.supportedComputes.inferenceComputes, formerly the tag
    inference_compute_allow_list [azureml-assets-5150]), which Azure enforces; None: not published."""
    lifecycle: Lifecycle
    source: str = "llama2-specs"
    conflict: str | None = None

    @property
    def latest(self) -> int | None:
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class FoundryOffer:
    """A Foundry Model: a model deployment on a Foundry resource (Cognitive Services, kind AIServices)."""

    format: str
    """The model format, which names the provider."""
    versions: tuple[str, ...]
    """Model versions seen in Microsoft material; the first one is the default pin."""
    deployment_types: tuple[str, ...]
    """Deployment types (the deployment's SKU name) offered for the model."""
    sold_by_azure: bool
    """Sold directly by Azure; otherwise a partner model bought through Azure Marketplace."""
    lifecycle: Lifecycle
    source: str = "sold-by-azure"
    conflict: str | None = None

    @property
    def latest(self) -> str | None:
        """The version a deployment pins unless the stack sets one (the first listed)."""
        return self.versions[0] if self.versions else None


@dataclass(frozen=True)
class LlamaModel:
    """One Meta Llama model, as Azure names it, with where and until when each way of deploying it is offered."""

    name: str
    api: Api
    parameters_b: float
    """Total parameters, in billions (for a mixture of experts, all experts)."""
    context_tokens: int | None = None
    """Input tokens the model takes, where Microsoft states it."""
    serverless: ServerlessOffer | None = None
    managed: ManagedOffer | None = None
    foundry: FoundryOffer | None = None
    declared: bool = False
    """Declared by a stack (`llama-on-azure:models`), not part of this catalog snapshot."""

    @property
    def min_gpu_memory_gb(self) -> int:
        # Weights in fp16/bf16 take 2 bytes per parameter; used only where Azure publishes no allow-list.
        return ceil(self.parameters_b * 2)

    @property
    def asset_id(self) -> str:
        """The registry model id without a version, as a Marketplace subscription and a serverless endpoint want it."""
        return f"{MODEL_REGISTRY}/{self.name}"

    def version_id(self, version: int) -> str:
        """The registry model id of one version, as a managed online deployment wants it."""
        return f"{self.asset_id}/versions/{version}"


MODEL_REGISTRY = "azureml://registries/azureml-meta/models"
META_FORMAT = "Meta"
# The deployment types (a Foundry deployment's SKU name) Llama is offered with [deployment-types].
GLOBAL_STANDARD = "GlobalStandard"
GLOBAL_PROVISIONED = "GlobalProvisionedManaged"

# Serverless Llama on hubs: the seven regions of the serverless availability page [serverless-regions].
_MAAS_REGIONS = frozenset(
    {"eastus", "eastus2", "northcentralus", "southcentralus", "swedencentral", "westus", "westus3"}
)
_MAAS_REGIONS_405B = _MAAS_REGIONS - {"swedencentral"}

# Azure names the replacement of each retired model; where that one is retired too, the error
# message says so and lists what is offered today.
_TO_8B = ("Meta-Llama-3.1-8B-Instruct",)
_TO_70B = ("Llama-3.3-70B-Instruct",)


def _retired_2025(replacements: tuple[str, ...]) -> Lifecycle:
    return Lifecycle(retired=dt.date(2025, 6, 30), replacements=replacements)


def _llama2_lifecycle(replacements: tuple[str, ...]) -> Lifecycle:
    # Legacy and deprecation dates from the registry's spec.yaml (deprecation.inference*), retirement
    # from the lifecycle page; the registry deprecation covers managed compute too [llama2-specs, lifecycle].
    return Lifecycle(dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 6, 30), replacements)


_RETIRED_2026 = Lifecycle(
    legacy=dt.date(2026, 2, 13),
    deprecated=dt.date(2026, 3, 13),
    retired=dt.date(2026, 6, 13),
    replacements=(),
)
_VISION_2026 = Lifecycle(
    legacy=dt.date(2026, 2, 13),
    deprecated=dt.date(2026, 3, 13),
    retired=dt.date(2026, 6, 13),
    replacements=("Llama-4-Maverick-17B-128E-Instruct-FP8", "Llama-4-Scout-17B-16E-Instruct"),
)


def _serverless(
    lifecycle: Lifecycle, regions: frozenset[str] = _MAAS_REGIONS, conflict: str | None = None
) -> ServerlessOffer:
    return ServerlessOffer(regions=regions, marketplace=True, lifecycle=lifecycle, conflict=conflict)


def _llama2(versions: tuple[int, ...], skus: tuple[str, ...], replacements: tuple[str, ...]) -> ManagedOffer:
    return ManagedOffer(versions=versions, allowed_vm_skus=skus, lifecycle=_llama2_lifecycle(replacements))


_LLAMA2_7B_SKUS = (
    "Standard_NC12s_v3",
    "Standard_NC24s_v3",
    "Standard_ND40rs_v2",
    "Standard_ND96asr_v4",
    "Standard_ND96amsr_A100_v4",
)
_LLAMA2_13B_SKUS = _LLAMA2_7B_SKUS[1:]
_LLAMA2_70B_SKUS = (
    "Standard_ND40rs_v2",
    "Standard_ND96asr_v4",
    "Standard_ND96amsr_A100_v4",
    "Standard_NC96ads_A100_v4",
)

# Every Llama model Azure has offered since the how-to, by the name Azure gives it. Instruct/chat
# models answer the chat API, base models the completions API [seed].
MODELS: dict[str, LlamaModel] = {
    m.name: m
    for m in (
        LlamaModel(
            "Llama-4-Maverick-17B-128E-Instruct-FP8",
            Api.CHAT,
            400,
            1_000_000,
            foundry=FoundryOffer(META_FORMAT, ("1",), (GLOBAL_STANDARD,), True, GENERALLY_AVAILABLE),
        ),
        LlamaModel(
            "Llama-4-Scout-17B-16E-Instruct",
            Api.CHAT,
            109,
            128_000,
            foundry=FoundryOffer(
                META_FORMAT, ("1",), (GLOBAL_STANDARD,), False, GENERALLY_AVAILABLE, source="partners"
            ),
        ),
        LlamaModel(
            "Llama-3.3-70B-Instruct",
            Api.CHAT,
            70,
            128_000,
            serverless=_serverless(GENERALLY_AVAILABLE),
            # Registry version 4 is the one Microsoft's catalog links; version 9 appears only in third-party
            # templates [llama33-managed-unconfirmed]. Whether Azure offers it on managed compute at all, the
            # sources disagree [deployments-overview, catalog-overview-2025].
            managed=ManagedOffer(
                (4,), None, GENERALLY_AVAILABLE, source="deployments-overview", conflict="llama33-managed-compute"
            ),
            foundry=FoundryOffer(
                META_FORMAT,
                ("4", "3"),
                (GLOBAL_STANDARD, GLOBAL_PROVISIONED),
                True,
                GENERALLY_AVAILABLE,
                source="foundry-models",
                conflict="llama33-foundry-version",
            ),
        ),
        # The small Llama 3.2 models and Llama Guard 3: serverless in the same seven regions as Llama 3.3, on no
        # retirement list, but no longer named on the partner list [serverless-regions, partners].
        *(
            LlamaModel(
                name, api, size, serverless=_serverless(GENERALLY_AVAILABLE, conflict="llama32-small-serverless")
            )
            for name, api, size in (
                ("Llama-3.2-1B-Instruct", Api.CHAT, 1.24),
                ("Llama-3.2-3B-Instruct", Api.CHAT, 3.21),
                ("Llama-3.2-1B", Api.COMPLETIONS, 1.24),
                ("Llama-3.2-3B", Api.COMPLETIONS, 3.21),
                ("Llama-Guard-3-1B", Api.CHAT, 1.5),
                ("Llama-Guard-3-11B-Vision", Api.CHAT, 10.7),
            )
        ),
        LlamaModel(
            "Meta-Llama-3.1-405B-Instruct", Api.CHAT, 405, serverless=_serverless(_RETIRED_2026, _MAAS_REGIONS_405B)
        ),
        LlamaModel("Meta-Llama-3.1-8B-Instruct", Api.CHAT, 8, serverless=_serverless(_RETIRED_2026)),
        LlamaModel("Meta-Llama-3.1-8B", Api.COMPLETIONS, 8, serverless=_serverless(_RETIRED_2026)),
        LlamaModel("Llama-3.2-11B-Vision-Instruct", Api.CHAT, 11, serverless=_serverless(_VISION_2026)),
        LlamaModel("Llama-3.2-90B-Vision-Instruct", Api.CHAT, 90, serverless=_serverless(_VISION_2026)),
        LlamaModel("Meta-Llama-3.1-70B-Instruct", Api.CHAT, 70, serverless=_serverless(_retired_2025(_TO_70B))),
        LlamaModel("Meta-Llama-3-8B-Instruct", Api.CHAT, 8, serverless=_serverless(_retired_2025(_TO_8B))),
        LlamaModel("Meta-Llama-3-70B-Instruct", Api.CHAT, 70, serverless=_serverless(_retired_2025(_TO_70B))),
        # The base Llama 3 models: no Microsoft source ever offered them as a serverless API or a Foundry Model.
        LlamaModel("Meta-Llama-3-8B", Api.COMPLETIONS, 8),
        LlamaModel("Meta-Llama-3-70B", Api.COMPLETIONS, 70),
        LlamaModel("Llama-2-7b", Api.COMPLETIONS, 7, managed=_llama2((23,), _LLAMA2_7B_SKUS, _TO_8B)),
        LlamaModel("Llama-2-7b-chat", Api.CHAT, 7, managed=_llama2((27,), _LLAMA2_7B_SKUS, _TO_8B)),
        LlamaModel("Llama-2-13b", Api.COMPLETIONS, 13, managed=_llama2((25,), _LLAMA2_13B_SKUS, _TO_8B)),
        LlamaModel("Llama-2-13b-chat", Api.CHAT, 13, managed=_llama2((22,), _LLAMA2_13B_SKUS, _TO_8B)),
        LlamaModel("Llama-2-70b", Api.COMPLETIONS, 70, managed=_llama2((25,), _LLAMA2_70B_SKUS, _TO_70B)),
        LlamaModel("Llama-2-70b-chat", Api.CHAT, 70, managed=_llama2((22,), _LLAMA2_70B_SKUS, _TO_70B)),
    )
}


def serverless_regions() -> frozenset[str]:
    """Regions where at least one Llama model is offered as a serverless API (any date)."""
    return frozenset(r for m in MODELS.values() if m.serverless and m.serverless.regions for r in m.serverless.regions)
