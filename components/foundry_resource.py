"""The Foundry resource: a Cognitive Services account of kind AIServices that holds Foundry projects and models."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import cognitiveservices as cs

from catalog import endpoints
from components.options import component_options, named_child, type_token

KIND = "AIServices"
SKU = "S0"
"""The one SKU of a Foundry resource; model deployments carry their own SKU (the deployment type)."""


class FoundryNetworkAclsArgs(TypedDict):
    """Network rules of a `FoundryResource`; trusted Azure services always get through."""

    default_action: NotRequired[pulumi.Input[cs.NetworkRuleAction]]
    """What happens to a request no rule matches: Deny (default) or Allow."""
    ip_rules: NotRequired[Sequence[pulumi.Input[str]]]
    """IPv4 addresses or CIDR ranges allowed in."""
    virtual_network_rules: NotRequired[Sequence[pulumi.Input[str]]]
    """Resource ids of subnets allowed in."""


class FoundryResourceArgs(TypedDict):
    """Inputs of a `FoundryResource`."""

    account_name: pulumi.Input[str]
    """Name of the account, also its custom subdomain: the host name of its endpoints, unique across Azure."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the account."""
    location: pulumi.Input[str]
    """Region of the account; Global deployments may still process requests in any region."""
    local_auth: NotRequired[bool]
    """Key auth (default false): keys bypass Azure RBAC, so callers use Entra ID unless this is on."""
    public_network_access: NotRequired[pulumi.Input[cs.PublicNetworkAccess]]
    """Enabled (default) or Disabled."""
    network_acls: NotRequired[FoundryNetworkAclsArgs]
    """Network rules; none are sent when left out (Azure then allows every network public access reaches)."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of the account."""


class FoundryResource(pulumi.ComponentResource):
    """A Cognitive Services `Account` of kind AIServices, with a system identity and project management allowed."""

    resource_id: pulumi.Output[str]
    """Resource id of the account."""
    name: pulumi.Output[str]
    """Name of the account."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the account."""
    endpoint: pulumi.Output[str]
    """The account's endpoint (properties.endpoint)."""
    models_endpoint: pulumi.Output[str]
    """Base URL of Foundry Models on this account (its endpoints' 'Azure AI Model Inference API'): clients append
    the OpenAI v1 route, e.g. /openai/v1/chat/completions, and send a deployment name as model."""
    principal_id: pulumi.Output[str]
    """Object id of the account's system-assigned identity."""
    primary_key: pulumi.Output[str] | None
    """Secret; only when local auth is on."""

    def __init__(self, name: str, args: FoundryResourceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("FoundryResource"), name, None, component_options(opts))
        local_auth = bool(args.get("local_auth", False))
        account = cs.Account(
            f"{name}-account",
            account_name=args["account_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind=KIND,
            sku=cs.SkuArgs(name=SKU),
            identity=cs.IdentityArgs(type=cs.ResourceIdentityType.SYSTEM_ASSIGNED),
            properties=cs.AccountPropertiesArgs(
                # Foundry projects live in the account only when it allows project management.
                allow_project_management=True,
                custom_sub_domain_name=args["account_name"],
                disable_local_auth=not local_auth,
                public_network_access=args.get("public_network_access", cs.PublicNetworkAccess.ENABLED),
                network_acls=_network_acls(args["network_acls"]) if "network_acls" in args else None,
            ),
            tags=args.get("tags") or {},
            opts=named_child(self),
        )
        self.resource_id = account.id
        self.name = account.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.endpoint = account.properties.apply(lambda p: p.endpoint)
        self.models_endpoint = account.properties.apply(
            lambda p: (p.endpoints or {}).get(endpoints.FOUNDRY_MODELS_ENDPOINT)
        )
        self.principal_id = account.identity.apply(lambda i: i.principal_id if i else None)
        self.primary_key = self._primary_key(account, args) if local_auth else None
        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "name": self.name,
                "resourceGroupName": self.resource_group_name,
                "endpoint": self.endpoint,
                "modelsEndpoint": self.models_endpoint,
                "principalId": self.principal_id,
                "primaryKey": self.primary_key,
            }
        )

    def _primary_key(self, account: cs.Account, args: FoundryResourceArgs) -> pulumi.Output[str]:
        keys = cs.list_account_keys_output(
            account_name=account.name,
            resource_group_name=args["resource_group_name"],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        # The provider does not mark list* results secret: the key is wrapped where it is read.
        return pulumi.Output.secret(keys.key1)


def _network_acls(acls: FoundryNetworkAclsArgs) -> cs.NetworkRuleSetArgs:
    return cs.NetworkRuleSetArgs(
        default_action=acls.get("default_action", cs.NetworkRuleAction.DENY),
        # Trusted Azure services (e.g. a Foundry project's agents) reach the account past the rules.
        bypass=cs.ByPassSelection.AZURE_SERVICES,
        ip_rules=[cs.IpRuleArgs(value=ip) for ip in acls.get("ip_rules") or []],
        virtual_network_rules=[
            cs.VirtualNetworkRuleArgs(id=subnet) for subnet in acls.get("virtual_network_rules") or []
        ],
    )
