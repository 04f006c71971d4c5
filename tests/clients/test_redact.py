"""clients.redact: whatever decodes to a fragment of a secret is masked, however it is printed."""

import base64
import json
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.redact import FRAGMENT, SECRET, Redactor, printable


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    secret=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=FRAGMENT, max_size=64),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
    form=st.sampled_from(["plain", "url", "json", "base64", "basic", "slice", "padded", "hex", "octal", "lines"]),
)
def test_no_fragment_of_a_secret_survives_redaction(secret, before, after, form):
    encoded = {
        "plain": secret,
        "url": urllib.parse.quote(secret, safe=""),
        "json": json.dumps(secret)[1:-1],
        "base64": base64.b64encode(secret.encode()).decode(),
        "basic": base64.b64encode(f"{before}:{secret}".encode()).decode(),
        "slice": secret[1:-1],
        "padded": f"  {secret}\n",
        "hex": secret.encode().hex(),
        "octal": "".join(f"\\{ord(c):03o}" for c in secret),
        "lines": printable("\r\n  ".join(secret[i : i + 5] for i in range(0, len(secret), 5))),
    }[form]
    redact = Redactor([f" {secret}\n"])
    shown = redact(before + encoded + after)
    if form in ("base64", "basic"):
        # Inside base64, the characters that come from the secret alone (whole 3-byte groups) must be gone.
        offset = len(f"{before}:".encode()) if form == "basic" else 0
        own = base64.b64encode(secret.encode()[(3 - offset % 3) % 3 :]).decode().rstrip("=")[:-3]
        assert not any(own[i : i + FRAGMENT] in shown for i in range(len(own) - FRAGMENT + 1)), shown
    elif form in ("hex", "octal"):  # each character is 2 or 4 of the printed ones: no FRAGMENT of them is left
        unit = len(encoded) // len(secret)
        runs = [encoded[i : i + unit * FRAGMENT] for i in range(0, len(encoded) - unit * FRAGMENT + 1, unit)]
        assert not any(run in shown for run in runs), shown
    else:
        joined = shown.replace("\\r\\n  ", "") if form == "lines" else shown
        assert not any(secret[i : i + FRAGMENT] in joined for i in range(len(secret) - FRAGMENT + 1)), shown


def test_printable_text_is_one_line_whose_escapes_the_redactor_reads():
    assert printable("a\nb\r\tc\x07\x9b\u2028d", 40) == "a\\nb\\r\\tc\\x07\\x9b\\u2028d"
    assert printable("x" * 50, 40) == "x" * 40 + "..."
    split = printable("sk-test-\r\n    1234567890")
    masked = Redactor(["sk-test-1234567890"])(split)
    assert "\n" not in split and masked.replace("\\r\\n    ", "") == SECRET * 2, masked


@pytest.mark.parametrize("case", [str.upper, str.lower, str.swapcase, str.title])
def test_a_secret_in_another_letter_case_is_masked_too(case):
    key, short = "zq8XK2mn4PR7st1VW3yb", "Ab3x"
    shown = Redactor([key, short])(f"finish_reason: weird-{case(key)} and {case(short)}!")
    assert shown == f"finish_reason: weird-{SECRET} and {SECRET}!", shown
