"""Shapes of what the clients accept: Azure's GUIDs, the loopback hosts of local test servers, token URLs (and
how an error quotes one)."""

import re
import urllib.parse

from clients.redact import printable

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
"""Subscription, tenant, client and object ids."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
"""The only hosts a credential may reach over plain http: local test servers, never Azure."""
DEFAULT_PORTS = {"https": 443, "http": 80}

_AMBIGUOUS = re.compile(r"[\\\x00-\x20\x7f]")


def url_origin(url: str) -> tuple[str, str, int]:
    """The scheme, host and port a request to `url` reaches; ValueError for a URL the HTTP libraries read apart.

    A host is checked with urllib.parse, but requests (azure-core's transport) connects where urllib3 reads it,
    and the two disagree on some authorities: `https://evil:1\\@eastus.api.azureml.ms/` is Azure ML to the one
    and `evil` to the other. A token goes only where it was checked to go, so a backslash, a space or control
    character and a user part (`user@`) are refused, and both parsers must name the same host and port.
    """
    if _AMBIGUOUS.search(url):
        raise ValueError("it has a backslash, a space or a control character")
    parts = urllib.parse.urlsplit(url)  # ValueError for a port that is not a number
    if "@" in parts.netloc:
        raise ValueError("it carries a user name before its host")
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not host:
        raise ValueError("it has no host")
    default = DEFAULT_PORTS.get(scheme, 0)
    port = parts.port or default
    import urllib3.util  # here: only what sends a token needs it, and it loads requests' transport anyway

    theirs = urllib3.util.parse_url(url)
    their_host = (theirs.host or "").lower().removeprefix("[").removesuffix("]")
    if (their_host, theirs.port or default) != (host, port):
        raise ValueError("its host is read differently by the HTTP libraries")
    return scheme, host, port


def shown_url(url: str) -> str:
    """A URL as an error quotes it: its user part and query left out (they may hold a password or a signature)."""
    scheme, sep, rest = url.strip().partition("://")
    rest, query, _ = rest.partition("?")
    authority, slash, path = rest.split("#", 1)[0].partition("/")
    if "@" in authority:
        authority = "...@" + authority.rpartition("@")[2]
    shown = f"{scheme}{sep}{authority}{slash}{path}{'?...' if query else ''}" if sep else url.split("?", 1)[0]
    return printable(shown, 200)
