"""A local server on 127.0.0.1 that answers like Azure Resource Manager for online endpoints.

It keeps endpoints and their deployments, refuses traffic naming an unknown deployment (404, as ARM
does), runs PUTs as long-running operations (Azure-AsyncOperation or Location polling), and can be
told to throttle (429 + Retry-After) or fail (5xx) the next requests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.local_server import JsonHandler, LocalServer

ENDPOINT_PATH = re.compile(
    r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+/onlineEndpoints/[^/?]+)$"
)


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
    faults: list[tuple[int, str | None]] = field(default_factory=list)
    """Answers for the next requests, in order: (status, Retry-After)."""
    polls_before_done: int = 2
    operation_outcome: str = "Succeeded"
    lro_style: str = "async-operation"  # or "location"
    token: str = "test-token"
    operations: dict[str, int] = field(default_factory=dict)
    static: dict[str, Any] = field(default_factory=dict)
    """GET path -> JSON body."""
    paged: dict[str, list[list[Any]]] = field(default_factory=dict)
    """GET path -> pages of a list operation, linked by nextLink."""
    pending: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

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


def _api(query: str) -> str:
    match = re.search(r"api-version=([0-9a-z-]+)", query)
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
            status, retry_after = self.state.faults.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return self._error(status, "TooManyRequests" if status == 429 else "ServerError", "try later", headers)
        if path.startswith("/operations/"):
            return self._operation(path)
        if method == "GET" and path in self.state.static:
            return self.send_json(200, self.state.static[path])
        if method == "GET" and path in self.state.paged:
            return self._page(path, query)
        if not _api(query):
            return self._error(400, "MissingApiVersionParameter", f"no api-version in {query!r}")
        if not ENDPOINT_PATH.match(path):
            return self._error(404, "NotFound", f"no route {path}")
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
        op = f"op{len(self.state.operations) + 1}"
        self.state.operations[op] = 0
        self.state.pending[op] = (path, body)
        base = f"http://{self.headers['Host']}"
        if self.state.lro_style == "location":
            return self.send_json(202, None, {"Location": f"{base}/operations/{op}", "Retry-After": "0"})
        headers = {"Azure-AsyncOperation": f"{base}/operations/{op}?api-version=2025-12-01"}
        return self.send_json(
            201,
            {**self.state.endpoints[path], "properties": {**body["properties"], "provisioningState": "Updating"}},
            headers,
        )

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
            endpoint, body = self.state.pending.pop(op)
            self.state.endpoints[endpoint]["properties"]["traffic"] = dict(body["properties"].get("traffic") or {})
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
