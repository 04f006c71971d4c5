"""The `llama-on-azure` command line."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import json
import os
import sys
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

from clients.errors import UserError
from clients.identifiers import GUID
from clients.status import Status
from tools import stacks
from tools.stack_file import StackFile

# The program, the plan and the policy pack's client are imported by the commands that use them: `stacks`,
# `diff` and `new-stack` start in a fraction of the time (CI's matrix jobs run `stacks` first).
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
"""tools.engine's, without importing the engine for a default (a test checks they are one)."""


def _plan(args: argparse.Namespace) -> int:
    from tools import policy_check

    if not GUID.fullmatch(args.subscription_id):
        raise UserError(f"--subscription-id {args.subscription_id!r} is not a GUID")
    root = stacks.find_project_root(Path.cwd())
    args.stack = stacks.short_name(stacks.chosen(args.stack, root=root))
    stack_file = stacks.read_stack(root, args.stack, warn=False)
    config = stack_file.engine_config()
    # The pack's process starts now and imports while this one imports and runs the program (two cores).
    pack = None if args.skip_policies else policy_check.PolicyPackProcess(args.stack)
    from tools.engine import LlamaMocks, run_program
    from tools.plan import Plan, render_json, render_markdown, render_text

    try:
        result = run_program(
            args.stack, config, preview=True, mock=LlamaMocks(preview=True, subscription_id=args.subscription_id)
        )
        if result.error:
            raise UserError(result.error + _esc_hint(stack_file))
        policy_config = args.policy_config
        if policy_config is None and (root / "policy" / "config" / f"{args.stack}.json").is_file():
            policy_config = root / "policy" / "config" / f"{args.stack}.json"
        violations = None if pack is None else policy_check.check_policies(result, policy_config, process=pack)
    finally:
        if pack is not None:
            pack.close()
    cost = _plan_cost(stack_file, args.stack)
    plan = Plan(result, args.subscription_id, violations, policy_config, notes=stack_file.warnings, cost=cost)
    render = {"json": render_json, "markdown": render_markdown, "text": render_text}[args.format]
    print(render(plan), end="" if args.format != "json" else "\n")
    return 1 if plan.mandatory else 0


def _esc_hint(stack_file: StackFile) -> str:
    if not stack_file.environments:
        return ""
    return (
        f"\n  note: {stack_file.path.name} imports Pulumi ESC {', '.join(stack_file.environments)}, which the offline "
        "plan cannot open: a key missing here may come from there (`pulumi preview` opens it)"
    )


def _diff(args: argparse.Namespace) -> int:
    from tools import diff

    compared = diff.compare(diff.load_plan(args.old), diff.load_plan(args.new))
    print(diff.RENDERERS[args.format](compared), end="")
    return 0


def _new_stack(args: argparse.Namespace) -> int:
    from tools.new_stack import Answers, next_steps, write_stack

    bad = [tag for tag in args.tag if "=" not in tag or not tag.split("=", 1)[0]]
    if bad:
        raise UserError(f"--tag {bad[0][:60]!r}: give KEY=VALUE")
    tags = dict(tag.split("=", 1) for tag in args.tag)
    answers = Answers(
        args.name, args.region, args.kind, args.model, args.deployment_name, args.vm_sku, args.instance_count,
        tags, deploy=not args.no_deploy, protect=args.protect,
    )  # fmt: skip
    path = write_stack(stacks.find_project_root(Path.cwd()), answers)
    print(next_steps(path, args.name), end="")
    return 0


def _stacks(args: argparse.Namespace) -> int:
    roots = args.folders or [stacks.find_project_root(Path.cwd())]
    names = stacks.listed([Path(folder) for folder in roots], deployable=args.deployable)
    print(json.dumps(names) if args.format == "json" else "\n".join(names))
    return 0


def _plan_cost(stack_file: Any, stack: str) -> dict[str, Any]:
    """The plan's `cost` object, from the stack file the program just ran on (valid, or the run failed)."""
    from infra.config.parse import config_from_engine
    from tools.cost import plan_cost

    return plan_cost(config_from_engine(stack_file.values, set(stack_file.secret_keys), stack))


