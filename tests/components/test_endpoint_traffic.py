"""The traffic resource against a local server that answers like ARM: apply, retry, refresh, delete."""

import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from clients.arm import ArmError
from components.endpoint_traffic import EndpointTrafficProvider
from infra.sdk_internals import serialize_dynamic_provider
from tests.support.arm_server import ArmServer, FakeCredential
from tests.support.hostile_server import FakeClock

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


# State written by earlier releases.
# Stacks deployed by earlier releases keep working: their pickled traffic provider loads and runs the current code.
#
# Pulumi stores the dynamic provider in the state as `__provider`: base64 of a dill pickle that names
# `components.endpoint_traffic.EndpointTrafficProvider` by reference. Every later refresh, update and
# destroy imports that module path in a fresh `python -m pulumi.dynamic` process. The fixture blob was
# made by the code of commit 86efd2e (`python -m tests.components.test_endpoint_traffic` makes it again);
# moving the module or renaming the class makes this test fail instead of every user's state.
ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parents[1] / "fixtures" / "endpoint_traffic_provider_86efd2e.b64"
RELEASE = "86efd2e"
STORED_ENDPOINT = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-llama-prod/providers/"
    "Microsoft.MachineLearningServices/workspaces/proj-llama-prod-1a2b3c/onlineEndpoints/chat-1a2b3c"
)

# Runs in a fresh interpreter with the repository as its working directory, as the engine's dynamic
# provider host does; the loading lines are those of `get_provider` in pulumi/dynamic/__main__.py
# (that module serves gRPC when imported, so it cannot be imported here).
ENGINE = """
import json, sys
from pulumi.dynamic import Config, ConfigureRequest
from infra.sdk_internals import deserialize_dynamic_provider

blob, url, endpoint = sys.argv[1:4]
provider = deserialize_dynamic_provider(blob)
provider.configure(ConfigureRequest(config=Config(raw_config={}, project_name="llama-on-azure")))
loaded = f"{type(provider).__module__}.{type(provider).__qualname__}"

import components.endpoint_traffic as module  # already imported by dill.loads above

class Credential:  # the test's token; the real one comes from credential_from_env()
    def get_token(self, *scopes, **kwargs):
        return type("AccessToken", (), {"token": "test-token", "expires_on": 4102444800})()

module.credential_from_env = Credential
props = {"endpointId": endpoint, "traffic": {"blue": 100}, "endpointSettings": {}, "armEndpoint": url}
read = provider.read(endpoint + "/traffic", props)
provider.delete(endpoint + "/traffic", props)
print(json.dumps({"class": loaded, "id": read.id, "traffic": read.outs.get("traffic")}))
"""


def current_blob() -> str:
    """What `EndpointTraffic(...)` stores today (pulumi.dynamic.Resource serializes its provider this way)."""
    return serialize_dynamic_provider(EndpointTrafficProvider())


def run_engine(blob: str, url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PULUMI"))}
    env["PULUMI_PROJECT"] = "llama-on-azure"
    done = subprocess.run(
        [sys.executable, "-c", ENGINE, blob, url, STORED_ENDPOINT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("blob", ["release", "current"])
def test_a_stored_provider_loads_in_a_fresh_interpreter_and_reads_and_deletes(blob):
    text = FIXTURE.read_text().strip() if blob == "release" else current_blob()
    assert b"components.endpoint_traffic" in base64.b64decode(text), "pickled by reference"
    with ArmServer() as arm:
        arm.state.add_endpoint(STORED_ENDPOINT, ["blue"], {"Blue": 100, "green": 0})
        arm.state.polls_before_done = 0  # the provider's real poll interval is 10 s
        found = run_engine(text, arm.url)
        assert found == {
            "class": "components.endpoint_traffic.EndpointTrafficProvider",
            "id": f"{STORED_ENDPOINT}/traffic",
            "traffic": {"blue": 100},
        }
        assert arm.state.endpoints[STORED_ENDPOINT]["properties"]["traffic"] == {}, "delete released the traffic"
        assert {r.headers.get("Authorization") for r in arm.state.requests} == {"Bearer test-token"}


def make_fixture() -> str:
    """The blob the release's own code serialized: its three files in a temporary package, in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "components"
        package.mkdir()
        for name in ("__init__.py", "arm.py", "endpoint_traffic.py"):
            source = subprocess.run(
                ["git", "show", f"{RELEASE}:components/{name}"], cwd=ROOT, capture_output=True, text=True, check=True
            )
            (package / name).write_text(source.stdout)
        code = (
            "from infra.sdk_internals import serialize_dynamic_provider\n"
            "import components.endpoint_traffic as m\n"
            f"assert m.__file__.startswith({tmp!r}), m.__file__\n"
            "print(serialize_dynamic_provider(m.EndpointTrafficProvider()))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp, capture_output=True, text=True, check=True)
        return done.stdout.strip()


if __name__ == "__main__":
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(make_fixture() + "\n")
    print(f"wrote {FIXTURE}")
