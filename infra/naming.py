"""Azure resource names derived from the stack: deterministic, within Azure's rules, unique where Azure needs it."""

import hashlib
import re
from dataclasses import dataclass

# Azure's rules, per resource type (Microsoft Learn "Naming rules and restrictions for Azure resources",
# and the REST specs for the Machine Learning and Cognitive Services types):
#   storage account      3-24, lowercase letters and digits, globally unique
#   key vault            3-24, letters/digits/dashes, starts with a letter, no "--", globally unique
#   container registry   5-50, letters and digits, globally unique
#   ML workspace         ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$, blocked for 14 days after a delete (soft delete)
#   serverless endpoint  ^[a-zA-Z][a-zA-Z0-9-]{0,51}$, unique per region across Azure (part of its URL)
#   online endpoint      3-32, a letter first, letters/digits/dashes, unique per region across Azure
#   Foundry resource     2-64, letters/digits/dashes, its custom subdomain globally unique
#   resource group       1-90, letters/digits/._-() not ending in "."
#   Log Analytics        4-63, letters/digits/dashes, starts and ends with letter or digit
STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
KEY_VAULT = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
CONTAINER_REGISTRY = re.compile(r"^[a-zA-Z0-9]{5,50}$")
WORKSPACE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")
SERVERLESS_ENDPOINT = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,51}$")
ONLINE_ENDPOINT = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$")
FOUNDRY_ACCOUNT = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}[a-zA-Z0-9]$")
RESOURCE_GROUP = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")
LOG_ANALYTICS = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]$")
BUDGET = re.compile(r"^[a-zA-Z0-9_-]{1,63}$")
MARKETPLACE_SUBSCRIPTION = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$")
ENVIRONMENT = re.compile(r"^[a-z][a-z0-9]{0,11}$")

SUFFIX_LENGTH = 6
MAX_WORKSPACE, MAX_ONLINE_ENDPOINT, MAX_SERVERLESS_ENDPOINT, MAX_FOUNDRY_ACCOUNT = 33, 32, 52, 64


def unique_suffix(*parts: str) -> str:
    """A short stable hash, like Bicep's uniqueString(): same inputs, same suffix, every run."""
    digest = hashlib.sha256("/".join(p.lower() for p in parts).encode()).hexdigest()
    return digest[:SUFFIX_LENGTH]


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def environment_for_stack(stack: str) -> str | None:
    """The environment a stack name stands for: itself when it is one (`dev`), else a slug and a hash of it.

    `three-serverless` -> `threese` + 4 hex digits; two stack names never share an environment, so
    never a resource group or a name. None when the stack name has no letter or digit.
    """
    if ENVIRONMENT.fullmatch(stack):
        return stack
    slug = _slug(stack)
    if not slug:
        return None
    head = slug if slug[0].isalpha() else "s" + slug
    return head[:7] + unique_suffix("stack", stack)[:4]


def with_suffix(readable: str, suffix: str, limit: int, separator: str = "-") -> str:
    """`readable` + separator + suffix within `limit`: the readable part is cut, the suffix never."""
    head = readable[: limit - len(suffix) - len(separator)].rstrip("-_")
    return f"{head}{separator}{suffix}"


def storage_account(prefix: str, environment: str, suffix: str) -> str:
    return with_suffix("st" + _slug(prefix) + _slug(environment), suffix, 24, separator="")


def key_vault(prefix: str, environment: str, suffix: str) -> str:
    return with_suffix(re.sub(r"-+", "-", f"kv-{_slug(prefix)}-{_slug(environment)}"), suffix, 24)


def container_registry(prefix: str, environment: str, suffix: str) -> str:
    return with_suffix("cr" + _slug(prefix) + _slug(environment), suffix, 50, separator="")


def workspace(kind: str, prefix: str, environment: str, suffix: str) -> str:
    """`hub-llama-dev-1a2b3c`: a deleted workspace blocks its name for 14 days, so the name carries the suffix."""
    return with_suffix(f"{kind}-{_slug(prefix)}-{_slug(environment)}", suffix, MAX_WORKSPACE)


def resource_group(prefix: str, environment: str) -> str:
    return f"rg-{_slug(prefix)}-{_slug(environment)}"[:90]


def log_analytics(prefix: str, environment: str) -> str:
    return f"log-{_slug(prefix)}-{_slug(environment)}"[:63].rstrip("-")


def app_insights(prefix: str, environment: str) -> str:
    return f"appi-{_slug(prefix)}-{_slug(environment)}"[:255]


def online_endpoint(name: str, suffix: str) -> str:
    """Online endpoints are unique per region across Azure and at most 32 characters."""
    return with_suffix(name, suffix, MAX_ONLINE_ENDPOINT)


