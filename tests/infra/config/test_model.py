"""Pulumi.yaml declares every stack key the program reads, as the CLI checks them; secret config stays secret."""

import json
import types
import typing
from typing import Any

import pydantic
import pytest
import yaml

from infra.config.model import StackConfig
from infra.config.parse import config_from_engine
from infra.config.types import NAMESPACE, ConfigError
from infra.kinds import KINDS
from tests.support.stacks import ROOT, SHIPPED, managed, run_decrypted, serverless, shipped_config, stack_config
from tools import engine

DECLARED: dict[str, dict[str, Any]] = {
    key.removeprefix(f"{NAMESPACE}:"): value
    for key, value in yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"].items()
}
FIELDS = {field.alias or name: field for name, field in StackConfig.model_fields.items()}
# What the project JSON schema of the CLI allows for a key of the project's own namespace.
ATTRIBUTES = {"type", "description", "default", "items", "secret"}
TYPES = {"string", "integer", "boolean", "array", "object"}


def _unwrap(annotation: Any) -> Any:
    """Optional[X] / Annotated[X, ...] -> X."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
            annotation
        ):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def schema_type(annotation: Any) -> dict[str, Any]:
    """The Pulumi.yaml type declaration a model annotation calls for."""
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is str or (origin is typing.Literal and all(isinstance(a, str) for a in typing.get_args(annotation))):
        return {"type": "string"}
    if origin is list:
        return {"type": "array", "items": schema_type(typing.get_args(annotation)[0])}
    if origin is dict or (isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)):
        return {"type": "object"}
    if origin in (typing.Union, types.UnionType):  # a discriminated union of deployment models
        assert all(issubclass(_unwrap(a), pydantic.BaseModel) for a in typing.get_args(annotation)), annotation
        return {"type": "object"}
    raise AssertionError(f"no Pulumi config type for {annotation}")


def test_every_key_of_the_model_is_declared_and_nothing_else():
    assert set(DECLARED) == set(FIELDS)


@pytest.mark.parametrize("key", sorted(FIELDS))
def test_each_declaration_has_the_models_type(key):
    declared = DECLARED[key]
    assert set(declared) <= ATTRIBUTES, f"{key}: the CLI refuses {set(declared) - ATTRIBUTES}"
    assert declared["type"] in TYPES
    assert {k: v for k, v in declared.items() if k in ("type", "items")} == schema_type(FIELDS[key].annotation)
    assert declared.get("description", "").strip(), f"{key}: no description"


@pytest.mark.parametrize("key", sorted(FIELDS))
def test_a_key_is_optional_in_pulumi_yaml_exactly_when_the_model_has_a_default(key):
    # The CLI refuses a stack that lacks a declared key without a default.
    assert ("default" not in DECLARED[key]) == FIELDS[key].is_required()


def cli_string(value: Any) -> str:
    """A Pulumi.yaml default as the CLI hands it to the program: primitives with %v, the rest as JSON."""
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def test_declared_defaults_give_the_models_defaults():
    values, secret = engine.stack_config_values({"llama-on-azure:region": "eastus2", "llama-on-azure:deployments": []})
    values[f"{NAMESPACE}:deployments"] = json.dumps([serverless("chat")])
    plain = config_from_engine(values, set(secret), "dev")
    defaults = {f"{NAMESPACE}:{k}": cli_string(d["default"]) for k, d in DECLARED.items() if "default" in d}
    merged = config_from_engine({**values, **defaults}, set(secret), "dev")
    assert merged.config.model_dump() == plain.config.model_dump()
    assert merged.environment == "dev" and merged.config.prefix == "llama" and merged.config.protect is False


def test_section_descriptions_name_every_key_they_take():
    for key in ("hub", "foundry", "contentFilters", "access", "models", "budget", "monitoring", "keyVaultSecrets"):
        section = _unwrap(FIELDS[key].annotation)
        section = typing.get_args(section)[-1] if typing.get_origin(section) in (dict, list) else section
        text = " ".join(DECLARED[key]["description"].split())
        missing = [f.alias for f in section.model_fields.values() if f.alias not in text]
        assert not missing, f"{key}: the description does not name {missing}"
    assert all(kind in DECLARED["deployments"]["description"] for kind in KINDS)


def validate(declared: dict[str, Any], value: Any) -> bool:
    """The CLI's ValidateConfigValue on a stack value after its YAML scalars became strings."""
    kind = declared["type"]
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, str) and value.lstrip("-").isdigit()
    if kind == "boolean":
        return value in ("true", "false")
    if kind == "object":
        return isinstance(value, dict)
    return isinstance(value, list) and all(validate(declared["items"], item) for item in value)


