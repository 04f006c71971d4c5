"""The traffic resource against a local server that answers like ARM: apply, retry, refresh, delete."""

import pytest

from clients.arm import ArmError
from components.endpoint_traffic import EndpointTrafficProvider
from tests.arm_server import ArmServer, FakeCredential
from tests.hostile_server import FakeClock

ENDPOINT = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-llama-prod/providers/"
    "Microsoft.MachineLearningServices/workspaces/proj-llama-prod/onlineEndpoints/llama2"
)
BUSY = (409, None, "Conflict", "Conflict of operation, another operation on same entity is already running")


@pytest.fixture
def arm():
    with ArmServer() as server:
        server.state.add_endpoint(ENDPOINT, ["blue", "green"])
        yield server


def provider(clock: FakeClock | None = None, **options) -> EndpointTrafficProvider:
    clock = clock or FakeClock()
    return EndpointTrafficProvider(credential=FakeCredential(), clock=clock, sleep=clock.sleep, **options)


def props(arm: ArmServer, traffic: dict[str, int], **extra) -> dict:
    return {"endpointId": ENDPOINT, "traffic": traffic, "endpointSettings": {}, "armEndpoint": arm.url, **extra}


def puts(arm: ArmServer):
    return [r for r in arm.state.requests if r.method == "PUT"]


def polls(arm: ArmServer):
    return [r for r in arm.state.requests if r.path.startswith("/operations/")]


def test_create_routes_all_traffic_to_the_deployment_after_the_operation_ends(arm):
    clock = FakeClock()
    result = provider(clock, poll_interval=7).create(props(arm, {"blue": 100}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 100}
    assert result.outs["applied"] == {"blue": 100}
    assert result.id == f"{ENDPOINT}/traffic"
    assert len(polls(arm)) == arm.state.polls_before_done + 1, "must poll Azure-AsyncOperation until Succeeded"
    assert clock.sleeps == [7] * arm.state.polls_before_done, "the first poll at once, then every poll_interval"


def test_the_put_sends_back_the_endpoint_without_read_only_fields(arm):
    provider().create(props(arm, {"blue": 100, "green": 0}))
    (put,) = puts(arm)
    assert put.body["properties"]["traffic"] == {"blue": 100}, "a 0% share is left out, as azure-ai-ml does"
    assert put.body["properties"]["authMode"] == "Key"
    assert put.body["location"] == "swedencentral" and put.body["tags"] == {"environment": "test"}
    for read_only in ("provisioningState", "scoringUri", "swaggerUri"):
        assert read_only not in put.body["properties"]
    for read_only in ("id", "name", "type", "systemData"):
        assert read_only not in put.body
    assert put.headers["Authorization"] == "Bearer test-token"
    assert "api-version=2025-12-01" in put.query


def test_update_changes_the_split(arm):
    p = provider()
    p.create(props(arm, {"blue": 100}))
    result = p.update(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}), props(arm, {"blue": 70, "green": 30}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 70, "green": 30}
    assert result.outs["applied"] == {"blue": 70, "green": 30}


def test_diff_updates_a_split_in_place_and_replaces_on_another_endpoint(arm):
    p = provider()
    old = props(arm, {"blue": 100})
    assert p.diff("id", old, dict(old)).changes is False
    changed = p.diff("id", old, props(arm, {"blue": 50, "green": 50}))
    assert changed.changes is True and changed.replaces == []
    moved = p.diff("id", old, {**old, "endpointId": ENDPOINT + "2"})
    assert moved.replaces == ["endpointId"]


def test_a_change_to_the_endpoint_settings_applies_the_split_again(arm):
    p = provider()
    old = props(arm, {"blue": 100}, endpointSettings={"properties": {"description": "a"}})
    new = {**old, "endpointSettings": {"properties": {"description": "b"}}}
    assert p.diff("id", old, new).changes is True
    arm.state.endpoints[ENDPOINT]["properties"]["traffic"] = {}  # what the Azure provider's PUT left
    p.update("id", old, new)
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 100}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"blue": 100}, {"Blue": 100}),
        ({"blue": 100}, {"blue": 100, "green": 0}),
        ({"BLUE": 100, "x": 0}, {"blue": 100}),
    ],
)
def test_case_and_zero_shares_are_no_change(arm, old, new):
    assert provider().diff("id", props(arm, old), props(arm, new)).changes is False


