"""The project's stacks: what a stack name may be, which stack files exist, which one a command works on."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from clients.errors import UserError
from infra.config.types import NAMESPACE
from tools.stack_file import StackFile, load_stack_file

_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}"
STACK_NAME = re.compile(rf"(?:{_PART}/){{0,2}}{_PART}")
"""A stack name as Pulumi allows it (letters, digits, `-`, `_`, `.`, at most 100), alone or as org/project/stack;
never something the pulumi CLI would read as a flag or a path."""
STACK_VARIABLE = "PULUMI_STACK"
"""The variable the Pulumi CLI reads for the stack when no --stack is given; every command here does the same."""
DEPLOY_KEY = f"{NAMESPACE}:deploy"
"""`false` in a stack file opts the stack out of the deploy workflow; plans and previews run for every stack."""


class StackError(UserError):
    """A stack that is not one of this project's (a bad name, no stack file): a message for the user."""


def find_project_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise StackError(f"no Pulumi.yaml in {start} or above: run from the llama-on-azure repository")


def discover(root: Path) -> list[str]:
    """Every stack of the project: one per committed `Pulumi.<stack>.yaml`, sorted."""
    files = (p for p in root.glob("Pulumi.*.yaml") if p.is_file())  # a folder of that name is no stack
    names = (p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in files)
    return sorted(n for n in names if STACK_NAME.fullmatch(n) and "/" not in n)


def checked(name: str, source: str = "--stack") -> str:
    if not STACK_NAME.fullmatch(name):
        raise StackError(
            f"{source} {name[:100]!r} is not a stack name: letters, digits, '-', '_' and '.', at most 100, "
            "alone or as org/project/stack"
        )
    return name


def short_name(name: str) -> str:
    """The stack part of org/project/stack: the `<stack>` of its `Pulumi.<stack>.yaml`."""
    return name.rsplit("/", 1)[-1]


def chosen(flag: str | None, environ: Mapping[str, str] = os.environ, root: Path | None = None) -> str:
    """The stack a command works on: --stack, else PULUMI_STACK (as the Pulumi CLI reads it); said on stderr
    when it came from the variable, so a shell's leftover setting is never a surprise."""
    if flag:
        return checked(flag)
    if environ.get(STACK_VARIABLE, "").strip():
        name = checked(environ[STACK_VARIABLE].strip(), STACK_VARIABLE)
        print(f"stack: {name} (from {STACK_VARIABLE})", file=sys.stderr)
        return name
    known = ", ".join(discover(root)) if root is not None else ""
    raise StackError(
        f"which stack? give --stack NAME or set {STACK_VARIABLE}" + (f"; stacks here: {known}" if known else "")
    )


def read_stack(root: Path, name: str, warn: bool = True) -> StackFile:
    """`Pulumi.<stack>.yaml` as the Pulumi CLI reads it; its warnings go to stderr as the CLI's do (`warn`), or
    are left to the caller (the plan shows them among its own)."""
    path = root / f"Pulumi.{short_name(checked(name))}.yaml"
    if not path.is_file():
        raise StackError(f"no stack file {path.name} in {root}; stacks here: {', '.join(discover(root)) or 'none'}")
    stack_file = load_stack_file(path)
    for warning in stack_file.warnings if warn else ():
        print(f"warning: {path.name}: {warning}", file=sys.stderr)
    return stack_file


def deploys(stack_file: StackFile) -> bool:
    """Whether the deploy workflow deploys this stack (DEPLOY_KEY, a boolean as Pulumi.yaml declares it)."""
    text = stack_file.values.get(DEPLOY_KEY, "")
    if text not in ("", "true", "false"):
        raise StackError(f"{stack_file.path.name}: {DEPLOY_KEY}: {text[:40]!r} is not allowed; true or false")
    return text != "false"


def listed(roots: list[Path], deployable: bool = False) -> list[str]:
    """The stacks of these project folders (a pull request's head and base), sorted; `deployable`: only those
    whose stack files do not opt out of deploys. Only the names are read unless `deployable` asks for more."""
    keep: dict[str, bool] = {}
    unreadable: list[str] = []
    for root in roots:
        if not (root / "Pulumi.yaml").is_file():
            raise StackError(f"{root}: no Pulumi.yaml here: give the folder of a llama-on-azure checkout")
        for name in discover(root):
            try:
                deploy = not deployable or deploys(load_stack_file(root / f"Pulumi.{name}.yaml"))
            except UserError as exc:  # every unreadable stack file is told at once, not the first one only
                unreadable.append(str(exc))
                continue
            keep[name] = keep.get(name, True) and deploy
    if unreadable:
        raise StackError("\n".join(unreadable))
    return sorted(name for name, deploy in keep.items() if deploy)
