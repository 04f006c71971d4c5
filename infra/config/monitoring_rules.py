"""Monitoring and key-storage rules: what each resource can send, where keys can go, every error at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic.alias_generators import to_camel

from catalog import monitoring, sources
from infra.config.stack import diagnostic_resources
from infra.config.types import FieldFailed, PartialConfig, choices, key_for
from infra.kinds import KINDS, Deployment, Kind, Platform
from infra.kinds.base import guarded

if TYPE_CHECKING:
    from infra.config.rules import Rules

MON, SECRETS = "monitoring", "keyVaultSecrets"
WORKSPACE_KEYS = ("workspace_id", "log_retention_days", "logs", "metrics")


def check(rules: Rules, kinds: set[Kind[Any]], deployments: list[Deployment[Any]]) -> None:
    """Every rule of `monitoring` and `keyVaultSecrets` against the resources the stack has."""
    hub = rules.section("hub")
    platforms = {kind.platform for kind in kinds}
    registry = bool(hub is not None and hub.container_registry)
    # A section with a key that failed is judged on its keys that validated: a field error never hides a rule's.
    if (mon := rules.judged(MON)) is not None:
        guarded(_diagnostics, rules, mon, diagnostic_resources(platforms, registry, kinds), platforms)
        if (alerts := _part(mon, "alerts")) is not None:
            guarded(_alerts, rules, alerts, kinds)
    if (secrets := rules.judged(SECRETS)) is not None:
        guarded(_key_vault_secrets, rules, secrets, platforms, deployments)


def _part(section: Any, name: str) -> Any:
    """A sub-section: validated, or (when it failed) its keys that validated; None when it is not a mapping."""
    try:
        return getattr(section, name)
    except FieldFailed:
        return section.nested(name) if isinstance(section, PartialConfig) else None


def _diagnostics(rules: Rules, mon: Any, present: list[str], platforms: set[Platform]) -> None:
    if not mon.diagnostics:
        for field in sorted(mon.model_fields_set & set(WORKSPACE_KEYS)):
            rules.error(
                f"{key_for(MON, to_camel(field))}: only with diagnostics; {key_for(MON, 'diagnostics')} is false"
            )
        return
    guarded(_retention, rules, mon, platforms)
    for resource, names in mon.logs.items():
        guarded(_logs, rules, mon, resource, names, present)


def _retention(rules: Rules, mon: Any, platforms: set[Platform]) -> None:
    if mon.log_retention_days is not None:
        where = key_for(MON, "logRetentionDays")
        if Platform.HUB in platforms:
            rules.error(
                f"{where}: the stack's hub has its own workspace, which keeps {key_for('hub', 'logRetentionDays')}; "
                "this key is for the workspace a stack without a hub gets"
            )
        elif mon.workspace_id is not None:
            rules.error(
                f"{where}: {key_for(MON, 'workspaceId')} names an existing workspace, which keeps its own retention "
                "(set it there, per table); this key is for the workspace the stack creates"
            )


def _logs(rules: Rules, mon: Any, resource: str, names: list[str], present: list[str]) -> None:
    where = key_for(MON, "logs", resource)
    if resource not in monitoring.RESOURCES:
        known = choices(monitoring.RESOURCES, resource)
        rules.error(f"{where}: {resource!r} is not a resource with diagnostic settings; {known}")
        return
    if resource not in present:
        rules.error(
            f"{where}: the stack has no {resource}; its resources with diagnostic settings: {', '.join(present)}"
        )
        return
    allowed = monitoring.log_names(resource)
    types = ", ".join(t.resource_type for t in monitoring.RESOURCES[resource] if t.categories)
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name not in allowed:
            source = sources.SOURCES[monitoring.RESOURCES[resource][-1].source]
            rules.error(
                f"{where}[{i}]: {name!r} is not a log category or category group of {types}; "
                f"{choices(allowed, name)} (Microsoft's supported logs, {source.dated})"
            )
        elif name in seen:
            rules.error(f"{where}[{i}]: {name!r} is listed twice")
        seen.add(name)
    groups = [n for n in names if n in monitoring.CATEGORY_GROUPS]
    if groups and len(groups) < len(names):
        rules.error(
            f"{where}: category groups ({', '.join(groups)}) and categories together; Azure takes one or the other "
            f"(a group already includes its categories) [{sources.cite('diagnostic-settings')}]"
        )
    if not names and not mon.metrics:
        rules.error(f"{where}: no logs, and {key_for(MON, 'metrics')} is false: the setting would send nothing")


ALERTS = ("throttling", "serverErrors", "latency", "capacity", "utilization")


def _alerts(rules: Rules, alerts: Any, kinds: set[Kind[Any]]) -> None:
    where = key_for(MON, "alerts")
    given = {to_camel(f) for f in alerts.model_fields_set}
    if not alerts.enabled:
        for key in sorted(given & {"emails", "webhooks", *ALERTS}):
            rules.error(f"{where}.{key}: only with alerts; {where}.enabled is false")
        return
    for alert in ALERTS:
        if alert in given and not any(alert in kind.alerts for kind in kinds):
            offered = [kind.name for kind in KINDS.values() if alert in kind.alerts]
            rules.warn(
                f"{where}.{alert}: no deployment of this stack gets it (kind {' or '.join(offered)}): "
                "it changes nothing"
            )
    lower: dict[str, int] = {}
    for i, email in enumerate(alerts.emails):
        if email.lower() in lower:
            rules.error(f"{where}.emails[{i}]: {email!r} is listed twice (also emails[{lower[email.lower()]}])")
        lower.setdefault(email.lower(), i)


def _key_vault_secrets(
    rules: Rules, secrets: Any, platforms: set[Platform], deployments: list[Deployment[Any]]
) -> None:
    where = key_for(SECRETS)
    if not secrets.enabled:
        for field in sorted(secrets.model_fields_set - {"enabled"}):
            rules.error(f"{where}.{to_camel(field)}: only with {where}.enabled: true")
        return
    guarded(_vault, rules, secrets, platforms)
    guarded(_readers, rules, secrets)
    keyed: list[bool] = []
    for d in deployments:
        guarded(lambda d=d: keyed.append(KINDS[d.config.kind].has_key(rules, d)))
    if deployments and not any(keyed):
        rules.warn(f"{where}: no endpoint of the stack has a key (Entra ID or token auth only): nothing is stored")


def _vault(rules: Rules, secrets: Any, platforms: set[Platform]) -> None:
    if secrets.vault_id is None and Platform.HUB not in platforms:
        rules.error(
            f"{key_for(SECRETS)}.vaultId: required without a hub (the stack has no vault of its own): give an "
            "existing vault's resource id (Azure RBAC authorization, the stack's subscription)"
        )


def _readers(rules: Rules, secrets: Any) -> None:
    where = key_for(SECRETS)
    seen: set[str] = set()
    for i, principal in enumerate(secrets.readers):
        if principal.id.lower() in seen:
            rules.error(f"{where}.readers[{i}]: {principal.id!r} is listed twice")
        seen.add(principal.id.lower())
