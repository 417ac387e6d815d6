"""``fusioncell network``: the JSON of the CLI contract and its text rendering."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from fusioncell.errors import UsageError
from fusioncell.network.api import around, close_circle, display_identifiers, hubs, key_players, resolve_focus, tie_graph
from fusioncell.resolve import burner_successions, group_switches, person_of
from fusioncell.store import CaseStore

CIRCLE_K = 20
TOP_PLAYERS = 10


def network_report(
    store: CaseStore,
    focus: str | None = None,
    hops: int = 2,
    graphml: Path | None = None,
    gexf: Path | None = None,
    layers: list[str] | None = None,
) -> dict[str, Any]:
    """The ``network`` section of the CLI contract (see docs/network.md).

    Without ``focus`` the whole case graph (the cached whole-case ties table);
    with it, the focus's ``hops`` neighbourhood (key players, communities, hubs
    and burner successions restricted to it) and its close circle, all read from
    the ties of that neighbourhood alone (:func:`fusioncell.network.api.around`;
    the whole-case table is neither built nor read, except on a non-DuckDB engine).
    """
    if hops < 1:
        raise UsageError("--hops must be at least 1")
    case_rows = store.con.execute("SELECT case_id FROM case_info LIMIT 1").fetchall()
    case_id = case_rows[0][0] if case_rows else None
    node = resolve_focus(store, focus) if focus else None
    hood = around(store, [focus], hops, table="_net_report_hood") if focus else None
    nodes = hood.nodes if hood else None
    table = hood.table if hood else None
    shown = display_identifiers(store, nodes)
    owner = person_of(store)
    persons = set(owner.values())

    def ident(n: str) -> str:
        return shown.get(n, n)

    def person(n: str) -> str | None:
        return n if n in persons else owner.get(n)

    kp = key_players(store, nodes, top=TOP_PLAYERS, layers=layers, ties_table=table)
    players = [
        {"rank": i, "identifier": ident(r["node"]), "person": person(r["node"]), "score": r["score"],
         "measures": r["measures"], "layers": r["layers"]}
        for i, r in enumerate(kp["ranked"], 1)
    ]
    hood_ids = None
    if nodes is not None:
        in_hood = set(nodes)
        hood_ids = in_hood | {i for i, p in owner.items() if p in in_hood}
    bs = [
        {**{k: b[k] for k in ("old", "new", "score", "handover", "why")}, "group": None, "p": b["score"]}
        for b in burner_successions(store)
        if hood_ids is None or b["old"] in hood_ids or b["new"] in hood_ids
    ]
    singles = {(b["old"], b["new"]) for b in bs}
    bs += [
        {"old": g["old"], "new": g["new"], "score": g["p"], "handover": g["handover"], "why": g["why"],
         "group": g["group"], "p": g["p"]}
        for g in group_switches(store)
        if (g["old"], g["new"]) not in singles and (hood_ids is None or g["old"] in hood_ids or g["new"] in hood_ids)
    ]
    comms = [
        {"id": i, "members": sorted({ident(n) for n in members})}
        for i, members in enumerate(kp["communities"])
        if len(members) >= 2
    ]
    result: dict[str, Any] = {
        "case": case_id,
        "focus": _normalised(store, focus) if focus else None,
        "focus_person": person(node) if node else None,
        "close_circle": [
            {k: r[k] for k in ("rank", "identifier", "person", "strength", "relationship", "relationship_p", "why")}
            for r in close_circle(store, focus, CIRCLE_K, ties_table=table, shown=shown)
        ] if focus else [],
        "key_players": players,
        # the last ranks, when they are a draw among equal degrees (docs/network.md, Key players)
        "key_players_tie": kp["tie"],
        "kpp_pos": [ident(n) for n in kp["kpp_pos"]["nodes"]],
        "kpp_neg": [ident(n) for n in kp["kpp_neg"]["nodes"]],
        "burner_successions": bs,
        "communities": comms,
        "layers": layers or ["calls", "claims", "meetings", "vehicles", "places"],
        # call centres / voicemail numbers whose ties are down-weighted (docs/network.md, Hubs)
        "hubs": [{"identifier": ident(h["node"]), "contacts": int(h["contacts"])} for h in hubs(store, around=hood)],
    }
    if graphml or gexf:
        g = tie_graph(store, nodes=nodes, layers=layers, ties_table=table).graph
        if g.vcount():
            g.vs["identifier"] = [ident(n) for n in g.vs["name"]]
            g.vs["person"] = [person(n) or "" for n in g.vs["name"]]
            comm_of = {n: i for i, ms in enumerate(kp["communities"]) for n in ms}
            g.vs["community"] = [comm_of.get(n, -1) for n in g.vs["name"]]
            if "layers" in g.es.attributes():  # Gephi colours edges by a plain string
                g.es["layers"] = [",".join(x or []) for x in g.es["layers"]]
            _annotate(g, kp["ranked"], result, ident, node)
        if graphml:
            from fusioncell.network.export import write_graphml  # xml.etree: only when a file is asked for

            write_graphml(g, Path(graphml))
        if gexf:
            from fusioncell.network.export import write_gexf

            write_gexf(g, Path(gexf))
    return result


def _annotate(g: Any, ranked: list[dict[str, Any]], result: dict[str, Any], ident: Any, focus: str | None) -> None:
    """Gephi attributes: nodes carry their key-player rank and score and their role; edges their type and score.

    ``key_player_rank`` is 0 for a node outside the ranked list; ``role`` is
    "focus", the close-circle relationship (e.g. "partner"), or "".
    """
    rank = {r["node"]: (i, float(r["score"])) for i, r in enumerate(ranked, 1)}
    g.vs["key_player_rank"] = [rank.get(n, (0, 0.0))[0] for n in g.vs["name"]]
    g.vs["key_player_score"] = [rank.get(n, (0, 0.0))[1] for n in g.vs["name"]]
    roles = {c["identifier"]: str(c.get("relationship") or "") for c in result.get("close_circle") or []}
    g.vs["role"] = ["focus" if focus is not None and n == focus else roles.get(ident(n), "") for n in g.vs["name"]]
    if g.ecount():
        g.es["relationship"] = list(g.es["layers"]) if "layers" in g.es.attributes() else ["tie"] * g.ecount()
        g.es["score"] = [float(w) for w in g.es["weight"]] if "weight" in g.es.attributes() else [1.0] * g.ecount()


def _normalised(store: CaseStore, text: str) -> str:
    """The focus as the case writes identifiers (E.164 for a phone), else as given. An identifier the case
    holds as typed is written so already (ingest normalised it, and normalising is idempotent): kept without
    parsing it again (net18: the parse loads phonenumbers)."""
    from fusioncell.model.identifiers import IdentifierError, normalize_identifier

    if store.con.execute("SELECT 1 FROM identifiers WHERE identifier = ? LIMIT 1", [text.strip()]).fetchall():
        return text.strip()
    rows = store.con.execute("SELECT phone_region FROM case_info LIMIT 1").fetchall()
    try:
        return normalize_identifier(text, region=rows[0][0] if rows else None).value
    except IdentifierError:
        return text.strip()


def render_text(d: dict[str, Any]) -> str:
    """Human-readable rendering of :func:`network_report` (rich tables)."""
    from rich.console import Console
    from rich.table import Table

    con = Console(record=True, width=120, file=io.StringIO())
    title = f"Network of case {d.get('case') or '?'}"
    if d.get("focus"):
        title += f" around {d['focus']}" + (f" ({d['focus_person']})" if d.get("focus_person") else "")
    con.print(f"[bold]{title}[/bold]")
    if d.get("close_circle"):
        t = Table(title="Close circle", show_lines=False)
        for c in ("#", "identifier", "person", "strength", "relationship", "p", "why"):
            t.add_column(c, overflow="fold")
        for r in d["close_circle"]:
            t.add_row(str(r["rank"]), r["identifier"], r["person"] or "", f"{r['strength']:.2f}", r["relationship"],
                      f"{r['relationship_p']:.2f}", r["why"])
        con.print(t)
    t = Table(title="Key players")
    for c in ("#", "identifier", "person", "score", "degree", "betweenness", "brokerage", "KPP"):
        t.add_column(c, overflow="fold")
    for r in d.get("key_players", []):
        m = r["measures"]
        kpp = ",".join(x for x, f in (("pos", m.get("kpp_pos")), ("neg", m.get("kpp_neg"))) if f)
        t.add_row(str(r["rank"]), r["identifier"], r["person"] or "", f"{r['score']:.2f}", str(m["degree"]),
                  f"{m['betweenness']:.3f}", str(m["brokerage"]), kpp)
    con.print(t)
    tie = d.get("key_players_tie")
    if tie:
        ranks = f"rank {tie['first_rank']}" if tie["shown"] == 1 else f"ranks {tie['first_rank']}-{len(d['key_players'])}"
        con.print(f"{ranks}: {tie['shown']} of the {tie['among']} people with degree {tie['degree']}; among them "
                  "the order is betweenness, no better than chance at finding leaders (docs/network.md)")
    if d.get("burner_successions"):
        t = Table(title="Burner successions")
        for c in ("old", "new", "score", "handover", "why"):
            t.add_column(c, overflow="fold")
        for b in d["burner_successions"]:
            t.add_row(b["old"], b["new"], f"{b['score']:.2f}", b["handover"], b["why"])
        con.print(t)
    if d.get("hubs"):
        con.print("[bold]Hubs[/bold] (ties down-weighted): "
                  + ", ".join(f"{h['identifier']} ({h['contacts']} contacts)" for h in d["hubs"][:10])
                  + (f" (showing 10 of {len(d['hubs'])})" if len(d["hubs"]) > 10 else ""))
    comms = d.get("communities", [])
    if comms:
        con.print(f"[bold]Communities[/bold]: {len(comms)} (largest {len(comms[0]['members'])} members)")
        for c in comms[:5]:
            more = f" (showing 8 of {len(c['members'])})" if len(c["members"]) > 8 else ""
            con.print(f"  {c['id']}: " + ", ".join(c["members"][:8]) + more)
        if len(comms) > 5:
            con.print(f"  showing 5 of {len(comms)} communities (--format json lists all)")
    return con.export_text()
