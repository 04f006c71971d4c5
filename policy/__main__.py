"""The policy pack the Pulumi CLI starts (`pulumi preview --policy-pack policy`): it serves and blocks."""

from pulumi_policy import EnforcementLevel, PolicyPack
from pulumi_policy import policy as _analyzer

# The analyzer host runs this folder with runpy, which puts it on sys.path: the pack imports only itself.
from rules import PACK_NAME, POLICIES, deserialize_marking_secrets

# Let the stack policy see which outputs are secrets (see deserialize_marking_secrets).
_analyzer.deserialize_properties = deserialize_marking_secrets

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Guardrails for Meta Llama on Azure AI Studio: content safety, regions, GPUs, secure hub dependencies",
    provider="azure",
    tags=["azure", "ai-studio", "llama"],
)
