"""Where clients call a deployment: routes, endpoint keys, hosts and the Entra ID scope of each path."""

import datetime as dt
import re

from catalog.models import Api

# The Llama Chat / Completions API routes of a serverless endpoint [seed].
SERVERLESS_ROUTES: dict[Api, str] = {Api.CHAT: "/v1/chat/completions", Api.COMPLETIONS: "/v1/completions"}

# What the OpenAI SDK appends to its base_url for each API [openai-python]: a route ending so has its base
# in front of it (serverless: the inference URI's /v1; Foundry: the resource's /openai/v1).
OPENAI_SDK_PATHS: dict[Api, str] = {Api.CHAT: "/chat/completions", Api.COMPLETIONS: "/completions"}

# Entra ID scopes of a Foundry resource: Microsoft documents two. The Foundry Models endpoints page (the newest,
# written for Llama and the other models on the v1 route) requires https://ai.azure.com/.default [foundry-entra], as
# the Foundry RBAC page [foundry-rbac]; the v1 API's page, the migration guide to the OpenAI SDK and the legacy
# inference page give https://cognitiveservices.azure.com/.default [openai-v1] [inference-to-openai]
# [model-inference-rest-2025]. Smoke and `env` ask for FOUNDRY_TOKEN_SCOPE (catalog/conflicts.py foundry-token-scope).
FOUNDRY_TOKEN_SCOPE = "https://ai.azure.com/.default"
OPENAI_V1_TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"
"""The other documented scope: not asked for, kept so the conflict names a fact and an app can fall back to it."""

# endpoint, with the deployment name as `model` and no api-version [foundry-endpoints]. The endpoint is
# read from the account's `properties.endpoints` under this key, never built by hand [foundry-cli-deployments].
FOUNDRY_MODELS_ENDPOINT = "Azure AI Model Inference API"
FOUNDRY_ROUTES: dict[Api, str] = {
    Api.CHAT: "/openai/v1/chat/completions",
    # The v1 API's legacy completions route; no Llama offered as a Foundry Model today answers it.
    Api.COMPLETIONS: "/openai/v1/completions",
}
# The hosts those routes live on [foundry-endpoints]: a token for the Foundry scopes opens every Foundry
# resource its holder may use, so `llama-on-azure smoke` sends it to these hosts only.
FOUNDRY_INFERENCE_HOST_SUFFIXES: tuple[str, ...] = (".services.ai.azure.com", ".openai.azure.com")

# A managed online endpoint takes requests on the scoring URI Azure reports (exported as is), which is
# `https://<endpoint>.<region>.inference.ml.azure.com/score`. A container that serves the OpenAI API itself
# (vLLM's server, scoring_route path /) answers under the same host's /v1/ [vllm-managed-unconfirmed]: only
# then does the OpenAI SDK work there.
MANAGED_SCORING_PATH = "/score"
MANAGED_OPENAI_BASE_PATH = "/v1/"
# An online endpoint with auth mode AADToken takes an Entra ID token for this scope; one with AMLToken a token
# from `az ml online-endpoint get-credentials` that expires [online-endpoint-auth].
ONLINE_ENDPOINT_TOKEN_SCOPE = "https://ml.azure.com/.default"

# A Key Vault secret's versionless URI as azure-native's Secret reports it (properties.secretUri) [azure-native]:
# https://<vault>.vault.azure.net/secrets/<name>, optionally with /<version>.
KEY_VAULT_SECRET_PATH = re.compile(r"/secrets/[0-9A-Za-z-]{1,127}(?:/[0-9a-fA-F]{32})?")

# The Azure AI Inference SDK (azure-ai-inference) "is deprecated and will be retired on August 26, 2026"
# [foundry-endpoints]; older copies of the same pages say May 30, 2026. Either way it is retired: `env` and the
# README configure the OpenAI SDK on the v1 API, as the migration guide says [inference-to-openai].
AZURE_AI_INFERENCE_RETIRED = dt.date(2026, 8, 26)

# The azd AI chat template's variable for the chat model's deployment name on a Foundry resource [azd-ai-chat].
AZD_CHAT_DEPLOYMENT_VARIABLE = "AZURE_AI_CHAT_DEPLOYMENT_NAME"
# The variables the OpenAI SDK reads when `OpenAI()` gets no arguments [openai-v1] [openai-python].
OPENAI_SDK_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY")
