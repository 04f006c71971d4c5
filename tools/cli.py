"""The `llama-on-azure` command line."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from clients.errors import UserError
from clients.identifiers import GUID
from infra.config.parse import config_from_engine
from tools import stacks
from tools.engine import PLACEHOLDER_SUBSCRIPTION, LlamaMocks, run_program
from tools.plan import Plan, render_json, render_markdown, render_text
from tools.policy_check import PolicyPackProcess, check_policies


def _plan(args: argparse.Namespace) -> int:
    if not GUID.fullmatch(args.subscription_id):
        raise UserError(f"--subscription-id {args.subscription_id!r} is not a GUID")
    root = stacks.find_project_root(Path.cwd())
    args.stack = stacks.short_name(stacks.chosen(args.stack, root=root))
    config = stacks.read_stack(root, args.stack).engine_config()
    # The pack's process starts now and imports while the program runs (two cores, two processes).
    pack = None if args.skip_policies else PolicyPackProcess(args.stack)
    try:
        result = run_program(
            args.stack, config, preview=True, mock=LlamaMocks(preview=True, subscription_id=args.subscription_id)
        )
        if result.error:
            raise UserError(result.error)
        policy_config = args.policy_config
        if policy_config is None and (root / "policy" / "config" / f"{args.stack}.json").is_file():
            policy_config = root / "policy" / "config" / f"{args.stack}.json"
        violations = None if pack is None else check_policies(result, policy_config, process=pack)
    finally:
        if pack is not None:
            pack.close()
    plan = Plan(result, args.subscription_id, violations, policy_config)
    render = {"json": render_json, "markdown": render_markdown, "text": render_text}[args.format]
    print(render(plan), end="" if args.format != "json" else "\n")
    return 1 if plan.mandatory else 0


def _load_config(args: argparse.Namespace):
    root = stacks.find_project_root(Path.cwd())
    args.stack = stacks.chosen(args.stack, root=root)
    stack_file = stacks.read_stack(root, args.stack)
    return config_from_engine(stack_file.values, set(stack_file.secret_keys), stacks.short_name(args.stack))


PREFLIGHT_SECONDS = 300
"""One deadline for every request preflight makes: retries, pages and the registry included."""


def _arm_client(credential, seconds: float):
    from clients.arm import ArmClient
    from clients.credential import credential_from_env

    return ArmClient(credential or credential_from_env(), deadline=seconds)


def _preflight(args: argparse.Namespace, credential=None) -> int:
    from clients.credential import subscription_from_env
    from infra.config.parse import today_utc
    from tools.preflight import FAIL, Preflight, render_table

    subscription = subscription_from_env(args.subscription_id)
    config = _load_config(args)
    client = _arm_client(credential, PREFLIGHT_SECONDS)
    checks = Preflight(config, client, subscription, args.stack, today_utc()).run()
    failed = any(c.status == FAIL for c in checks)
    if args.format == "json":
        payload = {"stack": args.stack, "subscription": subscription, "ok": not failed}
        print(json.dumps({**payload, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        print(render_table(checks), end="")
    return 1 if failed else 0


def _purge(args: argparse.Namespace, credential=None) -> int:
    from clients.credential import subscription_from_env
    from tools.purge import PURGE_SECONDS, Purge, run_purge

    subscription = subscription_from_env(args.subscription_id)
    config = _load_config(args)
    purge = Purge(config, _arm_client(credential, PURGE_SECONDS), subscription, args.stack)
    return run_purge(purge, args.yes, sys.stdin, sys.stdout)


def _smoke(args: argparse.Namespace, credential=None) -> int:
    from tools.smoke import Client, load_outputs, parse_timeout, redactor_for, render_table, run_smoke

    timeout = parse_timeout(args.timeout)
    stack = None if args.outputs is not None else stacks.chosen(args.stack)
    outputs = load_outputs(stack, args.outputs)
    redact = redactor_for(outputs)  # knows every key before anything from the outputs reaches a message
    client = Client(timeout, allow_http_loopback=args.allow_http_loopback)
    try:
        results = run_smoke(outputs, client, None if credential is None else lambda: credential, redact)
    except UserError as exc:
        raise UserError(redact(str(exc))) from None
    failed = any(r.status == "fail" for r in results)
    if args.format == "json":
        text = json.dumps(redact.value({"ok": not failed, "results": [asdict(r) for r in results]}), indent=2) + "\n"
    else:
        text = render_table(results)
    print(redact(text), end="")
    return 1 if failed else 0


def _env(args: argparse.Namespace, credential=None) -> int:
    from tools.env import EnvError, build_env, render
    from tools.files import write_private
    from tools.smoke import load_outputs, redactor_for

    stack = None if args.outputs is not None else stacks.chosen(args.stack)
    outputs = load_outputs(stack, args.outputs)
    redact = redactor_for(outputs)  # knows every key before anything from the outputs reaches a message
    try:
        text = render(build_env(outputs, args.show_secrets, stack), args.format)
    except UserError as exc:
        raise UserError(redact(str(exc))) from None
    if not args.show_secrets:
        text = redact(text)  # a key never leaves without --show-secrets, whatever field it hides in
    if args.output is None:
        print(text, end="")
        return 0
    write_private(args.output, text, EnvError, "--output")
    print(f"wrote {args.output} (mode 0600)", file=sys.stderr)
    return 0


STACK_HELP = "stack name: reads Pulumi.<stack>.yaml (default: $PULUMI_STACK, as the Pulumi CLI)"


class _Parser(argparse.ArgumentParser):
    """A wrong flag is a user's mistake like any other: one `error:` line and exit 1 (not argparse's usage and 2)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message} (see {self.prog} --help)")


