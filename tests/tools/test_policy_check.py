"""`--policy-config` files: checked against each policy's config schema from the real pack, every problem at once."""

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.cli import command
from tests.support.stacks import ROOT
from tools.policy_check import LEVELS, PolicyError, PolicyPackProcess, read_policy_config


@pytest.fixture(scope="module")
def policies():
    """What the pack itself answers to GetAnalyzerInfo: names and config schemas."""
    with PolicyPackProcess("dev") as pack:
        yield list(pack.stub.GetAnalyzerInfo(empty_pb2.Empty()).policies)


def read(tmp_path: Path, policies, content: Any) -> dict:
    path = tmp_path / "policy.json"
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return read_policy_config(path, policies)


def problem(tmp_path: Path, policies, content: Any) -> str:
    with pytest.raises(PolicyError) as caught:
        read(tmp_path, policies, content)
    return str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "not JSON (line 1, column 2"),
        (b'{"all": NaN}', "not JSON (NaN is not a JSON number)"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"all": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "not JSON (nested deeper than 100 levels)"),
        (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "not JSON (nested deeper than 100 levels)"),
        (b'{"managed-min-instances": {"minInstances": 1e999}}', "not JSON (a number is too large for a float)"),
        (b'{"all": -Infinity}', "not JSON (-Infinity is not a JSON number)"),
        ([1, 2], "must be a JSON object of policy name to settings, not array"),
        ("mandatory", "must be a JSON object of policy name to settings, not string"),
        ({"no-such-policy": "mandatory"}, "no policy named 'no-such-policy'; policies: acr-admin-disabled"),
        ({"required-tags": "strict"}, 'required-tags: enforcementLevel "strict" is not allowed; one of advisory'),
        ({"required-tags": {"enforcementLevel": 1}}, "enforcementLevel 1 is not allowed"),
        ({"required-tags": 5}, "required-tags: 5 is not allowed; a level (advisory, mandatory, disabled) or an"),
        ({"required-tags": ["mandatory"]}, 'required-tags: ["mandatory"] is not allowed; a level'),
    ],
)
def test_malformed_files_are_one_clear_error(tmp_path, policies, content, expected):
    assert expected in problem(tmp_path, policies, content)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"managed-min-instances": {"minInstances": "3"}}, 'managed-min-instances.minInstances: "3" is not allowed;'),
        ({"managed-min-instances": {"minInstances": 2.5}}, "minInstances: 2.5 is not allowed; expected integer"),
        ({"managed-min-instances": {"minInstances": True}}, "minInstances: true is not allowed; expected integer"),
        ({"managed-vm-sku-allowed": {"allowedVmSkus": "Standard_NC24ads_A100_v4"}}, "expected array"),
        ({"managed-vm-sku-allowed": {"allowedVmSkus": [24]}}, "allowedVmSkus[0]: 24 is not allowed; expected string"),
        ({"foundry-content-filter": {"maxSeverity": "Low"}}, 'maxSeverity: "Low" is not allowed; expected object'),
        (
            {"foundry-content-filter": {"maxSeverity": {"Hat": "Low"}}},
            "foundry-content-filter.maxSeverity.Hat: unknown key; allowed: Hate, Selfharm, Sexual, Violence",
        ),
        (
            {"managed-min-instances": {"minInstance": 3}},
            "managed-min-instances.minInstance: unknown setting; it takes minInstances (and enforcementLevel)",
        ),
        (
            {"storage-https-only": {"allowed": ["x"]}},
            "storage-https-only.allowed: unknown setting; it takes no settings",
        ),
    ],
)
def test_settings_that_do_not_match_the_policys_schema_are_refused(tmp_path, policies, entry, expected):
    assert expected in problem(tmp_path, policies, entry)


def test_every_problem_is_listed_at_once(tmp_path, policies):
    message = problem(
        tmp_path,
        policies,
        {"nope": "mandatory", "required-tags": {"tags": "owner", "enforcementLevel": "hard"}},
    )
    assert message.startswith("policy config ") and "has 3 problems" in message
    assert "no policy named 'nope'" in message and "required-tags.tags" in message and '"hard"' in message


def test_valid_configs_become_what_the_cli_sends(tmp_path, policies):
    configs = read(
        tmp_path,
        policies,
        {"all": "advisory", "managed-min-instances": {"enforcementLevel": "mandatory", "minInstances": 2}},
    )
    assert configs["managed-min-instances"].enforcementLevel == LEVELS["mandatory"]
    assert dict(configs["managed-min-instances"].properties) == {"minInstances": 2}
    assert configs["required-tags"].enforcementLevel == LEVELS["advisory"]
    assert len(configs) == len(policies)


def test_the_shipped_configs_match_the_schemas(policies):
    for path in (ROOT / "policy" / "config").glob("*.json"):
        assert read_policy_config(path, policies), path


