"""A model deployment on a Foundry resource: one pinned model version, its deployment type and capacity."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import cognitiveservices as cs

from catalog import content_filters, models
from components.options import component_options, named_child, type_token


class FoundryModelDeploymentArgs(TypedDict):
    """Inputs of a `FoundryModelDeployment`."""

    deployment_name: pulumi.Input[str]
    """Name of the deployment, unique within the Foundry resource: clients send it as `model`."""
    account_name: pulumi.Input[str]
    """Name of the Foundry resource (Cognitive Services account)."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the Foundry resource."""
    model_name: pulumi.Input[str]
    """The model as Azure names it, e.g. Llama-4-Maverick-17B-128E-Instruct-FP8."""
    model_version: pulumi.Input[str]
    """The model version deployed, pinned (Azure would otherwise pick its default version)."""
    deployment_type: pulumi.Input[str]
    """The deployment's SKU name, e.g. GlobalStandard."""
    capacity: pulumi.Input[int]
    """Capacity of the deployment type (what the quota counts)."""
    model_format: NotRequired[pulumi.Input[str]]
    """The model format, which names the provider (default Meta)."""
    rai_policy_name: NotRequired[pulumi.Input[str]]
    """Content filter policy (default Microsoft.DefaultV2, Microsoft's default guardrails)."""
    version_upgrade_option: NotRequired[pulumi.Input[cs.DeploymentModelVersionUpgradeOption]]
    """NoAutoUpgrade (default): the pinned version stays until the stack changes it."""
    after_id: NotRequired[pulumi.Input[str]]
    """Resource id of an earlier write on the same Foundry resource: Azure takes one write on an account's
    children at a time, so the deployment is created after it (and deleted before it)."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of the deployment."""


class FoundryModelDeployment(pulumi.ComponentResource):
    """A Cognitive Services `Deployment` of a model sold on Foundry, filtered by a content filter policy."""

    resource_id: pulumi.Output[str]
    """Resource id of the deployment."""
    name: pulumi.Output[str]
    """Name of the deployment: what a client sends as `model`."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the Foundry resource."""

    def __init__(self, name: str, args: FoundryModelDeploymentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("FoundryModelDeployment"), name, None, component_options(opts))
        after = [pulumi.Output.from_input(args["after_id"]).apply(lambda _: None)] if "after_id" in args else None
        deployment = cs.Deployment(
            f"{name}-deployment",
            deployment_name=args["deployment_name"],
            account_name=args["account_name"],
            resource_group_name=args["resource_group_name"],
            sku=cs.SkuArgs(
                name=args["deployment_type"],
                # The component-package host hands integers over as floats.
                capacity=pulumi.Output.from_input(args["capacity"]).apply(int),
            ),
            properties=cs.DeploymentPropertiesArgs(
                model=cs.DeploymentModelArgs(
                    format=args.get("model_format", models.META_FORMAT),
                    name=args["model_name"],
                    version=args["model_version"],
                ),
                rai_policy_name=args.get("rai_policy_name", content_filters.MICROSOFT_DEFAULT_CONTENT_FILTER.name),
                version_upgrade_option=args.get(
                    "version_upgrade_option", cs.DeploymentModelVersionUpgradeOption.NO_AUTO_UPGRADE
                ),
            ),
            tags=args.get("tags") or {},
            opts=named_child(self, depends_on=after),
        )
        self.resource_id = deployment.id
        self.name = deployment.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
