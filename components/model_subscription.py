"""The project's Azure Marketplace subscription to one Llama offer."""

from typing import TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.options import component_options, named_child, type_token


class ModelSubscriptionArgs(TypedDict):
    """Inputs of a `ModelSubscription`."""

    subscription_name: pulumi.Input[str]
    """Name of the Marketplace subscription; one per project and offer."""
    model_id: pulumi.Input[str]
    """The offer's registry model id without a version (azureml://registries/azureml-meta/models/<model>)."""
    project_name: pulumi.Input[str]
    """Project (workspace) that owns the subscription: each project has its own, per offer."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the project."""


class ModelSubscription(pulumi.ComponentResource):
    """A `MarketplaceSubscription`: it accepts the offer's terms and tracks the project's spend on it."""

    resource_id: pulumi.Output[str]
    """Resource id of the Marketplace subscription; a serverless endpoint that takes it waits for it."""
    name: pulumi.Output[str]
    """Name of the Marketplace subscription."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the project."""

    def __init__(self, name: str, args: ModelSubscriptionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            type_token("ModelSubscription"), name, None, component_options(opts, "llama-on-azure:ai:ModelSubscription")
        )
        subscription = ml.MarketplaceSubscription(
            f"{name}-offer",
            name=args["subscription_name"],
            workspace_name=args["project_name"],
            resource_group_name=args["resource_group_name"],
            # The subscription names the model without a version: it is for the offer, not a build.
            properties=ml.MarketplaceSubscriptionPropertiesArgs(model_id=args["model_id"]),
            opts=named_child(self),
        )
        self.resource_id = subscription.id
        self.name = subscription.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
