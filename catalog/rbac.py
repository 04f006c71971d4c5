"""Roles and permissions: the built-in roles the stack assigns and the actions deploying each path takes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltInRole:
    name: str
    id: str
    source: str = "builtin-roles"


# Built-in roles the stack assigns; Microsoft renamed the Azure AI roles to Foundry in 2026, ids unchanged.
AZURE_AI_DEVELOPER = BuiltInRole("Azure AI Developer", "64702f94-c441-49e6-a78b-ef80e0188fee")
"""Hub projects: create and call serverless and online endpoints; no Marketplace or SaaS actions."""
NETWORK_APPROVER = BuiltInRole(
    "Azure AI Enterprise Network Connection Approver", "b556d68e-0be0-4f35-a333-ad7ee1ce17ea", "hub-managed-network"
)
"""What a hub's identity needs on a resource its managed network reaches by private endpoint, since April 30, 2025."""
FOUNDRY_USER = BuiltInRole(
    "Foundry User (formerly Azure AI User)", "53ca6127-db72-4b80-b1b0-d745d6d5456d", "foundry-rbac"
)
"""Foundry resources: call model deployments with Entra ID (data actions Microsoft.CognitiveServices/*)."""
KEY_VAULT_SECRETS_USER = BuiltInRole("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", "key-vault-rbac")
"""Read a secret's value: what an application with a managed identity needs on an endpoint key's secret (a vault with
Azure RBAC authorization, as the hub's)."""
BUILT_IN_ROLES = (AZURE_AI_DEVELOPER, FOUNDRY_USER, KEY_VAULT_SECRETS_USER)


# Permissions the how-to lists for deploying pay-as-you-go Llama without Owner/Contributor [seed],
# by the scope it names. `workspaces/marketplaceSubscriptions/*` is added: it is the ARM type's real
# name, while the how-to writes marketplaceModelSubscriptions (which one RBAC checks is unconfirmed).
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
# Managed compute, on top of the how-to's list: the online endpoint, its deployments and its keys [ml-builtin-actions].
MANAGED_DEPLOYER_ACTIONS: tuple[str, ...] = (
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/*",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/listKeys/action",
)
# A stack that manages roles needs these too; Contributor lacks them [builtin-roles].
ROLE_MANAGEMENT_ACTIONS: tuple[str, ...] = (
    "Microsoft.Authorization/roleDefinitions/write",
    "Microsoft.Authorization/roleAssignments/write",
)

# What a deployer needs on top for Foundry resources: accounts, projects, deployments, content filters
# and their keys (Cognitive Services Contributor has them) [foundry-rbac].
FOUNDRY_DEPLOYER_ACTIONS: tuple[str, ...] = (
    "Microsoft.CognitiveServices/accounts/*",
    "Microsoft.CognitiveServices/locations/*/read",
)

# A private stack: its private endpoints, joining the subnet they take addresses in, and registering them in the
# zones [private-link-rbac]. The join actions are checked on the subnet and the zones themselves, which may be the
# landing zone's; what the stack creates itself (network, zones, links) needs the network types' writes.
PRIVATE_ENDPOINT_ACTIONS: tuple[str, ...] = (
    "Microsoft.Network/privateEndpoints/*",
    "Microsoft.Network/networkInterfaces/*",
    "Microsoft.Network/locations/availablePrivateEndpointTypes/read",
)
SUBNET_JOIN_ACTIONS: tuple[str, ...] = (
    "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Network/virtualNetworks/subnets/read",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
)
ZONE_JOIN_ACTIONS: tuple[str, ...] = ("Microsoft.Network/privateDnsZones/join/action",)
NETWORK_CREATE_ACTIONS: tuple[str, ...] = (
    "Microsoft.Network/virtualNetworks/*",
    "Microsoft.Network/privateDnsZones/*",
)


# Monitoring: diagnostic settings, metric alerts, action groups (Monitoring Contributor's), and the Log Analytics
# workspace a stack without a hub creates [builtin-roles].
MONITORING_DEPLOYER_ACTIONS: tuple[str, ...] = (
    "Microsoft.Insights/diagnosticSettings/*",
    "Microsoft.Insights/metricAlerts/*",
    "Microsoft.Insights/actionGroups/*",
    "Microsoft.OperationalInsights/workspaces/*",
)
# Endpoint keys written as Key Vault secrets through Azure Resource Manager (the management plane: Key Vault
# Contributor's Microsoft.KeyVault/*, no data-plane role) [builtin-roles, key-vault-rbac].
KEY_VAULT_SECRET_ACTIONS: tuple[str, ...] = ("Microsoft.KeyVault/vaults/secrets/*",)


def marketplace_actions() -> dict[str, tuple[str, tuple[str, ...]]]:
    """What buying a Marketplace offer takes, by scope label: the subscription's and the resource group's actions."""
    return {
        "subscription (Marketplace)": ("subscription", DEPLOYER_ACTIONS["subscription"]),
        "resource group (Marketplace)": ("group", DEPLOYER_ACTIONS["resourceGroup"]),
    }
