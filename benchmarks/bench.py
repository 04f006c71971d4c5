"""Speed of the plan and the test suite, as ratios measured in one run (`make bench`; `--all` adds the slow ones).

Figures printed, each a median of several runs on this machine:
- floor: a fresh interpreter importing the Azure SDK packages the dev stack uses (azure-native loads a
  subpackage on first use, so the script touches the class of every azure-native type the dev plan registers,
  read off its JSON, and the invoke every stack makes);
- plan: `llama-on-azure plan --stack dev`, the README's main command, as a user runs it;
- marginal cost of one more resource: plans of stacks with N role assignments (`access.developers`),
  between N=10 and N=50 and between N=100 and N=200 (the fastest of the runs), and that cost as a share of
  the floor; beside it the same in Python function calls, which a busy machine does not disturb;
- the cost estimate of a 200-deployment stack (180 managed, 20 foundry): the time the plan spends computing it
  (twice: the program's costEstimate output and the plan's cost object) as a share of that stack's plan;
- with --all: `make test` (the whole suite) and a first `make plan` on a fresh clone.
Every timed command must exit 0 (the marginal stacks plan with --skip-policies, the dev plan passes its
policies): one that fails stops the bench with its stderr instead of timing a failure.
Targets (issue "A codebase people copy"): plan <= 1.0x floor; marginal cost flat (late/early <= 1.2) and
<= 0.7% of the floor; make test < 30 s; first plan < 25 s.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
INVOKES = {"authorization": "get_client_config_output"}
"""What the program calls besides the types it creates (every stack asks for the deployer's subscription)."""


def floor_script(types: set[str]) -> str:
    """A script that loads the azure-native class of each of `types` (and the invokes): the plan's import floor."""
    touched = {tuple(t.split(":")[1:3]) for t in types if t.startswith("azure-native:")} | set(INVOKES.items())
    modules = sorted({module for module, _ in touched})
    lines = [f"from pulumi_azure_native import {', '.join(modules)}"]
    lines += [f"{module}.{name}" for module, name in sorted(touched)]
    return "\n".join(lines) + "\n"


def plan_types(stack: str) -> set[str]:
    """The types the stack's plan registers, read off `plan --format json`."""
    done = run_ok([*plan_command(stack), "--format", "json"])
    return {step["type"] for step in json.loads(done.stdout)["steps"]}


def run_ok(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    """`command`, which must exit 0: a plan that fails (or has mandatory violations) is not a speed to report."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace")[-2000:].strip() or "(nothing on stderr)"
        stdout = done.stdout.decode(errors="replace")[-1000:].strip()
        shown = " ".join(command)
        raise SystemExit(
            f"bench: `{shown}` (in {cwd}) exited {done.returncode}, so it is not timed.\nstderr:\n{stderr}"
            + (f"\nstdout (end):\n{stdout}" if stdout else "")
        )
    return done


def timed(command: list[str], cwd: Path = ROOT, runs: int = 7, stat=statistics.median) -> float:
    """Median (or `stat`) wall time of `command`, after one warm-up run (bytecode, page cache); each must exit 0."""
    run_ok(command, cwd)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run_ok(command, cwd)
        samples.append(time.perf_counter() - start)
    return stat(samples)


def plan_command(stack: str) -> list[str]:
    return [str(BIN / "llama-on-azure"), "plan", "--stack", stack]


def with_developers(project: Path, n: int) -> str:
    """A copy of the dev stack whose access section gives N developers a role: N more resources."""
    stack = f"bench{n}"
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    config["llama-on-azure:access"] = {"developers": [str(uuid.UUID(int=i + 1)) for i in range(n)]}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return stack


SIZES = (10, 50, 100, 200)
# The same plans, counting the Python function calls they make: the work itself, which wall time on a shared
# machine only approximates (it moves with the other core's load by several ms per resource).
CALLS = """
import cProfile, os, pstats, sys
os.environ.setdefault("LLAMA_ON_AZURE_TODAY", "2026-11-27")
import yaml
from tools.engine import LlamaMocks, run_program
from tools.plan import Plan, render_text
config = yaml.safe_load(open(sys.argv[1]))["config"]
profile = cProfile.Profile()
profile.enable()
result = run_program("bench", config, preview=True, mock=LlamaMocks(preview=True))
render_text(Plan(result, "00000000-0000-0000-0000-000000000000", None, None))
profile.disable()
print(pstats.Stats(profile).total_calls)
"""


def marginal(runs: int) -> dict[str, float]:
    """Per added resource: wall time and function calls.

    The sizes are timed in interleaved rounds, so that the machine's drift (another process, the VM's memory
    monitor) falls on every size alike; the fastest run of each counts, noise being only ever added.
    """
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
        commands = {n: [*plan_command(with_developers(project, n)), "--skip-policies"] for n in SIZES}
        samples: dict[int, list[float]] = {n: [] for n in SIZES}
        for _ in range(runs + 1):  # the first round warms up
            for n, command in commands.items():
                start = time.perf_counter()
                run_ok(command, project)
                samples[n].append(time.perf_counter() - start)
        times = {n: min(values[1:]) for n, values in samples.items()}
        calls = {}
        for n in SIZES:
            counted = run_ok([sys.executable, "-c", CALLS, str(project / f"Pulumi.bench{n}.yaml")])
            calls[n] = int(counted.stdout.decode().split()[-1])

    def per_resource(values: dict[int, float]) -> tuple[float, float]:
        return (values[50] - values[10]) / 40, (values[200] - values[100]) / 100

    (early, late), (early_calls, late_calls) = per_resource(times), per_resource(calls)
    return {"early_ms": early * 1000, "late_ms": late * 1000, "early_calls": early_calls, "late_calls": late_calls}


ESTIMATE = """
import os, sys, time
os.environ.setdefault("LLAMA_ON_AZURE_TODAY", "2026-11-27")
import yaml
from infra.config.parse import config_from_engine
from infra.cost import estimate
from tools.engine import stack_config_values
config = yaml.safe_load(open(sys.argv[1]))["config"]
values, secret = stack_config_values(config)
stack = config_from_engine(values, set(secret), "bench")
samples = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    found = estimate(stack)
    found.to_json(), found.export()
    samples.append(time.perf_counter() - start)
print(len(found.lines), min(samples))
"""


def with_deployments(project: Path, managed: int = 180, foundry: int = 20) -> str:
    """A copy of the dev stack with 200 deployments: managed ones on their own endpoints, Foundry Models."""
    stack = f"cost{managed + foundry}"
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    deployments = [
        {"name": f"m{i:03d}", "kind": "managed", "model": "Llama-3.3-70B-Instruct", "vmSku": "Standard_NC96ads_A100_v4"}
        for i in range(managed)
    ]
    deployments += [
        {"name": f"f{i:03d}", "kind": "foundry", "model": "Llama-4-Maverick-17B-128E-Instruct-FP8",
         "expectedTokens": {"inputPerMonth": 1_000_000 * i, "outputPerMonth": 100_000 * i}}
        for i in range(foundry)
    ]  # fmt: skip
    config["llama-on-azure:deployments"] = deployments
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return stack


def estimate_share(runs: int) -> dict[str, float]:
    """The estimate of a 200-deployment stack against that stack's whole plan (policies included)."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
        stack = with_deployments(project)
        # The dev stack's policy config, as its plan uses (the copy keeps dev's key vault settings).
        (project / "policy" / "config").mkdir(parents=True)
        shutil.copy(ROOT / "policy" / "config" / "dev.json", project / "policy" / "config" / f"{stack}.json")
        plan = timed(plan_command(stack), cwd=project, runs=max(3, runs // 2), stat=min)
        counted = run_ok([sys.executable, "-c", ESTIMATE, str(project / f"Pulumi.{stack}.yaml"), "20"])
        lines, seconds = counted.stdout.decode().split()
    return {"lines": int(lines), "estimate_ms": float(seconds) * 1000, "plan_s": plan}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--all", action="store_true", help="also time make test and a first plan on a fresh clone")
    args = parser.parse_args()
    floor = timed([sys.executable, "-c", floor_script(plan_types("dev"))], runs=args.runs)
    plan = timed(plan_command("dev"), runs=args.runs)
    growth = marginal(max(args.runs, 9))
    cost = estimate_share(args.runs)
    report = {
        "floor_s": round(floor, 3),
        "plan_dev_s": round(plan, 3),
        "plan_over_floor": round(plan / floor, 3),
        "per_resource_10_50_ms": round(growth["early_ms"], 2),
        "per_resource_100_200_ms": round(growth["late_ms"], 2),
        "late_over_early": round(growth["late_ms"] / growth["early_ms"], 3),
        "late_per_resource_over_floor_pct": round(100 * growth["late_ms"] / 1000 / floor, 3),
        "calls_per_resource_10_50": round(growth["early_calls"]),
        "calls_per_resource_100_200": round(growth["late_calls"]),
        "calls_late_over_early": round(growth["late_calls"] / growth["early_calls"], 3),
        "cost_estimate_200_deployments_lines": cost["lines"],
        "cost_estimate_200_deployments_ms": round(cost["estimate_ms"], 2),
        "plan_200_deployments_s": round(cost["plan_s"], 3),
        # The plan computes it twice: the program's costEstimate output and the plan's cost object.
        "cost_estimate_share_of_plan_pct": round(100 * 2 * cost["estimate_ms"] / 1000 / cost["plan_s"], 2),
    }
    if args.all:
        start = time.perf_counter()
        run_ok(["make", "test"])
        report["make_test_s"] = round(time.perf_counter() - start, 1)
        with tempfile.TemporaryDirectory() as tmp:
            run_ok(["git", "clone", "-q", str(ROOT), tmp])
            start = time.perf_counter()
            run_ok(["make", "plan"], cwd=Path(tmp))
            report["first_plan_fresh_clone_s"] = round(time.perf_counter() - start, 1)
            report["second_plan_s"] = round(timed(["make", "plan"], cwd=Path(tmp), runs=3), 3)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
