"""A pay-as-you-go serverless endpoint serving one Llama model, with Azure AI Content Safety."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.catalog import LlamaModel
from components.model_subscription import ModelSubscription


@dataclass
class ServerlessEndpointArgs:
    """Inputs of a `ServerlessLlamaEndpoint`."""

    endpoint_name: str
    """Endpoint name; it becomes part of the URL and must be unique in the region."""
    model: LlamaModel
    """The model the endpoint serves."""
    subscription: ModelSubscription
    """The project's Marketplace subscription to the model's offer."""
    project_name: pulumi.Input[str]
    """Project (workspace) the endpoint is deployed in."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the project."""
    location: str
    """Region of the project."""
    content_safety: bool = True
    """Azure AI Content Safety on prompts and completions; Microsoft's default and ours."""
    auth_mode: ml.ServerlessInferenceEndpointAuthMode = ml.ServerlessInferenceEndpointAuthMode.KEY
    """Key auth: Entra ID was not supported for serverless Llama, so key is the safe default."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags of the endpoint."""


class ServerlessLlamaEndpoint(pulumi.ComponentResource):
    """A `ServerlessEndpoint`, its inference URI and its keys (as secrets)."""

    endpoint_name: pulumi.Output[str]
    inference_uri: pulumi.Output[str]
    """Base URI the service assigns; clients append the API route."""
    primary_key: pulumi.Output[str]
    """Secret."""
    secondary_key: pulumi.Output[str]
    """Secret."""

    def __init__(self, name: str, args: ServerlessEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llama-on-azure:ai:ServerlessEndpoint", name, None, opts)
        status = ml.ContentSafetyStatus.ENABLED if args.content_safety else ml.ContentSafetyStatus.DISABLED
        endpoint = ml.ServerlessEndpoint(
            f"{name}-endpoint",
            name=args.endpoint_name,
            workspace_name=args.project_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=ml.SkuArgs(name="Consumption"),
            properties=ml.ServerlessEndpointPropertiesArgs(
                auth_mode=args.auth_mode,
                model_settings=ml.ModelSettingsArgs(model_id=args.model.asset_id),
                content_safety=ml.ContentSafetyArgs(content_safety_status=status),
            ),
            tags=dict(args.tags),
            # An endpoint is unusable without its subscription: create after it, delete before it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.subscription.subscription]),
        )
        # The provider does not mark list* results secret; the keys are wrapped where they are read.
        keys = ml.list_serverless_endpoint_keys_output(
            name=endpoint.name,
            workspace_name=args.project_name,
            resource_group_name=args.resource_group_name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.endpoint_name = endpoint.name
        self.inference_uri = endpoint.properties.apply(
            lambda p: p.inference_endpoint.uri if p.inference_endpoint else None
        )
        self.primary_key = pulumi.Output.secret(keys.primary_key)
        self.secondary_key = pulumi.Output.secret(keys.secondary_key)
        self.register_outputs(
            {
                "endpointName": self.endpoint_name,
                "inferenceUri": self.inference_uri,
                "primaryKey": self.primary_key,
                "secondaryKey": self.secondary_key,
            }
        )
