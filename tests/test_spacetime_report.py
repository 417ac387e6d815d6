"""The pattern and meetings commands on a small store file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from fusioncell.cli import app
from fusioncell.errors import NotFound
from fusioncell.spacetime.synth import UTC, StoreBuilder

D0 = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "case.duckdb"
    b = StoreBuilder(path=path)
    for day in range(6):
        s = D0 + timedelta(days=day)
        b.dwell("+523311112222", s, 8, 20.0, -103.0, seed=day)
        b.dwell("+523311112222", s + timedelta(hours=10), 3, 20.3, -103.4, seed=day)
        b.dwell("+523399998888", s + timedelta(hours=10, minutes=5), 3, 20.3002, -103.4, seed=day)
    b.store.close()
    return path


def test_pattern_json_names_home_places_and_meetings(tmp_path: Path) -> None:
    path = _store(tmp_path)
    res = CliRunner().invoke(app, ["pattern", str(path), "--id", "+523311112222", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["identifier"] == "+523311112222" and d["tracked"] is True
    assert d["home"] is not None and abs(d["home"]["lat"] - 20.0) < 0.001
    assert any(m["with"] == "+523399998888" for m in d["meetings"])
    text = CliRunner().invoke(app, ["pattern", str(path), "--id", "+523311112222"])
    assert text.exit_code == 0 and "home:" in text.stdout


def test_meetings_command_lists_the_pair(tmp_path: Path) -> None:
    path = _store(tmp_path)
    res = CliRunner().invoke(app, ["meetings", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["n_meetings"] == 6  # one a day
    assert {(m["id_a"], m["id_b"]) for m in d["meetings"]} == {("+523311112222", "+523399998888")}


def test_unknown_identifier_is_a_one_line_error(tmp_path: Path) -> None:
    path = _store(tmp_path)
    res = CliRunner().invoke(app, ["pattern", str(path), "--id", "+529999999999"])
    # cli.main() turns every FusioncellError into one line and exit 2
    assert isinstance(res.exception, NotFound) and "does not appear" in str(res.exception)
