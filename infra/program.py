"""The Pulumi program: stack configuration -> platforms and each kind's deployments -> exports."""

import datetime as dt
from typing import Any

import pulumi

from catalog import rbac, sources
from components.access import Access, AccessArgs, PrincipalArgs
from components.budget import Budget, BudgetArgs
from components.key_vault_secret import KeyVaultSecret, KeyVaultSecretArgs
from infra import cost, monitoring, naming, sdk_internals
from infra.config.parse import config_from_engine, today_utc
from infra.config.stack import ResolvedStack
from infra.config.types import ConfigError
from infra.exports import StackExports
from infra.platforms import Platforms


def load_config() -> ResolvedStack:
    """Read every key through pulumi.Config and validate it before anything is registered; a mistake is a RunError."""
    keys = sdk_internals.engine_config_keys()
    values: dict[str, str] = {}
    for full in keys:
        namespace, _, key = full.partition(":")
        value = pulumi.Config(namespace).get(key) if key else None
        if value is not None:
            values[full] = value
    secret = {k for k in keys if pulumi.runtime.is_config_secret(k)}
    try:
        return config_from_engine(values, secret, pulumi.get_stack())
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


def build(stack: ResolvedStack) -> StackExports:
    """The resource group, each kind's deployments on the platforms they need, access; return the exports."""
    platforms = Platforms(stack)
    endpoints: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    built: list[monitoring.Built] = []
    for kind, deployments in stack.kinds:
        groups = kind.endpoints(deployments)
        for name, export in kind.build(platforms, deployments).items():
            endpoints[name] = export.entry
            built.append(monitoring.Built(kind, name, export, groups[name]))
            if export.key is not None:
                keys[name] = export.key
    monitoring.diagnostics(platforms, built)
    monitoring.alerts(platforms, built)
    exports = platforms.exports()
    if stack.config.key_vault_secrets.enabled and keys:
        exports["endpointKeySecrets"] = {
            name: _key_secret(platforms, name, key).secret_uri for name, key in keys.items()
        }
    if stack.config.budget.enabled:
        exports["budgetName"] = _budget(platforms, today_utc()).name
    if stack.config.access.enabled:
        access = _access(platforms)
        if access.role_definition_id is not None:
            exports["deployerRoleId"] = access.role_definition_id
    return StackExports(  # type: ignore[typeddict-item]
        region=stack.region,
        resourceGroupName=platforms.group_name,
        catalogAsOf=sources.AS_OF.isoformat(),
        endpoints=endpoints,
        endpointKeys=pulumi.Output.secret(keys),
        costEstimate=cost.estimate(stack).export(),
        **exports,
    )


def _budget(platforms: Platforms, today: dt.date) -> Budget:
    budget = platforms.stack.config.budget
    return Budget(
        "budget",
        BudgetArgs(
            budget_name=platforms.name(lambda n: n.budget),
            subscription_id=platforms.subscription_id,
            resource_group_name=platforms.group_name,
            amount=budget.amount,  # type: ignore[typeddict-item]
            # Azure takes a start in the current month (the first day of it) when the budget is created.
            start_date=today.replace(day=1).isoformat(),
            contact_emails=budget.contact_emails,
            thresholds=budget.thresholds,
            forecast_thresholds=budget.forecast,
        ),
    )


def _key_secret(platforms: Platforms, endpoint: str, key: Any) -> KeyVaultSecret:
    """An endpoint's key in the stack's vault (the hub's, or the one `keyVaultSecrets.vaultId` names)."""
    stack = platforms.stack
    secrets = stack.config.key_vault_secrets
    if secrets.vault_id is not None:
        parts = secrets.vault_id.split("/")  # /subscriptions/<id>/resourceGroups/<group>/providers/.../vaults/<name>
        subscription, group, vault = parts[2], parts[4], parts[-1]
    else:
        hub = platforms.built_hub
        assert hub is not None, "config rules: keyVaultSecrets without a hub needs vaultId"
        subscription, group, vault = platforms.subscription_id, platforms.group_name, hub.hub.key_vault_name
    return KeyVaultSecret(
        f"{endpoint}-key",
        KeyVaultSecretArgs(
            secret_name=naming.endpoint_key_secret(stack.config.prefix, stack.environment, endpoint),
            vault_name=vault,
            resource_group_name=group,
            value=key,
            subscription_id=subscription,
            readers=_principals(secrets.readers),
            tags=platforms.tags,
        ),
    )


def _access(platforms: Platforms) -> Access:
    stack = platforms.stack
    # Every action deploying this stack takes (the how-to's list for the hub path), but role management.
    how_to = [a for scope in rbac.DEPLOYER_ACTIONS.values() for a in scope]
    # The role is assigned on the stack's group: what deploying needs on the landing zone's resources is granted there.
    needed = [
        a
        for label, (scope, group) in stack.deployer_actions().items()
        if label != "role management" and scope in ("subscription", "group")
        for a in group
    ]
    scopes: dict[str, Any] = {}
    if (hub := platforms.built_hub) is not None:
        scopes["project_id"] = hub.project.resource_id
    if (foundry := platforms.built_foundry) is not None:
        scopes["foundry_account_id"] = foundry.account.resource_id
    access = stack.config.access
    return Access(
        "access",
        AccessArgs(
            subscription_id=platforms.subscription_id,
            resource_group_name=platforms.group_name,
            role_name=platforms.name(lambda n: n.deployer_role),
            deployers=_principals(access.deployers),
            developers=_principals(access.developers),
            **({"deployer_actions": list(dict.fromkeys(how_to + needed))} if access.deployer_role else {}),
            **scopes,
        ),
    )


def _principals(entries: list[Any]) -> list[PrincipalArgs]:
    return [PrincipalArgs(object_id=p.id, principal_type=p.type) for p in entries]


def main() -> None:
    stack = load_config()
    for warning in stack.warnings:
        pulumi.log.warn(warning)
    for name, value in build(stack).items():
        pulumi.export(name, value)
