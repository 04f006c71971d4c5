"""The config's vocabulary: its namespace, its error type, and the domain types each key is made of."""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

from catalog import monitoring, prices, regions
from clients.errors import UserError
from clients.identifiers import GUID
from infra import naming

NAMESPACE = "llama-on-azure"
# Namespaces a stack of this project may use: ours, the Azure provider's, and Pulumi's own (pulumi:tags...).
KNOWN_NAMESPACES = (NAMESPACE, "azure-native", "pulumi")
ENCRYPTED = "[encrypted]"
"""What a runner that cannot decrypt (the offline plan) hands the program for a `secure:` value."""
SECRET_KEYS = ("tags", "monitoring")
"""Keys whose value may be encrypted: the rest become names, regions and ids that are stored in plain text. Of
`monitoring`, only the webhook URLs (`monitoring.alerts.webhooks.<name>`), which the program keeps secret."""
WEBHOOKS = ("monitoring", "alerts", "webhooks")
"""Where webhook URLs are in the stack file: each a credential, encrypted there, a Pulumi secret everywhere after."""


CrossCheck = Callable[[Any], "tuple[str, str] | None"]


def cross_key(check: Callable[[Any], tuple[str, str] | None]) -> Callable[[Any], tuple[str, str] | None]:
    """Marks a rule across a section's keys. It judges the validated section, or, when another of its keys failed,
    the keys that validated (a failed key it reads stops it quietly): so a field error never hides it. It returns
    (the key its problem names, the problem), or None; one problem per rule, each its own line."""
    check.__cross_key__ = True  # type: ignore[attr-defined]
    return check


class FieldFailed(Exception):
    """A rule read a key that failed validation: the rule stops, the key's error is reported."""


def has_value(config: Any, name: str) -> bool:
    """Whether a key has a value, valid or not (a key that failed validation was given all the same)."""
    try:
        return getattr(config, name) is not None
    except FieldFailed:
        return True


class Section(BaseModel):
    """A part of the stack's config: camelCase keys in YAML, snake_case in Python; a typo is an error, never ignored.

    Rules across its keys are `@cross_key` methods, not model validators: pydantic runs those only when every key
    validated, so one wrong key would hide them."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True, strict=True)

    @classmethod
    def cross_key_problems(cls, config: Any, prefix: tuple[Any, ...]) -> list[str]:
        """Every cross-key problem of `config` (this section, validated or partial) and of the sections in it."""
        problems = []
        for check in _cross_checks(cls):
            try:
                found = check(config)
            except FieldFailed:
                continue
            if found is not None:
                key, problem = found
                problems.append(f"{key_for(*prefix, *([key] if key else []))}: {problem}")
        for name, info in cls.model_fields.items():
            alias = info.alias or name
            nested = config.nested(name) if isinstance(config, PartialConfig) else None
            try:
                value = nested if nested is not None else getattr(config, name)
            except FieldFailed:
                continue
            problems += cross_key_problems(value, (*prefix, alias))
        return problems


def _cross_checks(model: type[BaseModel]) -> list[Callable[[Any], tuple[str, str] | None]]:
    return [f for klass in reversed(model.__mro__) for f in vars(klass).values() if getattr(f, "__cross_key__", 0)]


def cross_key_problems(value: Any, prefix: tuple[Any, ...]) -> list[str]:
    """The cross-key problems of a key's value (a section, partial or not, or a list or map of them), one a line."""
    if isinstance(value, Section):
        return type(value).cross_key_problems(value, prefix)
    if isinstance(value, PartialConfig) and issubclass(value.model_class, Section):
        return value.model_class.cross_key_problems(value, prefix)
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in cross_key_problems(item, (*prefix, i))]
    if isinstance(value, dict):
        return [p for k, item in value.items() for p in cross_key_problems(item, (*prefix, k))]
    return []


def section_type(annotation: Any) -> type[Section] | None:
    """The section a field holds (through Optional and Annotated), if it holds one."""
    while True:
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is Annotated:
            annotation = args[0]
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
            inner = [a for a in args if a is not type(None)]
            if len(inner) != 1:
                return None
            annotation = inner[0]
        else:
            return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


