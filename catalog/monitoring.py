"""Azure Monitor facts: log categories and metric categories per resource type, the metrics alerts watch, log tables."""

from dataclasses import dataclass

# --- Diagnostic settings ---------------------------------------------------------------------------------------------
# A diagnostic setting sends a resource's logs, by category or by category group, and its metrics, by metric category,
# to a destination. Two category groups exist, `allLogs` and `audit`; "if you do use category groups in a diagnostic
# setting, you can't select individual category types"; "Metric categories other than AllMetrics aren't supported,
# except for a limited number of Azure services"; each resource has at most five settings [diagnostic-settings].
# Which types take which group is the built-in policies' table [diagnostic-policy-groups]. Retention in a diagnostic
# setting is deprecated and disabled since 2025-09-30: a Log Analytics workspace keeps each table as long as the
# workspace (or the table) says [diagnostic-retention], so no setting here carries a retention policy.
ALL_LOGS, AUDIT = "allLogs", "audit"
CATEGORY_GROUPS = (ALL_LOGS, AUDIT)
ALL_METRICS = "AllMetrics"
MAX_SETTINGS_PER_RESOURCE = 5
RETENTION_DEPRECATED = "2025-09-30"


@dataclass(frozen=True)
class DiagnosticType:
    """One resource type's diagnostic settings: what it logs, by category and group, and its metric category."""

    resource_type: str
    categories: tuple[str, ...]
    """Log categories (the `category` of a setting); none: the type has metrics only."""
    groups: tuple[str, ...]
    """Category groups it takes; none where the built-in policies' table does not list the type."""
    metrics: tuple[str, ...]
    default_logs: tuple[str, ...]
    """What the stack sends unless `monitoring.logs` says otherwise: a group where the type takes one."""
    dedicated: bool
    """Whether its logs have resource-specific tables (logAnalyticsDestinationType Dedicated), else AzureDiagnostics."""
    source: str
    note: str = ""
    path: str = ""
    """Where a sub-resource's id continues its resource's (`/blobServices/default`); empty for the resource itself."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every value a setting's logs may name: the groups, then the categories."""
        return (*self.groups, *self.categories)


ACCOUNT = DiagnosticType(
    "Microsoft.CognitiveServices/accounts",
    ("Audit", "AzureOpenAIRequestUsage", "RequestResponse", "Trace"),
    CATEGORY_GROUPS,
    (ALL_METRICS,),
    (ALL_LOGS,),
    False,
    "logs-cognitive-accounts",
    # The page of 2026-07-14 shows display names only and adds "Managed Network Events", whose category name is not
    # published: allLogs covers it, a category list cannot name it.
    note="a fifth category, 'Managed Network Events' (2026-07-14), has no published name: allLogs includes it",
)
WORKSPACE = DiagnosticType(
    "Microsoft.MachineLearningServices/workspaces",
    (
        "AmlComputeClusterEvent",
        "AmlComputeClusterNodeEvent",
        "AmlComputeCpuGpuUtilization",
        "AmlComputeJobEvent",
        "AmlRunStatusChangedEvent",
        "ComputeInstanceEvent",
        "DataLabelChangeEvent",
        "DataLabelReadEvent",
        "DataSetChangeEvent",
        "DataSetReadEvent",
        "DataStoreChangeEvent",
        "DataStoreReadEvent",
        "DeploymentEventACI",
        "DeploymentEventAKS",
        "DeploymentReadEvent",
        "EnvironmentChangeEvent",
        "EnvironmentReadEvent",
        "InferencingOperationACI",
        "InferencingOperationAKS",
        "ModelsActionEvent",
        "ModelsChangeEvent",
        "ModelsReadEvent",
        "PipelineChangeEvent",
        "PipelineReadEvent",
        "RunEvent",
        "RunReadEvent",
    ),
    CATEGORY_GROUPS,
    (ALL_METRICS,),
    (ALL_LOGS,),
    True,
    "logs-ml-workspaces",
    note="one type for hubs and projects: which categories a hub emits is not documented",
)
ONLINE_ENDPOINT = DiagnosticType(
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
    ("AmlOnlineEndpointConsoleLog", "AmlOnlineEndpointEventLog", "AmlOnlineEndpointTrafficLog"),
    (ALL_LOGS,),  # allLogs only: the built-in policies' table says no to audit
    (ALL_METRICS,),
    (ALL_LOGS,),
    True,
    "logs-online-endpoints",
)
VAULT = DiagnosticType(
    "Microsoft.KeyVault/vaults",
    ("AuditEvent", "AzurePolicyEvaluationDetails"),
    CATEGORY_GROUPS,
    (ALL_METRICS,),
    (AUDIT,),  # who read which secret; the policy evaluation details cost to export and rarely matter here
    True,
    "logs-key-vault",
)
_STORAGE_CATEGORIES = ("StorageDelete", "StorageRead", "StorageWrite")
# Storage: the account has metrics only; each service (blob, file, queue, table) logs the same three categories to its
# own table. No category group is documented for them, and their metric category is Transaction (Capacity metrics are
# not exported) [logs-storage, metrics-storage].
STORAGE_ACCOUNT = DiagnosticType(
    "Microsoft.Storage/storageAccounts", (), (), ("Transaction",), (), False, "metrics-storage"
)
STORAGE_SERVICES = {
    service: DiagnosticType(
        f"Microsoft.Storage/storageAccounts/{service}Services",
        _STORAGE_CATEGORIES,
        (),
        ("Transaction",),
        _STORAGE_CATEGORIES,
        True,
        "logs-storage",
        path=f"/{service}Services/default",
    )
    for service in ("blob", "file", "queue", "table")
}
REGISTRY = DiagnosticType(
    "Microsoft.ContainerRegistry/registries",
    ("ContainerRegistryLoginEvents", "ContainerRegistryRepositoryEvents"),
    CATEGORY_GROUPS,
    (ALL_METRICS,),
    (ALL_LOGS,),
    True,
    "logs-registry",
)

