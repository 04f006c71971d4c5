"""A local server on 127.0.0.1 that answers like Azure Resource Manager, for the traffic resource, preflight and purge.

It keeps online endpoints and their deployments (refusing traffic that names an unknown deployment,
as ARM does), soft-deleted key vaults and Cognitive Services accounts (purged through long-running
operations), Cognitive Services' subdomain check, and answers any other GET from `static` or `paged`.
Writes run as long-running operations (Azure-AsyncOperation or Location polling). It can be told to
throttle, fail or be busy (409) for the next requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.local_server import JsonHandler, LocalServer

ENDPOINT_PATH = re.compile(
    r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+/onlineEndpoints/[^/?]+)$"
)
DELETED_VAULTS = re.compile(r"^/subscriptions/[^/]+/providers/Microsoft\.KeyVault/deletedVaults$")
DELETED_VAULT = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.KeyVault/locations/([^/]+)/deletedVaults/([^/]+)(/purge)?$"
)
DELETED_ACCOUNTS = re.compile(r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/deletedAccounts$")
DELETED_ACCOUNT = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/([^/]+)/resourceGroups/([^/]+)/"
    r"deletedAccounts/([^/]+)$"
)
DOMAIN_CHECK = re.compile(r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/checkDomainAvailability$")


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class ArmState:
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[str, set[str]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[tuple[Any, ...]] = field(default_factory=list)
    """Answers for the next requests, in order: (status, Retry-After[, code, message])."""
    polls_before_done: int = 2
    operation_outcome: str = "Succeeded"
    lro_style: str = "async-operation"  # or "location"
    token: str = "test-token"
    operations: dict[str, int] = field(default_factory=dict)
    static: dict[str, Any] = field(default_factory=dict)
    """GET path -> JSON body."""
    paged: dict[str, list[list[Any]]] = field(default_factory=dict)
    """GET path -> pages of a list operation, linked by nextLink."""
    pending: dict[str, Callable[[], None]] = field(default_factory=dict)
    """Operation -> what happens when it succeeds."""
    deleted_vaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Name -> DeletedVault."""
    deleted_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Name -> deleted Cognitive Services account."""
    taken_subdomains: set[str] = field(default_factory=set)
    broken: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    """Path -> (status, headers, body) answered as is to a signed-in request: an outage of one service."""

    def add_endpoint(self, path: str, deployments: list[str], traffic: dict[str, int] | None = None) -> None:
        name = path.rsplit("/", 1)[1]
        self.endpoints[path] = {
            "id": path,
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
            "location": "swedencentral",
            "tags": {"environment": "test"},
            "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
            "kind": "Managed",
            "systemData": {"createdBy": "someone"},
            "properties": {
                "authMode": "Key",
                "publicNetworkAccess": "Enabled",
                "traffic": dict(traffic or {}),
                "provisioningState": "Succeeded",
                "scoringUri": f"https://{name}.swedencentral.inference.ml.azure.com/score",
                "swaggerUri": f"https://{name}.swedencentral.inference.ml.azure.com/swagger.json",
            },
        }
        self.deployments[path] = set(deployments)

    def add_deleted_vault(self, subscription: str, name: str, location: str, purge_protection: bool) -> None:
        base = f"/subscriptions/{subscription}"
        self.deleted_vaults[name] = {
            "id": f"{base}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}",
            "name": name,
            "type": "Microsoft.KeyVault/deletedVaults",
            "properties": {
                "vaultId": f"{base}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{name}",
                "location": location,
                "deletionDate": "2026-11-20T10:00:00Z",
                "scheduledPurgeDate": "2027-02-18T10:00:00Z",
                "purgeProtectionEnabled": purge_protection,
            },
        }

    def add_deleted_account(self, subscription: str, group: str, name: str, location: str) -> None:
        self.deleted_accounts[name] = {
            "id": (
                f"/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/locations/{location}/"
                f"resourceGroups/{group}/deletedAccounts/{name}"
            ),
            "name": name,
            "kind": "AIServices",
            "location": location,
            "properties": {"deletionDate": "2026-11-26T10:00:00Z", "scheduledPurgeDate": "2026-11-28T10:00:00Z"},
        }


def _api(query: str) -> str:
    match = re.search(r"api-version=([0-9a-z.-]+)", query)
    return match.group(1) if match else ""


class _Handler(JsonHandler):
    state: ArmState

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.send_json(status, {"error": {"code": code, "message": message}}, headers)

    def _handle(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.state.requests.append(Recorded(method, path, query, dict(self.headers), body))
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            return self._error(401, "AuthenticationFailed", "missing or wrong bearer token")
        if self.state.faults:
            return self._fault(*self.state.faults.pop(0))
        if path in self.state.broken:
            return self._raw(*self.state.broken[path])
        if path.startswith("/operations/"):
            return self._operation(path)
        if method == "GET" and path in self.state.static:
            return self.send_json(200, self.state.static[path])
        if method == "GET" and path in self.state.paged:
            return self._page(path, query)
        if not _api(query):
            return self._error(400, "MissingApiVersionParameter", f"no api-version in {query!r}")
        for pattern, handler in (
            (DELETED_VAULTS, self._deleted_vaults),
            (DELETED_VAULT, self._deleted_vault),
            (DELETED_ACCOUNTS, self._deleted_accounts),
            (DELETED_ACCOUNT, self._deleted_account),
            (DOMAIN_CHECK, self._domain_check),
            (ENDPOINT_PATH, self._endpoint),
        ):
            match = pattern.match(path)
            if match:
                return handler(method, path, body, *match.groups())
        return self._error(404, "NotFound", f"no route {path}")

    def _raw(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, status: int, retry_after: str | None, code: str | None = None, message: str = "try later"):
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        code = code or ("TooManyRequests" if status == 429 else "ServerError")
        return self._error(status, code, message, headers)

    def _endpoint(self, method: str, path: str, body: Any, *_: str) -> None:
        if path not in self.state.endpoints:
            return self._error(404, "ResourceNotFound", f"endpoint {path} not found")
        if method == "GET":
            return self.send_json(200, self.state.endpoints[path])
        if method == "PUT":
            return self._put(path, body)
        return self._error(405, "MethodNotAllowed", method)

    def _put(self, path: str, body: dict[str, Any]) -> None:
        traffic = (body.get("properties") or {}).get("traffic") or {}
        for name in traffic:
            if name not in self.state.deployments[path]:
                return self._error(404, "UserError", f"Deployment {name} not found in endpoint {path}.")
        if traffic and sum(traffic.values()) != 100:
            return self._error(400, "UserError", "Traffic must sum to 100.")

        def apply() -> None:
            self.state.endpoints[path]["properties"]["traffic"] = dict(traffic)

        running = {**self.state.endpoints[path], "properties": {**body["properties"], "provisioningState": "Updating"}}
        self._start(apply, running, 201)

    def _start(self, done: Callable[[], None], body: Any = None, status: int = 202) -> None:
        """Starts a long-running operation that runs `done` when it succeeds."""
        op = f"op{len(self.state.operations) + 1}"
        self.state.operations[op] = 0
        self.state.pending[op] = done
        base = f"http://{self.headers['Host']}"
        if self.state.lro_style == "location":
            return self.send_json(202, None, {"Location": f"{base}/operations/{op}", "Retry-After": "0"})
        headers = {"Azure-AsyncOperation": f"{base}/operations/{op}?api-version=2025-12-01"}
        return self.send_json(status, body, headers)

    def _deleted_vaults(self, method: str, path: str, body: Any) -> None:
        self.send_json(200, {"value": list(self.state.deleted_vaults.values())})

    def _deleted_vault(self, method: str, path: str, body: Any, location: str, name: str, purge: str | None) -> None:
        vault = self.state.deleted_vaults.get(name)
        if vault is None or vault["properties"]["location"] != location:
            return self._error(404, "ResourceNotFound", f"deleted vault {name} not found in {location}")
        if method == "GET" and not purge:
            return self.send_json(200, vault)
        if method == "POST" and purge:
            if vault["properties"]["purgeProtectionEnabled"]:
                return self._error(409, "MethodNotAllowed", "Operation 'DeletedVaultPurge' is not allowed.")
            return self._start(lambda: self.state.deleted_vaults.pop(name, None))
        return self._error(405, "MethodNotAllowed", method)

    def _deleted_accounts(self, method: str, path: str, body: Any) -> None:
        self.send_json(200, {"value": list(self.state.deleted_accounts.values())})

    def _deleted_account(self, method: str, path: str, body: Any, location: str, group: str, name: str) -> None:
        account = self.state.deleted_accounts.get(name)
        if account is None or account["location"] != location or f"/resourceGroups/{group}/" not in account["id"]:
            return self._error(404, "ResourceNotFound", f"deleted account {name} not found")
        if method == "GET":
            return self.send_json(200, account)
        if method == "DELETE":
            return self._start(lambda: self.state.deleted_accounts.pop(name, None))
        return self._error(405, "MethodNotAllowed", method)

    def _domain_check(self, method: str, path: str, body: Any) -> None:
        name = (body or {}).get("subdomainName", "")
        taken = name.lower() in self.state.taken_subdomains
        answer = {"subdomainName": name, "type": (body or {}).get("type"), "isSubdomainAvailable": not taken}
        if taken:
            answer["reason"] = f"Subdomain {name} is already used by another resource."
        self.send_json(200, answer)

    def _page(self, path: str, query: str) -> None:
        match = re.search(r"\$skiptoken=(\d+)", query)
        index = int(match.group(1)) if match else 0
        pages = self.state.paged[path]
        body: dict[str, Any] = {"value": pages[index]}
        if index + 1 < len(pages):
            body["nextLink"] = f"http://{self.headers['Host']}{path}?api-version={_api(query)}&$skiptoken={index + 1}"
        self.send_json(200, body)

    def _operation(self, path: str) -> None:
        op = path.rsplit("/", 1)[1]
        self.state.operations[op] += 1
        done = self.state.operations[op] > self.state.polls_before_done
        if done and op in self.state.pending and self.state.operation_outcome == "Succeeded":
            self.state.pending.pop(op)()
        if self.state.lro_style == "location":
            return self.send_json(202 if not done else 200, None, {"Retry-After": "0"} if not done else {})
        status = self.state.operation_outcome if done else "InProgress"
        answer: dict[str, Any] = {"status": status}
        if status == "Failed":
            answer["error"] = {"code": "DeploymentFailed", "message": "the endpoint update failed"}
        self.send_json(200, answer)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


class ArmServer(LocalServer):
    """Context manager: `with ArmServer() as arm: arm.url, arm.state`."""

    def __init__(self) -> None:
        self.state = ArmState()
        super().__init__(type("Handler", (_Handler,), {"state": self.state}))


class FakeCredential:
    """An injected credential: hands out the token the server expects, counts the calls."""

    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> Any:
        self.scopes.append(scopes)
        return type("AccessToken", (), {"token": self.token, "expires_on": 4102444800})()
