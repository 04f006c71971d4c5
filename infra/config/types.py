"""The config's vocabulary: its namespace, its error type, and the domain types each key is made of."""

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

from catalog import prices, regions
from clients.errors import UserError
from clients.identifiers import GUID
from infra import naming

NAMESPACE = "llama-on-azure"
# Namespaces a stack of this project may use: ours, the Azure provider's, and Pulumi's own (pulumi:tags...).
KNOWN_NAMESPACES = (NAMESPACE, "azure-native", "pulumi")
ENCRYPTED = "[encrypted]"
"""What a runner that cannot decrypt (the offline plan) hands the program for a `secure:` value."""
SECRET_KEYS = ("tags",)
"""Keys whose value may be encrypted: the rest become names, regions and ids that are stored in plain text."""


class Section(BaseModel):
    """A part of the stack's config: camelCase keys in YAML, snake_case in Python; a typo is an error, never ignored."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True, strict=True)


class ConfigError(UserError):
    """A stack configuration mistake, worded for the person who edits `Pulumi.<stack>.yaml`."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]
        """Each problem on its own, so that a caller can add its own to the list."""


def shown(value: Any, limit: int = 80) -> str:
    """A value as messages quote it, cut to `limit` characters: a huge value never floods the terminal."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def key_for(*loc: Any) -> str:
    """('deployments', 0, 'model') -> 'llama-on-azure:deployments[0].model'."""
    key = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def _region(value: Any) -> str:
    if not isinstance(value, str) or (name := regions.normalize_region(value)) is None:
        raise ValueError(
            f"{shown(value)} is not an Azure region; use a name like eastus2 or swedencentral "
            '(display names such as "East US 2" are accepted)'
        )
    return name


def _matches(pattern: str, rule: str):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{shown(value)} is not allowed: {rule}")
        return value

    return check


def text_type(pattern: str, rule: str) -> Any:
    """Text that must match `pattern` in full; an error says `rule`."""
    return Annotated[str, AfterValidator(_matches(pattern, rule))]


MAX_VERSION_LENGTH = 64
"""The longest model version a stack may give (README, "Model versions")."""
VERSION = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_VERSION_LENGTH - 1}}}"
VERSION_RULE = (
    f"a model version is 1-{MAX_VERSION_LENGTH} ASCII letters, digits, '.', '_' or '-', a letter or digit first"
)
REGISTRY_RULE = (
    "managed compute deploys a registry version, a whole number from 1 (the N that ends the model's id, /versions/N)"
)


def model_version(value: Any) -> str:
    """One rule for every model version a stack gives (a deployment's `modelVersion`, a declared model's `version`,
    the version weights are registered as): the text as written; an unquoted YAML number is its digits."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{shown(value)} is not text; {VERSION_RULE}")
    if isinstance(value, float):
        # YAML reads an unquoted 1.10 as the number 1.1: the version as written is gone.
        raise ValueError(
            f"{shown(value)} is a number, which YAML may have changed (1.10 reads as 1.1); "
            f'quote the version as Azure lists it, like "1.10"'
        )
    text = str(value)
    if len(text) > MAX_VERSION_LENGTH:
        raise ValueError(
            f"{shown(text, 40)} is {len(text)} characters long; at most {MAX_VERSION_LENGTH}: {VERSION_RULE}"
        )
    if not re.fullmatch(VERSION, text):
        raise ValueError(f"{shown(value)} is not allowed: {VERSION_RULE}")
    return text


def is_registry_version(text: str) -> bool:
    """Whether a (valid) model version is one managed compute can deploy: a whole number from 1."""
    return text.isascii() and text.isdigit() and int(text) >= 1


def registry_version(value: Any) -> int:
    """A managed deployment's `modelVersion`: a model version that is also a registry version."""
    text = model_version(value)
    if not is_registry_version(text):
        raise ValueError(f"{shown(value)} is a model version, but {REGISTRY_RULE}")
    return int(text)


RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _ip_rule(value: str) -> str:
    # A Foundry resource's IP rules take public IPv4 addresses or ranges only; a single address is written
    # without a prefix, ranges of /31 and /32 are refused [catalog source: ai-services-network].
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(
            f"{shown(value)} is not an IPv4 address or CIDR range like 203.0.113.0/24 (host bits zero)"
        ) from None
    if network.version != 4:
        raise ValueError(f"{shown(value)} is IPv6; Azure AI services IP rules take IPv4 only")
    if any(network.subnet_of(private) for private in RFC1918):
        raise ValueError(f"{shown(value)} is a private range (RFC 1918); IP rules allow public internet addresses only")
    if "/" in value and network.prefixlen > 30:
        raise ValueError(f"{shown(value)}: /31 and /32 ranges are not supported; give the single address alone")
    return value


