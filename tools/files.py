"""Files a user points at: read bounded (a huge or unreadable file is a clear error, not a hang or a traceback), and
written for their owner only."""

import contextlib
import os
import stat
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


def write_private(path: Path, text: str, error: type[UserError], what: str) -> None:
    """`text` as the file at `path`, readable by its owner only (0600), whatever was there: written to a new file
    in the same folder, created with that mode (O_EXCL, O_NOFOLLOW; never a chmod after), then renamed over the path.
    A symbolic link at the path is refused, and a rename replaces a name, so nothing is written through a link."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise error(f"{what} {path}: {exc.strerror or exc}") from None
    if found is not None and stat.S_ISLNK(found.st_mode):
        raise error(f"{what} {path}: is a symbolic link; nothing is written through one (give the real path)")
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise error(f"{what} {path}: is not a regular file")
    temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(temporary, flags, 0o600)
    except OSError as exc:
        raise error(f"{what} {path}: cannot create it: {exc.strerror or exc}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise error(f"{what} {path}: cannot write it: {exc.strerror or exc}") from None
