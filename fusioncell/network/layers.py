"""Layers of the tie graph beyond calls: claims, meetings, shared vehicles, shared places — with provenance.

Each builder returns SQL CTEs ending in one relation per layer, keyed by an
undirected node pair ``(a, b)`` with ``a < b`` (nodes of the chosen
:data:`~fusioncell.network.edges.Level`), a probability that the layer's
evidence about the pair is true, and a ``*_prov`` list of provenance
structs ``{layer, source, ref, agency, grade, p}``: the observation table the
evidence came from (``claims``, ``entities``, ``sightings``, ``locations``),
the row it is (``report_id#claim_no``, an entity id, sighting event ids, a
place id with the visits' location event ids), the agency that delivered it,
its Admiralty grade when it has one, and its probability.

Layers (weights in :mod:`fusioncell.network.ties`):

``claims``
    graded informant claims "A works for B", "A meets B", "A is B's partner"
    (``works_for``, ``meets``, ``partner_of``, ``family_of``,
    ``associate_of``) and FtM Family/Associate relations; a claim's
    probability is ``P_TRUE[reliability][credibility]`` (the grading table).
``meetings``
    two subjects sighted together (:mod:`fusioncell.spacetime.sighted`).
``vehicles``
    two people tied to one vehicle: each of them ``uses`` it (a graded
    claim), owns it (a Vehicle entity's ``owner``, :data:`OWNER_P`) or was
    sighted with it (a sighting of the person and one of the plate within
    15 min and 150 m). The pair's probability per vehicle is the product of
    the two links; a vehicle linked to more than :data:`VEHICLE_MAX_USERS`
    people (a taxi, a bus, a fleet plate) makes no tie.
``places``
    two people whose stays (:mod:`fusioncell.spacetime`, from fixes only)
    fall in one *non-public* fine place: a place with at most
    :data:`PLACE_MAX_VISITORS` distinct visitors in the whole case (a
    house, a workshop — not a market or a petrol station). The evidence
    grows with the days each of them spent there:
    ``1 − exp(−Σ_place min(days_a, days_b) / PLACE_DAYS)``.

The SQL of every layer is in the ``network.ties`` plan
(:mod:`fusioncell.store.plans.network`, DuckDB or Spark); this module holds
the layers' numbers and the stays the places layer reads.
"""

from __future__ import annotations

import pyarrow as pa

from fusioncell.store import CaseStore, plans

#: Confidence that a vehicle's owner (FtM Vehicle.owner) uses it (as in resolve.attribution).
OWNER_P = 0.7
#: A vehicle tied to more people than this is shared by the public (taxi, bus, fleet): no tie.
VEHICLE_MAX_USERS = 6
#: A fine place with more distinct visitors than this is public: stays there make no tie.
PLACE_MAX_VISITORS = 4
#: Days at a shared place that make the places layer's evidence 1 − 1/e.
PLACE_DAYS = 2.0

#: The columns of the stays the places layer reads (input ``visits`` of plan ``network.ties``).
VISIT_SCHEMA = pa.schema([("identifier", pa.string()), ("place_id", pa.string()),
                          ("start", pa.timestamp("us", tz="UTC")), ("precision", pa.string()),
                          ("event_ids", pa.list_(pa.string())), ("lat", pa.float64()), ("lon", pa.float64())])


def place_visits(store: CaseStore) -> pa.Table:
    """The stays of the places layer: ``identifier, place_id, start, precision, event_ids, lat, lon``.

    The stays come from :mod:`fusioncell.spacetime` (cached there) and only
    when at least two identifiers have fixes; otherwise the table is empty (a
    coarse cell-site area is never a private place). The plan keeps the fine
    ones with a place.
    """
    n = plans.run(store, "network.fix_identifiers").column("n").to_pylist()
    if not n or not n[0] or n[0] < 2:
        return pa.Table.from_batches([], schema=VISIT_SCHEMA)  # (empty_table() imports pandas: 0.2 s)
    from fusioncell.spacetime.analysis import visits

    vis = visits(store).select(VISIT_SCHEMA.names)
    return vis.cast(VISIT_SCHEMA)


__all__ = ["OWNER_P", "PLACE_DAYS", "PLACE_MAX_VISITORS", "VEHICLE_MAX_USERS", "VISIT_SCHEMA", "place_visits"]
