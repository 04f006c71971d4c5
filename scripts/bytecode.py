"""Write the bytecode of the installed packages once, in parallel, right after `uv sync` (the Makefile runs it).

Why: uv installs no bytecode, so on a fresh venv every process that imports a module before its `.pyc` exists
compiles it itself. The test session starts two workers at once, each importing the same packages (the
azure-native modules of the program are megabytes of source each), then forks and real subprocesses: measured
on a fresh clone, that was about 38 s of CPU and 18 s of wall time of the first `make test`, for modules whose
compilation takes 9 s on one core.

What: the venv's site-packages, minus what nothing here imports, read off this repository's own source so that
a module it starts to import is compiled from that day on:
- the pulumi-azure-native subpackages no module names (the provider ships some 200; the program uses a dozen);
- the API-version folders of the Azure SDK's multi-version packages (`azure/mgmt/monitor/v2018_03_01/`, ...)
  that no module names (the tests import the few versions the provider uses; the packages carry dozens);
- the async `aio` clients of the Azure management and ML packages (the program and the tests use the sync
  ones; Key Vault's sync client imports its async one, so it is compiled), and the tools that are
  installed but never imported by a run: debugpy (Pulumi's program debugger), setuptools and pip.
Anything left out still works: Python compiles it when it is first imported, as before. Up-to-date bytecode
is kept, so a second run costs a stat per file. Usage: `python scripts/bytecode.py` with the venv's Python.
"""

from __future__ import annotations

import ast
import compileall
import re
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("infra", "components", "tools", "policy", "clients", "catalog", "tests", "benchmarks")
PROVIDER = "pulumi_azure_native"
API_VERSION = re.compile(r"\bv20\d\d_\d\d_\d\d(?:_preview)?\b")
NEVER_IMPORTED = ("debugpy", "setuptools", "pip")


def sources(root: Path = ROOT) -> dict[Path, str]:
    """The text of every Python file of the repository's packages."""
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            try:
                found[path] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return found


def api_versions(texts: dict[Path, str]) -> set[str]:
    """The SDK API-version folder names the repository's source mentions (`v2021_05_01_preview`)."""
    return {name for text in texts.values() for name in API_VERSION.findall(text)}


def provider_subpackages(texts: dict[Path, str]) -> set[str]:
    """The pulumi-azure-native subpackages this repository imports (`from pulumi_azure_native import x, y`)."""
    used: set[str] = set()
    for text in texts.values():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == PROVIDER:
                used.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PROVIDER + "."):
                used.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                used.update(a.name.split(".")[1] for a in node.names if a.name.startswith(PROVIDER + "."))
    return used


def _folders(parent: Path, keep: set[str]) -> list[str]:
    """The subfolders of `parent` not in `keep` (its private `_x` folders and `__pycache__` stay)."""
    if not parent.is_dir():
        return []
    return sorted(p.name for p in parent.iterdir() if p.is_dir() and p.name not in keep and not p.name.startswith("_"))


def excluded(site: Path, subpackages: set[str], versions: set[str]) -> re.Pattern[str]:
    """What not to compile, as one pattern over full paths (compileall's `rx`)."""
    root = re.escape(str(site))
    alternatives = [rf"{root}/({'|'.join(map(re.escape, NEVER_IMPORTED))})/", rf"{root}/azure/(mgmt|ai)/.*/aio/"]
    unused = _folders(site / PROVIDER, subpackages)
    if unused:
        alternatives.append(rf"{root}/{PROVIDER}/({'|'.join(map(re.escape, unused))})/")
    mgmt = site / "azure" / "mgmt"
    for package in _folders(mgmt, set()):
        other = [name for name in _folders(mgmt / package, versions) if API_VERSION.fullmatch(name)]
        if other:
            alternatives.append(rf"{root}/azure/mgmt/{re.escape(package)}/({'|'.join(other)})/")
    return re.compile("|".join(alternatives))


def compile_site(site: Path, root: Path = ROOT) -> None:
    """Write the bytecode of `site`'s modules, but for what `root`'s source never imports."""
    texts = sources(root)
    # The provider's own `config` module is imported by every subpackage.
    rx = excluded(site, provider_subpackages(texts) | {"config"}, api_versions(texts))
    # A file that does not compile (a package's Python 2 leftovers) is not an install error: it never compiled.
    compileall.compile_dir(site, quiet=2, workers=0, rx=rx)


def main() -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    started = time.perf_counter()
    compile_site(site)
    print(f"bytecode of {site}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
