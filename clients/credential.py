"""One Azure credential from the settings pulumi-azure-native reads (ARM_*, then AZURE_*), for calls outside it."""

import logging
import os
import re
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from azure.core import AzureClouds
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import AzureAuthorityHosts
from azure.mgmt.core.tools import get_arm_endpoints

from clients import json_input
from clients.errors import SettingError, UserError
from clients.identifiers import GUID, LOOPBACK_HOSTS, url_origin
from clients.redact import clean_secret, printable

# The audience GitHub's OIDC token must carry for Microsoft Entra workload identity federation; the
# provider sends the same one unless ARM_OIDC_AUDIENCE says otherwise.
GITHUB_AUDIENCE = "api://AzureADTokenExchange"
# A tenant is its GUID or one of its domain names (contoso.onmicrosoft.com); azure-identity refuses the rest.
TENANT = re.compile(r"^([0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[A-Za-z0-9]([A-Za-z0-9-]*\.)+[A-Za-z]{2,})$")
MAX_ASSERTION_BYTES = 1 << 20
MAX_CERTIFICATE_BYTES = 1 << 20
"""A PEM or PKCS12 file with its chain is a few KB: a larger file is not one."""


class TokenCredential(Protocol):
    """What azure-core's bearer token policy asks of a credential."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Cloud:
    """One Azure cloud: where ARM is, the token scope for it, and its Microsoft Entra authority."""

    name: str
    arm_endpoint: str
    """Without a trailing slash."""
    arm_scope: str
    authority: str
    ml_registry_discovery: str
    """Where Azure ML registries (azureml-meta) say which host serves their models."""
    ml_domain: str
    """The domain every Azure ML registry host of this cloud is under: the ARM token goes to no other."""


def _cloud(name: str, sdk_cloud: AzureClouds, authority: str, registry_region: str, ml_domain: str) -> Cloud:
    # azure-mgmt-core's own table (the one the generated clients use), so no endpoint is written here twice;
    # the registry discovery hosts are azure-ai-ml's (_azure_environments.py, REGISTRY_DISCOVERY_ENDPOINT).
    endpoints = get_arm_endpoints(sdk_cloud)
    arm, scope = endpoints["resource_manager"].rstrip("/"), endpoints["credential_scopes"][0]
    return Cloud(name, arm, scope, authority, f"https://{registry_region}.{ml_domain}", ml_domain)


CLOUDS: dict[str, Cloud] = {
    "public": _cloud(
        "public", AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, "eastus", "api.azureml.ms"
    ),
    "usgovernment": _cloud(
        "usgovernment",
        AzureClouds.AZURE_US_GOVERNMENT,
        AzureAuthorityHosts.AZURE_GOVERNMENT,
        "usgovarizona",
        "api.ml.azure.us",
    ),
    "china": _cloud(
        "china", AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA, "chinaeast2", "api.ml.azure.cn"
    ),
}
# The names pulumi-azure-native accepts for ARM_ENVIRONMENT (provider/pkg/azure GetCloudByName, case-insensitive).
CLOUD_ALIASES = {
    "azurecloud": "public",
    "azurepublic": "public",
    "azurepubliccloud": "public",
    "usgov": "usgovernment",
    "azureusgovernment": "usgovernment",
    "azureusgovernmentcloud": "usgovernment",
    "azurechinacloud": "china",
}


def cloud_from_env(environ: Mapping[str, str] = os.environ) -> Cloud:
    """The cloud ARM_ENVIRONMENT (or AZURE_ENVIRONMENT) names; public when unset, an error when unknown."""
    variable = "ARM_ENVIRONMENT" if environ.get("ARM_ENVIRONMENT") else "AZURE_ENVIRONMENT"
    raw = (environ.get(variable) or "public").strip()
    name = CLOUD_ALIASES.get(raw.lower(), raw.lower())
    if name not in CLOUDS:
        # The provider would silently use the public cloud; signing in there with another cloud's identity fails later.
        raise UserError(f"{variable} {raw!r} is not an Azure cloud: use public, usgovernment or china")
    return CLOUDS[name]


def subscription_from_env(flag: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The subscription a command works on: --subscription-id, else ARM_SUBSCRIPTION_ID, else AZURE_SUBSCRIPTION_ID."""
    for source, value in (
        ("--subscription-id", flag),
        ("ARM_SUBSCRIPTION_ID", environ.get("ARM_SUBSCRIPTION_ID")),
        ("AZURE_SUBSCRIPTION_ID", environ.get("AZURE_SUBSCRIPTION_ID")),
    ):
        if value is None or (source != "--subscription-id" and not value.strip()):
            continue
        if not GUID.fullmatch(value.strip()):
            raise UserError(
                f"{source} {value!r} is not a subscription id (a GUID like 00000000-0000-0000-0000-000000000000)"
            )
        return value.strip().lower()
    raise UserError("which subscription? give --subscription-id GUID or set ARM_SUBSCRIPTION_ID")


