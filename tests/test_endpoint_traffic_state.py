"""Stacks deployed by earlier releases keep working: their pickled traffic provider loads and runs the current code.

Pulumi stores the dynamic provider in the state as `__provider`: base64 of a dill pickle that names
`components.endpoint_traffic.EndpointTrafficProvider` by reference. Every later refresh, update and
destroy imports that module path in a fresh `python -m pulumi.dynamic` process. The fixture blob was
made by the code of commit 86efd2e (`python -m tests.test_endpoint_traffic_state` makes it again);
moving the module or renaming the class makes this test fail instead of every user's state.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from components.endpoint_traffic import EndpointTrafficProvider
from infra.sdk_internals import serialize_dynamic_provider
from tests.arm_server import ArmServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "endpoint_traffic_provider_86efd2e.b64"
RELEASE = "86efd2e"
ENDPOINT = (
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
        [sys.executable, "-c", ENGINE, blob, url, ENDPOINT],
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
        arm.state.add_endpoint(ENDPOINT, ["blue"], {"Blue": 100, "green": 0})
        arm.state.polls_before_done = 0  # the provider's real poll interval is 10 s
        found = run_engine(text, arm.url)
        assert found == {
            "class": "components.endpoint_traffic.EndpointTrafficProvider",
            "id": f"{ENDPOINT}/traffic",
            "traffic": {"blue": 100},
        }
        assert arm.state.endpoints[ENDPOINT]["properties"]["traffic"] == {}, "delete released the traffic"
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
