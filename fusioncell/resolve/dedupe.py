"""Person dedupe across agencies with splink (DuckDB backend).

Agencies describe the same person in different records: name variants,
aliases, a date of birth here, a phone there. Person entities of the case
are linked with splink's Fellegi–Sunter model on the store's own DuckDB
connection (no hand-written fuzzy matching):

* comparisons: name (Jaro–Winkler ≥ 0.92 / ≥ 0.80, accents and case folded),
  alias (exact), date of birth (exact), phone (exact);
* blocking: same phone, same alias, or same first three letters of the name;
* m/u probabilities are set from first principles rather than trained (a case
  has tens of person records, too few for EM): a shared phone or alias is
  rare between different people (u ≈ 0.001–0.01), names agree for the same
  person most of the time (m ≈ 0.5 exact);
* pairs with match probability ≥ :data:`MATCH_P` are clustered (connected
  components) and each cluster takes one canonical id — a case target when
  one is in the cluster, else the smallest entity id.

Output table ``person_canonical(run_id, entity_id, canonical, match_p)``.
Attribution folds merged entity ids onto the canonical id; an analyst undoes
a wrong merge with :func:`fusioncell.resolve.override` on the entity id.
"""

from __future__ import annotations

import logging

from fusioncell.store.derived import cached, one
from fusioncell.store import CaseStore

log = logging.getLogger(__name__)

TABLE = "person_canonical"
#: Match probability at which two person records are judged the same person.
MATCH_P = 0.95

_RECORDS = """
CREATE OR REPLACE TEMP TABLE _dedupe_persons AS
SELECT e.entity_id AS unique_id,
       nullif(lower(strip_accents(trim(coalesce(json_extract_string(e.properties, '$.name[0]'), e.caption)))), '')
           AS name,
       nullif(lower(strip_accents(trim(json_extract_string(e.properties, '$.alias[0]')))), '') AS alias,
       nullif(trim(json_extract_string(e.properties, '$.birthDate[0]')), '') AS dob,
       (SELECT min(ei.identifier) FROM entity_identifiers ei
         WHERE ei.entity_id = e.entity_id AND ei.identifier LIKE '+%') AS phone
FROM entities e WHERE e.schema = 'Person'
"""

_ANY_CANDIDATE = """
SELECT count(*) FROM _dedupe_persons a JOIN _dedupe_persons b
  ON a.unique_id < b.unique_id
 AND (a.phone = b.phone OR a.alias = b.alias OR substr(a.name, 1, 3) = substr(b.name, 1, 3))
"""


def _splink_pairs(store: CaseStore) -> str | None:
    """Run splink on ``_dedupe_persons``; return the physical name of the clusters table."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    db = DuckDBAPI(connection=store.con)
    sdf = db.register("_dedupe_persons")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.92, 0.8]).configure(
                m_probabilities=[0.5, 0.25, 0.15, 0.1], u_probabilities=[0.0005, 0.002, 0.01, 0.9875]
            ),
            cl.ExactMatch("alias").configure(m_probabilities=[0.7, 0.3], u_probabilities=[0.01, 0.99]),
            cl.ExactMatch("dob").configure(m_probabilities=[0.9, 0.1], u_probabilities=[0.01, 0.99]),
            cl.ExactMatch("phone").configure(m_probabilities=[0.8, 0.2], u_probabilities=[0.001, 0.999]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("phone"), block_on("alias"), block_on("substr(name, 1, 3)"),
        ],
        probability_two_random_records_match=0.01,
    )
    linker = Linker(sdf, settings, log_level=logging.WARNING)
    pred = linker.inference.predict(threshold_match_probability=MATCH_P)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, MATCH_P)
    store.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _dedupe_pairs AS
            SELECT unique_id_l AS l, unique_id_r AS r, match_probability AS p FROM {pred.physical_name}"""
    )
    return str(clusters.physical_name)


def _build(store: CaseStore, run_id: str) -> None:
    con = store.con
    con.execute(_RECORDS)
    row = one(con, _ANY_CANDIDATE)
    clusters = _splink_pairs(store) if row and row[0] else None
    if clusters is None:
        con.execute(
            f"CREATE OR REPLACE TABLE {TABLE} AS SELECT '{run_id}' AS run_id, unique_id AS entity_id,"
            " unique_id AS canonical, 1.0 AS match_p FROM _dedupe_persons"
        )
        return
    con.execute(
        f"""
CREATE OR REPLACE TABLE {TABLE} AS
WITH c AS (SELECT unique_id AS entity_id, cluster_id FROM {clusters}),
canon AS (
    SELECT c.cluster_id,
           coalesce(min(c.entity_id) FILTER (WHERE c.entity_id IN (SELECT entity_id FROM targets)),
                    min(c.entity_id)) AS canonical
    FROM c GROUP BY c.cluster_id
),
best AS (
    SELECT x AS entity_id, max(p) AS match_p FROM (
        SELECT l AS x, p FROM _dedupe_pairs UNION ALL SELECT r, p FROM _dedupe_pairs) GROUP BY x
)
SELECT '{run_id}' AS run_id, c.entity_id, canon.canonical,
       CASE WHEN c.entity_id = canon.canonical THEN 1.0 ELSE coalesce(best.match_p, 1.0) END AS match_p
FROM c JOIN canon USING (cluster_id) LEFT JOIN best USING (entity_id)
"""
    )


def build_person_canonical(store: CaseStore) -> str:
    """Compute (or reuse) ``person_canonical``; return its run id."""
    return cached(store, TABLE, {"match_p": MATCH_P, "v": 1}, lambda run_id: _build(store, run_id))


def merged_persons(store: CaseStore) -> list[dict[str, object]]:
    """Entity ids folded onto another: ``entity_id``, ``canonical``, ``match_p``."""
    build_person_canonical(store)
    rows = store.con.execute(
        f"SELECT entity_id, canonical, match_p FROM {TABLE} WHERE entity_id <> canonical ORDER BY canonical, entity_id"
    ).fetchall()
    return [{"entity_id": e, "canonical": c, "match_p": float(p)} for e, c, p in rows]
