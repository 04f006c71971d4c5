"""`kind: managed`: managed online deployments of a registry model on GPU VMs the subscription pays for."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pulumi
from pydantic import Field
from pydantic.alias_generators import to_camel

from catalog import containers, endpoints, limits, models, monitoring, prices, rbac, sources, vm_skus
from catalog.tokens import ML_TYPES
from clients.arm import ArmError
from clients.errors import UserError
from clients.status import Status
from components.inference_environment import InferenceEnvironment, InferenceEnvironmentArgs
from components.managed_endpoint import ManagedOnlineDeploymentArgs, ManagedOnlineEndpoint, ManagedOnlineEndpointArgs
from components.model_asset import ModelAsset, ModelAssetArgs
from infra import naming
from infra.config.types import (
    REGISTRY_RULE,
    VERSION,
    EndpointName,
    ModelVersion,
    RegistryVersion,
    Section,
    Switch,
    choices,
    cross_key,
    has_value,
    key_for,
    text_type,
)
from infra.kinds.base import (
    AlertRule,
    Billing,
    CallSpec,
    Check,
    CostLine,
    Deployment,
    DeploymentConfig,
    Export,
    FieldFailed,
    Kind,
    Platform,
    PriceBook,
    Protocol,
    cost_line,
    guarded,
    openai_base,
)

if TYPE_CHECKING:
    from infra.config.rules import Rules
    from infra.config.stack import ResolvedStack
    from infra.platforms import Platforms

LIMITS = limits.LIMITS
ROOT = Path(__file__).resolve().parents[2]
OWN_WEIGHTS = models.ManagedOffer((), None, models.Lifecycle(source="custom-container"), source="custom-container")
"""What a deployment bringing its own weights is offered as: no registry versions, no model card allow-list."""
ML = "Microsoft.MachineLearningServices"
SKU_NAME = re.compile(r"Standard_[A-Za-z0-9_]+")
AUTH = {"Key": "key", "AADToken": "entra", "AMLToken": "token"}
"""An online endpoint's auth mode -> how a client signs in (the exports' `auth`)."""


# Where weights a team brings may be registered from [custom-container]: a datastore path, a job's output, a blob URL.
MODEL_URI = (
    r"azureml://(subscriptions/[^/]+/resource[Gg]roups/[^/]+/workspaces/[^/]+/)?datastores/[^/]+/paths/\S+"
    r"|azureml://jobs/[^/]+/outputs/\S+"
    r"|https://[a-z0-9]{3,24}\.blob\.core\.(windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)/[a-z0-9-]{3,63}/\S*"
)
# A model version that exists already: in a registry, in the project (azureml:<name>:<version>), or by resource id.
MODEL_ASSET = (
    r"azureml://registries/[^/]+/models/[^/]+/versions/[^/]+"
    rf"|azureml:[A-Za-z0-9][A-Za-z0-9_.-]{{0,254}}:{VERSION}"
    r"|/subscriptions/[^/]+/resource[Gg]roups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
    r"/models/[^/]+/versions/[^/]+"
)
ModelUri = text_type(
    MODEL_URI,
    "azureml://datastores/<datastore>/paths/<folder>, azureml://jobs/<job>/outputs/..., or "
    "https://<account>.blob.core.windows.net/<container>/<folder>",
)
AssetRef = text_type(
    MODEL_ASSET,
    "azureml://registries/<registry>/models/<name>/versions/<version>, "
    "azureml:<name>:<version> (a model of the project), or a model version's resource id",
)
UrlPath = text_type(r"/[A-Za-z0-9._~/-]{0,200}", "a path starting with '/', like /health")


class Weights(Section):
    """Weights the team brings: a folder of Hugging Face-format weights to register, or a model version that exists."""

    uri: ModelUri | None = None
    """Registered as a model version of the project (type custom_model)."""
    asset: AssetRef | None = None
    """Deployed as it is."""
    version: ModelVersion = "1"
    """The version `uri` is registered as; new weights need a new version (versions are immutable)."""

    @cross_key
    def _one_source(self) -> tuple[str, str] | None:
        if (self.uri is None) == (self.asset is None):
            return "", "give uri (weights to register) or asset (a model version that exists), one of them"
        return None


class Container(Section):
    """The serving container of a deployment with its own weights; by default vLLM's OpenAI-compatible server."""

    image: str | None = Field(default=None, min_length=1, max_length=512)
    """A prebuilt image; by default the project's vLLM image is built from containers/vllm in the hub's registry."""
    port: int = Field(default=containers.VLLM.port, ge=1, le=65535)
    health_path: UrlPath = containers.VLLM.health_path
    scoring_path: UrlPath = containers.VLLM.scoring_path
    openai: bool = True
    """The server answers the OpenAI chat completions API (smoke and env call it that way)."""
    served_model_name: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._/-]+$")
    """What clients send as `model`; by default the deployment's model name."""
    tensor_parallel: int | None = Field(default=None, ge=1, le=16)
    """GPUs to shard the model over; by default every GPU of the VM size."""
    context_length: int | None = Field(default=None, ge=256, le=10_000_000)
    """Context length in tokens; by default the model's, where the catalog knows it."""
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=0.99, allow_inf_nan=False, strict=False)
    extra_args: list[str] = Field(default_factory=list, max_length=64)
    """More `vllm serve` flags, each a word (for the default image)."""
    environment: dict[str, str] = Field(default_factory=dict, max_length=64)
    """More environment variables of the container."""


