"""Azure Key Vault's secrets API on 127.0.0.1, over TLS, with its challenge, and the CONNECT proxy that reaches it.

Key Vault's client (azure-keyvault-secrets) first sends a request without a token; the vault answers 401 with a
`WWW-Authenticate: Bearer authorization=..., resource=https://vault.azure.net` challenge; the client asks its
credential for `<resource>/.default` and sends the request again with the token. It also checks that the vault's
host name ends with the challenge's resource domain, so the stand-in must be reached as `<name>.vault.azure.net`:
an application's HTTPS proxy (the `HTTPS_PROXY` variable requests reads) tunnels that name to it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.parse
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer
from typing import Any

from tests.support.local_server import JsonHandler, LocalServer
from tests.support.tls import certificates, server_context

VAULT_RESOURCE = "https://vault.azure.net"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class _VaultHandler(JsonHandler):
    server: Any

    def do_GET(self) -> None:
        vault = self.server.vault
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization")
        vault.calls.append({"host": self.headers.get("Host"), "path": url.path, "query": query, "authorization": auth})
        if auth is None:
            challenge = (
                f'Bearer authorization="https://login.microsoftonline.com/{TENANT}", resource="{VAULT_RESOURCE}"'
            )
            return self.send_json(401, {"error": {"code": "Unauthorized"}}, {"WWW-Authenticate": challenge})
        if auth != f"Bearer {vault.token}":
            return self.send_json(403, {"error": {"code": "Forbidden", "message": "not a token of this tenant"}})
        if "api-version" not in query:
            return self.send_json(400, {"error": {"code": "MissingApiVersionParameter"}})
        parts = url.path.strip("/").split("/")
        if len(parts) not in (2, 3) or parts[0] != "secrets" or parts[1] not in vault.secrets:
            return self.send_json(404, {"error": {"code": "SecretNotFound"}})
        host = self.headers.get("Host", "")
        body = {
            "value": vault.secrets[parts[1]],
            "id": f"https://{host}/secrets/{parts[1]}/0123456789abcdef0123456789abcdef",
            "attributes": {"enabled": True, "created": 1764806400, "updated": 1764806400},
        }
        return self.send_json(200, body)


class KeyVaultServer(LocalServer):
    """A vault holding `secrets` (name -> value) that accepts one bearer `token`; its calls are recorded."""

    def __init__(self, folder: Path, secrets: dict[str, str], token: str) -> None:
        super().__init__(_VaultHandler)
        self.secrets, self.token, self.calls = secrets, token, []
        self.ca = certificates(folder, dns_names=("*.vault.azure.net",), ips=()) / "ca.pem"
        self.httpd.vault = self  # type: ignore[attr-defined]
        self.httpd.socket = server_context(folder).wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]


class _TunnelHandler(StreamRequestHandler):
    server: Any

    def handle(self) -> None:
        line = self.rfile.readline(4096).decode("latin-1")
        while self.rfile.readline(4096) not in (b"\r\n", b"\n", b""):
            pass  # the request's headers
        method, target, _ = [*line.split(), "", "", ""][:3]
        self.server.targets.append(target)
        if method != "CONNECT" or not target.endswith(".vault.azure.net:443"):
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        pipes = [
            threading.Thread(target=_pipe, args=(self.connection, upstream), daemon=True),
            threading.Thread(target=_pipe, args=(upstream, self.connection), daemon=True),
        ]
        for pipe in pipes:
            pipe.start()
        for pipe in pipes:
            pipe.join(10)
        upstream.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


class VaultProxy:
    """An HTTPS proxy on 127.0.0.1 that tunnels `CONNECT <name>.vault.azure.net:443` to the local vault only."""

    def __init__(self, vault: KeyVaultServer) -> None:
        self.httpd = ThreadingTCPServer(("127.0.0.1", 0), _TunnelHandler)
        self.httpd.daemon_threads = True
        self.httpd.port, self.httpd.targets = vault.port, []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def targets(self) -> list[str]:
        return self.httpd.targets  # type: ignore[attr-defined]

    def __enter__(self) -> VaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
