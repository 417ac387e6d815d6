"""``fusioncell plan``: whom to monitor next to find the target fastest.

For every identifier not yet tracked, the plan asks: if we tracked this
handset (or vehicle) for a while, how much would our uncertainty about where
the target is shrink? That is the *expected information gain* (mutual
information, in bits) between the target's location and what tracking would
show, under a simple observation model:

* with probability ``q`` the tracked person leads to the target's actual
  place (a partner's overnight visit, a courier's supply run): ``q`` comes
  from the person's role and tie to the target (the same documented relevance
  as :mod:`fusioncell.infer.circle`), times how often the phone is on;
* otherwise the track shows the person's own habits: the places where the
  cell-site hints in call records already put them at night (``b``), which
  reveal nothing about the target.

``IG = H(prior) - E_obs[H(posterior | obs)]``, computed exactly over the
current hypotheses plus *elsewhere*. A person whose cell-site hints already
point at the leading hypothesis gains less (we would only confirm it) than
one whose nights are spent somewhere we cannot yet see. Identifiers already
tracked in locations.csv are never recommended.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

from fusioncell.infer.blind import blind_spots, inside
from fusioncell.infer.choice import ChoiceModel
from fusioncell.infer.circle import Circle, away_night_fraction, remote_night_fraction
from fusioncell.infer.features import FEATURES
from fusioncell.infer.judgment import Cap, Support
from fusioncell.infer.succession import Chained, chains_among
from fusioncell.infer.locate import Analysis, analyse, hold_note, load_model, partner_share, posterior
from fusioncell.spacetime.geo import haversine_m
from fusioncell.store import CaseStore

FloatArray = npt.NDArray[np.float64]

#: Probability that tracking a person with this role leads to the target's place.
#: A partner's number attributed this surely needs no identification step.
KNOWN_P = 0.9
#: How much of an associate's own-habit track goes to decoy-like places (see :func:`decoy_baseline`).
DECOY_SHARE = 0.5
#: How far (L1, degrees, ~3 km) from her home her night-time positions still count as her habit.
HABIT_DEG = 0.03
ROLE_LEAD_P = {"self": 0.95, "partner": 0.85, "meets": 0.35, "associate": 0.2, "works_for": 0.4, "family": 0.25, "contact": 0.15}


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One identifier worth tracking: expected information gain (bits) and the reasons an analyst reads."""

    identifier: str
    person: str | None
    expected_gain: float
    why: str
    role: str

    def as_json(self, rank: int) -> dict[str, Any]:
        """The CLI contract's shape (``rank``, ``identifier``, ``person``, ``expected_gain``, ``why``; ``role`` added)."""
        return {"rank": rank, "identifier": self.identifier, "person": self.person,
                "expected_gain": self.expected_gain, "why": self.why, "role": self.role}


def _entropy(p: FloatArray) -> float:
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def expected_information_gain(prior: FloatArray, q: float, baseline: FloatArray) -> float:
    """Mutual information (bits) between the target's place and one track's outcome.

    ``prior``: probabilities over n candidate places plus *elsewhere* (last).
    ``q``: probability that the track leads to the target's true place.
    ``baseline``: where the track goes otherwise, over the n places plus
    "none of them" (last); sums to 1.

    Observations: place j (n of them), "a new place" (the target was
    elsewhere and the track found him) and "nothing". Leading to the true
    place happens with probability q.

    >>> round(expected_information_gain(np.array([0.5, 0.5, 0.0]), 1.0, np.array([0, 0, 1.0])), 3)
    1.0
    >>> expected_information_gain(np.array([0.5, 0.5, 0.0]), 0.0, np.array([0.3, 0.3, 0.4]))
    0.0
    """
    n = prior.shape[0] - 1
    # likelihood matrix L[state, obs]; states: n places + elsewhere; obs: n places + new + nothing
    L = np.zeros((n + 1, n + 2))
    L[:n, :n] = (1.0 - q) * baseline[None, :n]
    L[:n, n + 1] = (1.0 - q) * baseline[n]
    L[np.arange(n), np.arange(n)] += q
    L[n, :n] = (1.0 - q) * baseline[:n]
    L[n, n] = q
    L[n, n + 1] = (1.0 - q) * baseline[n]
    joint = prior[:, None] * L
    p_obs = joint.sum(axis=0)
    h_post = 0.0
    for o in np.flatnonzero(p_obs > 1e-15):
        h_post += p_obs[o] * _entropy(joint[:, o] / p_obs[o])
    return float(max(0.0, _entropy(prior) - h_post))


