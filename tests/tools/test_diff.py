"""`llama-on-azure diff`: each resource's op between two plans, on hand-written plans and on the program's own."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from catalog import rbac
from infra.config.parse import config_from_engine
from policy.rules import PACK_NAME
from tests.support.cli import command
from tests.support.stacks import ML, ROOT, run, scenario, shipped_config, stack_config
from tools import diff as plan_diff
from tools.cost import plan_cost
from tools.diff import ABSENT, REPLACED_BY, DiffError, compare, load_plan
from tools.engine import PLACEHOLDER_SUBSCRIPTION, stack_config_values
from tools.plan import Plan, plan_document
from tools.render import COMMENT_LIMIT, SCHEMA_VERSION, UNKNOWN

ACCOUNT = "azure-native:storage:StorageAccount"
DEPLOYMENT = f"{ML}:OnlineDeployment"


def step(name: str, type_: str = ACCOUNT, *, custom: bool = True, protect: bool = False, **inputs: Any) -> dict:
    urn = f"urn:pulumi:dev::llama-on-azure::{type_}::{name}"
    state = {"urn": urn, "type": type_, "custom": custom, "inputs": inputs, "protect": protect}
    return {"op": "create", "urn": urn, "type": type_, "newState": state, "settings": {"name": name}}


def document(*steps: dict, outputs: dict | None = None, **extra: Any) -> dict:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "stack": "dev",
        "steps": list(steps),
        "outputs": outputs or {},
        "violations": [],
        "policies": {"pack": PACK_NAME, "config": None, "skipped": False},
    } | extra


BASE = step("st", accountName="stdev", location="eastus2", sku={"name": "Standard_LRS"}, tags={"owner": "a"})


def one(old: dict | None, new: dict | None) -> plan_diff.ResourceDiff:
    (found,) = compare(old, new).resources
    return found


def changed(**inputs: Any) -> dict:
    return document(step("st", **(BASE["newState"]["inputs"] | inputs)))


@pytest.mark.parametrize(
    ("new", "op", "path", "old_value", "new_value", "replaces"),
    [
        (changed(sku={"name": "Standard_ZRS"}), "update", "sku.name", "Standard_LRS", "Standard_ZRS", None),
        (changed(location="swedencentral"), "replace", "location", "eastus2", "swedencentral", plan_diff.REGION),
        (changed(accountName="stother"), "replace", "accountName", "stdev", "stother", plan_diff.NAME),
        (changed(resourceGroupName="rg-x"), "replace", "resourceGroupName", ABSENT, "rg-x", plan_diff.GROUP),
        (changed(tags="[secret]"), "update", "tags.owner", "a", ABSENT, None),
        (changed(tags={"owner": "[secret]"}), "update", "tags.owner", "a", "[secret]", None),
        (changed(sku={"name": UNKNOWN}), "update", "sku.name", "Standard_LRS", UNKNOWN, None),
        (changed(location=UNKNOWN), "replace", "location", "eastus2", UNKNOWN, plan_diff.REGION),
        (changed(tags={"owner": "a", "managed-by": "pulumi"}), "update", 'tags["managed-by"]', ABSENT, "pulumi", None),
    ],
    ids=["sku", "region", "name", "group", "secret", "secret leaf", "unknown after", "unknown region", "quoted key"],
)
def test_a_change_of_one_property(new, op, path, old_value, new_value, replaces):
    found = one(document(BASE), new)
    assert found.op == op
    change = next(c for c in found.changes if c.path == path)
    assert (change.old, change.new, change.replaces) == (old_value, new_value, replaces)


def test_add_remove_rename_and_same():
    old = document(BASE, step("kv", "azure-native:keyvault:Vault", vaultName="kv"), step("gone", location="x"))
    new = document(BASE, step("vault", "azure-native:keyvault:Vault", vaultName="kv"), step("added", location="x"))
    ops = {r.name: r.op for r in compare(old, new).resources}
    # A rename is a new URN: Pulumi deletes the old resource and creates the new one (without an alias).
    assert ops == {"st": "same", "vault": "create", "added": "create", "kv": "delete", "gone": "delete"}


def test_unknown_on_either_side():
    known, unknown = changed(sku={"name": "Standard_ZRS"}), changed(sku={"name": UNKNOWN})
    assert one(unknown, known).changes[0].old == UNKNOWN and one(unknown, known).op == "update"
    assert one(unknown, unknown).op == "same", "both unknown: nothing an offline diff can tell"
    pulumis = changed(sku={"name": plan_diff.PULUMI_UNKNOWN})  # how `pulumi preview --json` writes it
    assert one(unknown, pulumis).op == "same"


def test_a_secret_on_both_sides_compares_masked():
    secret = changed(tags="[secret]")
    assert one(secret, secret).op == "same"
    text = plan_diff.render_text(compare(document(BASE), secret))
    assert 'tags.owner: "a" -> (none)' in text and "tags: (none) -> [secret]" in text


def test_protect_and_the_engines_own_inputs():
    protected = document(step("st", protect=True, **BASE["newState"]["inputs"]))
    assert [c.path for c in one(document(BASE), protected).changes] == ["(protect)"]
    provider = changed(__provider="code-v2")
    assert one(changed(__provider="code-v1"), provider).op == "same", "a dynamic provider's code is no setting"


def test_a_component_is_created_deleted_or_the_same():
    component = step("hub", "llama-on-azure:index:AiHub", custom=False)
    assert one(None, document(component)).op == "create"
    assert one(document(component), document(component)).op == "same"
    counted = compare(document(BASE), document(component, BASE))
    assert counted.count("create") == 0, "counts are of Azure resources"


def test_outputs_that_change():
    old = document(outputs={"region": "eastus2", "endpoints": {"chat": {"url": UNKNOWN}}, "gone": 1})
    new = document(outputs={"region": "swedencentral", "endpoints": {"chat": {"url": UNKNOWN}}, "added": [1]})
    found = {c.path: (c.old, c.new) for c in compare(old, new).outputs}
    assert found == {"region": ("eastus2", "swedencentral"), "gone": (1, ABSENT), "added[0]": (ABSENT, 1)}


def test_a_new_and_a_removed_stack():
    new = compare(None, document(BASE))
    assert [r.op for r in new.resources] == ["create"] and new.notes[0][0] == "Note"
    removed = compare(document(BASE), None)
    assert [r.op for r in removed.resources] == ["delete"]
    level, text = removed.notes[0]
    assert level == "Warning" and "CI destroys nothing" in text and "pulumi destroy --stack dev" in text
    assert plan_diff.diff_document(removed)["warnings"] == [text]


def test_a_plan_without_a_cost_estimate_has_no_cost_line():
    plain = compare(document(BASE), document(BASE))
    assert plain.cost is None and "Cost:" not in plan_diff.render_text(plain)
    assert "cost" not in plan_diff.diff_document(plain)


def test_json_is_shaped_like_pulumi_preview_json():
    data = plan_diff.diff_document(compare(document(BASE), changed(location="westus", sku={"name": "x"})))
    (only,) = data["steps"]
    assert only["op"] == "replace" and only["diffReasons"] == ["location", "sku"]
    assert only["replaceReasons"] == ["location"]
    assert only["detailedDiff"] == {
        "location": {"kind": "update-replace", "inputDiff": True},
        "sku.name": {"kind": "update", "inputDiff": True},
    }
    assert data["changeSummary"] == {"create": 0, "update": 0, "replace": 1, "delete": 0, "same": 0}


def test_every_type_the_program_registers_says_what_replaces_it():
    ops = {"deployerRole": True, "deployers": ["11111111-2222-3333-4444-555555555555"]}
    everything = stack_config(access=ops, hub={"containerRegistry": True})
    results = [run("prod", shipped_config("prod")), run("dev", everything)]
    registered = {r.type for result in results for r in result.registrations if r.custom}
    assert registered - set(REPLACED_BY) == set()
    for type_, replacing in REPLACED_BY.items():
        assert all(why for why in replacing.values()), type_


# --- On the program's own plans ---


def real(config: dict, stack: str = "dev") -> dict:
    """`plan --format json` of the config, its cost estimate included as the command adds it."""
    result = run(stack, config, preview=True)
    assert result.error is None, result.error
    values, secret = stack_config_values(config)
    cost = plan_cost(config_from_engine(values, set(secret), stack))
    return json.loads(json.dumps(plan_document(Plan(result, PLACEHOLDER_SUBSCRIPTION, None, cost=cost))))


def _instances(config: dict, count: int) -> dict:
    changed = copy.deepcopy(config)
    for deployment in changed["llama-on-azure:deployments"]:
        if deployment.get("kind") == "managed":
            deployment["instanceCount"] = count
    return changed


def test_the_monthly_change_of_two_real_plans_with_the_lines_behind_it():
    managed = scenario("managed")
    three, four = real(managed, "managed"), real(_instances(managed, 4), "managed")
    diff = compare(three, four)
    text = plan_diff.render_text(diff)
    assert "Cost: +$13,943.00/month" in text, text
    assert "changed llama33: 4 x Standard_NC96ads_A100_v4" in text
    markdown = plan_diff.render_markdown(diff)
    assert "**Cost: +$13,943.00/month**" in markdown
    assert "| deployment / resource | what | a month | unit price | monthly |" in markdown, "the head's cost table"
    document = plan_diff.diff_document(diff)["cost"]
    assert document["change"] == "+$13,943.00/month" and document["monthly"]["fixed"]["change"] == 13943.0
    new_stack = compare(None, three)
    assert "Cost: +$" in plan_diff.render_text(new_stack) and new_stack.cost["lines"], "every line is added"
    assert all(line["status"] == "added" for line in new_stack.cost["lines"])


def test_the_program_planned_twice_is_the_same_and_a_region_change_replaces():
    dev = real(shipped_config("dev"))
    assert {r.op for r in compare(dev, copy.deepcopy(dev)).resources} == {"same"}
    moved = real(stack_config(region="swedencentral", **{"azure-native:location": "swedencentral"}))
    found = {r.name: r for r in compare(dev, moved).resources}
    assert found["resource-group"].op == "replace"
    assert found["resource-group"].changes[0].replaces == plan_diff.REGION
    assert found["maverick-deployment"].op == "same", "a Foundry deployment has no region of its own"
    assert any(c.path == "region" for c in compare(dev, moved).outputs)


def test_the_markdown_of_a_200_deployment_stack_fits_one_comment():
    dev = real(shipped_config("dev"))
    template = next(s for s in dev["steps"] if s["type"] == "azure-native:cognitiveservices:Deployment")
    grown = copy.deepcopy(dev) | {"policies": {"pack": PACK_NAME, "config": None, "skipped": False}}
    grown["violations"] = [{"policy": "p", "level": "mandatory", "resource": "r", "type": "t", "message": "m"}]
    for i in range(200):
        clone = copy.deepcopy(template)
        clone["urn"] = clone["newState"]["urn"] = f"{template['urn']}-{i}"
        clone["settings"] |= {"note": "x" * 400}  # long values are cut
        grown["steps"].append(clone)
    text = plan_diff.render_markdown(compare(dev, grown))
    assert len(text) < COMMENT_LIMIT
    assert "**200 to create" in text and "_Cut here to stay under 60,000 characters:" in text
    assert text.index("#### Policy violations") < text.index("#### Resources that change"), "the verdict is kept"
    assert "x" * 200 not in text


def test_role_assignments_show_their_role_scope_and_principal():
    access = {"deployerRole": True, "deployers": ["11111111-2222-3333-4444-555555555555"], "developers": [DEV]}
    plan = real(stack_config(access=access))
    roles = {s["urn"].rsplit("::", 1)[1]: s["settings"] for s in plan["steps"] if s["type"].endswith("RoleAssignment")}
    developer = roles[f"access-developer-{DEV}"]
    assert developer == {
        "role": rbac.AZURE_AI_DEVELOPER.name,
        "scope": "id of machinelearningservices:Workspace proj-llama-dev-ed0c2b",
        "principal": f"{DEV} (User)",
    }
    assert roles[f"access-developer-{DEV}-foundry"]["role"] == rbac.FOUNDRY_USER.name
    deployer = roles["access-deployer-11111111-2222-3333-4444-555555555555-subscription"]
    assert deployer["role"].startswith("Llama deployer (") and deployer["scope"] == f"/subscriptions/{GUID}"
    assert not any("name" in settings for settings in roles.values()), "a GUID Azure derives, never shown"


DEV, GUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", PLACEHOLDER_SUBSCRIPTION


# --- The command ---


def test_the_command_reads_files_and_refuses_what_is_not_a_plan(tmp_path):
    (tmp_path / "old.json").write_text(json.dumps(document(BASE)))
    (tmp_path / "new.json").write_text(json.dumps(changed(location="westus")))
    (tmp_path / "empty.json").write_text("")
    done = command("diff", "old.json", "new.json", "--format", "markdown", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| **replace** | `st` | `azure-native:storage:StorageAccount` | location:" in done.stdout
    assert "pulumi preview` is the authority" in done.stdout
    assert json.loads(command("diff", "empty.json", "new.json", "--format", "json", cwd=tmp_path).stdout)["notes"]
    bad = {
        "old.txt": "not json",
        "list.json": "[1]",
        "v0.json": json.dumps({"stack": "dev", "resources": []}),
        "steps.json": json.dumps(document() | {"steps": [{"urn": 1}]}),
        "prod.json": json.dumps(document() | {"stack": "prod"}),
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
    for name, says in (
        ("old.txt", "not JSON"),
        ("list.json", "a JSON object expected"),
        ("v0.json", "schemaVersion is (none), this version reads 1"),
        ("steps.json", "steps[0].urn: text expected; steps[0].newState: required, missing"),
        ("prod.json", "the plans are of two stacks"),
        ("missing.json", "cannot read it"),
    ):
        with pytest.raises(DiffError, match=r".*") as caught:
            compare(load_plan(tmp_path / name), load_plan(tmp_path / "new.json"))
        assert says in str(caught.value), name
    with pytest.raises(DiffError, match="neither plan exists"):
        compare(load_plan(tmp_path / "empty.json"), None)


def test_the_readme_lists_what_replaces():
    readme = " ".join((ROOT / "README.md").read_text().split())
    for prop in ("location", "resourceGroupName", "workspaceName", "accountName", "scope", "principalId"):
        assert f"`{prop}`" in readme, prop
    assert "`pulumi preview` is the authority" in readme


def test_the_diff_command_loads_neither_pulumi_nor_the_program(tmp_path):
    """A pull request diffs every stack: it reads two JSON files, and loads no Pulumi, components or kinds."""
    import subprocess
    import sys

    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(document(BASE)))
    new.write_text(json.dumps(changed(sku={"name": "Standard_ZRS"})))
    code = (
        "import sys\nfrom tools import cli\n"
        f"code = cli.main(['diff', {str(old)!r}, {str(new)!r}, '--format', 'json'])\n"
        "heavy = ('pulumi', 'grpc', 'pulumi_azure_native', 'components', 'infra.kinds', 'infra.cost', 'tools.engine',\n"
        "         'urllib3', 'azure')\n"
        "print([name for name in heavy if name in sys.modules], code, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stderr.strip() == "[] 0", done.stderr
    assert json.loads(done.stdout)["changeSummary"]["update"] == 1
