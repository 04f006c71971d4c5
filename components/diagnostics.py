"""Diagnostic settings: a resource's logs and metrics, and its sub-resources', sent to a Log Analytics workspace."""

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import monitor

from catalog import monitoring
from components.options import component_options, named_child, type_token

DEDICATED = "Dedicated"
"""logAnalyticsDestinationType for resource-specific tables; left out, logs go to AzureDiagnostics."""


class DiagnosticTargetArgs(TypedDict):
    """One resource of a `DiagnosticSettings` and what its setting sends."""

    resource_id: pulumi.Input[str]
    """Required. The resource, or a sub-resource such as `<storage account id>/blobServices/default`."""
    suffix: NotRequired[str]
    """Optional. Tells this target's setting apart among the component's children (`blob`); default none."""
    log_categories: NotRequired[Sequence[str]]
    """Optional. Log categories to send; default none."""
    log_category_groups: NotRequired[Sequence[str]]
    """Optional. Category groups to send (allLogs, audit), never with log_categories; default none."""
    metric_categories: NotRequired[Sequence[str]]
    """Optional. Metric categories to send (AllMetrics, or Transaction for storage); default none."""
    dedicated: NotRequired[bool]
    """Optional. Resource-specific tables where the type has them (default false: the AzureDiagnostics table)."""


class DiagnosticSettingsArgs(TypedDict):
    """Inputs of a `DiagnosticSettings`."""

    setting_name: pulumi.Input[str]
    """Required. Name of each setting, unique among a resource's settings (Azure allows five per resource)."""
    workspace_id: pulumi.Input[str]
    """Required. Resource id of the Log Analytics workspace the settings send to."""
    targets: Sequence[DiagnosticTargetArgs]
    """Required. The resources, at least one, each with what its setting sends."""


def _validate(args: DiagnosticSettingsArgs) -> None:
    """What Azure refuses, checked before anything is registered."""
    if not args["targets"]:
        raise ValueError("DiagnosticSettings targets: empty; give at least one resource")
    suffixes = [t.get("suffix", "") for t in args["targets"]]
    if len(set(suffixes)) < len(suffixes):
        raise ValueError(f"DiagnosticSettings targets: suffixes {suffixes} repeat; give each target its own")
    for i, target in enumerate(args["targets"]):
        where = f"DiagnosticSettings targets[{i}]"
        groups, categories = target.get("log_category_groups") or [], target.get("log_categories") or []
        if groups and categories:
            raise ValueError(f"{where}: category groups and categories together; Azure takes one or the other")
        unknown = [g for g in groups if g not in monitoring.CATEGORY_GROUPS]
        if unknown:
            allowed = ", ".join(monitoring.CATEGORY_GROUPS)
            raise ValueError(f"{where}.log_category_groups: {unknown[0]!r} is not allowed; {allowed}")
        if not (groups or categories or target.get("metric_categories")):
            raise ValueError(f"{where}: sends nothing; give logs, metrics or both")


class DiagnosticSettings(pulumi.ComponentResource):
    """Diagnostic settings of a resource and its sub-resources, each sending to one Log Analytics workspace."""

    resource_ids: pulumi.Output[list[str]]
    """Resource ids of the settings, one per target."""
    name: pulumi.Output[str]
    """Name of the settings."""
    workspace_id: pulumi.Output[str]
    """The workspace they send to."""

    def __init__(self, name: str, args: DiagnosticSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(args)
        super().__init__(type_token("DiagnosticSettings"), name, None, component_options(opts))
        settings = [self._setting(name, args, target) for target in args["targets"]]
        self.resource_ids = pulumi.Output.all(*[s.id for s in settings])
        self.name = pulumi.Output.from_input(args["setting_name"])
        self.workspace_id = pulumi.Output.from_input(args["workspace_id"])
        self.register_outputs({"resourceIds": self.resource_ids, "name": self.name, "workspaceId": self.workspace_id})

    def _setting(self, name: str, args: DiagnosticSettingsArgs, target: DiagnosticTargetArgs) -> Any:
        suffix = target.get("suffix")
        groups, categories = target.get("log_category_groups") or [], target.get("log_categories") or []
        logs = [monitor.DiagnosticsLogSettingsArgs(enabled=True, category_group=g) for g in groups]
        logs += [monitor.DiagnosticsLogSettingsArgs(enabled=True, category=c) for c in categories]
        # No retention policy: retention in a setting is disabled since 2025-09-30; the workspace keeps the data.
        return monitor.DiagnosticSetting(
            f"{name}-diag-{suffix}" if suffix else f"{name}-diag",
            name=args["setting_name"],
            resource_uri=target["resource_id"],
            workspace_id=args["workspace_id"],
            log_analytics_destination_type=DEDICATED if target.get("dedicated") and logs else None,
            logs=logs or None,
            metrics=[
                monitor.DiagnosticsMetricSettingsArgs(enabled=True, category=c)
                for c in target.get("metric_categories") or []
            ]
            or None,
            # A setting is named per resource: a new one of the same name must wait for the old one to go.
            opts=named_child(self),
        )