def lead_probability(roles: dict[str, float], active_share: float, away_share: float) -> float:
    """Probability that tracking a number leads to the target's place.

    ``roles``: every role the number may stand in, with the probability that
    it does (a "meets" report and a "partner" alias may name one number);
    each role leads with ``ROLE_LEAD_P`` and the roles combine as independent
    chances (noisy-or). Then times how often the phone is on
    (``active_share`` of days, floored at 0.3) and how much its owner roams
    (``away_share``: ``plan`` passes twice the share of nights spent at a
    remote cell site away from the usual one, where a man in hiding is
    visited), capped at 0.95.

    >>> round(lead_probability({"partner": 1.0}, 1.0, 0.5), 2)
    0.85
    >>> round(lead_probability({"partner": 0.5, "meets": 0.5}, 1.0, 0.5), 3)  # 1 - (1 - .425)(1 - .175)
    0.526
    """
    miss = float(np.prod([1.0 - ROLE_LEAD_P.get(r, 0.15) * max(p, 0.05) for r, p in roles.items()]))
    q = (1.0 - miss) * min(1.0, 0.3 + active_share) * (0.5 + min(0.5, away_share))
    return float(min(0.95, q))


def habit_baseline(cand_lat: FloatArray, cand_lon: FloatArray, night_lat: FloatArray, night_lon: FloatArray,
                   night_acc_m: FloatArray, home: tuple[float, float, float] | None) -> FloatArray:
    """Where a track shows a person's own habits, over the n candidates plus "none of them" (last).

    Her habits are where she usually sleeps: her ``home`` (the one definition,
    :func:`fusioncell.spacetime.home.night_homes`, as locate reads it) and what
    lies within ~3 km of it (``HABIT_DEG``). A candidate place near her
    night-time positions there would show up on her track whether or not he is
    there, so it is explained by habit; her nights *away* from it are what
    tracking her is for and never count as habit. At most 0.8 of the mass goes
    to candidates. Without a known home nothing is habit.

    >>> b = habit_baseline(np.array([20.60, 19.90]), np.array([-103.30, -103.70]),
    ...                    np.array([20.60, 20.60, 20.60, 19.90]), np.array([-103.30, -103.30, -103.30, -103.70]),
    ...                    np.array([100.0] * 4), (20.60, -103.30, 600.0))
    >>> b.round(2).tolist()  # home (3 of 4 nights) is habit; the night away is not
    [0.75, 0.0, 0.25]
    """
    n = cand_lat.shape[0]
    out = np.zeros(n + 1)
    if n and night_lat.size and home is not None:
        hlat, hlon = home[0], home[1]
        at_home = np.abs(night_lat - hlat) + np.abs(night_lon - hlon) <= HABIT_DEG
        if at_home.any():
            d = haversine_m(cand_lat[:, None], cand_lon[:, None], night_lat[at_home][None, :],
                            night_lon[at_home][None, :])
            counts = (d < np.maximum(night_acc_m[at_home][None, :], 300.0)).sum(axis=1).astype(float)
            share = counts / float(night_lat.size)
            out[:n] = share * min(1.0, 0.8 / max(float(share.sum()), 1e-12))
    out[n] = 1.0 - out[:n].sum()
    return out


def decoy_baseline(baseline: FloatArray, p: FloatArray, decoyish: npt.NDArray[np.bool_],
                   share: float = DECOY_SHARE) -> FloatArray:
    """An associate's track shows the decoy-like places whether or not he is there.

    ``share`` of the track's own-habit mass moves from "none of them" to the
    places only associates support (in proportion to their probability), so
    seeing him there again would explain nothing.

    >>> b = decoy_baseline(np.array([0.0, 0.0, 1.0]), np.array([0.6, 0.3]), np.array([True, False]))
    >>> [round(float(x), 2) for x in b]
    [0.5, 0.0, 0.5]
    """
    n = p.shape[0]
    out = baseline.copy()
    w = np.where(decoyish, p, 0.0)
    if w.sum() <= 0:
        return out
    move = min(share, float(out[n]))
    out[:n] += move * w / w.sum()
    out[n] -= move
    return out


#: How a reason names a member's role (the circle's role names are the claims' predicates: "meets", "works_for").
_ROLE_PHRASES = {"self": "his own phone", "meets": "meets the target", "works_for": "works for the target",
                 "tracked": "a lead the investigation tracks"}


