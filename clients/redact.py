"""Secrets out of every message: what is printed is decoded every usual way, and what decodes to a secret is masked."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

SECRET = "[secret]"
"""What Pulumi prints in place of a secret (`pulumi stack output` without --show-secrets); the plan prints the same,
and the redactor puts it where a secret, or a piece of one, was in a message."""
FRAGMENT = 8
"""A run of this many characters of a secret is masked wherever it appears (shorter runs occur by chance)."""
MIN_SECRET = 4
"""Secrets shorter than this are too short to mask safely; smoke refuses such keys anyway."""
MAX_VIEWS = 24
"""Decoded views of one text (escapes, line joins, base64 alignments, and those of each other) tried at most."""
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


def clean_secret(raw: str) -> str | None:
    """The secret without surrounding whitespace, or None when what remains cannot go in an HTTP header."""
    secret = raw.strip()
    return secret if _HEADER_SAFE.fullmatch(secret) else None


@dataclass(frozen=True)
class _View:
    """A decoded form of the printed text, and for each of its characters the span of the printed text it came from."""

    text: str
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, text: str) -> _View:
        return cls(text, tuple((i, i + 1) for i in range(len(text))))


def _rewrite(view: _View, pattern: re.Pattern[str], decode: Callable[[re.Match[str]], str | None]) -> _View:
    """Each match replaced by what it decodes to (None: left as it is); each decoded character keeps its span."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    last = 0
    for match in pattern.finditer(view.text):
        decoded = decode(match)
        if decoded is None:
            continue
        chars += view.text[last : match.start()]
        spans += view.spans[last : match.start()]
        span = (view.spans[match.start()][0], view.spans[match.end() - 1][1]) if match.end() > match.start() else None
        for ch in decoded:
            chars.append(ch)
            spans.append(span or (0, 0))
        last = match.end()
    chars += view.text[last:]
    spans += view.spans[last:]
    return _View("".join(chars), tuple(spans))


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"', "'": "'"}
_ESCAPE = re.compile(
    r"\\u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))|\\U([0-9a-fA-F]{8})|\\x([0-9a-fA-F]{2})|%([0-9a-fA-F]{2})"
    r"|&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));|\\([0-7]{3})|\\([ntrbf/\\\"'])"
)


def _unescape(match: re.Match[str]) -> str | None:
    """JSON, Python and C string escapes, percent-encoding and HTML character references, one at a time."""
    *hexadecimal, dec_ref, octal, simple = match.groups()
    if simple is not None:
        return _SIMPLE_ESCAPES[simple]
    if dec_ref is not None or octal is not None:
        code = int(dec_ref) if dec_ref is not None else int(octal, 8)
    else:
        code = next(int(v, 16) for v in hexadecimal if v is not None)
    return chr(code) if code <= 0x10FFFF else None


_PLUS = re.compile(r"\+")
_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n|\u2028|\u2029|(?:\\+[rn])+)[ \t>|]*")
"""A line break, or one written as an escape at any depth (`\\n`, `\\\\r\\\\n`), with the indentation and quoting marks
around it: a key split across lines reads as one."""
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX_RUN = re.compile(rf"[0-9a-fA-F]{{{2 * FRAGMENT},}}")


def _hex_decoder(skip: int) -> Callable[[re.Match[str]], str | None]:
    """Decodes a run of hex digits from its `skip`th one (a run cut anywhere is tried at both alignments); each
    byte becomes one character (Latin-1)."""

    def decode(match: re.Match[str]) -> str | None:
        run = match.group(0)[skip:]
        run = run[: len(run) - len(run) % 2]
        return match.group(0)[:skip] + bytes.fromhex(run).decode("latin-1")

    return decode


def _base64_decoder(skip: int) -> Callable[[re.Match[str]], str | None]:
    """Decodes a run of base64 (standard or URL-safe) from its `skip`th character: a run cut anywhere is tried at
    every alignment. Bytes become characters one to one (Latin-1), so each keeps the span of its four letters."""

    def decode(match: re.Match[str]) -> str | None:
        run = match.group(0).rstrip("=")[skip:]
        run = run[: len(run) - len(run) % 4] if len(run) % 4 == 1 else run
        if len(run) < 8:
            return None
        alphabet = b"-_" if "-" in run or "_" in run else b"+/"
        try:
            data = base64.b64decode(run + "=" * (-len(run) % 4), altchars=alphabet)
        except (binascii.Error, ValueError):
            return None
        return match.group(0)[:skip] + data.decode("latin-1")

    return decode


def _views(text: str) -> list[_View]:
    """The printed text and what it decodes to: escapes (twice over), joined lines, base64 and hex at each alignment."""
    steps: list[Callable[[_View], _View]] = [
        lambda v: _rewrite(v, _ESCAPE, _unescape),
        lambda v: _rewrite(v, _LINE_BREAK, lambda _m: ""),
        lambda v: _rewrite(v, _PLUS, lambda _m: " "),
        *(lambda v, s=skip: _rewrite(v, _BASE64_RUN, _base64_decoder(s)) for skip in range(4)),
        *(lambda v, s=skip: _rewrite(v, _HEX_RUN, _hex_decoder(s)) for skip in range(2)),
    ]
    found: dict[str, _View] = {text: _View.of(text)}
    frontier = list(found.values())
    for _ in range(3):  # a value escaped inside an escaped value, base64 of a JSON string...
        following = []
        for view in frontier:
            for step in steps:
                decoded = step(view)
                if decoded.text not in found and len(found) < MAX_VIEWS:
                    found[decoded.text] = decoded
                    following.append(decoded)
        frontier = following
    return list(found.values())


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
"""Letters compared without their case, one character for one (str.lower may change a text's length)."""


class Redactor:
    """Masks whatever, decoded, holds a run of FRAGMENT characters of a known secret (or a short secret whole),
    in any letter case: an answer that prints the key in capitals still prints the key."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._grams: set[str] = set()
        self._whole: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret.strip()) < MIN_SECRET:
            return
        secret = secret.strip().translate(_ASCII_LOWER)
        if len(secret) < FRAGMENT:
            self._whole.add(secret)
        else:
            self._grams.update(secret[i : i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1))

    def __bool__(self) -> bool:
        return bool(self._grams or self._whole)

    def _hits(self, text: str) -> Iterable[tuple[int, int]]:
        text = text.translate(_ASCII_LOWER)
        for i in range(len(text) - FRAGMENT + 1):
            if text[i : i + FRAGMENT] in self._grams:
                yield i, i + FRAGMENT
        for whole in self._whole:
            for match in re.finditer(re.escape(whole), text):
                yield match.start(), match.end()

    def __call__(self, text: str) -> str:
        if not text or not self:
            return text
        masked = [False] * len(text)
        for view in _views(text):
            for start, end in self._hits(view.text):
                for first, last in view.spans[start:end]:
                    masked[first:last] = [True] * (last - first)
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
            out.append(SECRET)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _control_escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _CONTROL_ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def printable(text: str, limit: int | None = None) -> str:
    """Text from elsewhere (an answer, an output name) made safe for one terminal line: each control character,
    line breaks included, becomes its escape, which the Redactor decodes (a key split across lines stays one)."""
    text = _CONTROL.sub(_control_escape, text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text
