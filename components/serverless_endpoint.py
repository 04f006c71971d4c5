"""A pay-as-you-go serverless endpoint serving one Llama model, with Azure AI Content Safety."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.options import component_options, named_child, type_token


class ServerlessEndpointArgs(TypedDict):
    """Inputs of a `ServerlessEndpoint`."""

    endpoint_name: pulumi.Input[str]
    """Endpoint name; part of the URL, unique per region across Azure."""
    model_id: pulumi.Input[str]
    """Registry model id without a version (azureml://registries/azureml-meta/models/<model>)."""
    project_name: pulumi.Input[str]
    """Project (workspace) the endpoint is deployed in."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the project."""
    location: pulumi.Input[str]
    """Region of the project."""
    marketplace_subscription_id: NotRequired[pulumi.Input[str]]
    """The project's Marketplace subscription to the model's offer: the endpoint is created after it and deleted
    before it. Left out for models sold directly by Azure."""
    content_safety: NotRequired[pulumi.Input[bool]]
    """Azure AI Content Safety on prompts and completions (default true, Microsoft's default and ours)."""
    auth_mode: NotRequired[pulumi.Input[str]]
    """Key (default), AAD or KeyAndAAD."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of the endpoint."""


class ServerlessEndpoint(pulumi.ComponentResource):
    """A `ServerlessEndpoint`, its inference URI and its keys (as secrets)."""

    resource_id: pulumi.Output[str]
    """Resource id of the serverless endpoint."""
    name: pulumi.Output[str]
    """Azure name of the endpoint."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the project."""
    inference_uri: pulumi.Output[str]
    """Base URI the service assigns; clients append the API route."""
    primary_key: pulumi.Output[str]
    """Secret."""
    secondary_key: pulumi.Output[str]
    """Secret."""

    def __init__(self, name: str, args: ServerlessEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            type_token("ServerlessEndpoint"),
            name,
            None,
            component_options(opts, "llama-on-azure:ai:ServerlessEndpoint"),
        )
        safety = pulumi.Output.from_input(args.get("content_safety", True)).apply(
            lambda on: ml.ContentSafetyStatus.ENABLED if on is not False else ml.ContentSafetyStatus.DISABLED
        )
        # Waiting on the subscription's id makes the endpoint depend on it, also when the id arrives from
        # another language through the component package: create after it, delete before it.
        subscription = args.get("marketplace_subscription_id")
        after = None if subscription is None else [pulumi.Output.from_input(subscription).apply(lambda _: None)]
        endpoint = ml.ServerlessEndpoint(
            f"{name}-endpoint",
            name=args["endpoint_name"],
            workspace_name=args["project_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=ml.SkuArgs(name="Consumption"),
            properties=ml.ServerlessEndpointPropertiesArgs(
                auth_mode=args.get("auth_mode", ml.ServerlessInferenceEndpointAuthMode.KEY),
                model_settings=ml.ModelSettingsArgs(model_id=args["model_id"]),
                content_safety=ml.ContentSafetyArgs(content_safety_status=safety),
            ),
            tags=args.get("tags") or {},
            opts=named_child(self, depends_on=after),
        )
        # The provider does not mark list* results secret; the keys are wrapped where they are read.
        keys = ml.list_serverless_endpoint_keys_output(
            name=endpoint.name,
            workspace_name=args["project_name"],
            resource_group_name=args["resource_group_name"],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.resource_id = endpoint.id
        self.name = endpoint.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.inference_uri = endpoint.properties.apply(
            lambda p: p.inference_endpoint.uri if p and p.inference_endpoint else None
        )
        self.primary_key = pulumi.Output.secret(keys.primary_key)
        self.secondary_key = pulumi.Output.secret(keys.secondary_key)
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "inferenceUri": self.inference_uri,
                "primaryKey": self.primary_key,
                "secondaryKey": self.secondary_key,
            }
        )
