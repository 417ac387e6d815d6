"""The target's circle: whose movements tell us where a phoneless man is.

A fugitive who carries no phone is found through the people around him. This
module turns what the case knows into a weighted list of *circle members*:
identifiers whose positions are evidence about where the target stays, each
with a ``relevance`` in [0, 1] and the reasons for it.

Sources of membership, all with provenance:

* informant claims linking a person to the target (``partner_of``,
  ``family_of``, ``associate_of``, ``works_for``, ``meets``), weighted through
  the one Admiralty table (:mod:`fusioncell.model.grading`);
* the identifiers those persons use: entities.jsonl (``Person.phone``,
  ``Vehicle.registrationNumber``) and ``uses`` claims (also graded);
* FollowTheMoney ``Family`` / ``Associate`` entities that name the target;
* behaviour: the strongest call-record contacts of a known member (a
  partner's confidants, a courier's dispatcher) enter with a reduced weight.

Role weights say how much a member's movements say about *his* location: a
partner who spends nights with him says much, a cousin little. They are a
documented prior (``ROLE_RELEVANCE``), not fitted.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

import numpy as np

from fusioncell.infer.cellnights import (  # noqa: F401 - the circle's measures, re-exported
    AWAY_MAX_M as AWAY_MAX_M,
    AWAY_MIN_M as AWAY_MIN_M,
    away_night_fraction as away_night_fraction,
    remote_night_fraction as remote_night_fraction,
)
from fusioncell.infer.succession import Chained, chains_among
from fusioncell.model.grading import grade, p_true
from fusioncell.model.night import NIGHT
from fusioncell.resolve import Persons
from fusioncell.resolve import persons as resolved_persons
from fusioncell.security.naming import Namer
from fusioncell.spacetime.geo import haversine_m
from fusioncell.spacetime.home import night_homes
from fusioncell.store import CaseStore

log = logging.getLogger(__name__)

#: How much a member's movements tell about the target's location, by role.
ROLE_RELEVANCE: dict[str, float] = {
    "self": 1.0,  # a phone attributed to the target himself: where it sleeps, he may
    "partner": 1.0,
    "meets": 0.6,
    "associate": 0.5,
    "works_for": 0.5,
    "family": 0.35,
    "contact": 0.25,  # strong call-record tie of a member
    "tracked": 0.3,  # an identifier the investigation tracks, with no reported link
}

_PREDICATE_ROLE = {
    "partner_of": "partner",
    "family_of": "family",
    "associate_of": "associate",
    "works_for": "works_for",
    "meets": "meets",
}


class Use(NamedTuple):
    """Evidence that a person uses an identifier: probability, the reasons an analyst reads, source ids."""

    p: float
    reasons: list[str]
    sources: set[str]


class Link(NamedTuple):
    """Evidence that a person stands in a role to the target: probability, reason, source and report ids."""

    p: float
    reason: str
    source_id: str | None
    report_id: str | None


@dataclass
class Member:
    """One identifier in the target's circle.

    ``p_identity``: probability that this identifier is used by a person who
    stands in ``role`` to the target (claim grades times attribution);
    ``relevance`` = role weight × ``p_identity``.
    """

    identifier: str
    person: str | None
    role: str
    relevance: float
    p_identity: float = 0.0
    reasons: list[str] = field(default_factory=list)
    source_ids: set[str] = field(default_factory=set)
    report_ids: set[str] = field(default_factory=set)
    #: every role this identifier may stand in (an informant's "meets" and a
    #: "partner" alias can point at one number), with its probability
    roles: dict[str, float] = field(default_factory=dict)
    #: per role: probability that the identifier is that person's (attribution alone, without the
    #: grade of the report that links the person to the target); a number inferred from behaviour
    #: as an alias-only partner's is hers only at the weight its candidate got
    attribution: dict[str, float] = field(default_factory=dict)
    #: the roles in which a report, a known entity or the resolve stage attributes the identifier (not
    #: behaviour alone: a candidate of an alias-only partner is hers by inference, however likely)
    reported: set[str] = field(default_factory=set)
    #: the investigation tracks it (its handset fixes are in the case): its nights are read fix by fix
    tracked: bool = False
    #: per role, the person it stands for in that role (``person`` is the one of its strongest role: a
    #: lieutenant's number that may also be the alias-only partner's is the partner's candidate, not his)
    role_person: dict[str, str] = field(default_factory=dict)

    def hers_by_report(self, roles: tuple[str, ...] = ("partner",), at_least: float = 0.5) -> bool:
        """Whether a report, a known entity or resolve attributes the identifier in one of ``roles`` with
        probability ``at_least`` (behaviour alone never does: a lieutenant's phone may look like hers)."""
        return bool(self.reported & set(roles)) and max(self.attribution.get(r, 0.0) for r in roles) >= at_least


@dataclass
class Circle:
    target: str
    target_keys: frozenset[str]
    members: dict[str, Member]

    def identifiers(self) -> list[str]:
        return sorted(self.members, key=lambda i: (-self.members[i].relevance, i))


def _attributed(idents: dict[str, Use]) -> float:
    """How likely at least one of a person's attributed numbers is really hers, counting each body of evidence
    once: numbers resting on the same sources (one report's number and its burner successor, which resolve
    gives her because of that report) are one attribution (their best), and independent ones combine.

    >>> one = {"+521": Use(0.868, [], {"src-b2"}), "+522": Use(0.866, [], {"src-b2"})}
    >>> round(_attributed(one), 3)  # one B2 report, not two: the circle still looks for her number
    0.868
    >>> round(_attributed({"+521": Use(0.868, [], {"src-1"}), "+522": Use(0.868, [], {"src-2"})}), 3)
    0.983
    """
    best: dict[frozenset[str], float] = {}
    for u in idents.values():
        key = frozenset(u.sources)
        best[key] = max(best.get(key, 0.0), u.p)
    return _noisy_or(best.values())


def _noisy_or(ps: Iterable[float]) -> float:
    q = 1.0
    for p in ps:
        q *= 1.0 - p
    return 1.0 - q


def target_keys(store: CaseStore, target: str) -> frozenset[str]:
    """The target's entity id and every identifier that names him (aliases, plates)."""
    rows = store.con.execute(
        "SELECT identifier FROM entity_identifiers WHERE entity_id = ?", [target]
    ).fetchall()
    keys = {target, *(r[0] for r in rows)}
    # alias claims about the target ("person-target uses alias:El Señor")
    rows = store.con.execute(
        "SELECT object FROM claims WHERE predicate = 'uses' AND subject = ? AND object LIKE 'alias:%'",
        [target],
    ).fetchall()
    keys.update(r[0] for r in rows)
    return frozenset(keys)


def _person_keys(store: CaseStore, key: str, who: Persons) -> set[str]:
    """Entity ids and aliases that designate the same person as ``key``.

    From the case's entities, and from the resolve stage (:func:`fusioncell.resolve.persons`:
    merged person records, an alias the analyst merged into a person); a name the
    analyst split off or gave to someone else is not hers.
    """
    keys = {key}
    if key.startswith("alias:"):
        rows = store.con.execute(
            "SELECT DISTINCT entity_id FROM entity_identifiers WHERE identifier = ?", [key]
        ).fetchall()
        keys.update(r[0] for r in rows if who.allows(key, {r[0]}))
    rows = store.con.execute(
        "SELECT identifier FROM entity_identifiers WHERE entity_id = ? AND identifier LIKE 'alias:%'",
        [key],
    ).fetchall()
    keys.update(r[0] for r in rows if who.allows(r[0], {key}))
    owner = who.person_of(key)
    if owner is not None:
        keys.add(owner)
    keys.update(a.identifier for a in who.identifiers_of(keys) if a.identifier.startswith("alias:")
                or a.method == "dedupe")
    return keys


def _identifiers_of(store: CaseStore, keys: set[str], who: Persons) -> dict[str, Use]:
    """Identifiers (phones, plates) used by a person designated by ``keys``.

    Returns identifier -> (confidence, reasons, source_ids).
    """
    out: dict[str, Use] = {}
    klist = sorted(keys)
    for k in klist:  # a claim may name the identifier itself ("+52… associate_of …")
        if k.startswith("+") or k.startswith(("plate:", "imei:", "imsi:")):
            out[k] = Use(1.0, ["named directly in a claim"], set())
    out.update(_observed_as_themselves(store, klist))
    for ident, ent, prop in store.con.execute(
        "SELECT identifier, entity_id, prop FROM entity_identifiers "
        "WHERE entity_id IN (SELECT unnest(?)) AND identifier NOT LIKE 'alias:%'",
        [klist],
    ).fetchall():
        out[ident] = Use(0.9, [f"{prop} of {ent} in the case's known entities"], set())
    rows = store.con.execute(
        "SELECT object, subject, reliability, credibility, source_id, report_id FROM claims "
        "WHERE predicate = 'uses' AND subject IN (SELECT unnest(?)) AND object IS NOT NULL "
        "AND object NOT LIKE 'alias:%'",
        [klist],
    ).fetchall()
    by_ident: dict[str, list[tuple[float, str, str]]] = {}
    for obj, subj, rel, cred, src, rid in rows:
        by_ident.setdefault(obj, []).append((p_true(rel, cred), f"report {rid} ({grade(rel, cred)}): {subj} uses it", src))
    for ident, items in by_ident.items():
        conf = _noisy_or(p for p, _, _ in items)
        prev = out.get(ident)
        reasons = [r for _, r, _ in items]
        srcs = {s for _, _, s in items}
        if prev:
            conf = _noisy_or([prev.p, conf])
            reasons = prev.reasons + reasons
            srcs |= prev.sources
        out[ident] = Use(conf, reasons, srcs)
    return _apply_resolution(keys, out, who)


def _observed_as_themselves(store: CaseStore, klist: list[str]) -> dict[str, Use]:
    """The person's own entity ids the case locates or sights directly (an entity id may stand wherever an
    identifier may: a tracker on her, fixes a partner resolved to her, an observer who saw her): those
    positions are hers, no phone in between. Before, they counted as an unknown lead's (relevance 0.3;
    bench/locate_perturb.py ``tracker-on-her``). Aliases are names, never observed, and are left out.
    """
    ents = [k for k in klist if not k.startswith(("alias:", "+", "plate:", "imei:", "imsi:"))]
    if not ents:
        return {}
    rows = store.con.execute(
        "SELECT identifier FROM (SELECT DISTINCT identifier FROM locations "
        "UNION SELECT DISTINCT subject FROM sightings) WHERE identifier IN (SELECT unnest(?)) ORDER BY 1",
        [ents],
    ).fetchall()
    return {r[0]: Use(1.0, [f"the person: the case locates or sights {r[0]} directly"], set()) for r in rows}


def _apply_resolution(keys: set[str], out: dict[str, Use],
                      who: Persons) -> dict[str, Use]:
    """Follow the resolve stage: its attributions (burner successors, merged person records, an
    analyst's merge) add identifiers to the person; an analyst's split or reassignment removes them."""
    # a number resolve adds (a burner successor of a reported number) rests on the reports behind her
    # other numbers: it carries their sources, so that one report is not counted twice (:func:`_attributed`)
    behind = set().union(*(u.sources for u in out.values())) if out else set()
    for a in who.identifiers_of(keys):
        if a.identifier.startswith("alias:") or a.identifier in keys:
            continue
        prev = out.get(a.identifier)
        why = f"resolved to {a.person} ({a.method}, p={a.confidence:.2f})"
        if prev is None or a.confidence > prev.p or a.method == "analyst":
            conf = 1.0 if a.method == "analyst" else a.confidence
            out[a.identifier] = Use(conf, (prev.reasons if prev else []) + [why], prev.sources if prev else set(behind))
    return _drop_decided(keys, out, who)


def _track_tested(store: CaseStore, idents: dict[str, Use]) -> dict[str, Use]:
    """The partner's attributed phones that the investigation tracks, tested by their nights.

    A report may give her a number that is not hers (a planted or stale report, an informant's mistake:
    graded A1 it still reads p 0.93). Tracked, such a phone sleeps at one house every night; hers would
    have been away or switched off on some (:func:`partner_track_ratio`). Its attribution is updated by
    Bayes; below 0.9 the circle looks for her number among her people's contacts again. An analyst's own
    attribution (p = 1) is not second-guessed."""
    nights = fix_nights(store, [i for i, u in idents.items() if i.startswith("+") and u.p < 1.0])
    out = dict(idents)
    for ident, fn in nights.items():
        lr = partner_track_ratio(fn)
        if lr >= 1.0:
            continue
        u = out[ident]
        p = u.p * lr / (u.p * lr + 1.0 - u.p)
        out[ident] = Use(p, u.reasons + [f"{_tested_note(fn)} (hers: {u.p:.2f} -> {p:.2f})"], u.sources)
    return out


#: The weight of the case's known entities when they give a number to a person (as in :func:`_identifiers_of`).
REGISTER_P = 0.9


def _contested(store: CaseStore, keys: set[str], idents: dict[str, Use], who: Persons) -> dict[str, Use]:
    """Numbers a report gives her that the case's known entities give to someone else.

    A handset has one user: the report and the register cannot both be right. A planted report graded A1
    (p 0.95) gives her a number the entity file lists under another woman's name and alias; alone it
    would settle her number, and her real one would never be looked for. The two are weighed as the
    competing explanations they are (odds of the claim over the register's, :data:`REGISTER_P`): an A1
    claim falls to 0.68, below the 0.9 at which the circle looks for her number among her people's
    contacts again. An analyst's attribution (p = 1), or an entity the resolve stage has made hers, is
    not contested.
    """
    cand = sorted(i for i, u in idents.items() if u.p < 1.0 and i.startswith("+"))
    if not cand:
        return idents
    rows = store.con.execute(
        "SELECT i.identifier, i.entity_id, coalesce(e.caption, i.entity_id) FROM entity_identifiers i "
        "LEFT JOIN entities e USING (entity_id) WHERE i.identifier IN (SELECT unnest(?)) ORDER BY 1, 2",
        [cand],
    ).fetchall()
    out = dict(idents)
    done: set[str] = set()
    for ident, ent, label in rows:
        if ident in done or ent in keys or who.person_of(ent) in keys:
            continue
        done.add(ident)
        u = out[ident]
        p = u.p * (1.0 - REGISTER_P) / (u.p * (1.0 - REGISTER_P) + REGISTER_P * (1.0 - u.p))
        out[ident] = Use(p, u.reasons + [f"the case's known entities give this number to {label} ({ent}), someone "
                                         f"else: contested (hers: {u.p:.2f} -> {p:.2f})"], u.sources)
    return out


def _tested_note(fn: FixNights) -> str:
    """What the tracking test says, for the evidence chain and ``identify``."""
    return (f"tracked {fn.nights + fn.dark} nights, away or off on {fn.away + fn.dark}: a partner's phone would "
            "have spent more nights with him")


def _drop_decided(keys: set[str], out: dict[str, Use],
                  who: Persons) -> dict[str, Use]:
    """Remove identifiers the analyst has said are not this person's (split, or given to someone else)."""
    return {i: v for i, v in out.items() if who.allows(i, keys)}


def _ftm_role(schema: str, relationship: str) -> str:
    """The circle role of a FollowTheMoney ``Family`` / ``Associate`` link, read from its ``relationship`` text
    with the network stage's words (one vocabulary: a "spouse", "esposo" or "concubina" is a partner, a
    "hermana" in an Associate is family); the schema decides when the text says nothing known.

    >>> _ftm_role("Family", "spouse"), _ftm_role("Associate", "hermana"), _ftm_role("Associate", "business partner")
    ('partner', 'family', 'associate')
    """
    from fusioncell.network.ties import RELATION_WORDS

    if re.search(r"business|negocio|socio|colleague|colega", relationship):
        return "associate"
    for predicate, role in (("partner_of", "partner"), ("family_of", "family"), ("works_for", "associate")):
        if relationship and re.search(RELATION_WORDS[predicate], relationship):
            return role
    return "family" if schema == "Family" else "associate"


def _ftm_links(store: CaseStore, keys: frozenset[str],
               persons: dict[tuple[str, str], list[Link]]) -> None:
    """FollowTheMoney Family / Associate entities that name the target add (person, role) links."""
    import json

    ftm = store.con.execute("SELECT schema, properties FROM entities WHERE schema IN ('Family', 'Associate')").fetchall()
    for schema, props_json in ftm:
        props = json.loads(props_json) if isinstance(props_json, str) else (props_json or {})
        person = props.get("person", [])
        other_side = props.get("relative" if schema == "Family" else "associate", [])
        rel_kind = " ".join(props.get("relationship", [])).lower()
        role = _ftm_role(schema, rel_kind)
        for a, b in ((person, other_side), (other_side, person)):
            if any(x in keys for x in a):
                for o in b:
                    if o not in keys:
                        persons.setdefault((o, role), []).append(Link(0.8, f"known {schema} link ({rel_kind or schema})", None, None))


def target_circle(store: CaseStore, target: str, *, contact_k: int = 3, who: Persons | None = None) -> Circle:
    """Members of the target's circle with relevance weights and reasons.

    Who uses which identifier comes from the resolve stage (``who``, default
    :func:`fusioncell.resolve.persons`), so an analyst's merge, split or undo
    changes the circle, and through it locate and plan.
    """
    who = resolved_persons(store) if who is None else who
    keys = target_keys(store, target)
    klist = sorted(keys)
    rows = store.con.execute(
        """
        SELECT CASE WHEN subject IN (SELECT unnest($1)) THEN object ELSE subject END AS other,
               predicate, reliability, credibility, source_id, report_id
        FROM claims
        WHERE predicate IN ('partner_of', 'family_of', 'associate_of', 'works_for', 'meets')
          AND (subject IN (SELECT unnest($1)) OR object IN (SELECT unnest($1)))
        ORDER BY report_id, claim_no, other, predicate  -- equal links keep one order (a role tie is no coin toss)
        """,
        [klist],
    ).fetchall()
    persons: dict[tuple[str, str], list[Link]] = {}
    for other, pred, rel, cred, src, rid in rows:
        if other is None or other in keys:
            continue
        role = _PREDICATE_ROLE[pred]
        persons.setdefault((other, role), []).append(
            Link(p_true(rel, cred), f"report {rid} ({grade(rel, cred)}): {pred.replace('_', ' ')} the target", src, rid)
        )
    _ftm_links(store, keys, persons)

    members: dict[str, Member] = {}
    for (other, role), items in persons.items():
        p_link = _noisy_or(p for p, _, _, _ in items)
        pkeys = _person_keys(store, other, who)
        idents = _identifiers_of(store, pkeys, who)
        if role == "partner":
            idents = _track_tested(store, _contested(store, pkeys, idents, who))
        reported = set(idents)
        if _attributed(idents) < 0.9:
            # a weakly attributed number may not be hers: her real one is then
            # among the frequent contacts of the people close to her
            idents = _candidate_phones(store, other, keys, role, idents, who)
            idents = _drop_decided(pkeys, idents, who)
        for ident, (p_use, use_reasons, use_srcs) in idents.items():
            rel = ROLE_RELEVANCE[role] * p_link * p_use
            m = members.get(ident)
            if m is None:
                m = members[ident] = Member(ident, other, role, rel, p_link * p_use)
            elif rel > m.relevance:
                m.person, m.role, m.relevance, m.p_identity = other, role, rel, p_link * p_use
            if p_link * p_use >= m.roles.get(role, 0.0):
                m.role_person[role] = other
            m.roles[role] = max(m.roles.get(role, 0.0), p_link * p_use)
            m.attribution[role] = max(m.attribution.get(role, 0.0), p_use)
            if ident in reported:
                m.reported.add(role)
            # once each: a number that may be the phone of several people is met once per person, and the
            # reasons it shares across them (a report, one owner with another number) are said once
            m.reasons.extend(dict.fromkeys(r for r in [r for _, r, _, _ in items] + use_reasons if r not in m.reasons))
            m.source_ids.update(s for _, _, s, _ in items if s)
            m.source_ids.update(use_srcs)
            m.report_ids.update(r for _, _, _, r in items if r)

    # the identifiers the investigation tracks are leads by definition
    for (ident,) in store.con.execute("SELECT DISTINCT identifier FROM locations ORDER BY 1").fetchall():
        if ident in keys:
            continue
        m = members.get(ident)
        if m is None:
            members[ident] = Member(ident, None, "tracked", ROLE_RELEVANCE["tracked"], 0.3,
                                    ["tracked by the investigation (a lead)"], tracked=True)
            continue
        m.tracked = True
        if m.relevance < ROLE_RELEVANCE["tracked"]:
            m.relevance = ROLE_RELEVANCE["tracked"]
            m.reasons.append("tracked by the investigation (a lead)")

    # his own phones (attributed to the target entity): rare for a man in hiding, decisive when there
    for ident in sorted(keys):
        if ident.startswith("+") and ident not in members:
            members[ident] = Member(ident, target, "self", ROLE_RELEVANCE["self"], 1.0,
                                    ["his own phone (attributed to the target)"], roles={"self": 1.0},
                                    attribution={"self": 1.0}, reported={"self"})

    _add_contacts(store, members, keys, contact_k)
    return Circle(target, keys, members)


def _add_contacts(store: CaseStore, members: dict[str, Member], keys: frozenset[str], contact_k: int) -> None:
    """Behaviour: the ``contact_k`` strongest contacts of the strongest members join the circle."""
    core = [m for m in members.values() if m.relevance >= 0.3 and m.identifier.startswith("+")]
    if not core:
        return
    name = Namer.of(store)  # reasons name phones by role and handle, never by number
    # one plan for every core member: each one's contact_k most frequent contacts (a self-call counts once)
    top: dict[str, list[tuple[str, int]]] = {}
    for ident, other, n in store.con.execute(
        """
        WITH e AS (
          SELECT caller AS m, callee AS other, duration_s FROM comms WHERE caller IN (SELECT unnest($1))
          UNION ALL
          SELECT callee, caller, duration_s FROM comms WHERE callee IN (SELECT unnest($1)) AND caller <> callee
        ), g AS (
          SELECT m, other, count(*) AS n, sum(duration_s) AS d FROM e GROUP BY m, other
        )
        SELECT m, other, n FROM g
        QUALIFY row_number() OVER (PARTITION BY m ORDER BY n DESC, d DESC, other) <= $2
        ORDER BY m, n DESC, d DESC, other
        """,
        [sorted({m.identifier for m in core}), contact_k],
    ).fetchall():
        top.setdefault(str(ident), []).append((str(other), int(n)))
    for m in core:
        for other, n in top.get(m.identifier, []):
            if other in members or other in keys:
                continue
            rel = ROLE_RELEVANCE["contact"] * m.relevance
            members[other] = Member(
                other, None, "contact", rel, m.p_identity,
                [f"frequent contact of {name(m.identifier, m.role)} ({n} calls/messages)"],
            )


def _anchor_phones(store: CaseStore, person: str, exclude: frozenset[str], role: str, who: Persons) -> set[str]:
    """The phones of the people close to ``person`` (reports link them), and the investigation's leads.

    The identifiers the investigation tracks count only when no report ties anyone with a phone to the
    person: most are tracked as candidates for her own number or as his men, and each wrong one would
    bring its own contacts in as candidates (her number fell out of the list in the loop; session 14).
    """
    pkeys = _person_keys(store, person, who)
    anchors = store.con.execute(
        """
        SELECT DISTINCT CASE WHEN object IN (SELECT unnest($1)) THEN subject ELSE object END
        FROM claims
        WHERE predicate IN ('associate_of', 'family_of', 'meets', 'works_for', 'partner_of')
          AND (subject IN (SELECT unnest($1)) OR object IN (SELECT unnest($1)))
        """,
        [sorted(pkeys)],
    ).fetchall()
    anchor_ids: set[str] = set()
    for (a,) in anchors:
        if a is None or a in exclude or a in pkeys:
            continue
        anchor_ids.update(i for i in _identifiers_of(store, _person_keys(store, a, who), who) if i.startswith("+"))
    if not anchor_ids:
        anchor_ids.update(r[0] for r in store.con.execute(
            "SELECT DISTINCT identifier FROM locations WHERE identifier LIKE '+%'").fetchall())
    return anchor_ids - exclude


def _frequent_contacts(store: CaseStore, anchor_ids: set[str]) -> list[tuple[str, str, int]]:
    """(anchor, contact, events) for each anchor's six most frequent contacts (one plan on the engine)."""
    if not anchor_ids:
        return []
    return [(str(a), str(b), int(n)) for a, b, n in store.con.execute(
        """
        WITH e AS (
          SELECT caller AS a, callee AS b FROM comms WHERE caller IN (SELECT unnest($1))
          UNION ALL SELECT callee, caller FROM comms WHERE callee IN (SELECT unnest($1))
        ), c AS (
          SELECT a, b, count(*) AS n, row_number() OVER (PARTITION BY a ORDER BY count(*) DESC, b) AS rk
          FROM e WHERE b <> a GROUP BY a, b
        )
        SELECT a, b, n FROM c WHERE rk <= 6
        """,
        [sorted(anchor_ids)],
    ).fetchall()]


def _candidate_phones(
    store: CaseStore, person: str, exclude: frozenset[str], role: str = "partner",
    claimed: dict[str, Use] | None = None, who: Persons | None = None,
) -> dict[str, Use]:
    """Phones that may belong to a person known by name or alias, weakly attributed.

    Informants often name the partner ("La Güerita") without her number, or
    with a number from a poorly graded report. Her number is then among the
    frequent contacts of the people close to her: those a report links to
    her, or, when no report does, the identifiers the investigation tracks
    (the friend of the partner who led to El Mencho) -- see :func:`_anchor_phones`.

    Every candidate -- each anchor's six most frequent contacts and every
    ``claimed`` number -- gets the weight

        odds(claim) x (contact share + 0.05) x (0.1 + away-night share)

    and, for the partner, a tracked candidate not claimed by a report also the
    tracking test (:func:`partner_track_ratio`: at home every night, it is
    probably not hers).

    where the contact share is its part of the anchors' contacts (0 for a
    number nobody close to her calls), odds(claim) = p/(1-p) of the best
    ``uses`` report naming it (1 when none does), and the away-night share is
    how often it spends the night away from its usual cell site (a partner
    visiting him overnight does). The weights are normalised to sum to 0.8:
    the number may not be in the case at all. A D3 report (p=0.54) thus
    moves a number only a little, while a number her friend calls every day
    and that sleeps away on a third of the nights rises to the top. (Chosen
    on simulated training seeds 0-7, where the partner's number is the top
    candidate of the seed lead's contacts in 20 of 24 cases, against 15 by
    call count alone.)
    """
    claimed = claimed or {}
    who = resolved_persons(store) if who is None else who
    anchor_ids = _anchor_phones(store, person, exclude, role, who)
    rows = _frequent_contacts(store, anchor_ids)
    rows = [(a, b, n) for a, b, n in rows if b not in exclude]
    if not rows:
        return dict(claimed)
    per_anchor: dict[str, float] = {}
    for a, _, n in rows:
        per_anchor[a] = per_anchor.get(a, 0.0) + float(n)
    share: dict[str, float] = {}
    for a, b, n in rows:
        share[b] = share.get(b, 0.0) + float(n) / per_anchor[a] / len(per_anchor)
    phones = sorted(set(share) | {c for c in claimed if c.startswith("+")})
    chained = {k: v for k, v in chains_among(store, phones).items() if k not in exclude}
    phones = sorted(set(phones) | set(chained))  # a successor nobody close to her calls often yet
    # a tracked phone's own fixes say where it slept; for the others, remote masts away from its usual one
    tested = fix_nights(store, phones)
    fixed = {k: v.away / v.nights for k, v in tested.items()}
    away = {**remote_night_fraction(store, phones), **fixed}
    test = {b: partner_track_ratio(tested[b]) if role == "partner" and b in tested and b not in claimed else 1.0
            for b in phones}
    failed = {b for b in phones if test[b] < 1.0}  # tracked candidates whose nights speak against their being hers
    odds = {b: min(claimed[b].p, 0.99) / (1.0 - min(claimed[b].p, 0.99)) if b in claimed else 1.0 for b in phones}
    weight, owners = _owner_weights(phones, chained, odds, share, away, tested, test)
    z = owners or 1.0  # normalised over owners, not numbers: her two numbers are one candidate for her
    out: dict[str, Use] = {}
    name = Namer.of(store)  # callers named by handle, never by number
    for b in phones:
        why = [] if b not in claimed else list(claimed[b].reasons)
        srcs = set() if b not in claimed else set(claimed[b].sources)
        callers = sorted(a for a, bb, _ in rows if bb == b)
        why.append(
            f"may be {person}'s phone: "
            + (f"frequent contact of {name.many(callers)}" if callers else "not a frequent contact of anyone close to her")
            + (f", located away from where it usually sleeps on {100 * float(away.get(b, 0.0)):.0f}% of nights"
               if b in fixed else
               f", at a remote cell site away from its usual one on {100 * float(away.get(b, 0.0)):.0f}% of nights"))
        if b in failed:
            why.append(_tested_note(tested[b]))
        if b in chained and chained[b].why:
            why.append(f"one owner with {chained[b].root} ({chained[b].why}; link p={chained[b].link_p:.2f}): "
                       "their evidence weighed together")
        out[b] = Use(0.8 * weight[b] / z, why, srcs)
    # identifiers that are not phones (plates) keep their claimed confidence
    for c, v in claimed.items():
        if c not in out:
            out[c] = v
    return out


def _owner_weights(phones: list[str], chained: dict[str, Chained], odds: dict[str, float], share: dict[str, float],
                   away: dict[str, float], tested: dict[str, FixNights], test: dict[str, float]
                   ) -> tuple[dict[str, float], float]:
    """Each candidate number's weight, odds x (contact share + 0.05) x (0.1 + away-night share) x tracking
    test, computed per *owner*: the numbers of one chain of successions (:mod:`fusioncell.infer.succession`)
    pool their contact shares, take the best claim's odds, and spend their nights where the tracked ones
    did (the fixes of a tracked number say where its owner slept; otherwise the cell-site share, weighted
    by each number's contacts). Each number then carries its owner's weight times the chance that the
    links from the chain's first number to it are right; a number in no chain is its own owner. Returns the
    numbers' weights and the owners' summed weight (what the candidates are normalised by).

    >>> from fusioncell.infer.succession import Chained
    >>> ch = {"+1": Chained("+1", 1.0, ""), "+2": Chained("+1", 0.9, "")}
    >>> w, z = _owner_weights(["+1", "+2", "+3"], ch, {"+1": 1.0, "+2": 1.0, "+3": 1.0},
    ...                       {"+1": 0.3, "+2": 0.2, "+3": 0.4}, {"+1": 0.5, "+2": 0.5, "+3": 0.5}, {}, {})
    >>> {k: round(v, 3) for k, v in w.items()}, round(z, 2)  # her two numbers (0.3 + 0.2 of the calls) outweigh the 0.4
    ({'+1': 0.33, '+2': 0.297, '+3': 0.27}, 0.6)
    """
    groups: dict[str, list[str]] = {}
    for b in phones:
        groups.setdefault(chained[b].root if b in chained else b, []).append(b)
    out: dict[str, float] = {}
    total = 0.0
    for members in groups.values():
        fixes = [b for b in members if b in tested and tested[b].nights > 0]
        if fixes:  # the owner's nights, read fix by fix where any of the numbers was tracked
            owner_away = sum(tested[b].away for b in fixes) / sum(tested[b].nights for b in fixes)
        else:
            w = [share.get(b, 0.0) + 0.05 for b in members]
            owner_away = sum(wi * float(away.get(b, 0.0)) for wi, b in zip(w, members)) / sum(w)
        owner = (max(odds[b] for b in members) * (sum(share.get(b, 0.0) for b in members) + 0.05)
                 * (0.1 + owner_away) * float(np.prod([test.get(b, 1.0) for b in members])))
        total += owner
        for b in members:
            out[b] = owner * (chained[b].link_p if b in chained else 1.0)
    return out, total


#: A tracked handset's night is away when at least half its night fixes lie farther than this from where it
#: usually spends the night, or than twice the fix's accuracy if that is farther (metres): a house across town
#: is another house, which serving cells (a few km apart) cannot tell
FIX_AWAY_M = 1500.0


class FixNights(NamedTuple):
    """A tracked phone's nights, read from its handset fixes."""

    nights: int  #: nights with night-time fixes
    away: int  #: of them, nights spent away from its home (:data:`FIX_AWAY_M`)
    dark: int  #: nights without a single fix between its first and last fixed night (switched off)


def fix_away_night_fraction(store: CaseStore, phones: list[str]) -> dict[str, float]:
    """Share of each tracked phone's nights spent away from its home, read from its handset fixes.

    Cell records place a phone within a mast's reach, so a night at a house
    in the next quarter of town, or a few kilometres away, looks like home
    (:func:`away_night_fraction`). A tracked phone's fixes (100 m-1 km) show
    it. Home is the one definition, :func:`fusioncell.spacetime.home.night_homes`
    on the phone's night fixes (the ~400 m spot holding them on most nights);
    a night is away when most of its fixes are beyond :data:`FIX_AWAY_M` (or
    twice their accuracy) from it. Phones without night fixes are absent.
    """
    return {k: v.away / v.nights for k, v in fix_nights(store, phones).items()}


def fix_nights(store: CaseStore, phones: list[str]) -> dict[str, FixNights]:
    """Each tracked phone's nights with fixes, away nights and dark nights (see :func:`fix_away_night_fraction`).

    A tracked handset reports every 10-20 minutes; a night between its first and last fixed nights without
    one fix is a night it was switched off (or out of every mast's reach)."""
    if not phones:
        return {}
    tz = store.case().timezone
    lt = f"(observed AT TIME ZONE '{tz}')"
    f = store.con.execute(
        f"""
        SELECT identifier, lat, lon, coalesce(accuracy_m, 0.0) AS acc, {NIGHT.night_of_sql(lt)} AS night,
               {NIGHT.sql(lt)} AS is_night
        FROM locations WHERE identifier IN (SELECT unnest($1)) AND ({NIGHT.sql(lt)} OR {NIGHT.day_sql(lt)})
        """,
        [sorted(phones)],
    ).fetchnumpy()
    is_night = np.asarray(f["is_night"], dtype=bool)
    if not is_night.any():
        return {}
    every = np.ones(is_night.size, dtype=bool)
    homes = night_homes(np.asarray(f["identifier"], dtype=object), np.asarray(f["lat"], np.float64),
                        np.asarray(f["lon"], np.float64), np.asarray(f["acc"], np.float64), every, is_night,
                        np.asarray(f["night"]).astype("datetime64[D]").astype(np.int64), day=~is_night)
    ident = np.asarray(f["identifier"], dtype=object)[is_night]
    lat, lon, acc = (np.asarray(f[k], dtype=np.float64)[is_night] for k in ("lat", "lon", "acc"))
    night = np.asarray(f["night"]).astype("datetime64[D]").astype(np.int64)[is_night]
    names = sorted(homes)
    ids = np.searchsorted(names, ident.astype(str))
    hlat = np.array([homes[n].lat for n in names])[ids]
    hlon = np.array([homes[n].lon for n in names])[ids]
    beyond = haversine_m(lat, lon, hlat, hlon) > np.maximum(FIX_AWAY_M, 2.0 * acc)
    pn, inv = np.unique(np.stack([ids, night]), axis=1, return_inverse=True)  # (phone, night)
    inv = inv.ravel()
    away = np.bincount(inv, weights=beyond) / np.bincount(inv) >= 0.5
    n = np.bincount(pn[0])
    k = np.bincount(pn[0], weights=away)
    first = np.full(n.shape, np.iinfo(np.int64).max)
    last = np.full(n.shape, np.iinfo(np.int64).min)
    np.minimum.at(first, pn[0], pn[1])
    np.maximum.at(last, pn[0], pn[1])
    return {names[j]: FixNights(int(n[j]), int(k[j]), int(last[j] - first[j] + 1 - n[j])) for j in np.unique(pn[0])}


#: Testing an attribution by tracking: were the phone the partner's, it would spend this share of nights
#: away from its home or dark (a partner who visits a hidden man about weekly, the phone sometimes left
#: behind) ...
PARTNER_AWAY_RATE = 0.12
#: ... against this share for anyone else's phone (a night away now and then, a flat battery)
OTHER_AWAY_RATE = 0.03
#: ... and she may never take this phone when she goes to him: the floor of the test
LEFT_BEHIND_FLOOR = 0.1


def partner_track_ratio(nights: FixNights) -> float:
    """How much more likely a tracked phone's nights are were it the partner's than were it someone else's,
    capped at 1: the test only rules out (a lieutenant sleeping at safe houses passes it as well as she).

    Binomial on the nights away or dark, ``k`` of ``n``: (r1/r0)^k ((1-r1)/(1-r0))^(n-k), mixed with the
    chance she leaves this phone at home whenever she visits him (:data:`LEFT_BEHIND_FLOOR`).

    >>> round(partner_track_ratio(FixNights(28, 0, 0)), 3)  # four weeks at home every night
    0.159
    >>> partner_track_ratio(FixNights(28, 3, 1))  # four nights away or dark: no evidence against her
    1.0
    """
    n = nights.nights + nights.dark
    k = min(nights.away + nights.dark, n)
    r1, r0 = PARTNER_AWAY_RATE, OTHER_AWAY_RATE
    log_lr = k * np.log(r1 / r0) + (n - k) * np.log((1.0 - r1) / (1.0 - r0))
    return float(min(1.0, LEFT_BEHIND_FLOOR + (1.0 - LEFT_BEHIND_FLOOR) * np.exp(min(log_lr, 0.0))))
