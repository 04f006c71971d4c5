"""The Azure AI Studio project, a workspace bound to a hub."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components import naming


@dataclass
class AiProjectArgs:
    """Inputs of an `AiProject`."""

    hub_id: pulumi.Input[str]
    """Resource id of the hub the project belongs to."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the hub; the project lives beside it."""
    location: str
    """Region of the hub: a project is always in its hub's region."""
    environment: str
    """Environment name that the project's name carries."""
    prefix: str = "llama"
    """Readable part of the derived name."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags of the project workspace."""


class AiProject(pulumi.ComponentResource):
    """A project (`Workspace` of kind `Project`); it inherits storage, connections and network from its hub."""

    project_id: pulumi.Output[str]
    project_name: pulumi.Output[str]
    resource_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: AiProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llama-on-azure:ai:Project", name, None, opts)
        project = ml.Workspace(
            f"{name}-workspace",
            workspace_name=naming.workspace("proj", args.prefix, args.environment),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="Project",
            hub_resource_id=args.hub_id,
            friendly_name=f"Llama project ({args.environment})",
            description=f"Meta Llama endpoints, environment {args.environment}",
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.project_id = project.id
        self.project_name = project.name
        self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)
        self.register_outputs({"projectId": self.project_id, "projectName": self.project_name})
