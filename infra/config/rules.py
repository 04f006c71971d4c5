"""Rules across keys: what Azure would refuse, checked over every part of a stack that validated."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

from catalog import limits, models, sources, vm_skus
from infra import naming
from infra.config.model import (
    DEFAULT_CONTENT_FILTER,
    RESERVED_TAGS,
    Access,
    FoundryDeployment,
    Hub,
    ManagedDeployment,
    ServerlessDeployment,
    _Deployment,
    known_models,
)
from infra.config.types import NAMESPACE, key_for


@dataclass
class Rules:
    """The rules across keys, over whatever parts validated; errors refuse the stack, warnings are printed."""

    parts: dict[str, Any]
    today: dt.date
    errors: list[str]
    warnings: list[str]

    def __post_init__(self) -> None:
        self.declared = [m for _, m in self.parts.get("models") or []]
        self.known = known_models(self.declared)
        self.failed: set[str] = self.parts.get("_failed") or set()
        self.region: str | None = self.parts.get("region")
        # (index in the stack file, deployment) of the deployments that validated.
        self.deployments: list[tuple[int, Any]] = self.parts.get("deployments") or []

    def run(self) -> None:
        self.declared_models()
        for i, d in self.deployments:
            self.deployment(i, d)
        for i, d in self.parts.get("_partial") or []:
            self.deployment(i, d, model_only=True)
        self.unique_names()
        self.azure_names()
        self.endpoints()
        self.hub_network()
        self.content_filters()
        self.tags()
        self.access()

    def declared_models(self) -> None:
        seen: set[str] = set()
        for i, m in self.parts.get("models") or []:
            key = key_for("models", i, "name")
            if m.name.lower() in seen:
                self.errors.append(f"{key}: {m.name!r} is declared twice")
            seen.add(m.name.lower())
            known = models.MODELS.get(m.name)
            if known is not None and known.api.value != m.api:
                self.errors.append(
                    f"{key_for('models', i, 'api')}: {m.api!r} is not the API of {m.name}, which is {known.api.value!r}"
                )
            elif known is not None:
                self.warnings.append(
                    f"{key}: adds to the catalog's {m.name} (as of {sources.AS_OF}) what the snapshot does not know "
                    "yet: only `llama-on-azure preflight` can confirm it; its lifecycle stays the catalog's"
                )
            for j, sku in enumerate(m.allowed_vm_skus or []):
                if sku not in vm_skus.VM_SKUS:
                    self.errors.append(
                        f"{key_for('models', i, 'allowedVmSkus', j)}: {sku!r} is not in the VM catalog; "
                        f"GPU SKUs: {', '.join(vm_skus.GPU_VM_SKUS)}"
                    )

    def deployment(self, i: int, d: _Deployment, model_only: bool = False) -> None:
        key = key_for("deployments", i)
        llama = self.known.get(d.model)
        if llama is None and d.model in (self.parts.get("_failed_models") or ()):
            return  # its declaration failed validation and is reported there
        if llama is None:
            self.errors.append(
                f"{key}.model: {d.model!r} is not in the Llama catalog (as of {sources.AS_OF}); "
                f"{_offered(d.kind, self.today)}, or declare it in {NAMESPACE}:models"
            )
            return
        d._llama = llama
        offer = getattr(llama, d.kind)
        if offer is None:
            self.errors.append(
                f"{key}.model: {d.model!r} is not offered as kind {d.kind!r}; {_offered(d.kind, self.today)}"
            )
            return
        if llama.declared:
            self.warnings.append(
                f"{key}.model: {d.model!r} is declared by the stack, not in the catalog as of {sources.AS_OF}: "
                "only `llama-on-azure preflight` can confirm that Azure offers it"
            )
        if not self.lifecycle(f"{key}.model", d, offer.lifecycle) or model_only:
            return
        {"serverless": self.serverless, "managed": self.managed, "foundry": self.foundry}[d.kind](key, d, offer)

    def lifecycle(self, key: str, d: _Deployment, life: models.Lifecycle) -> bool:
        stage = life.stage(self.today)
        since = life.since(stage)
        instead = self.instead(d.kind, life)
        source = sources.SOURCES[life.source].url if life.source in sources.SOURCES else life.source
        if stage is models.Stage.RETIRED:
            self.errors.append(
                f"{key}: {d.model!r} ({d.kind}) was retired on {since} and Azure answers 404{instead} ({source})"
            )
        elif stage is models.Stage.DEPRECATED:
            self.errors.append(
                f"{key}: {d.model!r} ({d.kind}) is deprecated since {since}: Azure refuses new deployments, "
                f"and retires it on {life.retired}{instead} ({source})"
            )
        elif stage is models.Stage.LEGACY:
            self.warnings.append(
                f"{key}: {d.model!r} ({d.kind}) is legacy since {since}; it is deprecated on {life.deprecated} "
                f"and retired on {life.retired}{instead}"
            )
        return stage in (models.Stage.GENERALLY_AVAILABLE, models.Stage.LEGACY)

    def instead(self, kind: str, life: models.Lifecycle) -> str:
        """Azure's replacement; where it is gone too, what is offered today."""
        live = []
        for name in life.replacements:
            offer = getattr(models.MODELS.get(name), kind, None)
            if offer is not None and offer.lifecycle.stage(self.today) in (
                models.Stage.GENERALLY_AVAILABLE,
                models.Stage.LEGACY,
            ):
                live.append(name)
        if live:
            return f"; use {' or '.join(live)}"
        named = (
            f"Azure names {' or '.join(life.replacements)}, gone too"
            if life.replacements
            else "Azure names no replacement"
        )
        return f"; {named}; {_offered(kind, self.today)}"

    def serverless(self, key: str, d: ServerlessDeployment, offer: models.ServerlessOffer) -> None:
        if offer.regions is None:
            self.warnings.append(f"{key}.model: the regions of {d.model!r} are not known here: preflight checks them")
        elif self.region and self.region not in offer.regions:
            self.errors.append(
                f"{NAMESPACE}:region: {self.region!r} does not offer {d.model!r} as a serverless API "
                f"({key}); offered in: {', '.join(sorted(offer.regions))}"
            )

    def managed(self, key: str, d: ManagedDeployment, offer: models.ManagedOffer) -> None:
        sku = vm_skus.VM_SKUS.get(d.vm_sku)
        allowed = offer.allowed_vm_skus
        gpus = ", ".join(allowed or vm_skus.GPU_VM_SKUS)
        if sku is None:
            self.errors.append(f"{key}.vmSku: {d.vm_sku!r} is not in the VM catalog; allowed: {gpus}")
        elif not sku.gpus:
            self.errors.append(f"{key}.vmSku: {d.vm_sku!r} has no GPU, a Llama model needs one; allowed: {gpus}")
        elif allowed is not None and d.vm_sku not in allowed:
            self.errors.append(
                f"{key}.vmSku: {d.vm_sku!r} is not in the model card's inference_compute_allow_list for {d.model}, "
                f"which Azure enforces; allowed: {gpus} ({_source(offer.source)})"
            )
        elif allowed is None:
            self.gpu_memory(key, d, sku)
        if d.model_version is None and offer.latest is None:
            self.errors.append(
                f"{key}.modelVersion: required for {d.model}, whose registry versions the catalog does not know; "
                "use the number that ends the model card's id (/versions/N)"
            )
        elif d.model_version is not None and offer.versions and d.model_version not in offer.versions:
            self.warnings.append(
                f"{key}.modelVersion: {d.model_version} is not a version the catalog knows for {d.model} "
                f"({', '.join(map(str, offer.versions))}): preflight checks that the registry has it"
            )

    def gpu_memory(self, key: str, d: ManagedDeployment, sku: vm_skus.VmSku) -> None:
        llama = d.llama
        if llama.parameters_b and llama.min_gpu_memory_gb > sku.total_gpu_memory_gb:
            fitting = [s.name for s in vm_skus.VM_SKUS.values() if s.total_gpu_memory_gb >= llama.min_gpu_memory_gb]
            self.errors.append(
                f"{key}.vmSku: {d.model} needs about {llama.min_gpu_memory_gb} GB of GPU memory and {d.vm_sku!r} has "
                f"{sku.total_gpu_memory_gb} GB ({sku.gpus}x {sku.gpu} {sku.gpu_memory_gb} GB); "
                f"SKUs that fit: {', '.join(fitting) or 'none in the catalog'}"
            )
        else:
            self.warnings.append(
                f"{key}.vmSku: {d.vm_sku!r} was not checked against {d.model}'s model card (no allow-list in the "
                "catalog): preflight reads it from the registry"
            )

    def foundry(self, key: str, d: FoundryDeployment, offer: models.FoundryOffer) -> None:
        if d.model_version is None and not offer.versions:
            self.errors.append(f"{key}.modelVersion: required for {d.model}, whose versions the catalog does not know")
        elif d.model_version is not None and offer.versions and d.model_version not in offer.versions:
            self.errors.append(
                f"{key}.modelVersion: {d.model_version!r} is not a version of {d.model} offered as a Foundry Model; "
                f"offered: {', '.join(offer.versions)} (as of {sources.AS_OF}; `llama-on-azure preflight` lists "
                "Azure's)"
            )
        if d.sku not in offer.deployment_types:
            self.errors.append(
                f"{key}.sku: {d.sku!r} is not a deployment type offered for {d.model}; "
                f"allowed: {', '.join(offer.deployment_types)}"
            )
        filters = self.parts.get("contentFilters") or {}
        if "contentFilters" in self.failed:
            return  # its errors are reported at the policy itself
        if d.content_filter != DEFAULT_CONTENT_FILTER and d.content_filter not in filters:
            names = ", ".join([DEFAULT_CONTENT_FILTER, *filters])
            self.errors.append(
                f"{key}.contentFilter: {d.content_filter!r} is not a policy of {NAMESPACE}:contentFilters; "
                f"allowed: {names}"
            )

    def unique_names(self) -> None:
        """Endpoint names (the keys of `endpoints`) are unique; deployment names are unique per endpoint."""
        seen: dict[str, str] = {}
        for i, d in self.deployments:
            key = key_for("deployments", i)
            if isinstance(d, ManagedDeployment):
                name, where = d.endpoint_name, f"{key}.{'endpoint' if d.endpoint else 'name'}"
                if name.lower() in seen and seen[name.lower()] != "managed":
                    self.errors.append(f"{where}: {name!r} is also the name of a {seen[name.lower()]} endpoint")
                seen.setdefault(name.lower(), "managed")
                continue
            if d.name.lower() in seen:
                self.errors.append(f"{key}.name: {d.name!r} is used twice; endpoint names must be unique")
            seen[d.name.lower()] = d.kind
        models: set[str] = set()
        for i, d in self.deployments:
            if isinstance(d, ServerlessDeployment):
                if d.model in models:
                    self.errors.append(
                        f"{key_for('deployments', i, 'model')}: {d.model!r} already has a serverless deployment; "
                        "Azure allows one serverless deployment per model per project"
                    )
                models.add(d.model)
        foundry = [d for _, d in self.deployments if isinstance(d, FoundryDeployment)]
        if len(foundry) > limits.LIMITS.max_foundry_deployments_per_resource:
            self.errors.append(
                f"{key_for('deployments')}: {len(foundry)} foundry deployments; a Foundry resource holds at most "
                f"{limits.LIMITS.max_foundry_deployments_per_resource}"
            )

    def azure_names(self) -> None:
        """Names cut to Azure's length limits must stay apart: two config names may not give one Azure name."""
        derive = {"serverless": naming.serverless_endpoint, "managed": naming.online_endpoint}
        seen: dict[tuple[str, str], str] = {}
        for i, d in self.deployments:
            kind = d.kind if d.kind in derive else None
            if kind is None:
                continue
            name = d.endpoint_name if isinstance(d, ManagedDeployment) else d.name
            where = key_for("deployments", i, "endpoint" if getattr(d, "endpoint", None) else "name")
            # The suffix is the same for every name of the stack: a placeholder of its length shows the cut.
            azure = derive[kind](name, "0" * naming.SUFFIX_LENGTH).lower()
            earlier = seen.setdefault((kind, azure), name)
            if earlier.lower() != name.lower():
                self.errors.append(
                    f"{where}: {name!r} and {earlier!r} give the same Azure name once cut to Azure's limit "
                    f"({azure[: -naming.SUFFIX_LENGTH]}<suffix>); make them differ in their first "
                    f"{len(azure) - naming.SUFFIX_LENGTH - 1} characters"
                )

    def endpoints(self) -> None:
        """Per online endpoint: deployment names, traffic sums to 100, and the endpoint-level settings agree."""
        groups: dict[str, list[tuple[int, ManagedDeployment]]] = {}
        for i, d in self.deployments:
            if isinstance(d, ManagedDeployment):
                groups.setdefault(d.endpoint_name, []).append((i, d))
        children: dict[str, str] = {}
        for endpoint, members in groups.items():
            key = key_for("deployments", members[0][0])
            self.endpoint_members(endpoint, key, members)
            for i, d in members:
                # Pulumi names the deployment resource `<endpoint>-<deployment>`: two pairs must not meet.
                child = f"{endpoint}-{d.name}".lower()
                if child in children:
                    self.errors.append(
                        f"{key_for('deployments', i, 'name')}: endpoint {endpoint!r} with deployment {d.name!r} "
                        f"gives the same resource name {child!r} as {children[child]}; rename one"
                    )
                children.setdefault(child, f"{key_for('deployments', i)}")

    def endpoint_members(self, endpoint: str, key: str, members: list[tuple[int, ManagedDeployment]]) -> None:
        names: set[str] = set()
        for i, d in members:
            if d.name.lower() in names:
                self.errors.append(
                    f"{key_for('deployments', i, 'name')}: {d.name!r} is used twice on endpoint {endpoint!r}"
                )
            names.add(d.name.lower())
        if len(members) > limits.LIMITS.max_deployments_per_endpoint:
            self.errors.append(
                f"{key}.endpoint: {endpoint!r} has {len(members)} deployments; "
                f"at most {limits.LIMITS.max_deployments_per_endpoint} per endpoint"
            )
        given = [d.traffic for _, d in members if d.traffic is not None]
        where = ", ".join(f"deployments[{i}]" for i, _ in members)
        if len(members) > 1 and not given:
            self.errors.append(
                f"{key}.traffic: endpoint {endpoint!r} has {len(members)} deployments ({where}); "
                "set traffic on them, percentages that sum to 100"
            )
        elif given and sum(given) != 100:
            shares = ", ".join(f"{d.name}={d.traffic or 0}" for _, d in members)
            self.errors.append(
                f"{key}.traffic: endpoint {endpoint!r} traffic sums to {sum(given)} ({shares}); it must sum to 100"
            )
        for field in ("auth_mode", "public_network_access"):
            values = {getattr(d, field) for _, d in members}
            if len(values) > 1:
                self.errors.append(
                    f"{key}.{to_camel(field)}: deployments of endpoint {endpoint!r} disagree "
                    f"({', '.join(sorted(values))}); it is a setting of the endpoint, give them the same value"
                )
        if len({d._llama.api for _, d in members if d._llama}) > 1:
            self.errors.append(
                f"{key}.endpoint: endpoint {endpoint!r} would mix chat and completion models behind one URL; "
                "give them separate endpoints"
            )

    def content_filters(self) -> None:
        seen: dict[str, str] = {}
        for name in self.parts.get("contentFilters") or {}:
            key = key_for("contentFilters", name)
            if name.lower() == DEFAULT_CONTENT_FILTER:
                self.errors.append(f"{key}: {name!r} names Microsoft's default content filter; choose another name")
            elif name.lower() in seen:
                self.errors.append(
                    f"{key}: {name!r} and {seen[name.lower()]!r} are one name to Azure (case-insensitive)"
                )
            seen.setdefault(name.lower(), name)

    def hub_network(self) -> None:
        if "hub" in self.failed:
            return
        hub: Hub = self.parts.get("hub") or Hub()
        if hub.isolation_mode == "Disabled":
            return
        for i, d in self.deployments:
            if isinstance(d, ManagedDeployment) and "egress_public_network_access" in d.model_fields_set:
                self.errors.append(
                    f"{key_for('deployments', i, 'egressPublicNetworkAccess')}: Azure ignores it under the hub's "
                    f"managed network ({key_for('hub', 'isolationMode')} is {hub.isolation_mode!r}); "
                    "outbound access follows the managed network, remove the key"
                )

    def tags(self) -> None:
        tags = self.parts.get("tags")
        if isinstance(tags, dict):
            self.errors.extend(tag_errors(tags))

    def access(self) -> None:
        access: Access | None = self.parts.get("access")
        if access is None:
            return
        key = key_for("access")
        if access.deployers and not access.deployer_role:
            self.errors.append(f"{key}.deployers: deployers get the custom deployer role; set {key}.deployerRole: true")
        for field in ("deployers", "developers"):
            seen: set[str] = set()
            for i, principal in enumerate(getattr(access, field)):
                if principal.id.lower() in seen:
                    self.errors.append(f"{key}.{field}[{i}]: {principal.id!r} is listed twice")
                seen.add(principal.id.lower())


