"""The project of a hub (Foundry classic): a workspace bound to the hub, where endpoints live."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.options import component_options, named_child, type_token


class AiProjectArgs(TypedDict):
    """Inputs of an `AiProject`."""

    project_name: pulumi.Input[str]
    """Name of the project workspace."""
    hub_id: pulumi.Input[str]
    """Resource id of the hub the project belongs to."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the hub; the project lives beside it."""
    location: pulumi.Input[str]
    """Region of the hub: a project is always in its hub's region."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of the project workspace."""


class AiProject(pulumi.ComponentResource):
    """A project (`Workspace` of kind `Project`); it inherits storage, connections and network from its hub."""

    resource_id: pulumi.Output[str]
    """Resource id of the project workspace."""
    name: pulumi.Output[str]
    """Name of the project workspace."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the project."""

    def __init__(self, name: str, args: AiProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("AiProject"), name, None, component_options(opts, "llama-on-azure:ai:Project"))
        project = ml.Workspace(
            f"{name}-workspace",
            workspace_name=args["project_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind="Project",
            hub_resource_id=args["hub_id"],
            friendly_name=pulumi.Output.concat("Llama project ", args["project_name"]),
            description="Meta Llama endpoints (llama-on-azure)",
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
        self.resource_id = project.id
        self.name = project.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