def role_phrase(role: str) -> str:
    """A member's role in words, for the reason an analyst reads.

    >>> role_phrase("partner"), role_phrase("meets"), role_phrase("works_for")
    ('partner of the target', 'meets the target', 'works for the target')
    """
    return _ROLE_PHRASES.get(role, f"{role.replace('_', ' ')} of the target")


def plan(store: CaseStore, target: str | None = None, budget: int = 3, model: ChoiceModel | None = None) -> dict[str, Any]:
    """Ranked collection recommendations in the CLI contract's JSON shape."""
    info = store.case()
    an = analyse(store, target)
    tgt, circle, cs = an.target, an.circle, an.candidates
    model = model or load_model()
    tracked = {r[0] for r in store.con.execute("SELECT DISTINCT identifier FROM locations").fetchall()}
    if cs.lat.size:
        _, capped, supports, _ = posterior(an, model)
        p, rest = capped.p, capped.elsewhere
        # places only associates' movements support: where a lieutenant goes whether or not he is there
        decoyish = np.array([s.person_evidence and not s.partner_evidence and not s.sighted_him for s in supports])
    else:
        p, rest = np.zeros(0), 1.0
        decoyish = np.zeros(0, dtype=bool)
    share = partner_share(circle)
    prior = np.append(p, rest)
    n = p.shape[0]
    pos, homes = an.context.pos, an.context.homes  # the circle's positions and homes, as locate read them
    chained = chains_among(store, [i for i in circle.members if i.startswith("+")])
    activity = _activity(store, circle, chained)
    # tracked numbers whose owner moved on to a number nobody tracks: the tracking is to be re-tasked
    handed_over = {c.root for i, c in chained.items() if i not in tracked and c.root in tracked and c.root != i}
    phones = [i for i in circle.members if i.startswith("+")]
    away = away_night_fraction(store, phones)
    remote = remote_night_fraction(store, phones)
    recs = []
    idents = pos.identifier.astype(str) if len(pos) else np.zeros(0, dtype=str)
    for ident, member in circle.members.items():
        if ident in tracked or not (ident.startswith("+") or ident.startswith("plate:") or ident.startswith("im")):
            continue
        act = float(activity.get(ident, 0.0)) if ident.startswith("+") else 0.5
        roams = float(away.get(ident, 0.25))
        q = lead_probability(member.roles or {member.role: member.p_identity}, act, 2.0 * float(remote.get(ident, 0.1)))
        sel = (idents == ident) & pos.night if len(pos) else np.zeros(0, dtype=bool)
        baseline = habit_baseline(cs.lat, cs.lon, pos.lat[sel], pos.lon[sel], pos.acc_m[sel],
                                  homes.get(ident)) if len(pos) else np.append(np.zeros(n), 1.0)
        decoy_risk = share.get(ident, 0.0) < 0.5 and bool(decoyish.any()) and float(p[decoyish].sum()) > 0.05
        if decoy_risk:
            baseline = decoy_baseline(baseline, p, decoyish)
        gain = expected_information_gain(prior, q, baseline)
        why = [role_phrase(member.role) + (f" ({member.person})" if member.person and member.role != "self" else "")]
        why.append(f"leads to his place with p≈{q:.2f} if tracked")
        if decoy_risk:
            why.append(f"decoy risk: {100 * float(p[decoyish].sum()):.0f}% of the current estimate rests on places "
                       "only associates' movements support; tracking an associate may just show those places again")
        if ident in away:
            why.append(f"away from its usual cell site on {100 * roams:.0f}% of nights"
                       + (f", {100 * remote[ident]:.0f}% at remote sites" if remote.get(ident) else ""))
        if member.reasons:
            why.append(member.reasons[0])
        if ident in chained and chained[ident].root in tracked:
            why.append(f"takes over from {chained[ident].root}, which the investigation tracks: tracking it continues "
                       f"that tracking ({chained[ident].why})")
        why.append("not yet tracked")
        recs.append(Recommendation(ident, member.person, round(gain, 3), "; ".join(why), member.role))
    p_max = float(prior.max()) if prior.size else 0.0
    recs = _value_the_person(recs, people_to_identify(circle, tracked), lambda ident: _track_gain(
        ident, {"partner": 1.0}, activity, remote, idents, pos, cs, n, prior, homes.get(ident)),
        lambda ident: 0.0 if ident in handed_over else (1.0 - p_max) * lead_probability(
            {"partner": 1.0}, float(activity.get(ident, 0.0)), 2.0 * float(remote.get(ident, 0.1))))
    recs.sort(key=lambda r: (-r.expected_gain, r.identifier))
    out = [r.as_json(rank) for rank, r in enumerate(recs[:budget], start=1)]
    return {"case": info.case_id, "target": tgt, "uncertainty_bits": round(_entropy(prior), 3),
            "recommendations": out, "identify": people_to_identify(circle, tracked),
            "imagery": _imagery(store, an, p, capped.caps if cs.lat.size else [], supports if cs.lat.size else [])}


