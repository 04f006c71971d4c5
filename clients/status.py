"""The one vocabulary of a check's outcome, for preflight, smoke and the cost check."""

from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    WARN = "warn"
    """It works, but something needs attention (a deprecation date, a quota entry Azure does not list)."""
    NOT_CHECKED = "not checked"
    """No API answers the question, or this identity may not ask it: never counted as ok."""