class ManagedConfig(DeploymentConfig):
    """`kind: managed`: a managed online deployment on GPU VMs the subscription pays for."""

    kind: Literal["managed"]
    vm_sku: str
    model_version: RegistryVersion | None = None
    instance_count: int = Field(default=1, ge=1, le=LIMITS.max_instances_per_deployment)
    endpoint: EndpointName | None = None
    """A shared online endpoint; deployments naming the same one share its URI and keys."""
    traffic: int | None = Field(default=None, ge=0, le=100)
    request_timeout_seconds: int = Field(
        default=LIMITS.max_request_timeout_seconds, ge=1, le=LIMITS.max_request_timeout_seconds
    )
    max_concurrent_requests_per_instance: int = Field(default=1, ge=1, le=1000)
    probe_initial_delay_seconds: int | None = Field(default=None, ge=10, le=3600)
    """Before the first probe; by default 600 s, and 1800 s with weights (copied to the VM, then loaded)."""
    data_collection: bool = False
    egress_public_network_access: Switch = "Enabled"
    public_network_access: Switch = "Enabled"
    auth_mode: Literal["Key", "AMLToken", "AADToken"] = "Key"
    weights: Weights | None = None
    """Serve weights the team brings instead of the registry model of the catalog."""
    container: Container | None = None
    """The serving container of `weights` (default: vLLM's OpenAI-compatible server)."""

    @cross_key
    def _container_needs_weights(self) -> tuple[str, str] | None:
        if has_value(self, "container") and not has_value(self, "weights"):
            return "container", "only with weights (a registry model runs in its own container)"
        return None

    @cross_key
    def _weights_carry_their_version(self) -> tuple[str, str] | None:
        if has_value(self, "weights") and has_value(self, "model_version"):
            return "modelVersion", "only for a registry model; weights carry their own version"
        return None


class ManagedDeployment(Deployment[ManagedConfig]):
    @property
    def endpoint(self) -> str:
        return self.config.endpoint or self.config.name

    @property
    def offer(self) -> models.ManagedOffer:
        assert self.llama.managed is not None, "validated: the model is offered on managed compute"
        return self.llama.managed

    @property
    def version(self) -> int:
        """The registry version deployed: the stack's pin, else the latest the catalog knows."""
        return self.config.model_version or self.offer.latest  # type: ignore[return-value]

    @property
    def own_weights(self) -> bool:
        return self.config.weights is not None

    @property
    def container(self) -> Container:
        return self.config.container or Container()

    @property
    def openai(self) -> bool:
        """Whether the deployment answers the OpenAI API (its own weights in an OpenAI-compatible server)."""
        return self.own_weights and self.container.openai

    @property
    def served_model_name(self) -> str:
        return self.container.served_model_name or self.model

    @property
    def probe_delay(self) -> int:
        default = containers.LOAD_PROBE_DELAY_SECONDS if self.own_weights else 600
        return self.config.probe_initial_delay_seconds or default

    def server_settings(self) -> dict[str, str]:
        """What the serving container reads (containers/vllm/entrypoint.sh), plus the stack's own variables."""
        c = self.container
        settings = {
            "LLAMA_SERVED_MODEL_NAME": self.served_model_name,
            "LLAMA_TENSOR_PARALLEL_SIZE": str(c.tensor_parallel or self.sku.gpus),
            "LLAMA_GPU_MEMORY_UTILIZATION": f"{c.gpu_memory_utilization:g}",
            "LLAMA_PORT": str(c.port),
        }
        if length := c.context_length or self.llama.context_tokens:
            settings["LLAMA_MAX_MODEL_LEN"] = str(length)
        if c.extra_args:
            settings["LLAMA_EXTRA_ARGS"] = " ".join(c.extra_args)
        return {**settings, **c.environment}

    @property
    def sku(self) -> vm_skus.VmSku:
        return vm_skus.VM_SKUS[self.config.vm_sku]

    @property
    def subject(self) -> str:
        """How cost lines and messages name it: deployment names are unique per endpoint only."""
        return self.name if self.endpoint == self.name else f"{self.endpoint}/{self.name}"


