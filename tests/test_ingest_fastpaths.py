"""Cheaper forms of a row check give the answer of the form they replace, on any string."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.ingest.csvfiles import _VISIBLE, visible
from fusioncell.store import CaseStore
from fusioncell.store.engine import DuckDBEngine

#: printable ASCII, letters beyond it, blank space of every kind, controls and format characters
ALPHABET = st.sampled_from(list("a Z0!~-_\t\n\r\x0b\x0c\x7f\x00\x85\xa0\u1680\u2000\u200b\u200d\u2028\u2029\u202f"
                                "\u205f\u3000\ufeff\u00e9\u0416\u4e2d\U0001f600"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=6), min_size=1, max_size=40))
def test_visible_agrees_with_the_regular_expression(values: list[str]) -> None:
    eng = DuckDBEngine(CaseStore.memory().con)
    t = eng.from_arrow(pa.table({"v": pa.array(values, pa.string())}))
    got = eng.to_arrow(t.select(fast=visible(t.v), slow=t.v.re_search(_VISIBLE))).to_pylist()
    assert [r["fast"] for r in got] == [r["slow"] for r in got]
