"""``filefacts.file_facts``: the one streamed numpy pass over a case file, against a plain-Python reading.

The reference below reads the whole file at once, line by line, the obvious
way; ``file_facts`` reads it in chunks (shrunk here to a few bytes so that
every quirk straddles a chunk boundary) and must say the same.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.ingest import filefacts, pipeline

WS, START, END = b" \t", b",\n\"", b",\n\r\""


def reference(data: bytes) -> dict[str, object]:
    """The facts of ``data`` by the obvious Python reading (no chunks, no numpy)."""
    lines = data.split(b"\n")  # the last item is the unfinished line (b"" when the file ends with \n)
    lengths = [len(x) for x in lines]
    commas = [x.count(b",") for x in lines]
    crlf = data.count(b"\r\n")
    lf = data.count(b"\n")
    padded = any((i == 0 or data[i - 1] in START) or (i + 1 == len(data) or data[i + 1] in END)
                 for i, b in enumerate(data) if b in WS)
    return {
        "sha256": hashlib.sha256(data).hexdigest(),  # computed in a thread beside the counting
        "mixed_newlines": 0 < crlf < lf,
        "blank_lines": data.count(b"\n\n") + data.count(b"\n\r\n") > 0,
        "longest_line": max(lengths),
        "longest_line_no": lengths.index(max(lengths)) + 1,
        "most_commas": max(commas),
        "most_commas_line_no": commas.index(max(commas)) + 1,
        "cr_only": b"\r" in data and lf == 0,
        "lone_cr": data.count(b"\r") > crlf,
        "padded": padded,
        "quoted": b'"' in data,
    }


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=1, max_size=60).map(lambda b: bytes(b" ,\n\r\"\ta"[x % 7] for x in b)),
       chunk=st.integers(1, 9))
def test_facts_agree_with_a_plain_reading(tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int) -> None:
    path = tmp_path_factory.mktemp("facts") / "f.csv"
    path.write_bytes(data)
    old = filefacts.FACTS_CHUNK
    filefacts.FACTS_CHUNK = chunk
    try:
        got = filefacts.file_facts(path)
    finally:
        filefacts.FACTS_CHUNK = old
    want = reference(data)
    assert {k: getattr(got, k) for k in want} == want


@pytest.mark.parametrize("text, padded", [
    ("a,b\n1,2\n", False),
    ("a,b\n1,2 \n", True),            # trailing space before the line end
    ("a,b\r\n1,\t2\r\n", True),       # a tab after the comma
    ("a,b\n\"x \",2\n", True),        # inside quotes, before the closing quote
    ("a,b\n33 1234 5678,2\n", False),  # spaces inside a value are no padding
    ("a,b\n1,2 ", True),              # the file ends with a space
])
def test_padding(tmp_path: Path, text: str, padded: bool) -> None:
    (tmp_path / "f.csv").write_text(text, encoding="utf-8")
    assert pipeline.file_facts(tmp_path / "f.csv").padded is padded