def quiet_azure_logging() -> None:
    """azure-identity logs a multi-line WARNING per failed sign-in; the tools print one line of their own instead."""
    logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
    for name in ("azure.core", "azure.mgmt", "msal", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def one_line(err: BaseException) -> str:
    """The first line of an Azure error, without Entra's trace and correlation ids."""
    text = (getattr(err, "message", None) or str(err) or "").strip()
    line = text.splitlines()[0] if text else type(err).__name__
    return line.split(" Trace ID:")[0].strip()[:300]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib would send the GitHub request token to whatever host a redirect names


def github_assertion(
    url: str, request_token: str, audience: str = GITHUB_AUDIENCE, *, allow_http_loopback: bool = False
) -> Callable[[], str]:
    """A callback that asks GitHub Actions for a fresh OIDC token each time Entra needs an assertion.

    GitHub's tokens live minutes while a GPU deployment takes up to an hour: reading one once at start
    (what `az login --federated-token` does) fails half-way through a long `pulumi up`.
    """
    try:
        scheme, host, _ = url_origin(url)
    except ValueError as exc:
        raise UserError(f"ACTIONS_ID_TOKEN_REQUEST_URL cannot take GitHub's request token: {exc}") from None
    loopback = allow_http_loopback and scheme == "http" and host in LOOPBACK_HOSTS
    if scheme != "https" and not loopback:
        raise UserError("ACTIONS_ID_TOKEN_REQUEST_URL must be an https URL")
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "audience"] + [("audience", audience)]
    full = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    opener = urllib.request.build_opener(_NoRedirect)

    def assertion() -> str:
        request = urllib.request.Request(
            full, headers={"Authorization": f"Bearer {request_token}", "Accept": "application/json"}
        )
        try:
            with opener.open(request, timeout=20) as response:
                value = json_input.loads(response.read(MAX_ASSERTION_BYTES)).get("value")
        except urllib.error.HTTPError as err:
            raise ClientAuthenticationError(f"GitHub OIDC token request failed: HTTP {err.code}") from None
        except (OSError, ValueError, AttributeError) as err:
            # ClientAssertionCredential passes callback errors through unwrapped: raise azure-core's type.
            raise ClientAuthenticationError(f"GitHub OIDC token request failed: {type(err).__name__}") from None
        if not isinstance(value, str) or not value:
            raise ClientAuthenticationError("GitHub OIDC token request failed: no token in GitHub's answer")
        return value

    return assertion


def _file_assertion(path: str, variable: str) -> Callable[[], str]:
    def assertion() -> str:  # read on every call: Kubernetes and CI runners rotate the file
        try:
            with open(path, encoding="utf-8") as f:
                return f.read(MAX_ASSERTION_BYTES).strip()
        except OSError as err:
            raise ClientAuthenticationError(f"cannot read {variable} {path!r}: {err.strerror}") from None

    return assertion


class SignInCredential:
    """A credential whose sign-in failures are one `UserError` line that says which method failed and what to do."""

    def __init__(self, inner: Any, method: str, hint: str) -> None:
        self.inner, self.method, self.hint = inner, method, hint

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        try:
            access = self.inner.get_token(*scopes, **kwargs)
        except ClientAuthenticationError as err:
            raise UserError(f"Azure sign-in failed ({self.method}): {self.problem(err)}; {self.hint}") from None
        except Exception as err:  # what a library raises on an odd answer: its type, never its text
            raise UserError(f"Azure sign-in failed ({self.method}): {type(err).__name__}; {self.hint}") from None
        token = getattr(access, "token", None)
        if not isinstance(token, str) or not token or clean_secret(token) != token:
            # Not shown: whatever it is, it may be most of a token, and a header cannot carry it.
            raise UserError(f"Azure sign-in failed ({self.method}): its answer is not an access token; {self.hint}")
        return access

    def problem(self, err: ClientAuthenticationError) -> str:
        return one_line(err)


# What azure-identity's AzureCliCredential says in its own words (constants, no output of `az`): shown as they are.
CLI_MESSAGES = ("Azure CLI not found on path", "Please run 'az login' to set up an account", "Failed to invoke")


