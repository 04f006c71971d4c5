"""`make test` on a fresh clone, first run included, with its figures (`make bench-fresh`; `--help` for options).

What it does: `git clone`s this repository's committed HEAD (uncommitted changes are not in the clone) into a
temporary folder and runs `make test` there once, exactly as a new contributor's first run: uv's bootstrap,
the runtime and test-group installs into a new .venv (no bytecode: the first run writes what it imports), ruff,
then pytest. Then (unless --no-second) `make test` again in the same clone: the warm run, bytecode in place.

Figures printed (JSON): the machine (cores, load average before and after), whether uv's cache was warm (the
user's own) or cold (--cold-cache: an empty UV_CACHE_DIR in a temporary folder, so every wheel is downloaded),
and per run: the wall time of each phase of `make test` (install, lint, pytest; timed from the commands make
echoes as it starts them), pytest's own time and test count from its summary line, the CPU time (user+sys)
of make and every process under it, and ratios: pytest over the whole run, CPU over wall (how many cores it
kept busy), the first run over the second. `make test` failing makes this exit 1 with the end of its output.
Target (issue 16, point 7): pytest's own time under 30 s on 2 cores, first run included.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The commands of the Makefile's `test` target that start a phase, as make echoes them.
PHASES = {"lint": re.compile(r"^\S*ruff check \."), "pytest": re.compile(r"^\S*python -m pytest")}
SUMMARY = re.compile(r"=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s(?: \([\d:]+\))? =+\s*$")


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    phases_s: dict[str, float] = field(default_factory=dict)
    pytest_reported_s: float | None = None
    tests: dict[str, int] = field(default_factory=dict)


def summary(output: str) -> tuple[dict[str, int], float | None]:
    """pytest's last summary line: {"passed": 1268, ...} and the seconds it reports."""
    for line in reversed(output.splitlines()):
        found = SUMMARY.search(line)
        if found:
            counts = {}
            for part in found["counts"].split(", "):
                number, _, word = part.partition(" ")
                if number.isdigit():
                    counts[word] = int(number)
            return counts, float(found["seconds"])
    return {}, None


def run_make(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[Run, str]:
    """`command` (make test) with its output read line by line, so each phase is timed from when it starts."""
    before = os.times()
    start = time.perf_counter()
    marks = {"install": 0.0}
    lines = []
    with subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            for phase, pattern in PHASES.items():
                if phase not in marks and pattern.search(line):
                    marks[phase] = time.perf_counter() - start
        code = proc.wait()
    wall = time.perf_counter() - start
    after = os.times()
    output = "".join(lines)
    if code != 0:
        shown = " ".join(command)
        raise SystemExit(f"fresh_test: `{shown}` in {cwd} exited {code}; the end of its output:\n{output[-3000:]}")
    order = [*marks, "end"]
    times = [*marks.values(), wall]
    phases = {order[i]: round(times[i + 1] - times[i], 2) for i in range(len(marks))}
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    tests, reported = summary(output)
    return Run(round(wall, 2), round(cpu, 2), phases, reported, tests), output


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold-cache", action="store_true", help="an empty uv cache: every wheel is downloaded")
    parser.add_argument("--no-second", action="store_true", help="only the first run, not the warm one after it")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    parser.add_argument("--python", default=os.environ.get("PYTHON", "python3"), help="the Python make uses")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="llama-fresh-"))
    clone = tmp / "clone"
    env = dict(os.environ, PYTHON=args.python)
    for name in ("UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "PYTEST_ADDOPTS"):
        env.pop(name, None)  # the clone's make sets its own; a parent make's would leak in
    if args.cold_cache:
        env["UV_CACHE_DIR"] = str(tmp / "uv-cache")
    report: dict[str, object] = {
        "machine": {"cores": os.cpu_count(), "load_before": load()},
        "uv_cache": f"cold (UV_CACHE_DIR={env['UV_CACHE_DIR']})" if args.cold_cache else "warm (the user's own)",
        "PYTHONDONTWRITEBYTECODE_set": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }
    try:
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        head = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=clone, capture_output=True, text=True)
        report["commit"] = head.stdout.strip()
        first, _ = run_make(["make", "test"], clone, env)
        report["first_run"] = asdict(first)
        if not args.no_second:
            second, _ = run_make(["make", "test"], clone, env)
            report["second_run"] = asdict(second)
            if first.pytest_reported_s and second.pytest_reported_s:
                report["first_over_second_pytest"] = round(first.pytest_reported_s / second.pytest_reported_s, 2)
        report["ratios_first_run"] = {
            "pytest_over_total": round(first.phases_s.get("pytest", 0) / first.wall_s, 2),
            "install_over_total": round(first.phases_s.get("install", 0) / first.wall_s, 2),
            "cpu_over_wall": round(first.cpu_s / first.wall_s, 2),
        }
        report["machine"]["load_after"] = load()  # type: ignore[index]
    finally:
        if args.keep:
            report["clone"] = str(clone)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
