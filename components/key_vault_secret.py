"""A Key Vault secret holding one credential, and who may read it: what an app with a managed identity reads."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, keyvault

from catalog import rbac
from components.access import PrincipalArgs, stable_guid
from components.options import component_options, named_child, type_token

CONTENT_TYPE = "text/plain"
ROLE_DEFINITIONS = "/providers/Microsoft.Authorization/roleDefinitions/"


class KeyVaultSecretArgs(TypedDict):
    """Inputs of a `KeyVaultSecret`."""

    secret_name: pulumi.Input[str]
    """Required. Name of the secret: 1-127 letters, digits and dashes, unique in the vault."""
    vault_name: pulumi.Input[str]
    """Required. The vault (with Azure RBAC authorization), in the stack's subscription."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the vault."""
    value: pulumi.Input[str]
    """Required. The credential; always a secret, whatever the caller passes (Azure never returns it)."""
    subscription_id: NotRequired[pulumi.Input[str]]
    """Conditional. Subscription of the vault: required with readers (the role's id names it)."""
    readers: NotRequired[Sequence[PrincipalArgs]]
    """Optional. Principals that get Key Vault Secrets User on this secret alone; default none."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of the secret; default none."""


class KeyVaultSecret(pulumi.ComponentResource):
    """A Key Vault `Secret` (written through Azure Resource Manager, so a vault closed to public networks takes it)
    and role assignments that let its readers get its value."""

    resource_id: pulumi.Output[str]
    """Resource id of the secret: the scope of its readers' role."""
    name: pulumi.Output[str]
    """Name of the secret."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the vault."""
    secret_uri: pulumi.Output[str]
    """The versionless URI an application reads (https://<vault>.vault.azure.net/secrets/<name>): its current value."""

    def __init__(self, name: str, args: KeyVaultSecretArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.get("readers") and "subscription_id" not in args:
            raise ValueError("KeyVaultSecret subscription_id: required with readers (the role's id names it)")
        super().__init__(type_token("KeyVaultSecret"), name, None, component_options(opts))
        secret = keyvault.Secret(
            f"{name}-secret",
            secret_name=args["secret_name"],
            vault_name=args["vault_name"],
            resource_group_name=args["resource_group_name"],
            # Secret where it is set, so it is encrypted in state; Azure never returns a secret's value.
            properties=keyvault.SecretPropertiesArgs(
                value=pulumi.Output.secret(args["value"]), content_type=CONTENT_TYPE
            ),
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
        role = rbac.KEY_VAULT_SECRETS_USER
        for principal in args.get("readers") or []:
            role_id = pulumi.Output.concat("/subscriptions/", args["subscription_id"], ROLE_DEFINITIONS, role.id)
            authorization.RoleAssignment(
                f"{name}-reader-{principal['object_id']}",
                role_assignment_name=pulumi.Output.all(secret.id, role_id).apply(
                    lambda parts, p=principal["object_id"]: stable_guid(parts[0], p, parts[1])
                ),
                principal_id=principal["object_id"],
                principal_type=principal.get("principal_type", authorization.PrincipalType.USER),
                role_definition_id=role_id,
                scope=secret.id,
                opts=named_child(self),
            )
        self.resource_id = secret.id
        self.name = secret.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        # The provider's properties are secret as the value given in them; the URI is a reference, not the credential.
        self.secret_uri = pulumi.Output.unsecret(secret.properties.apply(lambda p: p.secret_uri if p else None))
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "secretUri": self.secret_uri,
            }
        )
