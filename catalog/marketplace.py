"""Who can buy from Azure Marketplace: the subscription offers that cannot, by the quota id ARM reports."""

# Offers that cannot buy Marketplace offers at all (quota id prefix -> the offer) [offer-types, partners, quota-ids].
# MPN_ and MSDNDevTest_ are left out on purpose: those prefixes also cover paid offers; a spending limit
# (`subscriptionPolicies.spendingLimit: On`) is checked on its own.
NO_MARKETPLACE: dict[str, str] = {
    "FreeTrial_": "a free trial",
    "AzureForStudents_": "Azure for Students",
    "DreamSpark_": "Azure for Students Starter",
    "AzurePass_": "Azure Pass",
    "Sponsored_": "Azure Sponsorship",
    "MSDN_": "a Visual Studio (MSDN) subscription",
}
# Cloud Solution Provider subscriptions cannot buy third-party model offerings [partners].
NO_THIRD_PARTY: dict[str, str] = {
    "CSP_": "a Cloud Solution Provider (CSP) subscription",
    "CSPDEVTEST_": "a CSP dev/test subscription",
}


def refusal(quota_id: str) -> str | None:
    """Why a subscription of this offer cannot buy a Llama Marketplace offer; None when nothing here forbids it."""
    for prefix, offer in {**NO_MARKETPLACE, **NO_THIRD_PARTY}.items():
        if quota_id.lower().startswith(prefix.lower()):
            return f"{offer} cannot buy Azure Marketplace offers, which this stack's Llama models are sold through"
    return None
