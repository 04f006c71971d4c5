"""The README documents what the code has: every stack key, deployment field, policy and command."""

import re

import pytest

from catalog.limits import LIMITS
from infra.config.model import ContentFilter, Foundry, Hub, StackConfig
from infra.kinds import KINDS
from policy.rules import POLICIES
from tests.support.stacks import ROOT

README = (ROOT / "README.md").read_text()


def aliases(model) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def test_the_two_commands_come_first():
    commands = README.index("## The two commands")
    assert "make plan" in README[commands : commands + 600] and "make test" in README[commands : commands + 600]


@pytest.mark.parametrize("key", aliases(StackConfig))
def test_every_stack_key_is_in_the_configuration_reference(key):
    assert re.search(rf"`{key}(\.|`|\.<)", README), key


@pytest.mark.parametrize(
    ("section", "key"),
    [("hub", k) for k in aliases(Hub)] + [("foundry", k) for k in aliases(Foundry)],
)
def test_every_section_key_is_documented(section, key):
    assert f"`{section}.{key}`" in README, f"{section}.{key}"


def test_every_content_filter_setting_is_documented():
    for key in aliases(ContentFilter):
        assert f"`{key}`" in README, key


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_deployment_field_is_documented(kind):
    for key in aliases(KINDS[kind].config):
        assert f"`{key}`" in README, f"{kind}: {key}"


def test_every_policy_is_in_the_policy_table():
    for policy in POLICIES:
        assert f"`{policy.name}`" in README, policy.name


def test_every_subcommand_is_documented():
    for command in ("plan", "preflight", "purge", "smoke", "env"):
        assert f"llama-on-azure {command}" in README, command


def test_the_serverless_rate_limits_are_the_catalogs():
    quoted = (
        f"Serverless rate limits: {LIMITS.serverless_tokens_per_minute:,} tokens and "
        f"{LIMITS.serverless_requests_per_minute:,} requests per minute per deployment."
    )
    assert quoted in " ".join(README.split())
