"""`llama-on-azure plan`: the README's main command, run as a user runs it."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from catalog import rbac, sources
from policy.rules import PACK_NAME
from tests.support.cli import Done, command, installed
from tests.support.stacks import ROOT, SCENARIOS, SHIPPED, run, serverless, stack_config
from tools.engine import PLACEHOLDER_SUBSCRIPTION
from tools.plan import Plan, render_markdown, render_text


def plan(*args: str, cwd: Path = ROOT) -> Done:
    return command("plan", *args, cwd=cwd)


def crafted_project(tmp_path: Path, stack: str, config: dict) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def test_plan_of_dev_prints_the_tree_and_masked_exports():
    done = installed("plan", "--stack", "dev", cwd=ROOT)  # the README's main command, as a user runs it
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "llama-on-azure:index:AiHub  hub",
        "azure-native:machinelearningservices:Workspace  hub-workspace  name=hub-llama-dev-",
        "kind=Hub",
        "azure-native:machinelearningservices:MarketplaceSubscription",
        "properties.contentSafety.contentSafetyStatus=Enabled",
        "endpointKeys: [secret]",
        "url: (known after apply)",
        "llama-on-azure:index:FoundryResource  foundry",
        "Resources: 37 to create (24 Azure resources in 13 components)",
    ):
        assert expected in out, expected
    # Components come in creation order: the hub before the project before the endpoint.
    assert out.index("index:AiHub") < out.index("index:AiProject") < out.index("index:ServerlessEndpoint")
    assert f"Llama catalog as of {sources.AS_OF}" in out


def test_plan_of_prod_marks_protected_resources():
    done = plan("--stack", "prod")
    assert done.returncode == 0, done.stderr
    assert "llama-on-azure:index:AiHub  hub [protected]" in done.stdout
    assert "Warnings (2):" in done.stdout and "version of Llama-3.3-70B-Instruct as a Foundry Model" in done.stdout
    assert "serverless endpoint(s) 'chat' publish no Azure Monitor metrics or logs" in done.stdout


def managed_project(tmp_path: Path, **changes) -> Path:
    """The managed-compute scenario (3 x Standard_NC96ads_A100_v4 beside serverless, a budget) as a stack."""
    config = yaml.safe_load((SCENARIOS / "managed.yaml").read_text())["config"]
    config.update({f"llama-on-azure:{k}": v for k, v in changes.items()})
    return crafted_project(tmp_path, "managed", config)


def test_the_text_plan_ends_with_the_monthly_estimate(tmp_path):
    done = plan("--stack", "managed", cwd=managed_project(tmp_path))
    assert done.returncode == 0, done.stderr
    cost = done.stdout[done.stdout.index(f"\nCost per month (USD, list prices as of {sources.AS_OF}") :]
    assert done.stdout.index("\nOutputs:") < done.stdout.index("\nCost per month")
    assert "llama33  3 x Standard_NC96ads_A100_v4 (Linux VM, pay-as-you-go)" in cost and "$41,829.00" in cost
    assert "Fixed: $41,829.00/month" in cost and "Budget: $50,000.00/month; the fixed estimate is 83.7% of it." in cost
    assert cost.rstrip().endswith('(README, "Cost").')


def test_plan_json_is_shaped_like_pulumi_preview_json_and_masks_secrets():
    done = plan("--stack", "dev", "--format", "json")
    data = json.loads(done.stdout)
    assert data["schemaVersion"] == 1 and data["stack"] == "dev" and data["catalogAsOf"] == sources.AS_OF.isoformat()
    stack, *steps = data["steps"]
    assert stack["type"] == "pulumi:pulumi:Stack" and stack["urn"].endswith("::llama-on-azure-dev")
    assert data["changeSummary"] == {"create": len(data["steps"])}
    assert {s["op"] for s in data["steps"]} == {"create"}
    endpoint = next(s for s in steps if s["type"] == "azure-native:machinelearningservices:ServerlessEndpoint")
    state = endpoint["newState"]
    assert state["urn"] == endpoint["urn"] and state["custom"] is True and "provider" not in state | endpoint
    assert state["inputs"]["properties"]["contentSafety"] == {"contentSafetyStatus": "Enabled"}
    assert state["parent"].endswith("llama-on-azure:index:ServerlessEndpoint::chat")
    assert all(s["newState"]["parent"] in {t["urn"] for t in data["steps"]} for s in steps), "parents are steps"
    assert endpoint["settings"]["properties.authMode"] == "Key"
    assert data["outputs"]["endpointKeys"] == "[secret]"
    assert list(data["outputs"]) == sorted(data["outputs"]), "outputs sorted"
    traffic_free = json.dumps(data)
    assert "pk-" not in traffic_free and "k1-" not in traffic_free, "no key in a plan"


def test_subscription_id_changes_only_suffixed_names():
    sub = "11111111-2222-3333-4444-555555555555"
    a, b = (
        plan("--stack", "dev", "--format", "json"),
        plan("--stack", "dev", "--format", "json", "--subscription-id", sub),
    )

    def names(done):
        return {s["urn"].rsplit("::", 1)[1]: s["settings"].get("name") for s in json.loads(done.stdout)["steps"]}

    left, right = names(a), names(b)
    assert left["hub-st"] != right["hub-st"] and left["hub-kv"] != right["hub-kv"]
    assert left["hub-workspace"] != right["hub-workspace"] and left["chat-endpoint"] != right["chat-endpoint"]
    assert left["resource-group"] == right["resource-group"] and left["hub-log"] == right["hub-log"]


def test_bad_stack_exits_1_with_the_message_and_no_traceback(tmp_path):
    config = stack_config(deployments=[serverless("chat", "Llama-9-Giant")])
    done = plan("--stack", "bad", cwd=crafted_project(tmp_path, "bad", config))
    assert done.returncode == 1
    assert (
        f"llama-on-azure:deployments[0].model: 'Llama-9-Giant' is not in the Llama catalog (as of {sources.AS_OF})"
        in done.stderr
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""


def test_missing_stack_file_names_the_stacks_there():
    done = plan("--stack", "nope")
    assert done.returncode == 1
    assert "Pulumi.nope.yaml" in done.stderr and "dev" in done.stderr and "prod" in done.stderr


def test_bad_subscription_id_is_refused():
    done = plan("--subscription-id", "not-a-guid")
    assert done.returncode == 1
    assert "not a GUID" in done.stderr and "Traceback" not in done.stderr


def test_content_safety_off_fails_the_plan_naming_the_policy(tmp_path):
    config = stack_config(deployments=[serverless("chat", contentSafety=False)])
    done = plan("--stack", "nosafety", cwd=crafted_project(tmp_path, "nosafety", config))
    assert done.returncode == 1
    assert "[mandatory] serverless-content-safety  chat-endpoint" in done.stdout
    assert "contentSafetyStatus is 'Disabled'" in done.stdout
    skipped = plan("--stack", "nosafety", "--skip-policies", cwd=tmp_path)
    assert skipped.returncode == 0 and "Policies: skipped" in skipped.stdout


@pytest.mark.parametrize("stack", SHIPPED)
def test_shipped_stacks_pass_their_policy_configs(stack):
    done = plan("--stack", stack)
    assert done.returncode == 0, done.stdout + done.stderr
    # policy/config/<stack>.json where the stack has one, else the pack's defaults (README, "Add an environment").
    own = ROOT / "policy" / "config" / f"{stack}.json"
    config = f"config policy/config/{stack}.json" if own.is_file() else "default config"
    assert f"({PACK_NAME}, {config}): 0 mandatory" in done.stdout


def test_markdown_summary_for_a_pull_request(tmp_path):
    config = stack_config(deployments=[serverless("chat", contentSafety=False)])
    done = plan("--stack", "nosafety", "--format", "markdown", cwd=crafted_project(tmp_path, "nosafety", config))
    assert done.returncode == 1
    out = done.stdout
    assert out.startswith("### `llama-on-azure` offline plan: stack `nosafety`")
    assert "blocked by mandatory policy violations" in out
    assert "| `azure-native:machinelearningservices:ServerlessEndpoint` | 1 |" in out
    assert "| mandatory | `serverless-content-safety` | `chat-endpoint` |" in out
    # A cost table per deployment, then the platform's lines.
    assert "#### Cost: **$0.00/month** fixed" in out, "a hub has no fixed cost of its own"
    assert "| `chat` | Llama-3.3-70B-Instruct serverless (Marketplace), input tokens | not declared |" in out
    assert out.index("| `chat` |") < out.index("| `hub` |")


def test_json_lists_violations_as_data():
    # The public dev stack judged by prod's policies: every public network access is a mandatory violation.
    done = plan("--stack", "dev", "--format", "json", "--policy-config", "policy/config/prod.json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert {"stack", "steps", "violations", "policies", "warnings", "quota", "outputs"} <= set(data)
    assert data["policies"] == {"pack": PACK_NAME, "config": "policy/config/prod.json", "skipped": False}
    mandatory = [v for v in data["violations"] if v["level"] == "mandatory"]
    assert {"policy", "level", "resource", "message"} <= set(mandatory[0])
    assert {
        "workspace-public-network-access",
        "storage-public-network-access",
        "keyvault-public-network-access",
        "foundry-public-network-access",
    } <= {v["policy"] for v in mandatory}
    assert {v["policy"] for v in data["violations"] if v["level"] == "advisory"} == {"workspace-isolation-mode"}


def test_the_plan_json_carries_the_cost_object(tmp_path):
    data = json.loads(plan("--stack", "managed", "--format", "json", cwd=managed_project(tmp_path)).stdout)
    # The cost object: the shape `llama-on-azure diff` (cost_delta) reads, documented in the README.
    cost = data["cost"]
    assert {"version", "currency", "asOf", "monthly", "lines"} <= set(cost) and cost["version"] == 1
    assert {"fixed", "usage", "unknown"} <= set(cost["monthly"]) and cost["monthly"]["fixed"] == 41829.0
    fields = {"key", "what", "billing", "quantity", "unit", "unitPrice", "monthly", "source", "asOf"}
    assert all(fields <= set(line) and ({"deployment", "resource"} & set(line)) for line in cost["lines"])
    assert data["outputs"]["costEstimate"]["monthly"]["fixed"] == 41829, "what the policy judges"


def test_a_budget_below_the_estimate_fails_prods_policies(tmp_path):
    budget = yaml.safe_load((SCENARIOS / "managed.yaml").read_text())["config"]["llama-on-azure:budget"]
    project = managed_project(tmp_path, budget=budget | {"amount": 40000})
    done = plan("--stack", "managed", "--policy-config", str(ROOT / "policy" / "config" / "prod.json"), cwd=project)
    assert done.returncode == 1, done.stderr
    assert "[mandatory] budget-covers-estimate  budget-budget (azure-native:consumption:Budget)" in done.stdout
    assert "exceeds the budget of 40,000.00: llama33 41,829.00" in done.stdout


def test_bad_policy_config_is_reported(tmp_path):
    bad = tmp_path / "policy.json"
    bad.write_text('{"no-such-policy": "mandatory"}')
    done = plan("--stack", "dev", "--policy-config", str(bad))
    assert done.returncode == 1
    assert "no policy named 'no-such-policy'" in done.stderr


def test_an_encrypted_tag_value_keeps_the_tag_for_the_policies(tmp_path):
    # One secure leaf must not hide every tag: prod's policy config requires owner and costCenter.
    text = (
        (ROOT / "Pulumi.prod.yaml")
        .read_text()
        .replace("    costCenter: ai-platform", "    costCenter:\n      secure: v1:AAAABBBBCCCC")
    )
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.enc.yaml").write_text(text)
    done = plan("--stack", "enc", "--policy-config", str(ROOT / "policy" / "config" / "prod.json"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "missing required tags" not in done.stdout
    assert "encrypted values (secure:) are not checked offline" in done.stdout
    assert "AAAABBBBCCCC" not in done.stdout


def test_the_stack_comes_from_pulumi_stack_when_no_flag_names_it(project):
    done = command("plan", "--skip-policies", "--format", "json", cwd=project, env={"PULUMI_STACK": "prod"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stack"] == "prod"
    assert "stack: prod (from PULUMI_STACK)" in done.stderr


def test_without_a_stack_the_plan_asks_which_one_and_lists_them(project, monkeypatch):
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    done = command("plan", cwd=project)
    assert done.returncode == 1
    assert done.stderr.startswith("error: which stack? give --stack NAME or set PULUMI_STACK; stacks here: ")
    assert "dev" in done.stderr and "prod" in done.stderr and "Traceback" not in done.stderr


ESC = "environment:\n  - llama/common\n  - imports-from: {merge: false}\n"


def test_an_esc_import_is_a_warning_in_the_plan_and_a_note_on_an_error(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.esc.yaml").write_text(ESC + (ROOT / "Pulumi.dev.yaml").read_text())
    (tmp_path / "Pulumi.bare.yaml").write_text(ESC + "config:\n  llama-on-azure:prefix: llama\n")
    done = plan("--stack", "esc", "--skip-policies", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (warning,) = [w for w in json.loads(done.stdout)["warnings"] if "ESC" in w]
    assert "llama/common, imports-from" in warning and "plans this file's config: alone" in warning
    refused = plan("--stack", "bare", "--skip-policies", cwd=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "llama-on-azure:region: required key is missing" in refused.stderr
    assert "note: Pulumi.bare.yaml imports Pulumi ESC llama/common, imports-from" in refused.stderr


def test_the_text_and_markdown_show_role_assignments_by_role_and_outputs_sorted():
    access = {"deployerRole": True, "deployers": ["11111111-2222-3333-4444-555555555555"], "developers": [DEVELOPER]}
    result = run("dev", stack_config(access=access), preview=True)
    plan_ = Plan(result, PLACEHOLDER_SUBSCRIPTION, [], notes=("a note",))
    text = render_text(plan_)
    line = next(x for x in text.splitlines() if f"access-developer-{DEVELOPER}  " in x)
    assert f"role={rbac.AZURE_AI_DEVELOPER.name}, scope=id of machinelearningservices:Workspace proj-llama-dev-" in line
    assert f"principal={DEVELOPER} (User)" in line and "name=" not in line
    assert "Warnings (2):\n    a note" in text
    outputs = text.split("\nOutputs:\n", 1)[1].splitlines()
    top = [x.strip().split(":")[0] for x in outputs if x.startswith("    ") and not x.startswith("        ")]
    assert top == sorted(top)
    markdown = render_markdown(plan_)
    assert "| `maverick-deployment` | `azure-native:cognitiveservices:Deployment` | name=maverick, " in markdown
    assert f"role={rbac.FOUNDRY_USER.name}" in markdown and "#### Outputs" in markdown
    assert markdown.index("| `catalogAsOf` |") < markdown.index("| `region` |")


DEVELOPER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
