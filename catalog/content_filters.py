"""Content filter (RaiPolicy) names and Microsoft's default guardrails for text models."""

from dataclasses import dataclass

# Content filter (RaiPolicy) names exactly as API 2025-06-01 takes them, with the spaces [rai-content-filters].
RAI_HARM_CATEGORIES: tuple[str, ...] = ("Hate", "Sexual", "Violence", "Selfharm")
"""Multi-level filters: the only ones that take a severity threshold, on prompts and on completions."""
RAI_JAILBREAK = "Jailbreak"
"""Prompt Shields for jailbreak attacks; prompts only."""
RAI_INDIRECT_ATTACK = "Indirect Attack"
"""Prompt Shields for attacks hidden in documents; prompts only."""
RAI_PROTECTED_TEXT = "Protected Material Text"
"""Completions only."""
RAI_PROTECTED_CODE = "Protected Material Code"
"""Completions only."""
RAI_SEVERITIES: tuple[str, ...] = ("Low", "Medium", "High")
"""Severity thresholds, strictest first: a filter blocks content of its threshold and above."""


@dataclass(frozen=True)
class ContentFilterDefaults:
    """Microsoft's default content filter policy for text models, which a deployment gets by its name."""

    name: str
    """The RaiPolicy name a deployment gives to use it."""
    thresholds: dict[str, str]
    """Harm category -> severity threshold, on prompts and completions."""
    filters: tuple[str, ...]
    """The other filters it turns on (blocking)."""
    source: str = "default-safety"


# The default guardrails of Foundry Models for text models [default-safety]; Microsoft.DefaultV2 is the
# name Microsoft's own templates give deployments for them (Azure-Samples/azureai-model-inference-bicep).
MICROSOFT_DEFAULT_CONTENT_FILTER = ContentFilterDefaults(
    "Microsoft.DefaultV2",
    {category: "Medium" for category in RAI_HARM_CATEGORIES},
    (RAI_JAILBREAK, RAI_PROTECTED_TEXT, RAI_PROTECTED_CODE),
)