def _as_cli(value: Any, top: bool = True) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) and top:
        return str(value)
    if isinstance(value, dict):
        return {k: _as_cli(v, False) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_cli(v, False) for v in value]
    return value


@pytest.mark.parametrize("stack", SHIPPED)
def test_the_shipped_stacks_pass_the_clis_type_checks(stack):
    config = shipped_config(stack)
    for key, declared in DECLARED.items():
        full = f"{NAMESPACE}:{key}"
        if full in config:
            assert validate(declared, _as_cli(config[full])), f"{stack}: {full}"
        else:
            assert "default" in declared, f"{stack}: {full} is missing"
    assert not validate(DECLARED["protect"], "yes"), "a boolean takes only true or false"


# --- secret config, as the CLI hands it after decrypting: the plaintext, and the key among the secret keys ---

SECRET_TAG = "cost-center-4711"


def _plain_parts(value: Any) -> Any:
    """The value with every secret-wrapped part removed: what would be stored or shown in plain text."""
    if isinstance(value, dict):
        return {k: _plain_parts(v) for k, v in value.items() if k != "secret"}
    if isinstance(value, list):
        return [_plain_parts(v) for v in value]
    return value


@pytest.fixture(scope="module")
def secret_tags() -> engine.RunResult:
    config = stack_config(
        tags={"owner": "platform-team", "costCenter": SECRET_TAG},
        deployments=[serverless("chat"), managed("llama33", instanceCount=1)],
    )
    result = run_decrypted("dev", config, [f"{NAMESPACE}:tags"])
    assert result.error is None, result.error
    return result


def test_encrypted_tags_are_a_secret_on_every_resource(secret_tags):
    tagged = [r for r in secret_tags.registrations if r.custom and "tags" in r.inputs]
    assert len({r.type for r in tagged}) >= 8, [r.type for r in tagged]
    for reg in tagged:
        assert set(reg.inputs["tags"]) == {"secret"}, f"{reg.type} {reg.name}: tags in plain text"
        assert reg.inputs["tags"]["secret"]["costCenter"] == SECRET_TAG


def test_the_encrypted_value_is_nowhere_in_plain_text(secret_tags):
    assert SECRET_TAG in json.dumps(secret_tags.to_json()), "the run did see the value"
    for reg in secret_tags.registrations:
        for part in (reg.inputs, reg.outputs):
            assert SECRET_TAG not in json.dumps(_plain_parts(part)), f"{reg.type} {reg.name}"
    assert SECRET_TAG not in json.dumps(_plain_parts(secret_tags.exports))


def test_an_encrypted_key_that_cannot_be_secret_is_refused():
    result = run_decrypted("dev", stack_config(), [f"{NAMESPACE}:region"])
    assert result.error is not None and not result.registrations[1:]
    assert f"{NAMESPACE}:region: encrypted values (secure:) are not accepted for this key" in result.error


# --- the budget and expectedTokens: what Azure's budget API and the estimate take, every mistake at once ---


def problems(**keys: Any) -> list[str]:
    values, secret = engine.stack_config_values(stack_config(**keys))
    try:
        config_from_engine(values, set(secret), "dev")
    except ConfigError as exc:
        return exc.problems
    return []


