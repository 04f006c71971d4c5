"""The benchmarks, which are files, not packages: loaded by path for their tests."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load(path: Path, *, register: bool = False) -> ModuleType:
    """The module at `path`, named after its file; `register` puts it in sys.modules while it runs (dataclasses
    look their module up there)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
