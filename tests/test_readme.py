"""The README documents what the code has: every stack key, deployment field, policy and command."""

import argparse
import json
import re

import pytest

from catalog import monitoring
from catalog.limits import LIMITS
from infra.config.model import (
    Alert,
    Alerts,
    Budget,
    ContentFilter,
    Foundry,
    Hub,
    KeyVaultSecrets,
    Monitoring,
    Network,
    StackConfig,
)
from infra.kinds import KINDS
from policy.rules import POLICIES
from tests.support.cli import command as run_command
from tests.support.stacks import ROOT, run, shipped_config
from tools import cli
from tools.engine import PLACEHOLDER_SUBSCRIPTION
from tools.plan import Plan, plan_document

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
    [("hub", k) for k in aliases(Hub)]
    + [("foundry", k) for k in aliases(Foundry)]
    + [("network", k) for k in aliases(Network)],
)
def test_every_section_key_is_documented(section, key):
    assert f"`{section}.{key}`" in README, f"{section}.{key}"


def test_every_budget_key_is_documented():
    for key in aliases(Budget):
        assert f"`budget.{key}`" in README, key


def test_the_readme_pins_the_estimate_it_quotes():
    assert "3 x 19.10 x 730 = **41,829.00 USD a month**" in README and "3 x 14.692 x 730 = 32,175.48" in README
    for left_out in ("egress", "storage and log growth", "taxes", "discounts", "reservations and savings plans"):
        assert left_out in README, left_out


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
    parser = argparse.ArgumentParser()
    cli._plan_parser(commands := parser.add_subparsers())
    for add in (
        cli._cost_parser,
        cli._diff_parser,
        cli._stack_parsers,
        cli._new_stack_parser,
        cli._azure_parsers,
        cli._smoke_parser,
        cli._env_parser,
    ):
        add(commands)
    assert set(commands.choices) == {
        "plan",
        "cost",
        "diff",
        "stacks",
        "new-stack",
        "preflight",
        "purge",
        "smoke",
        "env",
    }
    for command in commands.choices:
        assert f"llama-on-azure {command}" in README, command
    assert "llama-on-azure --version" in README


def test_every_field_of_the_plan_json_is_documented():
    result = run("dev", shipped_config("dev"), preview=True)
    document = plan_document(Plan(result, PLACEHOLDER_SUBSCRIPTION, [], cost={"currency": "USD"}))
    section = README.split("### Plans as data", 1)[1].split("\n## ", 1)[0]
    for key in [*document, *document["steps"][1], *document["steps"][1]["newState"]]:
        assert f"`{key}" in section, key


def test_the_serverless_rate_limits_are_the_catalogs():
    quoted = (
        f"Serverless rate limits: {LIMITS.serverless_tokens_per_minute:,} tokens and "
        f"{LIMITS.serverless_requests_per_minute:,} requests per minute per deployment."
    )
    assert quoted in " ".join(README.split())


def test_every_monitoring_and_key_vault_secrets_key_is_documented():
    for key in aliases(Monitoring):
        assert f"`monitoring.{key}" in README, key
    for key in aliases(Alerts):
        assert f"`monitoring.alerts.{key}`" in README or f"`{key}`" in README, key
    for key in aliases(Alert):
        assert key in README.split("`monitoring.alerts.<alert>`")[1].split("\n")[0], key
    for key in aliases(KeyVaultSecrets):
        assert f"`keyVaultSecrets.{key}`" in README, key


MONITORING = README[README.index("## Monitoring") : README.index("## Access as code")]


def test_each_query_reads_only_columns_of_its_table_from_the_catalog():
    queries = re.findall(r"```kusto\n(.*?)```", MONITORING, re.DOTALL)
    assert len(queries) >= 6
    for query in queries:
        table = monitoring.LOG_TABLES[query.split()[0]]
        bare = re.sub(r'"[^"]*"', "", re.sub(r"//.*", "", query))  # strings and comments name no column
        named = set(re.findall(r"\b_?[A-Z]\w*", bare)) - {table.name}
        assert named <= set(table.columns) | set(table.unconfirmed), (table.name, named - set(table.columns))


