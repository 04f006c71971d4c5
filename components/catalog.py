"""Facts the program, the tools and the policies share: Llama models, VM SKUs, regions, limits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from math import ceil

# Sources, as named in ../shared/reference/azure-facts.md:
#   [SEED] Microsoft's how-to "Deploy Meta Llama models with Azure AI Studio" (shared/source)
#   [DOCS] Microsoft Learn: deploy-models-serverless, how-to-deploy-models-llama, how-to-manage-quotas,
#          reference-managed-online-endpoints-vm-sku-list
#   [EX]   Azure/azureml-examples cli/foundation-models/meta-llama-3/inference
#   [REST] Microsoft.MachineLearningServices REST models, API 2025-12-01

MODEL_REGISTRY = "azureml://registries/azureml-meta/models"


class Api(StrEnum):
    """The Llama API a model answers on; the client POSTs to the route."""

    CHAT = "chat"
    COMPLETIONS = "completions"

    @property
    def route(self) -> str:
        # The Llama Chat / Completions API routes of the serverless endpoint [SEED].
        return "/v1/chat/completions" if self is Api.CHAT else "/v1/completions"


@dataclass(frozen=True)
class LlamaModel:
    """One model of the azureml-meta registry."""

    name: str
    family: str
    parameters_b: float
    api: Api
    serverless: bool
    """Offered as a pay-as-you-go serverless API through Azure Marketplace."""
    pinned_version: int | None = None
    """Registry version a managed deployment uses unless the stack sets `modelVersion`; None: the stack must."""

    @property
    def min_gpu_memory_gb(self) -> int:
        # Weights in fp16/bf16 take 2 bytes per parameter; the rule matches every pairing in
        # Microsoft's samples (7B on one 16 GB T4, 8B on one 80 GB A100, 70B on two) [EX].
        return ceil(self.parameters_b * 2)

    @property
    def asset_id(self) -> str:
        """The registry model id without a version, as a Marketplace subscription wants it [REST]."""
        return f"{MODEL_REGISTRY}/{self.name}"

    def version_id(self, version: int) -> str:
        """The registry model id of one version, as a managed online deployment wants it [REST]."""
        return f"{self.asset_id}/versions/{version}"


def _m(name: str, family: str, params: float, api: Api, serverless: bool, pinned: int | None = None) -> LlamaModel:
    return LlamaModel(name, family, params, api, serverless, pinned)


# Instruct/chat models take the chat API, base models the completions API [SEED, DOCS]. The seed
# offers Llama 3 pay-as-you-go; Llama 2 is its managed-compute example, so it is managed only here.
# Pinned versions are the ones seen in Microsoft's material (Meta-Llama-3-8B-Instruct 9 in
# azureml-examples; Llama-2-7b-chat 24, UNCONFIRMED); for the others a managed deployment must set
# `modelVersion`, so that a guess never reaches Azure.
MODELS: dict[str, LlamaModel] = {
    m.name: m
    for m in (
        _m("Meta-Llama-3-8B", "Llama 3", 8, Api.COMPLETIONS, True),
        _m("Meta-Llama-3-8B-Instruct", "Llama 3", 8, Api.CHAT, True, pinned=9),
        _m("Meta-Llama-3-70B", "Llama 3", 70, Api.COMPLETIONS, True),
        _m("Meta-Llama-3-70B-Instruct", "Llama 3", 70, Api.CHAT, True),
        _m("Meta-Llama-3.1-8B-Instruct", "Llama 3.1", 8, Api.CHAT, True),
        _m("Meta-Llama-3.1-70B-Instruct", "Llama 3.1", 70, Api.CHAT, True),
        _m("Meta-Llama-3.1-405B-Instruct", "Llama 3.1", 405, Api.CHAT, True),
        _m("Llama-2-7b", "Llama 2", 7, Api.COMPLETIONS, False),
        _m("Llama-2-13b", "Llama 2", 13, Api.COMPLETIONS, False),
        _m("Llama-2-70b", "Llama 2", 70, Api.COMPLETIONS, False),
        _m("Llama-2-7b-chat", "Llama 2", 7, Api.CHAT, False, pinned=24),
        _m("Llama-2-13b-chat", "Llama 2", 13, Api.CHAT, False),
        _m("Llama-2-70b-chat", "Llama 2", 70, Api.CHAT, False),
    )
}


@dataclass(frozen=True)
class VmSku:
    """A VM size for managed online deployments [DOCS, EX]."""

    name: str
    vcpus: int
    gpus: int
    gpu: str
    gpu_memory_gb: int
    """Memory of one GPU."""
    quota_family: str
    """The vCPU quota family as the Compute usage API names it (UNCONFIRMED spelling)."""

    @property
    def total_gpu_memory_gb(self) -> int:
        return self.gpus * self.gpu_memory_gb

    @property
    def upgrade_reserve(self) -> bool:
        # Managed compute keeps 20% extra quota for upgrades, except on A100, H100 and ND SKUs [DOCS].
        return self.gpu not in ("A100", "H100") and not self.name.startswith("Standard_ND")

    def quota_vcpus(self, instances: int) -> int:
        """vCPU quota a deployment of `instances` instances takes, reserve included."""
        return ceil(self.vcpus * instances * (1.2 if self.upgrade_reserve else 1))


def _v(name: str, vcpus: int, gpus: int, gpu: str, mem: int, family: str) -> VmSku:
    return VmSku(name, vcpus, gpus, gpu, mem, family)


VM_SKUS: dict[str, VmSku] = {
    s.name: s
    for s in (
        _v("Standard_NC4as_T4_v3", 4, 1, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC8as_T4_v3", 8, 1, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC16as_T4_v3", 16, 1, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC64as_T4_v3", 64, 4, "T4", 16, "standardNCASv3_T4Family"),
        _v("Standard_NC6s_v3", 6, 1, "V100", 16, "standardNCSv3Family"),
        _v("Standard_NC12s_v3", 12, 2, "V100", 16, "standardNCSv3Family"),
        _v("Standard_NC24s_v3", 24, 4, "V100", 16, "standardNCSv3Family"),
        _v("Standard_ND40rs_v2", 40, 8, "V100", 32, "standardNDSv2Family"),
        _v("Standard_NC24ads_A100_v4", 24, 1, "A100", 80, "standardNCADSA100v4Family"),
        _v("Standard_NC48ads_A100_v4", 48, 2, "A100", 80, "standardNCADSA100v4Family"),
        _v("Standard_NC96ads_A100_v4", 96, 4, "A100", 80, "standardNCADSA100v4Family"),
        _v("Standard_ND96asr_v4", 96, 8, "A100", 40, "standardNDASv4_A100Family"),
        _v("Standard_ND96amsr_A100_v4", 96, 8, "A100", 80, "standardNDAMSv4_A100Family"),
        _v("Standard_NC40ads_H100_v5", 40, 1, "H100", 94, "standardNCadsH100v5Family"),
        _v("Standard_NC80adis_H100_v5", 80, 2, "H100", 94, "standardNCadsH100v5Family"),
        _v("Standard_ND96isr_H100_v5", 96, 8, "H100", 80, "standardNDSH100v5Family"),
        # CPU sizes, listed so that choosing one gets "no GPU" rather than "unknown SKU".
        _v("Standard_F4s_v2", 4, 0, "", 0, "standardFSv2Family"),
        _v("Standard_DS3_v2", 4, 0, "", 0, "standardDSv2Family"),
        _v("Standard_E4s_v3", 4, 0, "", 0, "standardESv3Family"),
    )
}

# Pay-as-you-go Llama 3 is offered only to hubs in these regions [SEED]. Microsoft later listed more
# (eastus, northcentralus, southcentralus, westus, westus3 [DOCS]); a stack widens the set with
# `llama-on-azure:serverlessRegions` rather than anyone editing this default.
DEFAULT_SERVERLESS_REGIONS: tuple[str, ...] = ("eastus2", "swedencentral")

# Azure public regions: programmatic name -> display name, so "East US 2" is accepted too.
AZURE_REGIONS: dict[str, str] = {
    "australiacentral": "Australia Central",
    "australiaeast": "Australia East",
    "australiasoutheast": "Australia Southeast",
    "brazilsouth": "Brazil South",
    "canadacentral": "Canada Central",
    "canadaeast": "Canada East",
    "centralindia": "Central India",
    "centralus": "Central US",
    "eastasia": "East Asia",
    "eastus": "East US",
    "eastus2": "East US 2",
    "francecentral": "France Central",
    "germanywestcentral": "Germany West Central",
    "italynorth": "Italy North",
    "japaneast": "Japan East",
    "japanwest": "Japan West",
    "koreacentral": "Korea Central",
    "northcentralus": "North Central US",
    "northeurope": "North Europe",
    "norwayeast": "Norway East",
    "polandcentral": "Poland Central",
    "qatarcentral": "Qatar Central",
    "southafricanorth": "South Africa North",
    "southcentralus": "South Central US",
    "southeastasia": "Southeast Asia",
    "southindia": "South India",
    "spaincentral": "Spain Central",
    "swedencentral": "Sweden Central",
    "switzerlandnorth": "Switzerland North",
    "uaenorth": "UAE North",
    "uksouth": "UK South",
    "ukwest": "UK West",
    "westcentralus": "West Central US",
    "westeurope": "West Europe",
    "westus": "West US",
    "westus2": "West US 2",
    "westus3": "West US 3",
}


def normalize_region(value: str) -> str | None:
    """`East US 2`, `eastus2` or `EastUS2` -> `eastus2`; None when it is no Azure region."""
    key = value.replace(" ", "").lower()
    return key if key in AZURE_REGIONS else None


# Limits [SEED, DOCS].
SERVERLESS_TOKENS_PER_MINUTE = 200_000
SERVERLESS_REQUESTS_PER_MINUTE = 1_000
MAX_INSTANCES_PER_DEPLOYMENT = 50
MAX_DEPLOYMENTS_PER_ENDPOINT = 20
MAX_REQUEST_TIMEOUT_SECONDS = 180

# Permissions the how-to lists for deploying pay-as-you-go Llama without Owner/Contributor [SEED],
# by the scope it names. `workspaces/marketplaceSubscriptions/*` is added: it is the ARM type's real
# name, while the how-to writes marketplaceModelSubscriptions (which one RBAC checks is UNCONFIRMED).
DEPLOYER_ACTIONS: dict[str, tuple[str, ...]] = {
    "subscription": (
        "Microsoft.MarketplaceOrdering/agreements/offers/plans/read",
        "Microsoft.MarketplaceOrdering/agreements/offers/plans/sign/action",
        "Microsoft.MarketplaceOrdering/offerTypes/publishers/offers/plans/agreements/read",
        "Microsoft.Marketplace/offerTypes/publishers/offers/plans/agreements/read",
        "Microsoft.SaaS/register/action",
    ),
    "resourceGroup": (
        "Microsoft.SaaS/resources/read",
        "Microsoft.SaaS/resources/write",
    ),
    "project": (
        "Microsoft.MachineLearningServices/workspaces/marketplaceModelSubscriptions/*",
        "Microsoft.MachineLearningServices/workspaces/marketplaceSubscriptions/*",
        "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/*",
    ),
}

# Built-in "Azure AI Developer" role [DOCS]; it has no Marketplace or SaaS actions.
AZURE_AI_DEVELOPER_ROLE_ID = "64702f94-c441-49e6-a78b-ef80e0188fee"
