"""The llama-on-azure CrossGuard policies: what a reviewer would otherwise check by hand in every preview."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

# The catalog facts the defaults below use, shipped with the pack (tools/policy_facts.py writes them).
FACTS: dict[str, Any] = json.loads((Path(__file__).resolve().parent / "facts.json").read_text())

PACK_NAME = "llama-on-azure-policies"
ML = "azure-native:machinelearningservices"
WORKSPACE = f"{ML}:Workspace"
SERVERLESS = f"{ML}:ServerlessEndpoint"
ONLINE_DEPLOYMENT = f"{ML}:OnlineDeployment"
STORAGE = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
REGISTRY = "azure-native:containerregistry:Registry"
INSIGHTS = "azure-native:applicationinsights:Component"
CS = "azure-native:cognitiveservices"
FOUNDRY_ACCOUNT = f"{CS}:Account"
FOUNDRY_PROJECT = f"{CS}:Project"
FOUNDRY_DEPLOYMENT = f"{CS}:Deployment"
RAI_POLICY = f"{CS}:RaiPolicy"
STACK = "pulumi:pulumi:Stack"

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

# Which rule of Azure Policy (built-in display name), PSRule for Azure or Checkov each policy mirrors.
MIRRORS: dict[str, str] = {
    "serverless-content-safety": "how-to: serverless Llama is always protected by Azure AI Content Safety "
    "(no built-in rule)",
    "serverless-auth-mode": "no built-in rule; ARM allows Key, AAD, KeyAndAAD",
    "serverless-region": "Microsoft's serverless region availability for Llama; Azure Policy 'Allowed locations'",
    "serverless-one-per-model": "how-to: one serverless deployment per model per project (service limit)",
    "managed-min-instances": "Microsoft: at least 3 instances for production online deployments",
    "managed-vm-sku-allowed": "Azure Policy 'Allowed virtual machine size SKUs' (for ML online deployments)",
    "managed-request-timeout": "Llama samples: request_timeout 180 s (the SDK's 5 s default fails long generations)",
    "workspace-managed-identity": "PSRule Azure.AML.UserManagedIdentity (identity present; system-assigned accepted)",
    "workspace-public-network-access": "Azure Policy 'Azure Machine Learning Workspaces should disable public "
    "network access'; PSRule Azure.AML.PublicAccess; Checkov CKV_AZURE_144",
    "workspace-isolation-mode": "Azure Policy 'Azure Machine Learning workspaces should use private link'; "
    "Checkov CKV2_AZURE_49 (managed network)",
    "no-preview-api-versions": "PSRule Azure.Resource.AvoidPreviewAPI",
    "storage-https-only": "Azure Policy 'Secure transfer to storage accounts should be enabled'; "
    "PSRule Azure.Storage.SecureTransfer; Checkov CKV_AZURE_3",
    "storage-min-tls": "Azure Policy 'Storage accounts should have the specified minimum TLS version'; "
    "PSRule Azure.Storage.MinTLS; Checkov CKV_AZURE_44",
    "storage-no-public-blob": "Azure Policy 'Storage account public access should be disallowed'; "
    "PSRule Azure.Storage.BlobPublicAccess; Checkov CKV_AZURE_190",
    "keyvault-soft-delete": "Azure Policy 'Key vaults should have soft delete enabled'; "
    "PSRule Azure.KeyVault.SoftDelete; Checkov CKV_AZURE_111",
    "keyvault-purge-protection": "Azure Policy 'Key vaults should have deletion protection enabled'; "
    "PSRule Azure.KeyVault.PurgeProtect; Checkov CKV_AZURE_110",
    "keyvault-rbac": "Azure Policy 'Azure Key Vault should use RBAC permission model'",
    "acr-admin-disabled": "Azure Policy 'Container registries should have local admin account disabled'; "
    "PSRule Azure.ACR.AdminUser; Checkov CKV_AZURE_137",
    "appinsights-workspace": "Azure Policy 'Azure Monitor Logs for Application Insights should be linked to a "
    "Log Analytics workspace'; PSRule Azure.AppInsights.Workspace",
    "required-tags": "Azure Policy 'Require a tag on resources'",
    "stack-output-secrets": "no built-in rule: keys must never be stored or printed in plain text",
    "foundry-local-auth-disabled": "Azure Policy 'Azure AI Services resources should have key access disabled "
    "(disable local authentication)'; PSRule Azure.Cognitive.DisableLocalAuth; Checkov CKV_AZURE_236",
    "foundry-public-network-access": "Azure Policy 'Azure AI Services resources should restrict network access'; "
    "PSRule Azure.Cognitive.PublicAccess; Checkov CKV_AZURE_134",
    "foundry-managed-identity": "PSRule Azure.Cognitive.ManagedIdentity; Checkov CKV_AZURE_238",
    "foundry-content-filter": "Microsoft's default guardrails for Foundry Models (no built-in rule checks a "
    "deployment's content filter against a floor)",
    "foundry-no-auto-upgrade": "no built-in rule: a pinned model version changes only with the stack "
    "(versionUpgradeOption NoAutoUpgrade)",
}

# Defaults of every configurable value; `--policy-pack-config` overrides them per policy.
DEFAULTS: dict[str, dict[str, Any]] = {
    "serverless-auth-mode": {"allowedAuthModes": ["Key", "AAD", "KeyAndAAD"]},
    "serverless-region": {"allowedRegions": FACTS["serverlessRegions"]},
    "managed-min-instances": {"minInstances": 3},
    "managed-vm-sku-allowed": {"allowedVmSkus": FACTS["gpuVmSkus"]},
    "managed-request-timeout": {"maxSeconds": FACTS["maxRequestTimeoutSeconds"]},
    "workspace-public-network-access": {"allowed": ["Disabled"]},
    "workspace-isolation-mode": {"allowed": ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"]},
    "storage-min-tls": {"allowed": ["TLS1_2", "TLS1_3"]},
    "required-tags": {"tags": ["environment", "managed-by"]},
    "stack-output-secrets": {"pattern": "(?i)(key|secret|password|token|connectionstring)"},
    "foundry-public-network-access": {"allowed": ["Disabled"]},
    # The floor: Microsoft's default thresholds (a catalog fact) and Prompt Shields against jailbreaks.
    "foundry-content-filter": {
        "maxSeverity": FACTS["defaultContentFilter"]["thresholds"],
        "requiredFilters": ["Jailbreak"],
    },
}

Check = Callable[[str, Mapping[str, Any], dict[str, Any]], list[str]]
"""(resource type, props, config) -> messages; one violation per message."""


def lookup(props: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`properties.authMode`), a secret's value unwrapped; None where a part is missing."""
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value.value if isinstance(value, Secret) else value


