"""Private endpoints: the group ids each resource type takes and the private DNS zones each group is registered in,
per Azure cloud [private-endpoint-dns, private-endpoint-overview]."""

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class PrivateLink:
    """One resource type reached through private endpoints: per group id, the zones of each cloud."""

    resource_type: str
    zones: dict[str, dict[str, tuple[str, ...]]]
    """Group id -> cloud -> private DNS zones; a cloud missing from a group: not documented there."""
    source: str = "private-endpoint-dns"


CLOUDS = ("public", "usgovernment", "china")
_ML = {
    "public": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
    "usgovernment": ("privatelink.api.ml.azure.us", "privatelink.notebooks.usgovcloudapi.net"),
    "china": ("privatelink.api.ml.azure.cn", "privatelink.notebooks.chinacloudapi.cn"),
}


def _storage(service: str) -> dict[str, tuple[str, ...]]:
    return {
        "public": (f"privatelink.{service}.core.windows.net",),
        "usgovernment": (f"privatelink.{service}.core.usgovcloudapi.net",),
        "china": (f"privatelink.{service}.core.chinacloudapi.cn",),
    }


# An AIServices account answers on <name>.cognitiveservices, .openai and .services.ai: its one group `account` is
# registered in all three zones in the public cloud (the zone values page and foundry-samples' private network
# setup; the AVM tests and a quickstart register only two). Azure Government documents the first zone only, Azure
# China none [private-endpoint-dns].
ACCOUNT = PrivateLink(
    "Microsoft.CognitiveServices/accounts",
    {
        "account": {
            "public": (
                "privatelink.cognitiveservices.azure.com",
                "privatelink.openai.azure.com",
                "privatelink.services.ai.azure.com",
            ),
            "usgovernment": ("privatelink.cognitiveservices.azure.us",),
        }
    },
)
# A hub's projects use the hub's private endpoint: "Project workspaces reuse the FQDNs of the associated hub
# workspaces" [hub-private-link]; its serverless endpoints follow the hub's public network access [serverless-network].
WORKSPACE = PrivateLink("Microsoft.MachineLearningServices/workspaces", {"amlworkspace": _ML})
# The hub needs both a blob and a file private endpoint on its storage account [hub-private-link].
STORAGE = PrivateLink("Microsoft.Storage/storageAccounts", {"blob": _storage("blob"), "file": _storage("file")})
VAULT = PrivateLink(
    "Microsoft.KeyVault/vaults",
    {
        "vault": {
            "public": ("privatelink.vaultcore.azure.net",),
            "usgovernment": ("privatelink.vaultcore.usgovcloudapi.net",),
            "china": ("privatelink.vaultcore.azure.cn",),
        }
    },
)
# The registry's data endpoint records go into the same zone, which has no zone of its own
# [private-endpoint-dns, acr-private-link].
REGISTRY = PrivateLink(
    "Microsoft.ContainerRegistry/registries",
    {"registry": {"public": ("privatelink.azurecr.io",), "usgovernment": ("privatelink.azurecr.us",)}},
)

DEFAULT_ADDRESS_SPACE = "10.42.0.0/16"
DEFAULT_SUBNET = "10.42.0.0/24"
"""The virtual network and private endpoint subnet a private stack creates when it is given none."""
DOCKER_BRIDGE = ipaddress.ip_network("172.17.0.0/16")
"""Not for the virtual network: Azure ML's containers use it [foundry-private-link, hub-private-link]."""
PRIVATE_ENDPOINT_POLICIES = "Disabled"
"""The created subnet's privateEndpointNetworkPolicies: any value allows private endpoints, Disabled (Azure's default)
keeps NSGs and route tables off them [pe-network-policies]."""
ZONE_GROUP_MAX = 5
"""Zones one private DNS zone group holds at most (AVM private-dns-zone-group)."""
