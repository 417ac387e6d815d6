"""Every CLI command that reads or writes a case leaves one audit entry (issue 7).

The commands run in-process on a copy of examples/op-tapalpa. The case is
ingested once per module; each test works on its own copy of the store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.security import audit

from conftest import EXAMPLE, copy_example

CASE_FILES = sorted(p.name for p in EXAMPLE.iterdir() if p.is_file())


def _entries(path: Path) -> list[dict]:
    from fusioncell.store import CaseStore

    with CaseStore.open(path) as cs:
        return [e.to_dict() for e in audit.entries(cs)]


def _what(entry: dict) -> dict:
    return json.loads(entry["what"]) if entry["what"] else {}


def _run(args: list[str], code: int = 0) -> str:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == code, (res.output, res.exception)
    return res.stdout


def test_ingest_records_the_files_it_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSIONCELL_USER", "analyst-7")
    folder = copy_example(tmp_path / "op-tapalpa")
    store = tmp_path / "s.duckdb"
    _run(["ingest", str(folder), "--store", str(store)])
    _run(["ingest", str(folder), "--store", str(store)])  # unchanged: still an ingest, nothing loaded
    log = _entries(store)
    assert [e["action"] for e in log] == ["ingest", "ingest"]
    assert sorted(_what(log[0])["files"]) == CASE_FILES
    assert _what(log[1])["files"] == []
    assert _what(log[0])["folder"] == "op-tapalpa"
    assert {e["actor"] for e in log} == {"analyst-7"}


def test_a_failed_ingest_is_recorded_with_its_error(tmp_path: Path) -> None:
    from fusioncell.errors import PolicyViolation

    folder = copy_example(tmp_path / "op-tapalpa")
    toml = folder / "case.toml"
    toml.write_text(
        "\n".join(line for line in toml.read_text(encoding="utf-8").splitlines()
                  if not line.startswith("legal_authority")) + "\n", encoding="utf-8")
    store = tmp_path / "s.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(folder), "--store", str(store)])
    assert isinstance(res.exception, PolicyViolation)  # cli.main() makes it exit 2
    log = _entries(store)
    assert [(e["action"], _what(e)) for e in log] == [("ingest", {"folder": "op-tapalpa", "error": "PolicyViolation"})]


def test_each_reading_command_adds_exactly_one_entry_and_the_chain_verifies(store_file: Path) -> None:
    s = str(store_file)
    runs: list[tuple[list[str], str, dict]] = [
        (["info", s, "--format", "json"], "info", {}),
        (["network", s, "--focus", "person-target", "--hops", "1", "--format", "json"], "network",
         {"focus": "person-target", "hops": 1}),
        (["pattern", s, "--id", "+523312345678", "--format", "json"], "pattern", {"id": "+523312345678"}),
        (["meetings", s, "--ids", "+523312345678,+523334567890", "--format", "json"], "meetings",
         {"ids": ["+523312345678", "+523334567890"]}),
        (["locate", s, "--top", "2"], "locate", {"target": "person-target", "top": 2}),
        (["plan", s, "--budget", "2"], "plan", {"target": "person-target", "budget": 2}),
    ]
    outputs: dict[str, dict] = {}
    for i, (args, action, expect) in enumerate(runs, start=1):
        code = 0
        outputs[action] = json.loads(_run(args, code))
        log = _entries(store_file)
        assert len(log) == i, f"{action}: expected one new entry, log is {log}"
        assert log[-1]["action"] == action
        what = _what(log[-1])
        assert {k: what.get(k) for k in expect} == expect, what
    log = _entries(store_file)
    # outcome counts match what the command printed
    assert _what(log[4])["hypotheses"] == len(outputs["locate"]["hypotheses"]) <= 2
    assert _what(log[5])["recommendations"] == len(outputs["plan"]["recommendations"]) <= 2
    assert _what(log[3])["meetings"] == len(outputs["meetings"]["meetings"])
    # reading the audit log is not itself an entry, and the chain holds
    out = json.loads(_run(["audit", s, "--verify", "--format", "json"]))
    assert out["verification"]["ok"] is True and out["verification"]["entries"] == len(runs)
    assert len(_entries(store_file)) == len(runs)


def test_audit_does_not_change_the_json_a_script_parses(store_file: Path) -> None:
    """stdout is the command's result and nothing else: same JSON as the stage returns."""
    from fusioncell.infer.locate import locate
    from fusioncell.store import CaseStore

    printed = json.loads(_run(["locate", str(store_file), "--top", "3"]))
    with CaseStore.open(store_file) as cs:
        direct = json.loads(json.dumps(locate(cs, top=3), default=str))
    assert printed == direct
    assert [e["action"] for e in _entries(store_file)] == ["locate"]


def test_report_is_recorded_once(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    _run(["report", str(store_file), "--out", str(out)])
    log = _entries(store_file)
    assert [e["action"] for e in log] == ["report"]
    assert "report.html" in _what(log[0])["files"]


def test_a_tampered_log_still_fails_verification_after_more_commands(store_file: Path) -> None:
    from fusioncell.store import CaseStore

    s = str(store_file)
    _run(["info", s, "--format", "json"])
    _run(["meetings", s, "--format", "json"])
    with CaseStore.open(store_file) as cs:
        cs.con.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1")
    _run(["info", s, "--format", "json"])
    res = CliRunner().invoke(app, ["audit", s, "--verify"])
    assert res.exit_code == 1 and "FAILED: entry 1" in res.stdout


def test_record_command_leaves_out_unset_options() -> None:
    from fusioncell.store import CaseStore

    cs = CaseStore.memory()
    e = audit.record_command(cs, "network", focus=None, hops=2, actor="ana")
    assert (e.action, json.loads(e.what or "{}"), e.actor) == ("network", {"hops": 2}, "ana")
    assert audit.record_command(cs, "info").what is None
    assert audit.verify(cs).ok and audit.verify(cs).entries == 2


def test_version_and_short_help() -> None:
    from typer.testing import CliRunner

    from fusioncell import __version__
    from fusioncell.cli import app

    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"fusioncell {__version__}"
    h = CliRunner().invoke(app, ["locate", "-h"])
    assert h.exit_code == 0 and "--target" in h.stdout