def _schema(name: str) -> PolicyConfigSchema | None:
    defaults = DEFAULTS.get(name)
    if not defaults:
        return None
    kinds = {list: "array", int: "integer", str: "string", dict: "object"}
    return PolicyConfigSchema(properties={k: {"type": kinds[type(v)], "default": v} for k, v in defaults.items()})


def _resource_policy(
    name: str, description: str, level: EnforcementLevel, types: tuple[str, ...] | None, check: Check
) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if types is not None and args.resource_type not in types:
            return
        config = {**DEFAULTS.get(name, {}), **dict(args.get_config() or {})}
        for message in check(args.resource_type, args.props, config):
            report(message)

    return ResourceValidationPolicy(
        name=name,
        description=f"{description} [mirrors: {MIRRORS[name]}]",
        validate=validate,
        enforcement_level=level,
        config_schema=_schema(name),
    )


def _must_be(path: str, expected: Any, what: str) -> Check:
    def check(_t: str, props: Mapping[str, Any], _c: dict[str, Any]) -> list[str]:
        value = lookup(props, path)
        if value is None:
            return [f"{path} is not set; set it to {expected!r} ({what})"]
        return [] if value == expected else [f"{path} is {value!r}; it must be {expected!r} ({what})"]

    return check


def _one_of(path: str, config_key: str, what: str, omitted_ok: bool = False) -> Check:
    def check(_t: str, props: Mapping[str, Any], config: dict[str, Any]) -> list[str]:
        value, allowed = lookup(props, path), list(config[config_key])
        if value is None:
            return [] if omitted_ok else [f"{path} is not set; allowed: {', '.join(map(str, allowed))} ({what})"]
        return [] if value in allowed else [f"{path} is {value!r}; allowed: {', '.join(map(str, allowed))} ({what})"]

    return check


