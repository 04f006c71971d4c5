"""Read `Pulumi.<stack>.yaml` as the Pulumi CLI does (go-yaml v3, then its config rules): what the program gets."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import decimal
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from clients.errors import UserError
from infra.config.types import ENCRYPTED, NAMESPACE


class SecretText(str):
    """A config value exactly as the CLI hands it over, for a key the CLI marks secret (what `engine_config` gives
    tools.engine.run_program; defined here so that reading a stack file never loads Pulumi)."""


MAX_FILE_BYTES = 256 << 10
"""A stack file is a few kilobytes; 256 KiB is far beyond any real one, and bounds parsing time (about a second)."""
MAX_DEPTH = 100
"""Nesting levels (aliases included); go-yaml allows 10000, no stack of this project needs more than five."""
MAX_DECODES = 200_000
"""Values decoded, aliases expanded (a 256 KiB file has fewer without aliases); go-yaml's own ratio rule applies too."""
MAX_EXPANDED_CHARS = 4 << 20
"""Characters of all values once aliases are expanded: an alias repeated to a long string is a bomb too."""

STR, BOOL, INT, FLOAT, NULL, TIMESTAMP = "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp"
BINARY, MERGE, MAP, SEQ = "!!binary", "!!merge", "!!map", "!!seq"
_LONG_PREFIX = "tag:yaml.org,2002:"
_RESOLVABLE = {"", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP}
_RESOLVE_MAP: dict[str, tuple[str, Any]] = {
    **{s: (BOOL, True) for s in ("true", "True", "TRUE")},
    **{s: (BOOL, False) for s in ("false", "False", "FALSE")},
    **{s: (NULL, None) for s in ("", "~", "null", "Null", "NULL")},
    **{s: (FLOAT, math.nan) for s in (".nan", ".NaN", ".NAN")},
    **{s: (FLOAT, math.inf) for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{s: (FLOAT, -math.inf) for s in ("-.inf", "-.Inf", "-.INF")},
    "<<": (MERGE, "<<"),
}
_HINTS = {**dict.fromkeys("+-", "S"), **dict.fromkeys("0123456789", "D"), **dict.fromkeys("yYnNtTfFoO~", "M"), ".": "."}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_DIGITS = {
    16: re.compile(r"[0-9a-fA-F]+"),
    10: re.compile(r"[0-9]+"),
    8: re.compile(r"[0-7]+"),
    2: re.compile(r"[01]+"),
}
# libyaml's (and go-yaml's) printable characters: anything else in the text is refused.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DATE = r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
_TIME = r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?"
_TIMESTAMPS = (
    re.compile(_DATE + r"[Tt]" + _TIME + r"(Z|[+-][0-9]{2}:[0-9]{2})"),
    re.compile(_DATE + r" +" + _TIME + r"()"),  # Go's time.Parse takes a run of spaces for the layout's one
    re.compile(_DATE + r"()()()()()"),
)
INT64 = 1 << 63
UINT64 = 1 << 64


class StackFileError(UserError):
    """A stack file Pulumi would refuse (or read in a way nobody meant): names the file, the line and the problem."""


class _Refused(Exception):
    """One problem at one line, while reading; turned into a StackFileError naming the file."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


@dataclasses.dataclass(frozen=True)
class StackFile:
    """What `pulumi up` hands the program for this stack file: full key -> string, and which keys are secret."""

    path: Path
    values: dict[str, str]
    """Strings as-is, structured values as JSON; a `secure:` value is ENCRYPTED (it cannot be decrypted offline)."""
    secret_keys: frozenset[str]
    warnings: tuple[str, ...] = ()
    lines: dict[str, int] = dataclasses.field(default_factory=dict)
    """The line of each key in the file, for messages."""
    environments: tuple[str, ...] = ()
    """The Pulumi ESC environments it imports (`environment:`): config the offline plan cannot read."""

    def engine_config(self) -> dict[str, Any]:
        """The shape `tools.engine.run_program` takes: strings, secret keys as `SecretText`."""
        return {k: SecretText(v) if k in self.secret_keys else v for k, v in self.values.items()}


# ---------------------------------------------------------------------------------------------------------------
# Bytes -> text, as go-yaml reads them.


def _text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # Pulumi strips a UTF-8 byte-order mark before go-yaml sees the file
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise _Refused(line, "control character U+0000 is not allowed (a UTF-16 file without a byte-order mark?)")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _Refused(None, f"not valid UTF-16 ({exc.reason}): save the file as UTF-8") from None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            byte = data[exc.start]
            raise _Refused(
                line, f"byte 0x{byte:02X} is not UTF-8 (Latin-1 or another encoding?): save as UTF-8"
            ) from None
    if bad := _NOT_PRINTABLE.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        raise _Refused(line, f"control character U+{ord(bad.group()):04X} is not allowed")
    return text


# ---------------------------------------------------------------------------------------------------------------
# Text -> nodes: go-yaml's parser (libyaml's events, go-yaml's tags), iterative, depth-bounded.


@dataclasses.dataclass(eq=False)
class _Node:
    kind: str
    """scalar, mapping, sequence or alias."""
    tag: str
    value: str
    line: int
    quoted: bool = False
    """Quoted, literal or folded: such a scalar is a string unless tagged."""
    content: list[_Node] = dataclasses.field(default_factory=list)
    alias: _Node | None = None


def _short(tag: str | None) -> str:
    if tag and tag.startswith(_LONG_PREFIX):
        return "!!" + tag[len(_LONG_PREFIX) :]
    return tag or ""


def _node_tag(explicit: str | None, default: str) -> str:
    """go-yaml's parser.node: an explicit tag, else the default; "" for a plain scalar (resolved when decoded)."""
    if explicit and explicit != "!":
        return _short(explicit)
    return default


def _loader(text: str) -> yaml.SafeLoader:
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader_class(text)


def _events(text: str) -> Iterator[yaml.Event]:
    loader = _loader(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        line = text.split("\n")[mark.line] if mark and mark.line < text.count("\n") + 1 else ""
        if "\t" in line[: mark.column + 1 if mark else 0]:
            problem += " (a tab: YAML is indented with spaces only)"
        raise _Refused(mark.line + 1 if mark else None, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise _Refused(None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _compose(text: str) -> _Node | None:
    """The first document's root node (go-yaml reads no further), or None for an empty file."""
    stack: list[_Node] = []
    anchors: dict[str, _Node] = {}
    root: _Node | None = None
    for event in _events(text):
        node = _node_for(event, anchors)
        if isinstance(event, yaml.DocumentEndEvent):
            break
        if node is None:
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
            continue
        if stack:
            stack[-1].content.append(node)
        else:
            root = node
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _Refused(node.line, f"nested deeper than {MAX_DEPTH} levels")
            stack.append(node)
    return root


def _node_for(event: yaml.Event, anchors: dict[str, _Node]) -> _Node | None:
    line = event.start_mark.line + 1 if event.start_mark else 0
    if isinstance(event, yaml.AliasEvent):
        if event.anchor not in anchors:
            raise _Refused(line, f"unknown anchor '{event.anchor}' referenced")
        return _Node("alias", "", event.anchor, line, alias=anchors[event.anchor])
    if isinstance(event, yaml.ScalarEvent):
        quoted = event.style is not None and event.style != ""
        default = STR if quoted else (MERGE if event.value == "<<" else "")
        node = _Node("scalar", _node_tag(event.tag, default), event.value, line, quoted)
    elif isinstance(event, yaml.MappingStartEvent):
        node = _Node("mapping", _node_tag(event.tag, MAP), "", line)
    elif isinstance(event, yaml.SequenceStartEvent):
        node = _Node("sequence", _node_tag(event.tag, SEQ), "", line)
    else:
        return None
    if event.anchor:
        anchors[event.anchor] = node  # before the children: an alias inside refers to it (and is refused later)
    return node


# ---------------------------------------------------------------------------------------------------------------
# go-yaml v3's resolver (resolve.go), for plain scalars and explicit tags.


def _base0(body: str) -> int | None:
    """strconv.ParseUint(s, 0, 64)'s digits, without the range check: 0x.., 0o.., 0b.., 0.. (octal) or decimal."""
    base, digits = 10, body
    if len(body) > 1 and body[0] == "0":
        prefix = body[1].lower()
        base, digits = {"x": (16, body[2:]), "o": (8, body[2:]), "b": (2, body[2:])}.get(prefix, (8, body[1:]))
    if not _DIGITS[base].fullmatch(digits):
        return None
    if len(digits) > 64:  # past any 64-bit range in every base; Python refuses to convert 4,300 decimal digits
        return 1 << 65
    return int(digits, base)


def _go_parse_int(text: str) -> int | None:
    negative = text[:1] == "-"
    value = _base0(text[1:] if text[:1] in "+-" else text)
    if value is None:
        return None
    value = -value if negative else value
    return value if -INT64 <= value < INT64 else None


def _go_parse_uint(text: str) -> int | None:
    value = _base0(text) if text[:1] not in "+-" else None
    return value if value is not None and value < UINT64 else None


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None  # Go's ParseFloat: out of range is an error


def _number(text: str, tag: str) -> tuple[str, Any] | None:
    if tag in ("", TIMESTAMP) and (stamp := GoTime.parse(text)) is not None:
        return TIMESTAMP, stamp
    plain = text.replace("_", "")
    for parse in (_go_parse_int, _go_parse_uint):
        if (number := parse(plain)) is not None:
            return INT, number
    if _YAML_FLOAT.fullmatch(plain) and (real := _finite(plain)) is not None:
        return FLOAT, real
    return None


def _resolve_plain(tag: str, text: str) -> tuple[str, Any]:
    hint = _HINTS.get(text[:1], "") if text else "N"
    if not hint or tag in (STR, BINARY):
        return STR, text
    if text in _RESOLVE_MAP:
        found_tag, value = _RESOLVE_MAP[text]
        return found_tag, (float("nan") if found_tag == FLOAT and value != value else value)
    if hint == "." and _DOT_FLOAT.fullmatch(text) and (real := _finite(text)) is not None:
        return FLOAT, real
    if hint in "DS" and (found := _number(text, tag)) is not None:
        return found
    return STR, text


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml v3's resolve(tag, in): the tag and value of a scalar, or a refusal for a tag it cannot have."""
    tag = _short(tag)
    if tag not in _RESOLVABLE:
        return tag, text
    found, value = _resolve_plain(tag, text)
    if tag in ("", found, STR, BINARY):
        return found, value
    if tag == FLOAT and found == INT and -INT64 <= value < INT64:
        return FLOAT, float(value)
    raise _Refused(None, f"cannot decode {found} `{text}` as a {tag}")


# ---------------------------------------------------------------------------------------------------------------
# Go values that Python has no exact type for.


@dataclasses.dataclass(frozen=True)
class GoTime:
    """A time.Time from an unquoted timestamp; Pulumi hands the program its String()."""

    wall: str
    """2026-01-01 10:00:00.5 (Go's String() without the zone)."""
    offset_minutes: int | None
    """None: UTC."""

    def __str__(self) -> str:
        if self.offset_minutes in (None, 0):
            return f"{self.wall} +0000 UTC"  # an offset of zero: Go names it after the local zone, UTC on CI runners
        sign = "-" if self.offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(self.offset_minutes), 60)
        zone = f"{sign}{hours:02d}{minutes:02d}"
        return f"{self.wall} {zone} {zone}"

    @staticmethod
    def parse(text: str) -> GoTime | None:
        """go-yaml's parseTimestamp: four layouts through Go's time.Parse, with its range checks."""
        if not re.match(r"[0-9]{4}-", text):
            return None
        for layout in _TIMESTAMPS:
            if match := layout.fullmatch(text):
                return _go_time(*match.groups())
        return None


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _go_time(year: str, month: str, day: str, hour: str, minute: str, second: str, frac: str | None, zone: str):
    y, mo, d = int(year), int(month), int(day)
    h, mi, s = (int(v) if v else 0 for v in (hour, minute, second))
    if not (1 <= mo <= 12 and 1 <= d <= _days_in(mo, y) and h < 24 and mi < 60 and s < 60):
        return None
    offset = None
    if zone and zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 24 or zm > 60:
            return None
        offset = (zh * 60 + zm) * (-1 if zone[0] == "-" else 1)
    fraction = (frac or "")[:9].rstrip("0")
    wall = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}" + (f".{fraction}" if fraction else "")
    return GoTime(wall, offset)


class AnyMap(dict):
    """A YAML map with a key that is not a string (Go's map[any]any): keys are (type, value) pairs."""


def go_key(value: Any) -> tuple[str, Any]:
    """A Go interface value as a dict key: 1, 1.0, true and "1" are four different keys in Go."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value)
    if isinstance(value, GoTime):
        return ("time", value)
    return ("nil", None) if value is None else ("str", value)


def _shortest(value: float) -> tuple[str, str, int]:
    """Sign, shortest round-trip digits and decimal point position (value = 0.DIGITS x 10^dp), as Go's ftoa."""
    if value == 0:
        return ("-" if math.copysign(1, value) < 0 else ""), "", 0
    sign, digits, exponent = decimal.Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    return ("-" if sign else ""), text, len("".join(map(str, digits))) + int(exponent)


def _fixed(digits: str, dp: int) -> str:
    if not digits:
        return "0"
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def _exponent(digits: str, dp: int, min_digits: int = 2) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = dp - 1
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):0{min_digits}d}"


