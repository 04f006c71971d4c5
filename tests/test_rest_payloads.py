"""Every Machine Learning payload uses only names, enum values and writable fields of Microsoft's REST models."""

from __future__ import annotations

import pytest

from tests.conftest import ML, run, serverless, shipped_config, stack_config
from tests.rest_oracle import RESOURCES, api_version, check_resource

STACKS = {
    "dev": ("dev", shipped_config("dev")),
    "prod": ("prod", shipped_config("prod")),
    "locked-down hub": (
        "dev",
        stack_config(
            hub={
                "publicNetworkAccess": "Disabled",
                "isolationMode": "AllowOnlyApprovedOutbound",
                "containerRegistry": True,
            },
            deployments=[serverless("chat8b", "Meta-Llama-3-8B-Instruct", contentSafety=False)],
        ),
    ),
}


def test_oracle_describes_the_providers_api_version():
    # pulumi-azure-native 3.x uses 2025-12-01 for every machinelearningservices resource.
    assert api_version() == "2025-12-01"


@pytest.mark.parametrize("name", list(STACKS))
def test_payloads_match_the_rest_models(name):
    stack, config = STACKS[name]
    result = run(stack, config)
    checked = 0
    for reg in result.registrations:
        if reg.type.startswith(ML + ":"):
            assert reg.type in RESOURCES, f"no REST model mapped for {reg.type}"
            assert check_resource(reg.type, reg.inputs) == []
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda p: p["properties"].update(authMode="Keys"), "'Keys' is not a value"),
        (lambda p: p["properties"]["contentSafety"].update(contentSafetyStatus="On"), "'On' is not a value"),
        (lambda p: p["properties"].update(inferenceEndpoint={"uri": "x"}), "read-only"),
        (lambda p: p.update(contentSafety={}), "no such property"),
    ],
)
def test_the_oracle_rejects_what_azure_would(mutation, expected):
    endpoint = run("dev", shipped_config("dev")).one(f"{ML}:ServerlessEndpoint")
    payload = {**endpoint.inputs, "properties": {**endpoint.inputs["properties"]}}
    payload["properties"]["contentSafety"] = dict(payload["properties"]["contentSafety"])
    mutation(payload)
    problems = check_resource(endpoint.type, payload)
    assert any(expected in p for p in problems), problems
