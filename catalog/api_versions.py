"""REST API versions of the calls the tools make outside azure-native."""

# REST API versions of the calls made outside azure-native: the providers' the same as azure-native's own
# [azure-native], the others the stable ones of the specs [rest-api-specs].
API_VERSIONS: dict[str, str] = {
    "Microsoft.MachineLearningServices": "2025-12-01",
    "Microsoft.CognitiveServices": "2025-06-01",
    "subscriptions": "2022-12-01",
    "providers": "2021-04-01",
    "permissions": "2022-04-01",
    "Microsoft.Network": "2024-05-01",
    "privateDnsZones": "2024-06-01",
}
ML_API_VERSION = API_VERSIONS["Microsoft.MachineLearningServices"]
