"""credential_from_env: the provider's order, GitHub OIDC asked on every sign-in, one-line errors (local stand-ins)."""

import io
import json
import logging
import urllib.parse

import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import (
    AzureCliCredential,
    CertificateCredential,
    ClientAssertionCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.credential import CLOUDS, cloud_from_env, credential_from_env
from clients.errors import SettingError, UserError
from tests.support.local_server import JsonHandler, LocalServer

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"
BASE = {"ARM_TENANT_ID": TENANT, "ARM_CLIENT_ID": CLIENT}
ARM = "https://management.azure.com/.default"
GOV = "https://management.core.usgovcloudapi.net/.default"


class _Recording(JsonHandler):
    seen: list

    def record(self) -> tuple[str, dict]:
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode()) if length else {}
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "form": form})
        return self.path, form


class _Entra(_Recording):
    """Microsoft Entra's token endpoint: an access token that names the assertion or secret it was given."""

    refuse = False

    def do_GET(self) -> None:
        self.record()
        issuer = f"https://login.microsoftonline.com/{TENANT}"
        self.send_json(200, {"authorization_endpoint": issuer + "/a", "token_endpoint": issuer + "/oauth2/v2.0/token"})

    def do_POST(self) -> None:
        _, form = self.record()
        if self.refuse:
            error = "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc\r\nCorrelation ID: def"
            return self.send_json(401, {"error": "invalid_client", "error_description": error})
        proof = (form.get("client_assertion") or form.get("client_secret") or ["?"])[0]
        self.send_json(200, {"access_token": "AT:" + proof, "expires_in": 3600, "token_type": "Bearer"})


class _GitHub(_Recording):
    """GitHub Actions' ID token endpoint: a new token on each request, naming the audience asked for."""

    redirect_to = ""

    def do_GET(self) -> None:
        path, _ = self.record()
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if self.headers.get("Authorization") != "Bearer GH-REQUEST-TOKEN":
            return self.send_json(401, {"message": "Bad credentials"})
        audience = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["audience"][0]
        self.send_json(200, {"value": f"gh-jwt-{len(self.seen)}-{audience}"})


def _server(handler: type, **attrs):
    return LocalServer(type("H", (handler,), {"seen": [], **attrs}))


@pytest.fixture
def entra():
    with _server(_Entra) as server:
        yield server


@pytest.fixture
def github():
    with _server(_GitHub) as server:
        yield server


def to(server: LocalServer) -> RequestsTransport:
    """Test only: Entra authorities must be https, so the transport sends their requests to the local stand-in."""

    class Local(RequestsTransport):
        def send(self, request, **kwargs):
            for cloud in CLOUDS.values():
                prefix = f"https://{cloud.authority}"
                if request.url.startswith(prefix):
                    server.authorities.append(cloud.authority)
                    request.url = server.url + request.url[len(prefix) :]
            return super().send(request, **kwargs)

    server.authorities = []
    return Local()


def github_env(github: LocalServer, **extra: str) -> dict[str, str]:
    return {
        **BASE,
        "ARM_USE_OIDC": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": github.url + "/_apis/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "GH-REQUEST-TOKEN",
        **extra,
    }


def make(env: dict[str, str], entra: LocalServer | None = None):
    options = {"transport": to(entra), "disable_instance_discovery": True} if entra else {}
    return credential_from_env(env, allow_http_loopback=True, **options)


def test_github_oidc_asks_github_for_a_new_token_on_every_sign_in(entra, github):
    credential = make(github_env(github), entra)
    assert isinstance(credential.inner, ClientAssertionCredential)
    first = credential.get_token(ARM).token
    assert credential.get_token(ARM).token == first, "a valid token is reused"
    second = credential.get_token(GOV).token
    assert first == "AT:gh-jwt-1-api://AzureADTokenExchange"
    assert second == "AT:gh-jwt-2-api://AzureADTokenExchange"
    assert [s["auth"] for s in github.httpd.RequestHandlerClass.seen] == ["Bearer GH-REQUEST-TOKEN"] * 2


