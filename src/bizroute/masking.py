"""Masking personal numbers in text, and personal fields in requests, before they are logged.

Identity-card numbers (居民身份证号, 18 or 15 digits), mobile phone numbers (with or without
``+86`` and separators) and bank-card numbers (16 to 19 digits, maybe grouped by spaces or
dashes) are recognised in any text, full-width digits included, and masked keeping only the
digits a clerk uses to tell two apart (the last four; a phone number also keeps its first
three, as Chinese service systems show them)::

    >>> mask_text("电话13800138000，身份证110101199003077316")
    '电话138****8000，身份证**************7316'
    >>> mask_text("卡号 6222 0212 3456 7890 123")
    '卡号 ***************0123'

:func:`mask_request` also replaces the value of every field the pack marks ``personal``
(a name, an address) wholesale::

    >>> mask_request({"customer": {"name": "张三", "type": "residential"}},
    ...              frozenset({"customer.name"}))
    {'customer': {'name': '***', 'type': 'residential'}}
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

MASK = "***"

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_PATTERNS = re.compile(
    # an identity card: region, birth date (19xx/20xx), sequence, check digit or X
    rf"(?P<id>(?<!\d)[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[\dXx](?![\dXx])"
    rf"|(?<!\d)[1-9]\d{{7}}{_DATE}\d{{3}}(?!\d))"  # the first generation: 15 digits
    # a mobile number, maybe with +86 and separated as 138 0013 8000
    r"|(?P<phone>(?<!\d)(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d))"
    # a bank card: 16-19 digits, together or in groups of four
    r"|(?P<card>(?<!\d)(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?!\d))"
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch in "0123456789Xx")


def _masked(match: re.Match[str]) -> str:
    digits = _digits(match.group())
    if match.lastgroup == "phone":
        digits = digits[-11:]  # without the country code
        return digits[:3] + "****" + digits[-4:]
    return "*" * (len(digits) - 4) + digits[-4:]


#: full-width digits and X as their ASCII forms, one character for one (positions stay)
_HALF_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ＋－", "0123456789Xx+-")


def mask_text(text: str) -> str:
    """``text`` with identity-card, phone and bank-card numbers masked."""
    if not any(ch.isdigit() for ch in text):
        return text
    ascii_digits = text.translate(_HALF_WIDTH)  # the patterns are written for ASCII digits
    parts: list[str] = []
    end = 0
    for match in _PATTERNS.finditer(ascii_digits):
        parts += [text[end:match.start()], _masked(match)]
        end = match.end()
    if not parts:
        return text
    parts.append(text[end:])
    return "".join(parts)


def mask_value(value: Any) -> Any:
    """A JSON value with every string in it masked by :func:`mask_text`."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10**10:
        return mask_text(str(value))  # a phone or card number sent as a JSON number
    return value


def mask_request(data: Any, personal: Collection[str], prefix: str = "") -> Any:
    """A copy of a request with the values of ``personal`` fields (dotted paths, nested or
    as flat keys) replaced by ``***`` and personal numbers masked everywhere else."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if path in personal and value not in (None, ""):
                out[key] = MASK
            else:
                out[key] = mask_request(value, personal, path)
        return out
    if isinstance(data, list):
        return [mask_request(v, personal, prefix) for v in data]
    return mask_value(data)
