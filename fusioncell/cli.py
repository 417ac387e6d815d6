"""The fusioncell command line: parse, call a stage, print. Nothing else lives here.

Exit codes (docs/cli.md, ../shared/spec/cli-contract.md): 0 success; 1 the
analysis ran but found nothing usable; 2 bad input or usage, with one
readable line and no traceback; anything else is a bug.
"""

from __future__ import annotations

import gc
import json
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import typer

from fusioncell.errors import FusioncellError, UsageError

app = typer.Typer(
    name="fusioncell",
    help="All-source intelligence fusion: where is he, whom to watch next, what may we share.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from fusioncell import __version__

        typer.echo(f"fusioncell {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
          engine: str = typer.Option("duckdb", "--engine", help="Where relational steps run: duckdb | spark "
                                     "(docs/store.md)."),
          spark_master: Optional[str] = typer.Option(None, "--spark-master", help="Spark master URL for --engine "
                                                     "spark: spark://HOST:PORT, local[N] (default local[2]), yarn, "
                                                     "k8s://...")) -> None:
    """All-source intelligence fusion: where is he, whom to watch next, what may we share."""
    from fusioncell.store.engine import EngineSettings

    _ENGINE.set(EngineSettings(engine, spark_master))  # a bad engine or URL: UsageError, exit 2


#: The --engine / --spark-master of the command line being run (set by the root callback).
_ENGINE: ContextVar[Any] = ContextVar("fusioncell_engine", default=None)


def _engine_settings() -> Any:
    """The --engine / --spark-master of this command line (None: DuckDB)."""
    return _ENGINE.get()


class Fmt(str, Enum):
    text = "text"
    json = "json"


CaseArg = typer.Argument(..., help="A case folder (with case.toml) or an ingested case store (.duckdb).")
StoreOpt = typer.Option(None, "--store", help="Case store file to use for a case folder (default: cached beside it).")


def _fail(msg: str, code: int = 2) -> None:
    from fusioncell.model.text import one_line

    typer.echo(f"fusioncell: error: {one_line(msg)}", err=True)
    raise typer.Exit(code)


#: --format default rule: text at a terminal. When stdout is not a terminal, the commands whose
#: JSON is the public contract (locate, plan, network; spec/cli-contract.md) print JSON, so
#: scripts keep working; the others print text. An explicit --format always wins.
ContractFmtOpt = typer.Option(None, "--format", help="text | json (default: text at a terminal, json in a pipe).")


def contract_format(fmt: Optional[Fmt]) -> Fmt:
    """The --format of a contract command: as given, else JSON unless stdout is a terminal."""
    if fmt is not None:
        return fmt
    return Fmt.text if sys.stdout.isatty() else Fmt.json


def _emit(result: dict[str, Any], fmt: Fmt, render: Callable[[dict[str, Any]], str]) -> None:
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render(result).rstrip("\n") + "\n")


def _open(case: Path, store: Optional[Path]) -> Any:
    from fusioncell.store import open_case

    _loaded()
    return open_case(case, store, engine=_engine_settings())


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def working(label: str) -> Iterator[None]:
    """A spinner on stderr (rich) while a command that can take seconds runs — only at a terminal.

    stdout carries the answer alone, and a script reading stderr gets no
    spinner frames: away from a terminal this does nothing.
    """
    if not _stderr_is_terminal():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(label):
        yield


def record_command(cs: Any, command: str, **what: Any) -> None:
    """One audit entry for this command (fusioncell.security.audit.record_command); prints nothing."""
    from fusioncell.security.audit import record_command as record

    record(cs, command, **what)


def mask_protected(cs: Any, result: dict[str, Any]) -> Any:
    """The owner's analysis with protected persons masked (security.minimise.mask_protected)."""
    from fusioncell.security.minimise import mask_protected as masked

    return masked(cs, result)


def mask_listing(cs: Any, result: Any, keep: Any = (), files: Any = ()) -> Any:
    """The listing (and files it wrote) with bystanders pseudonymised (security.minimise.mask_listing)."""
    from fusioncell.security.minimise import mask_listing as masked

    return masked(cs, result, keep, files)