def _is_hub(props: Mapping[str, Any]) -> bool:
    return lookup(props, "kind") == "Hub" or (lookup(props, "kind") != "Project" and not lookup(props, "hubResourceId"))


def _hub_only(check: Check) -> Check:
    # A project inherits network settings from its hub; only the hub carries them.
    return lambda t, props, config: check(t, props, config) if _is_hub(props) else []


def _identity(_t: str, props: Mapping[str, Any], _c: dict[str, Any]) -> list[str]:
    kind = lookup(props, "identity.type")
    if not kind or kind == "None":
        return [f"identity.type is {kind!r}; it needs a managed identity (SystemAssigned or UserAssigned)"]
    return []


def _no_preview(type_: str, _p: Mapping[str, Any], _c: dict[str, Any]) -> list[str]:
    module = type_.split(":")[1] if type_.count(":") == 2 else ""
    if "preview" in module.lower():
        return [f"{type_} uses a preview API version ({module.split('/')[-1]}); use the default, stable module"]
    return []


def _min_instances(_t: str, props: Mapping[str, Any], config: dict[str, Any]) -> list[str]:
    count, minimum = lookup(props, "sku.capacity"), int(config["minInstances"])
    if count is None:
        return [f"sku.capacity (instance count) is not set; at least {minimum} recommended"]
    return [] if count >= minimum else [f"instance count is {count}; at least {minimum} recommended for availability"]


def _request_timeout(_t: str, props: Mapping[str, Any], config: dict[str, Any]) -> list[str]:
    if lookup(props, "properties.endpointComputeType") not in (None, "Managed"):
        return []
    timeout, maximum = lookup(props, "properties.requestSettings.requestTimeout"), int(config["maxSeconds"])
    if not timeout:
        return ["properties.requestSettings.requestTimeout is not set; the SDK's 5 s default fails long generations"]
    match = re.fullmatch(r"PT(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", str(timeout))
    if not match or not any(match.groups()):
        return [f"requestTimeout {timeout!r} is not an ISO 8601 duration like PT180S"]
    seconds = int(match.group(1) or 0) * 60 + float(match.group(2) or 0)
    return [] if seconds <= maximum else [f"requestTimeout {timeout} exceeds the {maximum} s maximum"]


def _tags(type_: str, props: Mapping[str, Any], config: dict[str, Any]) -> list[str]:
    # Tracked resources (those with a location) carry tags; proxy resources and components do not.
    if not type_.startswith("azure-native:") or lookup(props, "location") is None:
        return []
    tags = lookup(props, "tags") or {}
    missing = [t for t in config["tags"] if t not in tags]
    return [f"missing required tags: {', '.join(missing)}"] if missing else []


def _app_insights(_t: str, props: Mapping[str, Any], _c: dict[str, Any]) -> list[str]:
    if not lookup(props, "workspaceResourceId"):
        return ["workspaceResourceId is not set; classic (non-workspace) Application Insights is retired"]
    return []