def _load_config(args: argparse.Namespace):
    from infra.config.parse import config_from_engine

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
    from tools.preflight import Preflight, check_json, not_allowed, ready, render_table

    subscription = subscription_from_env(args.subscription_id)
    config = _load_config(args)
    client = _arm_client(credential, PREFLIGHT_SECONDS)
    prices = lambda currency: _live_prices(currency, COST_SECONDS)  # noqa: E731 - built only when asked
    checks = Preflight(config, client, subscription, args.stack, today_utc(), prices).run()
    if args.format == "json":
        payload = {"stack": args.stack, "subscription": subscription, "ok": ready(checks)}
        payload |= {"notAllowed": not_allowed(checks), "checks": [check_json(c) for c in checks]}
        print(json.dumps(payload, indent=2))
    else:
        print(render_table(checks), end="")
    return 0 if ready(checks) else 1


COST_SECONDS = 60
"""One deadline for the Retail Prices API calls of `cost --live` (a few queries) and preflight's cost check."""
REFRESH_SECONDS = 900
"""A refresh asks once per item and region (about 70 queries) and waits when the API throttles it (HTTP 429)."""


def _cost(args: argparse.Namespace, _credential=None) -> int:
    from tools import cost

    if args.refresh_snapshot:
        return cost.refresh_command(args.output, args.currency or "USD", REFRESH_SECONDS)
    if args.output:
        raise UserError("cost: --output is for --refresh-snapshot (the file it writes)")
    config = _load_config(args)
    book = _live_prices(args.currency or config.config.budget.currency, COST_SECONDS) if args.live else None
    estimate = cost.stack_cost(config, args.currency, book)
    print((cost.render_json if args.format == "json" else cost.render_text)(estimate, args.stack), end="")
    return 0


def _live_prices(currency: str, seconds: float):
    from clients.deadline import Deadline
    from clients.http import Client
    from clients.retail_prices import LivePrices, RetailPrices
    from infra.config.parse import today_utc

    api = RetailPrices(Client(seconds, allow_http_loopback=True), Deadline(seconds))
    return LivePrices(api, currency, today_utc())


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
    failed = any(r.status == Status.FAIL for r in results)
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

    def _print_message(self, message: str, file: Any = None) -> None:
        # argparse drops a failed write of --help or --version: written here, a full disk is told like any other.
        if message:
            (file or sys.stderr).write(message)


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


def _stack_parsers(commands: Any) -> None:
    listing = commands.add_parser(
        "stacks",
        help="list the project's stacks, one per committed Pulumi.<stack>.yaml (what every CI matrix runs)",
    )
    listing.add_argument(
        "folders", nargs="*", help="project folders to list together (a pull request's head and base); default: here"
    )
    listing.add_argument(
        "--deployable",
        action="store_true",
        help=f"only the stacks the deploy workflow deploys (not {stacks.DEPLOY_KEY}: false)",
    )
    listing.add_argument("--format", choices=("text", "json"), default="text", help="json: one line, for a matrix")
    listing.set_defaults(func=lambda a, _credential: _stacks(a))


def _diff_parser(commands: Any) -> None:
    compare = commands.add_parser(
        "diff",
        help="what changes between two offline plans (plan --format json), resource by resource: a pull request's",
    )
    compare.add_argument("old", type=Path, help="the plan before (the base); an empty file: the stack is new")
    compare.add_argument("new", type=Path, help="the plan after (the head); an empty file: the stack file is removed")
    compare.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    compare.set_defaults(func=lambda a, _credential: _diff(a))


