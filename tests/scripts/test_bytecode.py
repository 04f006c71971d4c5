"""scripts/bytecode.py compiles what the repository imports and leaves out only what it never names."""

import importlib
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.modules import load
from tests.support.paths import ROOT
from tests.support.rest_oracle import TARGETS


@pytest.fixture(scope="module")
def bytecode():
    return load(ROOT / "scripts" / "bytecode.py")


def test_every_import_form_names_its_provider_subpackage(bytecode):
    texts = {
        Path("a.py"): "from pulumi_azure_native import network, storage as st\n",
        Path("b.py"): "from pulumi_azure_native.monitor import MetricAlert\n",
        Path("c.py"): "import pulumi_azure_native.keyvault as kv\nimport os\n",
        Path("d.py"): "TEXT = 'from pulumi_azure_native import aad'\n",  # a string is not an import
        Path("e.py"): "def broken(:\n",  # a file that does not parse names nothing
    }
    assert bytecode.provider_subpackages(texts) == {"network", "storage", "monitor", "keyvault"}


def test_no_module_the_program_or_the_oracle_loads_is_left_out(bytecode):
    # tests.support.stacks warmed the program in this process: every azure-native subpackage it uses is loaded
    # (the others stay in sys.modules as the SDK's lazy placeholders, never executed); the oracle's models too.
    import tests.support.stacks  # noqa: F401
    from infra.sdk_internals import is_lazy

    for target in TARGETS.values():
        importlib.import_module(target.models)
    site = Path(sysconfig.get_paths()["purelib"])
    texts = bytecode.sources()
    rx = bytecode.excluded(site, bytecode.provider_subpackages(texts) | {"config"}, bytecode.api_versions(texts))
    files = [
        module.__file__
        for module in list(sys.modules.values())
        if not is_lazy(module) and str(getattr(module, "__file__", None) or "").startswith(str(site))
    ]
    assert any("/pulumi_azure_native/network/" in file for file in files)
    assert any("/azure/mgmt/monitor/v2018_03_01/" in file for file in files)
    assert [file for file in files if rx.search(file)] == []
    assert rx.search(f"{site}/pulumi_azure_native/aad/domain.py"), "an unused subpackage is left out"


def test_every_api_version_the_oracle_imports_is_kept(bytecode):
    versions = bytecode.api_versions(bytecode.sources())
    named = {part for target in TARGETS.values() for part in target.models.split(".") if part.startswith("v20")}
    assert named, "the oracle imports versioned models (monitor, authorization, insights)"
    assert named <= versions


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    for module in (
        "pulumi_azure_native/network/vnet.py",
        "pulumi_azure_native/aad/domain.py",
        "pulumi_azure_native/config/vars.py",
        "pulumi_azure_native/_utilities.py",
        "azure/mgmt/monitor/v2018_03_01/models.py",
        "azure/mgmt/monitor/v2015_04_01/models.py",
        "azure/mgmt/monitor/aio/client.py",
        "azure/mgmt/monitor/models.py",
        "azure/keyvault/secrets/_generated/aio/client.py",
        "debugpy/server.py",
        "yaml/loader.py",
    ):
        path = site / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("X = 1\n")
    (site / "yaml" / "py2.py").write_text("print 'python 2'\n")  # a leftover that never compiled
    return site


def _compiled(site: Path) -> set[str]:
    return {str(p.parent.parent.relative_to(site) / p.name.split(".")[0]) for p in site.rglob("*.pyc")}


def test_the_site_is_compiled_but_for_what_nothing_here_names(bytecode, tmp_path):
    site = _site(tmp_path)
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "net.py").write_text("from pulumi_azure_native import network\n")
    (repo / "tests").mkdir()
    (repo / "tests" / "oracle.py").write_text("MODELS = 'azure.mgmt.monitor.v2018_03_01.models'\n")

    bytecode.compile_site(site, repo)

    assert _compiled(site) == {
        "pulumi_azure_native/network/vnet",
        "pulumi_azure_native/config/vars",
        "pulumi_azure_native/_utilities",
        "azure/mgmt/monitor/v2018_03_01/models",
        "azure/mgmt/monitor/models",
        "azure/keyvault/secrets/_generated/aio/client",  # Key Vault's sync client imports it
        "yaml/loader",
    }


def test_a_run_prints_its_time_and_succeeds_whatever_it_finds(bytecode, tmp_path, monkeypatch, capsys):
    site = _site(tmp_path)
    monkeypatch.setattr(bytecode.sysconfig, "get_paths", lambda: {"purelib": str(site)})
    assert bytecode.main() == 0
    assert f"bytecode of {site}:" in capsys.readouterr().err
    assert "yaml/loader" in _compiled(site)
