"""``filefacts._padded`` read from the delimiters' side (issue #14, round 9): the positions of the commas and line
feeds the facts pass finds once are reused; the answer is that of a plain reading of the chunk."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.ingest.filefacts import _padded

WS, START, END = b" \t", b",\n\"", b",\n\r\""


def plain(chunk: bytes, before: int) -> bool:
    """A space or tab after a field start (the byte before the chunk counts) or before a field end in the chunk."""
    for i, b in enumerate(chunk):
        if b in WS and ((before if i == 0 else chunk[i - 1]) in START or (i + 1 < len(chunk) and chunk[i + 1] in END)):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(data=st.binary(min_size=1, max_size=40).map(lambda b: bytes(b" ,\n\r\"\tab1"[x % 9] for x in b)),
       before=st.sampled_from([10, 44, 34, 32, 97]))
def test_padded_from_the_delimiters_agrees_with_a_plain_reading(data: bytes, before: int) -> None:
    arr = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero((arr == 44) | (arr == 10))
    odd = b'"' in data or b"\r" in data
    assert _padded(arr, before, ends, odd) is plain(data, before)
    assert _padded(arr, before) is plain(data, before)


def test_quotes_and_carriage_returns_are_looked_at_only_when_the_chunk_has_them() -> None:
    arr = np.frombuffer(b'a,"x "\r\n', np.uint8)
    ends = np.flatnonzero((arr == 44) | (arr == 10))
    assert _padded(arr, 10, ends, True) is True      # the space before the closing quote
    assert _padded(arr, 10, ends, False) is False    # told there are none: only commas and line feeds
