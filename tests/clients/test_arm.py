"""clients.arm against hostile local servers: every answer ends in a result or one ArmError, in time, token kept."""

import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices import models as cs_models
from azure.mgmt.cognitiveservices.models import Account
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault import models as kv_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.arm import ARM_ENDPOINT_VARIABLE, ArmClient, ArmError, arm_endpoint, arm_scope
from clients.deadline import Deadline
from clients.errors import UserError
from tests.support.arm_server import FakeCredential
from tests.support.hostile_server import FakeClock, HostileServer

TOKEN = "test-token-0123456789abcdef"
SUB = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def home():
    with HostileServer() as server:
        yield server


@pytest.fixture
def other():
    """Another origin: it must never see the token."""
    with HostileServer() as server:
        server.script.routes["*"] = lambda h: h.json(200, {"value": [], "status": "Succeeded"})
        yield server


def client(server: HostileServer, clock: FakeClock | None = None, seconds: float = 600, **options) -> ArmClient:
    clock = clock or FakeClock()
    deadline = Deadline(seconds, clock=clock, sleep=clock.sleep)
    return ArmClient(FakeCredential(TOKEN), server.url, deadline=deadline, **options)


def tokens_seen(server: HostileServer) -> list:
    return [s.authorization for s in server.script.seen if s.authorization]


def answer_then(answers: list, final):
    """A route that gives each answer once, in order, then `final` forever."""
    queue = list(answers)

    def route(h):
        (queue.pop(0) if queue else final)(h)

    return route


def ok(h):
    h.json(200, {"ok": True})


# Retries and Retry-After.
@pytest.mark.parametrize(
    "retry_after",
    ["86400", "1e9", "inf", "-5", "NaN", "garbage", "Wed, 21 Oct 2099 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT"],
)
def test_retry_after_of_any_kind_is_bounded(home, retry_after):
    home.script.routes["/r"] = answer_then([lambda h: h.json(429, {}, {"Retry-After": retry_after})] * 2, ok)
    clock = FakeClock()
    assert client(home, clock).get("/r", "1") == {"ok": True}
    assert len(home.script.seen) == 3 and all(0 <= s <= 60 for s in clock.sleeps), clock.sleeps


def test_throttling_past_the_deadline_fails_without_waiting_for_it(home):
    home.script.routes["/r"] = lambda h: h.json(429, {}, {"Retry-After": "50"})
    clock = FakeClock()
    with pytest.raises(ArmError, match="did not finish within 120 s"):
        client(home, clock, seconds=120, retry_total=100).get("/r", "1")
    assert clock.now <= 120 and clock.sleeps == [50.0, 50.0]


def test_server_errors_are_retried_then_reported(home):
    home.script.routes["/r"] = lambda h: h.json(503, {"error": {"code": "ServiceUnavailable", "message": "down"}})
    with pytest.raises(ArmError) as err:
        client(home, retry_total=3).get("/r", "1")
    assert err.value.status == 503 and len(home.script.seen) == 4 and "down" in str(err.value)


@pytest.mark.parametrize("status", [400, 403, 404, 405, 412, 422])
def test_other_client_errors_are_never_retried_even_with_retry_after(home, status):
    home.script.routes["/r"] = lambda h: h.json(
        status, {"error": {"code": "Nope", "message": "no"}}, {"Retry-After": "1"}
    )
    with pytest.raises(ArmError) as err:
        client(home).get("/r", "1")
    assert err.value.status == status and len(home.script.seen) == 1


def test_a_busy_resource_is_retried_and_another_conflict_is_not(home):
    busy = {"error": {"code": "AnotherOperationInProgress", "message": "wait"}}
    home.script.routes["/busy"] = answer_then([lambda h: h.json(409, busy)] * 2, ok)
    assert client(home).get("/busy", "1") == {"ok": True}
    home.script.routes["/exists"] = lambda h: h.json(409, {"error": {"code": "Conflict", "message": "already exists"}})
    with pytest.raises(ArmError):
        client(home).get("/exists", "1")
    assert [s.path for s in home.script.seen].count("/exists") == 1


def test_no_answer_at_all_is_one_error_after_bounded_retries(home):
    url = home.url
    home.__exit__(None, None, None)
    with pytest.raises(ArmError, match="no answer from"):
        ArmClient(FakeCredential(TOKEN), url, deadline=Deadline(30, clock=FakeClock(), sleep=lambda s: None)).get(
            "/r", "1"
        )


