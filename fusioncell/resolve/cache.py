"""The derived-table cache now lives in :mod:`fusioncell.store.derived`; these names stay importable from here."""

from fusioncell.store.derived import (
    CACHE_DDL,
    OVERRIDES_DDL,
    arrow,
    cached,
    dict_rows,
    ensure_tables,
    observation_key,
    one,
)

__all__ = ["CACHE_DDL", "OVERRIDES_DDL", "arrow", "cached", "dict_rows", "ensure_tables", "observation_key", "one"]
