"""The docs keep up: every store table is in docs/store.md, every command in docs/cli.md."""

from __future__ import annotations

from pathlib import Path

from fusioncell.store.schema import TABLES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_store_table_is_documented() -> None:
    text = (DOCS / "store.md").read_text(encoding="utf-8")
    missing = [t for t in TABLES if f"`{t}`" not in text]
    assert not missing, f"docs/store.md does not describe: {missing}"


def test_every_cli_command_is_documented() -> None:
    import typer.main

    from fusioncell.cli import app

    group = typer.main.get_command(app)
    commands = sorted(group.commands)  # type: ignore[attr-defined]
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in commands if f"`{c} " not in text and f"`{c}`" not in text]
    assert not missing, f"docs/cli.md does not describe: {missing}"