@app.command()
def ingest(
    case: Path = CaseArg,
    store: Optional[Path] = StoreOpt,
    quarantine: bool = typer.Option(False, "--quarantine", help="Load every good row; set each bad row aside, "
                                    "whole and unchanged, in the rejects table (fusioncell rejects)."),
) -> None:
    """Validate a case folder and load it into its case store (all or nothing per delivery, or --quarantine)."""
    from fusioncell.errors import InvalidCase
    from fusioncell.ingest import ingest_case
    from fusioncell.store import CaseStore
    from fusioncell.store.store import _default_store_for

    _loaded()
    if not case.is_dir():
        _fail(f"{case}: not a case folder")
    target = store or _default_store_for(case)
    with CaseStore.open(target, folder=case).use_engine(_engine_settings()) as cs:
        spark = cs.engine_settings is not None and cs.engine_settings.name == "spark"
        try:
            # progress only for a person at a terminal: a script reads one line on error
            summary = ingest_case(case, cs, quiet=not sys.stderr.isatty(), quarantine=quarantine,
                                  engine=cs.engine() if spark else None)
        except InvalidCase as exc:  # nothing of the delivery was committed; the attempt is recorded
            record_command(cs, "ingest", folder=case.name, error=type(exc).__name__)
            # only row problems can be set aside; a header or a file's shape (line ends, a junk line) cannot
            rows = [p for p in exc.problems if p.line is not None and (
                (p.line > 1 and p.column is not None and p.file.endswith(".csv") and p.file != "sources.csv")
                or p.file.endswith(".jsonl"))]  # a JSON line is set aside whole, broken or not
            if rows and not quarantine:
                raise UsageError(
                    f"{exc} — nothing was loaded; fix the rows, or run `fusioncell ingest {case} --quarantine` to "
                    "load the good rows and set the bad ones aside") from None
            raise
        except FusioncellError as exc:
            record_command(cs, "ingest", folder=case.name, error=type(exc).__name__)
            raise
        record_command(cs, "ingest", folder=case.name, files=[f.file for f in summary.files if f.status == "ingested"],
                       quarantined=summary.quarantined or None, alerts=[a.alert_id for a in summary.alerts] or None)
        fired = mask_listing(cs, [f"  {a.watch_id} {a.kind} in {a.delivery_id}: {a.summary}" for a in summary.alerts],
                             _watched(cs)) if summary.alerts else []
    typer.echo(str(summary))
    for line in fired:
        typer.echo(line)


@app.command()
def rejects(case: Path = CaseArg, store: Optional[Path] = StoreOpt,
            format: Fmt = typer.Option(Fmt.text, "--format")) -> None:
    """Rows set aside by `ingest --quarantine`: file, line, field, the rule broken, the row as delivered."""
    from fusioncell.ingest.pipeline import rejects as list_rejects

    with _open(case, store) as cs:
        rows = list_rejects(cs)
        record_command(cs, "rejects", n=len(rows))
    result = {"n_rejects": len(rows), "rejects": [{**r, "quarantined_at": str(r["quarantined_at"])} for r in rows]}

    def render(r: dict[str, Any]) -> str:
        lines = [f"{r['n_rejects']} quarantined row(s)"]
        for x in r["rejects"][:200]:
            lines.append(f"  {x['file']}:{x['line']} {x['field'] or ''}: {x['rule']}\n      {x['raw']}")
        if r["n_rejects"] > 200:
            lines.append(f"  showing 200 of {r['n_rejects']} (--format json lists all)")
        return "\n".join(lines)

    _emit(result, format, render)


@app.command()
def info(case: Path = CaseArg, store: Optional[Path] = StoreOpt, format: Fmt = typer.Option(Fmt.text, "--format")) -> None:
    """Counts per discipline and source, time span, identifiers and targets of a case."""
    from fusioncell.ingest.summary import case_summary, render_summary

    with _open(case, store) as cs:
        result = case_summary(cs)
        record_command(cs, "info")
        _emit(result, format, render_summary)


