"""A Foundry project: the workspace of a Foundry resource where teams build on its model deployments."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import cognitiveservices as cs

from components.options import component_options, named_child, type_token


class FoundryProjectArgs(TypedDict):
    """Inputs of a `FoundryProject`."""

    project_name: pulumi.Input[str]
    """Name of the project, unique within its Foundry resource."""
    account_name: pulumi.Input[str]
    """Name of the Foundry resource (Cognitive Services account) the project belongs to."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the Foundry resource."""
    location: pulumi.Input[str]
    """Region of the Foundry resource: a project is always in its resource's region."""
    description: NotRequired[pulumi.Input[str]]
    """Shown in the Foundry portal."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of the project."""


class FoundryProject(pulumi.ComponentResource):
    """A Cognitive Services `Project` with a system-assigned identity."""

    resource_id: pulumi.Output[str]
    """Resource id of the project."""
    name: pulumi.Output[str]
    """Name of the project."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the project."""

    def __init__(self, name: str, args: FoundryProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("FoundryProject"), name, None, component_options(opts))
        project = cs.Project(
            f"{name}-project",
            project_name=args["project_name"],
            account_name=args["account_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            identity=cs.IdentityArgs(type=cs.ResourceIdentityType.SYSTEM_ASSIGNED),
            properties=cs.ProjectPropertiesArgs(
                display_name=args["project_name"],
                description=args.get("description", "Meta Llama model deployments (llama-on-azure)"),
            ),
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
        self.resource_id = project.id
        self.name = project.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
