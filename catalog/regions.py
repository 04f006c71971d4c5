"""Azure's public regions by programmatic and display name [regions]."""

# Azure public regions: programmatic name -> display name, so "East US 2" is accepted too [regions].
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
