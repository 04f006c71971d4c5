"""clients.json_input: JSON from outside is a value or one NotJson, whatever its depth, numbers or bytes."""

import json

import pytest
from azure.core.exceptions import ClientAuthenticationError

from clients import json_input
from clients.credential import github_assertion
from clients.json_input import MAX_DEPTH, NotJson, TooDeep, decode_at, loads
from tests.support.hostile_server import HostileServer


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b'{"a": [1, 2.5, "x", null, true]}', {"a": [1, 2.5, "x", None, True]}),
        (' {"a": 1} \n', {"a": 1}),
        (b"\xef\xbb\xbf[]", []),
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)),
        ("1" * 4000, int("1" * 4000)),
        ("1e308", 1e308),
    ],
)
def test_json_is_read_as_the_standard_library_reads_it(data, value):
    assert loads(data) == value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 100 levels"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested deeper than 100 levels"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper than 100 levels"),
        ('{"a": [' + "{}," * 10 + '{"b": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}]}", "nested deeper"),
        ("NaN", "NaN is not a JSON number"),
        ('{"a": -Infinity}', "-Infinity is not a JSON number"),
        ("[1e999]", "a number is too large for a float"),
        ("1" * 5000, "ValueError: Exceeds the limit"),
        ("{} {}", "line 1, column 4: Extra data"),
        ('{"key": "sk-secret', "line 1, column 9: Unterminated string"),
        ("\u00a0{}", "line 1, column 1: Expecting value"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        ("", "Expecting value"),
    ],
)
def test_anything_else_is_one_not_json_that_never_quotes_the_input(data, message):
    with pytest.raises(NotJson) as caught:
        loads(data)
    assert message in str(caught.value) and "secret" not in str(caught.value)
    assert isinstance(caught.value, ValueError)  # callers that caught ValueError still do
    assert isinstance(caught.value, TooDeep) == message.startswith("nested")


def test_decode_at_reads_one_value_from_an_index():
    assert decode_at('notice\n{"a": 1} trailing', 7) == ({"a": 1}, 15)
    with pytest.raises(TooDeep):
        decode_at("x" + "[" * 5000, 1)


def test_a_github_oidc_answer_nested_too_deeply_is_a_sign_in_error():
    with HostileServer() as github:
        github.script.routes["*"] = lambda h: h.raw(200, b'{"value": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
        assertion = github_assertion(github.url + "/token", "request-token", allow_http_loopback=True)
        with pytest.raises(ClientAuthenticationError, match="GitHub OIDC token request failed: TooDeep"):
            assertion()
        github.script.routes["*"] = lambda h: h.raw(200, json.dumps({"value": "oidc-jwt"}).encode())
        assert assertion() == "oidc-jwt"


def test_the_depth_limit_holds_however_deep_the_caller_already_is():
    """The parser's own limit depends on the stack; the helper's does not."""

    def nested(levels: int) -> object:
        return loads("[" * 50 + "]" * 50) if levels == 0 else nested(levels - 1)

    assert nested(600) == json.loads("[" * 50 + "]" * 50)
    assert json_input.MAX_DEPTH == 100
