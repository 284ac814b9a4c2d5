"""JSON without `re`: the C scanner and string encoder of `json`, used directly. Stdlib only.

`import json` imports `re` (its pure-Python decoder and encoder compile patterns), which
is about a third of a cached get's own cost; the C accelerator `_json` that `json` uses
anyway needs neither. `loads` takes what `json.loads` takes for our files (strict: no
NaN/Infinity, no trailing data); `dumps` writes what `json.dumps` writes with its
defaults (ASCII, `", "` and `": "`) for str, int, bool, None, list and dict values.
"""

import _json

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import Any

_WHITESPACE = " \t\n\r"


def _no_constant(name: str) -> object:
    raise ValueError(f"JSON constant {name} is not accepted")


class _Context:
    """What `_json.make_scanner` reads from a `json.JSONDecoder`."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_no_constant)
    memo: dict[str, str] = {}  # noqa: RUF012 - read by the scanner, which keeps its own


_scan = _json.make_scanner(_Context())  # type: ignore[arg-type]  # a duck-typed decoder


def loads(data: bytes | str) -> "Any":
    """The value of one JSON document; ValueError when it is not one."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"no JSON value at {stop.value}") from None
    except ValueError:
        raise
    except Exception as exc:  # the scanner's own error path can fail oddly without `json`
        raise ValueError(f"invalid JSON ({type(exc).__name__})") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"extra data at {end}")
    return value


def dumps(value: object) -> str:
    """`json.dumps(value)` for the plain values our answers and files hold."""
    if isinstance(value, str):
        return str(_json.encode_basestring_ascii(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if isinstance(value, dict):
        items = (f"{dumps(_key(k))}: {dumps(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError("JSON object keys must be strings")
    return key
