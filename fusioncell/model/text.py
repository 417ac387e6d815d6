"""Text fields as a reader sees them.

A field made only of invisible characters is empty: Unicode white space
(category Z*, tabs, new lines) and format characters (category Cf: the
zero-width space U+200B, the zero-width joiner, a byte-order mark, bidi
controls), control characters (category Cc) and the other Unicode
*default-ignorable* code points (soft hyphen, variation selectors, Hangul
fillers, tag characters) print as nothing. A required field such as a
case's legal authority must hold something visible, or a case with no
authority would pass for one that has it; :func:`meaningful` asks more: a
letter or a digit.

>>> visible("\\u200b \\u00a0")
''
>>> visible("\\ufeff Court order 1/2026\\u200b ")
'Court order 1/2026'
>>> meaningful("\\u3164\\u00ad\\u034f"), meaningful("."), meaningful("Orden 7")
(False, False, True)
"""

from __future__ import annotations

import unicodedata


#: Unicode Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15), plus the braille blank U+2800.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x2800, 0x2800), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
#: What a form-filler writes when there is nothing to write (compared case-insensitively).
PLACEHOLDERS = frozenset({"none", "n/a", "na", "nil", "null", "tbd", "todo", "pending", "unknown", "xxx", "-", "?"})


def _invisible(ch: str) -> bool:
    if ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp"):
        return True
    o = ord(ch)
    return any(a <= o <= b for a, b in _IGNORABLE)


def visible(text: str) -> str:
    """``text`` without invisible characters at either end ('' when nothing visible is left)."""
    i, j = 0, len(text)
    while i < j and _invisible(text[i]):
        i += 1
    while j > i and _invisible(text[j - 1]):
        j -= 1
    return text[i:j]


def meaningful(text: str) -> bool:
    """True when ``text`` holds a visible letter or digit and is not a placeholder ("n/a", "TBD", "none").

    For fields whose absence is a policy matter (the legal authority): a dot,
    a Hangul filler or a row of combining marks is no authority.
    """
    core = visible(text)
    if core.casefold() in PLACEHOLDERS:
        return False
    return any(unicodedata.category(c)[0] in "LN" and not _invisible(c) for c in core)


def one_line(text: str) -> str:
    """``text`` safe to print as one line: line breaks and control characters shown as escapes.

    Error messages quote the user's data; a value holding a new line, a NEL
    (U+0085, a line break to ``str.splitlines``) or a terminal escape must
    neither split the message nor drive the terminal.

    >>> one_line("bad value 'a\\x85b\\nc\\x1b[31m'")
    "bad value 'a\\\\x85b\\\\nc\\\\x1b[31m'"
    """
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\t" or not (o < 0x20 or 0x7F <= o <= 0x9F or ch in "\u2028\u2029"):
            out.append(ch)
        else:
            out.append({"\n": "\\n", "\r": "\\r"}.get(ch) or (f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}"))
    return "".join(out)
