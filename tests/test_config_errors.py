"""Every bad stack stops with a RunError naming the key, the bad value and what is allowed, before any resource."""

from __future__ import annotations

import pytest

from tests.conftest import run, serverless, stack_config

CHAT = serverless("chat8b", "Meta-Llama-3-8B-Instruct")

CASES = {
    "typo at the top": (
        stack_config(**{"deployment": [CHAT]}),
        ["llama-on-azure:deployment", "unknown key"],
    ),
    "typo in a deployment": (
        stack_config(deployments=[{**CHAT, "contentSafty": False}]),
        ["llama-on-azure:deployments[0].contentSafty", "unknown key"],
    ),
    "typo in hub": (
        stack_config(hub={"publicAccess": "Disabled"}),
        ["llama-on-azure:hub.publicAccess", "unknown key"],
    ),
    "unknown model": (
        stack_config(deployments=[serverless("chat8b", "Llama-4-Maverick")]),
        ["llama-on-azure:deployments[0].model", "'Llama-4-Maverick'", "Meta-Llama-3-8B-Instruct"],
    ),
    "region without pay-as-you-go": (
        stack_config(**{"region": "westeurope", "azure-native:location": "westeurope"}),
        ["llama-on-azure:region", "'westeurope'", "eastus2, swedencentral", "serverlessRegions"],
    ),
    "not a region": (
        stack_config(region="mars-north"),
        ["llama-on-azure:region", "'mars-north'", "eastus2"],
    ),
    "endpoint name starts with a digit": (
        stack_config(deployments=[serverless("8bchat", "Meta-Llama-3-8B-Instruct")]),
        ["llama-on-azure:deployments[0].name", "'8bchat'", "a letter first"],
    ),
    "endpoint name too short": (
        stack_config(deployments=[serverless("ab", "Meta-Llama-3-8B-Instruct")]),
        ["llama-on-azure:deployments[0].name", "'ab'", "3-32 characters"],
    ),
    "endpoint name with underscore": (
        stack_config(deployments=[serverless("chat_8b", "Meta-Llama-3-8B-Instruct")]),
        ["llama-on-azure:deployments[0].name", "'chat_8b'"],
    ),
    "endpoint name too long": (
        stack_config(deployments=[serverless("c" * 33, "Meta-Llama-3-8B-Instruct")]),
        ["llama-on-azure:deployments[0].name", "3-32 characters"],
    ),
    "two serverless deployments of one model": (
        stack_config(deployments=[CHAT, serverless("chat8b2", "Meta-Llama-3-8B-Instruct")]),
        [
            "llama-on-azure:deployments[1].model",
            "'Meta-Llama-3-8B-Instruct'",
            "one serverless deployment per model per project",
        ],
    ),
    "two deployments with one name": (
        stack_config(deployments=[CHAT, serverless("chat8b", "Meta-Llama-3-8B")]),
        ["llama-on-azure:deployments[1].name", "'chat8b'", "unique"],
    ),
    "deployments missing": (
        stack_config(deployments=None),
        ["llama-on-azure:deployments is missing"],
    ),
    "deployments empty": (
        stack_config(deployments=[]),
        ["llama-on-azure:deployments", "empty", "at least one"],
    ),
    "unknown kind": (
        stack_config(deployments=[{**CHAT, "kind": "batch"}]),
        ["llama-on-azure:deployments[0].kind", "'batch'", "'serverless' or 'managed'"],
    ),
    "managed not yet": (
        stack_config(deployments=[{**CHAT, "kind": "managed", "model": "Llama-2-7b-chat"}]),
        ["llama-on-azure:deployments[0].kind", "'managed'", "not available yet", "serverless"],
    ),
    "model not offered serverless": (
        stack_config(deployments=[serverless("llama2", "Llama-2-7b-chat")]),
        [
            "llama-on-azure:deployments[0].model",
            "'Llama-2-7b-chat' is not offered as a serverless API",
            "Meta-Llama-3-8B",
        ],
    ),
    "kind missing": (
        stack_config(deployments=[{"name": "chat8b", "model": "Meta-Llama-3-8B-Instruct"}]),
        ["llama-on-azure:deployments[0].kind", "required key is missing"],
    ),
    "content safety not a boolean": (
        stack_config(deployments=[{**CHAT, "contentSafety": "yes"}]),
        ["llama-on-azure:deployments[0].contentSafety", "'yes'", "true or false"],
    ),
    "bad isolation mode": (
        stack_config(hub={"isolationMode": "Open"}),
        ["llama-on-azure:hub.isolationMode", "'Open'", "AllowOnlyApprovedOutbound"],
    ),
    "provider location differs": (
        stack_config(**{"azure-native:location": "westeurope"}),
        ["azure-native:location", "'westeurope'", "llama-on-azure:region"],
    ),
    "stack name cannot be the environment": (
        stack_config(),
        ["llama-on-azure:environment", "'Team_Dev'"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_config_is_refused_before_any_resource(case):
    config, fragments = CASES[case]
    stack = "Team_Dev" if case == "stack name cannot be the environment" else "dev"
    result = run(stack, config)
    assert result.error is not None, "the program accepted a bad configuration"
    for fragment in fragments:
        assert fragment in result.error, f"{fragment!r} not in: {result.error}"
    assert result.registrations == [], "resources were registered before the configuration was checked"
    assert "Traceback" not in result.error


def test_every_error_of_a_stack_is_reported_at_once():
    config = stack_config(region="mars", deployments=[{**CHAT, "model": "nope", "name": "x"}])
    error = run("dev", config).error
    assert "llama-on-azure:region" in error
    assert "llama-on-azure:deployments[0].model" in error
    assert "llama-on-azure:deployments[0].name" in error
