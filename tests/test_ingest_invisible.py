"""An oversight bypass: a legal authority made of invisible characters is no authority."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_example


@pytest.mark.parametrize("authority", ["\\u200b", " \\u00a0\\u2003 ", "\\ufeff\\u200d", "\\t"])
def test_a_legal_authority_of_invisible_characters_is_refused(tmp_path: Path, authority: str) -> None:
    case = copy_example(tmp_path / "case")
    toml = case / "case.toml"
    text = re.sub(r'legal_authority = "[^"]*"', lambda _: f'legal_authority = "{authority}"', toml.read_text(encoding="utf-8"))
    toml.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "ingest", str(case)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "legal_authority" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    store = case / ".fusioncell" / "case.duckdb"
    if store.exists():  # nothing written: no case, no rows
        import duckdb

        con = duckdb.connect(str(store), read_only=True)
        assert con.execute("SELECT (SELECT count(*) FROM case_info) + (SELECT count(*) FROM comms)").fetchone() == (0,)
        con.close()


def test_an_authority_with_a_stray_zero_width_space_is_kept_visible_and_trimmed() -> None:
    from fusioncell.model.text import visible

    assert visible("\u200bFederal court order 113/2026\u200b") == "Federal court order 113/2026"


@pytest.mark.parametrize("authority", ["\\u00ad\\u034f", "\\u3164", "\\u2800", "\\u0001\\u0002", "\\ufe0f\\U000e0100",
                                       "\\u0300\\u0301", "\\u180e\\u115f\\u1160", ".", "-", "n/a", "TBD", " None "])
def test_an_authority_with_no_letter_or_digit_or_a_placeholder_is_refused(tmp_path: Path, authority: str) -> None:
    """Soft hyphens, Hangul fillers, braille blanks, controls, combining marks alone, a dot, 'n/a': no authority."""
    from fusioncell.errors import PolicyViolation
    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore

    case = copy_example(tmp_path / "case")
    toml = case / "case.toml"
    text = re.sub(r'legal_authority = "[^"]*"', lambda _: f'legal_authority = "{authority}"', toml.read_text(encoding="utf-8"))
    toml.write_text(text, encoding="utf-8")
    store = CaseStore.memory()
    with pytest.raises(PolicyViolation, match="legal_authority"):
        ingest_case(case, store)
    assert store.con.execute("SELECT count(*) FROM case_info").fetchone() == (0,)


def test_an_authority_in_any_script_is_accepted() -> None:
    from fusioncell.model.text import meaningful

    assert all(meaningful(a) for a in ["Orden judicial 7/2026", "令状 12", "№ 5", "Écrit 1"])