def traffic(members: list[ManagedDeployment]) -> dict[str, int]:
    """The split of one online endpoint: a lone deployment gets 100%, unset shares 0%."""
    if len(members) == 1 and members[0].config.traffic is None:
        return {members[0].name: 100}
    return {d.name: d.config.traffic or 0 for d in members}


def quota(deployments: list[tuple[vm_skus.VmSku, int]]) -> dict[str, int]:
    """vCPUs per VM quota family the (VM SKU, instance count) pairs need in the region, the upgrade reserve included."""
    return vm_skus.vcpu_quota(deployments)


def allow_list(model_version: dict[str, Any]) -> list[str] | None:
    """The VM sizes a registry model version allows for managed compute, from its tags (before June 2026) or
    its system metadata (after); None when it publishes neither."""
    properties = model_version.get("properties") if isinstance(model_version.get("properties"), dict) else {}
    tags = properties.get("tags") if isinstance(properties.get("tags"), dict) else {}
    found_in = [tags.get("inference_compute_allow_list")]
    for holder in (model_version, properties):
        for key in ("systemMetadata", "system_metadata"):
            metadata = holder.get(key)
            computes = metadata.get("supportedComputes") if isinstance(metadata, dict) else None
            if isinstance(computes, dict):
                found_in.append(computes.get("inferenceComputes"))
    found = [name for source in found_in if source for name in SKU_NAME.findall(str(source))]
    return found or None


