"""The config's vocabulary: its namespace, its error type, and the domain types each key is made of."""

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator

from components import catalog, naming
from infra.errors import UserError

NAMESPACE = "llama-on-azure"
# Namespaces a stack of this project may use: ours, the Azure provider's, and Pulumi's own (pulumi:tags...).
KNOWN_NAMESPACES = (NAMESPACE, "azure-native", "pulumi")
ENCRYPTED = "[encrypted]"
"""What a runner that cannot decrypt (the offline plan) hands the program for a `secure:` value."""
SECRET_KEYS = ("tags",)
"""Keys whose value may be encrypted: the rest become names, regions and ids that are stored in plain text."""


class ConfigError(UserError):
    """A stack configuration mistake, worded for the person who edits `Pulumi.<stack>.yaml`."""


def key_for(*loc: Any) -> str:
    """('deployments', 0, 'model') -> 'llama-on-azure:deployments[0].model'."""
    key = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def _region(value: Any) -> str:
    if not isinstance(value, str) or (name := catalog.normalize_region(value)) is None:
        raise ValueError(
            f"{value!r} is not an Azure region; use a name like eastus2 or swedencentral "
            '(display names such as "East US 2" are accepted)'
        )
    return name


def _matches(pattern: str, rule: str):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not allowed: {rule}")
        return value

    return check


def _text(pattern: str, rule: str) -> Any:
    return Annotated[str, AfterValidator(_matches(pattern, rule))]


def registry_version(value: Any) -> int:
    # A registry version is a positive integer (the N of /versions/N); YAML gives 27, a quoted "27" is fine too.
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,6}", text) or int(text) < 1:
        raise ValueError(f"{value!r} is not a model version; use the number that ends the model id (/versions/N)")
    return int(text)


def _model_version(value: Any) -> str:
    # Foundry model versions are strings ("1", "2024-11-20"); an unquoted YAML 1 arrives as a number.
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.-]{0,63}", text):
        raise ValueError(f'{value!r} is not a model version; use the version Azure lists, like "1"')
    return text


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address or CIDR range like 203.0.113.0/24") from None
    return value


Region = Annotated[str, BeforeValidator(_region)]
EndpointName = _text(
    r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,30}[a-zA-Z0-9]",
    "3-32 characters, a letter first, then letters, digits or single dashes, not ending in a dash",
)
ModelName = _text(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", "a model name as Azure spells it, like Llama-3.3-70B-Instruct")
PolicyName = _text(r"[a-zA-Z0-9][a-zA-Z0-9_-]{1,63}", "2-64 letters, digits, dashes or underscores")
Environment = _text(naming.ENVIRONMENT.pattern, "1-12 lowercase letters and digits, a letter first")
Prefix = _text(r"[a-z][a-z0-9]{1,9}", "2-10 lowercase letters and digits, a letter first")
NameSuffix = _text(r"[a-z0-9]{6}", "6 lowercase letters or digits")
ResourceGroupName = _text(naming.RESOURCE_GROUP.pattern, "1-90 letters, digits, ._-() and not ending in '.'")
PrincipalId = _text(
    naming.GUID.pattern,
    "an Entra object id, a GUID like 00000000-0000-0000-0000-000000000000 (az ad user show --id ...)",
)
SubnetId = _text(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+",
    "a subnet's resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>)",
)
RegistryVersion = Annotated[int, BeforeValidator(registry_version)]
ModelVersion = Annotated[str, BeforeValidator(_model_version)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Switch = Literal["Enabled", "Disabled"]
Severity = Literal["Low", "Medium", "High"]