BUDGET = {"amount": 1000, "contactEmails": ["team@example.com"]}


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (
            {**BUDGET, "contactEmails": ["team at example.com"]},
            "budget.contactEmails[0]: 'team at example.com' is not an",
        ),
        ({**BUDGET, "contactEmails": []}, "contactEmails: required with an amount"),
        (
            {**BUDGET, "contactEmails": [f"t{i}@example.com" for i in range(6)]},
            "budget.contactEmails: 6 entries; at most 5",
        ),
        ({**BUDGET, "contactEmails": ["a@example.com", "A@example.com"]}, "an address is listed twice"),
        ({**BUDGET, "thresholds": [0]}, "budget.thresholds[0]: 0 is not a percentage of the budget Azure takes"),
        ({**BUDGET, "thresholds": [1001]}, "at most 1000"),
        ({**BUDGET, "thresholds": [80, 80]}, "thresholds: [80, 80] repeats a percentage"),
        ({**BUDGET, "thresholds": [25, 50, 75, 100], "forecast": [90, 100]}, "give 6 notifications; Azure allows at"),
        ({**BUDGET, "thresholds": []}, "the budget would notify no one"),
        (
            {**BUDGET, "currency": "usd"},
            "budget.currency: 'usd' is not a currency of Azure's price list; case matters: did",
        ),
        ({**BUDGET, "amount": -5}, "budget.amount: -5 is not allowed; more than 0"),
        ({**BUDGET, "amount": "lots"}, "budget.amount: 'lots' is not allowed; a number"),
        ({"contactEmails": ["team@example.com"]}, "amount: required when the budget sets anything else"),
        ({**BUDGET, "ammount": 5}, "budget.ammount: unknown key"),
    ],
)
def test_a_bad_budget_names_the_key_the_value_and_what_is_allowed(budget, expected):
    found = problems(budget=budget)
    assert any(expected in p for p in found), found


def test_a_valid_budget_and_no_budget():
    assert problems(budget={**BUDGET, "thresholds": [50.5, 100], "forecast": [100], "currency": "EUR"}) == []
    values, secret = engine.stack_config_values(stack_config())
    assert config_from_engine(values, set(secret), "dev").config.budget.enabled is False


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ({"inputPerMonth": 1}, "expectedTokens.outputPerMonth: required key is missing"),
        ({"inputPerMonth": -1, "outputPerMonth": 0}, "expectedTokens.inputPerMonth: -1 is not allowed; at least 0"),
        ({"inputPerMonth": 1.5, "outputPerMonth": 0}, "expectedTokens.inputPerMonth: 1.5 is not allowed"),
        ({"inputPerMonth": 1, "outputPerMonth": 1, "cached": 1}, "expectedTokens.cached: unknown key"),
    ],
)
def test_bad_expected_tokens_are_refused(tokens, expected):
    found = problems(deployments=[serverless("chat", expectedTokens=tokens)])
    assert any(expected in p for p in found), found


def test_expected_tokens_are_not_a_key_of_managed_deployments_and_moot_when_provisioned():
    tokens = {"inputPerMonth": 1, "outputPerMonth": 1}
    found = problems(deployments=[managed("llama33", expectedTokens=tokens)])
    assert any("expectedTokens: only for kind 'serverless' or 'foundry'" in p for p in found), found
    values, secret = engine.stack_config_values(
        stack_config(
            deployments=[
                {"name": "ptu", "kind": "foundry", "model": "Llama-3.3-70B-Instruct", "sku": "GlobalProvisionedManaged",
                 "capacity": 100, "expectedTokens": tokens}
            ]
        )
    )  # fmt: skip
    warnings = config_from_engine(values, set(secret), "dev").warnings
    assert any("expectedTokens: GlobalProvisionedManaged is billed per PTU-hour" in w for w in warnings), warnings
