"""A content filter policy (RaiPolicy) of a Foundry resource, which model deployments name to be filtered by it."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import cognitiveservices as cs

from catalog import content_filters
from components.options import component_options, named_child, type_token

PROMPT, COMPLETION = cs.RaiPolicyContentSource.PROMPT, cs.RaiPolicyContentSource.COMPLETION


class ContentFilterPolicyArgs(TypedDict):
    """Inputs of a `ContentFilterPolicy`; each harm category blocks its threshold and above (Low is strictest)."""

    policy_name: pulumi.Input[str]
    """Name of the policy, unique within the Foundry resource; deployments refer to it by this name."""
    account_name: pulumi.Input[str]
    """Name of the Foundry resource (Cognitive Services account)."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the Foundry resource."""
    base_policy: NotRequired[pulumi.Input[str]]
    """The Microsoft policy this one starts from (default Microsoft.DefaultV2)."""
    hate: NotRequired[pulumi.Input[cs.ContentLevel]]
    """Threshold of the Hate category on prompts and completions (default Medium)."""
    sexual: NotRequired[pulumi.Input[cs.ContentLevel]]
    """Threshold of the Sexual category (default Medium)."""
    violence: NotRequired[pulumi.Input[cs.ContentLevel]]
    """Threshold of the Violence category (default Medium)."""
    self_harm: NotRequired[pulumi.Input[cs.ContentLevel]]
    """Threshold of the Selfharm category (default Medium)."""
    blocking: NotRequired[bool]
    """Block what a filter catches (default true); false only annotates it."""
    jailbreak: NotRequired[bool]
    """Prompt Shields for jailbreak attacks in prompts (default true)."""
    indirect_attack: NotRequired[bool]
    """Prompt Shields for attacks embedded in documents (default false)."""
    protected_material_text: NotRequired[bool]
    """Protected material (text) in completions (default true)."""
    protected_material_code: NotRequired[bool]
    """Protected material (code) in completions (default true)."""
    after_id: NotRequired[pulumi.Input[str]]
    """Resource id of an earlier write on the same Foundry resource: Azure takes one write on an account's
    children at a time, so the policy is created after it (and deleted before it)."""
    tags: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """Tags of the policy."""


# Config field -> the filter name the API wants [catalog: rai-content-filters].
_HARM_FIELDS = dict(zip(("hate", "sexual", "violence", "self_harm"), content_filters.RAI_HARM_CATEGORIES, strict=True))


def _content_filters(args: ContentFilterPolicyArgs) -> list[cs.RaiPolicyContentFilterArgs]:
    blocking = bool(args.get("blocking", True))
    filters = [
        # Only the four harm categories take a severity threshold; each applies to prompts and completions.
        cs.RaiPolicyContentFilterArgs(
            name=category,
            severity_threshold=args.get(field, cs.ContentLevel.MEDIUM),
            blocking=blocking,
            enabled=True,
            source=source,
        )
        for field, category in _HARM_FIELDS.items()
        for source in (PROMPT, COMPLETION)
    ]
    switches = (
        (content_filters.RAI_JAILBREAK, "jailbreak", True, PROMPT),
        (content_filters.RAI_INDIRECT_ATTACK, "indirect_attack", False, PROMPT),
        (content_filters.RAI_PROTECTED_TEXT, "protected_material_text", True, COMPLETION),
        (content_filters.RAI_PROTECTED_CODE, "protected_material_code", True, COMPLETION),
    )
    for name, field, default, source in switches:
        enabled = bool(args.get(field, default))
        filters.append(cs.RaiPolicyContentFilterArgs(name=name, blocking=blocking, enabled=enabled, source=source))
    return filters


class ContentFilterPolicy(pulumi.ComponentResource):
    """A Cognitive Services `RaiPolicy`: severity thresholds per harm category and the Prompt Shields it turns on."""

    resource_id: pulumi.Output[str]
    """Resource id of the policy."""
    name: pulumi.Output[str]
    """Name of the policy, as a deployment's rai_policy_name."""
    resource_group_name: pulumi.Output[str]
    """Resource group of the Foundry resource."""

    def __init__(self, name: str, args: ContentFilterPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("ContentFilterPolicy"), name, None, component_options(opts))
        after = [pulumi.Output.from_input(args["after_id"]).apply(lambda _: None)] if "after_id" in args else None
        policy = cs.RaiPolicy(
            f"{name}-rai-policy",
            rai_policy_name=args["policy_name"],
            account_name=args["account_name"],
            resource_group_name=args["resource_group_name"],
            properties=cs.RaiPolicyPropertiesArgs(
                base_policy_name=args.get("base_policy", content_filters.MICROSOFT_DEFAULT_CONTENT_FILTER.name),
                # Default: the filters run before content is returned (not asynchronously while it streams).
                mode=cs.RaiPolicyMode.DEFAULT,
                content_filters=_content_filters(args),
            ),
            tags=args.get("tags") or {},
            opts=named_child(self, depends_on=after),
        )
        self.resource_id = policy.id
        self.name = policy.name
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.register_outputs(
            {"resourceId": self.resource_id, "name": self.name, "resourceGroupName": self.resource_group_name}
        )
