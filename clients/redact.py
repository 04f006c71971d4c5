"""Secrets out of every message: keys checked before they are sent, any fragment of one masked before it is shown."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable

MASK = "***"
FRAGMENT = 8
"""A run of this many characters of a secret is masked wherever it appears (shorter runs occur by chance)."""
MIN_SECRET = 4
"""Secrets shorter than this are too short to mask safely; smoke refuses such keys anyway."""
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


def clean_secret(raw: str) -> str | None:
    """The secret without surrounding whitespace, or None when what remains cannot go in an HTTP header."""
    secret = raw.strip()
    return secret if _HEADER_SAFE.fullmatch(secret) else None


def _variants(secret: str) -> set[str]:
    """The forms a secret takes in an answer or an error: as-is, stripped, URL-, JSON- and base64-encoded."""
    found = {secret, secret.strip(), urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    found.add(json.dumps(secret)[1:-1])
    found.add(json.dumps(secret, ensure_ascii=True)[1:-1].replace("/", "\\/"))
    data = secret.strip().encode("utf-8", "surrogatepass")
    for offset in range(3):  # every alignment, so that a secret inside a larger encoded text is found too
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(data[offset:]).decode().rstrip("=")
            found.add(encoded[:-2] if len(encoded) > 2 else encoded)  # the last characters mix in what follows
    return {v for v in found if len(v) >= MIN_SECRET}


class Redactor:
    """Masks every run of FRAGMENT characters taken from a known secret (in any of its usual encodings)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._grams: set[str] = set()
        self._whole: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret.strip()) < MIN_SECRET:
            return
        for variant in _variants(secret):
            if len(variant) < FRAGMENT:
                self._whole.add(variant)
            else:
                self._grams.update(variant[i : i + FRAGMENT] for i in range(len(variant) - FRAGMENT + 1))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        masked = [False] * len(text)
        for i in range(len(text) - FRAGMENT + 1):
            if text[i : i + FRAGMENT] in self._grams:
                masked[i : i + FRAGMENT] = [True] * FRAGMENT
        for whole in self._whole:
            for match in re.finditer(re.escape(whole), text):
                masked[match.start() : match.end()] = [True] * (match.end() - match.start())
        return _apply(text, masked)

    def value(self, data: object) -> object:
        """The same masking through a JSON-like value (dicts, lists, strings)."""
        if isinstance(data, str):
            return self(data)
        if isinstance(data, dict):
            return {self(str(k)): self.value(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.value(v) for v in data]
        return data


def _apply(text: str, masked: list[bool]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if masked[i]:
            while i < len(text) and masked[i]:
                i += 1
            out.append(MASK)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str, limit: int | None = None) -> str:
    """Text from elsewhere (an answer, an output name) made safe for a terminal: no control characters."""
    text = _CONTROL.sub("?", text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text