class AzureCliSignIn(SignInCredential):
    """The Azure CLI's account. azure-identity puts what `az` printed into its errors, and that can hold a token
    (its own redaction knows one spelling of it): the errors say what happened without any of it."""

    def problem(self, err: ClientAuthenticationError) -> str:
        text = one_line(err)
        if any(text.startswith(known) for known in CLI_MESSAGES):
            return text
        cause = err.__cause__
        command = "`az account get-access-token`"
        if isinstance(cause, subprocess.CalledProcessError):
            return f"{command} failed (exit {cause.returncode}); what it printed is not shown (it can hold a token)"
        return f"{command} printed something that is not an access token (not shown: it can hold one)"


def _certificate(build: Callable[[], Any], variable: str, path: str, password_variable: str, password: bool) -> Any:
    """A certificate credential, or one SettingError naming the variable: azure-identity reads the file at once and
    raises the OS's or cryptography's error, which says neither which setting it was nor what to do."""
    shown = f"{variable} {printable(path, 200)!r}"
    allowed = "give a PEM or PKCS12 file holding the certificate and its private key"
    try:
        # azure-identity reads the whole file: a device or a pipe (/dev/zero, a FIFO) would never end.
        status = os.stat(path) if path else None
        if status is not None and not stat.S_ISREG(status.st_mode):
            kind = "a directory" if stat.S_ISDIR(status.st_mode) else "a device, a pipe or a socket"
            raise SettingError(f"{shown}: it is {kind}, not a file; {allowed}")
        if status is not None and status.st_size > MAX_CERTIFICATE_BYTES:
            size = f"{status.st_size} bytes, more than a certificate file's {MAX_CERTIFICATE_BYTES}"
            raise SettingError(f"{shown}: it is {size}; {allowed}")
        return build()
    except OSError as err:
        raise SettingError(f"{shown}: cannot read the file ({err.strerror or type(err).__name__}); {allowed}") from None
    except (ValueError, TypeError) as err:
        reason = str(err)
        if "not encrypted" in reason:
            problem = f"{password_variable} is set but the private key is not encrypted: unset it"
        elif "not given" in reason:
            problem = f"the private key is encrypted: set {password_variable} to its password"
        elif "Incorrect password" in reason:
            problem = f"{password_variable} is not the password of its private key"
        elif "for a private key" in reason:
            problem = f"it holds no private key; {allowed}"
        elif "CERTIFICATE" in reason:
            problem = f"it holds no certificate; {allowed}"
        elif password:
            problem = f"it is not a certificate file, or {password_variable} is not its password; {allowed}"
        else:
            problem = f"it is not a PEM or PKCS12 certificate file (one with a password needs {password_variable})"
        raise SettingError(f"{shown}: {problem}") from None


def _setting(environ: Mapping[str, str], name: str) -> tuple[str, str]:
    """(variable, value) of ARM_<name>, else AZURE_<name>: the provider's variable wins, the SDK's is the fallback."""
    for variable in (f"ARM_{name}", f"AZURE_{name}"):
        if environ.get(variable, "").strip():
            return variable, environ[variable].strip()
    return f"ARM_{name}", ""


