"""catalog.tokens: the prefixes are the ones azure-native registers its types under, and the pack's own."""

import inspect

import pytest
from pulumi_azure_native import cognitiveservices, machinelearningservices

from catalog import tokens
from policy import rules


@pytest.mark.parametrize(
    ("prefix", "resource", "pack"),
    [
        (tokens.ML_TYPES, machinelearningservices.Workspace, rules.ML),
        (tokens.COGNITIVE_TYPES, cognitiveservices.Account, rules.CS),
    ],
)
def test_each_prefix_is_the_providers_and_the_policy_packs(prefix, resource, pack):
    source = inspect.getsource(resource)
    assert f"'{prefix}:{resource.__name__}'" in source, "the token the provider's class registers"
    assert prefix == pack, "the pack ships alone and spells it once more"
