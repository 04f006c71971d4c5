"""The stack's exports: the contract between the program that sets them and the tools that read them."""

from typing import Any, NotRequired, TypedDict

from clients.errors import UserError
from clients.redact import SECRET
from infra.kinds import KINDS

ENDPOINTS = "endpoints"
ENDPOINT_KEYS = "endpointKeys"
NETWORK = "network"
ENDPOINT_KEY_SECRETS = "endpointKeySecrets"
APIS = ("chat", "completions")
AUTHS = ("key", "entra", "token")
"""How a client signs in: a key from endpointKeys, an Entra ID token, or an endpoint token (managed AMLToken)."""


class ManagedDeploymentExport(TypedDict):
    model: str
    modelVersion: int
    vmSku: str
    instanceCount: int
    traffic: int


class EndpointExport(TypedDict):
    """One entry of `endpoints`, keyed by the deployment's name in the stack file; each kind declares its extra
    fields (`Kind.exports`)."""

    kind: str
    model: str
    api: str
    url: Any
    """The URL a client POSTs to."""
    name: Any
    """The Azure name (the stack file's name plus the stack's suffix, or the deployment name on a Foundry resource)."""
    auth: str
    deployment: NotRequired[str]
    """Foundry: the deployment name a client sends as `model`."""
    deployments: NotRequired[dict[str, ManagedDeploymentExport]]
    """Managed: the deployments behind the endpoint."""


class NetworkExport(TypedDict):
    private: bool
    subnetId: Any
    """The subnet the private endpoints take their addresses in."""
    virtualNetworkId: NotRequired[Any]
    """The network the stack created (absent in the landing zone's)."""
    dnsZones: list[str]
    """The private DNS zones the endpoints are registered in."""
    privateEndpoints: dict[str, Any]
    """`<resource>-<group id>` -> the private endpoint's name."""


class StackExports(TypedDict):
    region: str
    resourceGroupName: Any
    catalogAsOf: str
    endpoints: dict[str, EndpointExport]
    endpointKeys: Any
    """Secret: endpoint name -> key, for endpoints with `auth: key`."""
    costEstimate: dict[str, Any]
    """The monthly estimate from the price snapshot (infra/cost.py `Estimate.export`): what the policy
    `budget-covers-estimate` compares with the budget."""
    endpointKeySecrets: NotRequired[dict[str, Any]]
    """When keys are stored in Key Vault: endpoint name -> the versionless URI of its key's secret (not secret)."""
    hubId: NotRequired[Any]
    hubName: NotRequired[Any]
    projectId: NotRequired[Any]
    projectName: NotRequired[Any]
    studioUrl: NotRequired[Any]
    foundryAccountName: NotRequired[Any]
    foundryProjectName: NotRequired[Any]
    deployerRoleId: NotRequired[Any]
    network: NotRequired[NetworkExport]
    """A private stack's: tools read it to say where its endpoints can be reached from."""
    budgetName: NotRequired[Any]


class OutputsError(UserError):
    """Stack outputs that are not what this program exports."""


def read_endpoints(outputs: Any) -> tuple[dict[str, EndpointExport], dict[str, str]]:
    """`endpoints` and `endpointKeys` of `pulumi stack output --json --show-secrets`, checked against the contract."""
    if not isinstance(outputs, dict):
        raise OutputsError("the outputs are not a JSON object: expected `pulumi stack output --json --show-secrets`")
    endpoints, keys = outputs.get(ENDPOINTS), outputs.get(ENDPOINT_KEYS, {})
    if not isinstance(endpoints, dict) or not endpoints:
        raise OutputsError("the outputs have no endpoints: is this a llama-on-azure stack after pulumi up?")
    if keys == SECRET:
        raise OutputsError(f"endpointKeys is masked ({SECRET!r}): save the outputs with --show-secrets")
    if not isinstance(keys, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
        raise OutputsError("endpointKeys is not a map of endpoint name to key")
    problems = [p for name, e in endpoints.items() for p in _endpoint_problems(str(name), e)]
    if problems:
        raise OutputsError("the outputs do not match what llama-on-azure exports:\n  " + "\n  ".join(problems))
    return endpoints, keys


def _endpoint_problems(name: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return [f"endpoints.{name} is not an object"]
    problems = []
    for field, allowed in (("kind", tuple(KINDS)), ("api", APIS), ("auth", AUTHS)):
        if entry.get(field) not in allowed:
            problems.append(f"endpoints.{name}.{field} is {entry.get(field)!r}; expected one of {', '.join(allowed)}")
    if not isinstance(entry.get("url"), str) or not entry["url"]:
        problems.append(f"endpoints.{name}.url is missing")
    kind = KINDS.get(entry.get("kind"))  # type: ignore[arg-type]
    for extra in kind.exports if kind is not None else ():
        if entry.get(extra) in (None, ""):
            problems.append(f"endpoints.{name}.{extra} is missing (a {kind.name} endpoint exports it)")  # type: ignore[union-attr]
    return problems


def read_key_secrets(outputs: Any) -> dict[str, str]:
    """`endpointKeySecrets` (endpoint name -> Key Vault secret URI), empty where a stack stores no key in Key Vault."""
    found = outputs.get(ENDPOINT_KEY_SECRETS) if isinstance(outputs, dict) else None
    if found is None:
        return {}
    if not isinstance(found, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in found.items()):
        raise OutputsError(f"{ENDPOINT_KEY_SECRETS} is not a map of endpoint name to Key Vault secret URI")
    return found
