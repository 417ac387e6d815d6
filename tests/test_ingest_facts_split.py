"""``filefacts.file_facts`` counts a large file in two parts at once (session 18): split after a line feed, the
parts' facts merged must be the facts of one pass over the whole file, every field of them, wherever the split
falls and whatever the chunk size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.ingest import filefacts
from fusioncell.ingest.filefacts import _count_part, _facts_of, file_facts

#: bytes that exercise every fact: delimiters, line ends, quotes, padding, number bytes, '_' and vertical tab
ALPHABET = b" ,\n\r\"\t1234567890.e+-_\x0bab"
#: a long number (41 number bytes) and a blank line, so that both appear in some files
PIECES = [b"9" * 41, b"\n\n", b"\r\n", b"1.5e-3,", b"-+", b"h,x\n"]


def _data(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.one_of(st.binary(min_size=1, max_size=30).map(
        lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b)), st.sampled_from(PIECES)), min_size=1, max_size=12))
    return b"".join(parts)


def one_pass(path: Path, monkeypatch: pytest.MonkeyPatch) -> filefacts.FileFacts:
    monkeypatch.setattr(filefacts, "FACTS_PARALLEL_BYTES", 1 << 62)
    return file_facts(path)


@settings(max_examples=300, deadline=None)
@given(data=st.composite(_data)(), chunk=st.integers(1, 9))
def test_two_parts_give_the_facts_of_one_pass(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                              chunk: int) -> None:
    path = tmp_path_factory.mktemp("split") / "f.csv"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(filefacts, "FACTS_CHUNK", chunk)
        whole = one_pass(path, mp)
        starts = [i + 1 for i, b in enumerate(data) if b == 10 and i + 1 < len(data)]  # every line start but the first
        for k in starts:  # every split the parallel pass could choose
            parts = [_count_part(path, 0, k), _count_part(path, k, None)]
            assert _facts_of(parts, whole.sha256) == whole, k
        mp.setattr(filefacts, "FACTS_PARALLEL_BYTES", 1)  # the threads themselves, split at the middle
        mp.setattr(filefacts, "_spare_core", lambda: True)
        assert file_facts(path) == whole
    assert whole.sha256 == hashlib.sha256(data).hexdigest()


def test_a_large_file_is_split_after_the_line_feed_past_its_middle(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"h,x\n" + b"a,1\n" * 10)  # 44 bytes: the middle, 22, is inside line 6 ("a,1\n" at 20..23)
    assert filefacts._split_point(path, 44) == 24
    path.write_bytes(b"h,x\n" + b"a" * 40)  # no line feed past the middle: one part
    assert filefacts._split_point(path, 44) is None
    path.write_bytes(b"h" * 43 + b"\n")  # the only line feed ends the file: one part
    assert filefacts._split_point(path, 44) is None


@pytest.mark.parametrize("cores, load, spare", [(2, 0.5, True), (2, 1.0, True), (2, 1.5, False), (1, 0.0, False),
                                                (8, 6.9, True), (8, 7.2, False)])
def test_the_parts_are_counted_in_threads_only_when_a_core_is_idle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int, load: float, spare: bool) -> None:
    monkeypatch.setattr(filefacts.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(filefacts.os, "getloadavg", lambda: (load, load, load))
    assert filefacts._spare_core() is spare
    monkeypatch.setattr(filefacts, "FACTS_PARALLEL_BYTES", 1)
    parts: list[tuple[int, int | None]] = []
    real = filefacts._count_part
    monkeypatch.setattr(filefacts, "_count_part", lambda p, a, b, h=None: parts.append((a, b)) or real(p, a, b, h))
    path = tmp_path / "f.csv"
    path.write_bytes(b"h,x\n" + b"a,1\n" * 10)
    got = file_facts(path)
    # split after the line feed past the middle (44 bytes: after byte 23), or one part to the end
    assert sorted(parts, key=str) == ([(0, 24), (24, 44)] if spare else [(0, None)])
    assert got == one_pass(path, monkeypatch)