def _plan_parser(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="offline plan of a stack: run the program under Pulumi's mock engine, print what it would create",
    )
    plan.add_argument("--stack", help=STACK_HELP)
    plan.add_argument(
        "--subscription-id",
        default=PLACEHOLDER_SUBSCRIPTION,
        help="compute globally unique names for this Azure subscription (default: a placeholder)",
    )
    plan.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="text for a terminal, markdown for a pull-request comment, json for tools",
    )
    plan.add_argument(
        "--policy-config",
        type=Path,
        default=None,
        help="policy pack config (as pulumi --policy-pack-config); default: policy/config/<stack>.json if present",
    )
    plan.add_argument("--skip-policies", action="store_true", help="do not run the policy pack")
    plan.set_defaults(func=lambda a, _credential: _plan(a))


def _azure_parsers(commands: Any) -> None:
    preflight = commands.add_parser(
        "preflight",
        help="check with Azure, before pulumi up: offers, models, quota, permissions, names a destroy left blocked",
    )
    preflight.add_argument("--stack", help=STACK_HELP)
    preflight.add_argument(
        "--subscription-id", default=None, help="default: ARM_SUBSCRIPTION_ID, then AZURE_SUBSCRIPTION_ID"
    )
    preflight.add_argument("--format", choices=("text", "json"), default="text")
    preflight.set_defaults(func=_preflight)

    purge = commands.add_parser(
        "purge", help="after pulumi destroy: purge the stack's soft-deleted key vault and Foundry resource (asks first)"
    )
    purge.add_argument("--stack", help=STACK_HELP)
    purge.add_argument(
        "--subscription-id", default=None, help="default: ARM_SUBSCRIPTION_ID, then AZURE_SUBSCRIPTION_ID"
    )
    purge.add_argument("--yes", action="store_true", help="purge without asking (CI); otherwise asks on a terminal")
    purge.set_defaults(func=_purge)


def _smoke_parser(commands: Any) -> None:
    smoke = commands.add_parser(
        "smoke", help="after pulumi up: call every endpoint plain and streaming, check the answers; keys never printed"
    )
    source = smoke.add_mutually_exclusive_group()
    source.add_argument(
        "--stack", help="read the outputs with `pulumi stack output --json --show-secrets` (default: $PULUMI_STACK)"
    )
    source.add_argument("--outputs", type=Path, help="a file holding that JSON")
    smoke.add_argument(
        "--timeout", default="120", help="seconds per call, everything included: connect, answer, stream, retries"
    )
    smoke.add_argument("--format", choices=("text", "json"), default="text")
    smoke.add_argument(
        "--allow-http-loopback",
        action="store_true",
        help="for tests against a local server: allow plain http to 127.0.0.1/::1/localhost (never elsewhere)",
    )
    smoke.set_defaults(func=_smoke)


def _env_parser(commands: Any) -> None:
    env = commands.add_parser(
        "env",
        help="after pulumi up: per endpoint, the OpenAI SDK's base URL, the model to send and the auth, as variables",
    )
    source = env.add_mutually_exclusive_group()
    source.add_argument(
        "--stack", help="read the outputs with `pulumi stack output --json --show-secrets` (default: $PULUMI_STACK)"
    )
    source.add_argument("--outputs", type=Path, help="a file holding that JSON")
    env.add_argument("--format", choices=("dotenv", "shell", "json"), default="dotenv")
    env.add_argument("--show-secrets", action="store_true", help="print the endpoint keys (else a Key Vault reference)")
    env.add_argument("--output", type=Path, help="write to this file (created 0600, never through a symbolic link)")
    env.set_defaults(func=_env)


def main(argv: list[str] | None = None, credential=None) -> int:
    """Parse and run one command; `credential` replaces the Azure sign-in (tests)."""
    parser = _Parser(prog="llama-on-azure", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_plan_parser, _azure_parsers, _smoke_parser, _env_parser):
        add(commands)
    try:
        args = parser.parse_args(argv)
        return args.func(args, credential)
    except UserError as exc:
        # A user's mistake: one clear message, never a traceback (those are for bugs).
        print(f"error: {exc}", file=sys.stderr)
        return 1


def console() -> None:
    """The `llama-on-azure` command. A plan makes about a million short-lived objects inside the Pulumi SDK:
    the cyclic collector would walk them several times while they are alive and once more at exit, a third of
    the run. The process is short-lived, so collection is off and it exits without tearing its heap down."""
    gc.disable()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
