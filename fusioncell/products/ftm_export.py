"""FollowTheMoney export, for tools built on it (OCCRP Aleph, nomenklatura).

:func:`tearline_to_ftm` turns a tearline (``fusioncell.tearline/1``) into
FollowTheMoney entities:

* the subject → ``Person`` (name, releasable phone numbers);
* each associate → ``Person`` (or ``Vehicle`` for a ``plate:`` identifier),
  linked by ``Family`` (relationship partner / family) or ``Associate``;
* each location hypothesis → ``Address`` (latitude, longitude, the ICD 203
  judgment as description) linked to the subject by an ``UnknownLink``
  whose role states the probability — a hypothesis is not an address of
  record, so it is not put in ``Person.addressEntity``.

:func:`comms_to_ftm` exports call records of a (releasability-filtered)
store as ``Call`` entities for an agency's own Aleph; a tearline never
carries call records (they are collection, not substance).

Every entity carries ``publisher`` = the producing agency and, in
``summary``, the TLP label of the element it came from. Entity ids are
deterministic (``make_id`` over the case and the element), so a re-share
updates rather than duplicates.
"""

from __future__ import annotations

from typing import Any, Iterator

from followthemoney import model
from followthemoney.proxy import EntityProxy

from fusioncell.products.language import judgment as estimative_sentence
from fusioncell.store import CaseStore


def _entity(schema: str, *key: Any) -> EntityProxy:
    ent = model.make_entity(schema)
    ent.make_id("fusioncell", schema, *map(str, key))
    return ent


def tearline_to_ftm(product: dict[str, Any]) -> list[dict[str, Any]]:
    """FollowTheMoney entities (as dicts) for a tearline."""
    case = str(product["case"])
    publisher = str(product["from"])
    out: list[EntityProxy] = []
    subj = product["subject"]
    person = _entity("Person", case, subj["id"])
    person.add("name", str(subj.get("name") or subj["id"]))
    for ident in subj.get("identifiers") or []:
        if str(ident).startswith("+"):
            person.add("phone", str(ident))
        elif str(ident).startswith("alias:"):
            person.add("alias", str(ident)[6:])
    person.add("publisher", publisher)
    person.add("summary", str(product["marking"]["tlp"]))
    out.append(person)

    for h in product.get("hypotheses") or []:
        addr = _entity("Address", case, h.get("lat"), h.get("lon"), h.get("radius_m"))
        label = str(h.get("label") or f"hypothesis {h.get('rank')}")
        addr.add("full", f"{label} ({h['lat']:.5f}, {h['lon']:.5f} ±{h.get('radius_m')} m)")
        addr.add("latitude", str(h["lat"]))
        addr.add("longitude", str(h["lon"]))
        addr.add("description", estimative_sentence("the subject is here", float(h.get("probability") or 0)))
        addr.add("publisher", publisher)
        addr.add("summary", str(h.get("marking")))
        link = _entity("UnknownLink", case, subj["id"], addr.id)
        link.add("subject", person.id)
        link.add("object", addr.id)
        link.add("role", f"possible location, p={float(h.get('probability') or 0):.2f}")
        link.add("publisher", publisher)
        out += [addr, link]

    for a in product.get("associates") or []:
        ident = str(a.get("identifier"))
        rel = str(a.get("relationship") or "associate")
        if ident.startswith("plate:"):
            other = _entity("Vehicle", case, ident)
            other.add("registrationNumber", ident[6:])
            other.add("name", ident[6:])
        else:
            other = _entity("Person", case, a.get("person") or ident)
            other.add("name", str(a.get("person") or ident))
            if ident.startswith("+"):
                other.add("phone", ident)
        other.add("publisher", publisher)
        other.add("summary", str(a.get("marking")))
        out.append(other)
        if other.schema.name == "Vehicle":
            link = _entity("UnknownLink", case, subj["id"], other.id)
            link.add("subject", person.id)
            link.add("object", other.id)
            link.add("role", rel)
        elif rel in ("partner", "family"):
            link = _entity("Family", case, subj["id"], other.id)
            link.add("person", person.id)
            link.add("relative", other.id)
            link.add("relationship", rel)
        else:
            link = _entity("Associate", case, subj["id"], other.id)
            link.add("person", person.id)
            link.add("associate", other.id)
            link.add("relationship", rel)
        if a.get("why"):
            link.add("description", str(a["why"]))
        link.add("publisher", publisher)
        out.append(link)
    return [e.to_dict() for e in out]


def comms_to_ftm(store: CaseStore, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """``Call`` entities (plus a ``Person`` per phone) for the comms of ``store``.

    Run it on a releasability view (:func:`fusioncell.security.releasability.view_for`)
    and mask identifiers first when the output leaves the case. Streams rows in
    batches; the per-row work is the FtM object construction itself.
    """
    case = store.case().case_id
    people: set[str] = set()
    sql = "SELECT event_id, caller, callee, start, duration_s FROM comms ORDER BY start, event_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cur = store.con.execute(sql)
    while batch := cur.fetchmany(10_000):
        for eid, caller, callee, start, duration in batch:
            for num in (caller, callee):
                if num not in people:
                    people.add(num)
                    p = _entity("Person", case, num)
                    p.add("name", num)
                    if num.startswith("+"):
                        p.add("phone", num)
                    yield p.to_dict()
            call = _entity("Call", case, eid)
            call.add("caller", _entity("Person", case, caller).id)
            call.add("receiver", _entity("Person", case, callee).id)
            if caller.startswith("+"):
                call.add("callerNumber", caller)
            if callee.startswith("+"):
                call.add("receiverNumber", callee)
            call.add("date", start.isoformat())
            call.add("duration", str(duration))
            yield call.to_dict()