# The token stays with its origin.
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(home, other, status):
    home.script.routes["/r"] = lambda h: h.raw(status, b"", {"Location": other.url + "/steal"})
    with pytest.raises(ArmError, match="redirect"):
        client(home).get("/r", "1")
    assert other.script.seen == []


def test_a_next_link_to_another_origin_gets_no_token(home, other):
    home.script.routes["/list"] = lambda h: h.json(200, {"value": [1], "nextLink": other.url + "/page2"})
    with pytest.raises(ArmError, match="refused to send the Azure token"):
        list(client(home).pages("/list", "1"))
    assert other.script.seen == []


def test_a_next_link_the_http_libraries_read_apart_gets_no_token(home, other):
    # urllib.parse reads the host after the backslash (home), urllib3 the one before it (other).
    home_authority = home.url.split("://", 1)[1]
    home.script.routes["/list"] = lambda h: h.json(
        200, {"value": [1], "nextLink": f"{other.url}\\@{home_authority}/page2"}
    )
    with pytest.raises(ArmError, match="refused to send the Azure token to a URL where it has a backslash"):
        list(client(home).pages("/list", "1"))
    assert other.script.seen == []


@pytest.mark.parametrize("header", ["Azure-AsyncOperation", "Location"])
def test_an_operation_url_on_another_origin_gets_no_token(home, other, header):
    home.script.routes["/put"] = lambda h: h.json(202 if header == "Location" else 201, {}, {header: other.url + "/op"})
    with pytest.raises(ArmError, match="refused to send the Azure token"):
        client(home).operation("PUT", "/put", "1", {"a": 1})
    assert other.script.seen == []


@pytest.mark.parametrize(
    "endpoint", ["https://user:hunter2secret@management.azure.com", "http://management.example.com/?sig=hunter2secret"]
)
def test_a_refused_endpoint_is_quoted_without_its_user_part_or_query(monkeypatch, endpoint):
    monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, endpoint)
    with pytest.raises(UserError, match=ARM_ENDPOINT_VARIABLE) as refused:
        arm_endpoint()
    assert "hunter2secret" not in str(refused.value) and "management." in str(refused.value)


def test_plain_http_is_refused_except_on_loopback(monkeypatch):
    with pytest.raises(UserError, match="must be an https URL"):
        ArmClient(FakeCredential(), "http://management.example.com")
    monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, "http://10.0.0.1:8080")
    with pytest.raises(UserError, match=ARM_ENDPOINT_VARIABLE):
        ArmClient(FakeCredential())
    monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, "http://localhost:8080/")
    assert arm_endpoint() == "http://localhost:8080"
    monkeypatch.setenv(ARM_ENDPOINT_VARIABLE, "https://evil.example:443\\@management.azure.com")
    with pytest.raises(UserError, match=f"{ARM_ENDPOINT_VARIABLE} .* cannot be a token's endpoint: it has a backsl"):
        arm_endpoint()
    monkeypatch.delenv(ARM_ENDPOINT_VARIABLE)
    assert (arm_endpoint(), arm_scope(arm_endpoint())) == (
        "https://management.azure.com",
        "https://management.azure.com/.default",
    )
    env = {"ARM_ENVIRONMENT": "usgovernment"}
    assert arm_scope(arm_endpoint(environ=env), env) == "https://management.core.usgovcloudapi.net/.default"


def test_an_answer_that_echoes_the_token_is_redacted(home):
    leak = f"your token {TOKEN[3:20]} is bad"
    home.script.routes["/r"] = lambda h: h.json(400, {"error": {"code": "Bad" + TOKEN[5:15], "message": leak}})
    with pytest.raises(ArmError) as err:
        client(home).get("/r", "1")
    assert TOKEN[3:20] not in str(err.value) and TOKEN[5:15] not in err.value.code
    assert "your token" in str(err.value)


# Pages and long-running operations.
def test_a_next_link_loop_and_endless_pages_are_errors(home):
    home.script.routes["/self"] = lambda h: h.json(200, {"value": [1], "nextLink": h.base + "/self?api-version=1"})
    with pytest.raises(ArmError, match="nextLink points back"):
        list(client(home).pages("/self", "1"))
    count = iter(range(10**6))
    home.script.routes["/more"] = lambda h: h.json(200, {"value": [1], "nextLink": f"{h.base}/more?p={next(count)}"})
    with pytest.raises(ArmError, match="more than 5 pages"):
        list(client(home, max_pages=5).pages("/more", "1"))