RESOURCES: dict[str, tuple[DiagnosticType, ...]] = {
    "foundry": (ACCOUNT,),
    "hub": (WORKSPACE,),
    "project": (WORKSPACE,),
    "onlineEndpoints": (ONLINE_ENDPOINT,),
    "keyVault": (VAULT,),
    "storage": (STORAGE_ACCOUNT, *STORAGE_SERVICES.values()),
    "containerRegistry": (REGISTRY,),
}
"""What `monitoring.logs` names -> the resource types whose settings it sets (the storage account and its services).

Not here: serverless endpoints (Microsoft publishes neither logs nor metrics for them and points to Foundry Models for
monitoring [monitor-models]); a Foundry project (its page shows display names, 'Audit Logs' and 'Trace Logs', without
the category names a setting takes [logs-cognitive-projects]); the Log Analytics workspace the settings write to, and
Application Insights, which cannot send to the workspace it is based on [diagnostic-settings]."""


def log_names(resource: str) -> tuple[str, ...]:
    """The category groups and categories a resource's settings may name (those of every type of it that logs)."""
    types = [t for t in RESOURCES[resource] if t.categories]
    first = types[0].names
    return tuple(n for n in first if all(n in t.names for t in types[1:]))


# --- Metrics the alerts watch ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """A platform metric as a metric alert names it: its namespace (the resource type), REST name, aggregation."""

    namespace: str
    name: str
    aggregation: str
    unit: str
    dimensions: tuple[str, ...]
    source: str
    note: str = ""


COGNITIVE = "Microsoft.CognitiveServices/accounts"
ENDPOINTS = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
DEPLOYMENTS = f"{ENDPOINTS}/deployments"
_MODEL_DIMENSIONS = ("ApiName", "OperationName", "Region", "StreamType", "ModelDeploymentName", "ModelName")
# The "Models" metrics cover every model of a Foundry resource, not only OpenAI's; Microsoft recommends them over the
# "Azure OpenAI" ones [monitor-models]. The values of StatusCode are not documented: "429" and the 5xx codes are the
# HTTP status as a text, unconfirmed until a deployment reports them (the metrics explorer lists the values it saw).
MODEL_REQUESTS = Metric(
    COGNITIVE,
    "ModelRequests",
    "Total",
    "Count",
    (*_MODEL_DIMENSIONS, "ModelVersion", "StatusCode", "IsSpillover", "ServiceTierRequest", "ServiceTierResponse"),
    "metrics-cognitive-accounts",
    note="StatusCode values (the HTTP status as text) are not documented",
)
TIME_TO_LAST_BYTE = Metric(
    COGNITIVE,
    "TimeToLastByte",
    "Average",
    "MilliSeconds",
    (*_MODEL_DIMENSIONS, "ModelVersion"),
    "metrics-cognitive-accounts",
    # "Applies to PTU, PTU-managed, and Pay-as-you-go deployments"; TimeToResponse applies to PTU only.
    note="for non-streaming requests an estimate",
)
PROVISIONED_UTILIZATION = Metric(
    COGNITIVE,
    "ProvisionedUtilization",
    "Average",
    "Percent",
    ("Region", "ModelDeploymentName", "ModelName", "ModelVersion"),
    "metrics-cognitive-accounts",
    note="provisioned deployments: at 100% Azure answers 429",
)
INPUT_TOKENS = Metric(
    COGNITIVE,
    "InputTokens",
    "Total",
    "Count",
    ("ApiName", "Region", "ModelDeploymentName", "ModelName", "ModelVersion"),
    "metrics-cognitive-accounts",
)
OUTPUT_TOKENS = Metric(
    COGNITIVE,
    "OutputTokens",
    "Total",
    "Count",
    ("ApiName", "Region", "ModelDeploymentName", "ModelName", "ModelVersion"),
    "metrics-cognitive-accounts",
)
RAI_REJECTED = Metric(
    COGNITIVE,
    "RAIRejectedRequests",
    "Total",
    "Count",
    ("Region", "ModelDeploymentName", "ModelName", "ModelVersion", "ApiName", "TextType", "Category"),
    "metrics-cognitive-accounts",
    note="described as calls 'to Azure OpenAI API rejected by content filter': unconfirmed for Llama deployments",
)
SERVER_ERROR_CODES = ("500", "502", "503", "504")
THROTTLED = "429"
ENDPOINT_REQUESTS = Metric(
    ENDPOINTS,
    "RequestsPerMinute",
    "Average",
    "Count",
    ("deployment", "statusCode", "statusCodeClass", "modelStatusCode"),
    "metrics-online-endpoints",
    note="statusCode and statusCodeClass values (429, 5xx) are not documented",
)
SERVER_ERROR_CLASS = "5xx"
DEPLOYMENT_LATENCY_P95 = Metric(DEPLOYMENTS, "RequestLatency_P95", "Average", "Milliseconds", (), "metrics-deployments")
DEPLOYMENT_CAPACITY = Metric(
    DEPLOYMENTS,
    "DeploymentCapacity",
    "Minimum",
    "Count",
    ("instanceId", "State"),
    "metrics-deployments",
    note="'The number of instances in the deployment'; how its State dimension splits it is not documented",
)
GPU_UTILIZATION = Metric(
    DEPLOYMENTS, "GpuUtilizationPercentage", "Average", "Percent", ("instanceId",), "metrics-deployments"
)

