"""`llama-on-azure new-stack`: a stack file from a few answers, checked by the program's own config parser first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clients.errors import UserError
from infra.config.parse import config_from_engine
from infra.config.types import NAMESPACE
from infra.kinds import KINDS
from tools.stack_file import parse_stack_file
from tools.stacks import DEPLOY_KEY, checked


@dataclass(frozen=True)
class Answers:
    """What `new-stack` asks: a region and the deployments (kind and model, in pairs), the rest optional."""

    name: str
    region: str
    kinds: list[str]
    models: list[str]
    names: list[str] = field(default_factory=list)
    """Deployment names, in the order of the kinds; by default each kind's own name (`foundry`, `foundry-2`)."""
    vm_sku: str | None = None
    instance_count: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    deploy: bool = True
    protect: bool = False


def _takes(kind: str, key: str) -> bool:
    """Whether a kind's deployments have this key (an unknown kind has none: the config parser names it)."""
    fields = KINDS[kind].config.model_fields if kind in KINDS else {}
    return any((info.alias or name) == key for name, info in fields.items())


def _deployments(answers: Answers) -> list[dict[str, Any]]:
    if len(answers.kinds) != len(answers.models) or not answers.kinds:
        raise UserError(
            f"--kind and --model come in pairs, one pair per deployment: {len(answers.kinds)} --kind, "
            f"{len(answers.models)} --model"
        )
    if len(answers.names) > len(answers.kinds):
        raise UserError(f"--name: {len(answers.names)} names for {len(answers.kinds)} deployments")
    machines = [kind for kind in KINDS if _takes(kind, "vmSku")]
    if (answers.vm_sku or answers.instance_count) and not set(machines) & set(answers.kinds):
        raise UserError(f"--vm-sku and --instance-count: only for deployments of kind {' or '.join(machines)}")
    entries = []
    for i, (kind, model) in enumerate(zip(answers.kinds, answers.models, strict=True)):
        same_kind = answers.kinds[:i].count(kind)
        name = answers.names[i] if i < len(answers.names) else kind + (f"-{same_kind + 1}" if same_kind else "")
        entry: dict[str, Any] = {"name": name, "kind": kind, "model": model}
        if answers.vm_sku and _takes(kind, "vmSku"):
            entry["vmSku"] = answers.vm_sku
        if answers.instance_count and _takes(kind, "instanceCount"):
            entry["instanceCount"] = answers.instance_count
        entries.append(entry)
    return entries


def stack_text(answers: Answers) -> str:
    """The stack file, as `pulumi config set` would leave it (block YAML), with a line saying where it came from."""
    config: dict[str, Any] = {
        "azure-native:location": answers.region,
        f"{NAMESPACE}:region": answers.region,
        f"{NAMESPACE}:deployments": _deployments(answers),
    }
    if answers.tags:
        config[f"{NAMESPACE}:tags"] = answers.tags
    if answers.protect:
        config[f"{NAMESPACE}:protect"] = True
    if not answers.deploy:
        config[DEPLOY_KEY] = False
    header = (
        f"# Stack {answers.name}: written by `llama-on-azure new-stack`, checked by the program's config parser.\n"
        '# Every key: README, "Stack configuration"; the steps to a deployed environment: "Add an environment".\n'
    )
    return header + yaml.safe_dump({"config": config}, sort_keys=False, default_flow_style=False, width=200)


def write_stack(root: Path, answers: Answers) -> Path:
    """Check the stack file as `pulumi up` would read it and as the program validates it, then write it; never
    over an existing one."""
    name = checked(answers.name, "NAME")
    if "/" in name:
        raise UserError(f"NAME {name!r}: give the stack's own name, the <stack> of Pulumi.<stack>.yaml")
    path = root / f"Pulumi.{name}.yaml"
    if path.exists():
        raise UserError(f"{path.name} exists already: new-stack never overwrites a stack file; edit it instead")
    text = stack_text(answers)
    stack_file = parse_stack_file(text.encode(), path)
    config_from_engine(stack_file.values, set(stack_file.secret_keys), name)
    with path.open("x", encoding="utf-8") as handle:  # "x": still never over a file written meanwhile
        handle.write(text)
    return path


def next_steps(path: Path, name: str) -> str:
    return (
        f'wrote {path.name}; next (README, "Add an environment"):\n'
        f"  llama-on-azure plan --stack {name}\n"
        f"  pulumi stack init {name} --secrets-provider passphrase   # self-managed backend; on Pulumi Cloud "
        f"without the flag\n"
        f"  git add {path.name} && git commit   # with the encryptionsalt: stack init wrote\n"
    )