def go_format_g(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64), which go-yaml writes and fmt's %v prints."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign, digits, dp = _shortest(value)
    if digits and (dp - 1 < -4 or dp - 1 >= 6):  # shortest: %e from exponent 6 on (Go uses eprec = 6)
        return sign + _exponent(digits, dp)
    return sign + _fixed(digits, dp)


def go_json_float(value: float) -> str:
    """encoding/json's float64: %f between 1e-6 and 1e21, else %e without a leading zero in the exponent."""
    sign, digits, dp = _shortest(value)
    if digits and (abs(value) < 1e-6 or abs(value) >= 1e21):
        return sign + _exponent(digits, dp, min_digits=1)
    return sign + _fixed(digits, dp)


def _round_trip(value: float) -> int | float:
    """Pulumi writes the decoded file back as YAML and reads it again: a float like 1000.0 comes back an int."""
    tag, again = resolve("", go_format_g(value))
    return again if tag in (INT, FLOAT) else value


# ---------------------------------------------------------------------------------------------------------------
# Nodes -> Go values: go-yaml's decoder into interface{}, with its alias rules and our caps.


def _allowed_alias_ratio(decodes: int) -> float:
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * (decodes - low) / (high - low)


class _Decoder:
    def __init__(self) -> None:
        self.decodes = self.aliases = self.alias_depth = self.depth = self.chars = 0
        self.expanding: set[int] = set()
        self.errors: list[tuple[int, str]] = []
        self.merged: set[Any] | None = None

    def count(self, node: _Node) -> None:
        self.decodes += 1
        if self.alias_depth:
            self.aliases += 1
        excessive = self.aliases > 100 and self.decodes > 1000
        if (excessive and self.aliases / self.decodes > _allowed_alias_ratio(self.decodes)) or (
            self.decodes > MAX_DECODES
        ):
            raise _Refused(node.line, "document contains excessive aliasing")

    def value(self, node: _Node) -> Any:
        self.count(node)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(node.line, f"nested deeper than {MAX_DEPTH} levels (aliases included)")
            if node.kind == "alias":
                return self.alias(node)
            if node.kind == "scalar":
                return self.scalar(node)
            if node.kind == "mapping":
                return self.mapping(node)
            return [self.value(child) for child in node.content]
        finally:
            self.depth -= 1

    def alias(self, node: _Node) -> Any:
        if id(node) in self.expanding:
            raise _Refused(node.line, f"anchor '{node.value}' value contains itself")
        self.expanding.add(id(node))
        self.alias_depth += 1
        try:
            return self.value(node.alias)
        finally:
            self.alias_depth -= 1
            self.expanding.discard(id(node))

    def scalar(self, node: _Node) -> Any:
        self.chars += len(node.value) + 1
        if self.chars > MAX_EXPANDED_CHARS:
            raise _Refused(node.line, f"the values expand to more than {MAX_EXPANDED_CHARS} characters (aliases?)")
        if _indicated_string(node):
            return node.value
        try:
            tag, value = resolve(node.tag, node.value)
        except _Refused as exc:
            raise _Refused(node.line, exc.message) from None
        return _binary(node) if tag == BINARY else value

    def mapping(self, node: _Node) -> Any:
        if duplicates := _duplicate_keys(node):
            self.errors += duplicates  # go-yaml stops here; the values are still read for their own errors
        string_keys = all(_short_tag(k) in (STR, MERGE) for k in node.content[::2])
        out: dict[Any, Any] = {} if string_keys else AnyMap()
        self.fill(node, out)
        return out

    def fill(self, node: _Node, out: dict[Any, Any]) -> None:
        """d.mapping into `out`: explicit keys first, then `<<` merges that do not override them."""
        merged, self.merged = self.merged, None
        merge_node = None
        for key_node, value_node in zip(node.content[::2], node.content[1::2], strict=True):
            if _is_merge(key_node):
                merge_node = value_node
                continue
            key = self.key(key_node, out)
            if key is _SKIP or (merged is not None and key in merged):
                continue
            if merged is not None:
                merged.add(key)
            out[key] = self.value(value_node)
        self.merged = merged
        if merge_node is not None:
            self.merge(node, merge_node, out)

    def key(self, node: _Node, out: dict[Any, Any]) -> Any:
        value = self.value(node)
        if isinstance(value, (dict, list)):
            raise _Refused(node.line, "a map or a list cannot be a key")
        if isinstance(out, AnyMap):
            return go_key(value)
        if value is None:
            return _SKIP  # a null key merged into a map of strings: go-yaml drops it
        # A key from a merged map lands in a map of strings as its text (go-yaml's SetString(n.Value)).
        return value if isinstance(value, str) else _target(node).value

    def merge(self, parent: _Node, merge: _Node, out: dict[Any, Any]) -> None:
        outer = self.merged
        if outer is None:
            self.merged = set()
            for key_node in parent.content[::2]:
                if not _is_merge(key_node):
                    self.merged.add(self.key(key_node, out))
        sources = merge.content if merge.kind == "sequence" else [merge]
        if any(_target(source).kind != "mapping" for source in sources):
            raise _Refused(merge.line, "map merge requires map or sequence of maps as the value")
        for source in sources:
            self.merge_source(source, out)
        self.merged = outer

    def merge_source(self, source: _Node, out: dict[Any, Any]) -> None:
        """One merged map, decoded into the parent's map (an alias counts as go-yaml counts it)."""
        self.count(source)
        if source.kind == "alias":
            if id(source) in self.expanding:
                raise _Refused(source.line, f"anchor '{source.value}' value contains itself")
            self.expanding.add(id(source))
            self.alias_depth += 1
            try:
                self.merge_source(_target(source), out)
            finally:
                self.alias_depth -= 1
                self.expanding.discard(id(source))
            return
        if duplicates := _duplicate_keys(source):
            self.errors += duplicates
            return
        self.fill(source, out)