def test_the_oidc_audience_can_be_set_like_the_provider_does(entra, github):
    credential = make(github_env(github, ARM_OIDC_AUDIENCE="api://custom"), entra)
    assert credential.get_token(ARM).token.endswith("-api://custom")


def test_a_github_redirect_to_another_host_gets_nothing(entra, github):
    with _server(_GitHub) as other:
        github.httpd.RequestHandlerClass.redirect_to = other.url + "/steal"
        credential = make(github_env(github), entra)
        with pytest.raises(UserError) as err:
            credential.get_token(ARM)
        assert other.httpd.RequestHandlerClass.seen == []
    assert "GitHub OIDC" in str(err.value) and "HTTP 302" in str(err.value)
    assert "GH-REQUEST-TOKEN" not in str(err.value)


def test_github_refusing_is_one_line_naming_the_method(entra, github):
    credential = make(github_env(github, ACTIONS_ID_TOKEN_REQUEST_TOKEN="wrong"), entra)
    with pytest.raises(UserError) as err:
        credential.get_token(ARM)
    message = str(err.value)
    assert "\n" not in message and "GitHub OIDC" in message and "HTTP 401" in message


def test_a_plain_http_github_url_is_refused_unless_loopback_is_allowed(github):
    with pytest.raises(UserError, match="ACTIONS_ID_TOKEN_REQUEST_URL must be an https URL"):
        credential_from_env(github_env(github))


def test_a_github_url_the_http_libraries_read_apart_gets_no_request_token(github):
    env = github_env(
        github, ACTIONS_ID_TOKEN_REQUEST_URL="https://evil.example\\@pipelines.actions.githubusercontent.com/"
    )
    with pytest.raises(UserError, match="ACTIONS_ID_TOKEN_REQUEST_URL cannot take GitHub's request token: it has a"):
        credential_from_env(env)