def test_plan_refuses_a_config_that_does_not_match_instead_of_reporting_violations(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"managed-min-instances": {"enforcementLevel": "mandatory", "minInstances": "3"}}))
    done = command("plan", "--stack", "prod", "--policy-config", str(path), cwd=ROOT)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: policy config ")
    assert 'managed-min-instances.minInstances: "3" is not allowed; expected integer' in done.stderr
    assert "Traceback" not in done.stderr


def test_plan_with_a_deeply_nested_config_is_one_error_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"a":' * 30_000 + "1" + "}" * 30_000)
    done = command("plan", "--stack", "dev", "--policy-config", str(path), cwd=ROOT)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: policy config {path}: not JSON (nested deeper than 100 levels)\n"


@pytest.mark.parametrize("pattern", ["(", "[a-", "(?P<x", "*key"])
def test_a_regular_expression_that_does_not_compile_is_refused_before_the_analyzer_runs(tmp_path, pattern):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"stack-output-secrets": {"keyPattern": pattern}}))
    done = command("plan", "--stack", "dev", "--policy-config", str(path), cwd=ROOT)
    assert done.returncode == 1 and done.stdout == ""
    assert f"stack-output-secrets.keyPattern: {json.dumps(pattern)} is not a regular expression (" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


# Fuzzing, bounded: any policy config is refused with its problems, or reaches the pack, which never crashes on it.

_REGEXES = ["[0-9a-f]{32,}", "(", "abc\\z", "[[:alpha:]]+", "(?P<x>a)(?P=x)", "a{2,1}", "\\", "(?<=a+)b", "*"]
_JSON_LEAF = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=6)


def _setting_values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a hand-written config gives a setting: of its type mostly (odd ones included), anything sometimes."""
    typed = {
        "array": st.lists(st.sampled_from(["Disabled", "Key", "AAD", "eastus2", "owner", "", "Jailbreak"]), max_size=3),
        "integer": st.integers(-3, 10**6) | st.sampled_from([0, 2.0, 10**30]),
        "object": st.dictionaries(st.sampled_from(["Hate", "Sexual", "Violence"]), st.sampled_from(["Low", "High"])),
        "string": st.sampled_from(_REGEXES) if schema.get("format") == "regex" else st.text(max_size=8),
    }.get(schema.get("type"), _JSON_LEAF)
    return st.one_of(*[typed] * 6, _JSON_LEAF, st.lists(_JSON_LEAF, max_size=2))


@pytest.fixture(scope="module")
def schemas(policies):
    from tools.policy_check import _schemas

    return _schemas(policies)


def _configs(schemas: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    def entry(name: str) -> st.SearchStrategy[Any]:
        properties = (schemas[name] or {}).get("properties") or {}
        settings_of = st.fixed_dictionaries({k: _setting_values(v) for k, v in properties.items()})
        level = st.sampled_from([*sorted(LEVELS), "Mandatory", "", "strict"])
        with_level = settings_of.flatmap(lambda s: level.map(lambda lv: {**s, "enforcementLevel": lv}))
        return st.one_of(settings_of, with_level, settings_of, level) if properties else level | with_level

    configurable = sorted(name for name, schema in schemas.items() if (schema or {}).get("properties"))
    anything = st.sampled_from([*sorted(schemas), "all", "no-such-policy"])
    names = st.one_of(*[st.sampled_from(configurable)] * 3, anything)
    return st.lists(names, min_size=1, max_size=2, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({n: entry(n if n in schemas else "required-tags") for n in chosen})
    )


FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def prod_stack():
    """The shipped prod stack's run, one resource of each type (a config changes how a type is judged)."""
    import dataclasses

    from tests.support.stacks import run, shipped_config

    result = run("prod", shipped_config("prod"))
    one_each = {reg.type: reg for reg in result.registrations}
    return dataclasses.replace(result, registrations=list(one_each.values()))


def test_any_policy_config_is_refused_line_by_line_or_analyzed_without_a_crash(policies, schemas, prod_stack, tmp_path):
    from tests.support.cli import _SessionPack, start_session_pack
    from tools.policy_check import check_policies

    start_session_pack()
    path = tmp_path / "policy.json"

    @FUZZ
    @given(config=_configs(schemas))
    @example(config={"stack-output-secrets": {"keyPattern": "(", "words": ["key"]}})  # the class that was a crash
    def case(config):
        path.write_text(json.dumps(config))
        try:
            read_policy_config(path, policies)
        except PolicyError as err:
            lines = str(err).splitlines()
            assert lines[0].startswith(f"policy config {path}") and all(line.strip() for line in lines), str(err)
            return
        # Accepted: the pack reads it as the CLI would send it, and judges the program's real resources.
        check_policies(prod_stack, path, process=_SessionPack("prod"))

    case()
