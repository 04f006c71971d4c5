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
    """Range of a Foundry deployment's capacity this project accepts. The unit is unconfirmed for Llama (Azure's
    usages name GlobalStandard capacity in thousands of tokens per minute for other models); preflight reads the
    model's skus[].capacity range from Azure."""
    sources: tuple[str, ...] = field(default=("seed", "ml-quotas", "foundry-quotas"))


LIMITS = Limits()
