"""Every bad stack stops with a RunError naming the key, the bad value and what is allowed, before any resource."""

from __future__ import annotations

import pytest

from tests.conftest import run, serverless, stack_config

CHAT = serverless("chat8b", "Meta-Llama-3-8B-Instruct")


def managed(name: str, model: str, **extra):
    return {"name": name, "kind": "managed", "model": model, "vmSku": "Standard_NC24ads_A100_v4", **extra}


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
    "managed without a VM SKU": (
        stack_config(deployments=[{**CHAT, "kind": "managed", "model": "Llama-2-7b-chat"}]),
        ["llama-on-azure:deployments[0].vmSku", "required for kind 'managed'", "Standard_NC24ads_A100_v4"],
    ),
    "VM SKU without a GPU": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", vmSku="Standard_F4s_v2")]),
        ["llama-on-azure:deployments[0].vmSku", "'Standard_F4s_v2' has no GPU", "Standard_NC4as_T4_v3"],
    ),
    "unknown VM SKU": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", vmSku="Standard_Potato_v9")]),
        ["llama-on-azure:deployments[0].vmSku", "'Standard_Potato_v9' is not in the VM catalog"],
    ),
    "70B model on one T4": (
        stack_config(
            deployments=[managed("llama70", "Llama-2-70b-chat", vmSku="Standard_NC4as_T4_v3", modelVersion=20)]
        ),
        [
            "llama-on-azure:deployments[0].vmSku",
            "Llama-2-70b-chat needs about 140 GB",
            "'Standard_NC4as_T4_v3' has 16 GB (1x T4 16 GB)",
            "Standard_NC48ads_A100_v4",
        ],
    ),
    "no instance": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", instanceCount=0)]),
        ["llama-on-azure:deployments[0].instanceCount", "0 is not allowed", "1 to 50"],
    ),
    "too many instances": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", instanceCount=51)]),
        ["llama-on-azure:deployments[0].instanceCount", "51 is not allowed", "1 to 50"],
    ),
    "instance count as text": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", instanceCount="three")]),
        ["llama-on-azure:deployments[0].instanceCount", "'three'", "integer"],
    ),
    "traffic does not sum to 100": (
        stack_config(
            deployments=[
                managed("blue", "Llama-2-7b-chat", endpoint="llama2", traffic=60),
                managed("green", "Llama-2-7b-chat", endpoint="llama2", traffic=30),
            ]
        ),
        ["llama-on-azure:deployments[0].traffic", "'llama2' traffic sums to 90", "blue=60, green=30", "sum to 100"],
    ),
    "shared endpoint without traffic": (
        stack_config(
            deployments=[
                managed("blue", "Llama-2-7b-chat", endpoint="llama2"),
                managed("green", "Llama-2-7b-chat", endpoint="llama2"),
            ]
        ),
        ["llama-on-azure:deployments[0].traffic", "endpoint 'llama2' has 2 deployments", "sum to 100"],
    ),
    "traffic above 100": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", traffic=150)]),
        ["llama-on-azure:deployments[0].traffic", "150", "100"],
    ),
    "model version not a number": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", modelVersion="latest")]),
        ["llama-on-azure:deployments[0].modelVersion", "'latest' is not a model version", "/versions/N"],
    ),
    "model version zero": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", modelVersion=0)]),
        ["llama-on-azure:deployments[0].modelVersion", "versions start at 1"],
    ),
    "no pinned version": (
        stack_config(deployments=[managed("llama13", "Llama-2-13b-chat")]),
        ["llama-on-azure:deployments[0].modelVersion", "required for Llama-2-13b-chat", "no pinned version"],
    ),
    "content safety on managed": (
        stack_config(deployments=[managed("llama2", "Llama-2-7b-chat", contentSafety=True)]),
        ["llama-on-azure:deployments[0].contentSafety", "only for kind 'serverless'"],
    ),
    "VM SKU on serverless": (
        stack_config(deployments=[{**CHAT, "vmSku": "Standard_NC24ads_A100_v4"}]),
        ["llama-on-azure:deployments[0].vmSku", "only for kind 'managed'"],
    ),
    "shared endpoint with two auth modes": (
        stack_config(
            deployments=[
                managed("blue", "Llama-2-7b-chat", endpoint="llama2", traffic=50),
                managed("green", "Llama-2-7b-chat", endpoint="llama2", traffic=50, authMode="AMLToken"),
            ]
        ),
        ["llama-on-azure:deployments[0].authMode", "'llama2' disagree (AMLToken, Key)"],
    ),
    "shared endpoint mixing chat and completions": (
        stack_config(
            deployments=[
                managed("blue", "Llama-2-7b-chat", endpoint="llama2", traffic=50),
                managed("green", "Llama-2-7b", endpoint="llama2", traffic=50, modelVersion=20),
            ]
        ),
        ["llama-on-azure:deployments[0].endpoint", "mix chat and completion"],
    ),
    "serverless name taken by a managed endpoint": (
        stack_config(deployments=[CHAT, managed("blue", "Llama-2-7b-chat", endpoint="chat8b")]),
        ["llama-on-azure:deployments[0].name", "'chat8b' is also the name of a managed online endpoint"],
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