def _imagery(store: CaseStore, an: Analysis, p: FloatArray, caps: list[Cap], supports: list[Support]
             ) -> list[dict[str, Any]]:
    """Aerial tasks: a place that leads alone but is held gets confirmed first; then toss-ups and holes.
    A hold's sentence names phones by handle, as locate's note does (never a number in a sentence)."""
    tosses = toss_up_imagery(an.candidates, p)

    def hold_of(i: int) -> str | None:
        reason = caps[i].reason
        return hold_note(store, an, supports[i], reason) if reason else None

    return confirm_imagery(an.candidates, p, hold_of if caps else None, tosses) + imagery_tasks(an) + tosses


def _activity(store: CaseStore, circle: Circle, chained: dict[str, Chained]) -> dict[str, float]:
    """Per member: the share of the case's days on which its owner's phone was on. The numbers of one chain
    of successions (:mod:`fusioncell.infer.succession`) count together: a number that took over a week
    ago is on every day its owner's phone is, not on a quarter of the case's days."""
    members = sorted(circle.members)
    roots = [chained[i].root if i in chained else i for i in members]
    every = sorted(set(members) | set(chained))
    owner = [chained[i].root if i in chained else i for i in every]
    rows = store.con.execute(
        """
        WITH m AS (SELECT unnest($1) AS i, unnest($2) AS r),
        e AS (SELECT caller AS i, start FROM comms UNION ALL SELECT callee, start FROM comms),
        span AS (SELECT greatest(1, date_diff('day', min(start), max(start)) + 1) AS days FROM comms)
        SELECT m.r, count(DISTINCT CAST(e.start AS DATE)) / any_value(span.days) FROM e JOIN m USING (i), span
        GROUP BY m.r
        """,
        [every, owner],
    ).fetchall()
    on = {str(r): float(a) for r, a in rows}
    return {i: on[r] for i, r in zip(members, roots) if r in on}


def _track_gain(ident: str, roles: dict[str, float], activity: dict[str, float], remote: dict[str, float],
                idents: npt.NDArray[np.str_], pos: Any, cs: Any, n: int, prior: FloatArray,
                home: tuple[float, float, float] | None) -> float:
    """Expected gain of tracking ``ident`` were its owner known to stand in ``roles``."""
    q = lead_probability(roles, float(activity.get(ident, 0.0)), 2.0 * float(remote.get(ident, 0.1)))
    sel = (idents == ident) & pos.night if len(pos) else np.zeros(0, dtype=bool)
    baseline = habit_baseline(cs.lat, cs.lon, pos.lat[sel], pos.lon[sel], pos.acc_m[sel], home) if len(pos) \
        else np.append(np.zeros(n), 1.0)
    return expected_information_gain(prior, q, baseline)