def test_an_operation_that_never_ends_is_bounded(home):
    home.script.routes["/put"] = lambda h: h.json(201, {}, {"Azure-AsyncOperation": h.base + "/op"})
    home.script.routes["/op"] = lambda h: h.json(200, {"status": "InProgress"}, {"Retry-After": "86400"})
    clock = FakeClock()
    with pytest.raises(ArmError, match="did not finish within 600 s"):
        client(home, clock, seconds=600).operation("PUT", "/put", "1", {})
    assert all(s <= 60 for s in clock.sleeps)
    home.script.routes["/op"] = lambda h: h.json(200, {"status": "Weird"})
    with pytest.raises(ArmError, match="still running after 4 polls"):
        client(home, max_polls=4).operation("PUT", "/put", "1", {})


@pytest.mark.parametrize(
    ("status_body", "message"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b"[1, 2]", "JSON list"),
        (b'"Succeeded"', "JSON str"),
        (b'{"status": 7}', "not a string"),
        (b"{}", "No status found"),
        (b'{"status": "Failed", "error": {"code": "BadThing", "message": "it broke"}}', "it broke"),
    ],
)
def test_an_operation_status_of_the_wrong_shape_is_an_error(home, status_body, message):
    home.script.routes["/put"] = lambda h: h.json(201, {}, {"Azure-AsyncOperation": h.base + "/op"})
    home.script.routes["/op"] = lambda h: h.raw(200, status_body)
    with pytest.raises(ArmError, match=message):
        client(home).operation("PUT", "/put", "1", {})


# Bodies.
@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (b"<html><body>Sign in</body></html>", "text/html", "not JSON"),
        (b"[1, 2, 3]", "application/json", "a JSON list, not an object"),
        (b"42", "application/json", "a JSON int"),
        (b'{"value": "no"', "application/json", "not JSON"),
        (b"\xff\xfe\x00", "application/json", "not JSON"),
    ],
)
def test_an_answer_of_the_wrong_type_is_one_error(home, body, kind, message):
    home.script.routes["/r"] = lambda h: h.raw(200, body, kind=kind)
    with pytest.raises(ArmError, match=message):
        client(home).get("/r", "1")


DEEP = b"[" * 50_000 + b"]" * 50_000


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b'{"a":' * 30_000 + b"1" + b"}" * 30_000, "nested deeper than 100 levels"),
        (200, b'{"value": ' + DEEP + b"}", "nested deeper than 100 levels"),
        (500, b'{"error": ' + DEEP + b"}", "nested deeper than 100 levels"),
        (404, b'{"error": {"code": "x", "message": ' + DEEP + b"}}", "nested deeper than 100 levels"),
        (200, b'{"a": NaN}', "NaN is not a JSON number"),
        (200, b'{"a": [1e999]}', "too large for a float"),
    ],
)
def test_json_nested_too_deeply_or_not_finite_is_one_error(home, status, body, message):
    """Python's parser raises RecursionError on deep nesting (and azure-core's would too): refused first."""
    home.script.routes["/r"] = lambda h: h.raw(status, body)
    with pytest.raises(ArmError, match=message) as err:
        client(home, retry_total=1).get("/r", "1")
    assert "\n" not in str(err.value) and len(str(err.value)) < 300


def test_a_deep_answer_to_a_generated_client_or_a_page_is_one_error(home):
    home.script.routes["*"] = lambda h: h.raw(200, b'{"value": [' + DEEP + b"]}")
    arm = client(home)
    with pytest.raises(ArmError, match="nested deeper"):
        list(arm.pages("/r", "1"))
    models = arm.mgmt(CognitiveServicesManagementClient, SUB).models
    with pytest.raises(ArmError, match="nested deeper"):
        arm.items(models.list("eastus2"), "models")


def test_a_page_of_the_wrong_shape_is_one_error(home):
    home.script.routes["/r"] = lambda h: h.json(200, {"value": "nope"})
    with pytest.raises(ArmError, match="a page is not"):
        list(client(home).pages("/r", "1"))


def test_an_error_page_in_html_is_one_error(home):
    home.script.routes["/r"] = lambda h: h.raw(502, b"<html>Bad Gateway</html>", kind="text/html")
    with pytest.raises(ArmError) as err:
        client(home, retry_total=1).get("/r", "1")
    assert err.value.status == 502 and "\n" not in str(err.value)


