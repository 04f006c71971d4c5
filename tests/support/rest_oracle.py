"""Checks a payload against Microsoft's generated REST models: property names, writability, enum values.

Machine Learning uses the models shipped in azure-ai-ml for API 2025-12-01 (the provider's version);
the other providers use their azure-mgmt-* packages. Two generator styles exist: TypeSpec
(`model_base`, fields in `_attr_to_rest_field`) and msrest (`_attribute_map`, flattened
`properties.x` keys, `_validation`). Names are matched as the SDKs name them (the Python attribute,
which follows the same x-ms-client-name as Pulumi's camelCase), so renames like storage's
`enableHttpsTrafficOnly` (REST `supportsHttpsTrafficOnly`) match.
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import re
import sys
import types
import typing
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    annotation: Any
    readonly: bool


@dataclass(frozen=True)
class Target:
    """How one azure-native type maps onto REST models."""

    models: str
    """Module holding the models."""
    envelope: str
    """Model of the request body."""
    flattened: str | None
    """Model whose fields azure-native lifts to the top level (None: properties stay nested)."""
    path: frozenset[str]
    """Inputs that go into the URL, not the body."""


def _t(models: str, envelope: str, flattened: str | None, *path: str) -> Target:
    return Target(models, envelope, flattened, frozenset({"resourceGroupName", *path}))


ML = "azure.ai.ml._restclient.arm_ml_service.models"
CS = "azure.mgmt.cognitiveservices.models"
NET = "azure.mgmt.network.models"
DNS = "azure.mgmt.privatedns.models"
MONITOR = "azure.mgmt.monitor"
TARGETS: dict[str, Target] = {
    "azure-native:machinelearningservices:Workspace": _t(ML, "Workspace", "WorkspaceProperties", "workspaceName"),
    "azure-native:machinelearningservices:MarketplaceSubscription": _t(
        ML, "MarketplaceSubscription", None, "workspaceName", "name"
    ),
    "azure-native:machinelearningservices:ServerlessEndpoint": _t(
        ML, "ServerlessEndpoint", None, "workspaceName", "name"
    ),
    "azure-native:machinelearningservices:OnlineEndpoint": _t(
        ML, "OnlineEndpoint", None, "workspaceName", "endpointName"
    ),
    "azure-native:machinelearningservices:OnlineDeployment": _t(
        ML, "OnlineDeployment", None, "workspaceName", "endpointName", "deploymentName"
    ),
    "azure-native:machinelearningservices:ModelVersion": _t(
        ML, "ModelVersion", None, "workspaceName", "name", "version"
    ),
    "azure-native:machinelearningservices:EnvironmentVersion": _t(
        ML, "EnvironmentVersion", None, "workspaceName", "name", "version"
    ),
    "azure-native:storage:BlobContainer": _t(
        "azure.mgmt.storage.models", "BlobContainer", "ContainerProperties", "accountName", "containerName"
    ),
    "azure-native:storage:StorageAccount": _t(
        "azure.mgmt.storage.models",
        "StorageAccountCreateParameters",
        "StorageAccountPropertiesCreateParameters",
        "accountName",
    ),
    "azure-native:keyvault:Vault": _t("azure.mgmt.keyvault.models", "VaultCreateOrUpdateParameters", None, "vaultName"),
    "azure-native:operationalinsights:Workspace": _t(
        "azure.mgmt.loganalytics.models", "Workspace", "WorkspaceProperties", "workspaceName"
    ),
    "azure-native:containerregistry:Registry": _t(
        "azure.mgmt.containerregistry.models", "Registry", "RegistryProperties", "registryName"
    ),
    "azure-native:applicationinsights:Component": _t(
        "azure.mgmt.applicationinsights.v2020_02_02.models", "ApplicationInsightsComponent", None, "resourceName"
    ),
    "azure-native:authorization:RoleDefinition": Target(
        "azure.mgmt.authorization.v2022_05_01_preview.models",
        "RoleDefinition",
        None,
        frozenset({"scope", "roleDefinitionId"}),
    ),
    "azure-native:authorization:RoleAssignment": Target(
        "azure.mgmt.authorization.v2022_04_01.models",
        "RoleAssignmentCreateParameters",
        None,
        frozenset({"scope", "roleAssignmentName"}),
    ),
    "azure-native:machinelearningservices:ManagedNetworkSettingsRule": _t(
        ML, "OutboundRuleBasicResource", None, "workspaceName", "ruleName"
    ),
    # Networks and private DNS: msrest models with `properties.x` flattened as azure-native does.
    "azure-native:network:VirtualNetwork": _t(NET, "VirtualNetwork", None, "virtualNetworkName"),
    "azure-native:network:Subnet": _t(NET, "Subnet", None, "virtualNetworkName", "subnetName"),
    "azure-native:network:PrivateEndpoint": _t(NET, "PrivateEndpoint", None, "privateEndpointName"),
    "azure-native:network:PrivateDnsZoneGroup": _t(
        NET, "PrivateDnsZoneGroup", None, "privateEndpointName", "privateDnsZoneGroupName"
    ),
    "azure-native:privatedns:PrivateZone": _t(DNS, "PrivateZone", None, "privateZoneName"),
    "azure-native:privatedns:VirtualNetworkLink": _t(
        DNS, "VirtualNetworkLink", None, "privateZoneName", "virtualNetworkLinkName"
    ),
    # Foundry resources: azure-mgmt-cognitiveservices 13.7.0 carries API 2025-06-01, the provider's version.
    "azure-native:cognitiveservices:Account": _t(CS, "Account", None, "accountName"),
    "azure-native:cognitiveservices:Project": _t(CS, "Project", None, "accountName", "projectName"),
    "azure-native:cognitiveservices:Deployment": _t(CS, "Deployment", None, "accountName", "deploymentName"),
    "azure-native:cognitiveservices:RaiPolicy": _t(CS, "RaiPolicy", None, "accountName", "raiPolicyName"),
    # Budgets: azure-mgmt-consumption 11.0.0 carries API 2024-08-01, the provider's version; the scope is in the URL.
    "azure-native:consumption:Budget": _t(
        "azure.mgmt.consumption.models", "Budget", "BudgetProperties", "scope", "budgetName"
    ),
    # Azure Monitor, azure-mgmt-monitor 6.0.2: diagnostic settings 2021-05-01-preview and metric alerts 2018-03-01
    # (the provider's versions); action groups 2023-01-01, the newest with Python models (the provider uses
    # 2024-10-01-preview, whose e-mail and webhook receivers have the same fields). msrest models, `properties.x`
    # flattened as azure-native flattens them.
    "azure-native:monitor:DiagnosticSetting": Target(
        f"{MONITOR}.v2021_05_01_preview.models", "DiagnosticSettingsResource", None, frozenset({"resourceUri", "name"})
    ),
    "azure-native:monitor:MetricAlert": _t(f"{MONITOR}.v2018_03_01.models", "MetricAlertResource", None, "ruleName"),
    "azure-native:monitor:ActionGroup": _t(
        f"{MONITOR}.v2023_01_01.models", "ActionGroupResource", None, "actionGroupName"
    ),
    # Key Vault secrets: the package the vault is checked with (its newest API; the provider's is 2024-11-01).
    "azure-native:keyvault:Secret": _t(
        "azure.mgmt.keyvault.models", "SecretCreateOrUpdateParameters", None, "vaultName", "secretName"
    ),
}


ML_PACKAGE = "azure.ai.ml"


def models_module(name: str) -> types.ModuleType:
    """A models module, imported when first asked for (only the tests that check payloads pay for it).

    azure-ai-ml's generated REST client needs nothing of the package around it, whose `__init__` imports the
    whole SDK (its entities and schemas, over a second per process): the package is registered by its path
    only, without running that `__init__`. No test uses the SDK itself.
    """
    if name.startswith(f"{ML_PACKAGE}.") and ML_PACKAGE not in sys.modules:
        spec = importlib.util.find_spec(ML_PACKAGE)
        assert spec is not None, "azure-ai-ml is in the test group"
        sys.modules[ML_PACKAGE] = importlib.util.module_from_spec(spec)
    return importlib.import_module(name)


def api_version() -> str:
    """The Machine Learning API version the azure-ai-ml models describe (the client's default)."""
    _configuration = models_module("azure.ai.ml._restclient.arm_ml_service._configuration")
    config = _configuration.MachineLearningServicesMgmtClientConfiguration(credential=object(), subscription_id="x")
    return config.api_version


def cognitive_services_api_version() -> str:
    """The Cognitive Services API version the azure-mgmt-cognitiveservices models describe (the client's default)."""
    from azure.mgmt.cognitiveservices._configuration import CognitiveServicesManagementClientConfiguration

    return CognitiveServicesManagementClientConfiguration(credential=object(), subscription_id="x").api_version


def monitor_api_versions() -> dict[str, str]:
    """The API version of each Azure Monitor models module the targets use: the module's own name says it."""
    return {
        token: target.models.split(".")[3].removeprefix("v").replace("_", "-")
        for token, target in TARGETS.items()
        if target.models.startswith(MONITOR)
    }


def consumption_api_version() -> str:
    """The Consumption API version the azure-mgmt-consumption models describe (the client's default)."""
    from azure.mgmt.consumption._configuration import ConsumptionManagementClientConfiguration

    return ConsumptionManagementClientConfiguration(credential=object(), subscription_id="x").api_version


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _namespace(cls: type) -> dict[str, Any]:
    module = importlib.import_module(cls.__module__)
    package = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
    return {**vars(module), "_models": package}


def _is_typespec(cls: type) -> bool:
    return any(base.__module__.endswith("model_base") for base in cls.__mro__[1:])


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and (_is_typespec(annotation) or hasattr(annotation, "_attribute_map"))


def fields(cls: type) -> dict[str, Field]:
    """Normalized name -> field; both the SDK attribute name and the REST name lead to it."""
    found: dict[str, Field] = {}
    if _is_typespec(cls):
        cls({})  # the generated base computes its field table on first instantiation
        hints = typing.get_type_hints(cls, globalns=_namespace(cls))
        for attr, rf in cls._attr_to_rest_field.items():
            field = Field(hints.get(attr), rf._visibility == ["read"])
            found[_key(attr)] = found[_key(rf._rest_name)] = field
        return found
    hints = typing.get_type_hints(cls.__init__, globalns=_namespace(cls))
    package = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
    for attr, spec in cls._attribute_map.items():
        annotation = hints.get(attr)
        if annotation is None:  # read-only fields are not __init__ parameters: use the map's type
            name = spec["type"].strip("[]{}")
            annotation = getattr(package, name, str)
        field = Field(annotation, bool(cls._validation.get(attr, {}).get("readonly")))
        found[_key(attr)] = found[_key(spec["key"].rsplit(".", 1)[-1])] = field
    return found


def _members(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    return [annotation]


def _unsecret(value: Any) -> Any:
    """A recorded secret (`{"secret": value}`, as tools.engine records one) is checked as the value it holds."""
    return _unsecret(value["secret"]) if isinstance(value, dict) and set(value) == {"secret"} else value


def _check_value(annotation: Any, value: Any, path: str) -> list[str]:
    members = _members(annotation)
    models = [m for m in members if _is_model(m)]
    enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
    containers = [m for m in members if typing.get_origin(m) in (dict, list)]
    if models and isinstance(value, dict):
        return check_model(models[0], value, path)
    if enums and isinstance(value, str):
        allowed = {e.value for e in enums[0]}
        if value not in allowed:
            return [f"{path}: {value!r} is not a value of {enums[0].__name__} {sorted(allowed)}"]
        return []
    if containers:
        item_type = typing.get_args(containers[0])[-1]
        value = _unsecret(value)
        items = value.items() if isinstance(value, dict) else enumerate(value or [])
        return [p for key, item in items for p in _check_value(item_type, item, f"{path}[{key}]")]
    return []


def check_model(cls: type, payload: dict[str, Any], path: str) -> list[str]:
    """Property names, writability and enum values of `payload` against model `cls` (and its subtypes)."""
    table = fields(cls)
    # A polymorphic model (OnlineDeploymentProperties) is checked as the subtype its discriminator names.
    mapping = getattr(cls, "__mapping__", None) or {}
    if mapping and _is_typespec(cls):
        discriminator = next((rf._rest_name for rf in cls._attr_to_rest_field.values() if rf._is_discriminator), None)
        if discriminator and payload.get(discriminator) in mapping:
            cls = mapping[payload[discriminator]]
            table = fields(cls)
    # msrest names its subtypes by a discriminator's value (metric alert criteria: `odata.type`, `criterionType`).
    for attr, subtypes in (getattr(cls, "_subtype_map", None) or {}).items():
        given = next((v for k, v in payload.items() if _key(k) == _key(attr)), None)
        if isinstance(given, str) and given in subtypes:
            cls = getattr(importlib.import_module(cls.__module__.rsplit(".", 1)[0]), subtypes[given])
            table = fields(cls)
    problems: list[str] = []
    for key, value in payload.items():
        where = f"{path}.{key}"
        value = _unsecret(value)
        field = table.get(_key(key))
        if field is None:
            problems.append(f"{where}: no such property in {cls.__name__}")
        elif field.readonly:
            problems.append(f"{where}: read-only in {cls.__name__}")
        else:
            problems += _check_value(field.annotation, value, where)
            problems += _length(cls, key, value, where)
    return problems


def _length(cls: type, key: str, value: Any, where: str) -> list[str]:
    """msrest's `_validation` bounds of a text field (an action group's 12-character short name)."""
    rules = next((r for a, r in (getattr(cls, "_validation", None) or {}).items() if _key(a) == _key(key)), {})
    limit = rules.get("max_length")
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return [f"{where}: {len(value)} characters; {cls.__name__} takes at most {limit}"]
    return []


def check_resource(type_token: str, inputs: dict[str, Any]) -> list[str]:
    """Problems with a registered resource's inputs, [] when every name, value and field is allowed."""
    target = TARGETS[type_token]
    models = models_module(target.models)
    envelope = getattr(models, target.envelope)
    body = {k: v for k, v in inputs.items() if k not in target.path}
    if target.flattened is None:
        return check_model(envelope, body, type_token)
    top_names = set(fields(envelope))
    top = {k: v for k, v in body.items() if _key(k) in top_names and _key(k) != "properties"}
    rest = {k: v for k, v in body.items() if k not in top}
    return check_model(envelope, top, type_token) + check_model(
        getattr(models, target.flattened), rest, f"{type_token}.properties"
    )