RESOURCE_POLICIES = [
    _resource_policy(
        "serverless-content-safety",
        "Serverless Llama endpoints run with Azure AI Content Safety enabled.",
        MANDATORY,
        (SERVERLESS,),
        _must_be("properties.contentSafety.contentSafetyStatus", "Enabled", "Azure AI Content Safety"),
    ),
    _resource_policy(
        "serverless-auth-mode",
        "Serverless endpoints authenticate with a key or Entra ID.",
        MANDATORY,
        (SERVERLESS,),
        _one_of("properties.authMode", "allowedAuthModes", "endpoint authentication"),
    ),
    _resource_policy(
        "serverless-region",
        "Serverless Llama endpoints are placed where pay-as-you-go Llama is offered.",
        MANDATORY,
        (SERVERLESS,),
        _one_of("location", "allowedRegions", "regions offering pay-as-you-go Llama"),
    ),
    _resource_policy(
        "managed-min-instances",
        "Managed online deployments run enough instances to survive an instance failure.",
        ADVISORY,
        (ONLINE_DEPLOYMENT,),
        _min_instances,
    ),
    _resource_policy(
        "managed-vm-sku-allowed",
        "Managed online deployments use an approved VM SKU.",
        MANDATORY,
        (ONLINE_DEPLOYMENT,),
        _one_of("properties.instanceType", "allowedVmSkus", "approved VM SKUs"),
    ),
    _resource_policy(
        "managed-request-timeout",
        "Managed online deployments set a request timeout suited to text generation.",
        MANDATORY,
        (ONLINE_DEPLOYMENT,),
        _request_timeout,
    ),
    _resource_policy(
        "workspace-managed-identity",
        "AI Studio hubs and projects have a managed identity.",
        MANDATORY,
        (WORKSPACE,),
        _identity,
    ),
    _resource_policy(
        "workspace-public-network-access",
        "AI Studio hubs restrict public network access as configured.",
        ADVISORY,
        (WORKSPACE,),
        _hub_only(_one_of("publicNetworkAccess", "allowed", "public network access")),
    ),
    _resource_policy(
        "workspace-isolation-mode",
        "AI Studio hubs use a managed network isolation mode allowed by configuration.",
        ADVISORY,
        (WORKSPACE,),
        _hub_only(_one_of("managedNetwork.isolationMode", "allowed", "managed network isolation")),
    ),
    _resource_policy(
        "no-preview-api-versions",
        "Azure resources use stable API versions, not preview ones.",
        MANDATORY,
        None,
        _no_preview,
    ),
    _resource_policy(
        "storage-https-only",
        "Storage accounts accept HTTPS only.",
        MANDATORY,
        (STORAGE,),
        _must_be("enableHttpsTrafficOnly", True, "secure transfer"),
    ),
    _resource_policy(
        "storage-min-tls",
        "Storage accounts require TLS 1.2 or later.",
        MANDATORY,
        (STORAGE,),
        _one_of("minimumTlsVersion", "allowed", "minimum TLS version"),
    ),
    _resource_policy(
        "storage-no-public-blob",
        "Storage accounts forbid anonymous public blob access.",
        MANDATORY,
        (STORAGE,),
        _must_be("allowBlobPublicAccess", False, "anonymous blob access"),
    ),
    _resource_policy(
        "keyvault-soft-delete",
        "Key vaults keep deleted secrets recoverable (soft delete).",
        MANDATORY,
        (VAULT,),
        _must_be("properties.enableSoftDelete", True, "soft delete"),
    ),
    _resource_policy(
        "keyvault-purge-protection",
        "Key vaults cannot be purged before their retention ends.",
        MANDATORY,
        (VAULT,),
        _must_be("properties.enablePurgeProtection", True, "purge protection"),
    ),
    _resource_policy(
        "keyvault-rbac",
        "Key vaults authorize data access with Azure RBAC, not access policies.",
        MANDATORY,
        (VAULT,),
        _must_be("properties.enableRbacAuthorization", True, "RBAC authorization"),
    ),
    _resource_policy(
        "acr-admin-disabled",
        "Container registries have the admin user disabled.",
        MANDATORY,
        (REGISTRY,),
        _must_be("adminUserEnabled", False, "admin user"),
    ),
    _resource_policy(
        "appinsights-workspace",
        "Application Insights is backed by a Log Analytics workspace.",
        MANDATORY,
        (INSIGHTS,),
        _app_insights,
    ),
    _resource_policy("required-tags", "Azure resources carry the required tags.", MANDATORY, None, _tags),
    _resource_policy(
        "foundry-local-auth-disabled",
        "Foundry resources accept Entra ID only: keys bypass Azure RBAC.",
        ADVISORY,
        (FOUNDRY_ACCOUNT,),
        _must_be("properties.disableLocalAuth", True, "key auth off"),
    ),
    _resource_policy(
        "foundry-public-network-access",
        "Foundry resources restrict public network access as configured.",
        ADVISORY,
        (FOUNDRY_ACCOUNT,),
        _one_of("properties.publicNetworkAccess", "allowed", "public network access"),
    ),
    _resource_policy(
        "foundry-managed-identity",
        "Foundry resources and projects have a managed identity.",
        MANDATORY,
        (FOUNDRY_ACCOUNT, FOUNDRY_PROJECT),
        _identity,
    ),
    _resource_policy(
        "foundry-no-auto-upgrade",
        "Foundry model deployments keep their pinned model version.",
        ADVISORY,
        (FOUNDRY_DEPLOYMENT,),
        _must_be("properties.versionUpgradeOption", "NoAutoUpgrade", "no automatic model version upgrade"),
    ),
]


