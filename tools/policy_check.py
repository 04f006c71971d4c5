"""Run the CrossGuard pack as the Pulumi CLI does: its own process, the analyzer gRPC protocol."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from infra.config import NAMESPACE
from infra.errors import UserError
from tools.engine import PROJECT_ROOT, UNKNOWN, Registration, RunResult

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
        if set(value) == {"secret"}:
            return {rpc._special_sig_key: rpc._special_secret_sig, "value": _wire(value["secret"])}
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return rpc.UNKNOWN if value == UNKNOWN else value


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_wire(values))
    return struct


def read_policy_config(path: Path | None, policy_names: set[str]) -> dict[str, proto.PolicyConfig]:
    """A `--policy-pack-config` file, checked and turned into what the CLI sends to Configure."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PolicyError(f"policy config {path}: {exc}") from None
    configs: dict[str, proto.PolicyConfig] = {}
    entries = dict(data)
    everyone = entries.pop("all", None)
    if everyone is not None:
        entries = {name: everyone for name in policy_names} | entries
    for name, entry in entries.items():
        if name not in policy_names:
            raise PolicyError(
                f"policy config {path}: no policy named {name!r}; policies: {', '.join(sorted(policy_names))}"
            )
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        level = entry.pop("enforcementLevel", None)
        config = proto.PolicyConfig(properties=_struct(entry))
        if level is not None:
            if level not in LEVELS:
                raise PolicyError(
                    f"policy config {path}: {name}: enforcementLevel {level!r}; allowed: {', '.join(LEVELS)}"
                )
            config.enforcementLevel = LEVELS[level]
        configs[name] = config
    return configs


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

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """The analyzer client, once the pack printed its port: the pack starts while the caller works."""
        if self._stub is None:
            line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
            if not line.isdigit():
                self.close()
                raise PolicyError(f"the policy pack did not start: {line or ''}{self._stderr()}")
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
        stub.Configure(
            proto.ConfigureAnalyzerRequest(
                policyConfig=read_policy_config(config_path, {p.name for p in info.policies})
            )
        )
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
