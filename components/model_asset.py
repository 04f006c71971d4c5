"""A model version of a workspace: weights the team brings, registered from where they are stored."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.options import component_options, named_child, type_token


class ModelAssetArgs(TypedDict):
    """Inputs of a `ModelAsset`."""

    model_name: pulumi.Input[str]
    """Required. Name of the model in the workspace."""
    version: pulumi.Input[str]
    """Required. Version of the model; versions are immutable, new weights are a new version."""
    model_uri: pulumi.Input[str]
    """Required. Where the weights are: azureml://datastores/<datastore>/paths/<folder>, a job output
    (azureml://jobs/...), or https://<account>.blob.core.windows.net/<container>/<folder>."""
    workspace_name: pulumi.Input[str]
    """Required. The workspace (a hub's project) the model belongs to."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the workspace."""
    model_type: NotRequired[pulumi.Input[str]]
    """Optional. custom_model (default: a folder of Hugging Face-format weights), mlflow_model or triton_model."""
    description: NotRequired[pulumi.Input[str]]
    """Optional. Shown in the portal."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of the model version."""


class ModelAsset(pulumi.ComponentResource):
    """A `ModelVersion` registered from a storage URI, what a managed deployment's model takes."""

    resource_id: pulumi.Output[str]
    """Resource id of the model version."""
    name: pulumi.Output[str]
    """Name of the model."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the workspace."""

    def __init__(self, name: str, args: ModelAssetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("ModelAsset"), name, None, component_options(opts))
        version = ml.ModelVersion(
            f"{name}-model",
            name=args["model_name"],
            version=args["version"],
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            properties=ml.ModelVersionPropertiesArgs(
                model_uri=args["model_uri"],
                model_type=args.get("model_type", "custom_model"),
                description=args.get("description", "Meta Llama weights (llama-on-azure)"),
                tags=args.get("tags") or {},
            ),
            opts=named_child(self),
        )
        self.resource_id = version.id
        self.name = version.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
