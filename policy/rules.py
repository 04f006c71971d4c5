"""The llama-on-azure CrossGuard policies: what a reviewer would otherwise check by hand in every preview."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
ONLINE_ENDPOINT = f"{ML}:OnlineEndpoint"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
BUDGET = "azure-native:consumption:Budget"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
STACK = "pulumi:pulumi:Stack"
COST_ESTIMATE = "costEstimate"
"""The stack output the program prices from its catalog (infra/cost.py): the pack cannot price anything itself."""

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
KEY_LIKE = (
    r"[0-9a-fA-F]{32,}"
    r"|(?=[^/]*[0-9])(?=[^/]*[a-z])(?=[^/]*[A-Z])(?!/)[A-Za-z0-9+/]{32,}={0,2}"
    r"|(?=.*_)(?=.*[0-9])(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9_-]{32,}={0,2}"
)
"""What a key looks like: 32 or more hex characters (Foundry keys), or base64 of as many with digits and both
cases (online endpoint keys), standard or URL-safe; not a name with dashes, a GUID nor a resource id."""
KEY_VAULT_REFERENCE = re.compile(
    r"https://[A-Za-z0-9-]{3,24}\.vault\.[a-z.]+/secrets/[0-9A-Za-z-]{1,127}(/[0-9a-f]{32})?"
)
"""A Key Vault secret's URI (`endpointKeySecrets`): where a credential is, for readers Azure lets in; not one itself."""

OMITTED = "<omitted>"
"""A test case's value that removes the property."""


@dataclass(frozen=True)
class Case:
    """One generated test of a rule: the baseline with one change must violate it (and only it)."""

    value: Any = OMITTED
    path: str | None = None
    """The property changed; by default the one the rule reads."""
    config: dict[str, Any] | None = None
    """The rule's settings for this case."""
    type: str | None = None
    """Analyze the resource as this type token instead (a preview API module)."""


Check = Callable[[str, Mapping[str, Any], dict[str, Any]], list[str]]
"""(resource type, props, config) -> messages; one violation per message."""
Validate = Callable[[StackValidationArgs, ReportViolation, dict[str, Any]], None]


