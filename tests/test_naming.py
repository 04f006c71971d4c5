"""Derived names stay within Azure's rules for every allowed environment and prefix, and never change."""

from __future__ import annotations

import itertools

from components import naming

PREFIXES = ["ll", "llama", "abcdefghij"]
ENVIRONMENTS = ["d", "dev", "prod", "staging2", "abcdefghijkl"]
SUFFIXES = [naming.unique_suffix("sub", "rg"), "000000", "zzzzzz"]


def test_every_combination_fits_azure_rules():
    for prefix, env, suffix in itertools.product(PREFIXES, ENVIRONMENTS, SUFFIXES):
        assert naming.STORAGE_ACCOUNT.fullmatch(naming.storage_account(prefix, env, suffix))
        assert naming.KEY_VAULT.fullmatch(naming.key_vault(prefix, env, suffix)), naming.key_vault(prefix, env, suffix)
        assert naming.CONTAINER_REGISTRY.fullmatch(naming.container_registry(prefix, env, suffix))
        assert naming.WORKSPACE.fullmatch(naming.workspace("hub", prefix, env))
        assert naming.WORKSPACE.fullmatch(naming.workspace("proj", prefix, env))
        assert naming.RESOURCE_GROUP.fullmatch(naming.resource_group(prefix, env))
        assert naming.LOG_ANALYTICS.fullmatch(naming.log_analytics(prefix, env))


def test_global_names_keep_the_whole_suffix():
    long = naming.storage_account("abcdefghij", "abcdefghijkl", "123abc")
    assert long.endswith("123abc") and len(long) == 24
    assert naming.key_vault("abcdefghij", "abcdefghijkl", "123abc").endswith("-123abc")


def test_suffix_is_deterministic_and_input_sensitive():
    assert naming.unique_suffix("a", "b") == naming.unique_suffix("a", "b")
    assert naming.unique_suffix("a", "b") != naming.unique_suffix("a", "c")
    assert len(naming.unique_suffix("x")) == naming.SUFFIX_LENGTH


def test_marketplace_subscription_name_from_a_dotted_model():
    name = naming.marketplace_subscription("Meta-Llama-3.1-8B-Instruct")
    assert naming.MARKETPLACE_SUBSCRIPTION.fullmatch(name)
    assert name == "Meta-Llama-3-1-8B-Instruct"
