"""Checks a payload against Microsoft's generated REST models (Microsoft.MachineLearningServices 2025-12-01)."""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

import azure.ai.ml._restclient.arm_ml_service.models._models as _models_module
from azure.ai.ml._restclient.arm_ml_service import _configuration
from azure.ai.ml._restclient.arm_ml_service import models as M
from azure.ai.ml._restclient.arm_ml_service._utils.model_base import Model

_NS = {**vars(_models_module), "_models": M}

# Inputs the provider puts in the request URL, not the body.
PATH_PARAMETERS = {"resourceGroupName", "workspaceName", "name", "endpointName", "deploymentName"}

# azure-native type token -> (resource model, model whose fields the provider flattens to the top level)
RESOURCES: dict[str, tuple[type, type | None]] = {
    "azure-native:machinelearningservices:Workspace": (M.Workspace, M.WorkspaceProperties),
    "azure-native:machinelearningservices:MarketplaceSubscription": (M.MarketplaceSubscription, None),
    "azure-native:machinelearningservices:ServerlessEndpoint": (M.ServerlessEndpoint, None),
    "azure-native:machinelearningservices:OnlineEndpoint": (M.OnlineEndpoint, None),
    "azure-native:machinelearningservices:OnlineDeployment": (M.OnlineDeployment, None),
}


def api_version() -> str:
    """The API version these models describe (the client's default)."""
    config = _configuration.MachineLearningServicesMgmtClientConfiguration(credential=object(), subscription_id="x")
    return config.api_version


def _fields(cls: type) -> dict[str, tuple[Any, list[str]]]:
    """REST name -> (type annotation, visibility) for every field of a model class."""
    cls({})  # the generated base computes its field table on first instantiation
    hints = typing.get_type_hints(cls, globalns=_NS)
    return {rf._rest_name: (hints.get(attr), rf._visibility) for attr, rf in cls._attr_to_rest_field.items()}


def _members(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    return [annotation]


def _check_value(annotation: Any, value: Any, path: str) -> list[str]:
    problems: list[str] = []
    members = _members(annotation)
    models = [m for m in members if isinstance(m, type) and issubclass(m, Model)]
    enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
    containers = [m for m in members if typing.get_origin(m) in (dict, list)]
    if models and isinstance(value, dict):
        problems += check_model(models[0], value, path)
    elif enums and isinstance(value, str):
        allowed = {e.value for e in enums[0]}
        if value not in allowed:
            problems.append(f"{path}: {value!r} is not a value of {enums[0].__name__} {sorted(allowed)}")
    elif containers:
        container = containers[0]
        item_type = typing.get_args(container)[-1]
        items = value.items() if isinstance(value, dict) else enumerate(value or [])
        for key, item in items:
            problems += _check_value(item_type, item, f"{path}[{key}]")
    return problems


def check_model(cls: type, payload: dict[str, Any], path: str) -> list[str]:
    """Property names, writability and enum values of `payload` against model `cls` (and its subtypes)."""
    fields = _fields(cls)
    # A polymorphic model (OnlineDeploymentProperties) is checked as the subtype its discriminator names.
    mapping = getattr(cls, "__mapping__", None) or {}
    discriminator = next((rf._rest_name for rf in cls._attr_to_rest_field.values() if rf._is_discriminator), None)
    if discriminator and payload.get(discriminator) in mapping:
        cls = mapping[payload[discriminator]]
        fields = _fields(cls)
    problems: list[str] = []
    for key, value in payload.items():
        where = f"{path}.{key}"
        if key not in fields:
            problems.append(f"{where}: no such property in {cls.__name__}")
            continue
        annotation, visibility = fields[key]
        if visibility == ["read"]:
            problems.append(f"{where}: read-only in {cls.__name__}")
            continue
        problems += _check_value(annotation, value, where)
    return problems


def check_resource(type_token: str, inputs: dict[str, Any]) -> list[str]:
    """Problems with a registered resource's inputs, [] when every name, value and field is allowed."""
    resource, flattened = RESOURCES[type_token]
    envelope = _fields(resource)
    body = {k: v for k, v in inputs.items() if k not in PATH_PARAMETERS}
    top = {k: v for k, v in body.items() if k in envelope}
    rest = {k: v for k, v in body.items() if k not in envelope}
    problems = check_model(resource, top, type_token)
    if flattened is not None:
        problems += check_model(flattened, rest, f"{type_token}.properties")
    else:
        problems += [f"{type_token}.{k}: no such property in {resource.__name__}" for k in rest]
    return problems
