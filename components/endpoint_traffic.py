"""Traffic split of a managed online endpoint, set after its deployments exist (a Pulumi dynamic resource)."""

# This module's path and the class names below are part of every existing stack's state: Pulumi pickles
# the provider by reference (`components.endpoint_traffic.EndpointTrafficProvider`) and imports it again
# for every later update, refresh and destroy. tests/components/test_endpoint_traffic.py fails if they move.

import os
import time
from typing import Any

import pulumi
import pulumi.dynamic

from catalog import api_versions
from clients.arm import ARM_ENDPOINT_VARIABLE, ArmClient, ArmError
from clients.credential import TokenCredential, credential_from_env
from clients.deadline import Deadline

API_VERSION = api_versions.ML_API_VERSION

# Read-only properties of an online endpoint [REST]: dropped from the body that is PUT back.
READ_ONLY = {"provisioningState", "scoringUri", "swaggerUri"}
# Time one create, update or delete may take, retries of a busy endpoint and polling included.
OPERATION_SECONDS = 30 * 60
READ_SECONDS = 5 * 60
# A busy endpoint (409 "another operation in progress") is asked again this many times, within the deadline.
RETRIES = 30


def split(traffic: Any) -> dict[str, int]:
    """A split as Azure means it: deployment names compare case-insensitively and a 0% share is no share."""
    if not isinstance(traffic, dict):
        return {}
    return {str(name).lower(): int(pct) for name, pct in traffic.items() if int(pct or 0) != 0}


def same_split(a: Any, b: Any) -> bool:
    return split(a) == split(b)


class EndpointTrafficProvider(pulumi.dynamic.ResourceProvider):
    """Sets `properties.traffic` of an online endpoint through ARM: GET the endpoint, PUT it back with the split.

    ARM rejects traffic that names a deployment it does not know yet and gives a new deployment 0%,
    so the split cannot be part of the endpoint's own creation; this resource runs after the
    deployments. Delete sets the traffic to nothing, so that the deployments can be deleted next
    (an endpoint that is already gone counts as done).
    """

    def __init__(self, credential: TokenCredential | None = None, **client_options: Any) -> None:
        # Both attributes are in the pickles of earlier releases: keep their names and meaning.
        self._credential = credential
        self._client_options = client_options

    def _client(self, props: dict[str, Any], seconds: float) -> ArmClient:
        options = dict(getattr(self, "_client_options", None) or {})
        deadline = Deadline(
            options.pop("seconds", seconds),
            clock=options.pop("clock", time.monotonic),
            sleep=options.pop("sleep", time.sleep),
        )
        options.setdefault("retry_total", RETRIES)
        credential = getattr(self, "_credential", None) or credential_from_env()
        return ArmClient(credential, props.get("armEndpoint") or None, deadline=deadline, **options)

    def _set(self, props: dict[str, Any], traffic: dict[str, int]) -> dict[str, int]:
        client = self._client(props, OPERATION_SECONDS)
        endpoint_id = props["endpointId"]
        current = client.get(endpoint_id, API_VERSION)
        properties = current.get("properties")
        if not isinstance(properties, dict):
            raise ArmError(200, "BadResponse", f"GET {endpoint_id}: the online endpoint has no properties")
        body = {k: v for k, v in current.items() if k not in ("id", "name", "type", "systemData")}
        body["properties"] = {k: v for k, v in properties.items() if k not in READ_ONLY}
        body["properties"]["traffic"] = {name: int(pct) for name, pct in traffic.items() if int(pct) != 0}
        updated = client.operation("PUT", endpoint_id, API_VERSION, body) or {}
        return _applied(updated)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        applied = self._set(props, _percentages(props["traffic"]))
        return pulumi.dynamic.CreateResult(id_=f"{props['endpointId']}/traffic", outs={**props, "applied": applied})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = not same_split(olds.get("traffic"), news.get("traffic"))
        # Every input of the endpoint: a change is a PUT by the Azure provider that may reset the split.
        changed |= any(olds.get(k) != news.get(k) for k in ("endpointSettings", "armEndpoint"))
        replaces = ["endpointId"] if olds.get("endpointId") != news.get("endpointId") else []
        return pulumi.dynamic.DiffResult(
            changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False
        )

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        applied = self._set(news, _percentages(news["traffic"]))
        return pulumi.dynamic.UpdateResult(outs={**news, "applied": applied})

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        # `pulumi refresh` shows a split changed by hand (portal, az ml) as drift, and drops the
        # resource when its endpoint is gone (an empty id tells the engine so).
        current = self._client(props, READ_SECONDS).get_or_none(props["endpointId"], API_VERSION)
        if current is None:
            return pulumi.dynamic.ReadResult(id_="", outs={})
        applied = _applied(current)
        desired = props.get("traffic") or {}
        traffic = desired if same_split(desired, applied) else applied
        return pulumi.dynamic.ReadResult(id_=id_, outs={**props, "traffic": traffic, "applied": applied})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            self._set(props, {})
        except ArmError as err:
            if err.status != 404:
                raise


def _applied(endpoint: dict[str, Any]) -> dict[str, int]:
    properties = endpoint.get("properties")
    traffic = properties.get("traffic") if isinstance(properties, dict) else None
    if not isinstance(traffic, dict):
        return {}
    try:
        return {str(name): int(pct) for name, pct in traffic.items() if int(pct) != 0}
    except (TypeError, ValueError):
        raise ArmError(200, "BadResponse", "the online endpoint's traffic is not name -> percentage") from None


def _percentages(traffic: dict[str, Any]) -> dict[str, int]:
    return {name: int(pct) for name, pct in traffic.items()}


class EndpointTraffic(pulumi.dynamic.Resource):
    """The traffic split of one online endpoint: deployment name -> percentage (sums to 100)."""

    applied: pulumi.Output[dict[str, int]]
    """The split as ARM reports it after the update."""

    def __init__(
        self,
        name: str,
        endpoint_id: pulumi.Input[str],
        traffic: dict[str, int],
        endpoint_settings: pulumi.Input[dict[str, Any]],
        opts: pulumi.ResourceOptions | None = None,
        provider: EndpointTrafficProvider | None = None,
    ) -> None:
        super().__init__(
            provider or EndpointTrafficProvider(),
            name,
            {
                "endpointId": endpoint_id,
                "traffic": traffic,
                # Any change to the endpoint itself is a PUT by the Azure provider that may reset the
                # split; carrying its settings here makes such a change re-apply the split after it.
                "endpointSettings": endpoint_settings,
                "armEndpoint": os.environ.get(ARM_ENDPOINT_VARIABLE),
                "applied": None,
            },
            opts,
        )