def test_throttling_is_retried_after_the_time_arm_asks_for(arm):
    arm.state.faults = [(429, "3"), (429, "5")]
    clock = FakeClock()
    provider(clock, poll_interval=1).create(props(arm, {"blue": 100}))
    assert clock.sleeps[:2] == [3.0, 5.0]
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 100}


def test_a_busy_endpoint_is_asked_again(arm):
    arm.state.faults = [BUSY, BUSY, BUSY]
    provider(poll_interval=1).create(props(arm, {"blue": 100}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"blue": 100}
    assert len(arm.state.requests) == 3 + 1 + 1 + arm.state.polls_before_done + 1 + 1


def test_another_conflict_is_not_retried(arm):
    arm.state.faults = [(409, None, "Conflict", "An endpoint with this name already exists")]
    with pytest.raises(ArmError) as err:
        provider().create(props(arm, {"blue": 100}))
    assert err.value.status == 409 and len(arm.state.requests) == 1


def test_throttling_that_never_ends_is_an_error_within_the_deadline(arm):
    arm.state.faults = [(429, "10")] * 100
    clock = FakeClock()
    with pytest.raises(ArmError) as err:
        provider(clock, seconds=60).create(props(arm, {"blue": 100}))
    assert "did not finish within 60 s" in str(err.value)
    assert sum(clock.sleeps) <= 60


def test_a_failed_operation_is_an_error_with_arms_reason(arm):
    arm.state.operation_outcome = "Failed"
    with pytest.raises(ArmError) as err:
        provider().create(props(arm, {"blue": 100}))
    assert err.value.code == "DeploymentFailed"
    assert "the endpoint update failed" in str(err.value)


def test_traffic_to_an_unknown_deployment_is_refused_as_arm_does(arm):
    with pytest.raises(ArmError) as err:
        provider().create(props(arm, {"purple": 100}))
    assert err.value.status == 404
    assert "Deployment purple not found" in err.value.message


def test_location_polling_is_followed_too(arm):
    arm.state.lro_style = "location"
    provider().create(props(arm, {"green": 100}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {"green": 100}
    assert len(polls(arm)) == arm.state.polls_before_done + 1


def test_read_reports_a_split_changed_outside_pulumi(arm):
    p = provider()
    p.create(props(arm, {"blue": 100}))
    arm.state.endpoints[ENDPOINT]["properties"]["traffic"] = {"blue": 20, "green": 80}
    result = p.read(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))
    assert result.outs["traffic"] == {"blue": 20, "green": 80}


def test_read_of_the_same_split_in_other_case_or_with_zeros_is_no_drift(arm):
    arm.state.endpoints[ENDPOINT]["properties"]["traffic"] = {"BLUE": 100, "green": 0}
    result = provider().read(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))
    assert result.outs["traffic"] == {"blue": 100}
    assert result.id == f"{ENDPOINT}/traffic"


def test_read_of_a_deleted_endpoint_reports_the_resource_gone(arm):
    del arm.state.endpoints[ENDPOINT]
    result = provider().read(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))
    assert result.id == "" and result.outs == {}


def test_delete_releases_the_traffic_so_deployments_can_go(arm):
    p = provider()
    p.create(props(arm, {"blue": 100}))
    p.delete(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))
    assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {}


def test_delete_of_an_endpoint_already_gone_is_done(arm):
    del arm.state.endpoints[ENDPOINT]
    provider().delete(f"{ENDPOINT}/traffic", props(arm, {"blue": 100}))  # no error
    assert [r.method for r in arm.state.requests] == ["GET"]


def test_the_token_is_asked_for_the_endpoints_audience(arm):
    credential = FakeCredential()
    EndpointTrafficProvider(credential=credential).read("id", props(arm, {"blue": 100}))
    assert credential.scopes == [(f"{arm.url}/.default",)]


def test_a_wrong_token_is_a_sign_in_error(arm):
    with pytest.raises(ArmError) as err:
        EndpointTrafficProvider(credential=FakeCredential("stale")).read("id", props(arm, {"blue": 100}))
    assert err.value.status == 401 and err.value.code == "AuthenticationFailed" and "az login" in str(err.value)


def test_without_a_credential_it_signs_in_from_the_environment(arm, monkeypatch):
    import components.endpoint_traffic as module

    made = []
    monkeypatch.setattr(module, "credential_from_env", lambda: made.append(1) or FakeCredential())
    EndpointTrafficProvider().read("id", props(arm, {"blue": 100}))
    assert made == [1]
