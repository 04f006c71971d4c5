"""Run the CrossGuard pack as the Pulumi CLI does: its own process, the analyzer gRPC protocol."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from clients import json_input
from clients.errors import UserError
from infra.config.types import NAMESPACE, choices
from infra.sdk_internals import SECRET_SIG, SECRET_SIG_KEY
from tools.engine import PROJECT_ROOT, Registration, RunResult, is_secret
from tools.files import read_capped
from tools.render import UNKNOWN

POLICY_PACK = PROJECT_ROOT / "policy"
LEVELS = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY, "disabled": proto.DISABLED}
PREVIEW_SKIP = "can't run policy"


class PolicyError(UserError):
    """The pack could not run or its configuration is wrong: a message for the user."""


@dataclass
class Violation:
    policy: str
    level: str
    """mandatory, advisory, or not-evaluated (a value the policy needs is only known after apply)."""
    resource: str
    type: str
    message: str


def _wire(value: Any) -> Any:
    """Recorded values back to what the engine sends: secrets signed, unknowns as the sentinel."""
    if isinstance(value, dict):
        if is_secret(value):
            return {SECRET_SIG_KEY: SECRET_SIG, "value": _wire(value["secret"])}
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return rpc.UNKNOWN if value == UNKNOWN else value


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_wire(values))
    return struct


MAX_POLICY_CONFIG_BYTES = 1 << 20
_LEVEL_HELP = f"a level ({', '.join(LEVELS)}) or an object with enforcementLevel and the policy's settings"


def _config_data(path: Path) -> dict[str, Any]:
    raw = read_capped(path, MAX_POLICY_CONFIG_BYTES, PolicyError, "policy config")
    try:
        data = json_input.loads(raw)
    except json_input.NotJson as exc:
        raise PolicyError(f"policy config {path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PolicyError(
            f"policy config {path}: must be a JSON object of policy name to settings, not {_json_type(data)}"
        )
    return data


def _schemas(policies: Iterable[Any]) -> dict[str, dict[str, Any] | None]:
    """Policy name -> its config schema as a dict (None: no schema, no settings); names alone: not checked."""
    found: dict[str, dict[str, Any] | None] = {}
    for policy in policies:
        if isinstance(policy, str):
            found[policy] = {"open": True}
        else:
            found[policy.name] = (
                json_format.MessageToDict(policy.configSchema) if policy.HasField("configSchema") else None
            )
    return found


def read_policy_config(path: Path | None, policies: Iterable[Any]) -> dict[str, proto.PolicyConfig]:
    """A `--policy-pack-config` file, checked against each policy's config schema (from GetAnalyzerInfo, or
    just names), and turned into what the CLI sends to Configure; every problem at once, as one PolicyError."""
    if path is None:
        return {}
    schemas = _schemas(policies)
    entries = dict(_config_data(path))
    everyone = entries.pop("all", None)
    if everyone is not None:
        entries = {name: everyone for name in schemas} | entries
    configs: dict[str, proto.PolicyConfig] = {}
    problems: list[str] = []
    for name, entry in entries.items():
        if name not in schemas:
            problems.append(f"no policy named {name!r}; policies: {', '.join(sorted(schemas))}")
            continue
        found = _entry_problems(name, entry, schemas[name])
        problems += found
        if not found:
            configs[name] = _policy_config(entry)
    if problems:
        raise PolicyError(
            f"policy config {path}: " + problems[0]
            if len(problems) == 1
            else f"policy config {path} has {len(problems)} problems:\n  " + "\n  ".join(problems)
        )
    return configs


def _policy_config(entry: Any) -> proto.PolicyConfig:
    entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
    level = entry.pop("enforcementLevel", None)
    config = proto.PolicyConfig(properties=_struct(entry))
    if level is not None:
        config.enforcementLevel = LEVELS[level]
    return config


def _entry_problems(name: str, entry: Any, schema: dict[str, Any] | None) -> list[str]:
    if isinstance(entry, str):
        entry = {"enforcementLevel": entry}
    if not isinstance(entry, dict):
        return [f"{name}: {_show(entry)} is not allowed; {_LEVEL_HELP}"]
    problems = []
    level = entry.get("enforcementLevel")
    if "enforcementLevel" in entry and level not in LEVELS:
        problems.append(f"{name}: enforcementLevel {_show(level)} is not allowed; {choices(LEVELS, level, 'one of')}")
    settings = {k: v for k, v in entry.items() if k != "enforcementLevel"}
    if schema is not None and schema.get("open"):
        return problems
    properties = (schema or {}).get("properties") or {}
    for key, value in settings.items():
        if key not in properties:
            takes = f"it takes {', '.join(sorted(properties))}" if properties else "it takes no settings"
            problems.append(f"{name}.{key}: unknown setting; {takes} (and enforcementLevel)")
        else:
            problems += _value_problems(f"{name}.{key}", value, properties[key])
    missing = [
        k for k in (schema or {}).get("required") or [] if k not in settings and "default" not in properties.get(k, {})
    ]
    problems += [f"{name}.{key}: required setting is missing" for key in missing]
    return problems


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _inferred(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema without `items`/`properties` takes its shape from its default (all the pack's schemas give one)."""
    default = schema.get("default")
    if schema.get("type") == "array" and "items" not in schema and isinstance(default, list) and default:
        kinds = {_json_type(v) for v in default}
        if len(kinds) == 1:
            return {**schema, "items": {"type": kinds.pop()}}
    if schema.get("type") == "object" and "properties" not in schema and isinstance(default, dict) and default:
        properties = {k: {"type": _json_type(v)} for k, v in default.items()}
        return {**schema, "properties": properties, "additionalProperties": False}
    return schema


