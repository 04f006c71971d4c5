"""Who may do what: the how-to's custom deployer role and the developers' Azure AI Developer role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization

from components import catalog

# Fixed namespace: the same inputs give the same GUIDs on every run, so definitions and
# assignments are never duplicated and a re-run changes nothing.
_NAMESPACE = uuid.UUID("6f0c1c55-3a8e-4d55-9a8a-6c1a7b0e2a11")


def stable_guid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(p.lower() for p in parts)))


@dataclass(frozen=True)
class Principal:
    """An Entra principal: object id and kind (Azure checks the kind given against the directory)."""

    object_id: str
    type: authorization.PrincipalType = authorization.PrincipalType.USER


@dataclass
class ProjectAccessArgs:
    """Inputs of a `ProjectAccess`."""

    subscription_id: pulumi.Input[str]
    """Subscription of the hub and project."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the hub and project."""
    project_id: pulumi.Input[str]
    """Resource id of the project."""
    role_name: str
    """Name of the custom role; unique in the tenant, so it carries the environment."""
    deployer_role: bool = False
    """Create the custom deployer role."""
    deployers: list[Principal] = field(default_factory=list)
    """Principals that get the custom role at the subscription, resource group and project."""
    developers: list[Principal] = field(default_factory=list)
    """Principals that get Azure AI Developer on the project."""


class ProjectAccess(pulumi.ComponentResource):
    """The custom deployer `RoleDefinition` and the `RoleAssignment`s of deployers and developers."""

    role_definition_id: pulumi.Output[str] | None
    assignment_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: ProjectAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llama-on-azure:ai:ProjectAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        subscription = pulumi.Output.concat("/subscriptions/", args.subscription_id)
        group = pulumi.Output.concat(subscription, "/resourceGroups/", args.resource_group_name)
        scopes = {
            "subscription": subscription,
            "resourceGroup": group,
            "project": pulumi.Output.from_input(args.project_id),
        }
        self.role_definition_id = None
        self.assignment_ids = []

        if args.deployer_role:
            role = authorization.RoleDefinition(
                f"{name}-deployer-role",
                role_definition_id=pulumi.Output.from_input(args.subscription_id).apply(
                    lambda sub: stable_guid(sub, args.role_name)
                ),
                role_name=args.role_name,
                description="Deploy pay-as-you-go Meta Llama: subscribe a project to the Marketplace offer, "
                "create its SaaS resource and serverless endpoints (Microsoft's how-to, custom role).",
                role_type="CustomRole",
                scope=subscription,
                # Assignable at the subscription and everything in it: the resource group and project too.
                assignable_scopes=[subscription],
                permissions=[
                    authorization.PermissionArgs(
                        actions=[a for scope in catalog.DEPLOYER_ACTIONS.values() for a in scope]
                    )
                ],
                opts=child,
            )
            self.role_definition_id = role.id
            for principal in args.deployers:
                for scope_name, scope in scopes.items():
                    self._assign(f"{name}-deployer-{principal.object_id}-{scope_name}", principal, role.id, scope)

        developer_role = pulumi.Output.concat(
            subscription, "/providers/Microsoft.Authorization/roleDefinitions/", catalog.AZURE_AI_DEVELOPER_ROLE_ID
        )
        for principal in args.developers:
            self._assign(f"{name}-developer-{principal.object_id}", principal, developer_role, scopes["project"])

        self.register_outputs({"roleDefinitionId": self.role_definition_id, "assignmentIds": self.assignment_ids})

    def _assign(self, name: str, principal: Principal, role_id: pulumi.Input[str], scope: pulumi.Output[str]) -> None:
        assignment = authorization.RoleAssignment(
            name,
            # One name per (scope, principal, role): applying twice finds the same assignment.
            role_assignment_name=pulumi.Output.all(scope, role_id).apply(
                lambda parts: stable_guid(parts[0], principal.object_id, parts[1])
            ),
            principal_id=principal.object_id,
            # Explicit: the SDK's default, User, is refused by Azure for groups and service principals.
            principal_type=principal.type,
            role_definition_id=role_id,
            scope=scope,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.assignment_ids.append(assignment.id)
