"""The config's domain types: a model version is judged by one documented rule, wherever a stack gives one."""

import pytest

from infra.config.types import MAX_VERSION_LENGTH, shown
from tests.support.config import base, problems
from tests.support.stacks import LLAMA33, MAVERICK

NEW = "Llama-5-Large-Instruct"
VM = "Standard_NC96ads_A100_v4"


def managed(model: str = LLAMA33, **keys):
    return {"name": "big", "kind": "managed", "model": model, "vmSku": VM, **keys}


def foundry(model: str = MAVERICK, **keys):
    return {"name": "mav", "kind": "foundry", "model": model, **keys}


def declared(version, kinds=("managed", "foundry")) -> list[str]:
    """Every error of a stack that declares a new model at `version` and deploys it each of these ways."""
    deployments = [{"managed": managed, "foundry": foundry}[k](NEW) for k in kinds]
    return problems(base(deployments=deployments, models=[{"name": NEW, "api": "chat", "version": version}]))


# Well-formed: 1-64 ASCII letters, digits, '.', '_' or '-', a letter or digit first; a YAML number is its digits.
WELL_FORMED = ["1", 1, "4", 4, "2024-11-20", "1.5", "0613", "v2_preview", "A" * MAX_VERSION_LENGTH]
# Not a version anything can use: empty, a sign, blanks, non-ASCII digits, a boolean, over the cap.
MALFORMED = [
    "",
    "-1",
    -1,
    " 1",
    "1 ",
    "4\n",
    "\u0661\u0662",
    "²",
    "1/2",
    True,
    "a" * (MAX_VERSION_LENGTH + 1),
    "x" * 10_000,
]


@pytest.mark.parametrize("version", WELL_FORMED, ids=repr)
def test_a_well_formed_version_is_never_called_not_a_model_version(version):
    found = declared(version)
    assert not any("not a model version" in p for p in found), found
    assert declared(version, kinds=("foundry",)) == [], "Foundry deploys any well-formed version of a new model"


@pytest.mark.parametrize("version", MALFORMED, ids=lambda v: repr(v)[:20])
def test_a_version_nothing_can_use_is_one_error_at_the_declaration(version):
    found = declared(version)
    at = [p for p in found if p.startswith("llama-on-azure:models[0].version:")]
    assert len(at) == 1, found
    assert "model version" in at[0] and str(MAX_VERSION_LENGTH) in at[0], at[0]


@pytest.mark.parametrize("version", ["0", 0, "2024-11-20", "1.5", "v2"], ids=repr)
def test_a_declared_version_managed_compute_cannot_deploy_is_an_error_not_a_traceback(version):
    # A registry version is the N of /versions/N: a whole number from 1. Foundry takes the same version as it is.
    found = declared(version)
    assert [p for p in found if p.startswith("llama-on-azure:models[0].version:")] == [
        f"llama-on-azure:models[0].version: {str(version)!r} is a model version, but managed compute deploys a "
        "registry version, a whole number from 1 (the N that ends the model's id, /versions/N): "
        "llama-on-azure:deployments[0] deploys it on managed compute"
    ], found
    assert declared(version, kinds=("foundry",)) == []


@pytest.mark.parametrize("version", ["0", "01234567", "1234567", 9_999_999])
def test_a_catalog_model_extended_with_any_digits_plans_or_errs_cleanly(version):
    found = problems(base(deployments=[managed()], models=[{"name": LLAMA33, "api": "chat", "version": version}]))
    assert all(p.startswith("llama-on-azure:") for p in found), found


@pytest.mark.parametrize(
    ("version", "managed_ok"),
    [("4", True), (4, True), ("9", True), (9, True), ("1234567", True), ("2024-11-20", False), ("0", False)],
    ids=repr,
)
def test_managed_and_foundry_judge_a_version_alike_quoted_or_not(version, managed_ok):
    on_managed = problems(base(deployments=[managed(modelVersion=version)]))
    on_foundry = problems(base(deployments=[foundry(LLAMA33, modelVersion=version)]))
    assert not any("not a model version" in p for p in on_managed + on_foundry), on_managed + on_foundry
    quoted = str(version)
    assert problems(base(deployments=[managed(modelVersion=quoted)])) == on_managed
    if not managed_ok:
        assert on_managed == [
            f"llama-on-azure:deployments[0].modelVersion: {version!r} is a model version, but managed compute deploys "
            "a registry version, a whole number from 1 (the N that ends the model's id, /versions/N)"
        ]
    # Foundry judges it against the versions the catalog lists for the model: "4" is one, the others are not.
    assert bool(on_foundry) == (quoted != "4"), on_foundry


@pytest.mark.parametrize("where", ["managed", "foundry", "weights"])
def test_a_version_over_the_cap_names_the_cap(where):
    long = "1" * (MAX_VERSION_LENGTH + 1)
    deployment = {
        "managed": managed(modelVersion=long),
        "foundry": foundry(modelVersion=long),
        "weights": managed(weights={"uri": "azureml://datastores/weights/paths/llama", "version": long}),
    }[where]
    (found,) = problems(base(deployments=[deployment]))
    assert f"{MAX_VERSION_LENGTH + 1} characters" in found and f"at most {MAX_VERSION_LENGTH}" in found, found


def test_a_version_with_a_fraction_written_as_a_yaml_number_says_to_quote_it():
    (found,) = problems(base(deployments=[foundry(modelVersion=1.10)]))
    assert found.startswith("llama-on-azure:deployments[0].modelVersion: 1.1 is a number") and "quote" in found


@pytest.mark.parametrize(
    ("value", "spelled"),
    [
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ({"on": True, "off": [None, 1.5]}, "{'on': true, 'off': [null, 1.5]}"),
        ("True", "'True'"),  # text stays quoted: it is not the boolean
        ("\u0435astus2", "'\u0435astus2' (that is '\\u0435astus2')"),  # a Cyrillic U+0435, not an e
    ],
)
def test_a_value_is_shown_as_the_stack_file_spells_it(value, spelled):
    assert shown(value) == spelled


def test_a_value_nested_a_thousand_deep_is_shown_cut():
    deep: list = []
    for _ in range(1000):
        deep = [deep]
    assert shown(deep).startswith("[[[[[[[[[...]]]]]]]]]")