@app.command()
def simulate(
    out_dir: Path = typer.Argument(..., help="Folder to write the case into (created; must be empty or absent)."),
    seed: int = typer.Option(0, "--seed"),
    scale: str = typer.Option("small", "--scale", help="small | medium | large | a number of people"),
    days: int = typer.Option(30, "--days"),
    difficulty: str = typer.Option("normal", "--difficulty", help="easy | normal | hard"),
    track: Optional[str] = typer.Option(None, "--track", help="Comma-separated identifiers to track (default: the seed lead)."),
    family: str = typer.Option("baseline", "--family", help="World family: baseline | sparse-coverage | phone-discipline | "
                               "decoy-heavy | deception | late-move | town-hideout | mixed | rhythm | coverage | household | group-switch (docs/simulator.md)"),
) -> None:
    """Write a synthetic case folder plus truth.json (never read by the analysis)."""
    from fusioncell.sim import simulate as run_sim

    tracked = [t.strip() for t in track.split(",") if t.strip()] if track else None
    summary = run_sim(out_dir, seed=seed, scale=scale, days=days, difficulty=difficulty, track=tracked, family=family)
    typer.echo(summary if isinstance(summary, str) else json.dumps(summary, indent=2, default=str))


@app.command()
def network(
    case: Path = CaseArg,
    focus: Optional[str] = typer.Option(None, "--focus", help="Identifier or entity id to centre on."),
    hops: int = typer.Option(2, "--hops", min=1, max=6),
    format: Optional[Fmt] = ContractFmtOpt,
    graphml: Optional[Path] = typer.Option(None, "--graphml", help="Also write the graph as GraphML (Gephi)."),
    gexf: Optional[Path] = typer.Option(None, "--gexf", help="Also write the graph as GEXF (Gephi)."),
    layers: Optional[str] = typer.Option(None, "--layers", help="Comma-separated: calls,claims,meetings,vehicles,places (default all)."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """The network of contacts: close circle, relationships, key players, burner phones."""
    from fusioncell.network.api import check_layers
    from fusioncell.network.report import network_report, render_text

    chosen = check_layers(layers.split(",")) if layers is not None else None
    with _open(case, store) as cs:
        with working("network: building the contact graph"):
            result = network_report(cs, focus=focus, hops=hops, graphml=graphml, gexf=gexf, layers=chosen)
        record_command(cs, "network", focus=focus, hops=hops, key_players=len(result.get("key_players") or []))
        # the focus's close circle is the investigated neighbourhood: pertinent by definition,
        # and so are burner successions touching it (a new number of someone who matters)
        circle = {c.get("identifier") for c in result.get("close_circle") or []} | {focus, result.get("focus")}
        burners = [b for b in result.get("burner_successions") or [] if {b.get("old"), b.get("new")} & circle]
        keep = (*circle, result.get("focus_person"), *(b.get(k) for b in burners for k in ("old", "new")))
        _emit(mask_listing(cs, result, keep, files=(graphml, gexf)), contract_format(format), render_text)


@app.command()
def pattern(
    case: Path = CaseArg,
    id: str = typer.Option(..., "--id", help="Identifier whose pattern of life to show."),
    format: Fmt = typer.Option(Fmt.text, "--format"),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Pattern of life of one identifier: places, routine, anomalies, going dark."""
    from fusioncell.spacetime.report import pattern_report, render_pattern_text

    with _open(case, store) as cs:
        with working("pattern: reading places, routine and dark spells"):
            result = pattern_report(cs, id)
        record_command(cs, "pattern", id=id)
        _emit(mask_listing(cs, result, (id, result.get("identifier"))), format, render_pattern_text)


@app.command()
def meetings(
    case: Path = CaseArg,
    ids: Optional[str] = typer.Option(None, "--ids", help="Comma-separated identifiers (default: all tracked)."),
    format: Fmt = typer.Option(Fmt.text, "--format"),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Co-locations and meetings between identifiers, with probabilities."""
    from fusioncell.spacetime.report import meetings_report, render_meetings_text

    idlist = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
    with _open(case, store) as cs:
        with working("meetings: joining positions in space and time"):
            result = meetings_report(cs, idlist)
        record_command(cs, "meetings", ids=idlist, meetings=len(result.get("meetings") or []))
        keep = [*idlist, *(result.get("ids") or [])] if idlist else []  # as typed and as normalised
        _emit(mask_listing(cs, result, keep), format, render_meetings_text)


@app.command()
def locate(
    case: Path = CaseArg,
    target: Optional[str] = typer.Option(None, "--target", help="Entity id of the target (default: the case's first)."),
    format: Optional[Fmt] = ContractFmtOpt,
    top: int = typer.Option(5, "--top", min=1),
    store: Optional[Path] = StoreOpt,
    geojson: Optional[Path] = typer.Option(None, "--geojson", help="Also write hypotheses, areas and tracks as "
                                           "GeoJSON (QGIS, ArcGIS)."),
    kml: Optional[Path] = typer.Option(None, "--kml", help="Also write them as KML (Google Earth)."),
) -> None:
    """Where is the target now, and where does he stay? Calibrated hypotheses with evidence."""
    from fusioncell.infer.locate import locate as run_locate, render_text
    from fusioncell.products.geo_export import write_locate_maps

    with _open(case, store) as cs:
        with working("locate: weighing the places"):
            result = run_locate(cs, target=target, top=top)
        record_command(cs, "locate", target=result.get("target"), top=top,
                       hypotheses=len(result.get("hypotheses") or []))
        # bystanders are not masked (the analysis is about these people); protected persons are
        shown = mask_protected(cs, result)
        write_locate_maps(cs, shown, geojson, kml)  # the same masking; a protected person's track left out
        _emit(shown, contract_format(format), render_text)
    if not result.get("hypotheses"):
        raise typer.Exit(1)


@app.command()
def plan(
    case: Path = CaseArg,
    target: Optional[str] = typer.Option(None, "--target"),
    budget: int = typer.Option(3, "--budget", min=1),
    format: Optional[Fmt] = ContractFmtOpt,
    store: Optional[Path] = StoreOpt,
) -> None:
    """Whom to monitor next: identifiers ranked by expected information gain."""
    from fusioncell.infer.plan import plan as run_plan, render_text

    with _open(case, store) as cs:
        with working("plan: scoring who to watch next"):
            result = run_plan(cs, target=target, budget=budget)
        record_command(cs, "plan", target=result.get("target"), budget=budget,
                       recommendations=len(result.get("recommendations") or []))
        # recommended identifiers are pertinent by construction; protected persons stay masked
        _emit(mask_protected(cs, result), contract_format(format), render_text)
    if not result.get("recommendations"):
        raise typer.Exit(1)


@app.command()
def report(
    case: Path = CaseArg,
    out: Path = typer.Option(..., "--out", help="Folder to write report.html (and report.pdf) into."),
    target: Optional[str] = typer.Option(None, "--target"),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Write the intelligence product: a self-contained offline HTML report (PDF if possible)."""
    from fusioncell.products.report import write_report

    from contextlib import nullcontext

    from rich.console import Console

    err = Console(stderr=True)
    # progress on stderr, and only at a terminal: stdout carries the paths written, nothing else
    status = err.status("report: starting") if sys.stderr.isatty() else nullcontext()
    with status as st, _open(case, store) as cs:
        paths = write_report(cs, out, target=target,
                             progress=(lambda stage: st.update(f"report: {stage}")) if st is not None else None)
    for p in paths:
        typer.echo(str(p))


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", help="Where the demo writes its case and report."),
    seed: int = typer.Option(1002, "--seed", help="Simulator seed of the demo world (held-out range, ≥ 1000)."),
    rounds: int = typer.Option(3, "--rounds"),
) -> None:
    """Tell the whole story on a simulated case: seed lead -> plan -> track -> locate -> report."""
    from fusioncell.products.demo import run_demo

    run_demo(out, seed=seed, rounds=rounds)


# -- sharing and oversight (issue 7) ------------------------------------------


@app.command()
def share(
    case: Path = CaseArg,
    to: str = typer.Option(..., "--to", help="Recipient agency code (must be named in the case)."),
    out: Path = typer.Option(..., "--out", help="File to write the product to."),
    format: str = typer.Option("stix", "--format", help="stix | ftm | html | json | geojson | kml"),
    target: Optional[str] = typer.Option(None, "--target", help="Entity id of the subject (default: first target)."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why this is shared (recorded in the audit log)."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Write a sanitised tearline for a partner agency; list what was withheld for the owner only."""
    from fusioncell.products.share import write_share
    from fusioncell.security.agencies import check_recipient

    with _open(case, store) as cs:
        warnings = check_recipient(cs, to)  # a typo-looking recipient: exit 2 (docs/security.md, Agencies)
        with working(f"share: sanitising the product for {to}"):
            res = write_share(cs, to, out, format, target=target, why=reason)
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    typer.echo(f"wrote {res['out']} ({res['format']}, {res['tlp']}) for {res['to']}: {res['hypotheses']} hypotheses")
    typer.echo(
        f"withheld {len(res['withheld_sources'])} source(s) — owner only, do not send: {res['withheld']}", err=True
    )
    if not res["hypotheses"] and not res["associates"]:
        typer.echo(f"nothing releasable to {res['to']} supports a judgment", err=True)
        raise typer.Exit(1)


@app.command("import")
def import_(
    case: Path = CaseArg,
    bundle: Path = typer.Argument(..., help="A partner's STIX 2.1 bundle (JSON)."),
    reliability: str = typer.Option("F", "--reliability", help="Your Admiralty grade of the partner as a source (A-F)."),
    agency: Optional[str] = typer.Option(None, "--agency", help="Producing agency, if the bundle does not name it."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Recorded in the audit log."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Add a partner's STIX bundle to the case as that partner's sources and observations."""
    from fusioncell.errors import NotFound
    from fusioncell.products.stix_import import import_bundle

    if not bundle.is_file():
        raise NotFound(f"{bundle}: no such file")
    with _open(case, store) as cs:
        res = import_bundle(cs, bundle.read_bytes(), name=bundle.name, reliability=reliability, agency=agency, why=reason)
    typer.echo(json.dumps(res, indent=2, default=str))


@app.command()
def unmask(
    case: Path = CaseArg,
    id: str = typer.Argument(..., help="A masked:... pseudonym (or an identifier, to unmask it ahead of time)."),
    reason: str = typer.Option(..., "--reason", help="Why the identity is needed (recorded)."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Reveal a masked identifier, recording who asked and why."""
    from fusioncell.security.minimise import unmask as run_unmask

    with _open(case, store) as cs:
        typer.echo(run_unmask(cs, id, reason))


@app.command()
def audit(
    case: Path = CaseArg,
    verify: bool = typer.Option(False, "--verify", help="Check the hash chain; exit 1 at the first bad entry."),
    head: Optional[str] = typer.Option(None, "--head", help="A head hash noted earlier (detects truncation)."),
    format: Fmt = typer.Option(Fmt.text, "--format"),
    store: Optional[Path] = StoreOpt,
) -> None:
    """List the case's audit log (who, when, what, why); --verify detects edits, deletions, reordering."""
    from fusioncell.security import audit as aud

    with _open(case, store) as cs:
        rows = [e.to_dict() for e in aud.entries(cs)]
        check = aud.verify(cs, head=head) if (verify or head) else None
    result: dict[str, Any] = {"entries": rows}
    if check is not None:
        result["verification"] = {"ok": check.ok, "entries": check.entries, "head": check.head,
                                  "bad_entry": check.bad_seq, "problem": check.problem}

    def render(r: dict[str, Any]) -> str:
        lines = [f"{e['seq']:>5}  {e['at']}  {e['actor']:<12} {e['action']:<8} {e['what'] or ''}"
                 + (f"  why: {e['why']}" if e["why"] else "") for e in r["entries"]]
        v = r.get("verification")
        if v:
            lines.append(f"verified: {v['entries']} entries, head {v['head']}" if v["ok"] else f"FAILED: {v['problem']}")
        return "\n".join(lines) or "(no audit entries)"

    _emit(result, format, render)
    if check is not None and not check.ok:
        raise typer.Exit(1)


# --- standing watches and alerts (issue #14) -------------------------------------------
watch_app = typer.Typer(help="Standing tripwires on entities, evaluated on each new delivery (docs/ingest.md).",
                        no_args_is_help=True)
app.add_typer(watch_app, name="watch")


@watch_app.command("add")
def watch_add(case: Path = CaseArg,
              kind: str = typer.Argument(..., help="identifier | person | place | new-area | meeting | dark-return "
                                         "| new-contact | burner | locate"),
              args: list[str] = typer.Argument(..., help="ID (ENTITY for person; ID ID2 for meeting; LAT,LON for place)."),
              radius_m: Optional[float] = typer.Option(None, "--radius-m", help="Metres (place; new-area 1000; meeting 250)."),
              of: Optional[str] = typer.Option(None, "--of", help="place: only positions of this identifier or entity."),
              window_min: Optional[float] = typer.Option(None, "--window-min", help="meeting: minutes apart (30)."),
              gap_h: Optional[float] = typer.Option(None, "--gap-h", help="dark-return: hours of silence (48)."),
              threshold: Optional[float] = typer.Option(None, "--threshold",
                                                        help="locate: fire when the top area's probability crosses it."),
              note: Optional[str] = typer.Option(None, "--note", help="Why this watch (kept with it)."),
              store: Optional[Path] = StoreOpt) -> None:
    """Add a watch; every later ingest evaluates it on the new delivery's rows."""
    from fusioncell.watch import add_watch

    if kind == "place" and len(args) == 1 and "," in args[0]:
        args = [a.strip() for a in args[0].split(",", 1)]
    with _open(case, store) as cs:
        w = add_watch(cs, kind, list(args), radius_m=radius_m, of=of, window_min=window_min, gap_h=gap_h, note=note,
                      threshold=threshold)
        record_command(cs, "watch-add", watch=w.watch_id, kind=w.kind, subject=w.subject, subject2=w.subject2)
        typer.echo(mask_listing(cs, f"{w.watch_id} {w.describe()}", _watched(cs)))


def _watched(cs: Any) -> set[str]:
    """Identifiers the analyst chose to watch: shown in clear in listings, unless protected."""
    from fusioncell.security.minimise import protected_identifiers
    from fusioncell.watch import list_watches

    subjects = {s for w in list_watches(cs) for s in (w.subject, w.subject2) if s}
    return subjects - protected_identifiers(cs)


@watch_app.command("list")
def watch_list(case: Path = CaseArg, format: Fmt = typer.Option(Fmt.text, "--format"),
               store: Optional[Path] = StoreOpt) -> None:
    """The case's watches."""
    from fusioncell.watch import list_watches

    with _open(case, store) as cs:
        result = {"watches": [w.to_dict() for w in list_watches(cs)]}
        record_command(cs, "watch-list", n=len(result["watches"]))
        result = mask_listing(cs, result, _watched(cs))
    _emit(result, format, lambda r: "\n".join(f"{w['watch_id']}  {w['describe']}" for w in r["watches"])
          or "(no watches)")


@watch_app.command("remove")
def watch_remove(case: Path = CaseArg, watch_id: str = typer.Argument(..., help="A watch id (w-3)."),
                 store: Optional[Path] = StoreOpt) -> None:
    """Remove a watch (its past alerts stay)."""
    from fusioncell.watch import remove_watch

    with _open(case, store) as cs:
        w = remove_watch(cs, watch_id)
        record_command(cs, "watch-remove", watch=w.watch_id)
    typer.echo(f"removed {w.watch_id}")


@app.command()
def alerts(case: Path = CaseArg, since: Optional[str] = typer.Option(None, "--since", help="ISO 8601 time with offset."),
           format: Fmt = typer.Option(Fmt.text, "--format"), store: Optional[Path] = StoreOpt) -> None:
    """Alerts raised by the standing watches, oldest first, with the rows that fired them."""
    from datetime import datetime

    from fusioncell.watch import list_alerts

    when = None
    if since is not None:
        try:
            when = datetime.fromisoformat(since)
        except ValueError:
            raise UsageError(f"--since {since!r}: not an ISO 8601 time") from None
        if when.tzinfo is None:
            raise UsageError(f"--since {since!r}: give a UTC offset (e.g. {since}-06:00)")
    with _open(case, store) as cs:
        rows = [a.to_dict() for a in list_alerts(cs, since=when)]
        record_command(cs, "alerts", since=since, n=len(rows))
        result = mask_listing(cs, {"n_alerts": len(rows), "alerts": rows}, _watched(cs))
    _emit(result, format, render_alerts)


def render_alerts(r: dict[str, Any]) -> str:
    lines = [f"{r['n_alerts']} alert(s)"]
    for a in r["alerts"]:
        lines.append(f"  {a['alert_id']}  {a['watch_id']} {a['kind']} in {a['delivery_id']}: {a['summary']}")
        link = " near " if a["kind"] == "meeting" else " ↔ "  # the other of the pair, or the call's other party
        for e in a["evidence"][:10]:
            lines.append(f"      {e['table']} {e['event_id']} {e['t']} {e['identifier'] or ''}"
                         + (f"{link}{e['other']}" if e["other"] else "") + f" [{e['source_id']}]")
        if len(a["evidence"]) > 10:
            lines.append(f"      showing 10 of {len(a['evidence'])} rows (--format json lists all)")
    return "\n".join(lines)


# --- analyst overrides: who uses which identifier (issues #12, #13) -------------------------
override_app = typer.Typer(help="Merge, split or undo who uses which identifier; every answer follows "
                           "(docs/resolve.md).", no_args_is_help=True)
app.add_typer(override_app, name="override")
ReasonOpt = typer.Option(..., "--reason", help="Why (kept with the decision and in the audit log).")


def _print_decision(verb: str, d: Any) -> None:
    to = f" → {d.person}" if d.person else " → nobody"
    typer.echo(f"{verb} {d.decided_at}: {', '.join(d.identifiers)}{to}" + (f" ({d.reason})" if d.reason else ""))


@override_app.command("merge")
def override_merge(case: Path = CaseArg,
                   members: list[str] = typer.Argument(..., help="Identifiers or persons (a person brings every "
                                                       "identifier attributed to it)."),
                   into: str = typer.Option(..., "--into", help="The person (entity id or alias) they belong to."),
                   reason: str = ReasonOpt, store: Optional[Path] = StoreOpt) -> None:
    """Give identifiers (or a whole person) to a person."""
    from fusioncell.resolve.decisions import merge
    from fusioncell.security.audit import current_actor

    with _open(case, store) as cs:
        d = merge(cs, list(members), into, analyst=current_actor(), reason=reason)
        record_command(cs, "override-merge", why=reason, identifiers=list(d.identifiers), person=d.person)
        _print_decision("merged", d)  # what the analyst named, and what the named person used: in clear


@override_app.command("split")
def override_split(case: Path = CaseArg, identifier: str = typer.Argument(..., help="The identifier to detach."),
                   reason: str = ReasonOpt, store: Optional[Path] = StoreOpt) -> None:
    """Detach an identifier from whatever person it was attributed to."""
    from fusioncell.resolve.decisions import split_off
    from fusioncell.security.audit import current_actor

    with _open(case, store) as cs:
        d = split_off(cs, identifier, analyst=current_actor(), reason=reason)
        record_command(cs, "override-split", why=reason, identifiers=list(d.identifiers))
        _print_decision("split", d)


@override_app.command("undo")
def override_undo(case: Path = CaseArg, reason: str = ReasonOpt, store: Optional[Path] = StoreOpt) -> None:
    """Remove the newest decision: every answer is again what it was before it."""
    from fusioncell.resolve.decisions import undo

    with _open(case, store) as cs:
        d = undo(cs)
        record_command(cs, "override-undo", why=reason, identifiers=list(d.identifiers), person=d.person)
        _print_decision("undone", d)


@override_app.command("list")
def override_list(case: Path = CaseArg, format: Fmt = typer.Option(Fmt.text, "--format"),
                  store: Optional[Path] = StoreOpt) -> None:
    """The decisions in force, newest first."""
    from dataclasses import asdict

    from fusioncell.resolve.decisions import decisions

    with _open(case, store) as cs:
        rows = [asdict(d) for d in decisions(cs)]
        record_command(cs, "override-list", n=len(rows))
    _emit({"n_decisions": len(rows), "decisions": rows}, format, lambda r: "\n".join(
        f"{d['decided_at']}  {', '.join(d['identifiers'])} → {d['person'] or 'nobody'}  by {d['analyst']}: {d['reason']}"
        for d in r["decisions"]) or "(no analyst decisions)")


# --- workbench (issue #16) ---------------------------------------------------------------
@app.command()
def serve(case: Path = CaseArg, host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (localhost by default)."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port.")) -> None:
    """Serve the analyst's workbench JSON API (/api/v1, /openapi.json) for a case."""
    from fusioncell.server.app import serve as run

    _loaded()
    run(case, host=host, port=port)


users_app = typer.Typer(help="Workbench accounts (fusioncell serve).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(name: str = typer.Argument(..., help="User name."),
              case: Path = typer.Option(..., "--case", help="Case folder or store the account is for."),
              role: str = typer.Option(..., "--role", help="analyst, supervisor or liaison."),
              agency: str = typer.Option(..., "--agency", help="The user's agency."),
              store: Optional[Path] = StoreOpt) -> None:
    """Add a workbench user; the password is prompted for (or read from stdin), never an argument."""
    from fusioncell.server.auth import add_user

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with _open(case, store) as cs:
        who = add_user(cs, name, role, agency, password)
        record_command(cs, "users-add", user=who.name, role=who.role, agency=who.agency)
    typer.echo(f"user {who.name}: {who.role}, {who.agency}")


def _igraph_without_pyplot() -> None:
    """Import igraph with matplotlib hidden: its drawing modules import ``matplotlib.pyplot`` when they
    can (0.37 s of every command that builds a graph, net12); fusioncell never draws with igraph (its
    figures use matplotlib directly, which imports normally afterwards)."""
    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        return
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # `import matplotlib` raises ImportError
    try:
        import igraph  # noqa: F401
    except ImportError:  # no igraph: the commands that need it say so themselves
        pass
    finally:
        del sys.modules["matplotlib"]


#: Net allocations between two young-generation garbage collections while a command starts (CPython's default
#: is 700). Loading a command's modules makes a few hundred thousand objects that all live to the end of the
#: process; at 700 the collector scanned them in ~120 collections that freed ~600 objects: 0.04-0.08 CPU s of
#: a `network` run (net18, docs/benchmarks.md). At this threshold a start takes at most one.
STARTUP_GC_YOUNG = 200_000

#: The collector's thresholds before :func:`_startup` raised them (None: not raised, or restored).
_gc_default: Optional[tuple[int, int, int]] = None
#: Whether :func:`_loaded` has frozen the process's objects: once per process (`main` called again and again
#: in one process, as the ingest fuzzer does, does not make each call's leftover garbage permanent).
_gc_frozen = False


def _startup() -> None:
    """What the command line does before parsing: collect garbage rarely while modules load (:func:`_loaded`
    undoes it) and import igraph without matplotlib. Idempotent; ``bench/network_stages.py`` calls it first,
    as :func:`main` does."""
    global _gc_default
    if _gc_default is None:
        _gc_default = gc.get_threshold()
        gc.set_threshold(STARTUP_GC_YOUNG, *_gc_default[1:])
    _igraph_without_pyplot()


def _loaded(freeze: bool = True) -> None:
    """The command has imported what it runs on (it is opening its case, or serving): freeze the objects made
    so far (module code and data, kept to the end: no collection scans them again, the one at exit included)
    and collect at CPython's usual pace from here. A command that never calls this collects less often until
    :func:`main` returns (``freeze=False`` there: only the pace is restored, for a caller that goes on)."""
    global _gc_default, _gc_frozen
    if _gc_default is not None:
        if freeze and not _gc_frozen:
            gc.freeze()
            _gc_frozen = True
        gc.set_threshold(*_gc_default)
        _gc_default = None


def main() -> None:
    """Entry point: user errors become one line and exit code 2."""
    _startup()
    try:
        app(standalone_mode=True)
    except FusioncellError as exc:
        from fusioncell.model.text import one_line  # a quoted value must not split the line or drive the terminal

        typer.echo(f"fusioncell: error: {one_line(str(exc))}", err=True)
        sys.exit(2)
    finally:
        _loaded(freeze=False)  # a command that opened no case: CPython's pace again (main called in a process)


if __name__ == "__main__":
    main()