_SKIP = object()


def _target(node: _Node) -> _Node:
    return node.alias if node.kind == "alias" and node.alias is not None else node


def _indicated_string(node: _Node) -> bool:
    return node.tag == STR or (node.quoted and node.tag in ("", "!"))


def _short_tag(node: _Node) -> str:
    if node.kind == "alias":
        return _short_tag(_target(node))
    if node.kind == "scalar" and node.quoted and node.tag in ("", "!"):
        return STR
    return resolve("", node.value)[0] if node.kind == "scalar" and not node.tag else node.tag


def _is_merge(node: _Node) -> bool:
    return node.kind == "scalar" and node.value == "<<" and node.tag in ("", "!", MERGE)


def _duplicate_keys(node: _Node) -> list[tuple[int, str]]:
    keys = node.content[::2]
    found = []
    for i, first in enumerate(keys):
        for later in keys[i + 1 :]:
            if first.kind == later.kind and first.value == later.value:
                found.append(
                    (later.line, f"mapping key {json.dumps(later.value)} already defined at line {first.line}")
                )
    return found


def _binary(node: _Node) -> str:
    cleaned = node.value.replace("\n", "").replace("\r", "")  # Go's base64 decoder skips line breaks only
    try:
        data = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(node.line, "!!binary value contains invalid base64 data") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(node.line, "!!binary value is not UTF-8 text: a config value must be text") from None


