"""The root fix: sentences are built from roles and handles, never from identifiers.

Issue #15 asked that labels and sentences name people, not their numbers,
with the exit masking only a second line of defence. Three properties:

* :class:`fusioncell.security.naming.Namer` never writes an identifier (any
  number, IMEI, plate, any role) — hypothesis over generated identifiers;
* the exit masking catches every spelling of a protected number in free
  text (E.164, national, ``00`` prefix, Mexico's old mobile ``1``, spaces,
  dashes, dots, slashes, brackets) — hypothesis over spellings;
* with the exit masking switched **off** (``Minimiser.mask_text`` made the
  identity), no sentence of any command or partner product carries a
  protected person's number: it appears only as a bare value of an
  identifier field (``identifier``, ``members``, ``subjects``…), which the
  masking handles. That is the proof that the root is fixed.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fusioncell.cli import app
from tests.protected_world import one_tearline_per_agency
from fusioncell.security.naming import ROLE, Namer

SEPS = ("", " ", "-", ".", "/", "- ", " -")
PREFIXES = ("", "+52", "+52 ", "0052", "0052 ", "+52 1 ", "+521", "(+52) ")
#: a bare identifier value: an E.164 number or scheme:value, no white space
BARE = re.compile(r"^(\+\d{6,15}|[a-z]+:\S+)$")


def _digits_rx(nsn: str) -> re.Pattern[str]:
    return re.compile(r"[\s.()/-]{0,2}".join(nsn))


@st.composite
def spelling(draw: st.DrawFn, nsn: str) -> str:
    """One way a person writes ``nsn`` (ten national digits) by hand."""
    cuts = sorted(draw(st.sets(st.integers(1, len(nsn) - 1), max_size=4)))
    parts = [nsn[a:b] for a, b in zip([0, *cuts], [*cuts, len(nsn)])]
    body = parts[0]
    for p in parts[1:]:
        body += draw(st.sampled_from(SEPS)) + p
    if draw(st.booleans()) and len(parts) > 1:
        body = f"({parts[0]}) " + body[len(parts[0]):].lstrip(" -./")
    return draw(st.sampled_from(PREFIXES)) + body


@given(nsn=st.text("0123456789", min_size=10, max_size=10).filter(lambda s: s[0] != "0"),
       scheme=st.sampled_from(["phone", "imei", "plate", "email", "other"]),
       role=st.none() | st.sampled_from(sorted(ROLE)) | st.text("abcxyz_", min_size=1, max_size=8),
       key=st.binary(min_size=1, max_size=32))
@settings(max_examples=200, deadline=None)
def test_a_name_never_spells_the_identifier(nsn: str, scheme: str, role: str | None, key: bytes) -> None:
    ident = {"phone": f"+52{nsn}", "imei": f"imei:35{nsn}123", "plate": f"plate:JAL-{nsn[:3]}-A",
             "email": f"email:x{nsn}@example.org", "other": f"account:{nsn}"}[scheme]
    namer = Namer(key)
    name = namer(ident, role)
    value = ident.split(":", 1)[-1].lstrip("+")
    assert value not in name and nsn not in name
    assert re.search(r"\d{7,}", name) is None  # a handle has six hex digits at most
    assert name == Namer(key)(ident, role)  # stable: the same identifier reads the same in every product
    assert namer.handle(ident) in name
    said = namer.sentence(f"report r-1 (B2), seen with {ident}; pickup blanca")  # an identifier inside a phrase
    assert value not in said and said == f"report r-1 (B2), seen with {namer(ident)}; pickup blanca"


@pytest.fixture(scope="module")
def shielded(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """A Minimiser on the example case with one of its numbers protected, and that number."""
    from fusioncell.security.minimise import Minimiser, protect
    from fusioncell.store import CaseStore

    path = tmp_path_factory.mktemp("shielded") / "case.duckdb"
    shutil.copy(ingested, path)
    with CaseStore.open(path) as cs:
        number = cs.con.execute(
            "SELECT identifier FROM identifiers WHERE identifier LIKE '+52%' AND identifier NOT IN "
            "(SELECT identifier FROM entity_identifiers WHERE entity_id IN (SELECT entity_id FROM targets)) "
            "ORDER BY identifier LIMIT 1").fetchone()[0]
        protect(cs, number, "a cooperating witness")
        yield Minimiser(cs), number


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), before=st.sampled_from(["", "llamó al ", "tel. ", "(", "a: ", "contesta en el "]),
       after=st.sampled_from(["", " ayer", ".", ")", ", dice", "; otro: +525599990000"]))
def test_the_exit_masking_catches_every_spelling_of_a_protected_number(shielded, data, before: str, after: str) -> None:  # type: ignore[no-untyped-def]
    m, number = shielded
    nsn = number[3:]
    written = data.draw(spelling(nsn))
    assert _digits_rx(nsn).search(written)  # the generator writes her number
    out = m.mask_text(before + written + after)
    assert not _digits_rx(nsn).search(out), (written, out)
    assert "masked:" in out


def _strings(x: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v, f"{path}[]")
    elif isinstance(x, str):
        yield path, x


def _sentences_with(doc: Any, rxs: list[re.Pattern[str]]) -> list[tuple[str, str]]:
    """(path, text) of every string carrying a canary that is not a bare identifier value."""
    return [(p, s) for p, s in _strings(doc) if any(r.search(s) for r in rxs) and not BARE.match(s.strip())]


def test_with_the_exit_masking_off_no_sentence_carries_her_number(protected_world, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from fusioncell.security.minimise import Minimiser

    folder, canaries = protected_world
    monkeypatch.setattr(Minimiser, "mask_text", lambda self, text: text)  # the second line of defence is off
    rxs = [_digits_rx(d) for d in canaries["phones"]]
    runner = CliRunner()
    bare_seen = 0
    for cmd in (["locate", "--top", "10"], ["plan", "--budget", "10"], ["network"], ["meetings"],
                ["pattern", "--id", canaries["phone_e164"]]):
        r = runner.invoke(app, [cmd[0], str(folder), *cmd[1:], "--format", "json"])
        assert r.exit_code in (0, 1), (cmd, r.output)
        doc = json.loads(r.stdout)
        assert _sentences_with(doc, rxs) == [], cmd
        bare_seen += sum(1 for _, s in _strings(doc) if any(x.search(s) for x in rxs))
    assert bare_seen  # masking is off: her number is there, but only in identifier fields
    with one_tearline_per_agency():  # one product per agency, every format through the CLI
        for agency in canaries["agencies"]:
            for fmt in ("json", "stix", "ftm", "geojson", "kml", "html"):
                out = tmp_path / f"{agency}-{fmt}" / "product"
                out.parent.mkdir()
                r = runner.invoke(app, ["share", str(folder), "--to", agency, "--format", fmt, "--out", str(out)])
                assert r.exit_code in (0, 1) and r.stdout.startswith("wrote"), r.output
                for f in out.parent.iterdir():
                    if "OWNER-ONLY" in f.name:
                        continue
                    assert not any(x.search(f.name) for x in rxs)
                    text = f.read_text(encoding="utf-8", errors="replace")
                    try:
                        doc: Any = json.loads(text)
                    except ValueError:
                        doc = [ln for ln in text.splitlines()]  # FtM lines, KML, HTML: every line is text
                        if fmt == "ftm":
                            doc = [json.loads(ln) for ln in doc if ln.strip()]
                    assert _sentences_with(doc, rxs) == [], (agency, fmt, f.name)


def test_an_alert_names_a_protected_subject_by_handle() -> None:
    from datetime import datetime, timezone

    from fusioncell.watch.watches import Watch

    w = Watch("w-1", "dark-return", "+523312345678", None, None, None, None, None, 3600.0, None, None,
              datetime(2026, 1, 1, tzinfo=timezone.utc))
    namer = Namer(b"k")
    assert w.describe().startswith("dark-return +523312345678:")
    said = w.describe(lambda s: namer(s))
    assert "3312345678" not in said and said.startswith(f"dark-return phone {namer.handle('+523312345678')}:")


def test_with_the_exit_masking_off_the_report_names_her_number_only_in_identifier_cells(  # type: ignore[no-untyped-def]
        protected_world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's HTML: every text run that carries her number is a cell of identifiers, never a sentence."""
    from fusioncell.security.minimise import Minimiser

    folder, canaries = protected_world
    monkeypatch.setattr(Minimiser, "mask_text", lambda self, text: text)
    rxs = [_digits_rx(d) for d in canaries["phones"]]
    r = CliRunner().invoke(app, ["report", str(folder), "--out", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    runs = [t.strip() for t in re.split(r"<[^>]*>", html) if t.strip()]
    carrying = [t for t in runs if any(x.search(t) for x in rxs)]
    ids = re.compile(r"^\+\d{6,15}(, \+\d{6,15})*$")
    assert [t for t in carrying if not ids.match(t)] == []


def test_the_reports_place_labels_name_owners_by_handle() -> None:
    from fusioncell.products.gather import _place_label

    namer = Namer(b"k")
    home = {"label": "home", "home_of": ["+523312345678", "plate:JAL-123-A", "+525511112222"]}
    said = _place_label(home, namer)
    assert said == f"home of phone {namer.handle('+523312345678')}, vehicle {namer.handle('plate:JAL-123-A')} …"
    assert _place_label({"label": "work", "home_of": "+523312345678"}, namer) == "work of phone P-8e02d3"
    assert _place_label({"label": "other", "remote": True}, namer) == "other (remote)"
