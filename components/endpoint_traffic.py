"""Traffic split of a managed online endpoint, set after its deployments exist (a Pulumi dynamic resource)."""

from __future__ import annotations

import os
from typing import Any

import pulumi
import pulumi.dynamic

from components.arm import ARM_ENDPOINT_VARIABLE, ArmClient, ArmError, TokenCredential, arm_endpoint

API_VERSION = "2025-12-01"

# Read-only properties of an online endpoint [REST]: dropped from the body that is PUT back.
READ_ONLY = {"provisioningState", "scoringUri", "swaggerUri"}


def _credential() -> TokenCredential:
    # Imported here: the dynamic provider runs in its own process, and only it needs a credential.
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


class EndpointTrafficProvider(pulumi.dynamic.ResourceProvider):
    """Sets `properties.traffic` of an online endpoint through ARM: GET the endpoint, PUT it back with the split.

    ARM rejects traffic that names a deployment it does not know yet and gives a new deployment 0%,
    so the split cannot be part of the endpoint's own creation; this resource runs after the
    deployments. Delete sets the traffic to nothing, so that the deployments can be deleted next
    (an endpoint that is already gone counts as done).
    """

    def __init__(self, credential: TokenCredential | None = None, **client_options: Any) -> None:
        self._credential = credential
        self._client_options = client_options

    def _client(self, props: dict[str, Any]) -> ArmClient:
        return ArmClient(
            self._credential or _credential(), arm_endpoint(props.get("armEndpoint")), **self._client_options
        )

    def _set(self, props: dict[str, Any], traffic: dict[str, int]) -> dict[str, int]:
        client = self._client(props)
        current = client.get(props["endpointId"], API_VERSION)
        body = {k: v for k, v in current.items() if k not in ("id", "name", "type", "systemData")}
        body["properties"] = {k: v for k, v in current.get("properties", {}).items() if k not in READ_ONLY}
        body["properties"]["traffic"] = traffic
        updated = client.put(props["endpointId"], API_VERSION, body)
        return (updated.get("properties") or {}).get("traffic") or {}

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        applied = self._set(props, _percentages(props["traffic"]))
        return pulumi.dynamic.CreateResult(id_=f"{props['endpointId']}/traffic", outs={**props, "applied": applied})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        keys = ("traffic", "endpointSettings", "armEndpoint")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        replaces = ["endpointId"] if olds.get("endpointId") != news.get("endpointId") else []
        return pulumi.dynamic.DiffResult(
            changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False
        )

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        applied = self._set(news, _percentages(news["traffic"]))
        return pulumi.dynamic.UpdateResult(outs={**news, "applied": applied})

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        # `pulumi refresh` shows a split changed by hand (portal, az ml) as drift.
        current = self._client(props).get(props["endpointId"], API_VERSION)
        traffic = (current.get("properties") or {}).get("traffic") or {}
        return pulumi.dynamic.ReadResult(id_=id_, outs={**props, "traffic": traffic, "applied": traffic})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            self._set(props, {})
        except ArmError as err:
            if err.status != 404:
                raise


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
