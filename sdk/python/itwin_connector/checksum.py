"""Checksums that agree across languages: SHA-256 of RFC 8785 (JCS) canonical JSON.

The Rust and TypeScript SDKs compute the same function (docs/sdk.md), so the same source item
gets the same checksum - and the same ExternalSourceAspect - whichever language wrote it.
"""

import hashlib
import math
from decimal import Decimal
from json.encoder import encode_basestring

# encode_basestring is json's string writer for ensure_ascii=False (its C version where there is
# one): it escapes exactly as JCS does - ", \\ and control characters (\\b \\t \\n \\f \\r short,
# the others \\u00xx in lower case) - and writes everything else as is.
_string = encode_basestring

__all__ = ["checksum", "canonical"]


def checksum(value) -> str:
    """SHA-256, lower-case hex, of `value` (dicts, lists, str, int, float, bool, None) as
    canonical JSON: keys sorted by UTF-16 code units, no whitespace, numbers as ECMAScript
    prints them (90.0 -> 90, 1e21 -> 1e+21). Not-finite numbers raise ValueError."""
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def canonical(value) -> str:
    """The RFC 8785 text of `value`."""
    parts = []
    _write(value, parts)
    return "".join(parts)


def _utf16_key(key: str):
    """The key's UTF-16 code units (without codecs: componentize-py's Python has no utf-16)."""
    units = []
    for c in key:
        cp = ord(c)
        if cp > 0xFFFF:
            cp -= 0x10000
            units += (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF))
        else:
            units.append(cp)
    return units


def _sorted_keys(value: dict):
    keys = list(value)
    # Below U+10000 code points order as UTF-16 units do: the common case sorts as strings.
    if all(max(key, default="\0") < "\U00010000" for key in keys if isinstance(key, str)):
        return sorted(keys)
    return sorted(keys, key=_utf16_key)


def _write(value, out):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(_sorted_keys(value)):
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot checksum a {type(value).__name__}")


def _number(x: float) -> str:
    """ECMAScript's Number.prototype.toString for a float."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a JSON number")
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    text = repr(x)
    if "e" not in text:
        # Without an exponent, repr's shortest round-trip digits are laid out as ECMAScript does.
        return text
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript does; only the layout differs.
    _, raw, exponent = Decimal(repr(abs(x))).as_tuple()
    # The value is 0.<digits> x 10^n.
    n = len(raw) + exponent
    digits = "".join(map(str, raw)).rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
