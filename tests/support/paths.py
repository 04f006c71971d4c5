"""Where the checkout's stacks are: importable without the program, so pytest's xdist controller stays light."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))
"""The stacks the repository ships, discovered as the tools discover them: one per Pulumi.<stack>.yaml."""
SCENARIOS = ROOT / "tests" / "scenarios"
SCENARIO_NAMES = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
RUNS_VARIABLE = "LLAMA_ON_AZURE_TEST_RUNS"
"""The folder the session's processes share program runs in (tests.support.runs); set by conftest."""
