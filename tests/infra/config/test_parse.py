"""Fuzzing, bounded: any stack document gives a validated config or a UserError, never another exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.errors import UserError
from infra.config.model import StackConfig
from infra.config.parse import config_from_engine
from infra.config.types import ConfigError
from infra.kinds import KINDS
from tests.support.stacks import ROOT
from tools.stack_file import StackFileError, parse_stack_file

NAME = Path("Pulumi.fuzz.yaml")
# Small example counts and no per-example deadline: the suite stays a few seconds, never flaky on a slow runner.
BOUNDED = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TOP_KEYS = [f.alias or n for n, f in StackConfig.model_fields.items()]
FIELDS = sorted({f.alias or n for kind in KINDS.values() for n, f in kind.config.model_fields.items()})
TRICKY = [
    "yes", "no", "on", "off", "True", "FALSE", "~", "null", "", "012", "0x1F", "0o17", "0b101", "1e3", "-0.0",
    "1_000", "08", "99999999999999999999", ".inf", "-.Inf", ".nan", "2026-01-01", "2026-13-45", "2026-01-01T10:00:00Z",
    "!!binary aGVsbG8=", "!!binary ???", "!!str 012", "!!int x", "!!float 1", "!custom v", "'quoted'", '"a\\tb"',
    "<<", "{}", "[]", "{secure: v1:abc}", "[1, yes, ~]", "!!set {a, b}", "{1: a, true: b}", "eastus2", "East US 2",
    "Llama-3.3-70B-Instruct", "Llama-4-Maverick-17B-128E-Instruct-FP8", "serverless", "managed", "foundry",
    "GlobalStandard", "Standard_NC24ads_A100_v4", "default", "-1", "0", "1", "1000000", "a" * 80,
]  # fmt: skip
MODELS = ["Llama-3.3-70B-Instruct", "Llama-4-Maverick-17B-128E-Instruct-FP8", "Meta-Llama-3-8B-Instruct", "gpt-4"]

plain = st.sampled_from(TRICKY) | st.integers(-(2**70), 2**70).map(str) | st.floats().map(repr)
quoted = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12).map(json.dumps)
scalar = plain | quoted


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return value


values = st.recursive(
    scalar,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS + TRICKY[:12]), inner, max_size=5)
    ),
    max_leaves=12,
)
deployment = st.fixed_dictionaries(
    {"name": st.sampled_from(["chat", "x", "Bad Name", "a" * 40, "012"]), "kind": st.sampled_from([*KINDS, "vm"])},
    optional={
        "model": st.sampled_from(MODELS) | scalar,
        **{field: scalar | values for field in FIELDS if field not in ("name", "kind", "model")},
    },
)


@st.composite
def stack_documents(draw) -> str:
    """A stack file: the dev stack's keys, some replaced, removed or added, written in block or flow style."""
    dev = (ROOT / "Pulumi.dev.yaml").read_text().split("\n")
    lines = [line for line in dev if line.strip() and not line.lstrip().startswith("#")]
    everything = [True] * len(lines)
    kept = draw(st.just(everything) | st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    text = "\n".join(line for line, keep in zip(lines, kept, strict=True) if keep or line == "config:") + "\n"
    if not text.startswith("config:"):
        text = "config:\n" + text
    extra = draw(st.dictionaries(st.sampled_from([*TOP_KEYS, "regoin", "llama-on-azur:protect"]), values, max_size=4))
    for key, value in extra.items():
        full = key if ":" in key else draw(st.sampled_from([f"llama-on-azure:{key}", key]))
        text += f"  {full}: {_flow(value)}\n"
    if draw(st.booleans()):
        deployments = draw(st.lists(deployment, min_size=0, max_size=3))
        text += f"  llama-on-azure:deployments: {_flow([{k: v for k, v in d.items()} for d in deployments])}\n"
    return text


def _outcome(data: bytes) -> str:
    """What the plan does with a document: refuse it (UserError) or validate it; any other exception fails."""
    try:
        stack = parse_stack_file(data, NAME)
    except StackFileError as exc:
        assert str(exc).startswith(NAME.name), exc
        return "refused"
    try:
        config_from_engine(stack.values, set(stack.secret_keys), "dev")
    except UserError as exc:
        problems = getattr(exc, "problems", [str(exc)])
        assert problems and all(p.strip() for p in problems), f"an empty error line: {exc!r}"
        return "invalid"
    return "valid"


@BOUNDED
@given(stack_documents())
def test_any_stack_document_is_a_config_or_a_user_error(document):
    _outcome(document.encode())


@BOUNDED
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_are_read_or_refused(data):
    _outcome(b"config:\n  " + data)
    _outcome(data)


@BOUNDED
@given(
    st.lists(
        st.sampled_from(["config:", "  a:", "    - &x", "    - *x", "  <<: *x", "\t", ":", "- ", "{", "["]), max_size=12
    )
)
def test_any_structure_of_yaml_tokens_is_read_or_refused(tokens):
    _outcome("\n".join(tokens).encode())


VERSIONS = ["0", "1", "4", "-1", "01", "1.5", "2024-11-20", "1e3", "0x1F", "\u0661", "²", "a" * 65, "9" * 7, "v_2"]
declared_models = st.fixed_dictionaries(
    {"name": st.sampled_from(["Llama-X-1", *MODELS[:2], "llama-x-1"]), "api": st.sampled_from(["chat", "completions"])},
    optional={
        "version": st.sampled_from(VERSIONS).map(json.dumps) | plain,
        "regions": st.just("[eastus2]") | scalar,
        "allowedVmSkus": st.just("[Standard_NC96ads_A100_v4]") | values,
        "deploymentTypes": st.just("[GlobalStandard, Standard]") | values,
        "parametersB": plain,
        "marketplace": plain,
        "format": scalar,
    },
)


@BOUNDED
@given(
    models=st.lists(declared_models, min_size=1, max_size=2),
    kinds=st.lists(st.sampled_from(list(KINDS)), min_size=1, max_size=3),
    pin=st.none() | st.sampled_from(VERSIONS).map(json.dumps) | plain,
)
def test_any_declared_model_deployed_any_way_is_a_config_or_a_user_error(models, kinds, pin):
    deployments = [
        {"name": f"d{i}x", "kind": kind, "model": models[i % len(models)]["name"]}
        | ({"vmSku": "Standard_NC96ads_A100_v4"} if kind == "managed" else {})
        | ({"modelVersion": pin} if pin is not None and kind != "serverless" else {})
        for i, kind in enumerate(kinds)
    ]
    text = "config:\n  llama-on-azure:region: eastus2\n"
    text += f"  llama-on-azure:models: {_flow(models)}\n  llama-on-azure:deployments: {_flow(deployments)}\n"
    _outcome(text.encode())


def test_the_fuzzing_reaches_every_outcome():
    # The suite above means something only if its documents are sometimes valid, invalid and refused.
    seen: set[str] = set()

    @settings(max_examples=120, deadline=None, database=None, derandomize=True)
    @given(stack_documents())
    def collect(document):
        seen.add(_outcome(document.encode()))

    collect()
    assert seen == {"valid", "invalid", "refused"}


DEV_CONFIG = (
    "config:\n  llama-on-azure:region: eastus2\n"
    "  llama-on-azure:deployments: [{name: chat, kind: serverless, model: Llama-3.3-70B-Instruct}]\n"
)
NOT_SET_BY_DEFAULT = {"environment", "nameSuffix"}
"""Keys whose Pulumi.yaml default is "" (they have no value unless set): the engine's "" is their default."""


@pytest.mark.parametrize("key", TOP_KEYS)
def test_a_key_present_without_a_value_is_a_config_error_naming_it(key):
    # `llama-on-azure:<key>:` alone: Pulumi hands the program an empty string for it.
    lines = [line for line in DEV_CONFIG.splitlines() if not line.startswith(f"  llama-on-azure:{key}:")]
    stack = parse_stack_file(("\n".join(lines) + f"\n  llama-on-azure:{key}:\n").encode(), NAME)
    if key in NOT_SET_BY_DEFAULT:
        config_from_engine(stack.values, set(stack.secret_keys), "dev")  # "" is what Pulumi.yaml declares for them
        return
    with pytest.raises(ConfigError) as caught:
        config_from_engine(stack.values, set(stack.secret_keys), "dev")
    assert caught.value.problems and all(p.strip() for p in caught.value.problems), caught.value.problems
    (line,) = caught.value.problems
    assert line.startswith(f"llama-on-azure:{key}: has no value"), line
    assert str(caught.value).endswith(line)