def _walk(container: Any, key: Any, path: str) -> list[tuple[str, Any]]:
    """(path, leaf) pairs below container[key]; a Secret is a leaf, a value unknown in preview is skipped."""
    try:
        value = container[key]
    except UnknownValueError:
        return []  # not known until apply: nothing is printed or stored yet
    if isinstance(value, Mapping):
        return [pair for k in value for pair in _walk(value, k, f"{path}.{k}")]
    if isinstance(value, list):
        return [pair for i in range(len(value)) for pair in _walk(value, i, f"{path}[{i}]")]
    return [(path, value)]


def _secret_outputs(args: StackValidationArgs, report: ReportViolation) -> None:
    config = {**DEFAULTS["stack-output-secrets"], **dict(args.get_config() or {})}
    pattern = re.compile(config["pattern"])
    for resource in args.resources:
        if resource.resource_type != STACK:
            continue
        for name in resource.props:
            for path, leaf in _walk(resource.props, name, name):
                if pattern.search(path) and leaf is not None and not isinstance(leaf, Secret):
                    report(f"stack output {path} carries a key but is not a secret: wrap it in pulumi.Output.secret")


def _one_serverless_per_model(args: StackValidationArgs, report: ReportViolation) -> None:
    seen: dict[tuple[Any, Any], str] = {}
    for resource in args.resources:
        if resource.resource_type != SERVERLESS:
            continue
        project = _parent_of(resource.props, "workspaceName", "workspaces")
        key = (project, lookup(resource.props, "properties.modelSettings.modelId"))
        if key in seen:
            report(
                f"serverless endpoints {seen[key]} and {resource.name} both deploy {key[1]} in project {key[0]}; "
                "Azure allows one serverless deployment per model per project",
                resource.urn,
            )
        else:
            seen[key] = resource.name


SEVERITY_RANK = {level: rank for rank, level in enumerate(FACTS["contentFilterSeverities"])}
"""Low (0) blocks the most: a higher rank than the floor's is a weaker filter."""
FILTER_SOURCES = ("Prompt", "Completion")
ASYNCHRONOUS_MODES = ("Deferred", "Asynchronous_filter")


def _known(props: Mapping[str, Any], path: str) -> Any:
    """`_get`, with a value known only after apply read as None."""
    try:
        return lookup(props, path)
    except UnknownValueError:
        return None


def _parent_of(props: Mapping[str, Any], key: str, collection: str) -> str | None:
    # Inputs name the parent (accountName, workspaceName); outputs, what the engine gives a stack policy after
    # apply, carry it only in the resource id (.../accounts/<name>/...).
    name = _known(props, key)
    if not name:
        match = re.search(rf"/{collection}/([^/]+)/", str(_known(props, "id") or ""), re.IGNORECASE)
        name = match.group(1) if match else None
    return str(name).lower() if name else None


def _account_of(props: Mapping[str, Any]) -> str | None:
    return _parent_of(props, "accountName", "accounts")


def _rai_policies(args: StackValidationArgs) -> list[tuple[str | None, str, Mapping[str, Any]]]:
    """(account, policy name, props) of every content filter policy in the stack."""
    found = []
    for resource in args.resources:
        if resource.resource_type == RAI_POLICY:
            props = resource.props
            # An unknown name (a preview) stops the policy: it is reported as not evaluated, never guessed.
            name = lookup(props, "raiPolicyName") if "raiPolicyName" in props else lookup(props, "name")
            if name:
                found.append((_account_of(props), str(name).lower(), props))
    return found


def _default_filters() -> list[dict[str, Any]]:
    """Microsoft's default policy as content filter entries, from the catalog's facts."""
    default = FACTS["defaultContentFilter"]
    entries = [
        {"name": category, "source": source, "severityThreshold": level, "enabled": True, "blocking": True}
        for category, level in default["thresholds"].items()
        for source in FILTER_SOURCES
    ]
    return entries + [{"name": name, "enabled": True, "blocking": True} for name in default["filters"]]


def _entry(filters: Any, name: str, source: str | None = None) -> Mapping[str, Any] | None:
    for entry in filters:
        if str(lookup(entry, "name")).lower() == name.lower() and source in (None, lookup(entry, "source")):
            return entry
    return None


