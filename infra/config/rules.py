"""Rules across keys: what Azure would refuse, judged over every part of a stack that validated, every error at once."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from catalog import models, sources, vm_skus
from catalog.conflicts import CONFLICTS
from infra import naming
from infra.config import monitoring_rules, network_rules
from infra.config.model import RESERVED_TAGS, Access, DeclaredModel, known_models
from infra.config.types import NAMESPACE, FieldFailed, choices, key_for
from infra.kinds import KINDS, Deployment, Kind
from infra.kinds.foundry import DEFAULT_CONTENT_FILTER

if TYPE_CHECKING:
    from infra.config.parse import DeploymentPart, PartialStack

LIVE = (models.Stage.GENERALLY_AVAILABLE, models.Stage.LEGACY)


class Rules:
    """The rules over a partial stack; errors refuse it, warnings are printed. Kinds judge their own deployments
    through `error`, `warn` and what a stack-level rule needs (`region`, `section`, `allowed`)."""

    def __init__(self, partial: PartialStack, today: dt.date, cloud: str = "public") -> None:
        self.partial, self.today, self.cloud = partial, today, cloud
        self.errors, self.warnings = partial.errors, []
        self.known = known_models([m for _, m in partial.models])

    # What kinds read and write.
    def error(self, message: str) -> None:
        self.errors.append(message)

    def warn(self, message: str) -> None:
        if message not in self.warnings:  # a warning about a shared part (a content filter) is said once
            self.warnings.append(message)

    def section(self, alias: str) -> Any:
        """A top-level key's value (or default); None when it failed validation."""
        return self.partial.section(alias)

    def judged(self, alias: str) -> Any:
        """A section's value, or when it failed its keys that validated (a failed key raises FieldFailed)."""
        return self.partial.judged(alias)

    @property
    def region(self) -> str | None:
        return self.section("region")

    @property
    def private(self) -> bool:
        """The stack is private (`network.private`), whatever else failed."""
        net = self.section("network")
        return bool(net is not None and net.private)

    @property
    def isolation_mode(self) -> str | None:
        hub = self.section("hub")
        return hub.isolation_mode if hub is not None else None

    def declaration(self, model: str) -> tuple[int, DeclaredModel] | None:
        """Where the stack declares this model (`models[i]`), if it does."""
        return next(((i, m) for i, m in self.partial.models if m.name == model), None)

    # The run.
    def run(self) -> list[Deployment[Any]]:
        """Every rule; returns the deployments with their catalog entries, in the stack file's order."""
        self.declared_models()
        resolved = [d for part in self.partial.deployments if (d := self.resolve(part)) is not None]
        for kind in KINDS.values():
            if found := [d for d in resolved if d.config.kind == kind.name]:
                kind.rules(self, found)
        self.unique_names(resolved)
        self.azure_names(resolved)
        network_rules.check(self, {part.kind.platform for part in self.partial.deployments if part.kind})
        monitoring_rules.check(self, {part.kind for part in self.partial.deployments if part.kind}, resolved)
        self.content_filters()
        self.tags()
        self.access()
        return resolved

    def declared_models(self) -> None:
        seen: set[str] = set()
        for i, m in self.partial.models:
            key = key_for("models", i, "name")
            if m.name.lower() in seen:
                self.error(f"{key}: {m.name!r} is declared twice")
            seen.add(m.name.lower())
            known = models.MODELS.get(m.name)
            if known is not None and known.api.value != m.api:
                self.error(
                    f"{key_for('models', i, 'api')}: {m.api!r} is not the API of {m.name}, which is {known.api.value!r}"
                )
            elif known is not None:
                self.warn(
                    f"{key}: adds to the catalog's {m.name} (as of {sources.AS_OF}) what the snapshot does not know "
                    "yet: only `llama-on-azure preflight` can confirm it; its lifecycle stays the catalog's"
                )
            for j, sku in enumerate(m.allowed_vm_skus or []):
                if sku not in vm_skus.VM_SKUS:
                    self.error(
                        f"{key_for('models', i, 'allowedVmSkus', j)}: {sku!r} is not in the VM catalog; "
                        f"{choices(vm_skus.GPU_VM_SKUS, sku, 'GPU SKUs:')}"
                    )

    def resolve(self, part: DeploymentPart) -> Deployment[Any] | None:
        """The deployment with its catalog entry, when its model is known, offered this way and deployable today."""
        if part.kind is None or part.config is None:
            return None
        try:
            model = part.config.model
        except FieldFailed:
            return None
        kind, key = part.kind, key_for("deployments", part.index)
        llama = self.known.get(model)
        if llama is None:
            self.unknown_model(kind, key, model)
            return None
        try:
            offer = kind.offer_for(part.config, llama)
        except FieldFailed:
            return None
        if offer is None:
            self.error(f"{key}.model: {model!r} is not offered as kind {kind.name!r}; {self.offered(kind)}")
            return None
        if llama.declared:
            self.warn(
                f"{key}.model: {model!r} is declared by the stack, not in the catalog as of {sources.AS_OF}: "
                "only `llama-on-azure preflight` can confirm that Azure offers it"
            )
        if not self.lifecycle(f"{key}.model", kind, model, offer.lifecycle):
            return None
        if offer.conflict:
            self.warn(f"{key}.model: {CONFLICTS[offer.conflict].sentence()}")
        return kind.deployment(part.config, llama, part.index)  # type: ignore[arg-type]

    def unknown_model(self, kind: Kind[Any], key: str, model: str) -> None:
        if model in self.partial.failed_models:
            return  # its declaration failed validation and is reported there
        same = [name for name in self.known if name.lower() == model.lower()]
        hint = f"; model names are case-sensitive: did you mean {same[0]!r}?" if same else ""
        self.error(
            f"{key}.model: {model!r} is not in the Llama catalog (as of {sources.AS_OF}){hint}; "
            f"{self.offered(kind)}, or declare it in {NAMESPACE}:models"
        )

    def lifecycle(self, key: str, kind: Kind[Any], model: str, life: models.Lifecycle) -> bool:
        stage, instead = life.stage(self.today), self.instead(kind, life)
        since, source = life.since(stage), sources.cite(life.source)
        if stage is models.Stage.RETIRED:
            self.error(
                f"{key}: {model!r} ({kind.name}) was retired on {since} and Azure answers 404{instead} ({source})"
            )
        elif stage is models.Stage.DEPRECATED:
            self.error(
                f"{key}: {model!r} ({kind.name}) is deprecated since {since}: Azure refuses new deployments, "
                f"and retires it on {life.retired}{instead} ({source})"
            )
        elif stage is models.Stage.LEGACY:
            self.warn(
                f"{key}: {model!r} ({kind.name}) is legacy since {since}; it is deprecated on {life.deprecated} "
                f"and retired on {life.retired}{instead}"
            )
        return stage in LIVE

    def instead(self, kind: Kind[Any], life: models.Lifecycle) -> str:
        """Azure's replacement; where it is gone too, what is offered today."""
        live = [
            name
            for name in life.replacements
            if (offer := getattr(models.MODELS.get(name), kind.offer, None)) is not None
            and offer.lifecycle.stage(self.today) in LIVE
        ]
        if live:
            return f"; use {' or '.join(live)}"
        named = (
            f"Azure names {' or '.join(life.replacements)}, gone too"
            if life.replacements
            else "Azure names no replacement"
        )
        return f"; {named}; {self.offered(kind)}"

    def offered(self, kind: Kind[Any]) -> str:
        names = [
            m.name
            for m in models.MODELS.values()
            if (offer := getattr(m, kind.offer)) is not None and offer.lifecycle.stage(self.today) in LIVE
        ]
        return f"offered as kind {kind.name!r} today: {', '.join(names) or 'none'}"

    def unique_names(self, deployments: list[Deployment[Any]]) -> None:
        """Endpoint names (the keys of `endpoints`) are unique; only kinds that share endpoints may repeat one."""
        first: dict[str, Kind[Any]] = {}
        for d in deployments:
            try:
                name = d.endpoint
            except FieldFailed:
                continue
            kind, lower = KINDS[d.config.kind], name.lower()
            if lower not in first:
                first[lower] = kind
            elif first[lower] is not kind and kind.shared_endpoints:
                self.error(f"{d.key}.endpoint: {name!r} is also the name of a {first[lower].name} endpoint")
            elif not kind.shared_endpoints:
                self.error(f"{d.key}.name: {name!r} is used twice; endpoint names must be unique")

    def azure_names(self, deployments: list[Deployment[Any]]) -> None:
        """Names cut to Azure's length limits must stay apart: two config names may not give one Azure name."""
        seen: dict[tuple[str, str], str] = {}
        for d in deployments:
            kind = KINDS[d.config.kind]
            try:
                name = d.endpoint
            except FieldFailed:
                continue
            # The suffix is the same for every name of the stack: a placeholder of its length shows the cut.
            azure = kind.azure_name(name, "0" * naming.SUFFIX_LENGTH)
            if azure is None:
                continue
            earlier = seen.setdefault((kind.name, azure.lower()), name)
            if earlier.lower() != name.lower():
                where = f"{d.key}.{'endpoint' if name != d.name else 'name'}"
                self.error(
                    f"{where}: {name!r} and {earlier!r} give the same Azure name once cut to Azure's limit "
                    f"({azure[: -naming.SUFFIX_LENGTH]}<suffix>); make them differ in their first "
                    f"{len(azure) - naming.SUFFIX_LENGTH - 1} characters"
                )

    def content_filters(self) -> None:
        seen: dict[str, str] = {}
        for name in self.section("contentFilters") or {}:
            key = key_for("contentFilters", name)
            if name.lower() == DEFAULT_CONTENT_FILTER:
                self.error(f"{key}: {name!r} names Microsoft's default content filter; choose another name")
            elif name.lower() in seen:
                self.error(f"{key}: {name!r} and {seen[name.lower()]!r} are one name to Azure (case-insensitive)")
            seen.setdefault(name.lower(), name)

    def tags(self) -> None:
        tags = self.section("tags")
        if isinstance(tags, dict):
            self.errors.extend(tag_errors(tags))

    def access(self) -> None:
        access: Access | None = self.section("access")
        if access is None:
            return
        key = key_for("access")
        if access.deployers and not access.deployer_role:
            self.error(f"{key}.deployers: deployers get the custom deployer role; set {key}.deployerRole: true")
        for field in ("deployers", "developers"):
            seen: set[str] = set()
            for i, principal in enumerate(getattr(access, field)):
                if principal.id.lower() in seen:
                    self.error(f"{key}.{field}[{i}]: {principal.id!r} is listed twice")
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