Region = Annotated[str, BeforeValidator(_region)]
EndpointName = text_type(
    naming.ONLINE_ENDPOINT.pattern.strip("^$"),  # the strictest of the endpoint kinds: one name fits any
    "3-32 characters, a letter first, then letters, digits or single dashes, not ending in a dash",
)
ModelName = text_type(
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", "a model name as Azure spells it, like Llama-3.3-70B-Instruct"
)
PolicyName = text_type(r"[a-zA-Z0-9][a-zA-Z0-9_-]{1,63}", "2-64 letters, digits, dashes or underscores")
Environment = text_type(naming.ENVIRONMENT.pattern, "1-12 lowercase letters and digits, a letter first")
Prefix = text_type(r"[a-z][a-z0-9]{1,9}", "2-10 lowercase letters and digits, a letter first")
NameSuffix = text_type(
    r"[a-z0-9]{6}",
    "6 lowercase letters or digits (quote an all-digit one: a YAML number like 012345 is read as octal)",
)
ResourceGroupName = text_type(naming.RESOURCE_GROUP.pattern, "1-90 letters, digits, ._-() and not ending in '.'")
PrincipalId = text_type(
    GUID.pattern,
    "an Entra object id, a GUID like 00000000-0000-0000-0000-000000000000 (az ad user show --id ...)",
)
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_GROUP = r"[-\w.()]{0,89}[-\w()]"
SUBNET_ID = (
    rf"/subscriptions/{_GUID}/resourceGroups/{_GROUP}/providers/Microsoft\.Network/virtualNetworks/"
    r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]/subnets/[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?"
)
ZONE_ID = (
    rf"/subscriptions/{_GUID}/resourceGroups/{_GROUP}/providers/Microsoft\.Network/privateDnsZones/"
    r"(?P<zone>(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+[A-Za-z0-9-]{2,63})"
)
SubnetId = text_type(
    SUBNET_ID,
    "a subnet's resource id: /subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.Network/"
    "virtualNetworks/<vnet>/subnets/<subnet>",
)
ZoneId = text_type(
    ZONE_ID,
    "a private DNS zone's resource id: /subscriptions/<GUID>/resourceGroups/<group>/providers/"
    "Microsoft.Network/privateDnsZones/<zone>",
)
Fqdn = text_type(
    r"(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
    "a host name like pypi.org or *.pythonhosted.org (a wildcard only as the first label)",
)


def _private_range(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(f"{shown(value)} is not an IPv4 CIDR range like 10.42.0.0/16 (host bits zero)") from None
    if network.version != 4 or not any(network.subnet_of(private) for private in RFC1918):
        raise ValueError(f"{shown(value)} is not a private (RFC 1918) IPv4 range like 10.42.0.0/16")
    if network.overlaps(ipaddress.ip_network("172.17.0.0/16")):
        raise ValueError(f"{shown(value)} overlaps 172.17.0.0/16, which Azure ML's containers use; choose another")
    if network.prefixlen > 28:
        raise ValueError(f"{shown(value)} is smaller than /28, the smallest subnet Azure takes")
    return value


PrivateRange = Annotated[str, AfterValidator(_private_range)]
RegistryVersion = Annotated[int, BeforeValidator(registry_version)]
ModelVersion = Annotated[str, BeforeValidator(model_version)]
Cidr = Annotated[str, AfterValidator(_ip_rule)]


def _email(value: str) -> str:
    # What a budget notification takes: one address, no display name (Azure checks deliverability no further).
    if len(value) > 254 or not re.fullmatch(
        r"[^@\s,;<>\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+", value
    ):
        raise ValueError(f"{shown(value)} is not an e-mail address like team@example.com")
    return value


def _currency(value: Any) -> str:
    if value not in prices.CURRENCIES:
        raise ValueError(
            f"{shown(value)} is not a currency of Azure's price list; one of {', '.join(prices.CURRENCIES)}"
        )
    return value


def _percent(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1000:
        raise ValueError(f"{shown(value)} is not a percentage of the budget Azure takes: more than 0, at most 1000")
    return float(value)


Email = Annotated[str, AfterValidator(_email)]
Currency = Annotated[str, AfterValidator(_currency)]
Percent = Annotated[float, BeforeValidator(_percent)]
Switch = Literal["Enabled", "Disabled"]
Severity = Literal["Low", "Medium", "High"]
