"""Who may do what: the custom deployer role, and the built-in roles that let developers call the deployments."""

import uuid
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization

from catalog import rbac
from components.options import component_options, named_child, type_token

# Fixed namespace: the same inputs give the same GUIDs on every run, so definitions and
# assignments are never duplicated and a re-run changes nothing.
_NAMESPACE = uuid.UUID("6f0c1c55-3a8e-4d55-9a8a-6c1a7b0e2a11")


def stable_guid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(p.lower() for p in parts)))


class PrincipalArgs(TypedDict):
    """An Entra principal."""

    object_id: str
    """Object id (a GUID)."""
    principal_type: NotRequired[str]
    """User (default), Group or ServicePrincipal: Azure checks the type given against the directory."""


class AccessArgs(TypedDict):
    """Inputs of an `Access`."""

    subscription_id: pulumi.Input[str]
    """Subscription of the stack."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the stack."""
    role_name: pulumi.Input[str]
    """Name of the custom deployer role; unique in the tenant."""
    deployer_actions: NotRequired[Sequence[str]]
    """Actions of the custom deployer role; no role is created when left out."""
    deployers: NotRequired[Sequence[PrincipalArgs]]
    """Principals that get the custom role at the subscription, the resource group and each scope below."""
    developers: NotRequired[Sequence[PrincipalArgs]]
    """Principals that get the built-in roles to call the deployments (Entra ID)."""
    project_id: NotRequired[pulumi.Input[str]]
    """Resource id of a hub project: deployers and developers (Azure AI Developer) get roles there."""
    foundry_account_id: NotRequired[pulumi.Input[str]]
    """Resource id of a Foundry resource: deployers and developers (Foundry User) get roles there."""


class Access(pulumi.ComponentResource):
    """The custom deployer `RoleDefinition` and the `RoleAssignment`s of deployers and developers."""

    role_definition_id: pulumi.Output[str] | None
    """Resource id of the custom deployer role, when one is created."""
    assignment_ids: list[pulumi.Output[str]]
    """Resource ids of every role assignment."""

    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("Access"), name, None, component_options(opts, "llama-on-azure:ai:ProjectAccess"))
        subscription = pulumi.Output.concat("/subscriptions/", args["subscription_id"])
        group = pulumi.Output.concat(subscription, "/resourceGroups/", args["resource_group_name"])
        scopes = {"subscription": subscription, "resourceGroup": group}
        if "project_id" in args:
            scopes["project"] = pulumi.Output.from_input(args["project_id"])
        if "foundry_account_id" in args:
            scopes["foundry"] = pulumi.Output.from_input(args["foundry_account_id"])
        self.role_definition_id = None
        self.assignment_ids = []
        if args.get("deployer_actions"):
            role = self._deployer_role(name, args, subscription)
            self.role_definition_id = role.id
            for principal in args.get("deployers") or []:
                for scope_name, scope in scopes.items():
                    self._assign(f"{name}-deployer-{principal['object_id']}-{scope_name}", principal, role.id, scope)
        builtin = {"project": rbac.AZURE_AI_DEVELOPER, "foundry": rbac.FOUNDRY_USER}
        for principal in args.get("developers") or []:
            for scope_name, role_def in builtin.items():
                if scope_name in scopes:
                    role_id = pulumi.Output.concat(
                        subscription, "/providers/Microsoft.Authorization/roleDefinitions/", role_def.id
                    )
                    suffix = "" if scope_name == "project" else f"-{scope_name}"
                    self._assign(
                        f"{name}-developer-{principal['object_id']}{suffix}", principal, role_id, scopes[scope_name]
                    )
        self.register_outputs({"roleDefinitionId": self.role_definition_id, "assignmentIds": self.assignment_ids})

    def _deployer_role(
        self, name: str, args: AccessArgs, subscription: pulumi.Output[str]
    ) -> authorization.RoleDefinition:
        return authorization.RoleDefinition(
            f"{name}-deployer-role",
            role_definition_id=pulumi.Output.all(args["subscription_id"], args["role_name"]).apply(
                lambda parts: stable_guid(*parts)
            ),
            role_name=args["role_name"],
            description="Deploy Meta Llama with llama-on-azure: Marketplace offers, SaaS resources, serverless "
            "endpoints and Foundry resources (Microsoft's how-to, custom role).",
            role_type="CustomRole",
            scope=subscription,
            # Assignable at the subscription and everything in it: the resource group, project and account too.
            assignable_scopes=[subscription],
            permissions=[authorization.PermissionArgs(actions=list(args["deployer_actions"]))],  # type: ignore[typeddict-item]
            opts=named_child(self),
        )

    def _assign(
        self, name: str, principal: PrincipalArgs, role_id: pulumi.Input[str], scope: pulumi.Output[str]
    ) -> None:
        assignment = authorization.RoleAssignment(
            name,
            # One name per (scope, principal, role): applying twice finds the same assignment.
            role_assignment_name=pulumi.Output.all(scope, role_id).apply(
                lambda parts: stable_guid(parts[0], principal["object_id"], parts[1])
            ),
            principal_id=principal["object_id"],
            # Explicit: the SDK's default, User, is refused by Azure for groups and service principals.
            principal_type=principal.get("principal_type", authorization.PrincipalType.USER),
            role_definition_id=role_id,
            scope=scope,
            opts=named_child(self),
        )
        self.assignment_ids.append(assignment.id)