class Managed(Kind[ManagedDeployment]):
    name = "managed"
    title = "managed online deployments on GPU VMs the subscription pays for (the hub's project)"
    config = ManagedConfig
    deployment = ManagedDeployment
    offer = "managed"
    platform = Platform.HUB
    shared_endpoints = True
    provider_types: ClassVar[dict[str, tuple[str, ...]]] = {ML: ("workspaces/onlineEndpoints",)}
    plan_settings: ClassVar[dict[str, tuple[str, ...]]] = {
        f"{ML_TYPES}:OnlineEndpoint": ("properties.authMode", "properties.publicNetworkAccess", "identity.type"),
        f"{ML_TYPES}:OnlineDeployment": (
            "properties.model",
            "properties.instanceType",
            "sku.capacity",
            "properties.requestSettings.requestTimeout",
            "properties.requestSettings.maxConcurrentRequestsPerInstance",
            "properties.livenessProbe.initialDelay",
            "properties.egressPublicNetworkAccess",
            "properties.dataCollector",
            "properties.environmentId",
            "properties.environmentVariables",
        ),
        f"{ML_TYPES}:ModelVersion": ("version", "properties.modelUri", "properties.modelType"),
        f"{ML_TYPES}:EnvironmentVersion": (
            "version",
            "properties.image",
            "properties.build.contextUri",
            "properties.inferenceConfig.scoringRoute",
        ),
        "pulumi-python:dynamic:Resource": ("traffic",),
    }
    alerts = ("throttling", "serverErrors", "latency", "capacity", "utilization")
    diagnostic_resources = ("onlineEndpoints",)

    def endpoints(self, deployments: list[ManagedDeployment]) -> dict[str, list[ManagedDeployment]]:
        groups: dict[str, list[ManagedDeployment]] = {}
        for d in deployments:
            groups.setdefault(d.endpoint, []).append(d)
        return groups

    # The config.
    def offer_for(self, config: Any, llama: models.LlamaModel) -> Any:
        # The team's own weights need no managed offer of the catalog: the model is theirs to serve.
        return OWN_WEIGHTS if config.weights is not None else llama.managed

    def rules(self, check: Rules, deployments: list[ManagedDeployment]) -> None:
        self.each(
            check,
            deployments,
            lambda d: self._vm_sku(check, d),
            lambda d: self._version(check, d),
            lambda d: self._egress(check, d),
            lambda d: self._container(check, d),
        )
        self._registrations(check, deployments)
        groups: dict[str, list[ManagedDeployment]] = {}
        for d in deployments:
            try:
                groups.setdefault(d.endpoint, []).append(d)
            except FieldFailed:  # its endpoint (or name) failed: it belongs to no endpoint the rules can judge
                continue
        children: dict[str, str] = {}
        for endpoint, members in groups.items():
            self._endpoint(check, endpoint, members)
            for d in members:
                # Pulumi names the deployment resource `<endpoint>-<deployment>`: two pairs must not meet.
                child = f"{endpoint}-{d.name}".lower()
                if child in children:
                    check.error(
                        f"{key_for('deployments', d.index, 'name')}: endpoint {endpoint!r} with deployment {d.name!r} "
                        f"gives the same resource name {child!r} as {children[child]}; rename one"
                    )
                children.setdefault(child, d.key)

    @staticmethod
    def _vm_sku(check: Rules, d: ManagedDeployment) -> None:
        sku, allowed = vm_skus.VM_SKUS.get(d.config.vm_sku), d.offer.allowed_vm_skus
        gpus = choices(allowed or vm_skus.GPU_VM_SKUS, d.config.vm_sku)
        if sku is None:
            check.error(f"{d.key}.vmSku: {d.config.vm_sku!r} is not in the VM catalog; {gpus}")
        elif not sku.gpus:
            check.error(f"{d.key}.vmSku: {d.config.vm_sku!r} has no GPU, a Llama model needs one; {gpus}")
        elif allowed is not None and d.config.vm_sku not in allowed:
            check.error(
                f"{d.key}.vmSku: {d.config.vm_sku!r} is not in the model card's inference_compute_allow_list for "
                f"{d.model}, which Azure enforces; {gpus} ({sources.cite(d.offer.source)})"
            )
        elif allowed is None:
            Managed._gpu_memory(check, d, sku)

    @staticmethod
    def _gpu_memory(check: Rules, d: ManagedDeployment, sku: vm_skus.VmSku) -> None:
        llama = d.llama
        if llama.parameters_b and llama.min_gpu_memory_gb > sku.total_gpu_memory_gb:
            fitting = [s.name for s in vm_skus.VM_SKUS.values() if s.total_gpu_memory_gb >= llama.min_gpu_memory_gb]
            check.error(
                f"{d.key}.vmSku: {d.model} needs about {llama.min_gpu_memory_gb} GB of GPU memory and "
                f"{d.config.vm_sku!r} has {sku.total_gpu_memory_gb} GB ({sku.gpus}x {sku.gpu} {sku.gpu_memory_gb} GB); "
                f"SKUs that fit: {', '.join(fitting) or 'none in the catalog'}"
            )
        elif not d.own_weights:
            check.warn(
                f"{d.key}.vmSku: {d.config.vm_sku!r} was not checked against {d.model}'s model card (no allow-list in "
                "the catalog): preflight reads it from the registry"
            )

    @staticmethod
    def _container(check: Rules, d: ManagedDeployment) -> None:
        if not d.own_weights:
            return
        c, sku = d.container, vm_skus.VM_SKUS.get(d.config.vm_sku)
        hub = check.section("hub")
        if c.image is None and hub is not None and not hub.container_registry:
            check.error(
                f"{d.key}.container.image: not set, so the stack builds the vLLM serving image, which needs the hub's "
                f"container registry: set {key_for('hub', 'containerRegistry')}: true, or give a prebuilt image"
            )
        elif c.image is None and check.private:
            # A registry behind a private endpoint builds no image with ACR Tasks [hub-private-link, acr-private-link].
            check.error(
                f"{d.key}.container.image: not set, so the stack would build the vLLM serving image in the hub's "
                f"registry, which ACR Tasks cannot reach once {key_for('network', 'private')}: true closes it; build "
                "the image from containers/vllm yourself (az acr build before the registry is closed, or CI) and "
                "give its reference"
            )
        if c.tensor_parallel and sku is not None and sku.gpus and c.tensor_parallel > sku.gpus:
            check.error(
                f"{d.key}.container.tensorParallel: {c.tensor_parallel} GPUs, but {d.config.vm_sku} has {sku.gpus}; "
                f"at most {sku.gpus}"
            )

    @staticmethod
    def _registrations(check: Rules, deployments: list[ManagedDeployment]) -> None:
        """Weights registered as one model version must be the same weights: a version is immutable in Azure."""
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        for d in deployments:
            try:
                weights = d.config.weights
            except FieldFailed:
                continue
            if weights is None or weights.uri is None:
                continue
            earlier = seen.setdefault((d.model, weights.version), (weights.uri, d.key))
            if earlier[0] != weights.uri:
                check.error(
                    f"{d.key}.weights.version: {weights.version!r} of {d.model} is registered from {earlier[0]} by "
                    f"{earlier[1]}; other weights need another version"
                )

    @staticmethod
    def _version(check: Rules, d: ManagedDeployment) -> None:
        if d.own_weights:
            return
        pinned, offer = d.config.model_version, d.offer
        declared = check.declaration(d.model)
        if pinned is None and offer.latest is None and declared is not None and declared[1].version is not None:
            index, model = declared
            check.error(
                f"{key_for('models', index, 'version')}: {model.version!r} is a model version, but {REGISTRY_RULE}: "
                f"{d.key} deploys it on managed compute"
            )
        elif pinned is None and offer.latest is None:
            check.error(
                f"{d.key}.modelVersion: required for {d.model}, whose registry versions the catalog does not know; "
                "use the number that ends the model card's id (/versions/N)"
            )
        elif pinned is not None and offer.versions and pinned not in offer.versions:
            check.warn(
                f"{d.key}.modelVersion: {pinned} is not a version the catalog knows for {d.model} "
                f"({', '.join(map(str, offer.versions))}): preflight checks that the registry has it"
            )

    @staticmethod
    def _egress(check: Rules, d: ManagedDeployment) -> None:
        mode = check.isolation_mode
        if mode not in (None, "Disabled") and "egress_public_network_access" in d.config.model_fields_set:
            check.error(
                f"{key_for('deployments', d.index, 'egressPublicNetworkAccess')}: Azure ignores it under the hub's "
                f"managed network ({key_for('hub', 'isolationMode')} is {mode!r}); "
                "outbound access follows the managed network, remove the key"
            )

    def _endpoint(self, check: Rules, endpoint: str, members: list[ManagedDeployment]) -> None:
        """Per online endpoint: deployment names, traffic sums to 100, and the endpoint-level settings agree."""
        key = members[0].key
        names: set[str] = set()
        for d in members:
            if d.name.lower() in names:
                check.error(
                    f"{key_for('deployments', d.index, 'name')}: {d.name!r} is used twice on endpoint {endpoint!r}"
                )
            names.add(d.name.lower())
        if len(members) > LIMITS.max_deployments_per_endpoint:
            check.error(
                f"{key}.endpoint: {endpoint!r} has {len(members)} deployments; "
                f"at most {LIMITS.max_deployments_per_endpoint} per endpoint"
            )
        guarded(self._traffic, check, endpoint, key, members)
        for field in ("auth_mode", "public_network_access"):
            guarded(self._agree, check, endpoint, key, members, field)
        if len({d.llama.api for d in members}) > 1:
            check.error(
                f"{key}.endpoint: endpoint {endpoint!r} would mix chat and completion models behind one URL; "
                "give them separate endpoints"
            )
        guarded(self._one_protocol, check, endpoint, key, members)

    @staticmethod
    def _one_protocol(check: Rules, endpoint: str, key: str, members: list[ManagedDeployment]) -> None:
        """Clients call an endpoint one way: all its deployments answer the OpenAI API with one model name, or none."""
        if len({d.openai for d in members}) > 1:
            check.error(
                f"{key}.endpoint: endpoint {endpoint!r} mixes deployments that answer the OpenAI API with ones that "
                "answer in their model container's format; give them separate endpoints"
            )
        elif len(names := {d.served_model_name for d in members if d.openai}) > 1:
            check.error(
                f"{key}.container.servedModelName: the deployments of endpoint {endpoint!r} serve different names "
                f"({', '.join(sorted(names))}); a client sends one name to the endpoint: give them the same"
            )

    @staticmethod
    def _traffic(check: Rules, endpoint: str, key: str, members: list[ManagedDeployment]) -> None:
        given = [d.config.traffic for d in members if d.config.traffic is not None]
        where = ", ".join(f"deployments[{d.index}]" for d in members)
        if len(members) > 1 and not given:
            check.error(
                f"{key}.traffic: endpoint {endpoint!r} has {len(members)} deployments ({where}); "
                "set traffic on them, percentages that sum to 100"
            )
        elif given and sum(given) != 100:
            shares = ", ".join(f"{d.name}={d.config.traffic or 0}" for d in members)
            check.error(
                f"{key}.traffic: endpoint {endpoint!r} traffic sums to {sum(given)} ({shares}); it must sum to 100"
            )

    @staticmethod
    def _agree(check: Rules, endpoint: str, key: str, members: list[ManagedDeployment], field: str) -> None:
        values = {getattr(d.config, field) for d in members}
        if len(values) > 1:
            check.error(
                f"{key}.{to_camel(field)}: deployments of endpoint {endpoint!r} disagree "
                f"({', '.join(sorted(values))}); it is a setting of the endpoint, give them the same value"
            )

    def azure_name(self, endpoint: str, suffix: str) -> str:
        return naming.online_endpoint(endpoint, suffix)

    def has_key(self, check: Rules, deployment: ManagedDeployment) -> bool:
        return deployment.config.auth_mode == "Key"

    def deployer_actions(
        self, stack: ResolvedStack, deployments: list[ManagedDeployment]
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        return {"project (managed compute)": ("group", rbac.MANAGED_DEPLOYER_ACTIONS)}

    # The program.
    def build(self, platforms: Platforms, deployments: list[ManagedDeployment]) -> dict[str, Export]:
        return {name: self._online(platforms, name, group) for name, group in self.endpoints(deployments).items()}

    @staticmethod
    def _online(platforms: Platforms, endpoint_name: str, members: list[ManagedDeployment]) -> Export:
        first, split, project = members[0].config, traffic(members), platforms.hub().project
        online = ManagedOnlineEndpoint(
            endpoint_name,
            ManagedOnlineEndpointArgs(
                endpoint_name=platforms.name(lambda n: n.endpoints[endpoint_name]),
                deployments=[_deployment_args(platforms, d, split[d.name]) for d in members],
                project_name=project.name,
                resource_group_name=project.resource_group_name,
                location=platforms.region,
                auth_mode=first.auth_mode,
                # Private: scoring requests come through the workspace's private endpoint [secure-online-endpoint].
                public_network_access=platforms.stack.public_access(first.public_network_access),
                tags=platforms.tags,
            ),
        )
        # The model most traffic goes to names the endpoint; all of them share one API (validated).
        lead = max(members, key=lambda d: split[d.name])
        entry = {
            "kind": "managed",
            "model": lead.llama.name,
            "api": lead.llama.api.value,
            # Managed online endpoints take requests on their scoring URI, whatever the model.
            "url": online.scoring_uri,
            "name": online.name,
            "auth": AUTH[first.auth_mode],
            "deployments": {d.name: _deployment_export(d, split[d.name]) for d in members},
        }
        if lead.openai:
            entry["servedModel"] = lead.served_model_name
        return Export(entry, online.primary_key, {"endpoint": online})

    def diagnostic_targets(self, export: Export) -> list[tuple[str, Any]]:
        return [("onlineEndpoints", export.resources["endpoint"].resource_id)]

    def alert_rules(
        self, stack: ResolvedStack, export: Export, deployments: list[ManagedDeployment]
    ) -> list[AlertRule]:
        """Status codes from the endpoint's RequestsPerMinute (split by deployment); latency, instances and GPUs from
        each online deployment's own metrics [metrics-online-endpoints, metrics-deployments]."""
        online, settings, rules = export.resources["endpoint"], stack.config.monitoring.alerts, []
        for d in deployments:
            deployment_id = online.deployment_ids[d.name]
            per_minute = "responses a minute (RequestsPerMinute, averaged over the window)"
            codes = (
                ("throttling", "statusCode", monitoring.THROTTLED, "429 (throttled)"),
                ("serverErrors", "statusCodeClass", monitoring.SERVER_ERROR_CLASS, "5xx"),
            )
            for alert, dimension, value, what in codes:
                threshold = settings.settings()[alert].threshold
                rules.append(
                    AlertRule(
                        alert,
                        d.subject,
                        online.resource_id,
                        monitoring.ENDPOINT_REQUESTS,
                        "GreaterThan",
                        threshold,
                        f"{d.subject}: more than {threshold:g} {what} {per_minute}; "
                        f"{monitoring.ENDPOINT_REQUESTS.note}",
                        {"deployment": (d.name,), dimension: (value,)},
                    )
                )
            latency = settings.latency.threshold
            rules.append(
                AlertRule(
                    "latency",
                    d.subject,
                    deployment_id,
                    monitoring.DEPLOYMENT_LATENCY_P95,
                    "GreaterThan",
                    latency,
                    f"{d.subject}: p95 request latency above {latency:g} ms",
                )
            )
            # Fewer instances running than the deployment asks for: a failed instance, a quota or capacity shortage.
            instances = d.config.instance_count * settings.capacity.threshold / 100
            rules.append(
                AlertRule(
                    "capacity",
                    d.subject,
                    deployment_id,
                    monitoring.DEPLOYMENT_CAPACITY,
                    "LessThan",
                    instances,
                    f"{d.subject}: fewer than {instances:g} of its {d.config.instance_count} instances "
                    f"({settings.capacity.threshold:g}%); {monitoring.DEPLOYMENT_CAPACITY.note}",
                )
            )
            gpu = settings.utilization.threshold
            rules.append(
                AlertRule(
                    "utilization",
                    d.subject,
                    deployment_id,
                    monitoring.GPU_UTILIZATION,
                    "GreaterThan",
                    gpu,
                    f"{d.subject}: GPU utilization above {gpu:g}%: add instances or lower the load",
                )
            )
        return rules

    # The tools.
    def preflight(self, asker: Any, deployments: list[ManagedDeployment]) -> list[Check]:
        checks = asker.guarded("registry model", lambda: self._models(asker, deployments))
        return checks + asker.guarded("vCPU quota", lambda: self._quota(asker, deployments))

    @staticmethod
    def _models(asker: Any, deployments: list[ManagedDeployment]) -> list[Check]:
        try:
            registry = asker.registry()
        except ArmError:
            raise  # ARM's answer: the check fails with it, or is not checked when ARM forbids it
        except UserError as err:
            return [
                Check("registry model", f"{models.MODEL_REGISTRY}: {d.model}", Status.NOT_CHECKED, str(err))
                for d in deployments
            ]
        return [check for d in deployments for check in _model_checks(registry, d)]

    @staticmethod
    def _quota(asker: Any, deployments: list[ManagedDeployment]) -> list[Check]:
        need = quota([(d.sku, d.config.instance_count) for d in deployments])
        if not need:
            return []
        usages = asker.ml_usages()
        return [
            _quota_check(asker.region, family, vcpus, usages.get(vm_skus.family_key(family)))
            for family, vcpus in need.items()
        ]

    def call(self, entry: Mapping[str, Any]) -> CallSpec:
        url, model, auth, name = (entry.get(k) for k in ("url", "model", "auth", "name"))
        url = str(url)
        sign_in = None
        if auth == "token":
            sign_in = (
                f"an Azure Machine Learning token: `az ml online-endpoint get-credentials --name {name}` prints it as "
                "accessToken, valid until its expiryTimeUtc; send it as the API key"
            )
        # Smoke sends no token here (no token_hosts): `env` prints the scope for an app to ask for.
        token_scope = endpoints.ONLINE_ENDPOINT_TOKEN_SCOPE if auth == "entra" else None
        served = entry.get("servedModel")
        if isinstance(served, str) and served:
            # Own weights in an OpenAI-compatible server: the scoring URI is its chat route, `model` its served name.
            return CallSpec(
                url,
                Protocol.OPENAI_V1,
                model=served,
                base_url=openai_base(url, entry.get("api")),
                token_scope=token_scope,
                sign_in=sign_in,
            )
        scoring = endpoints.MANAGED_SCORING_PATH
        model = model if isinstance(model, str) else None
        return CallSpec(
            url,
            Protocol.SCORING,
            model=model,
            base_url=url.removesuffix(scoring) + endpoints.MANAGED_OPENAI_BASE_PATH if url.endswith(scoring) else None,
            base_url_condition=(
                "only if the deployment's container serves the OpenAI API itself (vLLM's OpenAI server behind "
                f"scoring_route path /) under the model name {model}; otherwise POST the container's own format to "
                "the scoring URI"
            ),
            token_scope=token_scope,
            sign_in=sign_in,
        )

    def quota(self, entries: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Any, int]]:
        found = []
        for entry in entries.values():
            for name, d in (entry.get("deployments") or {}).items():
                found.append((name, vm_skus.VM_SKUS[d["vmSku"]], d["instanceCount"]))
        return found

    def policy_facts(self) -> dict[str, Any]:
        return {"gpuVmSkus": list(vm_skus.GPU_VM_SKUS), "maxRequestTimeoutSeconds": LIMITS.max_request_timeout_seconds}

    def cost(self, stack: ResolvedStack, deployments: list[ManagedDeployment], book: PriceBook) -> list[CostLine]:
        # Billed as the VMs it runs on, every hour of every instance, traffic or not; no surcharge meter.
        return [
            cost_line(
                book,
                prices.vm(d.config.vm_sku),
                stack.region,
                quantity=d.config.instance_count * prices.HOURS_PER_MONTH,
                key=f"deployment/{d.subject}/compute",
                subject=d.subject,
                deployment=True,
                what=f"{d.config.instance_count} x {d.config.vm_sku} (Linux VM, pay-as-you-go)",
                billing=Billing.FIXED,
                unit="hour",
            )
            for d in deployments
        ]


