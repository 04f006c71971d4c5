"""Where clients call a deployment: routes, endpoint keys, hosts and the Entra ID scope of each path."""

from catalog.models import Api

# The Llama Chat / Completions API routes of a serverless endpoint [seed].
SERVERLESS_ROUTES: dict[Api, str] = {Api.CHAT: "/v1/chat/completions", Api.COMPLETIONS: "/v1/completions"}

# Entra ID scope of a token for a Foundry resource's inference endpoints [foundry-rbac].
FOUNDRY_TOKEN_SCOPE = "https://ai.azure.com/.default"

# endpoint, with the deployment name as `model` and no api-version [foundry-endpoints]. The endpoint is
# read from the account's `properties.endpoints` under this key, never built by hand [foundry-cli-deployments].
FOUNDRY_MODELS_ENDPOINT = "Azure AI Model Inference API"
FOUNDRY_ROUTES: dict[Api, str] = {
    Api.CHAT: "/openai/v1/chat/completions",
    # The v1 API's legacy completions route; no Llama offered as a Foundry Model today answers it.
    Api.COMPLETIONS: "/openai/v1/completions",
}
# The hosts those routes live on [foundry-endpoints]: a token for FOUNDRY_TOKEN_SCOPE opens every Foundry
# resource its holder may use, so `llama-on-azure smoke` sends it to these hosts only.
FOUNDRY_INFERENCE_HOST_SUFFIXES: tuple[str, ...] = (".services.ai.azure.com", ".openai.azure.com")
