"""Service limits the config checks before Azure would refuse them."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Service limits the config checks before Azure would refuse them [seed, ml-quotas, foundry-quotas]."""

    # Enforced by Azure per request, not checkable in config: kept here so the README quotes one source.
    serverless_tokens_per_minute: int = 200_000
    serverless_requests_per_minute: int = 1_000
    max_instances_per_deployment: int = 50
    max_deployments_per_endpoint: int = 20
    max_request_timeout_seconds: int = 180
    max_foundry_deployments_per_resource: int = 32
    foundry_capacity: tuple[int, int] = (1, 10_000)
    """Range of a Foundry deployment's capacity this project accepts at all; preflight reads the model's
    skus[].capacity range and the quota from Azure."""
    foundry_default_quota_tpm: int = 400_000
    """The documented default quota of Llama-3.3-70B-Instruct and Maverick, per region and subscription (1,000 RPM,
    300 concurrent requests beside it) [foundry-quotas]."""
    foundry_capacity_unit_tpm: int = 1_000
    """Tokens per minute of one GlobalStandard capacity unit: not stated by Microsoft for Llama
    [conflict foundry-capacity-unit]."""
    provisioned_minimum: int = 100
    provisioned_step: int = 100
    """Global provisioned Llama-3.3-70B-Instruct: at least 100 PTU, in steps of 100 [ptu]."""
    sources: tuple[str, ...] = field(default=("seed", "ml-quotas", "foundry-quotas", "ptu"))


LIMITS = Limits()
