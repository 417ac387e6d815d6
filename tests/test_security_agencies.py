"""Agency codes in a case without ``[case] agencies``: it loads (the shared format has no such list), a code that
looks like a typo is flagged to the owner, and ``share --to`` it is refused with exit 2 and one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.security.agencies import declared_agencies, one_edit, suspect_agencies
from fusioncell.store import open_case
from tests.conftest import copy_example

IMINT = "imint-01,SEDENA-INT,IMINT,UAV electro-optical low-altitude daytime passes,B,"


def _typo(case: Path, code: str = "PARTNR-US") -> Path:
    """imint-01 (sources.csv line 5) released to ``code`` instead of PARTNER-US."""
    p = case / "sources.csv"
    p.write_text(p.read_text(encoding="utf-8").replace(IMINT + "PARTNER-US", IMINT + code), encoding="utf-8")
    return case


def _declare(case: Path, agencies: str) -> None:
    toml = case / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[[targets]]", f"agencies = {agencies}\n\n[[targets]]"),
                    encoding="utf-8")


def test_one_edit_is_a_letter_added_dropped_changed_or_two_neighbours_swapped() -> None:
    assert one_edit("PARTNR-US", "PARTNER-US") and one_edit("PARTNER-US", "PARTNR-US")  # dropped / added
    assert one_edit("PARTNER-UK", "PARTNER-US") and one_edit("PATRNER-US", "PARTNER-US")  # changed / swapped
    assert not one_edit("PARTNER-US", "PARTNER-US") and not one_edit("PRTNR-US", "PARTNER-US")
    assert not one_edit("GN-INT", "SEDENA-INT") and not one_edit("FGR", "FBI")


def test_a_case_without_a_declaration_loads_and_its_typo_is_flagged_with_its_line(tmp_path: Path) -> None:
    case = _typo(copy_example(tmp_path / "case"))
    with open_case(case) as cs:  # the shared format has no agency list: the case must load
        assert declared_agencies(cs) is None
        got = [(s.code, s.like, s.lines) for s in suspect_agencies(cs)]
    assert got == [("PARTNR-US", "PARTNER-US", (5,))]


def test_the_example_case_has_no_suspect_and_a_declared_case_has_none_by_construction(tmp_path: Path) -> None:
    plain = copy_example(tmp_path / "plain")
    with open_case(plain) as cs:
        assert suspect_agencies(cs) == []  # PARTNER-US owns a source; SEDENA-INT is the owner
    declared = copy_example(tmp_path / "declared")
    _declare(declared, '["PARTNER-US", "FGR", "FRG"]')  # two real agencies one swap apart, declared
    p = declared / "sources.csv"
    p.write_text(p.read_text(encoding="utf-8").replace(IMINT + "PARTNER-US", IMINT + "FGR;FRG"), encoding="utf-8")
    with open_case(declared) as cs:
        assert declared_agencies(cs) == ("FGR", "FRG", "PARTNER-US", "SEDENA-INT")
        assert suspect_agencies(cs) == []


def test_share_to_a_suspect_code_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    case = _typo(copy_example(tmp_path / "case"))
    out = tmp_path / "out" / "p.json"
    r = subprocess.run([sys.executable, "-m", "fusioncell.cli", "share", str(case), "--to", "PARTNR-US", "--format",
                        "json", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "sources.csv line 5" in r.stderr and "PARTNER-US" in r.stderr
    assert not out.exists()


def test_share_to_the_real_partner_warns_the_owner_about_the_typo(tmp_path: Path) -> None:
    case = _typo(copy_example(tmp_path / "case"))
    out = tmp_path / "p.json"
    r = CliRunner().invoke(app, ["share", str(case), "--to", "PARTNER-US", "--format", "json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "warning: sources.csv line 5: releasable_to 'PARTNR-US'" in r.stderr
    assert "PARTNR-US" not in out.read_text(encoding="utf-8")  # the warning is the owner's, not the product's