def _value_the_person(recs: list[Recommendation], to_identify: list[dict[str, Any]],
                      gain_if_hers: Any, silence: Any = None) -> list[Recommendation]:
    """His partner known by alias only: value her most likely phone as *her*, times the chance her phone is
    among the candidates at all — confirming a candidate (a subscriber check, a short intercept) is cheap
    beside tracking, and a wrong one is ruled out by the next round. Without this, five candidates at
    p 0.2 each are each worth less than a lieutenant named in a weak report, and ``plan`` never tracks her
    (issue #12, failure 6).

    ``silence(ident)``: for a candidate already tracked, the chance its track would have shown his place
    by now were it hers (lead probability x how unsure the estimate still is). A tracked candidate whose
    track has not settled the question is probably not hers, and what it loses goes to the candidates
    not yet tracked (Bayes: each untracked p is divided by 1 − the tracked mass so ruled out). A tracked
    number whose owner has since moved to a new number (``plan`` passes silence 0 for it) rules nothing
    out: its track ended when the number changed, and what it did not show says nothing about now."""
    by_ident = {r.identifier: k for k, r in enumerate(recs)}
    out = list(recs)
    for person in to_identify:
        cands = [c for c in person["candidates"] if not c["tracked"] and c["identifier"] in by_ident]
        if not cands:
            continue
        top = cands[0]
        ruled_out = sum(c["p"] * silence(c["identifier"]) for c in person["candidates"]
                        if c["tracked"]) if silence else 0.0
        left = max(1.0 - ruled_out, 0.05)  # the candidates' mass not yet ruled out
        # her old and new number are one candidate for her (``owner``): counted once, not twice
        owners: dict[str, float] = {}
        for c in person["candidates"]:
            if not c["tracked"]:
                o = c.get("owner", c["identifier"])
                owners[o] = max(owners.get(o, 0.0), c["p"])
        found = min(1.0, sum(owners.values()) / left)
        value = found * gain_if_hers(top["identifier"])
        k = by_ident[top["identifier"]]
        r = out[k]
        if value > r.expected_gain:
            out[k] = replace(r, expected_gain=round(value, 3), why=(
                f"the likeliest phone of {person['person']} (his partner, known by alias only): "
                f"p={top['p'] / left:.2f} "
                f"hers, {100 * found:.0f}% that one of the {len(person['candidates'])} candidates is; confirm it "
                f"first (subscriber check or a short intercept), then track it — valued as tracking her; " + r.why))
    return out


def imagery_tasks(an: Analysis) -> list[dict[str, Any]]:
    """Coverage holes her silent nights point into: places no handset can show, for an aerial pass.

    Tracking another phone cannot see inside a hole; imagery can (a vehicle of
    the circle parked there at night). One task per blind spot of
    :func:`fusioncell.infer.blind.blind_spots`, most nights first.
    """
    cs = an.candidates
    tasks = []
    for b in blind_spots(an.context):
        named = [i for i in np.flatnonzero(inside(b, cs.lat, cs.lon, an.context)) if cs.origin[i] in NAMED_ORIGINS][:3]
        first = ("; look first at the places the case names inside it: "
                 + ", ".join(f"{cs.lat[i]:.5f}, {cs.lon[i]:.5f} ({cs.origin[i]})" for i in named)) if named else ""
        tasks.append({
            "lat": round(b.lat, 4), "lon": round(b.lon, 4), "radius_m": int(round(b.radius_m, -2)),
            "area_km2": round(b.area_km2, 1), "kind": "coverage hole",
            "why": (f"{b.nights} of his partner's {b.of_nights} silent nights are explained by this coverage hole "
                    "(out of coverage, reachable in the gap); no handset can show it: an aerial pass over it would "
                    f"test it (vehicles of the circle parked there at night){first}")})
    return tasks


#: Candidate origins that name a spot (an address the case holds, a sighting, an informant's area): inside a
#: coverage hole, where an aerial pass looks first.
NAMED_ORIGINS = ("known address", "sightings", "informant area")


#: Places at least this likely, within this factor of the first and this far apart, make a toss-up
#: that daytime imagery can settle (:func:`toss_up_imagery`).
TOSS_UP_MIN_P = 0.15
TOSS_UP_FACTOR = 3.0
TOSS_UP_APART_M = 1000.0


def toss_up_imagery(cs: Any, p: FloatArray) -> list[dict[str, Any]]:
    """When the answer is a toss-up between places apart, daytime passes over each can settle it.

    Aerial passes that read plates (daytime, low altitude) on two days or more
    tell a lived-in place from an empty one (``household``), and a vehicle
    parked at one place and then read at the other after her last visit says
    he moved (:mod:`fusioncell.infer.household`). One task per leading place:
    at least ``TOSS_UP_MIN_P``, within a factor ``TOSS_UP_FACTOR`` of the first,
    ``TOSS_UP_APART_M`` from every likelier one; none when one place leads alone.
    """
    if p.size < 2:
        return []
    order = [int(i) for i in np.argsort(-p, kind="stable")[:3]]
    lead: list[int] = []
    for i in order:
        if p[i] >= TOSS_UP_MIN_P and p[i] * TOSS_UP_FACTOR >= p[order[0]] and all(
                float(haversine_m(cs.lat[i], cs.lon[i], cs.lat[j], cs.lon[j])) >= TOSS_UP_APART_M for j in lead):
            lead.append(i)
    if len(lead) < 2:
        return []
    lived = cs.features[:, list(FEATURES).index("household")]
    out = []
    for i in lead:
        other = next(j for j in lead if j != i)
        seen = ("vehicles already parked here on two days" if lived[i] > 0 else "no vehicle seen parked here yet")
        out.append({"lat": round(float(cs.lat[i]), 4), "lon": round(float(cs.lon[i]), 4), "radius_m": 300,
                    "area_km2": 0.3, "kind": "toss-up",
                    "why": (f"the answer is a toss-up: {100 * float(p[i]):.0f}% here against {100 * float(p[other]):.0f}% "
                            f"at {float(cs.lat[other]):.4f}, {float(cs.lon[other]):.4f}; daytime low-altitude passes "
                            f"(plates readable) on two days or more would tell a lived-in place from an empty one "
                            f"({seen}), and a vehicle parked at one read at the other after her last visit would say "
                            "he moved")})
    return out