def _true(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def _identity(environ: Mapping[str, str], method: str, need_client: bool = True) -> tuple[str, str]:
    """Tenant and client id for a method that needs them, each checked: a typo is an error naming the variable."""
    tenant_var, tenant = _setting(environ, "TENANT_ID")
    client_var, client = _setting(environ, "CLIENT_ID")
    errors = []
    if not tenant and need_client:
        errors.append(f"{method} needs ARM_TENANT_ID")
    elif tenant and not TENANT.fullmatch(tenant):
        errors.append(
            f"{tenant_var} {tenant!r} is not a tenant id (a GUID or a domain such as contoso.onmicrosoft.com)"
        )
    if not client and need_client:
        errors.append(f"{method} needs ARM_CLIENT_ID")
    elif client and not GUID.fullmatch(client):
        errors.append(f"{client_var} {client!r} is not an application (client) id, which is a GUID")
    if errors:
        raise UserError("; ".join(errors))
    return tenant, client


def _oidc(environ: Mapping[str, str], allow_http_loopback: bool) -> tuple[Callable[[], str], str] | None:
    if _true(environ, "ARM_USE_OIDC"):
        if environ.get("ARM_OIDC_TOKEN"):
            token = environ["ARM_OIDC_TOKEN"].strip()
            return (lambda: token), "OIDC token (ARM_OIDC_TOKEN)"
        if environ.get("ARM_OIDC_TOKEN_FILE_PATH"):
            return _file_assertion(environ["ARM_OIDC_TOKEN_FILE_PATH"], "ARM_OIDC_TOKEN_FILE_PATH"), "OIDC token file"
        url, token = environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"), environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        if url and token:
            audience = environ.get("ARM_OIDC_AUDIENCE") or GITHUB_AUDIENCE
            return github_assertion(url, token, audience, allow_http_loopback=allow_http_loopback), "GitHub OIDC"
        raise UserError(
            "ARM_USE_OIDC=true needs ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH, or ACTIONS_ID_TOKEN_REQUEST_URL and "
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN (a GitHub job with `permissions: id-token: write`)"
        )
    if environ.get("AZURE_FEDERATED_TOKEN_FILE"):  # workload identity, as azure-identity's environment reads it
        path = environ["AZURE_FEDERATED_TOKEN_FILE"]
        return _file_assertion(path, "AZURE_FEDERATED_TOKEN_FILE"), "federated token file"
    return None


def credential_from_env(
    environ: Mapping[str, str] = os.environ, *, allow_http_loopback: bool = False, **identity_options: Any
) -> TokenCredential:
    """The credential pulumi-azure-native would sign in with, in its order; the first method configured is used.

    Client certificate, client secret, OIDC (a token, a token file, or GitHub Actions asked on every sign-in),
    managed identity (ARM_USE_MSI=true), else the Azure CLI's account. ARM_* settings come first, the
    AZURE_* ones azure-identity reads are the fallback. `identity_options` reach the azure-identity
    credential (tests pass a transport); `allow_http_loopback` lets a test's GitHub stand-in be plain http.
    """
    from azure.identity import (
        AzureCliCredential,
        CertificateCredential,
        ClientAssertionCredential,
        ClientSecretCredential,
        DefaultAzureCredential,
        ManagedIdentityCredential,
    )

    quiet_azure_logging()
    options = {"authority": cloud_from_env(environ).authority, **identity_options}
    settings = "check the ARM_* variables of the service principal"
    if _true(environ, "ARM_USE_DEFAULT_AZURE_CREDENTIAL"):
        # Its environment credential reads AZURE_CLIENT_CERTIFICATE_PATH (of this process) at construction.
        variable, path = "AZURE_CLIENT_CERTIFICATE_PATH", os.environ.get("AZURE_CLIENT_CERTIFICATE_PATH", "")
        password = bool(os.environ.get("AZURE_CLIENT_CERTIFICATE_PASSWORD"))
        build = lambda: DefaultAzureCredential(**options)  # noqa: E731
        inner = _certificate(build, variable, path, "AZURE_CLIENT_CERTIFICATE_PASSWORD", password)
        return SignInCredential(inner, "DefaultAzureCredential", settings)
    cert_var, cert = _setting(environ, "CLIENT_CERTIFICATE_PATH")
    if cert:
        tenant, client = _identity(environ, f"a client certificate ({cert_var})")
        password_var, password = _setting(environ, "CLIENT_CERTIFICATE_PASSWORD")
        password_var = password_var if password else cert_var.replace("_PATH", "_PASSWORD")  # the one to set
        build = lambda: CertificateCredential(tenant, client, cert, password=password or None, **options)  # noqa: E731
        inner = _certificate(build, cert_var, cert, password_var, bool(password))
        return SignInCredential(inner, "client certificate", settings)
    secret_var, secret = _setting(environ, "CLIENT_SECRET")
    if secret:
        tenant, client = _identity(environ, f"a client secret ({secret_var})")
        return SignInCredential(ClientSecretCredential(tenant, client, secret, **options), "client secret", settings)
    oidc = _oidc(environ, allow_http_loopback)
    if oidc:
        assertion, method = oidc
        tenant, client = _identity(environ, method)
        inner = ClientAssertionCredential(tenant, client, assertion, **options)
        return SignInCredential(inner, method, "check the federated credential of the app registration")
    if _true(environ, "ARM_USE_MSI"):
        _, client = _identity(environ, "managed identity", need_client=False)
        options.pop("authority")
        inner = ManagedIdentityCredential(client_id=client or None, **options)
        return SignInCredential(inner, "managed identity", "run this on an Azure host with a managed identity")
    tenant, _ = _identity(environ, "the Azure CLI", need_client=False)
    inner = AzureCliCredential(tenant_id=tenant, process_timeout=30)
    hint = "run `az login` (and `az account set -s <subscription>`), or set the ARM_* variables of a service principal"
    return AzureCliSignIn(inner, "Azure CLI", hint)