def _deployment_export(d: ManagedDeployment, share: int) -> dict[str, Any]:
    source = {"weights": d.config.weights.uri or d.config.weights.asset} if d.config.weights else {}
    return {
        "model": d.llama.name,
        "modelVersion": d.config.weights.version if d.config.weights else d.version,
        "vmSku": d.config.vm_sku,
        "instanceCount": d.config.instance_count,
        "traffic": share,
        **source,
    }


def _deployment_args(platforms: Platforms, d: ManagedDeployment, share: int) -> ManagedOnlineDeploymentArgs:
    config = d.config
    own = _own_weights(platforms, d) if d.own_weights else {}
    return ManagedOnlineDeploymentArgs(
        name=d.name,
        model_id=own.pop("model_id", None) or d.llama.version_id(d.version),
        vm_sku=config.vm_sku,
        instance_count=config.instance_count,
        traffic=share,
        request_timeout_seconds=config.request_timeout_seconds,
        max_concurrent_requests_per_instance=config.max_concurrent_requests_per_instance,
        probe_initial_delay_seconds=d.probe_delay,
        data_collection=config.data_collection,
        # Azure ignores it under the hub's managed network (the config refuses setting it there); the SDK
        # would send its default, Enabled, anyway.
        egress_public_network_access=config.egress_public_network_access,
        **own,  # type: ignore[typeddict-item]
    )


