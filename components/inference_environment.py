"""A serving environment of a workspace: the container image a managed deployment runs, with its inference routes."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml
from pulumi_azure_native import storage

from components.options import component_options, named_child, type_token

BUILD_CONTAINER = "llama-build-{version}"
"""The blob container of the workspace's storage account holding one environment version's build context: one per
environment, so two environments never manage (and one destroy never deletes) the same container."""


class InferenceEnvironmentArgs(TypedDict):
    """Inputs of an `InferenceEnvironment`; either `image` or `build_files` (and the storage account to put them in)."""

    environment_name: pulumi.Input[str]
    """Required. Name of the environment in the workspace."""
    version: pulumi.Input[str]
    """Required. Version of the environment: versions are immutable, so a new image or build context is a new one."""
    workspace_name: pulumi.Input[str]
    """Required. The workspace (a hub's project) the environment belongs to."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the workspace."""
    port: pulumi.Input[int]
    """Required. The port the server listens on; Azure ML probes and forwards requests to it."""
    health_path: pulumi.Input[str]
    """Required. Liveness and readiness route (vLLM: /health, 503 until the model is loaded)."""
    scoring_path: pulumi.Input[str]
    """Required. The route Azure ML shows as the endpoint's scoring URI."""
    image: NotRequired[pulumi.Input[str]]
    """Conditional. A prebuilt image to run as it is; required when build_files is left out."""
    build_files: NotRequired[Mapping[str, str]]
    """Conditional. File name -> content of a Docker build context (with a Dockerfile) Azure ML builds into the
    workspace's container registry; required when image is left out."""
    storage_account_name: NotRequired[pulumi.Input[str]]
    """Conditional. The workspace's storage account, where the build context is uploaded (with build_files)."""
    blob_endpoint: NotRequired[pulumi.Input[str]]
    """Conditional. That account's blob endpoint (https://<account>.blob.<cloud suffix>/), with build_files."""
    description: NotRequired[pulumi.Input[str]]
    """Optional. Shown in the portal."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of the environment."""


class InferenceEnvironment(pulumi.ComponentResource):
    """An `EnvironmentVersion` with an inference config, built by Azure ML from a context this component uploads, or
    running a prebuilt image."""

    resource_id: pulumi.Output[str]
    """Resource id of the environment version, what a deployment's environment_id takes."""
    name: pulumi.Output[str]
    """Name of the environment."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the workspace."""

    def __init__(self, name: str, args: InferenceEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("InferenceEnvironment"), name, None, component_options(opts))
        if ("image" in args) == ("build_files" in args):
            raise ValueError("InferenceEnvironment takes image or build_files, exactly one of them")
        uploads: list[pulumi.Resource] = []
        source = {"image": args["image"]} if "image" in args else {"build": self._build_context(name, args, uploads)}
        route = {"port": args["port"]}
        environment = ml.EnvironmentVersion(
            f"{name}-environment",
            name=args["environment_name"],
            version=args["version"],
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            properties=ml.EnvironmentVersionPropertiesArgs(
                description=args.get("description", "Meta Llama serving container (llama-on-azure)"),
                os_type=ml.OperatingSystemType.LINUX,
                auto_rebuild=ml.AutoRebuildSetting.DISABLED,
                inference_config=ml.InferenceContainerPropertiesArgs(
                    liveness_route=ml.RouteArgs(path=args["health_path"], **route),
                    readiness_route=ml.RouteArgs(path=args["health_path"], **route),
                    scoring_route=ml.RouteArgs(path=args["scoring_path"], **route),
                ),
                tags=args.get("tags") or {},
                **source,
            ),
            # Azure ML reads the build context when the version is created: the files go up first.
            opts=named_child(self, depends_on=uploads),
        )
        self.resource_id = environment.id
        self.name = environment.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )

    def _build_context(
        self, name: str, args: InferenceEnvironmentArgs, uploads: list[pulumi.Resource]
    ) -> ml.BuildContextArgs:
        """Uploads the build context to the workspace's storage; Azure ML builds it into the workspace's registry."""
        container = storage.BlobContainer(
            f"{name}-build",
            container_name=pulumi.Output.from_input(args["version"]).apply(
                lambda v: BUILD_CONTAINER.format(version=v.lower())
            ),
            account_name=args["storage_account_name"],
            resource_group_name=args["resource_group_name"],
            public_access=storage.PublicAccess.NONE,
            opts=named_child(self),
        )
        prefix = pulumi.Output.concat(args["environment_name"], "/", args["version"])
        for file_name, content in sorted(args["build_files"].items()):
            blob = storage.Blob(
                f"{name}-{file_name.lower().replace('.', '-')}",
                account_name=args["storage_account_name"],
                container_name=container.name,
                resource_group_name=args["resource_group_name"],
                blob_name=pulumi.Output.concat(prefix, "/", file_name),
                source=pulumi.StringAsset(content),
                type=storage.BlobType.BLOCK,
                opts=named_child(self),
            )
            uploads.append(blob)
        endpoint = pulumi.Output.from_input(args["blob_endpoint"]).apply(lambda e: e.rstrip("/") if e else e)
        return ml.BuildContextArgs(
            context_uri=pulumi.Output.concat(endpoint, "/", container.name, "/", prefix, "/"),
            dockerfile_path="Dockerfile",
        )