def serverless_endpoint(name: str, suffix: str) -> str:
    """Serverless endpoint names are unique per region across Azure (`<name>.<region>.models.ai.azure.com`)."""
    return with_suffix(name, suffix, MAX_SERVERLESS_ENDPOINT)


def foundry_account(prefix: str, environment: str, suffix: str) -> str:
    """The Foundry resource and its custom subdomain (the host name of its endpoints, globally unique)."""
    return with_suffix(f"aif-{_slug(prefix)}-{_slug(environment)}", suffix, MAX_FOUNDRY_ACCOUNT)


def budget(prefix: str, environment: str) -> str:
    """A consumption budget is named within its scope, the stack's resource group."""
    return f"budget-{_slug(prefix)}-{_slug(environment)}"[:63]


def marketplace_subscription(model_name: str) -> str:
    """One subscription per project and offer, so the offer's name is the natural key."""
    return re.sub(r"[^a-zA-Z0-9\-_]", "-", model_name)[:255]


def private_endpoint(target: str, group: str) -> str:
    """`pe-<target>-<group>`: one private endpoint per target and subresource (at most 80 characters)."""
    return f"pe-{target}-{group}"[:80].rstrip("-_.")


def deployer_role(prefix: str, environment: str, suffix: str) -> str:
    """Custom role names are unique per tenant: the suffix keeps two subscriptions' stacks apart."""
    return f"Llama deployer ({_slug(prefix)}-{_slug(environment)}-{suffix})"


@dataclass(frozen=True)
class StackNames:
    """Every Azure name of one stack, derived once from its prefix, environment and suffix."""

    suffix: str
    resource_group: str
    storage_account: str
    key_vault: str
    container_registry: str
    log_analytics: str
    app_insights: str
    hub: str
    project: str
    foundry_account: str
    foundry_project: str
    deployer_role: str
    virtual_network: str
    budget: str
    endpoints: dict[str, str]
    """The config's name of each endpoint Azure needs unique per region -> its Azure name."""


def stack_names(
    prefix: str,
    environment: str,
    suffix: str,
    group: str,
    endpoints: dict[str, str],
) -> StackNames:
    return StackNames(
        suffix=suffix,
        resource_group=group,
        storage_account=storage_account(prefix, environment, suffix),
        key_vault=key_vault(prefix, environment, suffix),
        container_registry=container_registry(prefix, environment, suffix),
        log_analytics=log_analytics(prefix, environment),
        app_insights=app_insights(prefix, environment),
        hub=workspace("hub", prefix, environment, suffix),
        project=workspace("proj", prefix, environment, suffix),
        foundry_account=foundry_account(prefix, environment, suffix),
        foundry_project=f"proj-{_slug(prefix)}-{_slug(environment)}",
        deployer_role=deployer_role(prefix, environment, suffix),
        virtual_network=f"vnet-{_slug(prefix)}-{_slug(environment)}",
        budget=budget(prefix, environment),
        endpoints=dict(endpoints),
    )


# Azure Monitor and Key Vault names are unique within their group or vault and block nothing after a delete: no
# suffix. A diagnostic setting is named per resource (at most five a resource), an alert rule per group (1-260
# characters, none of *#&+:<>?@%{}\/), an action group's short name is 1-12 characters, a secret 1-127 letters, digits
# and dashes, unique in its vault (which a stack may share with others: the name carries the prefix and environment).

METRIC_ALERT = re.compile(r"^[^*#&+:<>?@%{}\\/]{1,260}$")
SECRET = re.compile(r"^[0-9A-Za-z-]{1,127}$")


def diagnostic_setting(prefix: str, environment: str) -> str:
    return f"diag-{_slug(prefix)}-{_slug(environment)}"


def action_group(prefix: str, environment: str) -> str:
    return f"ag-{_slug(prefix)}-{_slug(environment)}"


def action_group_short(prefix: str, environment: str) -> str:
    """What e-mails call the group: the prefix and environment in 12 characters."""
    return f"{_slug(prefix)}{_slug(environment)}"[:12]


def metric_alert(prefix: str, environment: str, subject: str, alert: str) -> str:
    """`alert-llama-dev-maverick-throttling`; a managed deployment's subject is `<endpoint>/<deployment>`."""
    return f"alert-{_slug(prefix)}-{_slug(environment)}-{subject.replace('/', '-')}-{alert}"[:260]


def endpoint_key_secret(prefix: str, environment: str, endpoint: str) -> str:
    """`llama-dev-chat-key`: the Key Vault secret holding an endpoint's key."""
    return f"{_slug(prefix)}-{_slug(environment)}-{re.sub(r'[^0-9A-Za-z-]', '-', endpoint)}-key"[:127]