def _below_floor(filters: Any, mode: Any, config: dict[str, Any]) -> list[str]:
    problems = [f"mode {mode}: content is returned before the filters finish"] if mode in ASYNCHRONOUS_MODES else []
    for category, limit in dict(config["maxSeverity"]).items():
        for source in FILTER_SOURCES:
            entry, where = _entry(filters, category, source), f"{category} on {source.lower()}s"
            threshold = lookup(entry, "severityThreshold") if entry is not None else None
            if entry is None:
                problems.append(f"{where} is not set; the floor blocks from {limit}")
            elif not lookup(entry, "enabled") or not lookup(entry, "blocking"):
                problems.append(f"{where} is off or only annotates; the floor blocks from {limit}")
            elif SEVERITY_RANK.get(threshold, len(SEVERITY_RANK)) > SEVERITY_RANK.get(limit, 0):
                problems.append(f"{where} blocks from {threshold}; the floor blocks from {limit}")
    for name in config["requiredFilters"]:
        entry = _entry(filters, name)
        if entry is None or not lookup(entry, "enabled") or not lookup(entry, "blocking"):
            problems.append(f"{name} is not on and blocking")
    return problems


def _deployment_filter(props: Mapping[str, Any], policies: list[Any], config: dict[str, Any]) -> list[str]:
    name, default = lookup(props, "properties.raiPolicyName"), FACTS["defaultContentFilter"]["name"]
    if not name:
        return [f"properties.raiPolicyName is not set: attach {default} or a content filter policy of the stack"]
    if str(name).lower() == default.lower():
        return [f"{default}: {p}" for p in _below_floor(_default_filters(), None, config)]
    account = _account_of(props)
    # The policy must be on the deployment's own account; an account known only after apply matches any.
    same = [p for a, n, p in policies if n == str(name).lower() and (a == account or None in (a, account))]
    if not same:
        return [f"content filter {name!r} is neither {default} nor a content filter policy of its Foundry resource"]
    filters, mode = lookup(same[0], "properties.contentFilters") or [], lookup(same[0], "properties.mode")
    return [f"content filter {name!r}: {p}" for p in _below_floor(filters, mode, config)]


def _content_filter_floor(args: StackValidationArgs, report: ReportViolation) -> None:
    config = {**DEFAULTS["foundry-content-filter"], **dict(args.get_config() or {})}
    policies = _rai_policies(args)
    for resource in args.resources:
        if resource.resource_type == FOUNDRY_DEPLOYMENT:
            for problem in _deployment_filter(resource.props, policies, config):
                report(f"model deployment {resource.name}: {problem}", resource.urn)


STACK_POLICIES = [
    StackValidationPolicy(
        name="foundry-content-filter",
        description="Foundry model deployments are filtered by a content filter policy no weaker than the "
        f"configured floor. [mirrors: {MIRRORS['foundry-content-filter']}]",
        validate=_content_filter_floor,
        enforcement_level=MANDATORY,
        config_schema=_schema("foundry-content-filter"),
    ),
    StackValidationPolicy(
        name="serverless-one-per-model",
        description="A project has at most one serverless deployment per model. "
        f"[mirrors: {MIRRORS['serverless-one-per-model']}]",
        validate=_one_serverless_per_model,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="stack-output-secrets",
        description=f"Stack outputs that carry a key are secrets. [mirrors: {MIRRORS['stack-output-secrets']}]",
        validate=_secret_outputs,
        enforcement_level=MANDATORY,
        config_schema=_schema("stack-output-secrets"),
    ),
]

POLICIES = RESOURCE_POLICIES + STACK_POLICIES


def deserialize_marking_secrets(props: Mapping[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    """The analyzer's deserializer, but secrets become `Secret` values instead of plain ones.

    pulumi-policy's Python analyzer unwraps secrets before policies see them, which would make
    `stack-output-secrets` blind; `__main__.py` installs this in its place. Resource policies read
    props through `_get`, which unwraps a Secret.
    """
    from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, _deserialize_property

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG:
                return Secret(convert(value.get("value")))
            if SPECIAL_SIG_KEY in value:
                return _deserialize_property(value, proxy_secrets)
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in props.items()}