def test_a_body_that_never_ends_is_cut_at_the_size_cap(home):
    home.script.routes["/r"] = lambda h: h.endless()
    started = time.monotonic()
    with pytest.raises(ArmError, match="larger than 1048576 bytes"):
        ArmClient(FakeCredential(TOKEN), home.url, deadline=10, max_body_bytes=1 << 20).get("/r", "1")
    assert time.monotonic() - started < 10


def test_a_trickling_body_ends_at_the_deadline(home):
    home.script.routes["/r"] = lambda h: h.trickle(every=0.02)
    with pytest.raises(ArmError, match=r"did not finish within 0\.3 s"):
        ArmClient(FakeCredential(TOKEN), home.url, deadline=0.3).get("/r", "1")


# Sign-in and ARM's refusals.
def test_arm_refusing_the_token_says_to_sign_in_again(home):
    home.script.routes["/r"] = lambda h: h.json(401, {"error": {"code": "ExpiredAuthenticationToken", "message": "x"}})
    with pytest.raises(ArmError) as err:
        client(home).get("/r", "1")
    assert err.value.status == 401 and "az login" in str(err.value) and len(home.script.seen) == 1


def test_arm_forbidding_is_one_line_that_says_so(home):
    forbidden = {"error": {"code": "AuthorizationFailed", "message": "client x does not have authorization"}}
    home.script.routes["/r"] = lambda h: h.json(403, forbidden)
    with pytest.raises(ArmError, match="not allowed: client x does not have authorization"):
        client(home).get("/r", "1")


def test_a_credential_that_cannot_sign_in_is_one_user_error(home):
    class SignedOut:
        def get_token(self, *scopes, **kwargs):
            raise ClientAuthenticationError("DefaultAzureCredential failed.\nAttempted credentials:\n\tEnvironment...")

    with pytest.raises(UserError) as err:
        ArmClient(SignedOut(), home.url).get("/r", "1")
    assert "\n" not in str(err.value) and "az login" in str(err.value)
    assert home.script.seen == [], "nothing is sent without a token"


# Microsoft's generated clients on the same pipeline.
def test_a_generated_client_gets_the_same_safe_pipeline(home, other):
    arm = client(home)
    cognitive = arm.mgmt(CognitiveServicesManagementClient, SUB)
    models = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus2/models"
    home.script.routes[models] = lambda h: h.json(200, {"value": [{"kind": "AIServices"}], "nextLink": other.url})
    with pytest.raises(ArmError, match="refused to send the Azure token"):
        arm.items(cognitive.models.list("eastus2"), "models")
    assert other.script.seen == []
    home.script.routes[models] = lambda h: h.json(200, {"value": [{"model": "not an object"}]})
    with pytest.raises(ArmError, match="not what the API documents"):
        arm.items(cognitive.models.list("eastus2"), "models")
    home.script.routes[models] = lambda h: h.raw(200, b"<html/>", kind="text/html")
    with pytest.raises(ArmError, match="not JSON"):
        arm.items(cognitive.models.list("eastus2"), "models")


def test_a_generated_client_never_registers_a_provider_on_its_own(home):
    usages = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus2/usages"
    unregistered = {"error": {"code": "MissingSubscriptionRegistration", "message": "register it"}}
    home.script.routes[usages] = lambda h: h.json(409, unregistered)
    arm = client(home)
    with pytest.raises(ArmError, match="register it"):
        arm.items(arm.mgmt(CognitiveServicesManagementClient, SUB).usages.list("eastus2"), "usages")
    assert [s.method for s in home.script.seen] == ["GET"], "no POST .../register, no polling"


def test_a_generated_clients_page_loop_is_an_error(home):
    arm = client(home)
    path = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus2/usages"
    home.script.routes[path] = lambda h: h.json(200, {"value": [], "nextLink": h.base + path + "?api-version=x"})
    with pytest.raises(ArmError, match="nextLink points back"):
        arm.items(arm.mgmt(CognitiveServicesManagementClient, SUB).usages.list("eastus2"), "usages")
    assert len(home.script.seen) <= 3