#: A place that leads alone with at least this probability but is held below a ceiling gets a task to confirm
#: it before anyone acts on it (:func:`confirm_imagery`).
CONFIRM_MIN_P = 0.3


def confirm_imagery(cs: Any, p: FloatArray, hold_of: Callable[[int], str | None] | None,
                    tosses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """When one place leads alone but locate holds it, the pass that would confirm it before anyone acts.

    locate holds a place whose support is thin -- one source type, a phone that is hers by inference only,
    her latest night there days old, her visits stopped -- and says what would lift it (``would_change``).
    Tracking one more phone rarely settles that; an aerial pass can: daytime low-altitude passes (plates
    readable) on two days or more show whether the place is lived in and by whose vehicles
    (:mod:`fusioncell.infer.household`), and a sighting of him there lifts every hold. A place that is not
    him is as likely to show itself so: this is the check before a raid. One task, for the leading place,
    when it holds at least ``CONFIRM_MIN_P`` and a hold applies; none for a toss-up (``tosses``: those
    tasks cover both places) or when no place leads. ``hold_of(i)``: place ``i``'s hold as locate's note says
    it (``held below 0.75: …``), None when nothing holds it. ``why`` reads after "confirm it before acting on
    it:" (the kind says so; each product words its own lead-in).
    """
    if p.size == 0 or tosses or hold_of is None:
        return []
    i = int(np.argmax(p))
    reason = hold_of(i) if float(p[i]) >= CONFIRM_MIN_P else None
    if reason is None:
        return []
    lived = cs.features[i, list(FEATURES).index("household")] > 0
    seen = "vehicles already parked here on two days" if lived else "no vehicle seen parked here yet"
    hold, _, why = reason.partition(": ")  # "held below 0.75: his partner's latest night ...; he was ..."
    rest = max(0.0, 1.0 - float(p.sum()))  # somewhere no listed place covers
    leads = (f"it leads ({100 * float(p[i]):.0f}%)" if rest <= float(p[i]) else
             f"it leads the places listed ({100 * float(p[i]):.0f}%), though somewhere none of them covers "
             f"holds {100 * rest:.0f}%,")
    return [{"lat": round(float(cs.lat[i]), 4), "lon": round(float(cs.lon[i]), 4), "radius_m": 300,
             "area_km2": 0.3, "kind": "confirm",
             "why": (f"{leads} but is {hold} "
                     f"({why.split('; ')[0]}); daytime low-altitude passes (plates readable) on two days or more would "
                     f"show whether it is lived in and by whose vehicles ({seen}); a sighting of him there lifts "
                     "every hold, an empty or unrelated house says the answer is wrong")}]


@dataclass(frozen=True, slots=True)
class PhoneToFind:
    """A partner known by name or alias whose phone must first be found: the candidate numbers and how."""

    person: str
    candidates: tuple[tuple[str, float, bool], ...]  # (identifier, p, tracked), most likely first
    how: str
    role: str = "partner"
    #: per candidate, what its track says against its being hers (the tracking test), when it does
    notes: tuple[tuple[str, str], ...] = ()
    #: per candidate in a chain of successions, the chain's first number: one owner (:mod:`.succession`)
    owners: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        notes: dict[str, str] = {}
        for i, note in self.notes:
            notes[i] = f"{notes[i]}; {note}" if i in notes else note
        owner = dict(self.owners)
        return {"person": self.person, "role": self.role,
                "candidates": [{"identifier": i, "p": round(p, 3), "tracked": t,
                                **({"note": notes[i]} if i in notes else {}),
                                **({"owner": owner[i]} if i in owner else {})} for i, p, t in self.candidates],
                "how": self.how}


HOW_TO_FIND = ("her number is not known: confirm one of the candidates (subscriber check, a short intercept, "
               "or co-location of the candidate's handset with the seed lead's visits to her) before tracking "
               "it; the first candidate is the seed lead's frequent contact most often at remote sites at night")


def people_to_identify(circle: Circle, tracked: set[str]) -> list[dict[str, Any]]:
    """His partner (by alias) whose phone is not known well enough to track: how to find it.

    For each person the circle says may be his partner, if none of the
    numbers that may be hers is tracked *and hers by a report or a known
    entity* (a tracked phone that is hers only by behaviour was tracked as a
    candidate: :func:`_attributed`) and none is attributed to her with
    p ≥ ``KNOWN_P`` (a well-graded report or a known entity), the plan names
    the candidates (frequent contacts of the people close to her
    who sleep at remote sites, weakly graded "uses" reports) with their
    probability and what would confirm one (:class:`PhoneToFind`, as JSON).
    """
    out: list[PhoneToFind] = []
    by_person: dict[str, list[tuple[float, str]]] = {}
    for ident, m in circle.members.items():
        p = (m.roles or {}).get("partner", 0.0)
        who = m.role_person.get("partner") or m.person  # whose partner candidate it is, not its strongest role's
        if p > 0 and who:
            by_person.setdefault(who, []).append((p, ident))
    for person, cands in sorted(by_person.items()):
        cands.sort(key=lambda x: (-x[0], x[1]))
        if any(i in tracked and _attributed(circle, i) for p, i in cands if p >= 0.3) or cands[0][0] >= KNOWN_P:
            continue
        notes = tuple((i, r) for _, i in cands[:5] for r in circle.members[i].reasons[-3:]
                      if r.startswith("tracked ") and "a partner's phone would" in r)
        # her old and new number are one candidate (circle._owner_weights): say so, or two look like two
        chained = tuple((i, r.split(" (", 1)[0]) for _, i in cands[:5] for r in circle.members[i].reasons
                        if r.startswith("one owner with "))
        out.append(PhoneToFind(person, tuple((i, p, i in tracked) for p, i in cands[:5]), HOW_TO_FIND,
                               notes=notes + chained,
                               owners=tuple((i, n.removeprefix("one owner with ")) for i, n in chained)))
    return [x.as_json() for x in out]


def _attributed(circle: Circle, ident: str) -> bool:
    """Whether a number is hers by a report or a known entity (attribution ≥ 0.5), not only by behaviour.

    A tracked phone that is hers only by inference does not end the search for her number: it was
    tracked *as a candidate* (confirm it first), and its track sleeping away from home is what a
    lieutenant's does too; the next candidate is still worth confirming.
    """
    return circle.members[ident].hers_by_report(("partner",), 0.5)


def render_text(result: dict[str, Any]) -> str:
    lines = [f"Case {result['case']} — whom to watch next to find {result['target']}",
             f"Current uncertainty: {result.get('uncertainty_bits', 0):.2f} bits"]
    imagery = result.get("imagery") or []
    for x in imagery:  # the check before anyone acts comes first: it is not one more tracking
        if x.get("kind") == "confirm":
            lines.append(f"Before acting: confirm {x['lat']:.4f}, {x['lon']:.4f} from the air — {x['why']}.")
    if not result["recommendations"]:
        lines.append("No untracked identifier in the target's circle: nothing to recommend.")
    for r in result["recommendations"]:
        lines.append(f"{r['rank']}. {r['identifier']}  gain {r['expected_gain']:.2f} bits — {r['why']}")
    for x in result.get("identify") or []:
        cands = ", ".join(f"{c['identifier']} (p={c['p']:.2f}" + (f"; {c['note']}" if c.get("note") else "") + ")"
                          for c in x["candidates"])
        lines.append(f"To identify first: the phone of {x['person']} ({x['role']}) — candidates {cands}; {x['how']}.")
    for k, x in enumerate([x for x in imagery if x.get("kind") != "confirm"], start=1):
        lines.append(f"Imagery {k}: {x['lat']:.4f}, {x['lon']:.4f} within {x['radius_m'] / 1000:.1f} km — {x['why']}.")
    return "\n".join(lines)
