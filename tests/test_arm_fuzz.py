"""Bounded fuzzing of components.arm: random hostile answers, each call ends in a value or one ArmError, token kept."""

import json
import random
import time

import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from clients.arm import ArmClient
from clients.deadline import Deadline
from clients.errors import UserError
from tests.arm_server import FakeCredential
from tests.hostile_server import FakeClock, HostileServer

SEED_COUNT = 60
SUB = "11111111-1111-1111-1111-111111111111"
TOKEN = "fuzz-token-abcdefghijklmnop"


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
                FakeCredential(TOKEN),
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
                assert "\n" not in str(err) and TOKEN[:10] not in str(err), (case, str(err))
            assert time.monotonic() - started < 5, f"case {case} ({call}) took too long"
            assert all(s <= 60 for s in clock.sleeps), (case, clock.sleeps)
        assert not [s for s in other.script.seen if s.authorization], "the other origin saw the token"
