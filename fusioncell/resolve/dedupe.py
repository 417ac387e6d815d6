"""Person dedupe across agencies (placeholder: identity mapping until splink lands)."""

from __future__ import annotations

from fusioncell.resolve.cache import cached
from fusioncell.store import CaseStore

TABLE = "person_canonical"


def build_person_canonical(store: CaseStore) -> str:
    """Compute (or reuse) ``person_canonical(entity_id, canonical, match_p)``; return its run id."""

    def build(run_id: str) -> None:
        store.con.execute(
            f"CREATE OR REPLACE TABLE {TABLE} AS SELECT '{run_id}' AS run_id, entity_id, entity_id AS canonical,"
            " 1.0 AS match_p FROM entities WHERE schema = 'Person'"
        )

    return cached(store, TABLE, {"v": 0}, build)
