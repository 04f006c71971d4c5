"""catalog.monitoring: every fact names a known source, and the facts agree with each other and with Azure's rules."""

import pytest

from catalog import monitoring
from catalog.sources import SOURCES

TYPES = [t for types in monitoring.RESOURCES.values() for t in types]
METRICS = [v for v in vars(monitoring).values() if isinstance(v, monitoring.Metric)]


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.resource_type)
def test_each_resource_type_sends_what_azure_takes(kind):
    assert kind.source in SOURCES
    assert set(kind.groups) <= set(monitoring.CATEGORY_GROUPS)
    assert kind.metrics, "every type here has a metric category"
    assert kind.metrics == (monitoring.ALL_METRICS,) or kind.resource_type.startswith("Microsoft.Storage/")
    # A setting takes groups or categories, never both: the default is one or the other, of this type.
    defaults = set(kind.default_logs)
    assert defaults <= set(kind.groups) or defaults <= set(kind.categories)
    assert not (defaults & set(kind.groups) and defaults & set(kind.categories))
    assert bool(kind.categories) == bool(kind.default_logs), "a type with logs sends them by default"


def test_online_endpoints_take_all_logs_but_no_audit_group():
    # The built-in policies' table: onlineEndpoints "Yes | No" [diagnostic-policy-groups].
    assert monitoring.ONLINE_ENDPOINT.groups == (monitoring.ALL_LOGS,)
    assert monitoring.log_names("onlineEndpoints")[0] == "allLogs"


def test_storage_logs_are_the_services_and_the_account_has_metrics_only():
    assert monitoring.STORAGE_ACCOUNT.categories == () and monitoring.STORAGE_ACCOUNT.metrics == ("Transaction",)
    assert monitoring.log_names("storage") == ("StorageDelete", "StorageRead", "StorageWrite")
    assert {t.resource_type.rsplit("/", 1)[1] for t in monitoring.STORAGE_SERVICES.values()} == {
        "blobServices", "fileServices", "queueServices", "tableServices"
    }  # fmt: skip


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_each_alerted_metric_is_a_sourced_fact(metric):
    assert metric.source in SOURCES
    assert metric.aggregation in ("Average", "Minimum", "Maximum", "Total", "Count")
    assert metric.namespace.startswith("Microsoft.")


def test_per_deployment_metrics_carry_the_deployment_dimension():
    assert "ModelDeploymentName" in monitoring.MODEL_REQUESTS.dimensions
    assert "StatusCode" in monitoring.MODEL_REQUESTS.dimensions
    assert "ModelDeploymentName" in monitoring.TIME_TO_LAST_BYTE.dimensions
    assert {"deployment", "statusCode", "statusCodeClass"} <= set(monitoring.ENDPOINT_REQUESTS.dimensions)


@pytest.mark.parametrize("window", monitoring.WINDOW_MINUTES)
def test_every_window_has_an_allowed_frequency_no_longer_than_itself(window):
    frequency = monitoring.frequency_for(window)
    assert frequency in monitoring.FREQUENCY_MINUTES and frequency <= window
    assert monitoring.iso_minutes(window) in ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "PT24H")


def test_log_tables_name_their_sources():
    for table in monitoring.LOG_TABLES.values():
        assert table.source in SOURCES and "TimeGenerated" in table.columns
        assert not set(table.unconfirmed) & set(table.columns)
