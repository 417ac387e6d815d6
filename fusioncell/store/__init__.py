"""The case store (DuckDB by default) and the engines that run relational stages."""

from fusioncell.store.store import CaseInfo, CaseStore, open_case

__all__ = ["CaseInfo", "CaseStore", "open_case"]
