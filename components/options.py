"""Resource options every component gives its children, and the type token each component registers under."""

import pulumi

PACKAGE = "llama-on-azure"


def type_token(name: str) -> str:
    """`llama-on-azure:index:<Class>`, the token the component package's schema gives the class too."""
    return f"{PACKAGE}:index:{name}"


def component_options(opts: pulumi.ResourceOptions | None, *old_tokens: str) -> pulumi.ResourceOptions:
    """The caller's options plus aliases from the tokens earlier releases used, so existing URNs stay."""
    aliases = [pulumi.Alias(type_=token) for token in old_tokens]
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases))


def named_child(parent: pulumi.Resource, **extra: object) -> pulumi.ResourceOptions:
    """A fresh options object for a child with an explicit Azure name.

    Azure cannot hold two resources of one name, and azure-native refuses to create a name that
    exists, so a replacement must delete the old resource before it creates the new one.
    """
    return pulumi.ResourceOptions(parent=parent, delete_before_replace=True, **extra)  # type: ignore[arg-type]