def _value_problems(where: str, value: Any, schema: dict[str, Any]) -> list[str]:
    """JSON schema's usual keywords: type, enum, bounds, lengths, pattern, items, properties."""
    schema = _inferred(schema)
    expected = schema.get("type")
    types = expected if isinstance(expected, list) else [expected] if expected else []
    actual = _json_type(value)
    if types and actual not in types and not (actual == "integer" and "number" in types):
        return [f"{where}: {_show(value)} is not allowed; expected {' or '.join(types)}"]
    if "enum" in schema and not any(_json_type(value) == _json_type(v) and value == v for v in schema["enum"]):
        same = [
            v for v in schema["enum"] if isinstance(v, str) and isinstance(value, str) and v.lower() == value.lower()
        ]
        offered = (
            f"case matters: did you mean {_show(same[0])}?"
            if same
            else f"one of {', '.join(map(_show, schema['enum']))}"
        )
        return [f"{where}: {_show(value)} is not allowed; {offered}"]
    problems = _bound_problems(where, value, schema)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += _value_problems(f"{where}[{i}]", item, schema["items"])
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, item in value.items():
            if key in properties:
                problems += _value_problems(f"{where}.{key}", item, properties[key])
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}.{key}: unknown key; allowed: {', '.join(sorted(properties))}")
    return problems


def _bound_problems(where: str, value: Any, schema: dict[str, Any]) -> list[str]:
    checks: list[tuple[str, Callable[[Any, Any], bool], Callable[[Any], Any], str]] = [
        ("minimum", lambda v, b: v >= b, lambda v: v, "at least"),
        ("maximum", lambda v, b: v <= b, lambda v: v, "at most"),
        ("exclusiveMinimum", lambda v, b: v > b, lambda v: v, "more than"),
        ("exclusiveMaximum", lambda v, b: v < b, lambda v: v, "less than"),
        ("minLength", lambda v, b: v >= b, len, "a length of at least"),
        ("maxLength", lambda v, b: v <= b, len, "a length of at most"),
        ("minItems", lambda v, b: v >= b, len, "at least this many items:"),
        ("maxItems", lambda v, b: v <= b, len, "at most this many items:"),
    ]
    numbers, sized = (int, float), (str, list)
    problems = []
    for keyword, ok, measure, words in checks:
        applies = (
            isinstance(value, sized)
            if keyword.endswith(("Length", "Items"))
            else (isinstance(value, numbers) and not isinstance(value, bool))
        )
        if keyword in schema and applies and not ok(measure(value), schema[keyword]):
            problems.append(f"{where}: {_show(value)} is not allowed; {words} {_show(schema[keyword])}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {_show(value)} is not allowed; it must match {schema['pattern']}")
    if isinstance(value, str) and schema.get("format") == "regex":
        try:
            re.compile(value)
        except re.error as err:
            problems.append(f"{where}: {_show(value)} is not a regular expression ({err})")
    return problems