# ---------------------------------------------------------------------------------------------------------------
# Go values -> Pulumi config values: keys, namespaces, strings and JSON (config/object.go, config/key.go).


class _Secure:
    """A `{secure: ...}` value: Pulumi decrypts it for the program; offline it stays encrypted."""


def _key_text(key: tuple[str, Any]) -> str:
    """fmt.Sprintf("%v", k) of a key once Pulumi has re-read it: how a non-string key becomes a JSON key."""
    kind, value = key
    if kind == "float":
        value = _round_trip(value)
        return str(value) if isinstance(value, int) else go_format_g(value)
    return {"bool": lambda v: "true" if v else "false", "nil": lambda v: "<nil>"}.get(kind, str)(value)


def _yaml_text(key: tuple[str, Any]) -> str:
    """The text go-yaml writes for a key when Pulumi re-encodes the file: equal texts collide on re-reading."""
    kind, value = key
    if kind == "float":
        return go_format_g(value).replace("+Inf", ".inf").replace("-Inf", "-.inf").replace("NaN", ".nan")
    return {"bool": lambda v: "true" if v else "false", "nil": lambda v: "null"}.get(kind, str)(value)


def _object(value: Any, where: str, problems: list[str]) -> Any:
    """A decoded value as Pulumi's config object: string keys, round-tripped numbers, secure markers. What Pulumi
    would refuse is added to `problems`, each with its path, all of them (the part refused reads as None)."""
    if isinstance(value, AnyMap):
        texts = [_yaml_text(k) for k in value]
        if len(set(texts)) < len(texts):
            twice = next(t for t in texts if texts.count(t) > 1)
            problems.append(f"{where}: two keys both read as {twice!r} when Pulumi re-reads the file")
            return None
        keys = [_key_text(k) for k in value]
        if len(set(keys)) < len(keys):
            problems.append(f"{where}: two keys both become {next(k for k in keys if keys.count(k) > 1)!r}")
            return None
        value = dict(zip(keys, value.values(), strict=True))
    if isinstance(value, dict):
        if set(value) == {"secure"} and isinstance(value["secure"], str):
            return _Secure()
        return {k: _object(v, f"{where}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_object(v, f"{where}[{i}]", problems) for i, v in enumerate(value)]
    if isinstance(value, float) and not isinstance(value, bool):
        if not math.isfinite(value):
            problems.append(f"{where}: .inf and .nan cannot be config values (Pulumi: json: unsupported value)")
            return None
        return _round_trip(value)
    if isinstance(value, GoTime):
        return str(value)
    return value


class _RefusedValue(Exception):
    """Every problem of one top-level config value, each naming its path in the value."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def _has_secure(value: Any) -> bool:
    if isinstance(value, _Secure):
        return True
    if isinstance(value, dict):
        return any(_has_secure(v) for v in value.values())
    return isinstance(value, list) and any(_has_secure(v) for v in value)


def _go_json(value: Any) -> str:
    """encoding/json's text: sorted keys, no spaces, <>& and U+2028/9 escaped, Go's float format."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_string(k)}:{_go_json(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_go_json(v) for v in value) + "]"
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value) if isinstance(value, int) else go_json_float(value)


