"""A small Azure Resource Manager REST client: bearer auth, retries on throttling, long-running operations."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

PUBLIC_CLOUD = "https://management.azure.com"
ARM_ENDPOINT_VARIABLE = "LLAMA_ON_AZURE_ARM_ENDPOINT"
"""Points every ARM client here at another endpoint: a sovereign cloud, or a local test server."""
RETRYABLE = {408, 429, 500, 502, 503, 504}
TERMINAL = {"succeeded", "failed", "canceled", "cancelled"}


def arm_endpoint(configured: str | None = None) -> str:
    return configured or os.environ.get(ARM_ENDPOINT_VARIABLE) or PUBLIC_CLOUD


class TokenCredential(Protocol):
    """What azure-identity credentials offer (DefaultAzureCredential, AzureCliCredential, ...)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class ArmError(Exception):
    """An ARM request that failed for good; `code` is ARM's error code when it sent one."""

    def __init__(self, status: int, code: str, message: str, url: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message} ({url})")
        self.status, self.code, self.message, self.url = status, code, message, url


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


class ArmClient:
    """Requests to ARM with the credential's token, retried on 408/429/5xx and connection errors."""

    def __init__(
        self,
        credential: TokenCredential,
        endpoint: str = PUBLIC_CLOUD,
        *,
        max_attempts: int = 6,
        backoff_seconds: float = 2.0,
        max_backoff_seconds: float = 60.0,
        poll_seconds: float = 10.0,
        operation_timeout_seconds: float = 3600.0,
        request_timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credential = credential
        self.endpoint = endpoint.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.poll_seconds = poll_seconds
        self.operation_timeout_seconds = operation_timeout_seconds
        self.request_timeout_seconds = request_timeout_seconds
        self.sleep = sleep

    def url(self, path: str, api_version: str | None = None) -> str:
        url = path if path.startswith(("http://", "https://")) else self.endpoint + path
        if api_version and "api-version=" not in url:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"api-version": api_version})
        return url

    def _wait_before_retry(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff_seconds)
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        return min(self.backoff_seconds * 2**attempt, self.max_backoff_seconds)

    def request(self, method: str, url: str, body: Any = None) -> Response:
        """One logical request: retried while the answer is transient, raised as ArmError otherwise."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(self.max_attempts):
            token = self.credential.get_token(self.endpoint + "/.default").token
            req = urllib.request.Request(url, data=data, method=method)
            req.add_header("Authorization", f"Bearer {token}")
            req.add_header("Accept", "application/json")
            if data is not None:
                req.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(req, timeout=self.request_timeout_seconds) as resp:
                    return Response(resp.status, dict(resp.headers), _json(resp.read()))
            except urllib.error.HTTPError as err:
                payload = _json(err.read())
                headers = dict(err.headers or {})
                if err.code in RETRYABLE and attempt + 1 < self.max_attempts:
                    self.sleep(self._wait_before_retry(attempt, _header(headers, "Retry-After")))
                    continue
                error = payload.get("error", {}) if isinstance(payload, dict) else {}
                raise ArmError(
                    err.code, error.get("code", err.reason or ""), error.get("message", str(payload)), url
                ) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
                if attempt + 1 < self.max_attempts:
                    self.sleep(self._wait_before_retry(attempt, None))
                    continue
                raise ArmError(0, "ConnectionFailed", str(getattr(err, "reason", err)), url) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, api_version: str) -> Any:
        return self.request("GET", self.url(path, api_version)).body

    def pages(self, path: str, api_version: str) -> Iterator[Any]:
        """Items of a list operation, following `nextLink` across pages."""
        url: str | None = self.url(path, api_version)
        while url:
            page = self.request("GET", url).body or {}
            yield from page.get("value", [])
            url = page.get("nextLink")

    def put(self, path: str, api_version: str, body: Any) -> Any:
        """PUT and wait for the long-running operation; returns the resource as ARM then has it."""
        url = self.url(path, api_version)
        response = self.request("PUT", url, body)
        self.wait(response)
        return self.request("GET", url).body

    def wait(self, response: Response) -> None:
        """Follow ARM's asynchronous-operation protocol until the operation ends; raise if it failed."""
        deadline = time.monotonic() + self.operation_timeout_seconds
        async_url = response.header("Azure-AsyncOperation")
        location = response.header("Location") if response.status == 202 else None
        retry_after = response.header("Retry-After")
        while async_url or location:
            if time.monotonic() > deadline:
                raise ArmError(
                    0,
                    "OperationTimedOut",
                    "the long-running operation did not end in time",
                    async_url or location or "",
                )
            self.sleep(self._wait_before_retry(0, retry_after) if retry_after else self.poll_seconds)
            if async_url:
                poll = self.request("GET", async_url)
                status = str((poll.body or {}).get("status", "")).lower()
                retry_after = poll.header("Retry-After")
                if status in TERMINAL:
                    if status != "succeeded":
                        error = (poll.body or {}).get("error") or {}
                        raise ArmError(
                            200, error.get("code", status), error.get("message", f"operation {status}"), async_url
                        )
                    return
            else:
                poll = self.request("GET", location)
                retry_after = poll.header("Retry-After")
                if poll.status != 202:
                    return


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