def _options(reg: Registration) -> proto.AnalyzerResourceOptions:
    return proto.AnalyzerResourceOptions(protect=reg.protect, parent=reg.parent)


class PolicyPackProcess:
    """`python -m pulumi.policy <engine> <pack>`, as the CLI's analyzer plugin starts it; reads the port it prints."""

    def __init__(self, stack: str, pack: Path = POLICY_PACK) -> None:
        env = {**os.environ, "PULUMI_PROJECT": NAMESPACE, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true"}
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack)],
            cwd=pack,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.channel: grpc.Channel | None = None
        self.port: int | None = None

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """The analyzer client, once the pack printed its port: the pack starts while the caller works."""
        if self._stub is None:
            line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
            if not line.isdigit():
                self.close()
                raise PolicyError(f"the policy pack did not start: {line or ''}{self._stderr()}")
            self.port = int(line)
            self.channel = grpc.insecure_channel(f"127.0.0.1:{line}")
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        return self._stub

    def _stderr(self) -> str:
        try:
            _, err = self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            return ""
        return f"\n{err.strip()}" if err else ""

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> PolicyPackProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _violations(response: proto.AnalyzeResponse, types: dict[str, tuple[str, str]], subject: str) -> list[Violation]:
    found = []
    for d in response.diagnostics:
        # As the engine does: a diagnostic without a URN belongs to the resource being analyzed.
        urn = d.urn or subject
        name, type_ = types.get(urn, (urn.rsplit("::", 1)[-1], "pulumi:pulumi:Stack"))
        level = (
            "not-evaluated"
            if d.message.startswith(PREVIEW_SKIP)
            else proto.EnforcementLevel.Name(d.enforcementLevel).lower()
        )
        message = d.message.removeprefix(d.description).strip() or d.message
        found.append(Violation(d.policyName, level, name, type_, message))
    return found


def check_policies(
    result: RunResult, config_path: Path | None, pack: Path = POLICY_PACK, process: PolicyPackProcess | None = None
) -> list[Violation]:
    """Every resource the program registered, then the stack, through the pack (started here or by the caller)."""
    with process or PolicyPackProcess(result.stack, pack) as pack_process:
        stub = pack_process.stub
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        stub.Configure(proto.ConfigureAnalyzerRequest(policyConfig=read_policy_config(config_path, info.policies)))
        types = {r.urn: (r.name, r.type) for r in result.registrations}
        found: list[Violation] = []
        for reg in result.registrations:
            response = stub.Analyze(
                proto.AnalyzeRequest(
                    type=reg.type, properties=_struct(reg.inputs), urn=reg.urn, name=reg.name, options=_options(reg)
                )
            )
            found += _violations(response, types, reg.urn)
        stack_urn = f"urn:pulumi:{result.stack}::{NAMESPACE}::pulumi:pulumi:Stack::{NAMESPACE}-{result.stack}"
        resources = [
            proto.AnalyzerResource(
                type=r.type,
                properties=_struct(r.inputs),
                urn=r.urn,
                name=r.name,
                options=_options(r),
                parent=r.parent or stack_urn,
                dependencies=r.dependencies,
                propertyDependencies={
                    key: proto.AnalyzerPropertyDependencies(urns=urns) for key, urns in r.property_dependencies.items()
                },
            )
            for r in result.registrations
        ]
        resources.append(
            proto.AnalyzerResource(
                type="pulumi:pulumi:Stack",
                properties=_struct(result.exports),
                urn=stack_urn,
                name=f"{NAMESPACE}-{result.stack}",
            )
        )
        found += _violations(stub.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources)), types, stack_urn)
    return found
