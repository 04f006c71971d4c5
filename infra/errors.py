"""The user-mistake error type, defined in components so they can raise it too (tools, infra, components)."""

from components.errors import UserError

__all__ = ["UserError"]
