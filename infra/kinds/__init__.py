"""The deployment kinds, each declared in one module, found here: parse, program, plan, preflight, smoke and the
policy facts all go through KINDS, and nothing outside a kind's module branches on its name."""

from typing import Annotated, Any, Union

from pydantic import Field

from infra.kinds.base import Deployment, Kind, Platform
from infra.kinds.foundry import FOUNDRY
from infra.kinds.managed import MANAGED
from infra.kinds.serverless import SERVERLESS

KINDS: dict[str, Kind[Any]] = {kind.name: kind for kind in (SERVERLESS, MANAGED, FOUNDRY)}
"""Kind name -> its declaration, in the order the program builds and the plan lists them."""

DeploymentConfigs = Annotated[
    Union[tuple(kind.config for kind in KINDS.values())],  # noqa: UP007 - a union built from the registry
    Field(discriminator="kind"),
]
"""What one entry of `llama-on-azure:deployments` may be: the config model of one kind, chosen by `kind`."""


def kind_of(entry: Any) -> Kind[Any] | None:
    """The kind an export's or a stack file's entry names, if it is one."""
    return KINDS.get(entry.get("kind")) if isinstance(entry, dict) and isinstance(entry.get("kind"), str) else None


__all__ = ["KINDS", "Deployment", "DeploymentConfigs", "Kind", "Platform", "kind_of"]