# Static-threshold metric alert rules take these windows and evaluation frequencies (ISO 8601); their location is
# "global" [metric-alert-template]. An action group's location is "Global" and its short name at most 12 characters
# [action-group-template].
WINDOW_MINUTES = (1, 5, 15, 30, 60, 360, 720, 1440)
FREQUENCY_MINUTES = (1, 5, 15, 30, 60)
ALERT_LOCATION = "global"
ACTION_GROUP_LOCATION = "Global"
ACTION_GROUP_SHORT_NAME_MAX = 12


def iso_minutes(minutes: int) -> str:
    return f"PT{minutes // 60}H" if minutes % 60 == 0 else f"PT{minutes}M"


def frequency_for(window: int) -> int:
    """How often a rule with this window is evaluated: every minute for short windows, never more than the window."""
    return max(f for f in FREQUENCY_MINUTES if f <= max(window // 3, 1))


# --- Log tables the README's queries read ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LogTable:
    name: str
    columns: tuple[str, ...]
    source: str
    unconfirmed: tuple[str, ...] = ()
    """Columns a query uses that only a non-Microsoft sample shows."""


LOG_TABLES: dict[str, LogTable] = {
    # A Foundry resource logs to AzureDiagnostics only [logs-cognitive-accounts]; Microsoft's own query projects these
    # columns [monitor-openai]. The RequestResponse record's `properties` (deployment, caller object id) is shown only
    # by a public sample of the same logs (elastic/integrations azure_openai test data), hence unconfirmed.
    "AzureDiagnostics": LogTable(
        "AzureDiagnostics",
        ("TimeGenerated", "_ResourceId", "Category", "OperationName", "DurationMs", "ResultSignature", "properties_s"),
        "monitor-openai",
        unconfirmed=("CallerIPAddress",),
    ),
    # Metrics through a diagnostic setting: "Metrics with dimensions are exported as flattened single-dimensional
    # metrics and aggregated across dimension values" [diagnostic-settings]: per resource, never per deployment.
    "AzureMetrics": LogTable(
        "AzureMetrics",
        ("TimeGenerated", "Resource", "_ResourceId", "MetricName", "Total", "Count", "Average", "Maximum", "UnitName"),
        "table-azure-metrics",
    ),
    "AmlOnlineEndpointTrafficLog": LogTable(
        "AmlOnlineEndpointTrafficLog",
        (
            "TimeGenerated",
            "EndpointName",
            "DeploymentName",
            "AuthType",
            "IdentityData",
            "UserAgent",
            "Method",
            "Path",
            "ResponseCode",
            "ResponseCodeReason",
            "ModelStatusCode",
            "ModelStatusReason",
            "TotalDurationMs",
            "RequestDurationMs",
            "ResponseDurationMs",
            "RequestPayloadSize",
            "ResponsePayloadSize",
            "XRequestId",
        ),
        "table-online-endpoint-traffic",
    ),
}
