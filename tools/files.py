"""Reading a file a user points at, bounded: a huge or unreadable file is a clear error, not a hang or a traceback."""

from pathlib import Path

from clients.errors import UserError


def read_capped(path: Path, limit: int, error: type[UserError], what: str) -> bytes:
    """The bytes of `path`, at most `limit` of them; `error` names `what` the file should have been."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"{what} {path}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{what} {path}: larger than {limit} bytes")
    return data
