"""`kind: managed`: managed online deployments of a registry model on GPU VMs the subscription pays for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field
from pydantic.alias_generators import to_camel

from catalog import endpoints, limits, models, rbac, sources, vm_skus
from clients.errors import UserError
from clients.status import Status
from components.managed_endpoint import ManagedOnlineDeploymentArgs, ManagedOnlineEndpoint, ManagedOnlineEndpointArgs
from components.options import ML_TYPES
from infra import naming
from infra.config.types import EndpointName, RegistryVersion, Switch, key_for
from infra.kinds.base import (
    CallSpec,
    Check,
    Deployment,
    DeploymentConfig,
    Export,
    FieldFailed,
    Kind,
    Platform,
    Protocol,
    guarded,
)

if TYPE_CHECKING:
    from infra.config.rules import Rules
    from infra.config.stack import ResolvedStack
    from infra.platforms import Platforms

LIMITS = limits.LIMITS
ML = "Microsoft.MachineLearningServices"
SKU_NAME = re.compile(r"Standard_[A-Za-z0-9_]+")
AUTH = {"Key": "key", "AADToken": "entra", "AMLToken": "token"}
"""An online endpoint's auth mode -> how a client signs in (the exports' `auth`)."""


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
    probe_initial_delay_seconds: int = Field(default=600, ge=10, le=3600)
    data_collection: bool = False
    egress_public_network_access: Switch = "Enabled"
    public_network_access: Switch = "Enabled"
    auth_mode: Literal["Key", "AMLToken", "AADToken"] = "Key"


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
    def sku(self) -> vm_skus.VmSku:
        return vm_skus.VM_SKUS[self.config.vm_sku]


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
        ),
        "pulumi-python:dynamic:Resource": ("traffic",),
    }

    def endpoints(self, deployments: list[ManagedDeployment]) -> dict[str, list[ManagedDeployment]]:
        groups: dict[str, list[ManagedDeployment]] = {}
        for d in deployments:
            groups.setdefault(d.endpoint, []).append(d)
        return groups

    # The config.
    def rules(self, check: Rules, deployments: list[ManagedDeployment]) -> None:
        self.each(
            check,
            deployments,
            lambda d: self._vm_sku(check, d),
            lambda d: self._version(check, d),
            lambda d: self._egress(check, d),
        )
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
        gpus = check.allowed(allowed or vm_skus.GPU_VM_SKUS, d.config.vm_sku)
        if sku is None:
            check.error(f"{d.key}.vmSku: {d.config.vm_sku!r} is not in the VM catalog; allowed: {gpus}")
        elif not sku.gpus:
            check.error(f"{d.key}.vmSku: {d.config.vm_sku!r} has no GPU, a Llama model needs one; allowed: {gpus}")
        elif allowed is not None and d.config.vm_sku not in allowed:
            check.error(
                f"{d.key}.vmSku: {d.config.vm_sku!r} is not in the model card's inference_compute_allow_list for "
                f"{d.model}, which Azure enforces; allowed: {gpus} ({sources.cite(d.offer.source)})"
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
        else:
            check.warn(
                f"{d.key}.vmSku: {d.config.vm_sku!r} was not checked against {d.model}'s model card (no allow-list in "
                "the catalog): preflight reads it from the registry"
            )

    @staticmethod
    def _version(check: Rules, d: ManagedDeployment) -> None:
        pinned, offer = d.config.model_version, d.offer
        if pinned is None and offer.latest is None:
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

    def deployer_actions(
        self, stack: ResolvedStack, deployments: list[ManagedDeployment]
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        return {"project (managed compute)": ("group", rbac.MANAGED_DEPLOYER_ACTIONS)}

    # The program.
    def build(self, platforms: Platforms, deployments: list[ManagedDeployment]) -> dict[str, Export]:
        project = platforms.hub().project
        return {
            name: self._online(platforms, project, name, group) for name, group in self.endpoints(deployments).items()
        }

    @staticmethod
    def _online(platforms: Platforms, project: Any, endpoint_name: str, members: list[ManagedDeployment]) -> Export:
        first, split = members[0].config, traffic(members)
        online = ManagedOnlineEndpoint(
            endpoint_name,
            ManagedOnlineEndpointArgs(
                endpoint_name=platforms.name(lambda n: n.endpoints[endpoint_name]),
                deployments=[_deployment_args(d, split[d.name]) for d in members],
                project_name=project.name,
                resource_group_name=project.resource_group_name,
                location=platforms.region,
                auth_mode=first.auth_mode,
                public_network_access=first.public_network_access,
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
            "deployments": {
                d.name: {
                    "model": d.llama.name,
                    "modelVersion": d.version,
                    "vmSku": d.config.vm_sku,
                    "instanceCount": d.config.instance_count,
                    "traffic": split[d.name],
                }
                for d in members
            },
        }
        return Export(entry, online.primary_key, {"endpoint": online})

    # The tools.
    def preflight(self, asker: Any, deployments: list[ManagedDeployment]) -> list[Check]:
        checks = asker.guarded("registry model", lambda: self._models(asker, deployments))
        return checks + asker.guarded("vCPU quota", lambda: self._quota(asker, deployments))

    @staticmethod
    def _models(asker: Any, deployments: list[ManagedDeployment]) -> list[Check]:
        try:
            registry = asker.registry()
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
        return [_quota_check(asker.region, family, vcpus, usages.get(family.lower())) for family, vcpus in need.items()]

    def call(self, entry: Mapping[str, Any]) -> CallSpec:
        url, model, auth, name = (entry.get(k) for k in ("url", "model", "auth", "name"))
        url = str(url)
        scoring = endpoints.MANAGED_SCORING_PATH
        model = model if isinstance(model, str) else None
        sign_in = None
        if auth == "token":
            sign_in = (
                f"an Azure Machine Learning token: `az ml online-endpoint get-credentials --name {name}` prints it as "
                "accessToken, valid until its expiryTimeUtc; send it as the API key"
            )
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
            # Smoke sends no token here (no token_hosts): `env` prints the scope for an app to ask for.
            token_scope=endpoints.ONLINE_ENDPOINT_TOKEN_SCOPE if auth == "entra" else None,
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


def _deployment_args(d: ManagedDeployment, share: int) -> ManagedOnlineDeploymentArgs:
    config = d.config
    return ManagedOnlineDeploymentArgs(
        name=d.name,
        model_id=d.llama.version_id(d.version),
        vm_sku=config.vm_sku,
        instance_count=config.instance_count,
        traffic=share,
        request_timeout_seconds=config.request_timeout_seconds,
        max_concurrent_requests_per_instance=config.max_concurrent_requests_per_instance,
        probe_initial_delay_seconds=config.probe_initial_delay_seconds,
        data_collection=config.data_collection,
        # Azure ignores it under the hub's managed network (the config refuses setting it there); the SDK
        # would send its default, Enabled, anyway.
        egress_public_network_access=config.egress_public_network_access,
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
