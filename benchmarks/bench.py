"""Speed of the plan and the test suite, as ratios measured in one run (`make bench`; `--all` adds the slow ones).

Figures printed, each a median of several runs on this machine:
- floor: a fresh interpreter importing the Azure SDK packages the dev stack uses (azure-native loads a
  subpackage on first use, so the script touches the classes the program creates);
- plan: `llama-on-azure plan --stack dev`, the README's main command, as a user runs it;
- marginal cost of one more resource: plans of stacks with N role assignments (`access.developers`),
  between N=10 and N=50 and between N=100 and N=200, and that cost as a share of the floor;
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
FLOOR = """
from pulumi_azure_native import authorization, resources, storage, keyvault, operationalinsights
from pulumi_azure_native import applicationinsights, machinelearningservices as ml, cognitiveservices as cs
for cls in (authorization.RoleAssignment, authorization.get_client_config_output, resources.ResourceGroup,
            storage.StorageAccount, keyvault.Vault, operationalinsights.Workspace, applicationinsights.Component,
            ml.Workspace, ml.ServerlessEndpoint, ml.MarketplaceSubscription, cs.Account, cs.Deployment):
    pass
"""


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


def timed(command: list[str], cwd: Path = ROOT, runs: int = 7) -> float:
    """Median wall time of `command`, after one warm-up run (bytecode, page cache); every run must exit 0."""
    run_ok(command, cwd)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run_ok(command, cwd)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def plan_command(stack: str) -> list[str]:
    return [str(BIN / "llama-on-azure"), "plan", "--stack", stack]


def with_developers(project: Path, n: int) -> str:
    """A copy of the dev stack whose access section gives N developers a role: N more resources."""
    stack = f"bench{n}"
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    config["llama-on-azure:access"] = {"developers": [str(uuid.UUID(int=i + 1)) for i in range(n)]}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return stack


def marginal(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
        times = {}
        for n in (10, 50, 100, 200):
            stack = with_developers(project, n)
            times[n] = timed([*plan_command(stack), "--skip-policies"], cwd=project, runs=runs)
    early = (times[50] - times[10]) / 40
    late = (times[200] - times[100]) / 100
    return {"per_resource_10_50_ms": early * 1000, "per_resource_100_200_ms": late * 1000, "times": times}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--all", action="store_true", help="also time make test and a first plan on a fresh clone")
    args = parser.parse_args()
    floor = timed([sys.executable, "-c", FLOOR], runs=args.runs)
    plan = timed(plan_command("dev"), runs=args.runs)
    growth = marginal(max(3, args.runs // 2))
    report = {
        "floor_s": round(floor, 3),
        "plan_dev_s": round(plan, 3),
        "plan_over_floor": round(plan / floor, 3),
        "per_resource_10_50_ms": round(growth["per_resource_10_50_ms"], 2),
        "per_resource_100_200_ms": round(growth["per_resource_100_200_ms"], 2),
        "late_over_early": round(growth["per_resource_100_200_ms"] / growth["per_resource_10_50_ms"], 3),
        "late_per_resource_over_floor_pct": round(100 * growth["per_resource_100_200_ms"] / 1000 / floor, 3),
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
