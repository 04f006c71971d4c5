"""Who can buy from Azure Marketplace: the subscription offers that cannot."""

# Subscription offers (quota id prefixes) that cannot buy from Azure Marketplace [offer-types, seed].
NO_MARKETPLACE_QUOTA_IDS: tuple[str, ...] = ("FreeTrial", "AzureForStudents", "AzurePass", "Sponsored")
