"""A Log Analytics workspace: where diagnostic settings send logs and metrics when no hub's workspace is there."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import operationalinsights

from components.options import component_options, named_child, type_token

MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 30, 730


class LogAnalyticsWorkspaceArgs(TypedDict):
    """Inputs of a `LogAnalyticsWorkspace`."""

    workspace_name: pulumi.Input[str]
    """Required. Name of the workspace, unique within the resource group."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the workspace."""
    location: pulumi.Input[str]
    """Required. Region of the workspace."""
    retention_days: NotRequired[pulumi.Input[int]]
    """Optional. Days the workspace keeps data, 30 (default) to 730; each table may keep its own."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of the workspace; default none."""


class LogAnalyticsWorkspace(pulumi.ComponentResource):
    """A pay-as-you-go (PerGB2018) Log Analytics workspace."""

    resource_id: pulumi.Output[str]
    """Resource id of the workspace: what a diagnostic setting's workspaceId takes."""
    name: pulumi.Output[str]
    """Name of the workspace."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the workspace."""

    def __init__(self, name: str, args: LogAnalyticsWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        retention = args.get("retention_days", MIN_RETENTION_DAYS)
        if isinstance(retention, int) and not MIN_RETENTION_DAYS <= retention <= MAX_RETENTION_DAYS:
            raise ValueError(
                f"LogAnalyticsWorkspace retention_days: {retention} is not allowed; "
                f"{MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}"
            )
        super().__init__(type_token("LogAnalyticsWorkspace"), name, None, component_options(opts))
        workspace = operationalinsights.Workspace(
            f"{name}-workspace",
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=operationalinsights.WorkspaceSkuArgs(name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018),
            retention_in_days=retention,
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
        self.resource_id = workspace.id
        self.name = workspace.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