def test_found_by_fuzzing_an_empty_page_and_a_first_answer_of_the_wrong_shape(home):
    arm = client(home)
    models = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus2/models"
    home.script.routes[models] = lambda h: h.raw(200, b"")
    with pytest.raises(ArmError, match="a page is not"):
        arm.items(arm.mgmt(CognitiveServicesManagementClient, SUB).models.list("eastus2"), "models")
    home.script.routes["/put"] = lambda h: h.json(200, {"properties": 7})
    with pytest.raises(ArmError, match="starts the operation is not what ARM sends"):
        arm.operation("PUT", "/put", "1", {})


def test_nothing_logs_the_token_even_at_debug(home, caplog):
    import logging

    home.script.routes["/r"] = answer_then([lambda h: h.json(503, {})], lambda h: h.json(400, {"error": {"code": "X"}}))
    # Every logger at DEBUG, including those a sign-in quieted earlier in this process.
    loggers = [logging.getLogger(n) for n in ("", "azure", "azure.core", "azure.identity", "urllib3")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(ArmError):
            client(home).get("/r", "1")
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
    assert caplog.records, "the libraries did log at DEBUG"
    assert TOKEN not in caplog.text and TOKEN[:12] not in caplog.text


# Bounded fuzzing: random hostile answers.
# Bounded fuzzing of clients.arm: random hostile answers, each call ends in a value or one ArmError, token kept.

SEED_COUNT = 60
FUZZ_TOKEN = "fuzz-token-abcdefghijklmnop"


def _values(rng: random.Random, other: str):
    """JSON values of every type, some of them links to another origin or to the page itself."""
    return rng.choice(
        [
            None,
            7,
            -1,
            1e308,
            "x" * rng.randint(0, 50),
            [],
            [1, "a", None],
            {},
            {"status": rng.choice(["Succeeded", "Failed", "InProgress", 3, None, []])},
            f"{other}/steal",
            "/self",
        ]
    )


def _answer(rng: random.Random, other: str):
    status = rng.choice([200, 200, 200, 201, 202, 204, 301, 302, 400, 401, 403, 404, 409, 429, 500, 503, 599])
    headers = {}
    for name in ("Retry-After", "Azure-AsyncOperation", "Location", "retry-after-ms"):
        if rng.random() < 0.25:
            headers[name] = str(
                rng.choice(["0", "-1", "NaN", "inf", "1e12", "86400", "soon", "Fri, 01 Jan 2100 00:00:00 GMT", other])
            )
    kind = rng.choice(["body", "body", "html", "empty", "garbage", "trickle", "huge", "deep", "not-finite"])
    depth = rng.randint(1, 5000)
    body = {
        "value": _values(rng, other),
        "nextLink": _values(rng, other),
        "status": _values(rng, other),
        "error": _values(rng, other),
        "properties": _values(rng, other),
    }

    def route(h):
        if kind == "trickle":
            return h.trickle(every=0.01)
        if kind == "huge":
            return h.endless()
        data = {
            "body": json.dumps(body).encode(),
            "html": b"<html><body>maintenance</body></html>",
            "empty": b"",
            "garbage": bytes(rng.randrange(256) for _ in range(20)),
            # Past the parser's recursion limit, and numbers that JSON does not have.
            "deep": b'{"value": ' + b"[" * depth + b"]" * depth + b', "status": "Succeeded"}',
            "not-finite": b'{"value": [NaN], "status": Infinity, "properties": {"x": 1e999}}',
        }[kind]
        for key, value in list(headers.items()):
            if value == "/self":
                headers[key] = h.base + h.path
        h.raw(status, data.replace(b'"/self"', json.dumps(h.base + h.path).encode()), headers)

    return route


@pytest.mark.parametrize("seed", range(0, SEED_COUNT, 15))
def test_random_hostile_answers_end_cleanly(seed):
    with HostileServer() as home, HostileServer() as other:
        other.script.routes["*"] = lambda h: h.json(200, {"status": "Succeeded", "value": []})
        for case in range(seed, seed + 15):
            rng = random.Random(case)
            home.script.routes["*"] = _answer(rng, other.url)
            clock = FakeClock()
            arm = ArmClient(
                FakeCredential(FUZZ_TOKEN),
                home.url,
                deadline=Deadline(0.15, clock=time.monotonic, sleep=clock.sleep),
                max_body_bytes=1 << 16,
                max_pages=5,
                max_polls=5,
            )
            started = time.monotonic()
            call = rng.choice(["get", "pages", "put", "post", "delete", "mgmt"])
            try:
                if call == "get":
                    result = arm.get("/r", "1")
                    assert isinstance(result, dict)
                elif call == "pages":
                    list(arm.pages("/r", "1"))
                elif call == "mgmt":
                    client = arm.mgmt(CognitiveServicesManagementClient, SUB)
                    arm.items(client.models.list("eastus2"), "models")
                else:
                    arm.operation(call.upper(), "/r", "1", {"a": 1} if call != "delete" else None)
            except UserError as err:  # ArmError, or a sign-in error: one line, no token
                assert "\n" not in str(err) and FUZZ_TOKEN[:10] not in str(err), (case, str(err))
            assert time.monotonic() - started < 5, f"case {case} ({call}) took too long"
            assert all(s <= 60 for s in clock.sleeps), (case, clock.sleeps)
        assert not [s for s in other.script.seen if s.authorization], "the other origin saw the token"


# The generated clients' calls, whatever the stand-in answers: their model, or one ArmError, never a traceback.
def _generated_calls(arm: ArmClient) -> dict[str, tuple[str, Callable[[], Any]]]:
    cognitive = arm.mgmt(CognitiveServicesManagementClient, SUB)
    vaults = arm.mgmt(KeyVaultManagementClient, SUB).vaults
    cs = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices"
    account = f"{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
    return {
        "deleted vaults": (
            f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/deletedVaults",
            lambda: arm.items(vaults.list_deleted(), "deleted vaults", kv_models.DeletedVault),
        ),
        "deleted account": (
            f"{cs}/locations/eastus2/resourceGroups/rg/deletedAccounts/a",
            lambda: arm.call("deleted account", lambda: cognitive.deleted_accounts.get("eastus2", "rg", "a"), Account),
        ),
        "account": (
            f"/subscriptions/{account}",
            lambda: arm.call("account", lambda: cognitive.accounts.get("rg", "a"), Account),
        ),
        "models": (
            f"{cs}/locations/eastus2/models",
            lambda: arm.items(cognitive.models.list("eastus2"), "models", cs_models.Model),
        ),
        "usages": (
            f"{cs}/locations/eastus2/usages",
            lambda: arm.items(cognitive.usages.list("eastus2"), "usages", cs_models.Usage),
        ),
        "subdomain": (
            f"{cs}/checkDomainAvailability",
            lambda: arm.call(
                "subdomain",
                lambda: cognitive.check_domain_availability("a", "Microsoft.CognitiveServices/accounts", "AIServices"),
                cs_models.DomainAvailability,
            ),
        ),
        "purge": (
            f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/v/purge",
            lambda: arm.call(
                "purge", lambda: vaults.begin_purge_deleted("v", "eastus2", polling=arm.polling()).result()
            ),
        ),
    }


BODIES = [
    b"", b"null", b"[]", b'"x"', b"{}", b"not json", b"<html/>", b"\xff\xfe\x00", b"1e999", b"[" * 300 + b"]" * 300,
    b'{"value": "x"}', b'{"value": [1, "x", null, []]}', b'{"value": [{"name": 5}], "nextLink": 7}',
    b'{"name": [], "properties": "x", "location": {}}', b'{"isSubdomainAvailable": "maybe"}', b'{"error": "x"}',
    b'{"error": {"code": [], "message": {}}}', b'{"status": 5}', b'{"value": [{"model": [], "skus": {}}]}',
]  # fmt: skip


@settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    call=st.sampled_from(["deleted vaults", "deleted account", "account", "models", "usages", "subdomain", "purge"]),
    status=st.sampled_from([200, 201, 202, 204, 301, 302, 400, 403, 404, 409, 500]),
    location=st.booleans(),
    body=st.sampled_from(BODIES),
)
def test_any_answer_to_a_generated_clients_call_is_its_model_or_one_arm_error(home, call, status, location, body):
    headers = {"Retry-After": "0", **({"Location": home.url + "/operations/x"} if location else {})}
    home.script.routes = {"*": lambda h: h.raw(status, body, headers)}
    arm = client(home, seconds=5, max_polls=3)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        home.script.routes[_generated_calls(arm)[call][0]] = home.script.routes["*"]
        try:
            _generated_calls(arm)[call][1]()
        except ArmError as err:
            assert "\n" not in str(err) and TOKEN not in str(err)
    finally:
        logging.getLogger().removeHandler(handler)
    assert not [r for r in records if r.exc_info or r.levelno >= logging.WARNING], [r.getMessage() for r in records]