def _own_weights(platforms: Platforms, d: ManagedDeployment) -> dict[str, Any]:
    """The model version and serving environment of a deployment that brings its own weights."""
    hub, weights = platforms.hub(), d.config.weights
    assert weights is not None
    if weights.asset is not None:
        model_id: Any = _asset_id(hub.project.resource_id, weights.asset)
    else:
        model_id = platforms.once(("model", d.model, weights.version), lambda: _model_asset(platforms, d)).resource_id
    environment = platforms.once(("environment", _environment_key(d)), lambda: _environment(platforms, d))
    return {
        "model_id": model_id,
        "environment_id": environment.resource_id,
        "environment_variables": d.server_settings(),
    }


def _asset_id(project_id: Any, asset: str) -> Any:
    """`azureml:<name>:<version>` of the project as the resource id a deployment takes; other forms as they are."""
    if asset.startswith("azureml:") and not asset.startswith("azureml://"):
        _, name, version = asset.split(":")
        return pulumi.Output.concat(project_id, "/models/", name, "/versions/", version)
    return asset


def _model_asset(platforms: Platforms, d: ManagedDeployment) -> ModelAsset:
    project, weights = platforms.hub().project, d.config.weights
    assert weights is not None and weights.uri is not None
    return ModelAsset(
        f"{d.model.lower().replace('.', '-')}-weights-{weights.version}",
        ModelAssetArgs(
            model_name=d.model,
            version=weights.version,
            model_uri=weights.uri,
            model_type=containers.MODEL_TYPE,
            workspace_name=project.name,
            resource_group_name=project.resource_group_name,
            tags=platforms.tags,
        ),
    )


