"""An Azure Monitor action group: who is told when an alert fires, by e-mail or a webhook (its URL kept secret)."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import monitor

from catalog import monitoring
from components.options import component_options, named_child, type_token


class EmailReceiverArgs(TypedDict):
    """An address the action group mails."""

    name: str
    """Required. Name of the receiver, unique in the group."""
    email_address: pulumi.Input[str]
    """Required. The address."""


class WebhookReceiverArgs(TypedDict):
    """A URL the action group posts the alert to (the common alert schema)."""

    name: str
    """Required. Name of the receiver, unique in the group."""
    service_uri: pulumi.Input[str]
    """Required. The URL; always a secret, in state and in every preview, whatever the caller passes."""


class ActionGroupArgs(TypedDict):
    """Inputs of an `ActionGroup`."""

    action_group_name: pulumi.Input[str]
    """Required. Name of the action group, unique within the resource group."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the action group."""
    short_name: str
    """Required. 1-12 characters: what e-mails and messages call the group."""
    email_receivers: NotRequired[Sequence[EmailReceiverArgs]]
    """Optional. Addresses to mail; default none (give at least one receiver of either kind)."""
    webhook_receivers: NotRequired[Sequence[WebhookReceiverArgs]]
    """Optional. URLs to post to; default none."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Optional. Tags of the action group; default none."""


def _validate(args: ActionGroupArgs) -> None:
    short = args["short_name"]
    if not 1 <= len(short) <= monitoring.ACTION_GROUP_SHORT_NAME_MAX:
        raise ValueError(
            f"ActionGroup short_name: {short!r} has {len(short)} characters; "
            f"1 to {monitoring.ACTION_GROUP_SHORT_NAME_MAX}"
        )
    names = [r["name"] for r in [*args.get("email_receivers", []), *args.get("webhook_receivers", [])]]
    if not names:
        raise ValueError("ActionGroup: no receiver; give at least one e-mail or webhook receiver")
    if len(set(names)) < len(names):
        raise ValueError(f"ActionGroup receivers: names {names} repeat; each receiver needs its own name")


class ActionGroup(pulumi.ComponentResource):
    """An action group (Microsoft.Insights/actionGroups) of e-mail and webhook receivers, on the common alert schema."""

    resource_id: pulumi.Output[str]
    """Resource id of the action group: what a metric alert's actions name."""
    name: pulumi.Output[str]
    """Name of the action group."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the action group."""

    def __init__(self, name: str, args: ActionGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(args)
        super().__init__(type_token("ActionGroup"), name, None, component_options(opts))
        group = monitor.ActionGroup(
            f"{name}-group",
            action_group_name=args["action_group_name"],
            resource_group_name=args["resource_group_name"],
            location=monitoring.ACTION_GROUP_LOCATION,
            group_short_name=args["short_name"],
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=r["name"], email_address=r["email_address"], use_common_alert_schema=True
                )
                for r in args.get("email_receivers", [])
            ],
            webhook_receivers=[
                monitor.WebhookReceiverArgs(
                    name=r["name"],
                    # A webhook URL usually carries the receiver's token: secret where it is read, and marked so
                    # in what the provider returns (additional_secret_outputs below).
                    service_uri=pulumi.Output.secret(r["service_uri"]),
                    use_common_alert_schema=True,
                    use_aad_auth=False,
                )
                for r in args.get("webhook_receivers", [])
            ],
            tags=args.get("tags") or {},
            opts=named_child(self, additional_secret_outputs=["webhookReceivers"]),
        )
        self.resource_id = group.id
        self.name = group.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
