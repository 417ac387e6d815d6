"""Text fields as a reader sees them.

A field made only of invisible characters is empty: Unicode white space
(category Z*, tabs, new lines) and format characters (category Cf: the
zero-width space U+200B, the zero-width joiner, a byte-order mark, bidi
controls) print as nothing. A required field such as a case's legal
authority must hold something visible, or a case with no authority would
pass for one that has it.

>>> visible("\\u200b \\u00a0")
''
>>> visible("\\ufeff Court order 1/2026\\u200b ")
'Court order 1/2026'
"""

from __future__ import annotations

import unicodedata


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp")


def visible(text: str) -> str:
    """``text`` without invisible characters at either end ('' when nothing visible is left)."""
    i, j = 0, len(text)
    while i < j and _invisible(text[i]):
        i += 1
    while j > i and _invisible(text[j - 1]):
        j -= 1
    return text[i:j]
