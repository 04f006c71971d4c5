"""JSON that comes from outside (an HTTP answer, a user's file), parsed strictly: every failure is one `NotJson`."""

import json
import math
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting accepted: ARM, a model endpoint, Pulumi's outputs and a policy config use a dozen levels at most.
Deeper input would reach the interpreter's recursion limit here or in the code that reads the value."""


class NotJson(ValueError):
    """Not JSON as RFC 8259 has it, or nested too deeply; the message never quotes the input (it may hold a key)."""


class TooDeep(NotJson):
    """Nested more than MAX_DEPTH levels."""


def _no_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJson("a number is too large for a float")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def _too_deep(value: Any) -> bool:
    """Whether `value` nests lists and objects more than MAX_DEPTH levels (a loop, not recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending += [(child, depth + 1) for child in children if isinstance(child, (dict, list))]
    return False


def decode_at(text: str, index: int = 0) -> tuple[Any, int]:
    """The JSON value that starts at `index` of `text` and where it ends, as `json.JSONDecoder.raw_decode`."""
    try:
        value, end = _DECODER.raw_decode(text, index)
    except RecursionError:
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise NotJson(_where(exc)) from None
    except NotJson:
        raise
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an integer of more digits than Python converts
        raise NotJson(f"{type(exc).__name__}: {str(exc)[:80]}") from None
    if isinstance(value, (dict, list)) and _too_deep(value):
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
    return value, end


def _where(exc: json.JSONDecodeError) -> str:
    return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"


def loads(data: str | bytes | bytearray) -> Any:
    """The one JSON value `data` holds (bytes in UTF-8, with or without a byte order mark); else `NotJson`."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise NotJson("not UTF-8 text") from None
    value, end = decode_at(data, len(data) - len(data.lstrip(_SPACE)))
    rest = len(data) - len(data[end:].lstrip(_SPACE))
    if rest < len(data):
        raise NotJson(_where(json.JSONDecodeError("Extra data", data, rest)))
    return value


_SPACE = " \t\n\r"
"""JSON's whitespace (str.strip would take more)."""