class PartialConfig:
    """A section whose keys did not all validate: valid keys and defaults readable, a failed or missing required
    key raises FieldFailed, so that the rules still judge what is valid without inventing errors."""

    def __init__(
        self,
        model: type[BaseModel],
        values: Mapping[str, Any],
        failed: Iterable[str],
        nested: Mapping[str, PartialConfig] | None = None,
    ) -> None:
        self._model, self._values, self._failed = model, dict(values), frozenset(failed)
        self._nested = dict(nested or {})

    @property
    def model_class(self) -> type[BaseModel]:
        return self._model

    @property
    def model_fields_set(self) -> set[str]:
        """The keys the stack gives, valid or not."""
        return set(self._values) | set(self._failed)

    def nested(self, name: str) -> PartialConfig | None:
        """A section key that failed, as its own partial section (for its cross-key rules)."""
        return self._nested.get(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._failed:
            raise FieldFailed(name)
        if name in self._values:
            return self._values[name]
        prop = getattr(self._model, name, None)
        if isinstance(prop, property) and prop.fget is not None:
            return prop.fget(self)
        info = self._model.model_fields.get(name)
        if info is None:
            raise AttributeError(name)
        if info.is_required():
            raise FieldFailed(name)
        return info.get_default(call_default_factory=True)


class ConfigError(UserError):
    """A stack configuration mistake, worded for the person who edits `Pulumi.<stack>.yaml`."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]
        """Each problem on its own, so that a caller can add its own to the list."""


def shown(value: Any, limit: int = 80) -> str:
    """A value as messages quote it, cut to `limit` characters: a huge value never floods the terminal. Booleans
    and null as the stack file spells them (`true`, not Python's `True`); text quoted as Python quotes it."""
    text = _spelled(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _spelled(value: Any, depth: int = 0) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list | tuple) and depth > 8:
        return "..."  # shown cuts the text anyway: a value nested a thousand deep is never walked through
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_spelled(k, depth + 1)}: {_spelled(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_spelled(v, depth + 1) for v in value) + "]"
    if isinstance(value, str) and not value.isascii() and depth == 0:
        # A lookalike (Cyrillic U+0435 for 'e') reads as the allowed value it is not: its escapes say which it is.
        return f"{value!r} (that is {value!a})"
    return repr(value)


def shown_id(value: Any, limit: int = 160) -> str:
    """A resource id as messages quote it: cut in the middle, so its start and its last segments both show."""
    text = repr(value)
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return text[:half] + "..." + text[-half:]


def choices(values: Iterable[Any], refused: Any, label: str = "allowed:") -> str:
    """What a message offers instead of a refused value, never the refused value itself: where one of the values is
    it in another case, that one (names here are case-sensitive); else the others, after `label`."""
    values = [str(v) for v in values]
    if isinstance(refused, str):
        same = [v for v in values if v.lower() == refused.lower() and v != refused]
        if same:
            return f"case matters: did you mean {same[0]!r}?"
    return f"{label} {', '.join(v for v in values if v != str(refused)) or 'none'}"


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


def _matches(pattern: str, rule: str, show: Callable[[Any], str] = shown):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{show(value)} is not allowed: {rule}")
        return value

    return check


def text_type(pattern: str, rule: str, show: Callable[[Any], str] = shown) -> Any:
    """Text that must match `pattern` in full; an error says `rule` and shows the value with `show`."""
    return Annotated[str, AfterValidator(_matches(pattern, rule, show))]


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
    shown_id,
)
ZoneId = text_type(
    ZONE_ID,
    "a private DNS zone's resource id: /subscriptions/<GUID>/resourceGroups/<group>/providers/"
    "Microsoft.Network/privateDnsZones/<zone>",
    shown_id,
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
            f"{shown(value)} is not a currency of Azure's price list; {choices(prices.CURRENCIES, value, 'one of')}"
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


WORKSPACE_ID = (
    rf"/subscriptions/{_GUID}/resourceGroups/{_GROUP}/providers/Microsoft\.OperationalInsights/workspaces/"
    r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]"
)
VAULT_ID = (
    rf"/subscriptions/{_GUID}/resourceGroups/(?P<group>{_GROUP})/providers/Microsoft\.KeyVault/vaults/"
    r"(?P<vault>[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9])"
)
WorkspaceId = text_type(
    WORKSPACE_ID,
    "a Log Analytics workspace's resource id: /subscriptions/<GUID>/resourceGroups/<group>/providers/"
    "Microsoft.OperationalInsights/workspaces/<name>",
)
VaultId = text_type(
    VAULT_ID,
    "a key vault's resource id: /subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.KeyVault/"
    "vaults/<name>",
)
RECEIVER_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,59}"
ReceiverName = text_type(RECEIVER_NAME, "1-60 letters, digits, dashes or underscores")
"""A name under `webhooks` that may be a URL is never shown: infra/config/parse.py hides it."""
WindowMinutes = Literal[monitoring.WINDOW_MINUTES]  # type: ignore[valid-type]
WEBHOOK_MAX = 2048


def _webhook(value: str) -> str:
    # A webhook URL carries the receiver's credential: a message about it never shows it. Offline an encrypted one
    # stands in as ENCRYPTED (checked at `pulumi up`).
    if value == ENCRYPTED:
        return value
    if len(value) > WEBHOOK_MAX or not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?", value):
        raise ValueError(
            f"not an https URL of at most {WEBHOOK_MAX} characters (the value is not shown: a webhook URL is a "
            "credential); Azure Monitor posts alerts to it"
        )
    return value


WebhookUrl = Annotated[str, AfterValidator(_webhook)]