def test_the_alert_table_shows_the_models_defaults_and_the_catalogs_metrics():
    settings = Alerts().settings()
    for alert, setting in settings.items():
        (row,) = [line for line in MONITORING.splitlines() if line.startswith(f"| `{alert}` |")]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert f"{setting.threshold:g}" in cells[3], (alert, cells[3])
        assert (cells[4], cells[5]) == (str(setting.severity), f"{setting.window_minutes} min"), alert
    metrics = {m.name for m in vars(monitoring).values() if isinstance(m, monitoring.Metric)}
    shown = set(re.findall(r"`([A-Za-z_0-9]+)`", MONITORING.split("### Alerts")[1].split("### ")[0]))
    for name in ("ModelRequests", "TimeToLastByte", "ProvisionedUtilization", "RequestsPerMinute"):
        assert name in shown and name in metrics, name
    assert {"RequestLatency_P95", "DeploymentCapacity", "GpuUtilizationPercentage"} <= shown & metrics


_NAMED_TEST = re.compile(r"(?<![\w/])((?:tests/)?[\w/]*test_\w+\.py)(?:::(\w+))?")


def test_every_test_the_readme_names_exists():
    named = _NAMED_TEST.findall(README)
    assert len(named) > 20, "the README names the tests that prove what it guarantees"
    for path, function in named:
        assert path.startswith("tests/"), f"{path}: name a test module by its path from the repository root"
        assert (ROOT / path).is_file(), f"the README names {path}, which does not exist"
        if function:
            assert re.search(rf"^def {function}\(", (ROOT / path).read_text(), re.M), f"{path}::{function}"


def _block_after(marker: str) -> list[str]:
    """The lines of the first code block after `marker` in the README."""
    rest = README[README.index(marker) :]
    return rest.split("```text\n", 1)[1].split("```\n", 1)[0].splitlines()


def test_the_dev_plan_sample_is_what_the_plan_prints():
    """Every line of the sample is a line of the real plan, in order: whole, cut at `...`, or `...` for lines left
    out."""
    done = run_command("plan", "--stack", "dev", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    printed = iter(done.stdout.splitlines())
    for line in _block_after("The dev plan (long lines cut"):
        if line.strip() == "...":
            continue
        head = line.removesuffix("...")
        found = next((p for p in printed if (p.startswith(head) if head != line else p == line)), None)
        assert found is not None, f"not printed by the plan, or out of order: {line!r}"


BAD_STACK = """\
config:
  llama-on-azure:region: swedencentral
  llama-on-azur:protect: true
  llama-on-azure:tags:
    Environment: x
  llama-on-azure:deployments:
    - {name: chat, kind: serverless, model: Meta-Llama-3-8B-Instruct}
    - {name: llama33, kind: managed, model: Llama-3.3-70B-Instruct, vmSku: Standard_NC4as_T4_v3}
    - {name: maverick, kind: foundry, model: Llama-4-Maverick-17B-128E-Instruct-FP8, contentSafety: false}
"""


def test_the_configuration_error_sample_is_what_the_plan_prints(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.bad.yaml").write_text(BAD_STACK)
    command_line, *sample = _block_after("'Key'?`):")
    assert command_line == "$ llama-on-azure plan --stack bad"
    done = run_command("plan", "--stack", "bad", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.splitlines() == sample


def test_the_policy_table_shows_each_default_level_and_what_prod_makes_mandatory():
    prod = json.loads((ROOT / "policy" / "config" / "prod.json").read_text())
    section = README.split("## Policies", 1)[1].split("\n## ", 1)[0]
    levels = {}
    for row in section.splitlines():
        if row.startswith("| `"):
            names, level = row.strip("|").split("|")[:2]
            for name in re.findall(r"`([a-z-]+)`", names):
                levels[name] = level.strip()
    for policy in POLICIES:
        default = policy.enforcement_level.value
        in_prod = prod.get(policy.name, {}).get("enforcementLevel", default)
        marked = f"{default} (prod: mandatory)" if in_prod == "mandatory" and default != "mandatory" else default
        assert levels.get(policy.name) == marked, (policy.name, levels.get(policy.name), marked)
