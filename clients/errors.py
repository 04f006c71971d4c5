"""The one error type for user mistakes: the command line prints it as `error: ...` and exits 1."""


class UserError(Exception):
    """A mistake the user can fix (a stack key, a file, a flag, a sign-in): worded for them, never a traceback."""


class SettingError(UserError):
    """A sign-in setting that cannot work (a certificate file missing or unreadable): the command stops at once."""
