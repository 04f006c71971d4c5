"""Every use of a private Pulumi SDK internal, in one place, for the pinned SDK (pyproject: pulumi==3.272.*).

Why each is needed:
- the program lists the config keys the engine passed (pulumi.Config reads one key at a time and cannot
  list them), to refuse keys in a mistyped namespace instead of ignoring them;
- the offline tools run the program under the mock engine the way the language host does: reset the
  runtime settings, run the program in a stack, wait for it, and read the engine's secret marker;
- the traffic resource's stored provider is tested the way the engine loads it: serialized as
  `pulumi.dynamic.Resource` stores it, loaded as `pulumi.dynamic`'s provider host does.
The policy pack ships alone and cannot import this module: its one internal (the analyzer's deserializer, to
keep secret markers) lives in `policy/rules.py`, pinned by `pulumi-policy==1.21.*`.
An SDK upgrade that moves one of these breaks the tests here, not a user's plan.
"""

import base64
from typing import Any

from pulumi.runtime import config as _config
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime.stack import run_in_stack as _run_in_stack
from pulumi.runtime.sync_await import _sync_await

SECRET_SIG_KEY: str = _rpc._special_sig_key
SECRET_SIG: str = _rpc._special_secret_sig


def engine_config_keys() -> set[str]:
    """Every `namespace:key` the engine (or PULUMI_CONFIG) handed the program."""
    return set(_config.CONFIG.get()) | set(_config.get_config_env())


def reset_runtime(project: str, stack: str, preview: bool) -> None:
    """A fresh runtime for one program run, as the language host starts one."""
    _settings.reset_options(project=project, stack=stack, preview=preview)


def clear_root_resource() -> None:
    # set_mocks registers a finished stack of its own; the program must get a fresh one, as under the CLI.
    _settings.set_root_resource(None)


def run_program_in_stack(run: Any) -> None:
    """Run `run()` inside a root stack resource and wait for every resource it registered."""
    _sync_await(_run_in_stack(run))


def serialize_dynamic_provider(provider: Any) -> str:
    """The `__provider` input `pulumi.dynamic.Resource` stores for `provider` (base64 of dill, by reference)."""
    from pulumi.dynamic.dynamic import serialize_provider
    from pulumi.runtime._serialization import _serialize

    blob, _ = _serialize(True, serialize_provider, provider)
    return blob


def deserialize_dynamic_provider(blob: str) -> Any:
    """The provider as `pulumi.dynamic`'s host loads it from state (the lines of its `get_provider`)."""
    import dill
    from pulumi.runtime._serialization import _deserialize

    return _deserialize(lambda: dill.loads(base64.b64decode(blob)))


def is_lazy(module: Any) -> bool:
    """A module the SDK's lazy loader has not executed yet (azure-native's subpackages, `pulumi._utils`)."""
    return type(module).__name__ == "_LazyModule"


def load_lazy(module: Any) -> None:
    """Execute a lazy module now: any attribute but its introspection ones (`__dict__`, `__name__`...) loads it."""
    hasattr(module, "_llama_on_azure_load_now")
