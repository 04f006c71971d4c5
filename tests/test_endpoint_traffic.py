"""The traffic resource and its ARM client, against a local server that answers like ARM."""

from __future__ import annotations

import pytest

from components.arm import ArmClient, ArmError
from components.endpoint_traffic import EndpointTrafficProvider
from tests.arm_server import ArmServer, FakeCredential

ENDPOINT = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-llama-prod/providers/"
    "Microsoft.MachineLearningServices/workspaces/proj-llama-prod/onlineEndpoints/llama2"
)


@pytest.fixture
def arm():
    with ArmServer() as server:
        server.state.add_endpoint(ENDPOINT, ["blue", "green"])
        yield server


def provider(arm: ArmServer, sleeps: list[float] | None = None, **options) -> EndpointTrafficProvider:
    record = sleeps if sleeps is not None else []
    return EndpointTrafficProvider(credential=FakeCredential(), sleep=record.append, **options)


def props(arm: ArmServer, traffic: dict[str, int]) -> dict:
    return {"endpointId": ENDPOINT, "traffic": traffic, "endpointSettings": {}, "armEndpoint": arm.url}


def puts(arm: ArmServer):
    return [r for r in arm.state.requests if r.method == "PUT"]


def test_create_routes_all_traffic_to_the_deployment_after_the_operation_ends(arm):
    sleeps: list[float] = []
    result = provider(arm, sleeps, poll_seconds=7).create(props(arm, {"blue": 100}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 100}
    assert result.outs["applied"] == {"blue": 100}
    assert result.id == f"{ENDPOINT}/traffic"
    polls = [r for r in arm.state.requests if r.path.startswith("/operations/")]
    assert len(polls) == arm.state.polls_before_done + 1, "must poll Azure-AsyncOperation until Succeeded"
    assert sleeps == [7, 7, 7]


def test_the_put_sends_back_the_endpoint_without_read_only_fields(arm):
    provider(arm).create(props(arm, {"blue": 100}))
    (put,) = puts(arm)
    assert put.body["properties"]["traffic"] == {"blue": 100}
    assert put.body["properties"]["authMode"] == "Key"
    assert put.body["location"] == "swedencentral" and put.body["tags"] == {"environment": "test"}
    for read_only in ("provisioningState", "scoringUri", "swaggerUri"):
        assert read_only not in put.body["properties"]
    for read_only in ("id", "name", "type", "systemData"):
        assert read_only not in put.body
    assert put.headers["Authorization"] == "Bearer test-token"
    assert "api-version=2025-12-01" in put.query


def test_update_changes_the_split(arm):
    p = provider(arm)
    p.create(props(arm, {"blue": 100}))
    result = p.update(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}), props(arm, {"blue": 70, "green": 30}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 70, "green": 30}
    assert result.outs["applied"] == {"blue": 70, "green": 30}


def test_diff_updates_a_split_in_place_and_replaces_on_another_endpoint(arm):
    p = provider(arm)
    old = props(arm, {"blue": 100})
    assert p.diff("id", old, dict(old)).changes is False
    changed = p.diff("id", old, props(arm, {"blue": 50, "green": 50}))
    assert changed.changes is True and changed.replaces == []
    settings = p.diff("id", old, {**old, "endpointSettings": {"tags": {"a": "b"}}})
    assert settings.changes is True and settings.replaces == []
    moved = p.diff("id", old, {**old, "endpointId": ENDPOINT + "2"})
    assert moved.replaces == ["endpointId"]


def test_throttling_is_retried_after_the_time_arm_asks_for(arm):
    arm.state.faults = [(429, "3"), (429, "5")]
    sleeps: list[float] = []
    provider(arm, sleeps, poll_seconds=1).create(props(arm, {"blue": 100}))
    assert sleeps[:2] == [3.0, 5.0]
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 100}


def test_server_errors_are_retried_with_exponential_backoff(arm):
    arm.state.faults = [(503, None), (500, None), (502, None)]
    sleeps: list[float] = []
    provider(arm, sleeps, backoff_seconds=1.5, poll_seconds=1).create(props(arm, {"blue": 100}))
    assert sleeps[:3] == [1.5, 3.0, 6.0]


def test_throttling_that_never_ends_is_an_error(arm):
    arm.state.faults = [(429, "1")] * 10
    with pytest.raises(ArmError) as err:
        provider(arm, max_attempts=3).create(props(arm, {"blue": 100}))
    assert err.value.status == 429
    assert len(arm.state.requests) == 3


def test_a_failed_operation_is_an_error_with_arms_reason(arm):
    arm.state.operation_outcome = "Failed"
    with pytest.raises(ArmError) as err:
        provider(arm).create(props(arm, {"blue": 100}))
    assert err.value.code == "DeploymentFailed"
    assert "the endpoint update failed" in str(err.value)


def test_traffic_to_an_unknown_deployment_is_refused_as_arm_does(arm):
    with pytest.raises(ArmError) as err:
        provider(arm).create(props(arm, {"purple": 100}))
    assert err.value.status == 404
    assert "Deployment purple not found" in err.value.message


def test_location_polling_is_followed_too(arm):
    arm.state.lro_style = "location"
    provider(arm).create(props(arm, {"green": 100}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"green": 100}
    polls = [r for r in arm.state.requests if r.path.startswith("/operations/")]
    assert len(polls) == arm.state.polls_before_done + 1


def test_read_reports_a_split_changed_outside_pulumi(arm):
    p = provider(arm)
    p.create(props(arm, {"blue": 100}))
    arm.state.endpoints[ENDPOINT]["properties"]["traffic"] = {"blue": 20, "green": 80}
    result = p.read(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))
    assert result.outs["traffic"] == {"blue": 20, "green": 80}


def test_delete_releases_the_traffic_so_deployments_can_go(arm):
    p = provider(arm)
    p.create(props(arm, {"blue": 100}))
    p.delete(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {}


def test_delete_of_an_endpoint_already_gone_is_done(arm):
    del arm.state.endpoints[ENDPOINT]
    provider(arm).delete(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))  # no error
    assert [r.method for r in arm.state.requests] == ["GET"]


def test_the_token_is_asked_for_the_arm_audience(arm):
    credential = FakeCredential()
    client = ArmClient(credential, arm.url, sleep=lambda _: None)
    client.get(ENDPOINT, "2025-12-01")
    assert credential.scopes == [(f"{arm.url}/.default",)]


def test_a_wrong_token_is_an_authentication_error(arm):
    client = ArmClient(FakeCredential("stale"), arm.url, sleep=lambda _: None)
    with pytest.raises(ArmError) as err:
        client.get(ENDPOINT, "2025-12-01")
    assert err.value.status == 401 and err.value.code == "AuthenticationFailed"
