"""One --format default rule: the contract commands print JSON when stdout is not a terminal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusioncell.cli import Fmt, app, contract_format

from conftest import EXAMPLE


@pytest.mark.parametrize("args", [["network", "--focus", "person-target"], ["locate", "--top", "2"], ["plan", "--budget", "2"]])
def test_contract_commands_print_json_in_a_pipe(args: list[str], tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(EXAMPLE, case)
    res = CliRunner().invoke(app, [args[0], str(case), *args[1:]])  # CliRunner's stdout is not a terminal
    assert res.exit_code in (0, 1), res.output
    assert isinstance(json.loads(res.stdout), dict)


def test_an_explicit_format_wins_and_a_terminal_gets_text(monkeypatch: pytest.MonkeyPatch) -> None:
    assert contract_format(Fmt.text) is Fmt.text and contract_format(Fmt.json) is Fmt.json
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert contract_format(None) is Fmt.text
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert contract_format(None) is Fmt.json


def test_report_prints_only_the_paths_on_stdout(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(EXAMPLE, case)
    res = CliRunner().invoke(app, ["report", str(case), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines and all(Path(ln).is_file() for ln in lines)