def build_files() -> dict[str, str]:
    """The vLLM serving image's build context, its base image the catalog's pin."""
    folder = ROOT / containers.BUILD_CONTEXT
    files = {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}
    files["Dockerfile"] = re.sub(
        r"^ARG VLLM_IMAGE=.*$", f"ARG VLLM_IMAGE={containers.VLLM.image}", files["Dockerfile"], flags=re.MULTILINE
    )
    return files


def _environment_key(d: ManagedDeployment) -> tuple[Any, ...]:
    c = d.container
    return (c.image, c.port, c.health_path, c.scoring_path)


def _environment(platforms: Platforms, d: ManagedDeployment) -> InferenceEnvironment:
    hub, c = platforms.hub(), d.container
    source: dict[str, Any]
    if c.image is not None:
        source, content = {"image": c.image}, c.image
    else:
        files = build_files()
        source = {
            "build_files": files,
            "storage_account_name": hub.hub.storage_account_name,
            "blob_endpoint": hub.hub.blob_endpoint,
        }
        content = "\0".join(f"{k}\0{v}" for k, v in sorted(files.items()))
    # Versions are immutable: the version is a hash of what the environment is, so a change makes a new one.
    version = hashlib.sha256("\0".join(map(str, (content, *_environment_key(d)[1:]))).encode()).hexdigest()[:12]
    return InferenceEnvironment(
        f"serving-{version}",
        InferenceEnvironmentArgs(
            environment_name="llama-serving",
            version=version,
            workspace_name=hub.project.name,
            resource_group_name=hub.project.resource_group_name,
            port=c.port,
            health_path=c.health_path,
            scoring_path=c.scoring_path,
            tags=platforms.tags,
            **source,  # type: ignore[typeddict-item]
        ),
    )


