"""Derived names stay within Azure's rules for every allowed environment, prefix and suffix, and never change."""

import itertools

from infra import naming

PREFIXES = ["ll", "llama", "abcdefghij"]
ENVIRONMENTS = ["d", "dev", "prod", "staging2", "abcdefghijkl"]
SUFFIXES = [naming.unique_suffix("sub", "rg"), "000000", "zzzzzz", "123456"]
ENDPOINTS = ["abc", "chat", "a" + "b" * 30, "x-y-z", "a" * 32]


def test_every_combination_fits_azure_rules():
    for prefix, env, suffix in itertools.product(PREFIXES, ENVIRONMENTS, SUFFIXES):
        names = naming.stack_names(prefix, env, suffix, naming.resource_group(prefix, env), {})
        assert naming.STORAGE_ACCOUNT.fullmatch(names.storage_account)
        assert naming.KEY_VAULT.fullmatch(names.key_vault), names.key_vault
        assert naming.CONTAINER_REGISTRY.fullmatch(names.container_registry)
        assert naming.WORKSPACE.fullmatch(names.hub) and naming.WORKSPACE.fullmatch(names.project)
        assert naming.RESOURCE_GROUP.fullmatch(names.resource_group)
        assert naming.LOG_ANALYTICS.fullmatch(names.log_analytics)
        assert naming.FOUNDRY_ACCOUNT.fullmatch(names.foundry_account)
        for endpoint in ENDPOINTS:
            assert naming.SERVERLESS_ENDPOINT.fullmatch(naming.serverless_endpoint(endpoint, suffix)), endpoint
            assert naming.ONLINE_ENDPOINT.fullmatch(naming.online_endpoint(endpoint, suffix)), endpoint


def test_names_keep_the_whole_suffix_and_cut_the_readable_part():
    names = naming.stack_names("abcdefghij", "abcdefghijkl", "123abc", "rg", {})
    for name in (names.storage_account, names.key_vault, names.hub, names.project, names.foundry_account):
        assert name.endswith("123abc"), name
    assert naming.online_endpoint("a" * 32, "123abc") == "a" * 25 + "-123abc"
    assert len(names.hub) <= naming.MAX_WORKSPACE
    assert "123abc" in names.deployer_role


def test_a_cut_never_leaves_a_dash_before_the_suffix():
    assert naming.online_endpoint("abcdefghijklmnopqrstuvwx-yz", "123abc") == "abcdefghijklmnopqrstuvwx-123abc"
    assert "--" not in naming.online_endpoint("abcdefghijklmnopqrstuvwxy-z", "123abc")


def test_suffix_is_deterministic_and_input_sensitive():
    assert naming.unique_suffix("a", "b") == naming.unique_suffix("a", "b")
    assert naming.unique_suffix("a", "b") != naming.unique_suffix("a", "c")
    assert len(naming.unique_suffix("x")) == naming.SUFFIX_LENGTH


def test_environment_from_any_stack_name():
    assert naming.environment_for_stack("dev") == "dev"
    derived = {
        s: naming.environment_for_stack(s) for s in ("three-serverless", "Staging.EU", "staging-eu", "1st", "prod_2")
    }
    assert all(naming.ENVIRONMENT.fullmatch(e) for e in derived.values()), derived
    assert len(set(derived.values())) == len(derived), "two stack names never share an environment"
    assert naming.environment_for_stack("---") is None


def test_marketplace_subscription_name_from_a_dotted_model():
    name = naming.marketplace_subscription("Llama-3.3-70B-Instruct")
    assert naming.MARKETPLACE_SUBSCRIPTION.fullmatch(name)
    assert name == "Llama-3-3-70B-Instruct"
