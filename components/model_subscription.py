"""The project's Azure Marketplace subscription to one Llama offer."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components import naming
from components.catalog import LlamaModel


@dataclass
class ModelSubscriptionArgs:
    """Inputs of a `ModelSubscription`."""

    model: LlamaModel
    """The Llama model whose Marketplace offer the project subscribes to."""
    project_name: pulumi.Input[str]
    """Project (workspace) that owns the subscription: each project has its own, per offer."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the project."""


class ModelSubscription(pulumi.ComponentResource):
    """A `MarketplaceSubscription`: it signs the offer's terms and tracks the project's spend on it."""

    subscription: ml.MarketplaceSubscription
    """The subscription resource; serverless endpoints depend on it so destroy removes them first."""
    subscription_id: pulumi.Output[str]

    def __init__(self, name: str, args: ModelSubscriptionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llama-on-azure:ai:ModelSubscription", name, None, opts)
        self.subscription = ml.MarketplaceSubscription(
            f"{name}-offer",
            name=naming.marketplace_subscription(args.model.name),
            workspace_name=args.project_name,
            resource_group_name=args.resource_group_name,
            # The subscription names the model without a version: it is for the offer, not a build.
            properties=ml.MarketplaceSubscriptionPropertiesArgs(model_id=args.model.asset_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.subscription_id = self.subscription.id
        self.register_outputs({"subscriptionId": self.subscription_id})