def _model_checks(registry: Any, d: ManagedDeployment) -> list[Check]:
    subject = f"{d.name}: {d.model} version {d.version}"
    version = registry.model_version(d.model, d.version)
    if version is None:
        detail = f"registry {registry.name} has no version {d.version} of {d.model}: pin one it has (modelVersion)"
        return [Check("registry model", subject, Status.FAIL, detail)]
    checks = [Check("registry model", subject, Status.OK, f"exists in registry {registry.name}")]
    skus, sku_subject = allow_list(version), f"{d.name}: {d.config.vm_sku}"
    if skus is None:
        detail = "the model card publishes no allow-list; Azure checks the VM size when it creates the deployment"
        checks.append(Check("VM size allowed", sku_subject, Status.NOT_CHECKED, detail))
    elif d.config.vm_sku.lower() in {s.lower() for s in skus}:
        checks.append(Check("VM size allowed", sku_subject, Status.OK, "in the model card's allow-list"))
    else:
        detail = f"not in the model card's allow-list: {', '.join(sorted(set(skus)))}"
        checks.append(Check("VM size allowed", sku_subject, Status.FAIL, detail))
    return checks


def _quota_check(region: str, family: str, vcpus: int, usage: dict[str, Any] | None) -> Check:
    subject = f"{family} in {region}"
    free = _free(usage)
    if free is None:
        return Check("vCPU quota", subject, Status.WARN, f"needs {vcpus} vCPUs; no quota entry found for the family")
    detail = f"needs {vcpus} vCPUs (20% upgrade reserve included where it applies); {free} free of {usage['limit']}"  # type: ignore[index]
    if free < vcpus:
        return Check("vCPU quota", subject, Status.FAIL, detail + ": request more quota before pulumi up")
    return Check("vCPU quota", subject, Status.OK, detail)


def _free(usage: dict[str, Any] | None) -> int | None:
    try:
        return int(float(usage["limit"]) - float(usage["currentValue"])) if usage else None
    except (KeyError, TypeError, ValueError):
        return None


MANAGED = Managed()
