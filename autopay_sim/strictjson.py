"""The simulator's JSON request bodies, parsed so that no input fails in another way than `InvalidJSON`.

`json.loads` fails on bad input with a ValueError, but also, on other inputs, with a RecursionError (deep
nesting), or succeeds with values that fail later, far from the parser: a lone surrogate or a NUL character
that PostgreSQL cannot store, NaN and Infinity that no Decimal field takes, an integer of thousands of
digits. This parser refuses all of them at the door, with one exception type and a message that names
the problem.

The simulator stands for a separate service and imports nothing of the ERP, so it has its own copy of the
ERP's autopay_client/strictjson.py; tests/autopay_sim/test_no_server_error.py holds it to the same inputs.
"""

import json
import math
from typing import Any

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 40


class InvalidJSON(ValueError):
    """The body is not JSON this system takes; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise InvalidJSON(f"an integer of more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJSON(f"the number {text[:20]} is out of range")
    return value


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise InvalidJSON("a string contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidJSON("a string contains a lone surrogate (\\ud800-\\udfff)") from exc


def _check_values(value: Any) -> None:
    """Walk the parsed document without recursion: limit its depth and check every string, keys included."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node)
        elif isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidJSON(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(node, dict):
                for key, item in node.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in node)


def loads(data: bytes | str) -> Any:
    """Parse a JSON document from bytes (UTF-8) or text.

    :raises InvalidJSON: the body is not UTF-8, not JSON, nested too deep, or holds a value no field takes.
    """
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJSON(f"not UTF-8 (byte {exc.start})") from None
    else:
        text = data
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_integer, parse_float=_float)
    except InvalidJSON:
        raise
    except RecursionError:
        raise InvalidJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise InvalidJSON(str(exc)) from None
    _check_values(value)
    return value