def test_the_token_file_is_read_again_for_each_sign_in(entra, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("jwt-one\n")
    credential = make({**BASE, "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN_FILE_PATH": str(token_file)}, entra)
    assert credential.get_token(ARM).token == "AT:jwt-one"
    token_file.write_text("jwt-two")
    assert credential.get_token(GOV).token == "AT:jwt-two"


def test_a_static_oidc_token_and_the_workload_identity_file(entra, tmp_path):
    assert make({**BASE, "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "static"}, entra).get_token(ARM).token == "AT:static"
    (tmp_path / "fed").write_text("federated")
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_FEDERATED_TOKEN_FILE": str(tmp_path / "fed")}
    assert make(env, entra).get_token(ARM).token == "AT:federated"


def test_oidc_without_a_token_source_says_what_is_missing():
    with pytest.raises(UserError, match="ARM_USE_OIDC=true needs ARM_OIDC_TOKEN"):
        credential_from_env({**BASE, "ARM_USE_OIDC": "true", "ARM_OIDC_REQUEST_URL": "https://x"})


def test_a_client_secret_comes_before_oidc_and_arm_before_azure(entra, github):
    env = {**github_env(github), "ARM_CLIENT_SECRET": "arm-secret", "AZURE_CLIENT_SECRET": "azure-secret"}
    credential = make(env, entra)
    assert isinstance(credential.inner, ClientSecretCredential)
    assert credential.get_token(ARM).token == "AT:arm-secret"
    assert github.httpd.RequestHandlerClass.seen == []


def test_the_azure_variables_are_the_fallback(entra):
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_CLIENT_SECRET": "azure-secret"}
    assert make(env, entra).get_token(ARM).token == "AT:azure-secret"


def test_the_cloud_picks_the_authority(entra):
    env = {**BASE, "ARM_CLIENT_SECRET": "s", "ARM_ENVIRONMENT": "usgovernment"}
    make(env, entra).get_token(GOV)
    # MSAL asks the authority's metadata first (the stand-in then names its own token endpoint).
    assert entra.authorities[0] == "login.microsoftonline.us"
    assert (
        cloud_from_env({"AZURE_ENVIRONMENT": "AzureChinaCloud"}).arm_endpoint == "https://management.chinacloudapi.cn"
    )
    assert cloud_from_env({}).arm_scope == ARM


def test_an_unknown_cloud_is_an_error_not_the_public_cloud():
    with pytest.raises(UserError, match="ARM_ENVIRONMENT 'mars' is not an Azure cloud: use public, usgovernment"):
        credential_from_env({**BASE, "ARM_CLIENT_SECRET": "s", "ARM_ENVIRONMENT": "mars"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AZURE_TENANT_ID": "not a tenant!"}, "AZURE_TENANT_ID 'not a tenant!' is not a tenant id"),
        ({**BASE, "ARM_CLIENT_ID": "app", "ARM_CLIENT_SECRET": "s"}, "ARM_CLIENT_ID 'app' is not an application"),
        ({"ARM_CLIENT_SECRET": "s"}, "needs ARM_TENANT_ID; a client secret (ARM_CLIENT_SECRET) needs ARM_CLIENT_ID"),
        ({"ARM_USE_MSI": "true", "ARM_CLIENT_ID": "x"}, "ARM_CLIENT_ID 'x' is not an application"),
    ],
)
def test_bad_settings_are_one_error_naming_the_variable(env, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        credential_from_env(env)


def test_managed_identity_and_the_azure_cli():
    msi = credential_from_env({"ARM_USE_MSI": "true", "ARM_CLIENT_ID": CLIENT})
    assert isinstance(msi.inner, ManagedIdentityCredential)
    assert isinstance(credential_from_env({}).inner, AzureCliCredential)


def test_signed_out_is_one_line_with_the_command_to_run(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` anywhere
    with pytest.raises(UserError) as err:
        credential_from_env({}).get_token(ARM)
    assert "\n" not in str(err.value) and "Azure CLI" in str(err.value) and "az login" in str(err.value)


def test_entra_refusing_is_one_line_without_the_secret_or_log_noise(entra, caplog):
    entra.httpd.RequestHandlerClass.refuse = True
    credential = make({**BASE, "ARM_CLIENT_SECRET": "do-not-print-me"}, entra)
    with caplog.at_level(logging.DEBUG), pytest.raises(UserError) as err:
        credential.get_token(ARM)
    message = str(err.value)
    assert "\n" not in message and "Trace ID" not in message and "AADSTS7000215" in message
    assert "do-not-print-me" not in message
    assert not [r for r in caplog.records if r.name.startswith("azure.identity") and r.levelno >= logging.WARNING]
    assert "do-not-print-me" not in caplog.text


# -- Certificate settings: a file that cannot work is one error line naming the variable, in every command --------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """One self-signed certificate and its key, written every way a certificate setting can point at."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "llama-test")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    cert = builder.serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=9000))
    cert = cert.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    pem = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    plain = key.private_bytes(*pem, serialization.NoEncryption())
    locked = key.private_bytes(*pem, serialization.BestAvailableEncryption(b"right-password"))
    folder = tmp_path_factory.mktemp("certificates")
    files = {
        "good.pem": cert + plain,
        "locked.pem": cert + locked,
        "cert-only.pem": cert,
        "key-only.pem": plain,
        "truncated.pem": (cert + plain)[:400],
        "garbage.pem": b"\xff\xfe not a certificate",
        "empty.pem": b"",
        "locked.pfx": pkcs12.serialize_key_and_certificates(
            b"t",
            key,
            x509.load_pem_x509_certificate(cert),
            None,
            serialization.BestAvailableEncryption(b"right-password"),
        ),
    }
    for file, data in files.items():
        (folder / file).write_bytes(data)
    (folder / "a-folder").mkdir()
    with open(folder / "huge.pem", "wb") as huge:  # sparse: no disk written
        huge.truncate((1 << 20) + 1)
    return folder


@pytest.mark.parametrize(
    ("file", "password", "expected"),
    [
        ("missing.pem", None, "cannot read the file (No such file or directory); give a PEM or PKCS12 file"),
        ("a-folder", None, "it is a directory, not a file; give a PEM or PKCS12 file"),
        ("/dev/zero", None, "it is a device, a pipe or a socket, not a file"),  # read whole, it would never end
        ("huge.pem", None, "it is 1048577 bytes, more than a certificate file's 1048576"),
        ("garbage.pem", None, "it is not a PEM or PKCS12 certificate file (one with a password needs {pw})"),
        ("empty.pem", None, "it is not a PEM or PKCS12 certificate file"),
        ("truncated.pem", None, "it is not a PEM or PKCS12 certificate file"),
        ("cert-only.pem", None, "it holds no private key"),
        ("key-only.pem", None, "it holds no certificate"),
        ("locked.pem", None, "the private key is encrypted: set {pw} to its password"),
        ("locked.pem", "wrong-password", "{pw} is not the password of its private key"),
        ("good.pem", "wrong-password", "{pw} is set but the private key is not encrypted: unset it"),
        ("locked.pfx", "wrong-password", "it is not a certificate file, or {pw} is not its password"),
    ],
)
@pytest.mark.parametrize("prefix", ["ARM", "AZURE"])
def test_a_certificate_setting_that_cannot_work_is_one_error_naming_the_variable(
    certificates, file, password, expected, prefix
):
    path = str(certificates / file)
    env = {f"{prefix}_TENANT_ID": TENANT, f"{prefix}_CLIENT_ID": CLIENT, f"{prefix}_CLIENT_CERTIFICATE_PATH": path}
    if password:
        env[f"{prefix}_CLIENT_CERTIFICATE_PASSWORD"] = password
    with pytest.raises(SettingError) as err:
        credential_from_env(env)
    message = str(err.value)
    assert message.startswith(f"{prefix}_CLIENT_CERTIFICATE_PATH {path!r}: ")
    assert expected.format(pw=f"{prefix}_CLIENT_CERTIFICATE_PASSWORD") in message
    assert "\n" not in message and "wrong-password" not in message


def test_good_certificates_are_accepted(certificates):
    for file, password in (("good.pem", None), ("locked.pem", "right-password"), ("locked.pfx", "right-password")):
        env = {**BASE, "ARM_CLIENT_CERTIFICATE_PATH": str(certificates / file)}
        env |= {"ARM_CLIENT_CERTIFICATE_PASSWORD": password} if password else {}
        assert isinstance(credential_from_env(env).inner, CertificateCredential)


def test_default_azure_credential_reads_the_certificate_azure_identity_reads(certificates, monkeypatch):
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(certificates / "cert-only.pem"))
    with pytest.raises(SettingError, match=r"^AZURE_CLIENT_CERTIFICATE_PATH '.*cert-only.pem': it holds no private"):
        credential_from_env({"ARM_USE_DEFAULT_AZURE_CREDENTIAL": "true"})


def test_every_command_that_signs_in_stops_with_the_one_line(certificates, project, monkeypatch, capsys, tmp_path):
    from tools import cli

    missing = str(certificates / "missing.pem")
    for name, value in {**BASE, "ARM_CLIENT_CERTIFICATE_PATH": missing}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    foundry = "https://x.services.ai.azure.com/openai/v1/chat/completions"
    outputs = {
        "endpoints": {
            "f": {
                "kind": "foundry",
                "model": "m",
                "api": "chat",
                "url": foundry,
                "auth": "entra",
                "deployment": "d",
                "name": "n",
            }
        }
    }
    (tmp_path / "outputs.json").write_text(json.dumps({**outputs, "endpointKeys": {}}))
    sub = ["--subscription-id", "00000000-0000-0000-0000-000000000001"]
    expected = f"error: ARM_CLIENT_CERTIFICATE_PATH {missing!r}: cannot read the file (No such file or directory)"
    smoke = ["smoke", "--outputs", str(tmp_path / "outputs.json")]
    for args in (["preflight", "--stack", "dev", *sub], ["purge", "--stack", "dev", "--yes", *sub], smoke):
        code = cli.main(args)
        out, err = capsys.readouterr()
        assert code == 1 and out == "", (args, out)
        assert err.startswith(expected) and err.count("\n") == 1, (args, err)


# -- The Azure CLI: whatever `az account get-access-token` prints is never echoed (it can hold a token) -----------

CLI_TOKEN = "eyJ0eXAiOiJKV1Qi.cli-token-0123456789abcdef"
FAKE_AZ = '#!/bin/sh\ncat "$FAKE_AZ/stdout"\ncat "$FAKE_AZ/stderr" >&2\nexit "$(cat "$FAKE_AZ/code")"\n'


@pytest.fixture
def fake_az(tmp_path, monkeypatch):
    """An `az` on PATH that prints what the test writes: `fake_az(stdout, stderr, code)`."""
    (tmp_path / "az").write_text(FAKE_AZ)
    (tmp_path / "az").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_AZ", str(tmp_path))

    def script(stdout: str, stderr: str = "", code: int = 0) -> None:
        for name, text in (("stdout", stdout), ("stderr", stderr), ("code", str(code))):
            (tmp_path / name).write_text(text, encoding="utf-8", errors="surrogateescape")

    return script


def cli_sign_in() -> str:
    """The token the Azure CLI credential returns, or its one error line, which must not hold the token."""
    try:
        return credential_from_env({}).get_token(ARM).token
    except UserError as err:
        message = str(err)
        assert "\n" not in message and message.startswith("Azure sign-in failed (Azure CLI): "), message
        assert not [CLI_TOKEN[i : i + 8] for i in range(len(CLI_TOKEN) - 7) if CLI_TOKEN[i : i + 8] in message]
        return "error: " + message


@pytest.mark.parametrize(
    ("stdout", "stderr", "code", "expected"),
    [
        # azure-identity's own redaction knows `"accessToken": "` with one space only.
        (f'{{"accessToken":"{CLI_TOKEN}","expiresOn":"soon"}}', "", 0, "printed something that is not an access token"),
        (f"WARNING: {CLI_TOKEN}\n", "", 0, "printed something that is not an access token"),
        ("", f"ERROR: AADSTS50076 {CLI_TOKEN}\n", 1, "`az account get-access-token` failed (exit 1); what it printed"),
        ("", f"{CLI_TOKEN} run az login\n", 2, "Please run 'az login' to set up an account"),
        ("null", "", 0, "Azure sign-in failed (Azure CLI): TypeError"),  # azure-identity's parser fails on these
        ("[]", "", 0, "Azure sign-in failed (Azure CLI): TypeError"),
        ('{"accessToken": "x", "expiresOn": 5}', "", 0, "Azure sign-in failed (Azure CLI): TypeError"),
        ('{"accessToken": 5, "expires_on": 5}', "", 0, "its answer is not an access token"),
        (f'{{"accessToken": "{CLI_TOKEN}\\nX: 1", "expires_on": 5}}', "", 0, "its answer is not an access token"),
        (f'{{"accessToken": "{CLI_TOKEN}", "expires_on": 4102444800}}', "", 0, CLI_TOKEN),
    ],
)
def test_the_azure_cli_output_is_never_echoed(fake_az, stdout, stderr, code, expected):
    fake_az(stdout, stderr, code)
    got = cli_sign_in()
    assert expected in got, got
    if expected != CLI_TOKEN:
        assert "az login" in got, "the hint says what to run"


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    stdout=st.one_of(
        st.text(max_size=40).map(lambda t: t + CLI_TOKEN),
        st.fixed_dictionaries(
            {"accessToken": st.sampled_from([CLI_TOKEN, CLI_TOKEN + "\r\n", 5, None, ["x"]])},
            optional={
                "expiresOn": st.sampled_from(["2099-01-01 00:00:00.000000", "soon", 5, None]),
                "expires_on": st.sampled_from([4102444800, "4102444800", "never", None, 1.5]),
            },
        ).map(json.dumps),
        st.sampled_from(["", "null", "[]", "{}", "1", '"' + CLI_TOKEN + '"', "{", "\x00"]),
    ),
    stderr=st.sampled_from(["", CLI_TOKEN, f"ERROR: {CLI_TOKEN}", "please run az login " + CLI_TOKEN]),
    code=st.sampled_from([0, 0, 1, 2, 127]),
)
def test_whatever_the_azure_cli_prints_is_a_token_or_one_line_without_it(fake_az, stdout, stderr, code):
    fake_az(stdout, stderr, code)
    got = cli_sign_in()
    assert got.startswith("error: ") or (got == CLI_TOKEN and code == 0)