def _go_string(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        escaped = escaped.replace(char, f"\\u{ord(char):04x}")
    return escaped


def _encrypted_leaves(value: Any) -> Any:
    """The value with each secure leaf replaced by ENCRYPTED: its shape (which tags, which keys) stays known."""
    if isinstance(value, _Secure):
        return ENCRYPTED
    if isinstance(value, dict):
        return {k: _encrypted_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encrypted_leaves(v) for v in value]
    return value


def config_string(value: Any, where: str) -> tuple[str, bool]:
    """Pulumi's Value for one top-level config value: (the string the program gets, whether it is secret).

    Pulumi decrypts for the program; offline a secure scalar becomes ENCRYPTED, and an object keeps its shape
    with ENCRYPTED in place of each secure leaf (the whole key is secret, as Pulumi marks it).
    """
    problems: list[str] = []
    converted = _object(value, where, problems)
    if problems:
        raise _RefusedValue(problems)
    if isinstance(converted, _Secure):
        return ENCRYPTED, True
    if _has_secure(converted):
        return _go_json(_encrypted_leaves(converted)), True
    if converted is None:
        return "", False
    if isinstance(converted, str):
        return converted, False
    return _go_json(converted), False


def parse_key(key: str) -> str | None:
    """config.ParseKey after namespacing: `ns:name`, or the old `ns:config:name`; None when neither."""
    if ":" not in key:
        key = f"{NAMESPACE}:{key}"  # the CLI puts keys without a namespace in the project's
    parts = key.split(":")
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    return None


# ---------------------------------------------------------------------------------------------------------------
# The file.


def _mapping_pairs(node: _Node) -> Iterator[tuple[_Node, _Node]]:
    yield from zip(node.content[::2], node.content[1::2], strict=True)


def _config_node(root: _Node | None, decoder: _Decoder) -> tuple[dict[Any, Any], dict[str, int], tuple[str, ...]]:
    """The decoded `config:` map, each key's line, and the ESC environments the file imports."""
    if root is None:
        return {}, {}, ()
    document = decoder.value(root)
    if decoder.errors:
        return {}, {}, ()
    if not isinstance(document, dict):
        raise _Refused(root.line, "a stack file is a map with a `config:` key")
    if isinstance(document, AnyMap) and any(kind != "str" for kind, _ in document):
        bad = next(v for k, v in document if k != "str")
        raise _Refused(root.line, f"expected only string keys at the top of the file, got {bad!r}")
    document = {(k[1] if isinstance(document, AnyMap) else k): v for k, v in document.items()}
    environments = esc_environments(document.get("environment"))
    config = document.get("config")
    if config is None:
        return {}, {}, environments
    if not isinstance(config, dict):
        raise _Refused(_line_of(root, "config"), "config: must be a map of keys to values")
    return config, _key_lines(root), environments


def _key_name(key: Any) -> str:
    return str(key[1] if isinstance(key, tuple) else key)


def esc_environments(value: Any) -> tuple[str, ...]:
    """The Pulumi ESC environments an `environment:` value names: a list of imports, or a definition with
    `imports:` (an import may be `{name: {merge: false}}`); a definition of its own values is INLINE_ESC."""
    if not value:
        return ()
    imports = value.get("imports", value.get(("str", "imports"))) if isinstance(value, dict) else value
    names = [
        _key_name(next(iter(item), "?")) if isinstance(item, dict) else str(item)
        for item in (imports if isinstance(imports, list) else [])
        if isinstance(item, dict | str)
    ]
    return tuple(names) or (INLINE_ESC,)


INLINE_ESC = "(an inline definition)"


def esc_note(environments: tuple[str, ...]) -> str:
    """What the offline plan cannot see of a stack that imports ESC environments: a warning, never an error, so
    the plan of what the file says still runs."""
    return (
        f"environment: imports Pulumi ESC {', '.join(environments)}: the offline plan cannot open ESC, so it "
        "plans this file's config: alone, without any value ESC sets (pulumiConfig); `pulumi preview` opens "
        "them, and `pulumi env open <org>/<project>/<environment>` shows what they set"
    )


def _line_of(root: _Node, key: str) -> int | None:
    return next((k.line for k, _ in _mapping_pairs(_target(root)) if _target(k).value == key), None)


def _key_lines(root: _Node) -> dict[str, int]:
    config = next((_target(v) for k, v in _mapping_pairs(_target(root)) if _target(k).value == "config"), None)
    if config is None or config.kind != "mapping":
        return {}
    return {_target(k).value: k.line for k, _ in _mapping_pairs(config)}


def _values(config: dict[Any, Any], lines: dict[str, int]) -> tuple[dict[str, str], set[str], list, list[str]]:
    values: dict[str, str] = {}
    secret: set[str] = set()
    problems: list[tuple[int | None, str]] = []
    warnings: list[str] = []
    origin: dict[str, str] = {}
    for raw_key, value in config.items():
        if isinstance(config, AnyMap) and raw_key[0] != "str":
            line = next((n for t, n in lines.items() if t == _yaml_text(raw_key)), None)
            problems.append((line, f"config key {_key_text(raw_key)!r} is not a string: keys are <namespace>:<name>"))
            continue
        text_key = raw_key[1] if isinstance(config, AnyMap) else raw_key
        line = lines.get(text_key)
        full = parse_key(text_key)
        if full is None:
            problems.append((line, f"could not parse {text_key!r} as a configuration key (<namespace>:<name>)"))
            continue
        if full in origin:
            problems.append((line, f"{text_key!r} and {origin[full]!r} are the same key {full}: keep one"))
            continue
        origin[full] = text_key
        try:
            values[full], is_secret = config_string(value, full)
        except _RefusedValue as exc:
            problems.extend((line, message) for message in exc.messages)
            continue
        if is_secret:
            secret.add(full)
        if value is None:
            warnings.append(f"{full}: no value (null): the program gets an empty string")
    return values, secret, problems, warnings


def parse_stack_file(data: bytes, path: Path) -> StackFile:
    """A stack file's bytes as `pulumi up` reads them; StackFileError names the file, line and problem."""
    try:
        if len(data) > MAX_FILE_BYTES:
            # Only MAX_FILE_BYTES + 1 bytes are read from a file: its size is not known, only that it is too big.
            raise _Refused(None, f"is larger than {MAX_FILE_BYTES} bytes, the most a stack file may have")
        decoder = _Decoder()
        root = _compose(_text(data))
        config, lines, environments = _config_node(root, decoder)
    except _Refused as exc:
        raise StackFileError(_message(path, [(exc.line, exc.message)])) from None
    except RecursionError:
        raise StackFileError(_message(path, [(None, "nested too deeply")])) from None
    if decoder.errors:
        raise StackFileError(_message(path, decoder.errors))
    values, secret, problems, warnings = _values(config, lines)
    if problems:
        raise StackFileError(_message(path, problems))
    notes = [esc_note(environments)] if environments else []
    return StackFile(
        path,
        values,
        frozenset(secret),
        tuple(notes + warnings),
        {parse_key(k) or k: n for k, n in lines.items()},
        environments,
    )


def _message(path: Path, problems: list[tuple[int | None, str]]) -> str:
    where = [f"line {line}: {text}" if line else text for line, text in problems]
    if len(where) == 1:
        return f"{path.name}: {where[0]}"
    return f"{path.name} cannot be read ({len(where)} problems):\n  " + "\n  ".join(where)


def load_stack_file(path: Path) -> StackFile:
    """Read and parse one stack file, size-capped before it is read."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise StackFileError(f"{path.name}: cannot read it: {exc.strerror or exc}") from None
    return parse_stack_file(data, path)