def _new_stack_parser(commands: Any) -> None:
    new = commands.add_parser(
        "new-stack",
        help="write Pulumi.<NAME>.yaml from a few answers, checked as plan checks it; never over an existing file",
    )
    new.add_argument("name", metavar="NAME", help="the new stack's name")
    new.add_argument("--region", required=True, help="Azure region of every resource, like swedencentral")
    new.add_argument(
        "--kind", action="append", default=[], help="a deployment's kind: serverless, managed or foundry (repeat)"
    )
    new.add_argument("--model", action="append", default=[], help="its model, like Llama-3.3-70B-Instruct (repeat)")
    new.add_argument("--name", dest="deployment_name", action="append", default=[], help="its name (default: its kind)")
    new.add_argument("--vm-sku", help="VM SKU of the managed deployments, like Standard_NC96ads_A100_v4")
    new.add_argument("--instance-count", type=int, help="instances of each managed deployment")
    new.add_argument("--tag", action="append", default=[], help="KEY=VALUE, a tag of every resource (repeat)")
    new.add_argument("--no-deploy", action="store_true", help=f"write {stacks.DEPLOY_KEY}: false (CI never deploys it)")
    new.add_argument("--protect", action="store_true", help="protect the stateful resources from deletion")
    new.set_defaults(func=lambda a, _credential: _new_stack(a))


def _currency(value: str) -> str:
    from catalog.prices import CURRENCIES

    if value not in CURRENCIES:
        from infra.config.types import choices

        raise UserError(
            f"--currency {value!r} is not a currency of Azure's price list; {choices(CURRENCIES, value, 'one of')}"
        )
    return value


def _cost_parser(commands: Any) -> None:
    cost = commands.add_parser(
        "cost",
        help="what a stack costs a month: the price snapshot offline, the Azure Retail Prices API with --live",
    )
    cost.add_argument("--stack", help=STACK_HELP)
    cost.add_argument(
        "--currency", type=_currency, default=None, help="default: the budget's currency (llama-on-azure:budget), USD"
    )
    cost.add_argument("--live", action="store_true", help="ask the Azure Retail Prices API (no sign-in) for today's")
    cost.add_argument("--format", choices=("text", "json"), default="text")
    cost.add_argument(
        "--refresh-snapshot",
        action="store_true",
        help="rewrite the price snapshot (catalog/prices.json) from the Retail Prices API, dated today",
    )
    cost.add_argument("--output", default=None, help="with --refresh-snapshot: write this file instead")
    cost.set_defaults(func=_cost)


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
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (
        _plan_parser,
        _cost_parser,
        _diff_parser,
        _stack_parsers,
        _new_stack_parser,
        _azure_parsers,
        _smoke_parser,
        _env_parser,
    ):
        add(commands)
    try:
        args = parser.parse_args(argv)
        return args.func(args, credential)
    except SystemExit as exc:  # --help and --version print, then argparse exits: the code, never a traceback
        return exc.code if isinstance(exc.code, int) else 0
    except UserError as exc:
        # A user's mistake: one clear message, never a traceback (those are for bugs).
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if not _output_failed(exc):
            raise
        return 1


_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""Writing the output failed for a reason of where it goes (a full disk, a quota), not of the command."""


def _output_failed(exc: OSError) -> bool:
    """Whether `exc` is the output failing, said as one line (a reader gone, as after `| head`: nothing)."""
    if isinstance(exc, BrokenPipeError):
        # The reader left: nothing more reaches it, and the interpreter's own flush at exit must not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return True
    if exc.errno in _OUTPUT_ERRNOS:
        print(f"error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return True
    return False


def _version() -> str:
    """The installed package's version (pyproject.toml's `version`)."""
    try:
        return metadata.version("llama-on-azure")
    except metadata.PackageNotFoundError:
        return "(not installed: run make install)"


def console() -> None:
    """The `llama-on-azure` command. A plan makes about a million short-lived objects inside the Pulumi SDK:
    the cyclic collector would walk them several times while they are alive and once more at exit, a third of
    the run. The process is short-lived, so collection is off and it exits without tearing its heap down."""
    gc.disable()
    code = main()
    try:
        sys.stdout.flush()  # the output is buffered: a full disk or a gone reader may show only now
    except OSError as exc:
        if not _output_failed(exc):
            raise
        code = code or 1
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