@dataclass(frozen=True)
class Rule:
    """One policy, declared once: what it judges, what it reads, how strict it is, what it mirrors and the cases
    that must violate it (tests/policy/test_rules.py generates one test per case from a real baseline)."""

    id: str
    description: str
    level: EnforcementLevel
    """The pack's level; a stack's policy config may change it (policy/config/<stack>.json)."""
    mirrors: str
    """The Azure Policy, PSRule or Checkov rule it mirrors, or why none does."""
    types: tuple[str, ...] | None = None
    """The azure-native type tokens it judges; None: every resource (a stack policy: the whole stack)."""
    reads: str | None = None
    """The property path it reads (camelCase, as the engine and policies see it)."""
    check: Check | None = None
    validate: Validate | None = None
    """A stack policy: judges the resources together."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Configurable values and their defaults; each becomes a config schema property."""
    schema: dict[str, dict[str, Any]] = field(default_factory=dict)
    """More of a setting's JSON schema than its default shows (a regular expression's format)."""
    cases: tuple[Case, ...] = ()
    only: Callable[[Mapping[str, Any]], bool] | None = None
    """Judges only the resources of its types this holds for (a hub, not a project that inherits its network)."""

    def policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        description = f"{self.description} [mirrors: {self.mirrors}]"
        schema = _schema(self.settings, self.schema)
        if self.validate is not None:
            return StackValidationPolicy(
                name=self.id,
                description=description,
                validate=self._stack,
                enforcement_level=self.level,
                config_schema=schema,
            )
        return ResourceValidationPolicy(
            name=self.id,
            description=description,
            validate=self._resource,
            enforcement_level=self.level,
            config_schema=schema,
        )

    def config(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        return {**self.settings, **dict(given or {})}

    def _resource(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if self.types is not None and args.resource_type not in self.types:
            return
        if self.only is not None and not self.only(args.props):
            return
        assert self.check is not None
        for message in self.check(args.resource_type, args.props, self.config(args.get_config())):
            report(message)

    def _stack(self, args: StackValidationArgs, report: ReportViolation) -> None:
        assert self.validate is not None
        self.validate(args, report, self.config(args.get_config()))


def _schema(settings: dict[str, Any], extra: dict[str, dict[str, Any]]) -> PolicyConfigSchema | None:
    if not settings:
        return None
    kinds = {list: "array", int: "integer", str: "string", dict: "object"}
    return PolicyConfigSchema(
        properties={k: {"type": kinds[type(v)], "default": v, **extra.get(k, {})} for k, v in settings.items()}
    )


def lookup(props: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`properties.authMode`), a secret's value unwrapped; None where a part is missing."""
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value.value if isinstance(value, Secret) else value


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
    # A project inherits network settings from its hub; only the hub carries them.
    return lookup(props, "kind") == "Hub" or (lookup(props, "kind") != "Project" and not lookup(props, "hubResourceId"))


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


_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _names_a_secret(name: str, words: list[str]) -> bool:
    """Whether an output's name ends in a word that names a credential: `endpointKeys`, `apiKey`, `adminPassword`;
    never `monkey`, `tokenizer`, `keystone` or `secretary`, whose words are none of them."""
    found = [w.lower() for w in _WORD.findall(name)]
    wanted = {w.lower() for w in words} | {w.lower() + "s" for w in words}
    return bool(found) and found[-1] in wanted


def _secret_outputs(args: StackValidationArgs, report: ReportViolation, config: dict[str, Any]) -> None:
    """Outputs are judged by what they are: a value that looks like a key, or anything under an output the program
    names for a credential, must be marked secret. Names of endpoints (user data) play no part."""
    try:
        looks_like_key = re.compile(config["keyPattern"])
    except (re.error, TypeError) as err:
        # The Pulumi CLI checks the setting as a Go regular expression only: Python may still refuse it (`\z`).
        report(f"policy config stack-output-secrets.keyPattern is not a Python regular expression ({err}): fix it")
        return
    for resource in args.resources:
        if resource.resource_type != STACK:
            continue
        for name in resource.props:
            credential = _names_a_secret(str(name), config["words"])
            for path, leaf in _walk(resource.props, name, name):
                if leaf is None or isinstance(leaf, Secret):
                    continue
                if credential and not (isinstance(leaf, str) and KEY_VAULT_REFERENCE.fullmatch(leaf)):
                    report(
                        f"stack output {path} carries a credential but is not a secret: wrap it in pulumi.Output.secret"
                    )
                elif isinstance(leaf, str) and looks_like_key.fullmatch(leaf):
                    report(f"stack output {path} looks like a key but is not a secret: wrap it in pulumi.Output.secret")


def _one_serverless_per_model(args: StackValidationArgs, report: ReportViolation, _config: dict[str, Any]) -> None:
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


# Where each type a private endpoint reaches says its public network access (a hub's projects use the hub's).
PUBLIC_ACCESS = {
    STORAGE: "publicNetworkAccess",
    VAULT: "properties.publicNetworkAccess",
    REGISTRY: "publicNetworkAccess",
    WORKSPACE: "publicNetworkAccess",
    FOUNDRY_ACCOUNT: "properties.publicNetworkAccess",
}


def _closed_without_endpoint(args: StackValidationArgs, report: ReportViolation, _config: dict[str, Any]) -> None:
    reached = {
        dependency.urn
        for resource in args.resources
        if resource.resource_type == PRIVATE_ENDPOINT
        for dependency in resource.property_dependencies.get("privateLinkServiceConnections", [])
    }
    for resource in args.resources:
        path = PUBLIC_ACCESS.get(resource.resource_type)
        if path is None or lookup(resource.props, path) != "Disabled" or resource.urn in reached:
            continue
        if resource.resource_type == WORKSPACE and not _is_hub(resource.props):
            continue
        report(
            f"{resource.name}: {path} is Disabled and no private endpoint of the stack reaches it, so nothing could "
            "connect to it; set llama-on-azure:network.private (the stack creates them), or turn this policy off "
            "where the landing zone adds them",
            resource.urn,
        )


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


def _content_filter_floor(args: StackValidationArgs, report: ReportViolation, config: dict[str, Any]) -> None:
    policies = _rai_policies(args)
    for resource in args.resources:
        if resource.resource_type == FOUNDRY_DEPLOYMENT:
            for problem in _deployment_filter(resource.props, policies, config):
                report(f"model deployment {resource.name}: {problem}", resource.urn)


def _money(value: Any) -> str:
    return f"{float(value):,.2f}"


def _cost_estimate(args: StackValidationArgs) -> Mapping[str, Any] | None:
    for resource in args.resources:
        if resource.resource_type == STACK:
            estimate = _known(resource.props, COST_ESTIMATE)
            return estimate if isinstance(estimate, Mapping) else None
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _budget_covers_estimate(args: StackValidationArgs, report: ReportViolation, _config: dict[str, Any]) -> None:
    """The fixed monthly estimate the stack exports against the amount of each budget it registers."""
    budgets = [r for r in args.resources if r.resource_type == BUDGET]
    estimate = _cost_estimate(args) if budgets else None
    fixed = _number(lookup(estimate, "monthly.fixed")) if estimate is not None else None
    if fixed is None:
        return
    currency = lookup(estimate, "currency") or ""
    shares = []
    for name, figures in (lookup(estimate, "deployments") or {}).items():
        share = _number(lookup(figures, "fixed")) if isinstance(figures, Mapping) else None
        if share:
            shares.append((share, str(name)))
    platform = fixed - sum(share for share, _ in shares)
    parts = [f"{name} {_money(share)}" for share, name in sorted(shares, key=lambda s: (-s[0], s[1]))]
    if platform >= 0.005:
        parts.append(f"the platform (hub, Foundry resource) {_money(platform)}")
    unknown = [str(u) for u in lookup(estimate, "monthly.unknownFixed") or []]
    for budget in budgets:
        amount = _number(_known(budget.props, "amount"))
        if amount is None or fixed <= amount:
            continue
        message = (
            f"the fixed monthly estimate {_money(fixed)} {currency} (prices as of {lookup(estimate, 'asOf')}) exceeds "
            f"the budget of {_money(amount)}: {', '.join(parts) or 'no deployment'}"
        )
        if unknown:
            message += f"; not counted, price unknown: {', '.join(unknown)}"
        report(message + "; raise budget.amount or deploy less", budget.urn)


DIAGNOSED_BY = {
    FOUNDRY_DEPLOYMENT: ("accountName", "accounts", "Foundry resource"),
    ONLINE_DEPLOYMENT: ("endpointName", "onlineEndpoints", "online endpoint"),
}
"""A deployment's requests are logged and measured by what it belongs to: (the input naming it, its collection in the
deployment's id, what Azure calls it). A serverless endpoint has no diagnostic settings to check."""


def _deployments_have_diagnostics(args: StackValidationArgs, report: ReportViolation, _config: dict[str, Any]) -> None:
    """Each deployment's Foundry resource or online endpoint is watched by a diagnostic setting of the stack."""
    watched, watched_ids = set(), set()
    for resource in args.resources:
        if resource.resource_type == DIAGNOSTIC_SETTING:
            watched |= {d.urn for d in resource.property_dependencies.get("resourceUri", [])}
            uri = _known(resource.props, "resourceUri")
            if uri:
                watched_ids.add(str(uri).lower())
    for resource in args.resources:
        if resource.resource_type not in DIAGNOSED_BY:
            continue
        key, collection, what = DIAGNOSED_BY[resource.resource_type]
        parents = resource.property_dependencies.get(key, [])
        ids = {str(_known(p.props, "id") or "").lower() for p in parents}
        # After apply a stack policy sees outputs: the parent is the start of the deployment's own id.
        own = re.match(rf"(.*/{collection}/[^/]+)/deployments/", str(_known(resource.props, "id") or ""), re.I)
        if own:
            ids.add(own.group(1).lower())
        if any(p.urn in watched for p in parents) or ids & watched_ids:
            continue
        report(
            f"{resource.name}: no diagnostic setting of the stack watches its {what}, so its requests, errors and "
            "latency are logged nowhere; set llama-on-azure:monitoring.diagnostics: true (the default)",
            resource.urn,
        )


def _rule(
    id: str, description: str, level: EnforcementLevel, mirrors: str, types: tuple[str, ...] | None, **more: Any
) -> Rule:
    return Rule(id, description, level, mirrors, types, **more)


def _must(
    id: str,
    description: str,
    level: EnforcementLevel,
    mirrors: str,
    types: tuple[str, ...],
    path: str,
    expected: Any,
    what: str,
    wrong: Any,
) -> Rule:
    """A rule that a property has one value: omitted or `wrong` violates it."""
    check = _must_be(path, expected, what)
    return Rule(id, description, level, mirrors, types, path, check, cases=(Case(wrong), Case()))


def _allowed(
    id: str,
    description: str,
    level: EnforcementLevel,
    mirrors: str,
    types: tuple[str, ...],
    path: str,
    setting: str,
    allowed: list[Any],
    what: str,
    cases: tuple[Case, ...],
    only: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Rule:
    """A rule that a property is one of a configurable list."""
    check = _one_of(path, setting, what)
    return Rule(
        id, description, level, mirrors, types, path, check, settings={setting: allowed}, cases=cases, only=only
    )


RULES: tuple[Rule, ...] = (
    _must(
        "serverless-content-safety",
        "Serverless Llama endpoints run with Azure AI Content Safety enabled.",
        MANDATORY,
        "how-to: serverless Llama is always protected by Azure AI Content Safety (no built-in rule)",
        (SERVERLESS,),
        "properties.contentSafety.contentSafetyStatus",
        "Enabled",
        "Azure AI Content Safety",
        "Disabled",
    ),
    _allowed(
        "serverless-auth-mode",
        "Serverless endpoints authenticate with a key or Entra ID.",
        MANDATORY,
        "no built-in rule; ARM allows Key, AAD, KeyAndAAD",
        (SERVERLESS,),
        "properties.authMode",
        "allowedAuthModes",
        ["Key", "AAD", "KeyAndAAD"],
        "endpoint authentication",
        (Case("None"), Case(), Case("Key", config={"allowedAuthModes": ["AAD"]})),
    ),
    _allowed(
        "serverless-region",
        "Serverless Llama endpoints are placed where pay-as-you-go Llama is offered.",
        MANDATORY,
        "Microsoft's serverless region availability for Llama; Azure Policy 'Allowed locations'",
        (SERVERLESS,),
        "location",
        "allowedRegions",
        FACTS["serverlessRegions"],
        "regions offering pay-as-you-go Llama",
        (Case("westeurope"), Case()),
    ),
    _rule(
        "managed-min-instances",
        "Managed online deployments run enough instances to survive an instance failure.",
        ADVISORY,
        "Microsoft: at least 3 instances for production online deployments",
        (ONLINE_DEPLOYMENT,),
        reads="sku.capacity",
        check=_min_instances,
        settings={"minInstances": 3},
        cases=(Case(1), Case(), Case(3, config={"minInstances": 4})),
    ),
    _allowed(
        "managed-vm-sku-allowed",
        "Managed online deployments use an approved VM SKU.",
        MANDATORY,
        "Azure Policy 'Allowed virtual machine size SKUs' (for ML online deployments)",
        (ONLINE_DEPLOYMENT,),
        "properties.instanceType",
        "allowedVmSkus",
        FACTS["gpuVmSkus"],
        "approved VM SKUs",
        (Case("Standard_F4s_v2"), Case()),
    ),
    _rule(
        "managed-request-timeout",
        "Managed online deployments set a request timeout suited to text generation.",
        MANDATORY,
        "Llama samples: request_timeout 180 s (the SDK's 5 s default fails long generations)",
        (ONLINE_DEPLOYMENT,),
        reads="properties.requestSettings.requestTimeout",
        check=_request_timeout,
        settings={"maxSeconds": FACTS["maxRequestTimeoutSeconds"]},
        cases=(Case(), Case(path="properties.requestSettings"), Case("PT5M"), Case("soon")),
    ),
    _rule(
        "workspace-managed-identity",
        "AI Studio hubs and projects have a managed identity.",
        MANDATORY,
        "PSRule Azure.AML.UserManagedIdentity (identity present; system-assigned accepted)",
        (WORKSPACE,),
        reads="identity.type",
        check=_identity,
        cases=(Case("None"), Case(), Case(path="identity")),
    ),
    _allowed(
        "workspace-public-network-access",
        "AI Studio hubs restrict public network access as configured.",
        ADVISORY,
        "Azure Policy 'Azure Machine Learning Workspaces should disable public network access'; PSRule "
        "Azure.AML.PublicAccess; Checkov CKV_AZURE_144",
        (WORKSPACE,),
        "publicNetworkAccess",
        "allowed",
        ["Disabled"],
        "public network access",
        (Case("Enabled", config={"allowed": ["Disabled"]}), Case()),
        only=_is_hub,
    ),
    _allowed(
        "workspace-isolation-mode",
        "AI Studio hubs use a managed network isolation mode allowed by configuration.",
        ADVISORY,
        "Azure Policy 'Azure Machine Learning workspaces should use private link'; Checkov CKV2_AZURE_49 "
        "(managed network)",
        (WORKSPACE,),
        "managedNetwork.isolationMode",
        "allowed",
        ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"],
        "managed network isolation",
        (Case("Disabled"), Case(), Case(path="managedNetwork")),
        only=_is_hub,
    ),
    _rule(
        "no-preview-api-versions",
        "Azure resources use stable API versions, not preview ones.",
        MANDATORY,
        "PSRule Azure.Resource.AvoidPreviewAPI",
        None,
        check=_no_preview,
        cases=(Case(None, path="", type="azure-native:storage/v20230101preview:StorageAccount"),),
    ),
    _must(
        "storage-https-only",
        "Storage accounts accept HTTPS only.",
        MANDATORY,
        "Azure Policy 'Secure transfer to storage accounts should be enabled'; PSRule Azure.Storage.SecureTransfer; "
        "Checkov CKV_AZURE_3",
        (STORAGE,),
        "enableHttpsTrafficOnly",
        True,
        "secure transfer",
        False,
    ),
    _allowed(
        "storage-min-tls",
        "Storage accounts require TLS 1.2 or later.",
        MANDATORY,
        "Azure Policy 'Storage accounts should have the specified minimum TLS version'; PSRule Azure.Storage.MinTLS; "
        "Checkov CKV_AZURE_44",
        (STORAGE,),
        "minimumTlsVersion",
        "allowed",
        ["TLS1_2", "TLS1_3"],
        "minimum TLS version",
        (Case("TLS1_0"), Case()),
    ),
    _must(
        "storage-no-public-blob",
        "Storage accounts forbid anonymous public blob access.",
        MANDATORY,
        "Azure Policy 'Storage account public access should be disallowed'; PSRule Azure.Storage.BlobPublicAccess; "
        "Checkov CKV_AZURE_190",
        (STORAGE,),
        "allowBlobPublicAccess",
        False,
        "anonymous blob access",
        True,
    ),
    _must(
        "keyvault-soft-delete",
        "Key vaults keep deleted secrets recoverable (soft delete).",
        MANDATORY,
        "Azure Policy 'Key vaults should have soft delete enabled'; PSRule Azure.KeyVault.SoftDelete; Checkov "
        "CKV_AZURE_111",
        (VAULT,),
        "properties.enableSoftDelete",
        True,
        "soft delete",
        False,
    ),
    _must(
        "keyvault-purge-protection",
        "Key vaults cannot be purged before their retention ends.",
        MANDATORY,
        "Azure Policy 'Key vaults should have deletion protection enabled'; PSRule Azure.KeyVault.PurgeProtect; "
        "Checkov CKV_AZURE_110",
        (VAULT,),
        "properties.enablePurgeProtection",
        True,
        "purge protection",
        False,
    ),
    _must(
        "keyvault-rbac",
        "Key vaults authorize data access with Azure RBAC, not access policies.",
        MANDATORY,
        "Azure Policy 'Azure Key Vault should use RBAC permission model'",
        (VAULT,),
        "properties.enableRbacAuthorization",
        True,
        "RBAC authorization",
        False,
    ),
    _must(
        "acr-admin-disabled",
        "Container registries have the admin user disabled.",
        MANDATORY,
        "Azure Policy 'Container registries should have local admin account disabled'; PSRule Azure.ACR.AdminUser; "
        "Checkov CKV_AZURE_137",
        (REGISTRY,),
        "adminUserEnabled",
        False,
        "admin user",
        True,
    ),
    _rule(
        "appinsights-workspace",
        "Application Insights is backed by a Log Analytics workspace.",
        MANDATORY,
        "Azure Policy 'Azure Monitor Logs for Application Insights should be linked to a Log Analytics workspace'; "
        "PSRule Azure.AppInsights.Workspace",
        (INSIGHTS,),
        reads="workspaceResourceId",
        check=_app_insights,
        cases=(Case(), Case("")),
    ),
    _rule(
        "required-tags",
        "Azure resources carry the required tags.",
        MANDATORY,
        "Azure Policy 'Require a tag on resources'",
        None,
        reads="tags",
        check=_tags,
        settings={"tags": ["environment", "managed-by"]},
        cases=(
            Case(path="tags.environment"),
            Case(),
            Case(path="tags.owner", config={"tags": ["owner", "costCenter"]}),
        ),
    ),
    _must(
        "foundry-local-auth-disabled",
        "Foundry resources accept Entra ID only: keys bypass Azure RBAC.",
        ADVISORY,
        "Azure Policy 'Azure AI Services resources should have key access disabled (disable local authentication)'; "
        "PSRule Azure.Cognitive.DisableLocalAuth; Checkov CKV_AZURE_236",
        (FOUNDRY_ACCOUNT,),
        "properties.disableLocalAuth",
        True,
        "key auth off",
        False,
    ),
    _allowed(
        "foundry-public-network-access",
        "Foundry resources restrict public network access as configured.",
        ADVISORY,
        "Azure Policy 'Azure AI Services resources should restrict network access'; "
        "PSRule Azure.Cognitive.PublicAccess; Checkov CKV_AZURE_134",
        (FOUNDRY_ACCOUNT,),
        "properties.publicNetworkAccess",
        "allowed",
        ["Disabled"],
        "public network access",
        (Case("Enabled"), Case(), Case("Disabled", config={"allowed": ["Enabled"]})),
    ),
    _allowed(
        "storage-public-network-access",
        "Storage accounts restrict public network access as configured.",
        ADVISORY,
        "Azure Policy 'Storage accounts should disable public network access'; PSRule Azure.Storage.Firewall; "
        "Checkov CKV_AZURE_59",
        (STORAGE,),
        "publicNetworkAccess",
        "allowed",
        ["Disabled"],
        "public network access; Azure's default when unset is Enabled",
        (Case("Enabled"), Case()),
    ),
    _allowed(
        "keyvault-public-network-access",
        "Key vaults restrict public network access as configured.",
        ADVISORY,
        "Azure Policy 'Azure Key Vault should disable public network access'; PSRule Azure.KeyVault.Firewall; "
        "Checkov CKV_AZURE_189",
        (VAULT,),
        "properties.publicNetworkAccess",
        "allowed",
        ["Disabled"],
        "public network access; Azure's default when unset is Enabled",
        (Case("Enabled"), Case()),
    ),
    _allowed(
        "registry-public-network-access",
        "Container registries restrict public network access as configured.",
        ADVISORY,
        "Azure Policy 'Container registries should not allow unrestricted network access'; "
        "PSRule Azure.ACR.Firewall; Checkov CKV_AZURE_139",
        (REGISTRY,),
        "publicNetworkAccess",
        "allowed",
        ["Disabled"],
        "public network access; Azure's default when unset is Enabled",
        (Case("Enabled"), Case()),
    ),
    _allowed(
        "online-endpoint-public-network-access",
        "Managed online endpoints take scoring requests only as configured (Disabled: through the hub's private "
        "endpoint).",
        ADVISORY,
        "Azure Policy 'Azure Machine Learning Workspaces should disable public network access' (its endpoints); "
        "no rule of PSRule or Checkov for online endpoints",
        (ONLINE_ENDPOINT,),
        "properties.publicNetworkAccess",
        "allowed",
        ["Disabled"],
        "public network access; Azure's default when unset is Enabled",
        (Case("Enabled"), Case()),
    ),
    _rule(
        "foundry-managed-identity",
        "Foundry resources and projects have a managed identity.",
        MANDATORY,
        "PSRule Azure.Cognitive.ManagedIdentity; Checkov CKV_AZURE_238",
        (FOUNDRY_ACCOUNT, FOUNDRY_PROJECT),
        reads="identity.type",
        check=_identity,
        cases=(Case("None"), Case(), Case(path="identity")),
    ),
    _must(
        "foundry-no-auto-upgrade",
        "Foundry model deployments keep their pinned model version.",
        ADVISORY,
        "no built-in rule: a pinned model version changes only with the stack (versionUpgradeOption NoAutoUpgrade)",
        (FOUNDRY_DEPLOYMENT,),
        "properties.versionUpgradeOption",
        "NoAutoUpgrade",
        "no automatic model version upgrade",
        "OnceCurrentVersionExpired",
    ),
    # Stack policies: they judge resources together; their tests build the stacks they need.
    _rule(
        "foundry-content-filter",
        "Foundry model deployments are filtered by a content filter policy no weaker than the configured floor.",
        MANDATORY,
        "Microsoft's default guardrails for Foundry Models (no built-in rule "
        "checks a deployment's content filter against a floor)",
        None,
        validate=_content_filter_floor,
        # The floor: Microsoft's default thresholds (a catalog fact) and Prompt Shields against jailbreaks.
        settings={"maxSeverity": FACTS["defaultContentFilter"]["thresholds"], "requiredFilters": ["Jailbreak"]},
    ),
    _rule(
        "serverless-one-per-model",
        "A project has at most one serverless deployment per model.",
        MANDATORY,
        "how-to: one serverless deployment per model per project (service limit)",
        None,
        validate=_one_serverless_per_model,
    ),
    _rule(
        "private-endpoint-for-closed-resources",
        "A resource whose public network access is off is reached by a private endpoint of the stack.",
        ADVISORY,
        "Azure Policy 'Configure ... to use private DNS zones' and '... should use private link' (a resource closed "
        "with no private endpoint cannot be used; no built-in rule checks the pair)",
        None,
        validate=_closed_without_endpoint,
    ),
    _rule(
        "budget-covers-estimate",
        "The stack's fixed monthly cost estimate fits within the budget it sets.",
        ADVISORY,
        "no built-in rule: Azure budgets only notify, after the money is spent; Infracost policies compare an "
        "estimate with a limit before it is",
        None,
        validate=_budget_covers_estimate,
    ),
    _rule(
        "deployments-have-diagnostics",
        "Each model deployment's Foundry resource or online endpoint sends its logs and metrics through a diagnostic "
        "setting of the stack.",
        ADVISORY,
        "Azure Policy 'Diagnostic logs in Azure AI services resources should be enabled' (1b4d1c4e-934c-4703-944c-"
        "27c82c06bebb) and the built-in 'Enable logging by category group' policies (no rule joins a deployment to "
        "its parent's setting)",
        None,
        validate=_deployments_have_diagnostics,
    ),
    _rule(
        "stack-output-secrets",
        "Stack outputs that carry a credential, or look like a key, are secrets.",
        MANDATORY,
        "no built-in rule: keys must never be stored or printed in plain text",
        None,
        validate=_secret_outputs,
        settings={"words": ["key", "secret", "password", "token", "connectionString"], "keyPattern": KEY_LIKE},
        schema={"keyPattern": {"format": "regex"}},
    ),
)
"""Every rule of the pack, each declared once."""
POLICIES = [rule.policy() for rule in RULES]


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
