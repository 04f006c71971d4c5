"""The stack configuration: the `llama-on-azure:*` keys of `Pulumi.<stack>.yaml`, validated once, read everywhere."""

from infra.config.model import (
    DEFAULT_CONTENT_FILTER,
    KINDS,
    Access,
    ContentFilter,
    DeclaredModel,
    Foundry,
    FoundryDeployment,
    Hub,
    ManagedDeployment,
    Parsed,
    ServerlessDeployment,
    StackConfig,
)
from infra.config.parse import TODAY_VARIABLE, config_from_engine, parse_stack_config, today_utc
from infra.config.types import ENCRYPTED, NAMESPACE, SECRET_KEYS, ConfigError, key_for

__all__ = [
    "DEFAULT_CONTENT_FILTER",
    "ENCRYPTED",
    "KINDS",
    "NAMESPACE",
    "SECRET_KEYS",
    "TODAY_VARIABLE",
    "Access",
    "ConfigError",
    "ContentFilter",
    "DeclaredModel",
    "Foundry",
    "FoundryDeployment",
    "Hub",
    "ManagedDeployment",
    "Parsed",
    "ServerlessDeployment",
    "StackConfig",
    "config_from_engine",
    "key_for",
    "parse_stack_config",
    "today_utc",
]
