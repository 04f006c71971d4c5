"""clients.redact: whatever decodes to a fragment of a secret is masked, however it is printed."""

import base64
import json
import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from clients.redact import FRAGMENT, Redactor


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    secret=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=FRAGMENT, max_size=64),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
    form=st.sampled_from(["plain", "url", "json", "base64", "basic", "slice", "padded"]),
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
    }[form]
    redact = Redactor([f" {secret}\n"])
    shown = redact(before + encoded + after)
    if form in ("base64", "basic"):
        # Inside base64, the characters that come from the secret alone (whole 3-byte groups) must be gone.
        offset = len(f"{before}:".encode()) if form == "basic" else 0
        own = base64.b64encode(secret.encode()[(3 - offset % 3) % 3 :]).decode().rstrip("=")[:-3]
        assert not any(own[i : i + FRAGMENT] in shown for i in range(len(own) - FRAGMENT + 1)), shown
    else:
        assert not any(secret[i : i + FRAGMENT] in shown for i in range(len(secret) - FRAGMENT + 1)), shown
