"""Where Microsoft's sources disagree: both sides with their sources, and what the program does about it."""

from dataclasses import dataclass

from catalog.sources import SOURCES


@dataclass(frozen=True)
class Conflict:
    """Two sources that say different things about one fact; never resolved silently."""

    subject: str
    one: tuple[str, str]
    """(source key, what it says)."""
    other: tuple[str, str]
    program: str
    """What the program does while the sources disagree; `preflight` asks Azure where an API answers."""

    def sentence(self) -> str:
        (a, said_a), (b, said_b) = self.one, self.other
        return (
            f"{self.subject}: {said_a} ({SOURCES[a].title.split(' (')[0]}, {SOURCES[a].dated}) but {said_b} "
            f"({SOURCES[b].title.split(' (')[0]}, {SOURCES[b].dated}); {self.program}"
        )


CONFLICTS: dict[str, Conflict] = {
    "llama33-managed-compute": Conflict(
        "Llama-3.3-70B-Instruct on managed compute",
        ("catalog-overview-2025", "an older catalog page lists it for managed compute"),
        ("deployments-overview", "the deployment overview offers managed compute only for models not sold by Azure"),
        "the plan warns, and preflight's answer (the registry model's system_metadata.supportedComputes) decides",
    ),
    "llama32-small-serverless": Conflict(
        "Llama 3.2 1B/3B and Llama Guard 3 as serverless APIs",
        ("serverless-regions", "the serverless availability page lists them in seven regions"),
        ("partners", "the partner model list no longer names them (they are on no retirement list)"),
        "the plan accepts them with a warning; no Azure API lists serverless offers, so preflight cannot confirm",
    ),
    "llama33-foundry-version": Conflict(
        "the model version of Llama-3.3-70B-Instruct as a Foundry Model",
        ("list-models-2025", 'Azure\'s own model list gave version "3"'),
        ("foundry-models", 'Microsoft\'s catalog links name registry version "4"'),
        'the catalog pins "4" and accepts "3"; preflight lists the versions Azure offers in the region',
    ),
    "foundry-capacity-unit": Conflict(
        "the unit of a GlobalStandard Llama deployment's capacity",
        ("foundry-cli-deployments", "the CLI how-to deploys capacity 1 without naming a unit"),
        ("foundry-quotas", "the quota page gives Llama's default quota in tokens per minute (400,000 TPM)"),
        "the plan warns above 400 units (400,000 TPM at 1,000 TPM a unit); preflight checks Azure's range and quota",
    ),
    "foundry-token-scope": Conflict(
        "the Entra ID scope of a token for a Foundry resource's inference",
        ("foundry-entra", "the Foundry Models endpoints page requires https://ai.azure.com/.default"),
        (
            "openai-v1",
            "the v1 API page (and the OpenAI SDK migration guide, and the legacy inference page) use "
            "https://cognitiveservices.azure.com/.default",
        ),
        "smoke and env ask for https://ai.azure.com/.default, the newest page's, written for Foundry Models on the v1 "
        "route; an app whose token is refused with it tries the other",
    ),
    "foundry-endpoint-form": Conflict(
        "the form of a Foundry resource's 'Azure AI Model Inference API' endpoint",
        ("model-inference-bicep", "Microsoft's Bicep sample writes it ending in /models"),
        ("foundry-cli-deployments", "the CLI how-to says to append /models to it"),
        "the export takes either form (a trailing /models or / is dropped) and calls the /openai/v1 route",
    ),
}
