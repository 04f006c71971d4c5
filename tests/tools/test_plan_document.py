"""tools.plan_document: a plan file `diff` reads is checked whole; a wrong part is named, never a traceback."""

import copy
import json
import random
from typing import Any

import pytest

from tests.support.cli import command
from tools.cli import main
from tools.diff import DiffError, load_plan
from tools.plan_document import MAX_PROBLEMS, document_problems

JUNK: list[Any] = [None, 1, -1.5, "x", "", [], {}, [1], {"a": 1}, True, "[secret]", 10**30]


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """The plan documents of the shipped dev and prod stacks, as `plan --format json` writes them."""
    folder = tmp_path_factory.mktemp("plans")
    from tests.support.stacks import ROOT

    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (folder / name).write_text((ROOT / name).read_text())
    found = {}
    for stack in ("dev", "prod"):
        done = command("plan", "--stack", stack, "--format", "json", cwd=folder)
        assert done.stdout, done.stderr
        found[stack] = json.loads(done.stdout)
    return found


def test_the_programs_own_plans_have_no_problem(plans):
    for stack, plan in plans.items():
        assert plan["cost"]["lines"] and plan["steps"], stack
        assert document_problems(plan) == [], stack


def with_value(plan: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(plan)
    where = changed
    for part in path[:-1]:
        where = where[part]
    where[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        (("cost", "monthly"), "x", "cost.monthly: an object expected"),
        (("cost", "lines", 0, "monthly"), "12", "cost.lines[0].monthly: a number expected"),
        (("cost", "lines", 0, "key"), None, "cost.lines[0].key: text expected"),
        (("steps", 2, "type"), [1], "steps[2].type: text expected"),
        (("steps", 1, "newState", "inputs"), [], "steps[1].newState.inputs: an object expected"),
        (("quota",), 1, "quota: a list expected"),
        (("policies",), True, "policies: an object expected"),
        (("outputs",), [], "outputs: an object expected"),
    ],
)
def test_a_wrong_part_is_named_by_its_path(plans, path, value, said):
    assert said in document_problems(with_value(plans["prod"], path, value))


def test_two_steps_of_one_urn_and_many_problems_at_most_five(plans):
    plan = copy.deepcopy(plans["dev"])
    plan["steps"].append(copy.deepcopy(plan["steps"][0]))
    assert document_problems(plan) == [f"steps[{len(plan['steps']) - 1}]: the urn of steps[0] again"]
    broken = {**plans["dev"], "steps": [{"urn": i} for i in range(20)]}
    assert len(document_problems(broken)) == MAX_PROBLEMS


def test_fields_diff_does_not_read_are_kept_as_they_are(plans):
    assert document_problems({**plans["dev"], "madeBy": {"a future": ["field"]}}) == []


def _paths(value: Any, path: tuple[Any, ...] = ()):
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value[:3]):
            yield from _paths(inner, (*path, i))


def test_any_plan_with_one_part_changed_diffs_or_is_one_error_line(plans, tmp_path, capsys):
    rng = random.Random(20261204)
    plan = plans["dev"]  # its cost, policies and steps have every shape prod's have, at half the resources
    (tmp_path / "old.json").write_text(json.dumps(plan))
    paths = [p for p in _paths(plan) if p]
    for round_ in range(120):
        path, value = rng.choice(paths), rng.choice(JUNK)
        (tmp_path / "new.json").write_text(json.dumps(with_value(plan, path, value)))
        files = ["old.json", "new.json"] if round_ % 2 else ["new.json", "old.json"]
        code = main(["diff", *(str(tmp_path / f) for f in files), "--format", ("text", "json", "markdown")[round_ % 3]])
        err = capsys.readouterr().err
        assert code in (0, 1) and "Traceback" not in err, (path, value)
        if code == 1:
            assert err.startswith("error: ") and err.count("\n") == 1, (path, value, err)
    with pytest.raises(DiffError, match=r"not a plan .*cost\.monthly: an object expected"):
        (tmp_path / "bad.json").write_text(json.dumps(with_value(plans["prod"], ("cost", "monthly"), "x")))
        load_plan(tmp_path / "bad.json")


@pytest.mark.parametrize("number", [10**400, -(10**20), 1e300])
@pytest.mark.parametrize("path", [("cost", "monthly", "total"), ("cost", "lines", 0, "unitPrice"), ("cost", "budget")])
def test_a_number_too_big_to_sum_is_named(plans, tmp_path, capsys, number, path):
    plan = with_value(plans["prod"], path, {"amount": number} if path[-1] == "budget" else number)
    where = ".".join(str(p) for p in path).replace(".0.", "[0].") + (".amount" if path[-1] == "budget" else "")
    assert f"{where}: a number within ±1e+15 expected" in document_problems(plan)
    (tmp_path / "big.json").write_text(json.dumps(plan))
    (tmp_path / "prod.json").write_text(json.dumps(plans["prod"]))
    assert main(["diff", str(tmp_path / "prod.json"), str(tmp_path / "big.json"), "--format", "markdown"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        (("stack",), "dev\x1b]0;pwned\x07", "stack: a control character in the text"),
        (("steps", 2, "urn"), "urn:x\n\rerror: fake", "steps[2].urn: a control character in the text"),
        (("steps", 1, "settings"), {"a\nb": "x"}, "steps[1].settings: a key with a control character"),
        (("steps", 1, "newState", "inputs", "k\x1b[2J"), 1, "steps[1].newState.inputs: a key with a control"),
    ],
)
def test_a_name_or_key_with_a_control_character_is_refused(plans, path, value, said):
    # Names and keys are printed as they are: an escape sequence or a line break could draw a fake line.
    assert any(p.startswith(said) for p in document_problems(with_value(plans["dev"], path, value)))


def test_a_line_break_inside_a_value_is_data(plans):
    step = next(i for i, s in enumerate(plans["dev"]["steps"]) if s["newState"]["inputs"])
    plan = with_value(plans["dev"], ("steps", step, "newState", "inputs", "script"), "line one\nline two")
    assert document_problems({**plan, "warnings": ["a warning\nover two lines"]}) == []
