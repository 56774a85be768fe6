"""Normalise free text so that customers' many ways of writing one word match one term.

Applied alike to request text and to vocabulary terms: Unicode NFKC (full-width letters,
digits and punctuation become half-width), case folding, white space removed, and optionally
traditional characters mapped to simplified ones.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources

_WHITESPACE = {ord(c): None for c in " \t\r\n\f\v\u3000\u00a0\u200b\ufeff"}


@cache
def _t2s_table() -> dict[int, str]:
    text = resources.files("bizroute").joinpath("data/t2s.txt").read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        if len(line) == 2 and not line.startswith("#"):
            table[ord(line[0])] = line[1]
    return table


def t2s_table() -> dict[str, str]:
    """The traditional → simplified table, character to character (for pages that
    normalise text in the browser the way :func:`normalise` does)."""
    return {chr(k): v for k, v in _t2s_table().items()}


@cache
def _tables() -> tuple[dict[int, str | None], dict[int, str | None]]:
    """The translation tables: white space only, and white space with traditional to
    simplified (one ``str.translate`` pass costs about as much as either alone)."""
    both: dict[int, str | None] = dict(_t2s_table())
    both.update(_WHITESPACE)
    return dict(_WHITESPACE), both


def normalise(text: str, *, traditional_to_simplified: bool = True) -> str:
    """Return the matching form of ``text``.

    >>> normalise("家里 沒電了！ ＡＢＣ")
    '家里没电了!abc'
    """
    return normaliser(traditional_to_simplified=traditional_to_simplified)(text)


@cache
def normaliser(*, traditional_to_simplified: bool = True) -> Callable[[str], str]:
    """:func:`normalise` with its option bound, for the hot path (one call per text)."""
    spaces, both = _tables()
    table = both if traditional_to_simplified else spaces
    # str.translate with a dict fails a look-up for every character it keeps, which costs
    # more than finding first that no character needs it (most texts)
    changed = frozenset(map(chr, table))
    nfkc = unicodedata.normalize

    def norm(text: str) -> str:
        out = nfkc("NFKC", text).casefold()
        return out if changed.isdisjoint(out) else out.translate(table)

    return norm