# Azure's tag rules: names up to 512 characters (128 on storage accounts, the strictest resource
# here), values up to 256, at most 50 tags, none of <>%&\?/ in names, and the prefixes microsoft,
# azure and windows reserved (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources).
TAG_NAME_MAX, TAG_VALUE_MAX, TAG_COUNT_MAX = 128, 256, 50
TAG_NAME_FORBIDDEN = set("<>%&\\?/")
TAG_RESERVED_PREFIXES = ("microsoft", "azure", "windows")


def tag_errors(tags: dict[str, str]) -> list[str]:
    key = key_for("tags")
    errors = []
    if len(tags) + len(RESERVED_TAGS) > TAG_COUNT_MAX:
        errors.append(f"{key}: {len(tags)} tags; with the {len(RESERVED_TAGS)} always set, at most {TAG_COUNT_MAX}")
    seen: set[str] = set()
    for name, value in tags.items():
        where = f"{key}.{name}"
        if name.lower() in RESERVED_TAGS:
            errors.append(f"{where}: is always set by the stack ({', '.join(RESERVED_TAGS)}); choose another tag name")
        elif name.lower() in seen:
            first = next(n for n in tags if n.lower() == name.lower())
            errors.append(f"{where}: {name!r} and {first!r} are one tag to Azure (tag names are case-insensitive)")
        seen.add(name.lower())
        if not name or len(name) > TAG_NAME_MAX or TAG_NAME_FORBIDDEN & set(name) or not name.isprintable():
            errors.append(f"{where}: not an Azure tag name: 1-{TAG_NAME_MAX} printable characters, none of <>%&\\?/")
        elif name.lower().startswith(TAG_RESERVED_PREFIXES):
            errors.append(f"{where}: the prefixes {', '.join(TAG_RESERVED_PREFIXES)} are reserved by Azure")
        if len(value) > TAG_VALUE_MAX or not value.isprintable():
            errors.append(f"{where}: the value is not allowed: at most {TAG_VALUE_MAX} printable characters")
    return errors


def _source(key: str) -> str:
    return sources.SOURCES[key].url if key in sources.SOURCES else key


def _offered(kind: str, today: dt.date) -> str:
    offered = [
        m.name
        for m in models.MODELS.values()
        if (offer := getattr(m, kind)) is not None
        and offer.lifecycle.stage(today) in (models.Stage.GENERALLY_AVAILABLE, models.Stage.LEGACY)
    ]
    return f"offered as kind {kind!r} today: {', '.join(offered) or 'none'}"
